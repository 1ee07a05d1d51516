"""Operator sign-in (SOC-4 … SOC-6, SEC-2; API.md "Sign-in reasons", "Rate limits"; seed 001).

Every attempt at every door — a society's own page ``/office/<slug>/login/``, the general page (``/login/``,
``/admin/login/``: the contract holder, i.e. a society's administrator, and the platform's accounts) and the
API token endpoint — goes through :func:`operator_sign_in`, which diagnoses the reason in seed 001's terms and
logs it (:class:`OperatorSignIn`). A refused visitor is told only what does not reveal whether an account exists:
the general message, or — when the e-mail and password were right — which page is theirs to use.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.contrib.auth import hashers
from django.utils.translation import gettext_lazy as _

from backoffice import clock, text
from backoffice.http import ip_or_none
from backoffice.services import Actor, service

from ..models import Operator, OperatorSignIn, Society
from . import two_step
from ._common import over_limit, take_turns

#: API.md "Rate limits": 10 failed sign-ins for one account within 15 minutes (society clock) …
RATE_LIMIT_FAILURES = 10
RATE_LIMIT_WINDOW = datetime.timedelta(minutes=15)
#: … or 100 failed ones from one address.
RATE_LIMIT_ADDRESS_FAILURES = 100

#: seed 001 原因⑥, word for word; also what every refusal that must not reveal an account says
MSG_NO_SUCH_LOGIN = _("There is no login for this combination of e-mail address and password.")
MSG_RATE_LIMITED = _("Too many failed sign-ins. Wait a while and try again.")
MSG_USE_SOCIETY_PAGE = _("Operators sign in at their society's operator sign-in page: %(url)s")
#: SOC-4: said only once the password proved the visitor is that operator (a guesser is told MSG_NO_SUCH_LOGIN)
MSG_OTHER_SOCIETY_PAGE = _("This sign-in page belongs to another society. Sign in at your society's operator "
                           "sign-in page: %(url)s")

Reason = OperatorSignIn.Reason
Door = OperatorSignIn.Door


def society_login_path(society: Society) -> str:
    return f"/office/{society.slug}/login/"


@dataclasses.dataclass(frozen=True)
class OperatorSignInResult:
    ok: bool
    reason: str
    operator: Operator | None  # the operator signed in (only when ok)
    message: Any  # what the visitor is told when refused


def operator_sign_in_allowed(operator: Operator) -> str | None:
    """SOC-5: why ``operator`` may not sign in at all (deleted or deactivated, or its society's contract is not
    active), as a reason code; None when it may. The authentication backend asks this for every session."""
    if operator.deleted_at is not None or not operator.is_active:
        return Reason.OPERATOR_DELETED
    society = operator.society
    if society is not None and society.contract_status != society.ContractStatus.ACTIVE:
        return Reason.CONTRACT_INACTIVE
    return None


def _candidates(society: Society | None, email: str) -> list[Operator]:
    """The operators an e-mail names in a society (legacy duplicates differ in letter case: SOC-5 detects them)."""
    where = {"society__isnull": True} if society is None else {"society": society}
    found = list(Operator.objects.select_related("society").filter(email__iexact=email, **where)[:5])
    live = [operator for operator in found if operator.deleted_at is None]
    return live or found[:1]  # a deleted operator is diagnosed only when no live one has the e-mail


class _Passwords:
    """The password checks of one attempt, made before its transaction (issue 15 §3).

    A check hashes the typed password (PBKDF2, a quarter of a second of CPU and more on a busy machine). Made inside
    the service's transaction it held the locks the rate limits take turns on — on SQLite the database's write lock
    (every transaction begins IMMEDIATE), on PostgreSQL the advisory lock of the client address, which every
    operator of one office shares — so every writer of the site, or every sign-in from that office, waited for each
    hash in turn. :func:`operator_sign_in` makes the checks first, outside any lock; the locked part reuses each
    result while the operator's stored hash is still the one checked, and checks again (rare: the password was
    changed meanwhile) otherwise. A hash to upgrade (Django's hasher settings changed) is saved inside, as
    ``Operator.check_password`` would."""

    def __init__(self, password: str):
        self.password = password
        self.checked: dict[tuple[int, str], tuple[bool, bool]] = {}  # (pk, stored hash) → (correct, to upgrade)
        self.hashed = False

    def precheck(self, operator: Operator) -> bool:
        key = (operator.pk, operator.password)
        if key not in self.checked:
            upgrade = []
            correct = hashers.check_password(self.password, operator.password, setter=lambda raw: upgrade.append(1))
            self.checked[key] = (correct, bool(upgrade))
            self.hashed = True
        return self.checked[key][0]

    def check(self, operator: Operator) -> bool:
        """``operator.check_password`` (hash upgrade included) from the result made before the locks."""
        correct, upgrade = self.checked.get((operator.pk, operator.password)) or (None, False)
        if correct is None:
            return operator.check_password(self.password)
        if correct and upgrade:
            operator.set_password(self.password)
            operator.save(update_fields=["password"])
        return correct

    def dummy(self) -> None:
        """The work of a real check when no account fits: no timing oracle (done once, before the locks)."""
        if not self.hashed:
            Operator().set_password(self.password)
            self.hashed = True


def _others(email: str, society: Society | None) -> list[Operator]:
    others = Operator.objects.select_related("society").filter(email__iexact=email)
    others = others.exclude(society=society) if society is not None else others.exclude(society__isnull=True)
    return list(others[:5])


def _elsewhere(email: str, passwords: _Passwords, society: Society | None) -> Operator | None:
    """An operator of another society (or of the platform) whose e-mail and password these are."""
    for operator in _others(email, society):
        if passwords.check(operator):
            return operator
    return None


def _page_for(operator: Operator) -> str:
    return society_login_path(operator.society) if operator.society_id else "/login/"


def _may_use_general_page(operator: Operator) -> bool:
    """SOC-4: the general page is the contract holder's — a society's administrator — and the platform's."""
    return operator.society_id is None or operator.is_superuser or operator.role == Operator.Role.ADMIN


def operator_sign_in(*, actor: Actor, door: str, email: str, password: str, society: Society | None = None,
                     society_slug: str | None = None, client_address: str | None = None,
                     ended_operator: Operator | None = None, otp: str | None = None) -> OperatorSignInResult:
    """One sign-in attempt, diagnosed and logged. ``society`` is the society of the page used (a society page)
    or named in the request (``society_slug``: the general page's 学会ID, the token's ``society``); neither for the
    platform's accounts. Never raises for a refusal: the caller shows ``message`` (the log stays either way).

    The passwords are checked here, before the service :func:`_operator_sign_in` takes its locks and decides
    (``_Passwords``); an attempt the unlocked counts already find rate-limited hashes nothing."""
    typed = (email or "").strip()
    normalized = text.normalize_email(typed) if typed else ""
    address = ip_or_none(client_address)
    passwords = _Passwords(password or "")
    found = society
    if found is None and society_slug:
        found = Society.objects.filter(slug=text.half_width(society_slug)).first()
    if normalized and not _rate_limited(found, normalized, address):
        candidates = [] if society_slug and found is None else _candidates(found, normalized)
        if len(candidates) == 1:
            if operator_sign_in_allowed(candidates[0]) is None:
                passwords.precheck(candidates[0])
        elif not candidates and password:
            for operator in _others(normalized, found):
                if passwords.precheck(operator):
                    break
        if not candidates:
            passwords.dummy()
    return _operator_sign_in(actor=actor, door=door, typed=typed, normalized=normalized, passwords=passwords,
                             society=society, society_slug=society_slug, address=address,
                             ended_operator=ended_operator, otp=otp)


def _too_many_failures(now: datetime.datetime, limit: int, **where) -> bool:
    failed = OperatorSignIn.objects.filter(**where).exclude(
        reason__in=[Reason.OK, Reason.RATE_LIMITED, Reason.OTP_REQUIRED])
    return over_limit(failed, now=now, window=RATE_LIMIT_WINDOW, limit=limit)


def _rate_limited(society: Society | None, normalized: str, address: str | None) -> bool:
    """SEC-2's limits as the log stands (read without the locks: only to spare a refused attempt the hash)."""
    now = clock.now(society)
    return bool((address and _too_many_failures(now, RATE_LIMIT_ADDRESS_FAILURES, client_address=address))
                or (normalized and _too_many_failures(now, RATE_LIMIT_FAILURES, society=society,
                                                      email_key=normalized[:320])))


@service(permission=None)
def _operator_sign_in(*, actor: Actor, door: str, typed: str, normalized: str, passwords: _Passwords,
                      society: Society | None, society_slug: str | None, address: str | None,
                      ended_operator: Operator | None, otp: str | None) -> OperatorSignInResult:
    """The attempt's decision and its log entry, taking turns with the other attempts of its account and address."""
    unknown_society = False
    if society is None and society_slug:
        society = Society.objects.filter(slug=text.half_width(society_slug)).first()
        unknown_society = society is None
    take_turns(f"operator-sign-in:account:{society.pk if society else '-'}:{normalized}")
    if address:
        take_turns(f"operator-sign-in:address:{address}")
    now = clock.now(society)

    def log(reason: str, operator: Operator | None = None, message: Any = MSG_NO_SUCH_LOGIN) -> OperatorSignInResult:
        OperatorSignIn.objects.create(
            society=society, operator=operator, typed_email=typed[:320], email_key=normalized[:320], door=door, reason=reason, at=now,
            client_address=address, ended_operator=ended(operator) if reason == Reason.OK else None)
        ok = reason == Reason.OK
        return OperatorSignInResult(ok=ok, reason=str(reason), operator=operator if ok else None,
                                    message="" if ok else message)

    def ended(operator: Operator | None) -> Operator | None:
        """SOC-6: the other account signed in in this browser, which this sign-in ends."""
        if ended_operator is None or operator is None or ended_operator.pk == operator.pk:
            return None
        return ended_operator

    if address and _too_many_failures(now, RATE_LIMIT_ADDRESS_FAILURES, client_address=address):
        return log(Reason.RATE_LIMITED, message=MSG_RATE_LIMITED)
    if normalized and _too_many_failures(now, RATE_LIMIT_FAILURES, society=society, email_key=normalized[:320]):
        return log(Reason.RATE_LIMITED, message=MSG_RATE_LIMITED)
    candidates = [] if unknown_society or not normalized else _candidates(society, normalized)
    if len(candidates) > 1:
        return log(Reason.DUPLICATE_EMAIL, candidates[0])  # seed 001 原因③ (legacy: SOC-5 prevents new ones)
    if not candidates:
        other = _elsewhere(normalized, passwords, society) if normalized and passwords.password else None
        if other is not None and door == Door.SOCIETY_PAGE:
            return log(Reason.OTHER_SOCIETY_PAGE, other, MSG_OTHER_SOCIETY_PAGE % {"url": _page_for(other)})
        if other is not None and door == Door.GENERAL_PAGE and other.society_id and not unknown_society:
            return log(Reason.WRONG_LOGIN_PAGE, other, MSG_USE_SOCIETY_PAGE % {"url": _page_for(other)})
        if other is None:
            passwords.dummy()  # the work of a real check: no timing oracle
        return log(Reason.UNKNOWN_OPERATOR, other)
    operator = candidates[0]
    refusal = operator_sign_in_allowed(operator)
    if refusal is not None:
        return log(refusal, operator)
    if not passwords.check(operator):
        return log(Reason.WRONG_PASSWORD, operator)
    if door == Door.GENERAL_PAGE and not _may_use_general_page(operator):
        return log(Reason.WRONG_LOGIN_PAGE, operator, MSG_USE_SOCIETY_PAGE % {"url": _page_for(operator)})
    second = two_step.two_step_check(operator, otp)  # SEC-6: the second step, at every door
    if second == Reason.OTP_REQUIRED:
        return log(Reason.OTP_REQUIRED, operator, two_step.MSG_OTP_REQUIRED)
    if second == Reason.OTP_WRONG:
        return log(Reason.OTP_WRONG, operator, two_step.MSG_OTP_WRONG)
    if door == Door.TOKEN and two_step.two_step_required(operator) and not two_step.two_step_on(operator):
        return log(Reason.OTP_REQUIRED, operator, two_step.MSG_ENROL_FIRST)
    return log(Reason.OK, operator)
