"""The member's own acts on My Page that go through a mail link (MAIL-2, APS-1): the password reset and the
e-mail change (メールアドレス変更確定URL). A mail caused on a society's My Page is logged in that society.

Passwords are handled only as Django hashes: none is returned, logged or audited (APS-2)."""

from __future__ import annotations

import dataclasses

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, text
from backoffice.errors import Conflict, DomainError, NotFound
from backoffice.services import Actor, check_society, holds, permission_denied, service
from mail import links
from mail.models import SentMail

from .. import purposes, selectors
from ..forms import EmailChangeLinkForm, PasswordResetLinkForm
from ..models import APass, Member, MemberEmailChange, Society
from ._common import MSG_EMAIL_IN_USE, ensure_email_free
from .apass import _clean_email
from .applications import form_refusal, send_link_mail

MSG_ONLY_THE_MEMBER = _("Only the member follows this link, on My Page (the My Page simulator in a training sandbox).")
MSG_WRONG_CREDENTIALS = _("The e-mail address or password is incorrect.")
MSG_WRONG_SESSION = _(
    "[E-mail address change confirmation URL] must be opened while signed in with the e-mail address before the "
    "change. Sign in with the previous e-mail address and open it again."
)
MSG_ALREADY_CHANGED = _("The e-mail address of this A-Pass has changed since this mail was sent; the link is no longer valid.")


class ResetReason:
    """``reason`` of a password-reset request (``{sent, reason}``)."""

    APASS_EMAIL = "apass_email"  # sent to the A-Pass e-mail that was typed
    RECOVERY_CONTACT = "recovery_contact"  # the typed address is the A-Pass's registered reset contact: sent there
    NO_APASS = "no_apass"  # a member of this society has the address, but no A-Pass was created with it
    SHARED_CONTACT = "shared_contact"  # several A-Passes registered this reset contact: nothing sent
    UNKNOWN_ADDRESS = "unknown_address"  # neither an A-Pass e-mail nor a registered reset contact


@dataclasses.dataclass(frozen=True)
class ResetResult:
    sent: bool
    reason: str
    mail: SentMail | None = None


def member_only_refusal(actor: Actor) -> DomainError | None:
    """A password or an A-Pass e-mail is the member's own to set (APS-1): the secretariat cannot follow these
    links on a member's behalf; a trainer playing the member in a sandbox can. Declared as the links'
    permission (``register``)."""
    return None if holds(actor, "can_use_training_tools") else permission_denied(MSG_ONLY_THE_MEMBER)


def _name_for(society: Society, apass: APass) -> str:
    member = selectors.apass_member_in(society, apass)
    return member.name if member is not None else apass.email


def _member_id_for(society: Society, apass: APass) -> int | None:
    member = selectors.apass_member_in(society, apass)
    return member.pk if member is not None else None


# --- password reset ---------------------------------------------------------------------------------------


@service(permission=None)
def password_reset_request(*, actor: Actor, society: Society, email: str,
                           link_url_template: str | None = None) -> ResetResult:
    """MAIL-2 on ``society``'s My Page ([パスワード再発行]): a reset mail with a 24-hour link is sent only to an
    A-Pass e-mail or to the reset contact an A-Pass registered (seed 000 3-1, outcome E); otherwise nothing
    is sent and the reason says why."""
    check_society(actor, society.pk)
    address = _clean_email(email)
    apass = APass.objects.filter(email=address).first()
    reason = ResetReason.APASS_EMAIL
    if apass is None:
        by_contact = [a for a in APass.objects.filter(recovery_contact__iexact=address)[:2]
                      if text.normalize_email(a.recovery_contact) == address]
        if len(by_contact) > 1:
            return ResetResult(False, ResetReason.SHARED_CONTACT)
        if by_contact:
            apass, reason = by_contact[0], ResetReason.RECOVERY_CONTACT
    if apass is None:
        if Member.objects.filter(society=society, email=address).exists():
            return ResetResult(False, ResetReason.NO_APASS)
        return ResetResult(False, ResetReason.UNKNOWN_ADDRESS)
    mail = send_link_mail(actor=actor, society=society, kind="password_reset", to=address,
                          purpose=purposes.PASSWORD_RESET, payload={"apass_id": apass.pk}, context={},
                          member_id=_member_id_for(society, apass), link_url_template=link_url_template)
    return ResetResult(True, reason, mail)


def follow_password_reset(*, actor: Actor, society: Society, email: str, payload: dict, data: dict) -> dict:
    """The reset link's handler: ``{password}`` becomes the A-Pass's password (hash only, audited without it)."""
    form = PasswordResetLinkForm(society, data=data)
    if not form.is_valid():
        raise form_refusal(form)
    apass = APass.objects.select_for_update().filter(pk=payload.get("apass_id")).first()
    if apass is None:
        raise NotFound()
    now = clock.now(society)
    apass.password = make_password(form.cleaned_data["password"])
    apass.save(update_fields=["password"])
    audit.record(actor=actor, action="members.apass.password_reset", target=apass, society_id=society.pk,
                 after={"password_reset_at": now.isoformat()})
    return {"purpose": purposes.PASSWORD_RESET, "apass_id": apass.pk, "email": apass.email}


# --- e-mail change ----------------------------------------------------------------------------------------


@service(permission=None)
def email_change_request(*, actor: Actor, society: Society, session_email: str, password: str, new_email: str,
                         link_url_template: str | None = None) -> SentMail:
    """MAIL-2 on ``society``'s My Page: a member signed in (``session_email`` + ``password``) asks to change the
    A-Pass e-mail; the confirmation mail with [メールアドレス変更確定URL] (24 hours) goes to the new address.
    Nothing changes until that link is opened while signed in with the old address."""
    check_society(actor, society.pk)
    apass = APass.objects.filter(email=text.normalize_email(session_email or "")).first() if session_email else None
    if apass is None or not password or not check_password(password, apass.password):
        raise DomainError("invalid_credentials", MSG_WRONG_CREDENTIALS,
                          fields={"session_email": [str(MSG_WRONG_CREDENTIALS)], "password": []})
    new = _clean_email(new_email, "new_email")
    refusal = selectors.apass_email_change_refusal(apass, new)
    if refusal is not None:
        raise refusal
    return send_link_mail(actor=actor, society=society, kind="email_change_confirm", to=new,
                          purpose=purposes.EMAIL_CHANGE,
                          payload={"apass_id": apass.pk, "old_email": apass.email, "new_email": new},
                          context={"name": _name_for(society, apass), "old_email": apass.email, "new_email": new},
                          member_id=_member_id_for(society, apass), link_url_template=link_url_template)


def follow_email_change(*, actor: Actor, society: Society, email: str, payload: dict, data: dict) -> dict:
    """[メールアドレス変更確定URL]'s handler: ``{session_email}`` must be the old address (the one signed in
    with), else 409 ``wrong_session_email``. The A-Pass e-mail and every linked member's e-mail change; each
    member keeps the old address in its e-mail history; all audited."""
    form = EmailChangeLinkForm(society, data=data)
    if not form.is_valid():
        raise form_refusal(form)
    old, new = payload.get("old_email", ""), payload.get("new_email", "")
    if text.normalize_email(form.cleaned_data["session_email"]) != old:
        raise Conflict("wrong_session_email", MSG_WRONG_SESSION, fields={"session_email": [str(MSG_WRONG_SESSION)]})
    apass = APass.objects.select_for_update().filter(pk=payload.get("apass_id")).first()
    if apass is None:
        raise NotFound()
    if apass.email != old:
        raise Conflict("link_superseded", MSG_ALREADY_CHANGED)
    members = list(Member.objects.select_for_update(of=("self",)).filter(apass=apass).select_related("society")
                   .order_by("pk"))
    refusal = selectors.apass_email_change_refusal(apass, new)
    if refusal is not None:
        raise refusal
    apass.email = new
    try:
        with transaction.atomic():
            apass.save(update_fields=["email"])
    except IntegrityError:  # a concurrent A-Pass of the new address
        raise Conflict("email_in_use", MSG_EMAIL_IN_USE, fields={"new_email": [str(MSG_EMAIL_IN_USE)]}) from None
    audit.record(actor=actor, action="members.apass.email_changed", target=apass, society_id=society.pk,
                 before={"email": old}, after={"email": new})
    for member in members:
        ensure_email_free(member.society, new, exclude_member_id=member.pk)
        member.email = new
        member.save(update_fields=["email"])
        MemberEmailChange.objects.create(member=member, old_email=old, new_email=new,
                                         reason=MemberEmailChange.Reason.MYPAGE, actor_label=audit.actor_label(actor))
        audit.record(actor=actor, action="members.member.email_changed_on_mypage", target=member,
                     before={"email": old}, after={"email": new})
    return {"purpose": purposes.EMAIL_CHANGE, "apass_id": apass.pk, "email": new,
            "member_ids": [m.pk for m in members]}


def register() -> None:
    """Called from MembersConfig.ready()."""
    links.register_link_handler(purposes.PASSWORD_RESET, follow_password_reset, permission=member_only_refusal)
    links.register_link_form(purposes.PASSWORD_RESET, PasswordResetLinkForm)
    links.register_link_handler(purposes.EMAIL_CHANGE, follow_email_change, permission=member_only_refusal)
    links.register_link_form(purposes.EMAIL_CHANGE, EmailChangeLinkForm)
