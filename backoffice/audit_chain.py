"""The audit trail is tamper-evident (SEC-1, SEC-5): every entry carries the hash of its content and of the
entry before it in its society's chain.

Each society (and the platform, for entries without a society) has one chain: ``AuditEntry.seq`` counts 1, 2,
3, … in it, ``prev_hash`` is the ``entry_hash`` of the entry before (empty for the first) and ``entry_hash`` is
the SHA-256 of the entry's content with ``prev_hash`` (``entry_digest``). ``AuditChainHead`` is each chain's lock
and high-water mark; a writer takes that row's lock first (``lock_head``: an upsert that waits for the other
writer's commit on PostgreSQL; SQLite's IMMEDIATE transactions take turns anyway), so two services writing at
once chain one after the other. The mark is raised to the committed entries at each writer's lock: removing the
entries at a chain's end is seen once another entry was written after them. A row changed, removed or inserted behind the product's back breaks
the chain at that entry: ``manage.py audit_verify`` (``verify``) walks every chain and names the first broken
entry.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

#: The version of ``entry_digest``'s layout, hashed with it: a later layout would chain on from here.
DIGEST_VERSION = 1
PLATFORM_CHAIN = 0  # the chain key of entries without a society


def chain_key(society_id: int | None) -> int:
    return PLATFORM_CHAIN if society_id is None else int(society_id)


def as_stored_json(value: Any) -> Any:
    """A before/after value as the database gives it back (dates as strings, …): what the hash covers."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _instant(at: datetime.datetime) -> str:
    return at.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")


def entry_digest(*, society_id: int | None, seq: int, at: datetime.datetime, actor_label: str,
                 actor_user_id: int | None, action: str, target_type: str, target_id: str, target_repr: str,
                 before: Any, after: Any, batch_id: Any, act_label: str, prev_hash: str) -> str:
    """SHA-256 (hex) of an entry's content and the hash of the entry before it. ``target_type`` is
    ``"app_label.model"`` (not the content type's id, which differs between databases)."""
    content = [
        DIGEST_VERSION, society_id, seq, _instant(at), actor_label, actor_user_id, action, target_type,
        str(target_id), target_repr, as_stored_json(before), as_stored_json(after),
        str(batch_id) if batch_id else None, act_label or "", prev_hash or "",
    ]
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_type_label(content_type_id: int | None) -> str:
    if content_type_id is None:
        return ""
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_id(content_type_id)
    return f"{ct.app_label}.{ct.model}"


def digest_of(entry) -> str:
    """The hash ``entry`` (an ``AuditEntry`` as stored) should carry."""
    return entry_digest(
        society_id=entry.society_id, seq=entry.seq, at=entry.at, actor_label=entry.actor_label,
        actor_user_id=entry.actor_user_id, action=entry.action,
        target_type=content_type_label(entry.target_type_id), target_id=entry.target_id,
        target_repr=entry.target_repr, before=entry.before, after=entry.after, batch_id=entry.batch_id,
        act_label=entry.act_label, prev_hash=entry.prev_hash,
    )


# --- writing --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Head:
    key: int
    society_id: int | None
    last_seq: int
    last_hash: str


def _where(society_id: int | None) -> tuple[str, list]:
    return ("society_id IS NULL", []) if society_id is None else ("society_id = %s", [society_id])


def lock_head(society_id: int | None) -> Head:
    """Lock the chain of ``society_id`` until the transaction ends and read where it stands. Call inside a
    transaction.

    The first entry of a transaction takes two statements: an upsert of the chain's head row (created with the
    chain's first entry; its lock makes the society's writers take turns on PostgreSQL, SQLite's IMMEDIATE
    transactions take turns anyway), which also raises the head's high-water mark to the entries committed so
    far, and then a read of the chain's last entry (after the lock, so it sees the writer waited for). The next
    entries of the same transaction chain on from memory: the cache holds only while the entry it follows is
    still part of the transaction (a marker ``on_commit`` callback, which Django drops with a savepoint rolled
    back)."""
    from .models import AuditChainHead, AuditEntry

    key = chain_key(society_id)
    cached = getattr(connection, "_audit_chain_heads", {}).get(key)
    if cached is not None and _still_here(cached[1]):
        return cached[0]
    qn = connection.ops.quote_name
    head_table, entry_table = qn(AuditChainHead._meta.db_table), qn(AuditEntry._meta.db_table)
    where, params = _where(society_id)
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {head_table} (chain, last_seq) VALUES (%s, 0) ON CONFLICT (chain) DO UPDATE SET "
            f"last_seq = {greatest}({head_table}.last_seq, "
            f"COALESCE((SELECT MAX(seq) FROM {entry_table} WHERE {where}), 0))",
            [key, *params],
        )
        cursor.execute(f"SELECT seq, entry_hash FROM {entry_table} WHERE {where} AND seq IS NOT NULL "
                       f"ORDER BY seq DESC LIMIT 1", params)
        row = cursor.fetchone()
    last_seq, last_hash = row if row is not None else (0, "")
    return Head(key=key, society_id=society_id, last_seq=last_seq, last_hash=last_hash)


def _still_here(marker) -> bool:
    return any(func is marker for _sids, func, _robust in reversed(connection.run_on_commit))


def remember(head: Head) -> None:
    """After writing entries: the next entry of this transaction follows ``head`` without asking the database."""

    def marker() -> None:  # runs on commit: the cache is for one transaction only
        heads = getattr(connection, "_audit_chain_heads", {})
        if heads.get(head.key, (None, None))[1] is marker:
            del heads[head.key]

    marker.audit_chain_marker = True  # type: ignore[attr-defined]  (``is_marker``)
    connection.on_commit(marker)
    if not hasattr(connection, "_audit_chain_heads"):
        connection._audit_chain_heads = {}
    connection._audit_chain_heads[head.key] = (dataclasses.replace(head), marker)


def is_marker(func) -> bool:
    """Whether an on_commit callback is one of ``remember``'s markers (a test counting the callbacks of its own
    act leaves them out)."""
    return bool(getattr(func, "audit_chain_marker", False))


def chain(entries: list, head: Head) -> None:
    """Give unsaved ``entries`` (one society's, in order) their place after ``head`` and their hashes."""
    for entry in entries:
        entry.seq = head.last_seq + 1
        entry.prev_hash = head.last_hash
        entry.entry_hash = digest_of(entry)
        head.last_seq, head.last_hash = entry.seq, entry.entry_hash


# --- verifying ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Break:
    """The first entry at which a chain does not hold, and why."""

    society_id: int | None
    entry_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = "platform" if self.society_id is None else f"society {self.society_id}"
        entry = f"entry #{self.entry_id} (seq {self.seq})" if self.entry_id is not None else "end of chain"
        return f"{where}: {entry}: {self.reason}"


@dataclasses.dataclass
class Report:
    chains: int = 0
    entries: int = 0
    breaks: list[Break] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


FIELDS = ("id", "society_id", "seq", "at", "actor_label", "actor_user_id", "action", "target_type_id",
          "target_id", "target_repr", "before", "after", "batch_id", "act_label", "prev_hash", "entry_hash")


def _verify_chain(society_id: int | None, entries: Iterator, head) -> tuple[int, Break | None]:
    expected_seq, expected_prev, count = 1, "", 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            reason = (f"position {entry.seq} where {expected_seq} was expected (an entry before it is missing)"
                      if entry.seq is not None else "not chained (no position)")
            return count, Break(society_id, entry.id, entry.seq, reason)
        if entry.prev_hash != expected_prev:
            return count, Break(society_id, entry.id, entry.seq, "does not follow the entry before it")
        if entry.entry_hash != digest_of(entry):
            return count, Break(society_id, entry.id, entry.seq, "its content was changed after it was written")
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
    last_seq = expected_seq - 1
    if head is None and last_seq:
        return count, Break(society_id, None, None, "the chain has no head")
    if head is not None and last_seq < head.last_seq:
        return count, Break(society_id, None, head.last_seq,
                            f"the chain ends at {last_seq} but had reached {head.last_seq} "
                            "(entries at its end were removed)")
    return count, None


def verify(*, society_ids: list[int | None] | None = None, chunk_size: int = 2000) -> Report:
    """Walk every chain (or those of ``society_ids``) in order and name the first broken entry of each."""
    from .models import AuditChainHead, AuditEntry

    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    if society_ids is None:
        found = set(AuditEntry.objects.order_by().values_list("society_id", flat=True).distinct())
        found |= {None if key == PLATFORM_CHAIN else key for key in heads}
        society_ids = sorted(found, key=lambda s: -1 if s is None else s)
    report = Report()
    for society_id in society_ids:
        rows = AuditEntry.objects.filter(society_id=society_id) if society_id is not None else \
            AuditEntry.objects.filter(society_id__isnull=True)
        rows = rows.order_by("seq", "id").only(*FIELDS).iterator(chunk_size=chunk_size)
        count, broken = _verify_chain(society_id, rows, heads.get(chain_key(society_id)))
        report.chains += 1
        report.entries += count
        if broken is not None:
            report.breaks.append(broken)
    return report
