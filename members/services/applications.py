"""Applications (APP-1, APP-2, APP-3): the self application's verification mail and the application form its
link opens, and the secretariat's [代理申請] (proxy application). Both end in a member registered as 申請中 and
the registration-complete mail (MAIL-2).

The verification link belongs to mail/ (outbox, single use, 24 hours on the society clock, superseded by a
newer mail to the same address — APP-2); members/ registers what following it does (``register``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from backoffice import clock, text
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, check_society, service
from mail import links
from mail.models import LINK_LIFETIME, SentMail
from mail.services import mail_send, render_mail

from .. import purposes, selectors
from ..forms import ApplicationLinkForm
from ..models import Member, MemberType, Society
from ._common import MSG_EMAIL_IN_USE, ensure_email_free, lock_society
from .apass import _clean_email
from .members import member_create

PURPOSE_EMAIL_VERIFICATION = purposes.EMAIL_VERIFICATION


def form_refusal(form) -> DomainError:
    """A link form's invalid input as the one error type: the first message, every field's messages."""
    fields = {name: [str(m) for m in msgs] for name, msgs in form.errors.items()}
    name, msgs = next(iter(fields.items()))
    label = form.fields[name].label if name in form.fields else ""
    message = _("%(field)s: %(message)s") % {"field": label, "message": msgs[0]} if label else msgs[0]
    return DomainError("invalid", message, fields=fields)


def send_link_mail(*, actor: Actor, society: Society, kind: str, to: str, purpose: str, payload: dict,
                   context: dict[str, Any], member_id: int | None = None,
                   link_url_template: str | None = None) -> SentMail:
    """A mail of ``kind`` carrying a single-use link of ``purpose`` (24 hours on the society clock); the
    template gets ``link_url`` and ``expires_at`` (in the society's time zone)."""
    expires = clock.now(society) + LINK_LIFETIME
    context = {**context, "link_url": "{link_url}",
               "expires_at": expires.astimezone(clock.society_timezone(society)).strftime("%Y-%m-%d %H:%M")}
    subject, body = render_mail(society, kind, context)
    return mail_send(actor=actor, society=society, kind=kind, to=to, subject=subject, body=body, member_id=member_id,
                     link_purpose=purpose, link_payload=payload, link_url_template=link_url_template)


def _send_registration_complete(*, actor: Actor, member: Member) -> SentMail:
    subject, body = render_mail(member.society, "registration_complete", {"name": member.name})
    return mail_send(actor=actor, society=member.society, kind="registration_complete", to=member.email,
                     subject=subject, body=body, member_id=member.pk)


@service(permission=None)
def application_request(*, actor: Actor, society: Society, email: str,
                        link_url_template: str | None = None) -> SentMail:
    """APP-1: an applicant agrees to the rules and gives an e-mail → 「メールアドレス認証のご連絡」 with a link valid
    24 hours. An address a member of the society already has is refused (MEM-3, 409 ``email_in_use``); a
    newer request to the same address makes the older link invalid (APP-2, done by mail_send)."""
    check_society(actor, society.pk)
    address = _clean_email(email)
    lock_society(society)
    ensure_email_free(society, address)
    return send_link_mail(actor=actor, society=society, kind="email_verification", to=address,
                          purpose=PURPOSE_EMAIL_VERIFICATION, payload={}, context={},
                          link_url_template=link_url_template)


def follow_email_verification(*, actor: Actor, society: Society, email: str, payload: dict, data: dict) -> dict:
    """APP-1, the verification link's handler (inside link_follow's transaction): the application form
    (``ApplicationLinkForm``) registers the verified address as a member, 申請中 dated today on the society
    clock, and sends the registration-complete mail. A refusal leaves the link unused."""
    form = ApplicationLinkForm(society, data=data)
    if not form.is_valid():
        raise form_refusal(form)
    fields = dict(form.cleaned_data)
    member_type = MemberType.objects.get(society=society, code=fields.pop("member_type"))
    member = member_create(actor=actor, society=society, email=email, member_type=member_type, **fields)
    mail = _send_registration_complete(actor=actor, member=member)
    return {"purpose": PURPOSE_EMAIL_VERIFICATION, "member_id": member.pk, "email": member.email,
            "status": "applying", "registration_mail_id": mail.pk}


MSG_VERIFICATION_PENDING = MSG_EMAIL_IN_USE  # seed 003: the same words, although no member has the address


@service()
def proxy_application_create(*, actor: Actor, society: Society, email: str, **fields: Any) -> Member:
    """APP-3 [代理申請]: the secretariat registers an applicant (申請中) and the registration-complete mail is sent.

    Refused while a verification link to that address is still valid, with 「このメールアドレスは既に使用されて
    います。」 (409 ``email_verification_pending``) although no member has it: wait until the link expires, or
    open it from [個人会員送信済みメール] and complete the registration there (seed 003)."""
    check_society(actor, society.pk)
    address = text.normalize_email(email or "")
    lock_society(society)  # serialises with application_request and link_follow's member_create
    ensure_email_free(society, address)
    pending = selectors.pending_verification(society, address)
    if pending is not None:
        raise Conflict("email_verification_pending", MSG_VERIFICATION_PENDING,
                       fields={"email": [str(MSG_VERIFICATION_PENDING)]})
    member = member_create(actor=actor, society=society, email=address, **fields)
    _send_registration_complete(actor=actor, member=member)
    return member


def register() -> None:
    """Called from MembersConfig.ready(): what following each of members/'s links does, and the form it asks."""
    links.register_link_handler(PURPOSE_EMAIL_VERIFICATION, follow_email_verification)
    links.register_link_form(PURPOSE_EMAIL_VERIFICATION, ApplicationLinkForm)
