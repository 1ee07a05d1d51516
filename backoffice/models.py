"""The audit trail (SEC-1): append-only, one entry per service call, chained per society (``audit_chain``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoping import SocietyScopedQuerySet


class AuditEntryQuerySet(SocietyScopedQuerySet):
    """``visible_to(operator)``: an operator reads their society's entries, a platform superuser every one."""

    society_lookup = "society"  # the plain ``society_id`` column (the core holds no foreign key to an app)

    def update(self, **kwargs):
        raise TypeError("Audit entries are append-only.")

    def delete(self):
        raise TypeError("Audit entries are append-only.")

    def for_object(self, obj):
        return self.filter(target_type=ContentType.objects.get_for_model(type(obj)), target_id=str(obj.pk))


class AuditEntry(models.Model):
    # Set by ``audit.record`` before the entry is hashed (not auto_now_add: the hash covers it).
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    society_id = models.BigIntegerField(_("society"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=255)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    # A bulk act writes one entry per changed object; they share this id ([会員状況の一括更新], [会員番号採番]).
    batch_id = models.UUIDField(_("batch"), null=True, blank=True, db_index=True)
    # An act of several services (a support case's action, a guided procedure) labels its batch.
    act_label = models.CharField(_("act"), max_length=200, blank=True, default="")

    # Tamper evidence (SEC-1, backoffice.audit_chain): the position in the society's chain (1, 2, …), the
    # hash of the entry before it and the hash of this entry's content with that one.
    seq = models.PositiveBigIntegerField(_("position in the chain"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    entry_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        constraints = [
            models.UniqueConstraint(fields=["society_id", "seq"], condition=models.Q(society_id__isnull=False),
                                    name="audit_one_entry_per_chain_position"),
            models.UniqueConstraint(fields=["seq"], condition=models.Q(society_id__isnull=True),
                                    name="audit_one_platform_entry_per_chain_position"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit entries are append-only.")


class AuditChainHead(models.Model):
    """One chain of the audit trail: its row is the chain's lock (``audit_chain.lock_head``: writers of one
    society's entries take turns on it) and holds how far the chain had come (``last_seq``)."""

    chain = models.BigIntegerField(unique=True)  # the society's id; 0 for entries without a society
    # The chain had reached this position when a writer last took the lock: entries up to it must exist.
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.last_seq}"
