"""Society-wide numbers without gaps (BIL-11): 請求番号 and 領収書番号.

``take(society, kind, count)`` locks the society's sequence row and hands out ``count`` consecutive
numbers. Call it inside the transaction that writes the rows carrying them: a rollback gives the numbers
back, so no number is ever skipped; the lock makes concurrent writers queue instead of colliding.
"""

from __future__ import annotations

from django.db import transaction

from .models import NumberSequence

INVOICE = NumberSequence.Kind.INVOICE
RECEIPT = NumberSequence.Kind.RECEIPT


def take(society, kind: str, count: int = 1) -> int:
    """Reserve ``count`` numbers; returns the first (the others follow it). Must run in a transaction."""
    if count < 1:
        raise ValueError("count must be at least 1")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers are taken inside the transaction that uses them")
    NumberSequence.objects.get_or_create(society_id=society.pk, kind=kind)
    seq = NumberSequence.objects.select_for_update().get(society_id=society.pk, kind=kind)
    first = seq.last + 1
    seq.last += count
    seq.save(update_fields=["last"])
    return first
