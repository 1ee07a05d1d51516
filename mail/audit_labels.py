"""The mail app's labels on the audit screens; registered from MailConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice import audit

from .models import LinkState, MailKind, MailTemplate, SentMail

ACTION_LABELS = {
    "mail.sent_mail.queued": pgettext_lazy("audit action", "Mail sent"),
    "mail.sent_mail.retried": pgettext_lazy("audit action", "Mail sent again"),
    "mail.link.followed": pgettext_lazy("audit action", "Mail link opened"),
    "mail.template.updated": pgettext_lazy("audit action", "Mail template changed"),
}

MAIL_FIELDS = {
    "link_purpose": _("link purpose"),
    "link_expires_at": _("link expires at"),
    "superseded_mail_ids": _("mails whose links became invalid"),
    "used_at": _("used at"),
    "link_state": _("link state"),
}


def register() -> None:
    audit.register_action_labels(ACTION_LABELS)
    audit.register_target_models(SentMail, MailTemplate)
    audit.register_field_labels(SentMail, MAIL_FIELDS, choices={"link_state": LinkState.choices})
    audit.register_field_labels(MailTemplate, {}, choices={"kind": MailKind.choices})
