"""How billing's screens write money: integer yen with thousands separators and 円 (``3,000円``)."""

from __future__ import annotations

from django import template

register = template.Library()


def yen(value) -> str:
    """``3000`` → ``3,000円``; ``-500`` → ``-500円``; None or text stays as it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value:,}円"


register.filter("yen", yen)
