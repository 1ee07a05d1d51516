"""Member records (MEM-1, MEM-3, MEM-8): registration, [会員情報変更], the e-mail release for re-admission."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, text
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, check_society, service

from .. import selectors
from ..models import Member, MemberEmailChange, MemberStatus, MemberType, Society, Status
from ._common import (
    MSG_EMAIL_IN_USE,
    clean_phone,
    clean_postal_code,
    ensure_email_free,
    lock_member,
    lock_society,
    member_snapshot,
    require_corporate_organization,
    validate_model,
)
from .statuses import schedule_withdrawal

EDITABLE_MEMBER_FIELDS = (
    "name", "name_kana", "organization", "email", "member_type", "affiliation", "phone", "postal_code",
    "address", "scheduled_withdrawal_date",
)


def _check_member_type(member_type: MemberType, society_id: int) -> None:
    if member_type.society_id != society_id:
        raise DomainError("invalid", _("Unknown member type."), fields={"member_type": [str(_("Unknown member type."))]})


def _save_member(member: Member) -> None:
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # MEM-3 backed by the constraint
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]}) from None


@service()
def member_create(
    *,
    actor: Actor,
    society: Society,
    name: str,
    email: str,
    member_type: MemberType,
    name_kana: str = "",
    kind: str = Member.Kind.INDIVIDUAL,
    organization: str = "",
    affiliation: str = "",
    phone: str = "",
    postal_code: str = "",
    address: str = "",
    application_date: datetime.date | None = None,
    scheduled_withdrawal_date: datetime.date | None = None,
) -> Member:
    """Register a member as 申請中 dated ``application_date`` (default: today on the society clock). A
    退会予定日 given now takes effect once the member joins."""
    check_society(actor, society.pk)
    _check_member_type(member_type, society.pk)
    member = Member(
        society=society, kind=kind, name=name, name_kana=name_kana or "", organization=organization or "",
        email=text.normalize_email(email), member_type=member_type, affiliation=affiliation or "",
        phone=clean_phone(phone), postal_code=clean_postal_code(postal_code), address=address or "",
    )
    require_corporate_organization(member)
    validate_model(member, exclude=["society", "member_type"])
    day = application_date or clock.today(society)
    if scheduled_withdrawal_date is not None and scheduled_withdrawal_date <= day:
        raise Conflict("status_date_too_early",
                       _("The scheduled withdrawal date must be after the application date (%(date)s).")
                       % {"date": day.isoformat()}, fields={"scheduled_withdrawal_date": []})
    lock_society(society)  # serialise the e-mail check
    ensure_email_free(society, member.email)
    member.scheduled_withdrawal_date = scheduled_withdrawal_date
    _save_member(member)
    MemberStatus.objects.create(member=member, status=Status.APPLYING, effective_date=day)
    audit.record(actor=actor, action="members.member.created", target=member,
                 after={**member_snapshot(member), "status": Status.APPLYING, "application_date": day})
    return member


@service()
def member_update(*, actor: Actor, member: Member, **changes: Any) -> Member:
    """[会員情報変更]. A linked member's e-mail belongs to the A-Pass and cannot be edited (APS-3). Setting
    退会予定日 schedules the 退会 entry; clearing it removes a scheduled one."""
    check_society(actor, member.society_id)
    unknown = set(changes) - set(EDITABLE_MEMBER_FIELDS)
    if unknown:
        raise DomainError("invalid", _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    member = lock_member(member)
    before = member_snapshot(member)
    if "email" in changes:
        changes["email"] = text.normalize_email(changes["email"] or "")
    if "phone" in changes:
        changes["phone"] = clean_phone(changes["phone"])
    if "postal_code" in changes:
        changes["postal_code"] = clean_postal_code(changes["postal_code"])
    for key in ("name_kana", "organization", "affiliation", "address"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    if "member_type" in changes:
        _check_member_type(changes["member_type"], member.society_id)
    email_changed = "email" in changes and changes["email"] != member.email
    if email_changed:
        refusal = selectors.member_email_edit_refusal(member, changes["email"])
        if refusal is not None:
            raise refusal
    withdrawal_changed = ("scheduled_withdrawal_date" in changes
                          and changes["scheduled_withdrawal_date"] != member.scheduled_withdrawal_date)
    withdrawal_date = changes.pop("scheduled_withdrawal_date", None)
    for field, value in changes.items():
        setattr(member, field, value)
    require_corporate_organization(member)
    validate_model(member, exclude=["society", "member_type"])
    _save_member(member)
    if withdrawal_changed:
        schedule_withdrawal(member, withdrawal_date)
    if email_changed:
        MemberEmailChange.objects.create(member=member, old_email=before["email"], new_email=member.email,
                                         reason=MemberEmailChange.Reason.EDITED, actor_label=audit.actor_label(actor))
    audit.record_change(actor=actor, action="members.member.updated", target=member,
                        before=before, after=member_snapshot(member))
    return member


@service()
def member_email_release(*, actor: Actor, member: Member, note: str = "") -> Member:
    """MEM-3: rewrite a withdrawn record's e-mail so the person can re-apply with it as a new record.

    The old address stays in the record's e-mail history and the audit trail."""
    check_society(actor, member.society_id)
    member = lock_member(member)
    refusal = selectors.email_release_refusal(member, clock.today(member.society))
    if refusal is not None:
        raise refusal
    old = member.email
    local, _sep, domain = old.partition("@")
    suffix = f"+released{member.pk}"
    new = f"{local[: 64 - len(suffix)]}{suffix}@{domain}"
    n = 1
    while Member.objects.filter(society=member.society, email=new).exclude(pk=member.pk).exists():
        n += 1
        new = f"{local[: 64 - len(suffix) - 3]}{suffix}-{n}@{domain}"
    member.email = new
    member.save(update_fields=["email"])
    MemberEmailChange.objects.create(member=member, old_email=old, new_email=new, note=note[:200],
                                     reason=MemberEmailChange.Reason.RELEASED, actor_label=audit.actor_label(actor))
    audit.record(actor=actor, action="members.member.email_released", target=member,
                 before={"email": old}, after={"email": new, "note": note})
    return member
