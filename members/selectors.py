"""Reads spanning several models of the members app."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from backoffice import clock, text

from .models import Member, MemberStatus, Society, Status

_DIGITS_RE = re.compile(r"^\d+$")


def members_of(society: Society | None, *, today=None) -> QuerySet[Member]:
    """The society's members with ``current_status`` annotated (one query for a whole list)."""
    qs = Member.objects.all() if society is None else Member.objects.filter(society=society)
    day = today or clock.today(society)
    return qs.with_current_status(day).select_related("member_type", "apass")


def search_members(queryset: QuerySet[Member], q: str) -> QuerySet[Member]:
    """MEM-10: name and kana by part (hiragana/katakana/half-width kana and letter width match each other),
    e-mail and member number exact or by part, phone exact with or without hyphens."""
    q = (q or "").strip()
    if not q:
        return queryset
    half = text.half_width(q)
    condition = Q()
    parts: list[tuple[str, str]] = []  # (column, term) of every `contains` condition, for the SQLite index
    phone = None
    key = text.search_key(q)
    if "@" in half:
        email = text.normalize_email(half)
        condition |= Q(email__contains=email)
        parts.append(("email", email))
    else:
        if key:
            condition |= Q(search_text__contains=key)
            parts.append(("search_text", key))
        email_part = text.normalize_email(half)
        if email_part and " " not in email_part:
            condition |= Q(email__contains=email_part)
            parts.append(("email", email_part))
        condition |= Q(member_number__contains=half)
        parts.append(("member_number", half))
        digits = text.phone_digits(half)
        if digits and re.fullmatch(r"[\d\-()+ ]+", text.normalize_phone(half)) and len(digits) >= 6:
            condition |= Q(phone_digits=digits)
            phone = digits
    candidates = _sqlite_search_candidates(queryset.db, parts, phone)
    if candidates is not None:
        queryset = queryset.filter(candidates)
    return queryset.filter(condition)


# SQLite has no substring index; migration 0002 adds an FTS5 trigram table over the three columns, kept in
# step by triggers. It narrows the rows to candidates; the `contains` conditions above still decide, so the
# result is exactly that of a full scan. (PostgreSQL needs nothing here: its pg_trgm GIN indexes serve LIKE.)
SQLITE_FTS_TABLE = "members_member_search"
SQLITE_FTS_OBJECTS = {
    ("table", SQLITE_FTS_TABLE),
    ("trigger", "members_member_search_ai"),
    ("trigger", "members_member_search_ad"),
    ("trigger", "members_member_search_au"),
}
SQLITE_FTS_COLUMNS = {"search_text", "email", "member_number"}
TRIGRAM = 3
# Past this many candidate rows the index loses to a plain scan (which stops early when matches are dense:
# the page and the capped count both have a LIMIT), so the search scans instead.
SQLITE_FTS_MAX_CANDIDATES = 10_000


def _sqlite_search_candidates(using: str, parts: list[tuple[str, str]], phone: str | None) -> Q | None:
    """`pk IN (FTS5 trigram match)` (or the phone number), or None when the index cannot answer or would not
    help: not SQLite, index or triggers missing, a term shorter than a trigram (a scan is then needed
    anyway), or more than SQLITE_FTS_MAX_CANDIDATES candidates (one bounded probe query tells)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not parts or any(len(term) < TRIGRAM for _col, term in parts):
        return None
    if not _sqlite_fts_ready(connection):
        return None
    columns_of: dict[str, list[str]] = {}
    for column, term in parts:
        columns_of.setdefault(term, []).append(column)
    phrases = []
    for term, columns in columns_of.items():  # one phrase per distinct term: each phrase reads its doclists once
        phrase = '"' + term.replace('"', '""') + '"'
        phrases.append(phrase if set(columns) == SQLITE_FTS_COLUMNS else "{" + " ".join(columns) + "} : " + phrase)
    match = " OR ".join(phrases)
    with connection.cursor() as cursor:  # a term found almost everywhere ("example.ac.jp"): scanning is cheaper
        cursor.execute(f"SELECT 1 FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s LIMIT 1 OFFSET %s",
                       [match, SQLITE_FTS_MAX_CANDIDATES])
        if cursor.fetchone():
            return None
    candidates = Q(pk__in=RawSQL(f"SELECT rowid FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s", [match]))
    if phone:
        candidates |= Q(phone_digits=phone)
    return candidates


def _sqlite_fts_ready(connection) -> bool:
    """Whether the FTS table and all its triggers exist (a later table rebuild by a migration drops the
    triggers). Checked once per database connection, on the raw connection: a schema probe, not a query of
    the request (it must not change query counts depending on which test searched first)."""
    connection.ensure_connection()
    raw = connection.connection
    cached = getattr(connection, "_members_search_fts", None)
    if cached is not None and cached[0] is raw:
        return cached[1]
    names = sorted(name for _type, name in SQLITE_FTS_OBJECTS)
    found = set(raw.execute(f"SELECT type, name FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})", names))
    ready = SQLITE_FTS_OBJECTS <= found
    connection._members_search_fts = (raw, ready)
    return ready


def latest_status_entries(member_ids: Iterable[int]) -> dict[int, MemberStatus]:
    """Latest entry (future-dated included) of each member."""
    latest: dict[int, MemberStatus] = {}
    for entry in MemberStatus.objects.filter(member_id__in=list(member_ids)).order_by("member_id", "effective_date"):
        latest[entry.member_id] = entry
    return latest


def earliest_bulk_status_date(latest_by_member: dict[int, MemberStatus]) -> datetime.date | None:
    """MEM-6: a bulk date must be on or after the latest entry date among all targets plus one day."""
    latest = max((e.effective_date for e in latest_by_member.values()), default=None)
    return latest + datetime.timedelta(days=1) if latest else None


def members_pending_number(society: Society) -> QuerySet[Member]:
    """NUM-1: active members without a member number, in registration order."""
    return (
        Member.objects.filter(society=society, member_number__isnull=True)
        .with_current_status(clock.today(society))
        .filter(current_status=Status.ACTIVE)
        .select_related("member_type")
        .order_by("pk")
    )


DEFAULT_NUMBER_WIDTH = 6


def next_member_numbers(society: Society, count: int) -> list[str]:
    """Proposal for [会員番号採番]: the next free numbers after the highest numeric one, same width."""
    if count <= 0:
        return []
    highest = (
        Member.objects.filter(society=society, member_number__regex=r"^[0-9]+$")
        .order_by(Length("member_number").desc(), "-member_number")
        .values_list("member_number", flat=True)
        .first()
    )
    start = int(highest) + 1 if highest else 1
    width = len(highest) if highest else DEFAULT_NUMBER_WIDTH
    taken = set(
        Member.objects.filter(
            society=society, member_number__in=[str(n).zfill(width) for n in range(start, start + count)]
        ).values_list("member_number", flat=True)
    )
    numbers: list[str] = []
    n = start
    while len(numbers) < count:
        candidate = str(n).zfill(width)
        if candidate not in taken:
            numbers.append(candidate)
        n += 1
    return numbers
