"""A-Pass, the shared login ID (APS-1 … APS-6): issuing one (the member's own act, on the My Page simulator),
the diagnosed My Page sign-in that links a member (APS-3, APS-6) and the secretariat's unlink (APS-4).

Passwords are only ever handled as Django hashes (``make_password`` / ``check_password``): no service
returns, logs or audits one (APS-2)."""

from __future__ import annotations

import dataclasses
import datetime
import unicodedata
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, text
from backoffice.http import ip_or_none
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, check_society, service
from mail.services import mail_send, render_mail

from .. import selectors
from ..models import APass, APassUnlink, Member, MemberEmailChange, MyPageSignIn, Society
from ._common import MSG_EMAIL_IN_USE, lock_member, lock_society, over_limit, take_turns

MSG_RATE_LIMITED = _("Too many failed sign-ins. Wait a while and try again.")
MSG_INVALID_EMAIL = _("Enter a valid e-mail address.")
MSG_PASSWORD_REQUIRED = _("Enter a password.")

#: API.md "Rate limits": 10 failed sign-ins for one account within 15 minutes (society clock) …
RATE_LIMIT_FAILURES = 10
RATE_LIMIT_WINDOW = datetime.timedelta(minutes=15)
#: … or 100 failed ones from one client address (on one society's My Page) within the same window.
RATE_LIMIT_ADDRESS_FAILURES = 100


def _notify_unlinked(*, actor: Actor, member: Member, old_email: str, new_email: str) -> None:
    """The unlink notice (MAIL-2 ``apass_unlinked``) to the member's new address: an outbox row written in the
    unlink's transaction, sent after commit."""
    subject, body = render_mail(member.society, "apass_unlinked",
                                {"name": member.name, "old_email": old_email, "new_email": new_email})
    mail_send(actor=actor, society=member.society, kind="apass_unlinked", to=new_email, subject=subject, body=body,
              member_id=member.pk)


def _clean_email(value: str, field: str = "email") -> str:
    email = text.normalize_email(value or "")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("invalid", MSG_INVALID_EMAIL, fields={field: [str(MSG_INVALID_EMAIL)]}) from None
    return email


@service(permission=None)
def apass_create(*, actor: Actor, society: Society, email: str, password: str, recovery_contact: str = "") -> APass:
    """APS-1: issue an A-Pass — the member's own act on the My Page simulator of ``society`` (whose clock
    dates it). One A-Pass per address, case-insensitively (409 ``email_in_use``). APS-2: hash only."""
    check_society(actor, society.pk)
    email = _clean_email(email)
    if not password:
        raise DomainError("invalid", MSG_PASSWORD_REQUIRED, fields={"password": [str(MSG_PASSWORD_REQUIRED)]})
    recovery_contact = text.half_width(recovery_contact or "")[:200]
    if APass.objects.filter(email__iexact=email).exists():
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]})
    try:
        apass = APass.objects.create(email=email, password=make_password(password),
                                     recovery_contact=recovery_contact, issued_at=clock.now(society))
    except IntegrityError:  # a concurrent issue of the same address
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"email": [str(MSG_EMAIL_IN_USE)]}) from None
    audit.record(actor=actor, action="members.apass.issued", target=apass, society_id=society.pk,
                 after={"email": apass.email,  # the contact itself is no operator's to read: registered or not
                        "recovery_contact_registered": selectors.apass_has_recovery_contact(apass)})
    return apass


@dataclasses.dataclass(frozen=True)
class SignInResult:
    ok: bool
    reason: str
    linked: bool
    member: Member | None = None
    message: Any = ""  # lazy: rendered in the active language


def _password_reason(apass: APass, password: str) -> str:
    """APS-6: right password, or a diagnosis of the wrong one (Caps Lock inverted, full width typed)."""
    if check_password(password, apass.password):
        return MyPageSignIn.Reason.OK
    if password and check_password(password.swapcase(), apass.password):
        return MyPageSignIn.Reason.PASSWORD_CAPS_LOCK
    halved = unicodedata.normalize("NFKC", password or "")
    if halved != password and check_password(halved, apass.password):
        return MyPageSignIn.Reason.PASSWORD_WIDTH
    return MyPageSignIn.Reason.WRONG_PASSWORD


def mypage_sign_in(*, actor: Actor, society: Society, email: str, password: str,
                   client_address: str | None = None) -> SignInResult:
    """APS-3/APS-6: a My Page sign-in on ``society``'s site, logged with its diagnosed reason (``_mypage_sign_in``).

    The password is diagnosed here — up to three hashes (as typed, Caps Lock inverted, half width) — before the
    service takes its locks: on SQLite every transaction holds the database's write lock, on PostgreSQL the turn
    of the client address, so that every writer (or every member at one address) would wait for each hash (the
    operator sign-in's defect found by bench/load.py). The locked part reuses the diagnosis while the A-Pass's
    stored hash is still the one checked; an attempt the unlocked counts already find rate-limited hashes nothing."""
    check_society(actor, society.pk)
    typed = email or ""
    apass = APass.objects.filter(email=typed.lower()).first() if typed else None
    checked: dict[tuple[int, str], str] = {}
    if apass is not None and not _mypage_rate_limited(society, apass, ip_or_none(client_address)):
        checked[(apass.pk, apass.password)] = _password_reason(apass, password)
    return _mypage_sign_in(actor=actor, society=society, email=email, password=password,
                           client_address=client_address, checked=checked)


def _mypage_failures(society: Society, now, limit: int, **where) -> bool:
    failed = MyPageSignIn.objects.filter(society=society, **where).exclude(
        reason__in=[MyPageSignIn.Reason.OK, MyPageSignIn.Reason.RATE_LIMITED])
    return over_limit(failed, now=now, window=RATE_LIMIT_WINDOW, limit=limit)


def _mypage_rate_limited(society: Society, apass: APass, client_address: str | None) -> bool:
    """The limits as the log stands, read without the locks: only to spare a refused attempt the hashes."""
    now = clock.now(society)
    return bool((client_address and _mypage_failures(society, now, RATE_LIMIT_ADDRESS_FAILURES,
                                                     client_address=client_address))
                or _mypage_failures(society, now, RATE_LIMIT_FAILURES, apass=apass))


@service(permission=None)
def _mypage_sign_in(*, actor: Actor, society: Society, email: str, password: str, client_address: str | None,
                    checked: dict[tuple[int, str], str]) -> SignInResult:
    """The attempt's decision and its log entry (``mypage_sign_in`` has checked the password before it).

    Strict on purpose: the ID must equal the A-Pass e-mail except for letter case (a full-width ID fails,
    diagnosed ``id_width_or_case``). A success links the member whose e-mail is the A-Pass e-mail unless
    their status is 退会/除名/申請取下 (``not_eligible``) or a past unlink bars that A-Pass from them.

    Rate limits (API.md): 10 failures for one A-Pass, or 100 from one ``client_address`` (the caller passes
    ``backoffice.http.client_address(request)``), within 15 minutes of the society clock → ``rate_limited``,
    the right password included, until the window passes. Refused attempts are logged but do not count."""
    check_society(actor, society.pk)
    typed = email or ""
    reasons = MyPageSignIn.Reason
    client_address = ip_or_none(client_address)
    if client_address:
        # Attempts from one address take turns, so that concurrent ones count each other's failures (the 100th is
        # exact) — and read the clock once it is their turn, or a later attempt's log would lie after their "now".
        take_turns(f"mypage-sign-in:{society.pk}:{client_address}")
    now = clock.now(society)

    def log(reason: str, apass: APass | None = None, member: Member | None = None, *, linked: bool = False,
            message: Any = "") -> SignInResult:
        MyPageSignIn.objects.create(society=society, apass=apass, member=member, typed_id=typed[:300],
                                    reason=reason, at=now, client_address=client_address)
        return SignInResult(ok=reason == reasons.OK, reason=str(reason), linked=linked, member=member,
                            message=message)

    def too_many_failures(limit: int, **where) -> bool:
        return _mypage_failures(society, now, limit, **where)

    # Per address first: guessing IDs from one address is refused whatever ID is typed.
    apass = APass.objects.filter(email=typed.lower()).first() if typed else None
    if client_address and too_many_failures(RATE_LIMIT_ADDRESS_FAILURES, client_address=client_address):
        return log(reasons.RATE_LIMITED, apass, message=MSG_RATE_LIMITED)  # shown on that account's log too
    if apass is None:
        near = APass.objects.filter(email=text.normalize_email(typed)).first() if typed.strip() else None
        return log(reasons.ID_WIDTH_OR_CASE if near else reasons.UNKNOWN_ID, near)
    # Lock the account's row so that concurrent attempts count each other's failures.
    apass = APass.objects.select_for_update().get(pk=apass.pk)
    if too_many_failures(RATE_LIMIT_FAILURES, apass=apass):
        return log(reasons.RATE_LIMITED, apass, message=MSG_RATE_LIMITED)
    reason = checked.get((apass.pk, apass.password)) or _password_reason(apass, password)  # changed meanwhile: again
    if reason != reasons.OK:
        return log(reason, apass)
    member = selectors.apass_member_in(society, apass)
    if member is None:
        return log(reasons.NO_MEMBERSHIP_HERE, apass)
    if member.apass_id == apass.pk:
        return log(reasons.OK, apass, member, linked=True)
    # A link racing an unlink (or any member write): decide on the locked row, taking the locks in the order every
    # members service does — (A-Pass,) society, member — or a writer holding the society and waiting for this
    # member would deadlock with this sign-in's log, whose foreign key needs the society (PostgreSQL).
    lock_society(society)
    member = lock_member(member)
    refusal = selectors.apass_link_refusal(member, apass)
    if refusal is not None:
        eligible = refusal.message is not selectors.MSG_APASS_NOT_ELIGIBLE  # barred by an unlink: not this record
        reason = reasons.NO_MEMBERSHIP_HERE if eligible else reasons.NOT_ELIGIBLE
        return log(reason, apass, member, message=refusal.message)
    member.apass = apass
    member.apass_linked_at = now
    member.save(update_fields=["apass", "apass_linked_at"])
    audit.record(actor=actor, action="members.member.apass_linked", target=member,
                 before={"apass": None}, after={"apass": apass.email, "apass_linked_at": now.isoformat()})
    return log(reasons.OK, apass, member, linked=True)


@service(permission="can_write")
def apass_unlink(*, actor: Actor, member: Member, new_email: str) -> Member:
    """APS-4: ログイン情報の統合解除. Replaces the member's e-mail by ``new_email`` (MEM-3), removes the link and
    keeps an :class:`APassUnlink` (who, when, old and new e-mail), which bars that A-Pass from this member
    for good. 409 ``apass_not_linked`` when the member is not (or no longer) linked."""
    check_society(actor, member.society_id)
    new = _clean_email(new_email, "new_email")
    # Lock order as in mypage_sign_in: the A-Pass first, then the society and the member. A sign-in holds its
    # A-Pass row and then needs the society and member rows (its log's foreign keys, or the link); the unlink's
    # record needs the A-Pass row. Locking the society or the member first deadlocked the two on PostgreSQL
    # (tests/members/test_apass_concurrency.py).
    linked_to = Member.objects.filter(pk=member.pk).values_list("apass_id", flat=True).first()
    if linked_to is not None:
        APass.objects.select_for_update().filter(pk=linked_to).first()
    lock_society(member.society)
    member = lock_member(member)
    refusal = selectors.apass_unlink_refusal(member, new)
    if refusal is not None:
        raise refusal
    apass = member.apass
    old = member.email
    now = clock.now(member.society)
    try:
        APassUnlink.objects.create(member=member, apass=apass, old_email=old, new_email=new,
                                   actor_label=audit.actor_label(actor)[:255], at=now)
    except IntegrityError:
        raise Conflict("apass_not_linked", selectors.MSG_APASS_NOT_LINKED) from None  # this pair was unlinked before
    member.email = new
    member.apass = None
    member.apass_linked_at = None
    member.save(update_fields=["email", "apass", "apass_linked_at"])
    MemberEmailChange.objects.create(member=member, old_email=old, new_email=new,
                                     reason=MemberEmailChange.Reason.UNLINKED, actor_label=audit.actor_label(actor))
    audit.record(actor=actor, action="members.member.apass_unlinked", target=member,
                 before={"email": old, "apass": apass.email}, after={"email": new, "apass": None})
    _notify_unlinked(actor=actor, member=member, old_email=old, new_email=new)
    return member
