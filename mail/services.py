"""The mail app's services (DESIGN.md, "Where rules live"): every write is one of these.

``mail_send`` writes the outbox row (and its link) in the caller's transaction and sends after commit
(MAIL-1, MAIL-3); a newer link of a purpose to an address supersedes the older still-valid ones (APP-2);
``link_follow`` follows a link once, through the handler its purpose registered."""

from __future__ import annotations

from typing import Any

from django.template import TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, text
from backoffice.errors import Conflict, DomainError, NotFound
from backoffice.services import Actor, check_society, service

from . import links, rendering
from .models import LINK_LIFETIME, LinkState, LinkToken, MailKind, MailTemplate, SentMail
from .tasks import enqueue_after_commit

MSG_LINK_EXPIRED = _("This link has expired (links are valid for 24 hours after the mail was sent).")
MSG_LINK_SUPERSEDED = _("This link is no longer valid because a newer mail was sent to the same address.")
MSG_LINK_USED = _("This link has already been used.")
MSG_UNKNOWN_PURPOSE = _("This link cannot be opened here (unknown purpose).")
MSG_NOT_RETRYABLE = _("This mail has already been sent.")
MSG_UNKNOWN_KIND = _("Unknown mail kind: %(kind)s")

REFUSALS = {
    LinkState.EXPIRED: ("link_expired", MSG_LINK_EXPIRED),
    LinkState.SUPERSEDED: ("link_superseded", MSG_LINK_SUPERSEDED),
    LinkState.USED: ("link_used", MSG_LINK_USED),
}


def _check_kind(kind: str) -> None:
    if kind not in MailKind.values:
        raise DomainError("invalid", MSG_UNKNOWN_KIND % {"kind": kind}, fields={"kind": []})


@service(permission="can_write")
def mail_send(*, actor: Actor, society, kind: str, to: str, subject: str, body: str, member_id: int | None = None,
              link_purpose: str | None = None, link_payload: dict | None = None,
              link_url_template: str | None = None) -> SentMail:
    """Keep the mail in the outbox and send it once the caller's transaction commits (nothing is sent when it
    rolls back). With ``link_purpose`` the mail carries a new single-use link valid 24 hours; every still-valid
    link of that purpose to the same address in the society is superseded (APP-2). ``link_url_template``
    (e.g. ``"https://…/links/{token}/"``, by default ``links.link_url_template()``) is formatted with the token;
    ``{link_url}`` in ``body`` is replaced by the link's URL."""
    check_society(actor, society.pk)
    _check_kind(kind)
    address = text.normalize_email(to)
    now = clock.now(society)
    token = None
    superseded: list[int] = []
    if link_purpose:
        token = LinkToken(purpose=link_purpose, society=society, email=address, payload=link_payload or {},
                          expires_at=now + LINK_LIFETIME)
        older = LinkToken.objects.select_for_update().filter(society=society, purpose=link_purpose,
                                                             email=address).still_valid(now)
        superseded = sorted(older.values_list("mail_id", flat=True))
        if superseded:
            LinkToken.objects.filter(mail_id__in=superseded).update(superseded_at=now)
        token.url = (link_url_template or links.link_url_template()).replace("{token}", token.token)
        body = body.replace("{link_url}", token.url)
    mail = SentMail.objects.create(society=society, kind=kind, to=address, subject=subject, body=body,
                                   member_id=member_id, created_at=now)
    after: dict[str, Any] = {"kind": kind, "to": address, "subject": subject, "member_id": member_id}
    if token is not None:
        token.mail = mail
        token.save()
        after.update({"link_purpose": link_purpose, "link_expires_at": token.expires_at.isoformat()})
        if superseded:
            after["superseded_mail_ids"] = superseded
    audit.record(actor=actor, action="mail.sent_mail.queued", target=mail, after=after)
    enqueue_after_commit(mail.pk)
    return mail


@service(permission="can_write")
def mail_retry(*, actor: Actor, mail: SentMail) -> SentMail:
    """Send a queued or failed mail again (after commit)."""
    check_society(actor, mail.society_id)
    mail = SentMail.objects.select_for_update().get(pk=mail.pk)
    if mail.status == SentMail.Status.SENT:
        raise Conflict("mail_already_sent", MSG_NOT_RETRYABLE)
    audit.record(actor=actor, action="mail.sent_mail.retried", target=mail,
                 before={"status": mail.status, "error": mail.error, "attempts": mail.attempts})
    enqueue_after_commit(mail.pk)
    return mail


@service(permission="can_write")
def link_follow(*, actor: Actor, token: str, data: dict | None = None) -> dict:
    """Follow a mail's link on the member's behalf (or as the member): refused when expired, superseded or
    used (409 with that code); otherwise the purpose's handler runs and the link is used up — all in one
    transaction, so a handler's refusal leaves the link unused."""
    if not isinstance(token, str) or not token or len(token) > 64:
        raise NotFound()
    link = LinkToken.objects.select_for_update().filter(token=token).first()
    if link is None:
        raise NotFound()
    check_society(actor, link.society_id)
    society = link.society
    now = clock.now(society)
    state = link.state_at(now)
    if state in REFUSALS:
        code, message = REFUSALS[state]
        raise Conflict(code, message)
    handler = links.link_handler(link.purpose)
    if handler is None:
        raise DomainError("invalid", MSG_UNKNOWN_PURPOSE)
    refusal = links.link_follow_refusal(link.purpose, actor)
    if refusal is not None:
        raise refusal
    result = links.call_handler(handler, actor=actor, society=society, email=link.email,
                                payload=dict(link.payload or {}), data=dict(data or {}))
    link.used_at = now
    link.save(update_fields=["used_at"])
    audit.record(actor=actor, action="mail.link.followed", target=link.mail, society_id=link.society_id,
                 after={"link_purpose": link.purpose, "used_at": now.isoformat()})
    return result


@service(permission="can_manage_settings")
def mail_template_update(*, actor: Actor, society, kind: str, subject: str, body: str) -> MailTemplate:
    """The society's own wording of a kind of mail (Django template syntax)."""
    check_society(actor, society.pk)
    _check_kind(kind)
    for field, source in (("subject", subject), ("body", body)):
        try:
            rendering.compile_template(source)
        except TemplateSyntaxError as exc:
            raise DomainError("invalid", _("The template cannot be read: %(error)s") % {"error": exc},
                              fields={field: []})
    template = MailTemplate.objects.select_for_update().filter(society=society, kind=kind).first()
    if template is None:
        default_subject, default_body = rendering.default_template(kind)
        before = {"subject": default_subject, "body": default_body}
        template = MailTemplate(society=society, kind=kind)
    else:
        before = {"subject": template.subject, "body": template.body}
    template.subject, template.body = subject, body
    if template.pk is None or before != {"subject": subject, "body": body}:
        template.save()
    audit.record_change(actor=actor, action="mail.template.updated", target=template, before=before,
                        after={"subject": subject, "body": body})
    return template
from .rendering import render_mail  # noqa: E402,F401  (re-exported: the public API of mail)
