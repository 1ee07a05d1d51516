"""Every write of the members app. Keyword-only, with a required actor, atomic, audited (DESIGN.md)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, text
from backoffice.errors import Conflict, DomainError, NotFound

from .models import (
    ALLOWED_TRANSITIONS,
    ENDED_STATUSES,
    Member,
    MemberAdjustment,
    MemberEmailChange,
    MemberStatus,
    MemberType,
    Operator,
    Society,
    Status,
)
from . import selectors

Actor = Any  # an Operator, or a string such as "system: billing run 12"

MSG_EMAIL_IN_USE = _("This e-mail address is already in use.")
MSG_NUMBER_GAP = _("Assign member numbers with no member left out.")
MEMBER_NUMBER_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,19}$")
EDITABLE_MEMBER_FIELDS = (
    "name",
    "name_kana",
    "organization",
    "email",
    "member_type",
    "affiliation",
    "phone",
    "postal_code",
    "address",
    "scheduled_withdrawal_date",
)


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------


def _validate(instance, *, exclude: Sequence[str] = ()) -> None:
    """Field rules of the model (length, e-mail format, choices) as a DomainError with per-field messages."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        first_field, first_msgs = next(iter(fields.items()))
        label = first_field
        try:
            label = str(type(instance)._meta.get_field(first_field).verbose_name)
        except Exception:  # noqa: BLE001 - a non-field error has no label
            pass
        raise DomainError(
            "invalid", _("%(field)s: %(message)s") % {"field": label, "message": first_msgs[0]}, fields=fields
        ) from None


def member_snapshot(member: Member) -> dict:
    return {
        "kind": member.kind,
        "member_number": member.member_number,
        "name": member.name,
        "name_kana": member.name_kana,
        "organization": member.organization,
        "email": member.email,
        "member_type": member.member_type.code if member.member_type_id else None,
        "affiliation": member.affiliation,
        "phone": member.phone,
        "postal_code": member.postal_code,
        "address": member.address,
        "scheduled_withdrawal_date": member.scheduled_withdrawal_date,
        "apass_id": member.apass_id,
    }


def _ensure_email_free(society: Society, email: str, *, exclude_member_id: int | None = None) -> None:
    """MEM-3: one e-mail per society, whatever the status, compared case-insensitively."""
    qs = Member.objects.filter(society=society, email=text.normalize_email(email))
    if exclude_member_id is not None:
        qs = qs.exclude(pk=exclude_member_id)
    if qs.exists():
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]})


def _lock_member(member: Member) -> Member:
    return Member.objects.select_for_update().select_related("society", "member_type").get(pk=member.pk)


def status_label(status: str) -> str:
    return str(Status(status).label)


# ---------------------------------------------------------------------------------------------------
# Societies and operators (SOC-1, SOC-3)
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def society_create(*, actor: Actor, slug: str, name: str, sandbox: bool = False, **extra: Any) -> Society:
    slug = text.half_width(slug)
    if Society.objects.filter(slug=slug).exists():
        raise Conflict("invalid", _("A society with slug %(slug)s already exists.") % {"slug": slug}, fields={"slug": []})
    society = Society(slug=slug, name=name, is_sandbox=sandbox, **extra)
    _validate(society)
    society.save()
    audit.record(actor=actor, action="members.society.created", target=society, society_id=society.pk,
                 after={"slug": slug, "name": name, "is_sandbox": sandbox})
    return society


@transaction.atomic
def operator_create(
    *, actor: Actor, society: Society | None, email: str, password: str, role: str, name: str = "",
    is_superuser: bool = False,
) -> Operator:
    email = text.normalize_email(email)
    if role not in Operator.Role.values:
        raise DomainError("invalid", _("Unknown role: %(role)s") % {"role": role}, fields={"role": [role]})
    if Operator.objects.filter(society=society, email=email).exists():
        raise Conflict("email_in_use", _("An operator with this e-mail already exists in this society."),
                       fields={"email": []})
    operator = Operator(society=society, email=email, role=role, name=name, is_superuser=is_superuser)
    operator.set_password(password)
    _validate(operator, exclude=["username", "password"])
    operator.save()
    audit.record(actor=actor, action="members.operator.created", target=operator,
                 society_id=society.pk if society else None, after={"email": email, "role": role})
    return operator


# ---------------------------------------------------------------------------------------------------
# Member types (MEM-2)
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def member_type_create(*, actor: Actor, society: Society, code: str, name: str, annual_fee: int,
                       sort_order: int = 0) -> MemberType:
    code = text.normalize_code(code)
    if MemberType.objects.filter(society=society, code=code).exists():
        raise Conflict("invalid", _("The member type code %(code)s is already used.") % {"code": code},
                       fields={"code": [str(_("Already used."))]})
    member_type = MemberType(society=society, code=code, name=name, annual_fee=annual_fee, sort_order=sort_order)
    _validate(member_type, exclude=["society"])
    member_type.save()
    audit.record(actor=actor, action="members.member_type.created", target=member_type,
                 after={"code": code, "name": name, "annual_fee": annual_fee})
    return member_type


# ---------------------------------------------------------------------------------------------------
# Members (MEM-1, MEM-3)
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
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
    """Register a member as 申請中 dated ``application_date`` (default: today on the society clock)."""
    if member_type.society_id != society.pk:
        raise DomainError("invalid", _("Unknown member type."), fields={"member_type": [str(_("Unknown member type."))]})
    member = Member(
        society=society, kind=kind, name=name, name_kana=name_kana, organization=organization,
        email=text.normalize_email(email), member_type=member_type, affiliation=affiliation,
        phone=text.normalize_phone(phone), postal_code=text.half_width(postal_code), address=address,
        scheduled_withdrawal_date=scheduled_withdrawal_date,
    )
    if kind == Member.Kind.CORPORATE and not organization:
        raise DomainError("invalid", _("A corporate member needs an organisation name."),
                          fields={"organization": [str(_("This field is required."))]})
    _validate(member, exclude=["society", "member_type"])
    Society.objects.select_for_update().filter(pk=society.pk).first()  # serialise the e-mail check
    _ensure_email_free(society, member.email)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]}) from None
    day = application_date or clock.today(society)
    MemberStatus.objects.create(member=member, status=Status.APPLYING, effective_date=day)
    audit.record(actor=actor, action="members.member.created", target=member,
                 after={**member_snapshot(member), "status": Status.APPLYING, "application_date": day})
    return member


@transaction.atomic
def member_update(*, actor: Actor, member: Member, **changes: Any) -> Member:
    """[会員情報変更]. A linked member's e-mail belongs to the A-Pass and cannot be edited (APS-3)."""
    unknown = set(changes) - set(EDITABLE_MEMBER_FIELDS)
    if unknown:
        raise DomainError("invalid", _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    member = _lock_member(member)
    before = member_snapshot(member)
    if "email" in changes:
        changes["email"] = text.normalize_email(changes["email"] or "")
    if "phone" in changes:
        changes["phone"] = text.normalize_phone(changes["phone"] or "")
    if "postal_code" in changes:
        changes["postal_code"] = text.half_width(changes["postal_code"] or "")
    if "member_type" in changes and changes["member_type"].society_id != member.society_id:
        raise DomainError("invalid", _("Unknown member type."), fields={"member_type": [str(_("Unknown member type."))]})
    email_changed = "email" in changes and changes["email"] != member.email
    if email_changed and member.apass_id is not None:
        raise Conflict(
            "email_locked_by_apass",
            _("This member's login is linked to an A-Pass, so the e-mail address cannot be edited here. "
              "The member changes it on My Page, or the secretariat unlinks the login first."),
            fields={"email": []},
        )
    for field, value in changes.items():
        setattr(member, field, value)
    if member.kind == Member.Kind.CORPORATE and not member.organization:
        raise DomainError("invalid", _("A corporate member needs an organisation name."),
                          fields={"organization": [str(_("This field is required."))]})
    _validate(member, exclude=["society", "member_type"])
    if email_changed:
        _ensure_email_free(member.society, member.email, exclude_member_id=member.pk)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]}) from None
    if email_changed:
        MemberEmailChange.objects.create(member=member, old_email=before["email"], new_email=member.email,
                                         reason=MemberEmailChange.Reason.EDITED, actor_label=audit.actor_label(actor))
    changed_before, changed_after = _changed(before, member_snapshot(member))
    audit.record(actor=actor, action="members.member.updated", target=member,
                 before=changed_before, after=changed_after)
    return member


@transaction.atomic
def member_email_release(*, actor: Actor, member: Member, note: str = "") -> Member:
    """MEM-3: rewrite a withdrawn record's e-mail so the person can re-apply with it as a new record.

    The old address stays in the record's e-mail history and the audit trail."""
    member = _lock_member(member)
    current = member.status_on(clock.today(member.society))
    if current not in ENDED_STATUSES:
        raise Conflict(
            "member_not_withdrawn",
            _("Only the e-mail of a withdrawn, expelled or application-withdrawn record can be released."),
        )
    if member.apass_id is not None:
        raise Conflict(
            "email_locked_by_apass",
            _("This member's login is linked to an A-Pass; unlink it before releasing the e-mail address."),
        )
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


# ---------------------------------------------------------------------------------------------------
# Status history (MEM-4 … MEM-7)
# ---------------------------------------------------------------------------------------------------

MSG_SAME_DAY = _(
    "Two member statuses cannot be registered on the same date. When the application date and the joining "
    "date are the same day, edit the 'applying' entry in [Member status history] into 'joined / active'."
)


def _check_transition(member: Member, previous: str | None, new: str) -> None:
    if previous is None:
        allowed = {Status.APPLYING}
    else:
        allowed = ALLOWED_TRANSITIONS[Status(previous)]
    if new not in allowed:
        raise Conflict(
            "invalid_transition",
            _("The member status cannot change from %(old)s to %(new)s (%(member)s).")
            % {"old": status_label(previous) if previous else "—", "new": status_label(new), "member": member},
            fields={"status": []},
        )


def _check_status_value(status: str) -> None:
    if status not in Status.values:
        raise DomainError("invalid", _("Unknown member status: %(status)s") % {"status": status},
                          fields={"status": [str(_("Unknown member status."))]})


@transaction.atomic
def member_status_add(*, actor: Actor, member: Member, status: str, effective_date: datetime.date,
                      note: str = "", _action: str = "members.member.status_added") -> MemberStatus:
    """[会員状況変更・変更予定登録]: a new dated entry after the latest one (MEM-4, MEM-5)."""
    _check_status_value(status)
    member = _lock_member(member)
    latest = member.statuses.order_by("-effective_date").first()
    if latest is not None:
        if effective_date == latest.effective_date:
            raise Conflict("status_same_day", MSG_SAME_DAY, fields={"effective_date": []})
        if effective_date < latest.effective_date:
            raise Conflict(
                "status_date_too_early",
                _("The date must be after the latest status entry (%(date)s).") % {"date": latest.effective_date.isoformat()},
                fields={"effective_date": []},
            )
    _check_transition(member, latest.status if latest else None, status)
    entry = MemberStatus(member=member, status=status, effective_date=effective_date, note=note)
    _validate(entry, exclude=["member"])
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise Conflict("status_same_day", MSG_SAME_DAY) from None
    audit.record(actor=actor, action=_action, target=member,
                 before={"latest": {"status": latest.status, "effective_date": latest.effective_date} if latest else None},
                 after={"status": status, "effective_date": effective_date, "note": note})
    return entry


@transaction.atomic
def member_status_edit(*, actor: Actor, entry: MemberStatus, status: str | None = None,
                       effective_date: datetime.date | None = None, note: str | None = None) -> MemberStatus:
    """Edit one entry of [会員状況履歴]. MEM-5's exception: the 申請中 entry edited into 入会/在会 when the
    application and joining dates are the same day. The history must stay a valid chain of transitions."""
    member = _lock_member(entry.member)
    entries = list(member.statuses.order_by("effective_date"))
    index = next(i for i, e in enumerate(entries) if e.pk == entry.pk)
    entry = entries[index]
    previous = entries[index - 1] if index > 0 else None
    following = entries[index + 1] if index + 1 < len(entries) else None
    before = {"status": entry.status, "effective_date": entry.effective_date, "note": entry.note}
    new_status = status if status is not None else entry.status
    new_date = effective_date if effective_date is not None else entry.effective_date
    _check_status_value(new_status)
    if new_date != entry.effective_date:
        if any(e.effective_date == new_date for e in entries if e.pk != entry.pk):
            raise Conflict("status_same_day", MSG_SAME_DAY, fields={"effective_date": []})
        if (previous and new_date < previous.effective_date) or (following and new_date > following.effective_date):
            raise Conflict(
                "status_date_too_early",
                _("The date must stay between the neighbouring status entries."),
                fields={"effective_date": []},
            )
    if previous is None:
        if new_status not in (Status.APPLYING, Status.ACTIVE):
            _check_transition(member, None, new_status)
    else:
        _check_transition(member, previous.status, new_status)
    if following is not None:
        _check_transition(member, new_status, following.status)
    entry.status = new_status
    entry.effective_date = new_date
    if note is not None:
        entry.note = note
    _validate(entry, exclude=["member"])
    entry.save()
    audit.record(actor=actor, action="members.member.status_edited", target=member, before=before,
                 after={"status": entry.status, "effective_date": entry.effective_date, "note": entry.note})
    return entry


def member_application_withdraw(*, actor: Actor, member: Member, effective_date: datetime.date,
                                note: str = "") -> MemberStatus:
    """[入会申請取下] (MEM-7): a mistaken application is cancelled by adding 申請取下."""
    return member_status_add(actor=actor, member=member, status=Status.APPLICATION_WITHDRAWN,
                             effective_date=effective_date, note=note,
                             _action="members.member.application_withdrawn")


@transaction.atomic
def member_status_bulk_update(*, actor: Actor, society: Society, member_ids: Iterable[int], status: str,
                              effective_date: datetime.date) -> int:
    """[会員状況の一括更新] (MEM-6): all or none; the date must be on or after the latest existing entry date
    among all targets plus one day, and the refusal names that earliest allowed date."""
    _check_status_value(status)
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        raise DomainError("invalid", _("Select at least one member."), fields={"member_ids": []})
    members = list(Member.objects.select_for_update().filter(society=society, pk__in=ids).order_by("pk"))
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
        _check_transition(member, latest.status if latest else None, status)
    MemberStatus.objects.bulk_create(
        [MemberStatus(member=m, status=status, effective_date=effective_date) for m in members]
    )
    audit.record(actor=actor, action="members.member.status_bulk_updated", society_id=society.pk,
                 after={"status": status, "effective_date": effective_date, "member_ids": ids})
    return len(members)


# ---------------------------------------------------------------------------------------------------
# Member numbers (NUM-1, NUM-2)
# ---------------------------------------------------------------------------------------------------


@transaction.atomic
def member_numbers_assign(*, actor: Actor, society: Society, assignments: Sequence[tuple[int, str]]) -> int:
    """[会員番号採番]: numbers for every member waiting for one, at once, with no gap and no duplicate."""
    # One assignment at a time per society: two operators can never hand out the same number.
    Society.objects.select_for_update().filter(pk=society.pk).first()
    pending = list(selectors.members_pending_number(society).select_for_update(of=("self",)))
    pending_ids = {m.pk for m in pending}
    wanted: dict[int, str] = {}
    listed: set[int] = set()
    for member_id, raw in assignments:
        number = text.normalize_code(raw or "")
        if int(member_id) not in pending_ids:
            raise DomainError(
                "invalid", _("Member %(id)s is not waiting for a member number.") % {"id": member_id},
                fields={"assignments": []},
            )
        if int(member_id) in listed:  # listed twice: which number was meant is anyone's guess
            raise DomainError(
                "invalid", _("Member %(id)s is listed more than once.") % {"id": member_id},
                fields={"assignments": []},
            )
        listed.add(int(member_id))
        if number and not MEMBER_NUMBER_RE.match(number):
            raise DomainError(
                "invalid",
                _("A member number is up to 20 half-width letters, digits and hyphens: %(number)s") % {"number": number},
                fields={"member_number": []},
            )
        if number:
            wanted[int(member_id)] = number
    if not pending or set(wanted) != pending_ids:
        raise DomainError("member_number_gap", MSG_NUMBER_GAP, fields={"assignments": [str(MSG_NUMBER_GAP)]})
    seen: dict[str, int] = {}
    by_id = {m.pk: m for m in pending}
    for member_id, number in wanted.items():
        if number in seen:
            other = by_id[seen[number]]
            raise Conflict(
                "member_number_taken",
                _("Member number %(number)s is already assigned to %(holder)s.")
                % {"number": number, "holder": other.name},
                fields={"member_number": []},
            )
        seen[number] = member_id
    holder = (
        Member.objects.filter(society=society, member_number__in=list(wanted.values()))
        .order_by("member_number")
        .first()
    )
    if holder is not None:
        raise Conflict(
            "member_number_taken",
            _("Member number %(number)s is already assigned to %(holder)s.")
            % {"number": holder.member_number, "holder": holder.name},
            fields={"member_number": []},
        )
    for member in pending:
        member.member_number = wanted[member.pk]
    try:
        with transaction.atomic():
            Member.objects.bulk_update(pending, ["member_number"])
    except IntegrityError:
        raise Conflict(
            "member_number_taken", _("One of these member numbers was assigned by someone else just now."),
        ) from None
    audit.record(actor=actor, action="members.member_number.assigned", society_id=society.pk,
                 after={"assignments": {str(k): v for k, v in sorted(wanted.items())}})
    return len(pending)


# ---------------------------------------------------------------------------------------------------
# Adjustments (ADJ-1)
# ---------------------------------------------------------------------------------------------------

MAX_ADJUSTMENT = 10_000_000


@transaction.atomic
def member_adjustment_add(*, actor: Actor, member: Member, kind: str, amount: int, note: str = "") -> MemberAdjustment:
    if kind not in MemberAdjustment.Kind.values:
        raise DomainError("invalid", _("Unknown adjustment kind: %(kind)s") % {"kind": kind}, fields={"kind": []})
    if amount == 0 or abs(amount) > MAX_ADJUSTMENT:
        raise DomainError(
            "invalid", _("The adjustment amount must be non-zero and at most 10,000,000 yen either way."),
            fields={"amount": []},
        )
    member = _lock_member(member)
    adjustment = MemberAdjustment(member=member, kind=kind, amount=amount, note=note)
    _validate(adjustment, exclude=["member"])
    adjustment.save()
    audit.record(actor=actor, action="members.adjustment.added", target=member,
                 after={"kind": kind, "amount": amount, "note": note, "adjustment_id": adjustment.pk})
    return adjustment


# ---------------------------------------------------------------------------------------------------
# Settings screens: societies, operators, member types
# ---------------------------------------------------------------------------------------------------

SOCIETY_EDITABLE = ("name", "contract_status", "fiscal_year_start_month", "bank_account_text",
                    "accepted_payment_methods", "lapse_threshold_years", "timezone")


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@transaction.atomic
def society_update(*, actor: Actor, society: Society, **changes: Any) -> Society:
    unknown = set(changes) - set(SOCIETY_EDITABLE)
    if unknown:
        raise DomainError("invalid", _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    society = Society.objects.select_for_update().get(pk=society.pk)
    before = {k: getattr(society, k) for k in changes}
    for key, value in changes.items():
        setattr(society, key, value)
    _validate(society)
    society.save()
    b, a = _changed(before, {k: getattr(society, k) for k in changes})
    audit.record(actor=actor, action="members.society.updated", target=society, society_id=society.pk, before=b, after=a)
    return society


@transaction.atomic
def operator_update(*, actor: Actor, operator: Operator, name: str | None = None, role: str | None = None,
                    is_active: bool | None = None, password: str | None = None) -> Operator:
    operator = Operator.objects.select_for_update().get(pk=operator.pk)
    before = {"name": operator.name, "role": operator.role, "is_active": operator.is_active}
    if role is not None:
        if role not in Operator.Role.values:
            raise DomainError("invalid", _("Unknown role: %(role)s") % {"role": role}, fields={"role": [role]})
        operator.role = role
    if name is not None:
        operator.name = name
    if is_active is not None:
        operator.is_active = is_active
    if password:
        operator.set_password(password)
    _validate(operator, exclude=["username", "password"])
    operator.save()
    b, a = _changed(before, {"name": operator.name, "role": operator.role, "is_active": operator.is_active})
    if password:
        a["password"] = "(changed)"
    audit.record(actor=actor, action="members.operator.updated", target=operator, before=b, after=a)
    return operator


@transaction.atomic
def member_type_update(*, actor: Actor, member_type: MemberType, name: str | None = None,
                       annual_fee: int | None = None, sort_order: int | None = None) -> MemberType:
    member_type = MemberType.objects.select_for_update().get(pk=member_type.pk)
    before = {"name": member_type.name, "annual_fee": member_type.annual_fee, "sort_order": member_type.sort_order}
    if name is not None:
        member_type.name = name
    if annual_fee is not None:
        member_type.annual_fee = annual_fee
    if sort_order is not None:
        member_type.sort_order = sort_order
    _validate(member_type, exclude=["society"])
    member_type.save()
    b, a = _changed(before, {"name": member_type.name, "annual_fee": member_type.annual_fee,
                             "sort_order": member_type.sort_order})
    audit.record(actor=actor, action="members.member_type.updated", target=member_type, before=b, after=a)
    return member_type
