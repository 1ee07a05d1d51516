"""How an audit entry reads for the secretariat (SEC-1): the action's label, before/after as a table of fields
with their labels, values for humans, and one time zone — the society's — on every audit screen.

Labels come from the registry in ``backoffice.audit`` (filled by the apps); the society's name from
``settings.SOCIETY_MODEL``. Nothing here imports an app.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext as _

from . import audit, clock
from .models import AuditEntry

EMPTY = "—"
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def viewer_timezone(society) -> zoneinfo.ZoneInfo:
    """The one zone of the audit screens: the viewer's society's (a platform superuser: the default)."""
    return clock.society_timezone(society)


def local_time(at: datetime.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def time_header(tz: zoneinfo.ZoneInfo) -> str:
    return _("time (%(zone)s)") % {"zone": tz.key}


# --- society and target ------------------------------------------------------------------------------


def society_names(ids: Iterable[int | None]) -> dict[int, str]:
    """``{society id: name}`` for the given ids, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    model = apps.get_model(settings.SOCIETY_MODEL)
    return {pk: str(obj) for pk, obj in model._default_manager.in_bulk(wanted).items()}


def attach_society_names(entries: Iterable[AuditEntry]) -> None:
    """Set ``society_name`` on every entry (one query for all of them)."""
    entries = list(entries)
    names = society_names(e.society_id for e in entries)
    for entry in entries:
        entry.society_name = names.get(entry.society_id, "" if entry.society_id is None else str(entry.society_id))


def target_model(entry: AuditEntry) -> type[models.Model] | None:
    if entry.target_type_id is None:
        return None
    return ContentType.objects.get_for_id(entry.target_type_id).model_class()  # cached: no query per row


def target_type_label(entry: AuditEntry) -> str:
    model = target_model(entry)
    return str(model._meta.verbose_name) if model is not None else ""


def target_display(entry: AuditEntry) -> str:
    """「会員: 山田 太郎」; — for an entry without a target (a bulk act written for the society)."""
    if not entry.target_type_id:
        return EMPTY
    kind = target_type_label(entry)
    return f"{kind}: {entry.target_repr}" if kind else entry.target_repr


def target_filter_value(entry: AuditEntry) -> str:
    """The 監査ログ list's ``?target=`` value for an entry's target: ``<content type id>:<id>``."""
    return f"{entry.target_type_id}:{entry.target_id}" if entry.target_type_id else ""


def object_filter_value(obj: models.Model) -> str:
    return f"{ContentType.objects.get_for_model(type(obj)).pk}:{obj.pk}"


# --- before / after ----------------------------------------------------------------------------------


class SocietyCodes:
    """The labels of the society-scoped codes (``audit.register_society_codes``) of the entries of one page, loaded
    once per key and society however many entries or values name them (the pages' query counts stay bounded)."""

    def __init__(self):
        self._loaded: dict[tuple[str, int], dict[str, str]] = {}

    def label(self, key: str, society_id: int | None, value: Any) -> str | None:
        loader = audit.society_code_loader(key)
        if loader is None or society_id is None:
            return None
        if (key, society_id) not in self._loaded:
            self._loaded[key, society_id] = {str(code): str(label) for code, label in loader(society_id).items()}
        return self._loaded[key, society_id].get(str(value))


@dataclass(frozen=True)
class ChangeRow:
    key: str
    label: str
    before: str
    after: str


def display_value(value: Any, *, tz: zoneinfo.ZoneInfo, key: str = "", action: str | None = None,
                  model: type[models.Model] | None = None, codes: SocietyCodes | None = None,
                  society_id: int | None = None) -> str:
    """A stored before/after value as the secretariat reads it: dates YYYY-MM-DD, times in ``tz``, はい/いいえ,
    codes as their labels (a society's own codes, such as a member type's, from ``codes`` for ``society_id``),
    — for nothing, lists and objects spelled out with their labels."""
    more = {"codes": codes, "society_id": society_id}
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        keys = _ordered_keys(value.keys(), action=action, model=model)
        return "、".join(
            f"{audit.field_label(k, action=action, model=model)}: "
            f"{display_value(value[k], tz=tz, key=k, action=action, model=model, **more)}"
            for k in keys
        )
    if isinstance(value, (list, tuple)):
        items = [display_value(v, tz=tz, key=key, action=action, model=model, **more) for v in value]
        return "、".join(f"（{item}）" if isinstance(v, dict) else item for v, item in zip(value, items))
    if isinstance(value, datetime.datetime):
        return local_time(value, tz) if value.tzinfo else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if key:
        choices = audit.field_choices(key, action=action, model=model)
        if choices and str(value) in choices:
            return choices[str(value)]
        label = codes.label(key, society_id, value) if codes is not None else None
        if label is not None:
            return label
        formatter = audit.field_format(key, action=action, model=model)
        if formatter is not None:
            return formatter(value)
    if isinstance(value, str) and _DATETIME_RE.match(value):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        return display_value(parsed, tz=tz)
    return str(value)


def _ordered_keys(keys: Iterable[str], *, action: str | None, model: type[models.Model] | None) -> list[str]:
    order = audit.field_order(action=action, model=model)
    rank = {k: i for i, k in reversed(list(enumerate(order)))}
    return sorted(set(keys), key=lambda k: (rank.get(k, len(order)), k))


def change_rows(entry: AuditEntry, tz: zoneinfo.ZoneInfo, codes: SocietyCodes | None = None) -> list[ChangeRow]:
    """項目 / 変更前 / 変更後: one row per key of before or after, labelled and rendered for humans. ``codes``:
    the page's memo of society codes (one per page keeps its queries bounded; a new one otherwise)."""
    return value_rows(entry.action, target_model(entry), entry.before, entry.after, tz,
                      society_id=entry.society_id, codes=codes)


def value_rows(action: str, model: type[models.Model] | None, before: Any, after: Any,
               tz: zoneinfo.ZoneInfo, *, society_id: int | None = None,
               codes: SocietyCodes | None = None) -> list[ChangeRow]:
    """``change_rows`` of values not (yet) stored as an entry — a dry run's changes (the support console's preview).
    ``society_id``: whose codes the values are (a member type's code reads as that society's name for it)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    codes = codes if codes is not None else SocietyCodes()
    more = {"action": action, "model": model, "codes": codes, "society_id": society_id}
    rows = []
    for key in _ordered_keys([*before, *after], action=action, model=model):
        rows.append(ChangeRow(
            key=key,
            label=audit.field_label(key, action=action, model=model),
            before=display_value(before.get(key), tz=tz, key=key, **more),
            after=display_value(after.get(key), tz=tz, key=key, **more),
        ))
    return rows


def present(entry: AuditEntry, tz: zoneinfo.ZoneInfo, codes: SocietyCodes | None = None) -> AuditEntry:
    """Attach what the audit templates show: ``time_display``, ``action_display``, ``target_type_display``,
    ``target_display``, ``target_filter``, ``change_rows`` (``codes``: the page's memo, see ``change_rows``)."""
    entry.time_display = local_time(entry.at, tz)
    entry.action_display = audit.action_label(entry.action)
    entry.target_type_display = target_type_label(entry)
    entry.target_display = target_display(entry)
    entry.target_filter = target_filter_value(entry)
    entry.change_rows = change_rows(entry, tz, codes)
    return entry
