"""Writing the audit trail (SEC-1). Services write one entry per changed object, in their transaction.

``record`` writes one entry; ``record_change`` writes one only when something changed (nothing changed, no
entry); ``record_many`` writes a bulk act's entries in one INSERT. Every entry is chained to the one before it in
its society (``backoffice.audit_chain``): write entries only through these. A bulk act shares one ``batch_id`` (``new_batch_id()``) across the entries of its members.

Acts (DESIGN.md 5c): ``with audit_act("support case 12: set_status_applying"):`` makes every entry written
inside it — by however many services — share one batch id and carry the act's label; a nested act joins the
outer one. ``collect_entries()`` lets a dry run (``backoffice.services.dry_run``) see what would be recorded.

The audit screens read entries through labels the apps register here (``register_action_labels``,
``register_field_labels``); ``backoffice.audit_display`` turns an entry into what the secretariat reads.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone

from . import audit_chain
from .models import AuditEntry


def actor_label(actor: Any) -> str:
    if isinstance(actor, str):
        return actor
    email = getattr(actor, "email", None)
    return email or str(actor)


@dataclasses.dataclass(frozen=True)
class Act:
    """Several services called for one business act: one batch id for all their entries, and a label."""

    batch_id: uuid.UUID
    label: str


_current_act: contextvars.ContextVar[Act | None] = contextvars.ContextVar("audit_act", default=None)
_collectors: contextvars.ContextVar[tuple[list, ...]] = contextvars.ContextVar("audit_collectors", default=())

ACT_LABEL_MAX = 200


def current_act() -> Act | None:
    return _current_act.get()


@contextlib.contextmanager
def audit_act(label: str) -> Iterator[Act]:
    """Every audit entry written inside shares one batch id and ``label`` (a case, a procedure). An act
    inside an act joins the outer one: the outer act is the business act."""
    outer = _current_act.get()
    if outer is not None:
        yield outer
        return
    act = Act(batch_id=uuid.uuid4(), label=str(label)[:ACT_LABEL_MAX])
    token = _current_act.set(act)
    try:
        yield act
    finally:
        _current_act.reset(token)


@contextlib.contextmanager
def collect_entries() -> Iterator[list[AuditEntry]]:
    """The entries ``record`` writes inside, in order (also those a rollback will undo): a dry run's changes."""
    found: list[AuditEntry] = []
    token = _collectors.set(_collectors.get() + (found,))
    try:
        yield found
    finally:
        _collectors.reset(token)


def new_batch_id() -> uuid.UUID:
    """A new batch for a bulk act — the current act's, inside one."""
    act = _current_act.get()
    return act.batch_id if act is not None else uuid.uuid4()


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
    act = _current_act.get()
    if act is not None:
        batch_id = act.batch_id
    entry = AuditEntry(
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
        act_label=act.label if act is not None else "",
    )
    _write([entry], society_id)
    return entry


def _write(entries: list[AuditEntry], society_id: int | None) -> None:
    """Chain ``entries`` (all of ``society_id``) after the last one of their society and insert them."""
    with transaction.atomic(savepoint=False):  # the caller's transaction (a service's), or one of its own
        head = audit_chain.lock_head(society_id)
        now = timezone.now()
        for entry in entries:
            entry.at = now
        audit_chain.chain(entries, head)
        if len(entries) == 1:
            entries[0].save(force_insert=True)
        else:
            AuditEntry.objects.bulk_create(entries, batch_size=2000)
        audit_chain.remember(head)
    for found in _collectors.get():
        found.extend(entries)


def record_many(*, actor: Any, action: str, society_id: int,
                rows: Iterable[tuple[models.Model, dict | None, dict | None]],
                batch_id: uuid.UUID | None = None) -> list[AuditEntry]:
    """One entry per ``(target, before, after)`` of one society's bulk act, chained and written in one INSERT
    (a billing run may hold 100,000 invoices)."""
    if actor is None or actor == "":
        raise ValueError("Every service call needs an actor.")
    user = None if isinstance(actor, str) else actor
    label = actor_label(actor)[:255]
    act = _current_act.get()
    if act is not None:
        batch_id = act.batch_id
    entries = [
        AuditEntry(actor_label=label, actor_user=user, action=action, society_id=society_id,
                   target_type=ContentType.objects.get_for_model(type(target)), target_id=str(target.pk),
                   target_repr=str(target)[:255], before=before, after=after, batch_id=batch_id,
                   act_label=act.label if act is not None else "")
        for target, before, after in rows
    ]
    if entries:
        _write(entries, society_id)
    return entries


def record_change(*, actor: Any, action: str, target: models.Model, before: dict, after: dict,
                  batch_id: uuid.UUID | None = None, **extra: Any) -> AuditEntry | None:
    """One entry with only the fields that changed; none when nothing did."""
    b, a = changed(before, after)
    if not a and not b:
        return None
    return record(actor=actor, action=action, target=target, before=b, after=a, batch_id=batch_id, **extra)


# ---------------------------------------------------------------------------------------------------
# Labels for the audit screens (監査ログ, 履歴). The core imports no app: each app registers the labels of
# its actions and of the before/after keys from its AppConfig.ready() (see members/audit_labels.py).
# ---------------------------------------------------------------------------------------------------

#: ``register_field_labels(ANYWHERE, …)``: keys that read the same whatever the action and the target.
ANYWHERE = None

_action_labels: dict[str, Any] = {}
_field_labels: dict[str | None, dict[str, Any]] = {}
_field_choices: dict[str | None, dict[str, dict[str, Any]]] = {}
_field_formats: dict[str | None, dict[str, Callable[[Any], str]]] = {}


def register_action_labels(mapping: Mapping[str, Any]) -> None:
    """Human labels (lazy translations) of action codes, e.g. ``{"members.member.created": _("…")}``."""
    _action_labels.update(mapping)


def action_label(code: str) -> str:
    """The action's label in the active language; the code itself when no app registered one."""
    label = _action_labels.get(code)
    return str(label) if label is not None else code


def action_choices() -> list[tuple[str, str]]:
    """(code, label) of every registered action, in registration order (the list's 操作 filter)."""
    return [(code, str(label)) for code, label in _action_labels.items()]


_target_models: list[type[models.Model]] = []


def register_target_models(*target_models: type[models.Model]) -> None:
    """The models an app's entries target: the 監査ログ list offers them in its 対象の種類 filter (from the
    registry, so the list never scans the trail for the types it holds)."""
    for model in target_models:
        if model not in _target_models:
            _target_models.append(model)


def target_models() -> list[type[models.Model]]:
    return list(_target_models)


def _scope_key(scope: str | type[models.Model] | None) -> str | None:
    if scope is None:
        return None
    if isinstance(scope, str):
        return scope  # an action code
    return scope._meta.label_lower  # a model class: every entry whose target is one of these


def register_field_labels(
    scope: str | type[models.Model] | None,
    mapping: Mapping[str, Any],
    *,
    choices: Mapping[str, Iterable[tuple[Any, Any]]] | None = None,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
) -> None:
    """Labels of before/after keys that are not (or not only) fields of the target model.

    ``scope`` is an action code (``"members.adjustment.added"``), a model class (every entry whose target is
    one of these) or ``ANYWHERE``. ``choices`` maps a key to ``(value, label)`` pairs so that stored codes
    read as their labels (``{"status": Status.choices}``); ``formats`` maps a key to how its values read
    (``{"amount": yen}``: 10000 → 10,000円). A key's label is looked up in this order: the
    action's registration, the target model's registration, the target model's field (``verbose_name``,
    ``choices``), then ``ANYWHERE``; the key itself as a last resort.
    """
    key = _scope_key(scope)
    _field_labels.setdefault(key, {}).update(mapping)
    for name, pairs in (choices or {}).items():
        _field_choices.setdefault(key, {})[name] = {str(value): label for value, label in pairs}
    _field_formats.setdefault(key, {}).update(formats or {})


_society_codes: dict[str, Callable[[int], Mapping[str, str]]] = {}


def register_society_codes(keys: Iterable[str], loader: Callable[[int], Mapping[str, str]]) -> None:
    """Keys whose values are codes of a society's own list (a member type's ``student``): ``loader(society_id)``
    gives ``{code: label}`` for the whole society (one query), so that an entry reads 学生会員, not its code."""
    for key in keys:
        _society_codes[key] = loader


def society_code_loader(key: str) -> Callable[[int], Mapping[str, str]] | None:
    return _society_codes.get(key)


def _model_field(model: type[models.Model] | None, key: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)  # also finds a foreign key by its attname (``apass_id``)
    except FieldDoesNotExist:
        return None


def _scopes(action: str | None, model: type[models.Model] | None) -> list[str | None]:
    return [action, _scope_key(model) if model is not None else None]


def field_label(key: str, *, action: str | None = None, model: type[models.Model] | None = None) -> str:
    """The label of a before/after key of an entry (``action``, target ``model``); see register_field_labels."""
    action_scope, model_scope = _scopes(action, model)
    for scope in (action_scope, model_scope):
        if scope is not None and key in _field_labels.get(scope, {}):
            return str(_field_labels[scope][key])
    field = _model_field(model, key)
    if field is not None and getattr(field, "verbose_name", None):
        return str(field.verbose_name)
    if key in _field_labels.get(ANYWHERE, {}):
        return str(_field_labels[ANYWHERE][key])
    return key


def field_choices(key: str, *, action: str | None = None,
                  model: type[models.Model] | None = None) -> dict[str, str] | None:
    """``{stored value: label}`` for a key whose values are codes, else None (same lookup order as labels)."""
    action_scope, model_scope = _scopes(action, model)
    for scope in (action_scope, model_scope):
        if scope is None:
            continue
        if key in _field_choices.get(scope, {}):
            return {v: str(label) for v, label in _field_choices[scope][key].items()}
        if key in _field_labels.get(scope, {}):
            return None  # registered here without choices: a plain value
    field = _model_field(model, key)
    if field is not None:
        if getattr(field, "choices", None):
            return {str(v): str(label) for v, label in field.flatchoices}
        return None
    found = _field_choices.get(ANYWHERE, {}).get(key)
    return {v: str(label) for v, label in found.items()} if found else None


def field_format(key: str, *, action: str | None = None,
                 model: type[models.Model] | None = None) -> Callable[[Any], str] | None:
    """How the values of a key read (``register_field_labels(formats=…)``): the action's, the model's, then
    ``ANYWHERE``'s; None for a plain value."""
    for scope in _scopes(action, model):
        if scope is not None and key in _field_formats.get(scope, {}):
            return _field_formats[scope][key]
    return _field_formats.get(ANYWHERE, {}).get(key)


def field_order(*, action: str | None = None, model: type[models.Model] | None = None) -> list[str]:
    """Keys in the order the screens list them: the action's registration, the model's fields, the model's
    registration, then ``ANYWHERE`` (a JSON object has no order PostgreSQL keeps)."""
    action_scope, model_scope = _scopes(action, model)
    order: list[str] = list(_field_labels.get(action_scope, {})) if action_scope is not None else []
    if model is not None:
        for field in model._meta.concrete_fields:
            order += [field.name, field.attname]
    if model_scope is not None:
        order += list(_field_labels.get(model_scope, {}))
    order += list(_field_labels.get(ANYWHERE, {}))
    return order
