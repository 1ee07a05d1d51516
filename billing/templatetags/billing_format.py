"""How billing's screens write money: integer yen with thousands separators and 円 (``3,000円``) — the one
formatter of ``backoffice.text``, as a template filter."""

from __future__ import annotations

from django import template

from backoffice.text import yen

register = template.Library()

register.filter("yen", yen)

__all__ = ["yen"]
