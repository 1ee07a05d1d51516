"""Indexes of character pairs (bigrams) for part searches of every length (issue 15), shared by the member search
(members migration 0010, ``members.selectors.search_members``) and the sent-mail search (mail migration 0003,
``mail.selectors.search_sent_mails``).

A trigram index cannot answer a term of one or two characters (佐藤, 林): such an index holds, for every row, one
token per position of each searched column — the two characters starting there (the value padded with one space, so
that its last character starts a pair too), tagged with a letter naming the column and hex-encoded (letters and
digits only: nothing for a tokenizer to fold). A term asks for

- two characters or more: its pairs (AND; at most ``MAX_QUERY_PAIRS`` of a long term — any of its pairs is in every
  row holding it);
- one character: any pair starting with it (a prefix).

Every row holding the term holds those tokens, so the index's rows are a superset of the matches. This module builds
the query trees (rendered for SQLite's FTS5 ``MATCH`` or PostgreSQL's ``tsquery``) and the SQL that computes a
value's tokens in the database (SQLite trigger expressions, a PostgreSQL function), so the two searches build their
tokens the same way.
"""

from __future__ import annotations

from django.db.models import BooleanField, Expression, F

MAX_QUERY_PAIRS = 6

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def hex_token(value: str) -> str:
    return value.encode("utf-8").hex()


def fold_ascii(value: str) -> str:
    """ASCII letters in lower case, nothing else (what SQLite's ``lower`` and its ``LIKE`` fold)."""
    return value.translate(_ASCII_LOWER)


def query_pairs(term: str, max_pairs: int = MAX_QUERY_PAIRS) -> list[str]:
    """The pairs of characters of ``term`` the index is asked for: all of them, or for a long term at most
    ``max_pairs``, non-overlapping ones first. An e-mail's are taken from its part before the @ (``example.ac.jp``'s
    pairs are in nearly every row: PostgreSQL's GIN index read a posting list as long as the table for each)."""
    local = term.split("@", 1)[0]
    source = local if "@" in term and len(local) >= 2 else term
    pairs = list(dict.fromkeys(source[i:i + 2] for i in range(len(source) - 1)))
    if len(pairs) <= max_pairs:
        return pairs
    spread = pairs[::2] + pairs[1::2]
    return spread[:max_pairs]


def term_query(tag: str, term: str, *, fold: bool = False):
    """The index query of one term in the column tagged ``tag``: a leaf ``(token, is_prefix)`` or
    ``["and", leaf, ...]``. ``fold``: the index holds ASCII letters in lower case (SQLite)."""
    if fold:
        term = fold_ascii(term)
    if len(term) == 1:
        return (tag + hex_token(term), True)
    leaves = [(tag + hex_token(pair), False) for pair in query_pairs(term)]
    return leaves[0] if len(leaves) == 1 else ["and", *leaves]


def any_of(alternatives: list):
    return alternatives[0] if len(alternatives) == 1 else ["or", *alternatives]


def render(tree, *, leaf, and_: str, or_: str) -> str:
    if isinstance(tree, tuple):
        return leaf(*tree)
    joiner = and_ if tree[0] == "and" else or_
    return "(" + joiner.join(render(child, leaf=leaf, and_=and_, or_=or_) for child in tree[1:]) + ")"


def fts5_match(tree) -> str:
    return render(tree, leaf=lambda token, prefix: token + ("*" if prefix else ""), and_=" AND ", or_=" OR ")


def pg_tsquery(tree) -> str:
    return render(tree, leaf=lambda token, prefix: f"'{token}'" + (":*" if prefix else ""), and_=" & ", or_=" | ")


# --- the tokens, computed by the database --------------------------------------------------------------------

def sqlite_grams(tag: str, value_sql: str) -> str:
    """SQL (SQLite): the space-separated tokens of the expression ``value_sql`` (NULL for an empty or NULL value),
    of its ASCII letters in lower case — SQLite's LIKE ignores their case (``lower`` folds ASCII only, as LIKE
    does). ``json_each`` over an array as long as the value stands in for the series of positions. The same SQL as
    members migration 0010's."""
    return (
        f"(SELECT group_concat('{tag}' || hex(substr(lower({value_sql}) || ' ', p.key + 1, 2)), ' ') "
        f"FROM json_each('[' || rtrim(replace(hex(zeroblob(length({value_sql}))), '00', '0,'), ',') || ']') AS p)"
    )


def pg_grams_function(name: str) -> str:
    """SQL (PostgreSQL): ``CREATE FUNCTION name(tag text, value text) RETURNS text[]``, the distinct tokens of
    ``value`` (the same body as members migration 0010's ``members_member_search_grams``)."""
    return f"""
CREATE OR REPLACE FUNCTION {name}(tag text, value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT tag || encode(convert_to(substr(value || ' ', i, 2), 'UTF8'), 'hex')), '{{}}')
    FROM generate_series(1, length(value)) AS i
$$;
"""


def pg_query_function(name: str, max_pairs: int = MAX_QUERY_PAIRS) -> str:
    """SQL (PostgreSQL): ``CREATE FUNCTION name(tag text, term text) RETURNS tsquery``, ``term_query`` computed by
    the database (for a term whose folding — ``upper`` — must be the database's own, as its ``LIKE`` sees it): one
    character a prefix, else up to ``max_pairs`` distinct pairs, non-overlapping ones first. STRICT: NULL for a
    NULL term, and NULL for an empty one — callers pass none (an empty query would match everything)."""
    return f"""
CREATE OR REPLACE FUNCTION {name}(tag text, term text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT CASE
        WHEN length(term) = 1 THEN (quote_literal(tag || encode(convert_to(term, 'UTF8'), 'hex')) || ':*')::tsquery
        ELSE (SELECT string_agg(quote_literal(token), ' & ')::tsquery FROM (
            SELECT token FROM (
                SELECT tag || encode(convert_to(substr(term, i, 2), 'UTF8'), 'hex') AS token, min(i) AS first
                FROM generate_series(1, length(term) - 1) AS i GROUP BY 1) AS pairs
            ORDER BY mod(first, 2) = 0, first LIMIT {max_pairs}) AS chosen)
    END
$$;
"""


class PkIsAny(Expression):
    """``<the row's primary key> = ANY(%s)`` with the ids as one array parameter (PostgreSQL), under whatever alias
    the query gives the table (a subquery's ``V0``): how a page and its count read the candidates an index gave."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, ids: list[int]):
        super().__init__()
        self.ids = ids
        self.column = F("pk")

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.column = self.column.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return resolved

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{sql} = ANY(%s)", [*params, self.ids]
