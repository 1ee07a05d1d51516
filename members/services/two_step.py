"""Two-step sign-in for operators (SEC-6; API.md "Sign-in reasons": ``otp``, ``otp_required``, ``otp_wrong``).

An operator enrols a TOTP authenticator (django-otp's ``TOTPDevice``: a QR code for the app, then one code to
confirm it) and receives ten recovery codes (``StaticDevice``, each usable once). From then on every door — the
sign-in pages and the token endpoint — asks for the six digits (or a recovery code). A society may require it for
its administrators (``Society.two_step_required_for_admins``): such an admin without a device is sent to the
enrolment page after signing in at a page, and refused ``otp_required`` at the token endpoint until enrolled."""

from __future__ import annotations

import secrets

from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice import audit, text
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, permission_denied, service

from ..models import Operator

RECOVERY_CODES = 10
MSG_OTP_REQUIRED = _("Enter the confirmation code of your authenticator app (two-step sign-in).")
MSG_OTP_WRONG = _("The confirmation code is not correct.")
MSG_ENROL_FIRST = _("Your society requires two-step sign-in for administrators: sign in at the operator page and "
                    "register an authenticator app first.")
MSG_NO_PENDING = _("Start the registration again: no authenticator is waiting to be confirmed.")
MSG_ALREADY = _("Two-step sign-in is already on for this account.")


def two_step_on(operator: Operator) -> bool:
    """Whether ``operator`` has a confirmed authenticator (then every door asks for a code)."""
    return TOTPDevice.objects.filter(user=operator, confirmed=True).exists()


def two_step_required(operator: Operator) -> bool:
    """SEC-6: the operator's society requires two-step sign-in of its administrators, and this is one."""
    society = operator.society
    return bool(society is not None and society.two_step_required_for_admins
                and operator.role == Operator.Role.ADMIN)


def two_step_check(operator: Operator, otp: str | None) -> str | None:
    """The sign-in's second step: None when it passes (or the operator has none), else ``otp_required`` (no code
    given) or ``otp_wrong``. A recovery code is used up by passing."""
    if not two_step_on(operator):
        return None
    code = text.half_width(otp or "").replace(" ", "")
    if not code:
        return "otp_required"
    if code.isdigit() and len(code) == 6:
        device = TOTPDevice.objects.filter(user=operator, confirmed=True).first()
        if device is not None and device.verify_token(code):
            return None
        return "otp_wrong"
    static = StaticDevice.objects.filter(user=operator, confirmed=True).first()
    if static is not None and static.verify_token(code.lower()):
        return None
    return "otp_wrong"


def _own_account_permission(actor: Actor, *, operator: Operator, **_call) -> DomainError | None:
    """Only the account's owner registers its authenticator (the QR code is a secret of that person)."""
    return None if getattr(actor, "pk", None) == operator.pk else permission_denied()


@service(permission=_own_account_permission)
def two_step_enrol_start(*, actor: Actor, operator: Operator) -> TOTPDevice:
    """Step 1: a new, unconfirmed authenticator (its key is shown once as a QR code); a previous unconfirmed one goes."""
    if two_step_on(operator):
        raise Conflict("invalid_transition", MSG_ALREADY)
    TOTPDevice.objects.filter(user=operator, confirmed=False).delete()
    return TOTPDevice.objects.create(user=operator, name=str(_("authenticator app")), confirmed=False)


@service(permission=_own_account_permission)
def two_step_enrol_confirm(*, actor: Actor, operator: Operator, otp: str) -> list[str]:
    """Step 2: the first code from the app confirms it; returns the ten recovery codes (shown once, kept hashed by
    nobody but usable once each)."""
    if two_step_on(operator):
        raise Conflict("invalid_transition", MSG_ALREADY)
    device = TOTPDevice.objects.select_for_update().filter(user=operator, confirmed=False).first()
    if device is None:
        raise Conflict("invalid_transition", MSG_NO_PENDING)
    code = text.half_width(otp or "").strip()
    if not (code.isdigit() and len(code) == 6 and device.verify_token(code)):
        raise DomainError("invalid", MSG_OTP_WRONG, fields={"otp": [str(MSG_OTP_WRONG)]})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=operator).delete()
    static = StaticDevice.objects.create(user=operator, name=str(_("recovery codes")), confirmed=True)
    codes = [secrets.token_hex(4) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    audit.record(actor=actor, action="members.operator.two_step_enabled", target=operator,
                 before={"two_step": False}, after={"two_step": True})
    return codes


def _two_step_disable_permission(actor: Actor, *, operator: Operator, **_call) -> DomainError | None:
    if getattr(actor, "pk", None) == operator.pk:
        return None
    same = getattr(actor, "society_id", None) == operator.society_id or getattr(actor, "sees_all_societies", False)
    return None if same and getattr(actor, "can_manage_settings", False) else permission_denied()


@service(permission=_two_step_disable_permission)
def two_step_disable(*, actor: Actor, operator: Operator) -> None:
    """The owner turns it off, or an administrator does for an operator who lost the phone and the codes."""
    if not two_step_on(operator):
        raise Conflict("invalid_transition", _("Two-step sign-in is not on for this account."))
    TOTPDevice.objects.filter(user=operator).delete()
    StaticDevice.objects.filter(user=operator).delete()
    audit.record(actor=actor, action="members.operator.two_step_disabled", target=operator,
                 before={"two_step": True}, after={"two_step": False})
