"""Member numbers (NUM-1, NUM-2): [会員番号採番] and an administrator's correction of a wrong number."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit, text
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, check_society, service

from .. import selectors
from ..models import Member, Society
from ._common import lock_member, lock_society

MSG_NUMBER_GAP = _("Assign member numbers with no member left out.")
MSG_NUMBER_RACE = _("One of these member numbers was assigned by someone else just now.")


def _raise(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


@service()
def member_numbers_assign(*, actor: Actor, society: Society, assignments: Sequence[tuple[int, str]]) -> int:
    """[会員番号採番]: numbers for every member waiting for one, at once, with no gap and no duplicate. One
    audit entry per member, sharing a batch id."""
    check_society(actor, society.pk)
    lock_society(society)  # one assignment at a time per society: two operators never hand out one number
    society.refresh_from_db()
    pending = list(selectors.members_pending_number(society).select_for_update(of=("self",)))
    by_id = {m.pk: m for m in pending}
    wanted: dict[int, str] = {}
    listed: set[int] = set()
    for member_id, raw in assignments:
        member_id = int(member_id)
        number = text.normalize_code(raw or "")
        if member_id not in by_id:
            raise DomainError(
                "invalid", _("Member %(id)s is not waiting for a member number.") % {"id": member_id},
                fields={"assignments": []},
            )
        if member_id in listed:  # listed twice: which number was meant is anyone's guess
            raise DomainError(
                "invalid", _("Member %(id)s is listed more than once.") % {"id": member_id},
                fields={"assignments": []},
            )
        listed.add(member_id)
        if number:
            _raise(selectors.member_number_assign_refusal(society, number))
            wanted[member_id] = number
    if not pending or set(wanted) != set(by_id):
        raise DomainError("member_number_gap", MSG_NUMBER_GAP, fields={"assignments": [str(MSG_NUMBER_GAP)]})
    typed_for: dict[str, int] = {}
    for member_id, number in wanted.items():
        if number in typed_for:  # the same number typed on two rows: name both
            first, second = by_id[typed_for[number]], by_id[member_id]
            raise Conflict(
                "member_number_taken",
                _("Member number %(number)s is entered for both %(first)s and %(second)s.")
                % {"number": number, "first": first.name, "second": second.name},
                fields={"member_number": []},
            )
        typed_for[number] = member_id
    holder = (
        Member.objects.filter(society=society, member_number__in=list(wanted.values())).order_by("member_number").first()
    )
    if holder is not None:
        raise selectors.member_number_taken(holder.member_number, holder)
    for member in pending:
        member.member_number = wanted[member.pk]
    try:
        with transaction.atomic():
            Member.objects.bulk_update(pending, ["member_number"])
    except IntegrityError:
        raise Conflict("member_number_taken", MSG_NUMBER_RACE) from None
    batch = audit.new_batch_id()
    for member in pending:
        audit.record(actor=actor, action="members.member_number.assigned", target=member, batch_id=batch,
                     before={"member_number": None}, after={"member_number": member.member_number})
    return len(pending)


@service(permission="can_manage_settings")
def member_number_correct(*, actor: Actor, member: Member, member_number: str, note: str = "") -> Member:
    """An administrator corrects a wrongly assigned member number; the old number stays in the history."""
    check_society(actor, member.society_id)
    lock_society(member.society)
    member = lock_member(member)
    number = text.normalize_code(member_number or "")
    _raise(selectors.member_number_correct_refusal(member, number))
    if number == member.member_number:
        return member
    old = member.member_number
    member.member_number = number
    try:
        with transaction.atomic():
            member.save(update_fields=["member_number"])
    except IntegrityError:
        raise Conflict("member_number_taken", MSG_NUMBER_RACE) from None
    audit.record(actor=actor, action="members.member_number.corrected", target=member,
                 before={"member_number": old}, after={"member_number": number, "note": note})
    return member
