"""An operator's password reset by mail (seed 001 原因④: 「パスワードをお忘れですか?」 on the society's operator
sign-in page; SOC-4, SOC-5, SEC-2).

``operator_password_reset_request`` takes an e-mail address typed at a society's page: if a live operator of that
society has it (SOC-5: not deleted, active, the society's contract active — ``operator_sign_in_allowed``), a reset
mail goes through the outbox like every mail (``mail.services.mail_send``: kept as ``SentMail``, sent by the task
worker after commit) with a single-use link valid 24 hours on the society clock; a newer request supersedes it.
The visitor is told the same whatever the outcome; the outcome is kept in ``OperatorPasswordResetRequest``, which
the rate limit counts.

``operator_password_reset`` follows the link: the operator (the actor) sets a new password (Django's password
validators), the link is used up, the API token and every open session end (the session hash changes with the
password). Passwords are handled only as Django hashes: none is returned, logged or audited (APS-2)."""

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from backoffice import audit, clock, text
from backoffice.errors import Conflict, DomainError, NotFound
from backoffice.http import ip_or_none
from backoffice.services import Actor, check_society, permission_denied, service
from mail import links
from mail.models import LINK_LIFETIME, LinkToken, MailKind, SentMail
from mail.services import REFUSALS, mail_send

from .. import purposes
from ..models import Operator, OperatorPasswordResetRequest, Society
from ._common import over_limit, take_turns
from .signin import operator_sign_in_allowed

PURPOSE = purposes.OPERATOR_PASSWORD_RESET

#: SEC-2 for the request, like the sign-in's: within 15 minutes of the society clock, 5 requests for one typed
#: address at one society (each may send a mail) or 100 from one client address; then refused until the window passes.
RESET_LIMIT_ACCOUNT = 5
RESET_LIMIT_ADDRESS = 100
RESET_LIMIT_WINDOW = datetime.timedelta(minutes=15)

#: the longest password taken (hashing a megabyte is work for nothing)
PASSWORD_MAX_LENGTH = 4096

MSG_REQUEST_TAKEN = _("If an operator account of this society has this e-mail address, a mail with the address for "
                      "setting a new password has been sent to it. The address is valid for 24 hours and can be used "
                      "once.")
MSG_RATE_LIMITED = _("Too many requests. Wait a while and try again.")
MSG_INVALID_EMAIL = _("Enter a valid e-mail address.")
MSG_LINK_UNKNOWN = _("This address for setting a new password is not valid. Request a new one from the sign-in page.")
MSG_LINK_NOT_FOR_ACCOUNT = _("This address for setting a new password can no longer be used for this account.")
MSG_PASSWORD_REQUIRED = _("Enter a new password.")
MSG_PASSWORD_MISMATCH = _("The two passwords do not match.")
MSG_PASSWORD_TOO_LONG = _("The password is too long.")
MSG_PASSWORD_NUL = _("The password cannot contain null characters.")
MSG_RESET_DONE = _("Your password has been changed. Sign in with the new password.")

Outcome = OperatorPasswordResetRequest.Outcome

_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclasses.dataclass(frozen=True)
class PasswordResetRequestResult:
    outcome: str
    message: Any  # what the visitor is told: the same whatever the account, unless rate limited
    mail: SentMail | None = None

    @property
    def rate_limited(self) -> bool:
        return self.outcome == Outcome.RATE_LIMITED


def register() -> None:
    """Called from MembersConfig.ready(): the reset link is the operator's secret — its mail is kept and sent like
    every mail, but shown on no screen (a colleague reading it could set that operator's password)."""
    links.register_private_purpose(PURPOSE)


def reset_link_url_template(society: Society, request=None) -> str:
    """Where a reset mail's link points: the society's page for a new password (``{token}`` to fill), absolute on
    the request's host, or on ``settings.SITE_URL`` without a request."""
    path = reverse("office-password-reset-confirm", args=[society.slug, "TOKEN"])
    url = request.build_absolute_uri(path) if request is not None else settings.SITE_URL.rstrip("/") + path
    return url.replace("TOKEN", "{token}")


def _clean_email(email: str) -> str:
    typed = email if isinstance(email, str) else ""
    address = text.normalize_email(typed.strip()) if typed.strip() else ""
    try:
        if not address or len(address) > 254 or "\x00" in address:
            raise ValidationError("invalid")
        validate_email(address)
    except ValidationError:
        raise DomainError("invalid", MSG_INVALID_EMAIL, fields={"email": [str(MSG_INVALID_EMAIL)]}) from None
    return address


def _reset_mail(society: Society, operator: Operator, expires: datetime.datetime) -> tuple[str, str]:
    """Subject and body (``{link_url}`` left for ``mail_send``), in the product's language whoever asked."""
    with translation.override(settings.LANGUAGE_CODE):
        names = {"society": society.name, "email": operator.email,
                 "expires_at": expires.astimezone(clock.society_timezone(society)).strftime("%Y-%m-%d %H:%M")}
        subject = gettext("[%(society)s] Setting a new password for your operator account") % names
        body = "\n".join([
            gettext("We have received a request to set a new password for the operator account %(email)s of "
                    "%(society)s.") % names,
            gettext("Open the address below and set a new password:"),
            "",
            "{link_url}",
            "",
            gettext("The address is valid until %(expires_at)s (24 hours after this mail was sent) and can be used "
                    "once.") % names,
            gettext("If you did not ask for this, you can ignore this mail: your password stays as it is."),
            "",
            gettext("%(society)s secretariat") % names,
            "",
        ])
    return subject, body


@service(permission=None)
def operator_password_reset_request(*, actor: Actor, society: Society, email: str, client_address: str | None = None,
                                    link_url_template: str | None = None) -> PasswordResetRequestResult:
    """One request at ``society``'s 「パスワードをお忘れですか?」 page, kept with its outcome. Sends the reset mail only to
    a live operator of the society with that e-mail; says the same either way (``message``). Rate limited (SEC-2)
    per typed address and per client address — counted whatever the outcome, so the limit tells nothing either."""
    check_society(actor, society.pk)
    address = _clean_email(email)
    client = ip_or_none(client_address)
    take_turns(f"operator-password-reset:account:{society.pk}:{address}")
    if client:
        take_turns(f"operator-password-reset:address:{client}")
    now = clock.now(society)

    def log(outcome: str, operator: Operator | None = None, mail: SentMail | None = None) -> PasswordResetRequestResult:
        OperatorPasswordResetRequest.objects.create(
            society=society, operator=operator, typed_email=(email or "")[:320], email_key=address, outcome=outcome,
            at=now, client_address=client, mail_id=mail.pk if mail else None)
        message = MSG_RATE_LIMITED if outcome == Outcome.RATE_LIMITED else MSG_REQUEST_TAKEN
        return PasswordResetRequestResult(outcome=str(outcome), message=message, mail=mail)

    counted = OperatorPasswordResetRequest.objects.exclude(outcome=Outcome.RATE_LIMITED)
    if client and over_limit(counted.filter(client_address=client), now=now, window=RESET_LIMIT_WINDOW,
                             limit=RESET_LIMIT_ADDRESS):
        return log(Outcome.RATE_LIMITED)
    if over_limit(counted.filter(society=society, email_key=address), now=now, window=RESET_LIMIT_WINDOW,
                  limit=RESET_LIMIT_ACCOUNT):
        return log(Outcome.RATE_LIMITED)
    found = list(Operator.objects.select_related("society").filter(society=society, email__iexact=address)
                 .order_by("deleted_at", "pk")[:3])
    live = [operator for operator in found if operator.deleted_at is None]
    if len(live) != 1:  # none, or a legacy duplicate (SOC-5 diagnoses it at the sign-in): no mail
        return log(Outcome.OPERATOR_DELETED if found and not live else Outcome.UNKNOWN_OPERATOR, found[0] if found else None)
    operator = live[0]
    refusal = operator_sign_in_allowed(operator)
    if refusal is not None:
        return log(Outcome.CONTRACT_INACTIVE if refusal == Outcome.CONTRACT_INACTIVE else Outcome.OPERATOR_DELETED,
                   operator)
    subject, body = _reset_mail(society, operator, now + LINK_LIFETIME)
    mail = mail_send(actor=actor, society=society, kind=MailKind.PASSWORD_RESET, to=operator.email, subject=subject,
                     body=body, link_purpose=PURPOSE, link_payload={"operator_id": operator.pk},
                     link_url_template=link_url_template or reset_link_url_template(society))
    return log(Outcome.SENT, operator, mail)


# --- following the link -----------------------------------------------------------------------------------


def operator_password_reset_link(society: Society, token: Any) -> LinkToken | None:
    """The reset link of ``society`` that ``token`` names (None for anything else, malformed input included)."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    return LinkToken.objects.filter(society=society, purpose=PURPOSE, token=token).first()


def operator_of_reset_link(link: LinkToken | None) -> Operator | None:
    """The operator a reset link was sent to, while it is still that address's live operator."""
    if link is None:
        return None
    operator_id = (link.payload or {}).get("operator_id")
    if not isinstance(operator_id, int):
        return None
    operator = Operator.objects.select_related("society").filter(pk=operator_id, society_id=link.society_id).first()
    if operator is None or operator.email != link.email or operator_sign_in_allowed(operator) is not None:
        return None
    return operator


def operator_password_reset_refusal(society: Society, link: LinkToken | None) -> DomainError | None:
    """Why this link cannot set a password now: unknown (404), expired, used or superseded by a newer request
    (409 ``link_expired`` / ``link_used`` / ``link_superseded``, the mail app's messages), or its operator since
    deleted, deactivated or given another address. None when it can."""
    if link is None:
        return NotFound(MSG_LINK_UNKNOWN)
    state = link.state_at(clock.now(society))
    if state in REFUSALS:
        code, message = REFUSALS[state]
        return Conflict(code, message)
    if operator_of_reset_link(link) is None:
        return Conflict("link_superseded", MSG_LINK_NOT_FOR_ACCOUNT)
    return None


def operator_password_refusal(operator: Operator, new_password1: Any, new_password2: Any) -> DomainError | None:
    """The new password: given, the same twice, no longer than it need be, and passing Django's password validators
    (``AUTH_PASSWORD_VALIDATORS``, with the operator as the user)."""
    first = new_password1 if isinstance(new_password1, str) else ""
    second = new_password2 if isinstance(new_password2, str) else ""

    def invalid(field: str, *messages: Any) -> DomainError:
        return DomainError("invalid", messages[0], fields={field: [str(m) for m in messages]})

    if not first:
        return invalid("new_password1", MSG_PASSWORD_REQUIRED)
    if len(first) > PASSWORD_MAX_LENGTH:
        return invalid("new_password1", MSG_PASSWORD_TOO_LONG)
    if "\x00" in first or "\x00" in second:
        return invalid("new_password1", MSG_PASSWORD_NUL)
    if first != second:
        return invalid("new_password2", MSG_PASSWORD_MISMATCH)
    try:
        password_validation.validate_password(first, user=operator)
    except ValidationError as exc:
        return invalid("new_password1", *exc.messages)
    return None


def _link_owner_permission(actor: Actor, *, society: Society, token: Any, **_call) -> DomainError | None:
    """Only the operator the mail went to sets the password through its link (the actor of the audit entry)."""
    operator = operator_of_reset_link(operator_password_reset_link(society, token))
    if operator is None or not isinstance(actor, Operator) or actor.pk != operator.pk:
        return permission_denied()
    return None


@service(permission=_link_owner_permission)
def operator_password_reset(*, actor: Actor, society: Society, token: str, new_password1: str,
                            new_password2: str) -> Operator:
    """The reset link's page: the new password is set (hash only), the link used up, the operator's API token and
    open sessions end. Audited once on the operator (actor: the operator) and once on the mail whose link was used."""
    check_society(actor, society.pk)
    link = operator_password_reset_link(society, token)
    if link is not None:
        link = LinkToken.objects.select_for_update().select_related("mail").get(pk=link.pk)
    refusal = operator_password_reset_refusal(society, link)
    if refusal is not None:
        raise refusal
    operator = Operator.objects.select_for_update().get(pk=link.payload["operator_id"])
    refusal = operator_password_refusal(operator, new_password1, new_password2)
    if refusal is not None:
        raise refusal
    now = clock.now(society)
    operator.set_password(new_password1)  # the session hash changes: every open session of the account ends
    operator.save(update_fields=["password"])
    api_tokens = Token.objects.filter(user=operator).delete()[0]
    link.used_at = now
    link.save(update_fields=["used_at"])
    audit.record(actor=actor, action="members.operator.password_reset", target=operator,
                 after={"password_reset_at": now.isoformat(), "api_token_ended": bool(api_tokens)})
    audit.record(actor=actor, action="mail.link.followed", target=link.mail, society_id=link.society_id,
                 after={"link_purpose": link.purpose, "used_at": now.isoformat()})
    return operator
