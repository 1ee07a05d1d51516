"""Society-wide numbers without gaps (BIL-11): 請求番号 and 領収書番号.

``take(society, kind, count)`` locks the society's sequence row and hands out ``count`` consecutive
numbers. Call it inside the transaction that writes the rows carrying them: a rollback gives the numbers
back, so no number is ever skipped; the lock makes concurrent writers queue instead of colliding.
"""

from __future__ import annotations

from django.db import models, transaction

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


def lock(society, kind: str) -> int:
    """Lock the society's sequence and return the last number handed out, for a set-based insert that numbers
    its rows ``last + 1, last + 2, …`` itself (a billing run: ROW_NUMBER() in one INSERT … SELECT) and then
    calls ``advance`` with the count it inserted. Locking before counting keeps the numbers gap-free even
    when the count is only known after the insert. Must run in the writing transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers are taken inside the transaction that uses them")
    NumberSequence.objects.get_or_create(society_id=society.pk, kind=kind)
    return NumberSequence.objects.select_for_update().get(society_id=society.pk, kind=kind).last


def advance(society, kind: str, count: int) -> None:
    """After ``lock``: hand out ``count`` numbers (the rows already carry them)."""
    if count:
        NumberSequence.objects.filter(society_id=society.pk, kind=kind).update(last=models.F("last") + count)
