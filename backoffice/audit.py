"""Writing the audit trail. Every service calls :func:`record` once, inside its transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def actor_label(actor: Any) -> str:
    if isinstance(actor, str):
        return actor
    email = getattr(actor, "email", None)
    return email or str(actor)


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    society_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    if actor is None or actor == "":
        raise ValueError("Every service call needs an actor.")
    user = None if isinstance(actor, str) else actor
    if society_id is None and target is not None:
        society_id = getattr(target, "society_id", None)
    return AuditEntry.objects.create(
        actor_label=actor_label(actor)[:255],
        actor_user=user,
        action=action,
        society_id=society_id,
        target_type=ContentType.objects.get_for_model(type(target)) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        before=before,
        after=after,
    )
