"""Support cases (SUP-5, SUP-7): the published flow versions, each case pinned to one, its steps (every fact
the record gave and every answer the caller gave, superseded ones kept), the actions taken and notes."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.scoping import SocietyScopedQuerySet


class FlowVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("A published flow version never changes; publish a new version.")


class FlowVersion(models.Model):
    """One published version of a flow definition (SUP-1, SUP-7). Never changes once stored: a case started
    on it keeps reading this definition."""

    flow = models.CharField(_("flow"), max_length=50)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    definition = models.JSONField(_("definition"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)

    objects = FlowVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")
        ordering = ["flow", "-version"]
        constraints = [models.UniqueConstraint(fields=["flow", "version"], name="support_flow_version_unique")]

    def __str__(self) -> str:
        return f"{self.flow} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("A published flow version never changes; publish a new version.")
        super().save(*args, **kwargs)


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    society = models.ForeignKey("members.Society", verbose_name=_("society"), on_delete=models.PROTECT,
                                related_name="support_cases")
    flow_version = models.ForeignKey(FlowVersion, verbose_name=_("flow version"), on_delete=models.PROTECT,
                                     related_name="cases")
    # SET_NULL: a case is kept for good (SUP-5) even when a scenario reset removes its member.
    member = models.ForeignKey("members.Member", verbose_name=_("member"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="support_cases")
    email = models.EmailField(_("caller's e-mail"), blank=True)
    operator_email = models.EmailField(_("caller's operator e-mail"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    current_node = models.CharField(_("current node"), max_length=50, blank=True)
    outcome = models.CharField(_("outcome"), max_length=50, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_by_label = models.CharField(_("agent"), max_length=255)
    created_at = models.DateTimeField(_("created at"))  # society clock
    updated_at = models.DateTimeField(_("updated at"))  # society clock

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("support case")
        verbose_name_plural = _("support cases")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["society", "-created_at"]), models.Index(fields=["society", "member"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.flow_version}"


class CaseStep(models.Model):
    """A fact the record gave or an answer the caller gave. Stepping back or a changed fact marks the old
    step superseded; it stays (SUP-7)."""

    class Source(models.TextChoices):
        RECORD = "record", _("record")
        CALLER = "caller", _("caller")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    node = models.CharField(_("node"), max_length=50)
    answer = models.JSONField(_("answer"), null=True, blank=True, encoder=DjangoJSONEncoder)
    evidence = models.TextField(_("evidence"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    superseded = models.BooleanField(_("superseded"), default=False)
    at = models.DateTimeField(_("time"))
    by_label = models.CharField(_("by"), max_length=255)

    class Meta:
        ordering = ["case", "id"]
        indexes = [models.Index(fields=["case", "superseded"])]


class CaseAction(models.Model):
    """An outcome's action run from the case (SUP-3): its result, or the refusal with its code."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("action"), max_length=50)
    params = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ok = models.BooleanField(_("succeeded"))
    result = models.JSONField(_("result"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    batch_id = models.UUIDField(_("batch"), null=True, blank=True)  # the act's audit batch
    at = models.DateTimeField(_("time"))
    by_label = models.CharField(_("by"), max_length=255)

    class Meta:
        ordering = ["case", "id"]


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"))
    at = models.DateTimeField(_("time"))
    by_label = models.CharField(_("by"), max_length=255)

    class Meta:
        ordering = ["case", "id"]
