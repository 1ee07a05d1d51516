"""Societies, operators and member types (SOC-1, SOC-3, SOC-5, MEM-2)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils import timezone

from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, text
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, check_society, holds, permission_denied, service

from rest_framework.authtoken.models import Token

from .. import selectors
from ..models import MemberType, Operator, Society
from ._common import validate_model

# What a society's own administrator may change; the rest is the platform's (SOC-1, SOC-5: the contract
# status that locks a society out for non-payment is never the society's to set).
SOCIETY_SETTINGS = ("name", "fiscal_year_start_month", "bank_account_text", "accepted_payment_methods",
                    "lapse_threshold_years", "timezone", "member_number_prefix", "member_number_digits",
                    "two_step_required_for_admins")
SOCIETY_PLATFORM_FIELDS = ("slug", "contract_status")
MEMBER_TYPE_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,30}$")  # used in API filters and URLs


def _society_snapshot(society: Society) -> dict:
    return {k: getattr(society, k) for k in ("slug", "is_sandbox", *SOCIETY_PLATFORM_FIELDS[1:], *SOCIETY_SETTINGS)}


@service(permission="can_manage_platform")
def society_create(*, actor: Actor, slug: str, name: str, sandbox: bool = False, **extra: Any) -> Society:
    slug = text.half_width(slug)
    unknown = set(extra) - set(SOCIETY_SETTINGS) - set(SOCIETY_PLATFORM_FIELDS)
    if unknown:
        raise DomainError("invalid", _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if Society.objects.filter(slug=slug).exists():
        raise Conflict("society_slug_taken", _("A society with slug %(slug)s already exists.") % {"slug": slug}, fields={"slug": []})
    society = Society(slug=slug, name=name, is_sandbox=sandbox, **extra)
    validate_model(society)
    society.save()
    audit.record(actor=actor, action="members.society.created", target=society, society_id=society.pk,
                 after=_society_snapshot(society))
    return society


def _society_update_permission(actor: Actor, *, society: Society, **changes: Any) -> DomainError | None:
    """A society's administrator edits its settings; its slug (学会ID) and contract status only a platform
    superuser (SOC-1, SOC-5)."""
    check_society(actor, society.pk)
    if not holds(actor, "can_manage_settings"):
        return permission_denied()
    platform_changes = {k for k in SOCIETY_PLATFORM_FIELDS if k in changes and changes[k] != getattr(society, k)}
    if platform_changes and not holds(actor, "can_manage_platform"):
        return permission_denied(_("Only the platform administrator can change a society's ID or contract status."),
                                 fields={k: [] for k in platform_changes})
    return None


@service(permission=_society_update_permission)
def society_update(*, actor: Actor, society: Society, **changes: Any) -> Society:
    """A society's settings. Its slug (学会ID) and contract status only by a platform superuser."""
    unknown = set(changes) - set(SOCIETY_SETTINGS) - set(SOCIETY_PLATFORM_FIELDS)
    if unknown:
        raise DomainError("invalid", _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    society = Society.objects.select_for_update().get(pk=society.pk)
    before = _society_snapshot(society)
    if "slug" in changes:
        changes["slug"] = text.half_width(changes["slug"])
        if Society.objects.filter(slug=changes["slug"]).exclude(pk=society.pk).exists():
            raise Conflict("society_slug_taken", _("A society with slug %(slug)s already exists.") % {"slug": changes["slug"]},
                           fields={"slug": []})
    for key, value in changes.items():
        setattr(society, key, value)
    validate_model(society)
    society.save()
    if society.slug != before["slug"]:
        for operator in society.operators.all():  # their sign-in key is "<slug>/<e-mail>"
            operator.save(update_fields=["username"])
    audit.record_change(actor=actor, action="members.society.updated", target=society, society_id=society.pk,
                        before=before, after=_society_snapshot(society))
    return society


MAX_CLOCK_OFFSET = datetime.timedelta(days=366 * 20)


def _clock_move_permission(actor: Actor, *, society: Society, **_call: Any) -> DomainError | None:
    """SIM-1: the simulation clock is a training sandbox's, moved by its trainers and administrators."""
    check_society(actor, society.pk)
    if not society.is_sandbox:
        return DomainError("not_sandbox", _("The simulation clock exists only in a training sandbox society."),
                           status=403)
    if not holds(actor, "can_use_training_tools"):
        return permission_denied(_("Only trainers and administrators move the simulation clock."))
    return None


@service(permission=_clock_move_permission)
def society_clock_move(*, actor: Actor, society: Society, to: datetime.datetime) -> Society:
    """SIM-1: move a training sandbox's clock to ``to`` (aware), forward or back. Every date rule reads it.
    Outside a sandbox: not_sandbox; only trainers and administrators of the sandbox move it."""
    society = Society.objects.select_for_update().get(pk=society.pk)
    before = clock.now(society)
    offset = to - timezone.now()
    if abs(offset) > MAX_CLOCK_OFFSET:
        raise DomainError("invalid", _("The simulation clock can be moved at most 20 years from the real date."),
                          fields={"set": []})
    society.clock_offset = offset
    society.save(update_fields=["clock_offset"])
    audit.record(actor=actor, action="members.society.clock_moved", target=society, society_id=society.pk,
                 before={"now": before.isoformat(timespec="seconds")},
                 after={"now": clock.now(society).isoformat(timespec="seconds")})
    return society


def _operator_snapshot(operator: Operator) -> dict:
    return {"email": operator.email, "name": operator.name, "role": operator.role, "is_active": operator.is_active}


def _check_role(role: str) -> None:
    if role not in Operator.Role.values:
        raise DomainError("invalid", _("Unknown role: %(role)s") % {"role": role}, fields={"role": [role]})


def _operator_create_permission(actor: Actor, *, society: Society | None, is_superuser: bool = False,
                                **_call: Any) -> DomainError | None:
    """SOC-3, SOC-5: a society's administrator creates its operators; an account of no society, or a
    superuser, only the platform administrator."""
    if society is None or is_superuser:
        if not holds(actor, "can_manage_platform"):
            return permission_denied(_("Only the platform administrator can create this account."))
        return None
    check_society(actor, society.pk)
    return None if holds(actor, "can_manage_settings") else permission_denied()


@service(permission=_operator_create_permission)
def operator_create(
    *, actor: Actor, society: Society | None, email: str, password: str, role: str, name: str = "",
    is_active: bool = True, is_superuser: bool = False,
) -> Operator:
    """SOC-3, SOC-5: an operator of one society; the e-mail is unique within it."""
    email = text.normalize_email(email)
    _check_role(role)
    if Operator.objects.filter(society=society, email=email, deleted_at__isnull=True).exists():
        raise Conflict("email_in_use", _("An operator with this e-mail already exists in this society."),
                       fields={"email": []})
    operator = Operator(society=society, email=email, role=role, name=name, is_active=is_active,
                        is_superuser=is_superuser)
    operator.set_password(password)
    validate_model(operator, exclude=["username", "password"])
    operator.save()
    audit.record(actor=actor, action="members.operator.created", target=operator,
                 society_id=society.pk if society else None, after=_operator_snapshot(operator))
    return operator


@service(permission="can_manage_settings")
def operator_update(*, actor: Actor, operator: Operator, name: str | None = None, role: str | None = None,
                    is_active: bool | None = None, password: str | None = None) -> Operator:
    check_society(actor, operator.society_id)
    operator = Operator.objects.select_for_update().get(pk=operator.pk)
    before = _operator_snapshot(operator)
    if role is not None:
        _check_role(role)
        operator.role = role
    if name is not None:
        operator.name = name
    if is_active is not None:
        operator.is_active = is_active
    if password:
        operator.set_password(password)
    validate_model(operator, exclude=["username", "password"])
    operator.save()
    after = _operator_snapshot(operator)
    if password:  # never the password itself
        before["password"], after["password"] = "", str(_("(changed)"))
    audit.record_change(actor=actor, action="members.operator.updated", target=operator, before=before, after=after)
    return operator


def operator_delete_refusal(actor: Actor, operator: Operator) -> DomainError | None:
    """SOC-5: an administrator deletes another operator of the society, once; never their own account."""
    if operator.deleted_at is not None:
        return Conflict("operator_deleted", _("This operator has already been deleted."))
    if getattr(actor, "pk", None) == operator.pk:
        return Conflict("invalid_transition", _("You cannot delete your own account."))
    return None


@service(permission="can_manage_settings")
def operator_delete(*, actor: Actor, operator: Operator) -> Operator:
    """SOC-5, seed 001 原因⑤: the operator is kept, marked deleted (who and when), can no longer sign in (pages,
    API tokens, open sessions), and its e-mail may be given to a new operator."""
    check_society(actor, operator.society_id)
    operator = Operator.objects.select_for_update().get(pk=operator.pk)
    refusal = operator_delete_refusal(actor, operator)
    if refusal is not None:
        raise refusal
    before = _operator_snapshot(operator)
    operator.deleted_at = clock.now(operator.society)
    operator.deleted_by = audit.actor_label(actor)[:255]
    operator.save()
    Token.objects.filter(user=operator).delete()
    audit.record(actor=actor, action="members.operator.deleted", target=operator, before=before,
                 after={**before, "deleted_at": operator.deleted_at.isoformat()})
    return operator


def _member_type_snapshot(member_type: MemberType) -> dict:
    return {"code": member_type.code, "name": member_type.name, "annual_fee": member_type.annual_fee,
            "sort_order": member_type.sort_order}


def _check_annual_fee(annual_fee: int) -> None:
    refusal = selectors.annual_fee_set_refusal(annual_fee)
    if refusal is not None:
        raise refusal


@service(permission="can_manage_settings")
def member_type_create(*, actor: Actor, society: Society, code: str, name: str, annual_fee: int,
                       sort_order: int = 0) -> MemberType:
    """MEM-2: a member type with its annual fee (0 allowed)."""
    check_society(actor, society.pk)
    code = text.normalize_code(code)
    if not MEMBER_TYPE_CODE_RE.match(code):
        message = _("Use half-width letters, digits, hyphens and underscores.")
        raise DomainError("invalid", _("%(field)s: %(message)s") % {"field": _("code"), "message": message},
                          fields={"code": [str(message)]})
    _check_annual_fee(annual_fee)
    if MemberType.objects.filter(society=society, code=code).exists():
        raise Conflict("member_type_code_taken", _("The member type code %(code)s is already used.") % {"code": code},
                       fields={"code": [str(_("Already used."))]})
    member_type = MemberType(society=society, code=code, name=name, annual_fee=annual_fee, sort_order=sort_order)
    validate_model(member_type, exclude=["society"])
    member_type.save()
    audit.record(actor=actor, action="members.member_type.created", target=member_type,
                 after=_member_type_snapshot(member_type))
    return member_type


@service(permission="can_manage_settings")
def member_type_update(*, actor: Actor, member_type: MemberType, name: str | None = None,
                       annual_fee: int | None = None, sort_order: int | None = None) -> MemberType:
    check_society(actor, member_type.society_id)
    member_type = MemberType.objects.select_for_update().get(pk=member_type.pk)
    before = _member_type_snapshot(member_type)
    if name is not None:
        member_type.name = name
    if annual_fee is not None:
        _check_annual_fee(annual_fee)
        member_type.annual_fee = annual_fee
    if sort_order is not None:
        member_type.sort_order = sort_order
    validate_model(member_type, exclude=["society"])
    member_type.save()
    audit.record_change(actor=actor, action="members.member_type.updated", target=member_type, before=before,
                        after=_member_type_snapshot(member_type))
    return member_type
