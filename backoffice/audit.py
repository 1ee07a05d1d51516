"""Writing the audit trail (SEC-1). Services write one entry per changed object, in their transaction.

``record`` writes one entry; ``record_change`` writes one only when something changed (nothing changed, no
entry). A bulk act shares one ``batch_id`` (``new_batch_id()``) across the entries of its members.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def actor_label(actor: Any) -> str:
    if isinstance(actor, str):
        return actor
    email = getattr(actor, "email", None)
    return email or str(actor)


def new_batch_id() -> uuid.UUID:
    return uuid.uuid4()


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """The keys whose values differ, as (before, after) restricted to them."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    society_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    batch_id: uuid.UUID | None = None,
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
        batch_id=batch_id,
    )


def record_change(*, actor: Any, action: str, target: models.Model, before: dict, after: dict,
                  batch_id: uuid.UUID | None = None, **extra: Any) -> AuditEntry | None:
    """One entry with only the fields that changed; none when nothing did."""
    b, a = changed(before, after)
    if not a and not b:
        return None
    return record(actor=actor, action=action, target=target, before=b, after=a, batch_id=batch_id, **extra)
