"""Member adjustments (ADJ-1): one-time (一時, spent by the next invoice) or permanent (恒久), signed yen."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock
from backoffice.errors import DomainError
from backoffice.services import Actor, check_society, service

from .. import selectors
from ..models import Member, MemberAdjustment
from ._common import lock_member, validate_model


@service()
def member_adjustment_add(*, actor: Actor, member: Member, kind: str, amount: int, note: str = "") -> MemberAdjustment:
    check_society(actor, member.society_id)
    if kind not in MemberAdjustment.Kind.values:
        raise DomainError("invalid", _("Unknown adjustment kind: %(kind)s") % {"kind": kind}, fields={"kind": []})
    refusal = selectors.adjustment_add_refusal(amount)
    if refusal is not None:
        raise refusal
    member = lock_member(member)
    adjustment = MemberAdjustment(member=member, kind=kind, amount=amount, note=note)
    validate_model(adjustment, exclude=["member"])
    adjustment.save()
    audit.record(actor=actor, action="members.adjustment.added", target=member,
                 after={"kind": kind, "amount": amount, "note": note, "adjustment_id": adjustment.pk})
    return adjustment


def _of_society_sql() -> str:
    """Only adjustments of the society's members: checked row by row for the rows the UPDATE is about to change.

    On PostgreSQL ``OFFSET 0`` keeps the check a sub-plan of those rows: as a join, PostgreSQL looked up the member
    of every id the caller passed (a billing run's 10,000 invoices per chunk) before finding the few with an unspent
    one-time adjustment — 64–68 ms per chunk against 41 ms (bench/README.md, BIL-1)."""
    member, adjustment = Member._meta.db_table, MemberAdjustment._meta.db_table
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    return (f'EXISTS (SELECT 1 FROM "{member}" m WHERE m.id = "{adjustment}".member_id '
            f"AND m.society_id = %s{fence})")


@service(permission="can_write")
def member_adjustments_spend(*, actor: Actor, society, members, reference: str, up_to_id: int | None = None,
                             member_id_range: tuple[int, int] | None = None) -> int:
    """ADJ-1: mark the unspent one-time adjustments of ``members`` (ids: a list, or a queryset of ids that
    the database evaluates — a billing run passes its invoices' member ids) as spent by ``reference``.

    Set-based (one UPDATE), so a billing run of 100,000 members spends in one statement. ``up_to_id`` limits
    the spending to the adjustments the caller summed (those with an id up to it): one registered while the
    caller worked is left for the next invoice. ``member_id_range`` (first, last) narrows the rows looked at, so
    that a caller working through members in chunks reads each chunk's adjustments only. One audit entry for the act (how many, by what) — each
    adjustment row itself keeps when and by what it was spent."""
    check_society(actor, society.pk)
    reference = (reference or "")[: MemberAdjustment._meta.get_field("spent_reference").max_length]
    rows = MemberAdjustment.objects.filter(kind=MemberAdjustment.Kind.ONE_TIME, spent_at__isnull=True,
                                           member_id__in=members).extra(where=[_of_society_sql()], params=[society.pk])
    if up_to_id is not None:
        rows = rows.filter(pk__lte=up_to_id)
    if member_id_range is not None:
        rows = rows.filter(member_id__gte=member_id_range[0], member_id__lte=member_id_range[1])
    spent = rows.update(spent_at=clock.now(society), spent_reference=reference)
    if spent:
        audit.record(actor=actor, action="members.adjustment.spent", society_id=society.pk,
                     after={"spent_reference": reference, "adjustments": spent})
    return spent
