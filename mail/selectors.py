"""Reads of the mail app: the free-word search of [個人会員送信済みメール] (MAIL-1), one selector for the admin
changelist and the API's ``q``.

Semantics (tests/mail/test_search.py):

- a whole address (``Taro@Example.jp``) is an exact match on the recipient, after the same normalisation as
  on sending (half-width, lower case) — the help desk's 「メールアドレスで検索」;
- a link's token (or the URL carrying it) finds the mail that carries that link, and that mail alone (a random
  43-character token is in no other mail's text; answering the one row spares the index walk of a 41-trigram
  phrase: bench/README.md). A token-shaped term that is no known token is a part match like any other;
- anything else is a part match: the recipient address (normalised), the subject or the body, letters
  compared case-insensitively.

Indexes: the exact address uses ``(society, to, -created_at)``; the token its unique index. For the part match,
one index of character pairs (migration 0003, the tokens of the member search: ``backoffice.search_grams``) answers
terms of every length, one and two characters included (木村, 林): on PostgreSQL a GIN index over
``mail_sentmail_search_vector("to", subject, body)``, on SQLite a contentless FTS5 table kept by triggers, with a
token for the society. It narrows the rows to candidates — every row holding the term holds the term's tokens — and
the ``LIKE`` conditions still decide, so the result is exactly that of a full scan. PostgreSQL's planner, misled by
the ``LIKE`` selectivity estimate, would rather walk the date index of a page and filter, so
``_postgresql_candidates`` fetches the matching ids first (at most PG_MAX_CANDIDATES) and the page and count read
those rows by primary key; ``_sqlite_candidates`` narrows the rows to the FTS5 table's.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.db import connections
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from backoffice import search_grams, text

from .models import LinkToken, SentMail

# new_token() makes 43 characters of the URL-safe alphabet; anything from 20 to 64 (the column) is looked up
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def is_whole_address(value: str) -> bool:
    return ("@" in value and " " not in value and not value.startswith("@") and not value.endswith("@")
            and value.count("@") == 1)


def token_in(value: str) -> str | None:
    """The link token ``value`` is, or the last path segment of a link URL pasted whole; else None."""
    if _TOKEN_RE.match(value):
        return value
    if value.startswith(("http://", "https://")) and " " not in value:
        segments = [s for s in urlsplit(value).path.split("/") if s]
        if segments and _TOKEN_RE.match(segments[-1]):
            return segments[-1]
    return None


def search_sent_mails(queryset: QuerySet[SentMail], q: str) -> QuerySet[SentMail]:
    """MAIL-1's free word over ``queryset`` (already scoped with ``visible_to``)."""
    q = (q or "").strip()
    if not q or queryset.query.is_empty():
        return queryset
    address = text.normalize_email(q)
    if is_whole_address(address):
        return queryset.filter(to=address)
    token = token_in(q)
    if token is not None:
        mail_id = LinkToken.objects.filter(token=token).values_list("mail_id", flat=True).first()
        if mail_id is not None:  # another society's token: the pk is outside ``queryset`` anyway
            return queryset.filter(pk=mail_id)
    # Addresses are stored normalised (mail_send), so a part of one is matched case-sensitively against the
    # normalised term (the index holds the pairs of "to" as stored).
    terms = [("to", address)] if " " not in address else []
    terms += [("subject", q), ("body", q)]
    condition = Q()
    for column, term in terms:
        condition |= Q(**{f"{column}__contains" if column == "to" else f"{column}__icontains": term})
    candidates = _sqlite_candidates(queryset, terms)
    if candidates is None:
        candidates = _postgresql_index_condition(queryset.db, terms)
    if candidates is not None:
        condition = candidates & condition
    ids = _postgresql_candidates(queryset, condition)
    if ids is not None:
        return queryset.filter(ids)
    return queryset.filter(condition)


# The tokens of migration 0003 (its docstring has the design): "to", subject and body tagged as there.
KEY_TAGS = {"to": "t", "subject": "h", "body": "b"}
LONG_BODY_TOKEN = "xlong"  # a mail whose body is longer than the indexed part: a candidate of every query

# --------------------------------------------------------------------------------------------------------------
# PostgreSQL: the GIN index over the pairs' tsvector, and the candidates first
# --------------------------------------------------------------------------------------------------------------

PG_INDEX = "mail_sent_search_grams"


class _GramsMatch(Expression):
    """``mail_sentmail_search_vector("to", subject, body) @@ <the terms' query>`` under whatever alias the query
    gives the table — the very expression of the GIN index. The query is computed by the database
    (``mail_sentmail_search_query``) from each term as its ``LIKE`` compares it: ``upper`` of the term for the
    subject and body (``icontains``), the normalised address as is — one folding, the database's own, for the index
    and the query. A long body's token is OR'ed in: such a mail is a candidate of every query."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, terms: list[tuple[str, str]]):
        super().__init__()
        self.terms = list(dict.fromkeys(terms))
        self.columns = [F("to"), F("subject"), F("body")]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.columns = [c.resolve_expression(query, allow_joins, reuse, summarize, for_save) for c in self.columns]
        return resolved

    def as_sql(self, compiler, connection):
        columns, params = [], []
        for column in self.columns:
            sql, column_params = compiler.compile(column)
            columns.append(sql)
            params += column_params
        parts = []
        for column, term in self.terms:
            parts.append(f"mail_sentmail_search_query(%s, {'%s' if column == 'to' else 'upper(%s)'})")
            params += [KEY_TAGS[column], term]
        query = " || ".join([*parts, f"'{LONG_BODY_TOKEN}'::tsquery"])
        return f"mail_sentmail_search_vector({', '.join(columns)}) @@ ({query})", params


def _postgresql_index_condition(using: str, terms: list[tuple[str, str]]) -> Q | None:
    """The GIN index's condition (None off PostgreSQL)."""
    if connections[using].vendor != "postgresql":
        return None
    terms = [(column, term) for column, term in terms if term]
    return Q(_GramsMatch(terms)) if terms else None


# Up to this many matches, the page and the count read the matching rows by primary key (``id = ANY(ids)``); past
# it they are read on the list's own statement with the index's condition (PostgreSQL then plans the GIN bitmap
# ANDed with the society's B-tree, and sorts). Measured at 200,000 mails (bench/README.md): 10,000 — the members'
# bound — made 林 (6,558 mails) slower, the page walking the date index with the id list as a filter and the
# count hash-joining every link for the private-link exclusion.
PG_MAX_CANDIDATES = 2_000


def _postgresql_candidates(queryset: QuerySet[SentMail], condition: Q) -> Q | None:
    """``id = ANY(<the matching ids>)`` when there are at most PG_MAX_CANDIDATES, else None (and None off
    PostgreSQL); with None the list's statement carries the index's condition itself. The ids come from one
    unordered statement bounded to PG_MAX_CANDIDATES + 1 rows whose only indexable condition is the GIN index's: the society (when the rows are one society's) is a filter on the
    index's rows (``society_id + 0``: ANDing the society's B-tree bitmap read a posting list as long as the society),
    and the queryset's other conditions (the private links, an admin filter) are left to the page and the count,
    which read those rows by primary key. Written on the list's own statement, ordered by date, PostgreSQL would
    walk the date index and filter, because its estimate of a ``LIKE '%…%'`` match is several times too high
    (bench/README.md, MAIL-1)."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    ids_query = SentMail.objects.using(queryset.db).filter(condition)
    society_id = getattr(queryset, "search_society_id", None)
    if society_id is not None:
        ids_query = ids_query.filter(RawSQL('"mail_sentmail"."society_id" + 0 = %s', [society_id],
                                            output_field=BooleanField()))
    ids = list(ids_query.order_by().values_list("pk", flat=True)[:PG_MAX_CANDIDATES + 1])
    return Q(search_grams.PkIsAny(ids)) if len(ids) <= PG_MAX_CANDIDATES else None


# --------------------------------------------------------------------------------------------------------------
# SQLite: the FTS5 bigram table of migration 0003
# --------------------------------------------------------------------------------------------------------------

SQLITE_FTS_TABLE = "mail_sentmail_grams"
SQLITE_FTS_OBJECTS = {
    ("table", SQLITE_FTS_TABLE),
    ("trigger", "mail_sentmail_grams_ai"),
    ("trigger", "mail_sentmail_grams_ad"),
    ("trigger", "mail_sentmail_grams_au"),
}
# Past this many candidates the index loses to the scan in date order, which stops early when matches are dense
# (the page and the capped count both have a LIMIT): then the search scans instead.
SQLITE_FTS_MAX_CANDIDATES = 10_000


def search_index_query(terms: list[tuple[str, str]], society_id: int | None, *, fold_ascii: bool = False):
    """The index query of the (column, term) pairs as a tree (``backoffice.search_grams``): any column's term, or
    a long body; AND'ed with the society's token when the rows are one society's."""
    tree = search_grams.any_of([search_grams.term_query(KEY_TAGS[column], term, fold=fold_ascii)
                                for column, term in dict.fromkeys(terms)] + [(LONG_BODY_TOKEN, False)])
    if society_id is not None:
        tree = ["and", (f"s{society_id}", False), tree]
    return tree


def _sqlite_candidates(queryset: QuerySet[SentMail], terms: list[tuple[str, str]]) -> Q | None:
    """``pk IN (FTS5 bigram match)``, or None when the index cannot answer or would not help: not SQLite, the
    table or a trigger missing, or more than SQLITE_FTS_MAX_CANDIDATES candidates (one bounded probe tells)."""
    connection = connections[queryset.db]
    if connection.vendor != "sqlite" or not _sqlite_fts_ready(connection):
        return None
    terms = [(column, term) for column, term in terms if term]
    if not terms:
        return None
    match = search_grams.fts5_match(
        search_index_query(terms, getattr(queryset, "search_society_id", None), fold_ascii=True))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s LIMIT 1 OFFSET %s",
                       [match, SQLITE_FTS_MAX_CANDIDATES])
        if cursor.fetchone():
            return None
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s", [match]))


def _sqlite_fts_ready(connection) -> bool:
    """Whether the FTS table and all its triggers exist (a later migration that rebuilds mail_sentmail drops
    the triggers). Checked once per database connection on the raw connection: a schema probe, not a query of
    the request, so query counts do not depend on which request searched first."""
    connection.ensure_connection()
    raw = connection.connection
    cached = getattr(connection, "_mail_search_fts", None)
    if cached is not None and cached[0] is raw:
        return cached[1]
    names = sorted(name for _type, name in SQLITE_FTS_OBJECTS)
    found = set(raw.execute(f"SELECT type, name FROM sqlite_master WHERE name IN ({', '.join('?' * len(names))})",
                            names))
    ready = SQLITE_FTS_OBJECTS <= found
    connection._mail_search_fts = (raw, ready)
    return ready
