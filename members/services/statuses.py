"""The dated status history (MEM-4 … MEM-7) and 退会予定日, the one source of a scheduled withdrawal."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock
from backoffice.errors import Conflict, DomainError, NotFound
from backoffice.services import Actor, check_society, service

from .. import selectors
from ..models import Member, MemberStatus, Society, Status
from ._common import lock_member, validate_model

ACTION_FOR_STATUS = {Status.APPLICATION_WITHDRAWN: "members.member.application_withdrawn"}


def _entry_snapshot(entry: MemberStatus | None) -> dict:
    if entry is None:
        return {"status": None, "effective_date": None}
    return {"status": entry.status, "effective_date": entry.effective_date, "note": entry.note}


def _audit_status_change(*, actor: Actor, action: str, member: Member, before: dict, after: dict,
                         withdrawal_before: datetime.date | None, batch_id=None) -> None:
    """One entry on the member: the status entry as it was and as it is (the latest one, for an added
    entry), and 退会予定日 when the change moved it."""
    before, after = dict(before), dict(after)
    if member.scheduled_withdrawal_date != withdrawal_before:
        before["scheduled_withdrawal_date"] = withdrawal_before
        after["scheduled_withdrawal_date"] = member.scheduled_withdrawal_date
    if before != after:  # nothing changed, no entry
        audit.record(actor=actor, action=action, target=member, before=before, after=after, batch_id=batch_id)


def _raise(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


def _insert_entry(member: Member, status: str, effective_date: datetime.date, note: str = "") -> MemberStatus:
    entry = MemberStatus(member=member, status=status, effective_date=effective_date, note=note)
    validate_model(entry, exclude=["member"])
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # MEM-5 backed by the constraint: one status per member per date
        raise Conflict("status_same_day", selectors.MSG_SAME_DAY) from None
    return entry


def sync_scheduled_withdrawal(member: Member) -> None:
    """Keep 退会予定日 and the 退会 entry one fact (called after every status write of ``member``):

    - the latest entry is 退会: 退会予定日 is its date (a future one is a scheduled withdrawal);
    - the latest entry is 入会/在会 and a 退会予定日 is set: the 退会 entry is scheduled on that date (a date
      set while the member was still applying takes effect once they join);
    - otherwise (申請中 after a re-admission, 除名, 申請取下) a past 退会予定日 no longer applies.
    """
    entries = selectors.status_entries(member)
    latest = entries[-1] if entries else None
    wanted = member.scheduled_withdrawal_date
    if latest is None:
        return
    if latest.status == Status.WITHDRAWN:
        wanted = latest.effective_date
    elif latest.status == Status.ACTIVE and wanted is not None:
        _raise(selectors.scheduled_withdrawal_set_refusal(member, wanted, entries))
        _insert_entry(member, Status.WITHDRAWN, wanted)
    elif wanted is not None and (latest.status != Status.APPLYING or wanted <= latest.effective_date):
        wanted = None
    if wanted != member.scheduled_withdrawal_date:
        member.scheduled_withdrawal_date = wanted
        member.save(update_fields=["scheduled_withdrawal_date"])


def schedule_withdrawal(member: Member, day: datetime.date | None) -> None:
    """Set (or clear) 退会予定日 on a locked member: schedules, moves or removes the future 退会 entry, as
    ``selectors.scheduled_withdrawal_set_refusal`` allows."""
    entries = selectors.status_entries(member)
    latest = entries[-1] if entries else None
    _raise(selectors.scheduled_withdrawal_set_refusal(member, day, entries))
    if latest is not None and latest.status == Status.WITHDRAWN:
        if day == latest.effective_date:
            return
        if day is None:
            latest.delete()
        else:
            latest.effective_date = day
            latest.save(update_fields=["effective_date"])
        member.scheduled_withdrawal_date = day
        member.save(update_fields=["scheduled_withdrawal_date"])
        return
    member.scheduled_withdrawal_date = day
    member.save(update_fields=["scheduled_withdrawal_date"])
    sync_scheduled_withdrawal(member)


@service()
def member_status_add(*, actor: Actor, member: Member, status: str, effective_date: datetime.date,
                      note: str = "") -> MemberStatus:
    """[会員状況変更・変更予定登録]: a new dated entry after the latest one (MEM-4, MEM-5). A 申請取下 entry is
    the act [入会申請取下] whichever door it came through (MEM-7)."""
    check_society(actor, member.society_id)
    member = lock_member(member)
    entries = selectors.status_entries(member)
    latest = entries[-1] if entries else None
    _raise(selectors.status_add_refusal(member, latest, status, effective_date))
    withdrawal_before = member.scheduled_withdrawal_date
    entry = _insert_entry(member, status, effective_date, note)
    sync_scheduled_withdrawal(member)
    _audit_status_change(actor=actor, action=ACTION_FOR_STATUS.get(status, "members.member.status_added"),
                         member=member, before=_entry_snapshot(latest), after=_entry_snapshot(entry),
                         withdrawal_before=withdrawal_before)
    return entry


@service()
def member_application_withdraw(*, actor: Actor, member: Member, effective_date: datetime.date,
                                note: str = "") -> MemberStatus:
    """[入会申請取下] (MEM-7): a mistaken application is cancelled with 申請取下. On the application day itself
    MEM-5's exception applies: the 申請中 entry is edited into 申請取下."""
    check_society(actor, member.society_id)
    member = lock_member(member)
    entries = selectors.status_entries(member)
    latest = entries[-1] if entries else None
    _raise(selectors.application_withdraw_refusal(latest))
    if effective_date != latest.effective_date:
        return member_status_add(actor=actor, member=member, status=Status.APPLICATION_WITHDRAWN,
                                 effective_date=effective_date, note=note)
    before, withdrawal_before = _entry_snapshot(latest), member.scheduled_withdrawal_date
    latest.status = Status.APPLICATION_WITHDRAWN
    if note:
        latest.note = note
    validate_model(latest, exclude=["member"])
    latest.save()
    sync_scheduled_withdrawal(member)
    _audit_status_change(actor=actor, action="members.member.application_withdrawn", member=member,
                         before=before, after=_entry_snapshot(latest), withdrawal_before=withdrawal_before)
    return latest


@service()
def member_status_edit(*, actor: Actor, entry: MemberStatus, status: str | None = None,
                       effective_date: datetime.date | None = None, note: str | None = None) -> MemberStatus:
    """Edit one entry of [会員状況履歴]. MEM-5's exception: the 申請中 entry edited into 入会/在会 when the
    application and joining dates are the same day. The history must stay a valid chain of transitions."""
    check_society(actor, entry.member.society_id)
    member = lock_member(entry.member)
    entries = selectors.status_entries(member)
    index = next((i for i, e in enumerate(entries) if e.pk == entry.pk), None)
    if index is None:
        raise NotFound()
    entry = entries[index]
    before, withdrawal_before = _entry_snapshot(entry), member.scheduled_withdrawal_date
    new_status = status if status is not None else entry.status
    new_date = effective_date if effective_date is not None else entry.effective_date
    _raise(selectors.status_entry_edit_refusal(member, entries, entry, new_status, new_date))
    entry.status = new_status
    entry.effective_date = new_date
    if note is not None:
        entry.note = note
    validate_model(entry, exclude=["member"])
    entry.save()
    sync_scheduled_withdrawal(member)
    _audit_status_change(actor=actor, action="members.member.status_edited", member=member, before=before,
                         after=_entry_snapshot(entry), withdrawal_before=withdrawal_before)
    return entry


@service()
def member_status_bulk_update(*, actor: Actor, society: Society, member_ids: Iterable[int], status: str,
                              effective_date: datetime.date) -> int:
    """[会員状況の一括更新] (MEM-6): all or none; the date must be on or after the latest existing entry date
    among all targets plus one day, and the refusal names that earliest allowed date. One audit entry per
    member, sharing a batch id."""
    check_society(actor, society.pk)
    if status not in Status.values:
        raise selectors.unknown_status(status)
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        raise DomainError("invalid", _("Select at least one member."), fields={"member_ids": []})
    members = list(Member.objects.select_for_update(of=("self",)).select_related("society")
                   .filter(society=society, pk__in=ids).order_by("pk"))
    if len(members) != len(ids):
        raise NotFound(_("Some of the selected members were not found."))
    latest_by_member = selectors.latest_status_entries(ids)
    earliest = selectors.earliest_bulk_status_date(latest_by_member)
    if earliest is not None and effective_date < earliest:
        raise Conflict(
            "bulk_status_date_too_early",
            _("The date for a bulk update must be on or after the latest status date among all targets plus "
              "one day: choose %(date)s or later.") % {"date": earliest.isoformat()},
            fields={"effective_date": []},
        )
    for member in members:
        latest = latest_by_member.get(member.pk)
        _raise(selectors.status_transition_refusal(member, latest.status if latest else None, status))
    entries = MemberStatus.objects.bulk_create(
        [MemberStatus(member=m, status=status, effective_date=effective_date) for m in members]
    )
    batch = audit.new_batch_id()
    for member, entry in zip(members, entries):
        withdrawal_before = member.scheduled_withdrawal_date
        if status in (Status.WITHDRAWN, Status.ACTIVE) or withdrawal_before is not None:
            sync_scheduled_withdrawal(member)
        _audit_status_change(actor=actor, action="members.member.status_bulk_updated", member=member,
                             before=_entry_snapshot(latest_by_member.get(member.pk)), after=_entry_snapshot(entry),
                             withdrawal_before=withdrawal_before, batch_id=batch)
    return len(members)
