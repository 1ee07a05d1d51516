"""Pieces every members service shares: model field checks, locking, snapshots, contact formats."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from backoffice import text
from backoffice.errors import Conflict, DomainError

from ..models import Member, Society
from ..selectors import MSG_EMAIL_IN_USE  # noqa: F401  (the one message; re-exported)

_PHONE_RE = re.compile(r"^\+?[0-9()\- ]+$")
_POSTAL_RE = re.compile(r"^(\d{3})-?(\d{4})$")


def validate_model(instance, *, exclude: Sequence[str] = ()) -> None:
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


def take_turns(key: str) -> None:
    """SEC-2: until this transaction ends, other attempts that take turns on ``key`` (one account, one client
    address) wait — so that concurrent attempts count each other's failures and the limit is exact.

    PostgreSQL: a transaction-scoped advisory lock keyed by ``key``, so only attempts on the same key wait for each
    other. SQLite: nothing to do, its transactions begin IMMEDIATE and take turns anyway (backoffice/settings).
    Read the clock after taking the turn, or a later attempt's log would lie after an earlier one's "now"."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def over_limit(attempts: QuerySet, *, now: datetime.datetime, window: datetime.timedelta, limit: int) -> bool:
    """SEC-2's count: whether ``attempts`` (a log queryset, already narrowed to the account or the address and to
    what counts) holds ``limit`` or more rows ``at`` within ``window`` before ``now`` (the society clock)."""
    return attempts.filter(at__gt=now - window, at__lte=now).count() >= limit


def lock_member(member: Member) -> Member:
    # of=self: the member's row only. Without it PostgreSQL locks the joined society row FOR UPDATE too, which
    # serialised a society's writers and deadlocked with a transaction that holds the society's audit chain head
    # and checks its deferred keys to the society (FOR KEY SHARE) at commit (issue 15 §3, found by bench/load.py).
    return Member.objects.select_for_update(of=("self",)).select_related("society", "member_type").get(pk=member.pk)


def lock_society(society: Society) -> None:
    """Serialise the society-wide checks (one e-mail per society, one number per society)."""
    Society.objects.select_for_update().filter(pk=society.pk).first()


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


def ensure_email_free(society: Society, email: str, *, exclude_member_id: int | None = None) -> None:
    """MEM-3: one e-mail per society, whatever the status, compared case-insensitively."""
    qs = Member.objects.filter(society=society, email=text.normalize_email(email))
    if exclude_member_id is not None:
        qs = qs.exclude(pk=exclude_member_id)
    if qs.exists():
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]})


def clean_phone(value: str) -> str:
    """Digits with hyphens, parentheses, spaces or a leading +; 6 to 15 digits. Empty is allowed."""
    phone = text.normalize_phone(value or "")
    if not phone:
        return ""
    digits = text.phone_digits(phone)
    if not _PHONE_RE.match(phone) or not 6 <= len(digits) <= 15:
        message = _("Enter a phone number in digits, e.g. 03-1234-5678.")
        raise DomainError("invalid", _("%(field)s: %(message)s") % {"field": _("phone"), "message": message},
                          fields={"phone": [str(message)]})
    return phone


def clean_postal_code(value: str) -> str:
    """A Japanese postal code, stored as NNN-NNNN. Empty is allowed."""
    postal = text.normalize_phone(value or "").replace(" ", "")
    if not postal:
        return ""
    match = _POSTAL_RE.match(postal)
    if not match:
        message = _("Enter a postal code as 7 digits, e.g. 113-0033.")
        raise DomainError("invalid", _("%(field)s: %(message)s") % {"field": _("postal code"), "message": message},
                          fields={"postal_code": [str(message)]})
    return f"{match.group(1)}-{match.group(2)}"


def require_corporate_organization(member: Member) -> None:
    if member.kind == Member.Kind.CORPORATE and not member.organization:
        raise DomainError("invalid", _("A corporate member needs an organisation name."),
                          fields={"organization": [str(_("This field is required."))]})
