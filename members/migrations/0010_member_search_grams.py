"""The member search index answers terms of every length (MEM-10, issue 15): bigrams instead of trigrams.

A trigram index cannot answer a one- or two-character term — 佐藤, 山田, 林 — so both databases scanned the
table for the most common Japanese name searches. This index holds, for every member, one token per position of
each search key: the two characters starting there (the key padded with one space, so that its last character
starts a pair too; on SQLite with ASCII letters in lower case, as its LIKE ignores their case), tagged with the key it comes from (``t`` search_text, ``e`` e-mail, ``n`` member number) and
hex-encoded (letters and digits only, nothing for a tokenizer to fold), and on SQLite one token for the society
(``s<id>``). ``selectors.search_members`` turns a term into a query over these tokens:

- two characters or more: every pair of the term (AND); one character: any pair starting with it (a prefix);
- each key's term OR'ed with the others', on SQLite AND'ed with the society's token when the list is one
  society's (so that a society's search does not read the other societies' hits).

Every row holding the term holds those tokens, so the index's rows are a superset of the matches; the search still
applies its ``contains`` conditions, so the result is exactly a full scan's.

PostgreSQL: an expression GIN index over ``members_member_search_vector(search_text, email, member_number)`` (an
IMMUTABLE function returning the tokens as a tsvector; PostgreSQL keeps it in step with every write itself). The
query is ``<that expression> @@ '<tokens>'::tsquery`` (prefix ``:*`` for one character). The function is PL/pgSQL
with a high COST so that the planner neither inlines it nor evaluates it row by row (walking the primary key and
computing every row's tokens cost 0.2 ms a row): it reads the index. PARALLEL UNSAFE keeps a search's statements
from starting parallel workers (the COST makes their plans look expensive enough to; starting them cost more than
the search). The society's rows are PostgreSQL's B-tree
on society_id (a society token in the GIN index made every query intersect a posting list as long as the
society). The pg_trgm indexes of migration 0002 are dropped: the new index answers every term they answered.

SQLite: a contentless FTS5 table ``members_member_grams`` (``detail=none``: rowids only, the smallest and fastest
form for AND/OR/prefix queries) kept in step by insert, update and delete triggers that compute the tokens in SQL
(``json_each`` over an array as long as the key stands in for a series of positions), as migration 0002's trigram
table was — which is dropped. SQLite drops a table's triggers when Django rebuilds it (``_remake_table``): a later
migration that rebuilds members_member must call ``install_sqlite`` below again (a test checks).
"""

from django.db import migrations

# --- PostgreSQL ----------------------------------------------------------------------------------------------

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION members_member_search_grams(tag text, value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT tag || encode(convert_to(substr(value || ' ', i, 2), 'UTF8'), 'hex')), '{}')
    FROM generate_series(1, length(value)) AS i
$$;
CREATE OR REPLACE FUNCTION members_member_search_vector(search_text text, email text, member_number text)
RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL UNSAFE COST 10000 AS $$
BEGIN
    RETURN array_to_tsvector(coalesce(members_member_search_grams('t', search_text), '{}')
        || coalesce(members_member_search_grams('e', email), '{}')
        || coalesce(members_member_search_grams('n', member_number), '{}'));
END
$$;
"""
PG_INDEX = "members_member_search_grams"
PG_VECTOR = "members_member_search_vector(search_text, email, member_number)"
PG_OLD_TRIGRAM_INDEXES = [
    ("members_member_search_text_trgm", "search_text"),
    ("members_member_email_trgm", "email"),
    ("members_member_number_trgm", "member_number"),
]

# --- SQLite --------------------------------------------------------------------------------------------------

SQLITE_TABLE = "members_member_grams"
SQLITE_OLD_TABLE = "members_member_search"
SQLITE_OLD_TRIGGERS = ["members_member_search_ai", "members_member_search_ad", "members_member_search_au"]


def _sqlite_grams(tag: str, column: str) -> str:
    """SQL: the space-separated tokens of ``column`` (NULL for an empty or NULL value), of its ASCII letters in
    lower case: SQLite's LIKE, which decides, ignores their case (``lower`` folds ASCII only, as LIKE does)."""
    return (
        f"(SELECT group_concat('{tag}' || hex(substr(lower({column}) || ' ', p.key + 1, 2)), ' ') "
        f"FROM json_each('[' || rtrim(replace(hex(zeroblob(length({column}))), '00', '0,'), ',') || ']') AS p)"
    )


def sqlite_tokens(row: str) -> str:
    """SQL: every token of the member ``row`` (``new``, ``old`` or a table name)."""
    return (
        f"'s' || {row}.society_id"
        + "".join(f" || coalesce(' ' || {_sqlite_grams(tag, f'{row}.{column}')}, '')"
                  for tag, column in (("t", "search_text"), ("e", "email"), ("n", "member_number")))
    )


SQLITE_TRIGGERS = {
    "members_member_grams_ai": f"""
        CREATE TRIGGER IF NOT EXISTS members_member_grams_ai AFTER INSERT ON members_member BEGIN
            INSERT INTO {SQLITE_TABLE} (rowid, grams) VALUES (new.id, {sqlite_tokens('new')});
        END""",
    "members_member_grams_ad": f"""
        CREATE TRIGGER IF NOT EXISTS members_member_grams_ad AFTER DELETE ON members_member BEGIN
            INSERT INTO {SQLITE_TABLE} ({SQLITE_TABLE}, rowid, grams) VALUES ('delete', old.id, {sqlite_tokens('old')});
        END""",
    "members_member_grams_au": f"""
        CREATE TRIGGER IF NOT EXISTS members_member_grams_au
        AFTER UPDATE OF society_id, search_text, email, member_number ON members_member BEGIN
            INSERT INTO {SQLITE_TABLE} ({SQLITE_TABLE}, rowid, grams) VALUES ('delete', old.id, {sqlite_tokens('old')});
            INSERT INTO {SQLITE_TABLE} (rowid, grams) VALUES (new.id, {sqlite_tokens('new')});
        END""",
}


def sqlite_supports_fts5(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
        return bool(cursor.fetchone()[0])


def install_sqlite(schema_editor) -> None:
    """Create (or re-create) the FTS5 bigram table and its triggers, and index every member again."""
    if not sqlite_supports_fts5(schema_editor):
        return
    for name in SQLITE_TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(grams, content='', detail=none, tokenize='ascii')")
    schema_editor.execute(
        f"INSERT INTO {SQLITE_TABLE} (rowid, grams) SELECT id, {sqlite_tokens('members_member')} FROM members_member")
    for sql in SQLITE_TRIGGERS.values():
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTIONS)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON members_member USING gin (({PG_VECTOR}))")
        for name, _column in PG_OLD_TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    elif vendor == "sqlite":
        for name in SQLITE_OLD_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_OLD_TABLE}")
        install_sqlite(schema_editor)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, column in PG_OLD_TRIGRAM_INDEXES:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON members_member USING gin ({column} gin_trgm_ops)")
        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        schema_editor.execute("DROP FUNCTION IF EXISTS members_member_search_vector(text, text, text)")
        schema_editor.execute("DROP FUNCTION IF EXISTS members_member_search_grams(text, text)")
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
        from importlib import import_module

        import_module("members.migrations.0002_member_search_indexes").install_sqlite(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("members", "0009_two_step_required")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
