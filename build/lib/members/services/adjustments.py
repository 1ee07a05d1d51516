"""Member adjustments (ADJ-1): one-time (一時, spent by the next invoice) or permanent (恒久), signed yen."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backoffice import audit
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
    refusal = selectors.adjustment_amount_refusal(amount)
    if refusal is not None:
        raise refusal
    member = lock_member(member)
    adjustment = MemberAdjustment(member=member, kind=kind, amount=amount, note=note)
    validate_model(adjustment, exclude=["member"])
    adjustment.save()
    audit.record(actor=actor, action="members.adjustment.added", target=member,
                 after={"kind": kind, "amount": amount, "note": note, "adjustment_id": adjustment.pk})
    return adjustment
