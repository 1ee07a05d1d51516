"""The outbox (MAIL-1, MAIL-3) and the links a mail carries (APP-1, APP-2).

mail/ knows no members: the society is a foreign key by label, the member is the owning app's id. A link's
state (valid / expired / superseded / used) is derived from its dates and the society clock, never stored.
"""

from __future__ import annotations

import datetime
import secrets

from django.db import models
from django.db.models import Case, CharField, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice.scoping import SocietyScopedQuerySet

#: How long a link stays valid after the mail is sent (seed 003: 「メール送信日時から24時間」).
LINK_LIFETIME = datetime.timedelta(hours=24)


class MailKind(models.TextChoices):
    EMAIL_VERIFICATION = "email_verification", pgettext_lazy("mail kind", "E-mail address verification")
    REGISTRATION_COMPLETE = "registration_complete", pgettext_lazy("mail kind", "Registration complete")
    PASSWORD_RESET = "password_reset", pgettext_lazy("mail kind", "Password reset")
    EMAIL_CHANGE_CONFIRM = "email_change_confirm", pgettext_lazy("mail kind", "E-mail address change confirmation URL")
    INVOICE_NOTICE = "invoice_notice", pgettext_lazy("mail kind", "Invoice notice")
    PAYMENT_RECEIPT = "payment_receipt", pgettext_lazy("mail kind", "Payment receipt")
    PAYMENT_REMINDER = "payment_reminder", pgettext_lazy("mail kind", "Payment reminder")
    APASS_UNLINKED = "apass_unlinked", pgettext_lazy("mail kind", "A-Pass unlinked")
    OTHER = "other", pgettext_lazy("mail kind", "Other")


class LinkState(models.TextChoices):
    VALID = "valid", pgettext_lazy("link state", "Valid")
    EXPIRED = "expired", pgettext_lazy("link state", "Expired")
    SUPERSEDED = "superseded", pgettext_lazy("link state", "Invalidated by a newer mail")
    USED = "used", pgettext_lazy("link state", "Used")


def link_state_expression(now: datetime.datetime, prefix: str = "") -> Case:
    """The link's state as a database expression against ``now`` (the society clock), so a list stays one
    query. Used first, then superseded, then expired: a used or superseded link stays so after its expiry."""
    return Case(
        When(**{f"{prefix}used_at__isnull": False}, then=Value(LinkState.USED.value)),
        When(**{f"{prefix}superseded_at__isnull": False}, then=Value(LinkState.SUPERSEDED.value)),
        When(**{f"{prefix}expires_at__lte": now}, then=Value(LinkState.EXPIRED.value)),
        When(**{f"{prefix}expires_at__isnull": False}, then=Value(LinkState.VALID.value)),
        default=Value(None),
        output_field=CharField(),
    )


class SentMailQuerySet(SocietyScopedQuerySet):
    # The one society the rows are limited to (set by visible_to and in_society), so that the SQLite search index
    # is asked for that society's rows only (mail.selectors.search_sent_mails); None: not known to be one society's.
    search_society_id: int | None = None

    def _clone(self):
        clone = super()._clone()
        clone.search_society_id = self.search_society_id
        return clone

    def __or__(self, other):  # the union may hold other societies' rows
        combined = super().__or__(other)
        combined.search_society_id = None
        return combined

    def __xor__(self, other):
        combined = super().__xor__(other)
        combined.search_society_id = None
        return combined

    def visible_to(self, operator):
        """The society's mails, less those whose link is its addressee's secret (``links.register_private_purpose``)."""
        qs = super().visible_to(operator).without_private_links()
        if not getattr(operator, "sees_all_societies", False) and getattr(operator, "society_id", None) is not None:
            qs.search_society_id = operator.society_id
        return qs

    def in_society(self, society):
        qs = super().in_society(society)
        qs.search_society_id = society.pk
        return qs

    def without_private_links(self):
        from . import links

        private = links.private_purposes()
        return self.exclude(link__purpose__in=private) if private else self

    def with_link(self):
        """Fetch each mail's link in the same query; the lists derive its state in Python
        (``SentMail.link_state_at``), so that their capped count reads the mails alone, without the join."""
        return self.select_related("link")

    def with_link_state(self, now: datetime.datetime):
        """Annotate ``link_state`` (None for a mail without a link) and fetch the link in the same query."""
        return self.select_related("link").annotate(link_state=link_state_expression(now, "link__"))


class SentMail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    society = models.ForeignKey("members.Society", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("society"))
    kind = models.CharField(_("mail kind"), max_length=32, choices=MailKind.choices)
    to = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    member_id = models.BigIntegerField(_("member ID"), null=True, blank=True)
    status = models.CharField(_("sending status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True, default="")
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = SentMailQuerySet.as_manager()

    class Meta:
        verbose_name = _("sent mail")
        verbose_name_plural = _("Sent mails to individual members")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["society", "to", "-created_at"], name="mail_sent_society_to"),
            models.Index(fields=["society", "member_id", "-created_at"], name="mail_sent_society_member"),
            models.Index(fields=["society", "kind", "-created_at"], name="mail_sent_society_kind_date"),
            models.Index(fields=["society", "-created_at", "-id"], name="mail_sent_society_date"),
            # and the search index of migration 0003 (bigrams: a GIN index on PostgreSQL, an FTS5 table on SQLite)
            models.Index(fields=["status"], name="mail_sent_status",
                         condition=~Q(status="sent")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}"

    def link_state_at(self, now: datetime.datetime) -> str | None:
        """The state of the mail's link on ``now`` (None without a link); read ``with_link()`` to avoid a query."""
        link = getattr(self, "link", None) if hasattr(self, "link") else None
        return str(link.state_at(now)) if link is not None else None


class LinkTokenQuerySet(SocietyScopedQuerySet):
    def with_state(self, now: datetime.datetime):
        return self.annotate(state=link_state_expression(now))

    def still_valid(self, now: datetime.datetime):
        return self.filter(used_at__isnull=True, superseded_at__isnull=True, expires_at__gt=now)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class LinkToken(models.Model):
    """A link a mail carries. ``purpose`` is chosen by the app that sends it, which also registered the handler
    that follows it (``mail.links.register_link_handler``)."""

    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    mail = models.OneToOneField(SentMail, on_delete=models.PROTECT, related_name="link", verbose_name=_("mail"))
    purpose = models.CharField(_("purpose"), max_length=64)
    url = models.CharField(_("link URL"), max_length=500, blank=True, default="")
    society = models.ForeignKey("members.Society", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("society"))
    email = models.EmailField(_("e-mail address"), max_length=254)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    objects = LinkTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("mail link")
        verbose_name_plural = _("mail links")
        indexes = [
            # APP-2's look-up: the still-valid links of a purpose to an address in a society
            models.Index(fields=["society", "purpose", "email"], name="mail_link_purpose_email"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.email}"

    def state_at(self, now: datetime.datetime) -> str:
        if self.used_at is not None:
            return LinkState.USED
        if self.superseded_at is not None:
            return LinkState.SUPERSEDED
        if self.expires_at <= now:
            return LinkState.EXPIRED
        return LinkState.VALID


class MailTemplate(models.Model):
    """A society's own wording of a kind of mail; without one the default shipped in
    ``mail/templates/mail/defaults/<kind>.txt`` is used."""

    society = models.ForeignKey("members.Society", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("society"))
    kind = models.CharField(_("mail kind"), max_length=32, choices=MailKind.choices)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        constraints = [models.UniqueConstraint(fields=["society", "kind"], name="mail_template_one_per_kind")]

    def __str__(self) -> str:
        return self.get_kind_display()
