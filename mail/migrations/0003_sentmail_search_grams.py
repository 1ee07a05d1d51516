"""The sent-mail search index answers terms of every length (MAIL-1, issue 15 §1): character pairs instead of
trigrams.

A trigram index cannot answer a one- or two-character term — 佐藤, 木村, 林, most Japanese family names — so both
databases scanned the society's mails for them. This index holds, for every mail, one token per position of "to",
the subject and the body: the two characters starting there (the value padded with one space, so that its last
character starts a pair too), tagged with the column (``t`` "to", ``h`` subject, ``b`` body) and hex-encoded — the
tokens of the member search (members migration 0010), built by the shared ``backoffice.search_grams``. On SQLite one
more token names the society (``s<id>``), so that a society's search does not read the other societies' hits.
``mail.selectors.search_sent_mails`` asks for a term's pairs (AND; a one-character term: any pair starting with it),
the columns' queries OR'ed.

**Bodies are bounded**: only the first ``BODY_INDEXED_CHARS`` (2,000) characters of a body are tokenised; a mail
whose body is longer also gets the token ``xlong``, which every query ORs in — such a mail is always a candidate. So
the tokens of one mail stay bounded (at most ~2,500 distinct, whatever is pasted into a body: a GIN entry and an FTS5
row of bounded size, a bounded trigger), and the index stays a superset of the matches. The shipped templates'
bodies are 100–400 characters: no real mail is past the bound. The index only narrows: the selector's ``LIKE``
conditions still decide every row, so the result is exactly a full scan's, for the long mails too.

PostgreSQL: an expression GIN index ``mail_sent_search_grams`` over ``mail_sentmail_search_vector("to", subject,
body)`` (PL/pgSQL, IMMUTABLE, PARALLEL UNSAFE — why: members migration 0010 —, COST 1000: high enough that the
planner never computes it row by row rather than read the index, low enough that a bitmap's estimated recheck of a
few thousand rows stays under ``jit_above_cost``; with 10000, JIT compiled the candidates statement of 木村 for
~37 ms of its 50) of the tokens of "to" as
stored (it is searched with a case-sensitive ``LIKE`` on the normalised address) and of ``upper(subject)`` and
``upper(body)`` — what Django's ``icontains`` compares. A term's query is computed by the database too
(``mail_sentmail_search_query(tag, upper(term))``), so that the folding of the index and of the query is the
database's one ``upper``, whatever its locale. The pg_trgm indexes of migration 0002 are dropped (the extension
stays: other apps may use it).

SQLite: a contentless FTS5 table ``mail_sentmail_grams`` (``detail=none``) kept in step by insert, update and delete
triggers that compute the tokens in SQL (ASCII letters in lower case: SQLite's ``LIKE`` ignores their case), as
migration 0002's trigram table was — which is dropped. SQLite drops a table's triggers when Django rebuilds it
(``_remake_table``, used by many AlterField/RemoveField operations): a later migration that rebuilds mail_sentmail
must call ``install_sqlite`` below again (``tests/mail/test_search_grams.py`` checks every later migration).
"""

from django.db import migrations

from backoffice import search_grams

BODY_INDEXED_CHARS = 2000
LONG_BODY_TOKEN = "xlong"
TAGS = {"to": "t", "subject": "h", "body": "b"}

# --- PostgreSQL ----------------------------------------------------------------------------------------------

PG_GRAMS = "mail_sentmail_search_grams"
PG_QUERY = "mail_sentmail_search_query"
PG_FUNCTIONS = search_grams.pg_grams_function(PG_GRAMS) + search_grams.pg_query_function(PG_QUERY) + f"""
CREATE OR REPLACE FUNCTION mail_sentmail_search_vector(recipient text, subject text, body text)
RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL UNSAFE COST 1000 AS $$
DECLARE
    upper_body text := upper(body);
BEGIN
    RETURN array_to_tsvector(coalesce({PG_GRAMS}('t', recipient), '{{}}')
        || coalesce({PG_GRAMS}('h', upper(subject)), '{{}}')
        || coalesce({PG_GRAMS}('b', left(upper_body, {BODY_INDEXED_CHARS})), '{{}}')
        || CASE WHEN length(upper_body) > {BODY_INDEXED_CHARS} THEN '{{{LONG_BODY_TOKEN}}}'::text[]
                ELSE '{{}}'::text[] END);
END
$$;
"""
PG_INDEX = "mail_sent_search_grams"
PG_VECTOR = 'mail_sentmail_search_vector("to", subject, body)'
PG_OLD_TRIGRAM_INDEXES = [
    ("mail_sent_to_trgm", '"to" gin_trgm_ops'),
    ("mail_sent_subject_trgm", "(UPPER(subject::text)) gin_trgm_ops"),
    ("mail_sent_body_trgm", "(UPPER(body)) gin_trgm_ops"),
]

# --- SQLite --------------------------------------------------------------------------------------------------

SQLITE_TABLE = "mail_sentmail_grams"
SQLITE_OLD_TABLE = "mail_sentmail_search"
SQLITE_OLD_TRIGGERS = ["mail_sentmail_search_ai", "mail_sentmail_search_ad", "mail_sentmail_search_au"]


def sqlite_tokens(row: str) -> str:
    """SQL: every token of the mail ``row`` (``new``, ``old`` or the table's name)."""
    to = f'{row}."to"'
    body = f"substr({row}.body, 1, {BODY_INDEXED_CHARS})"
    return (
        f"'s' || {row}.society_id"
        f" || coalesce(' ' || {search_grams.sqlite_grams('t', to)}, '')"
        f" || coalesce(' ' || {search_grams.sqlite_grams('h', f'{row}.subject')}, '')"
        f" || coalesce(' ' || {search_grams.sqlite_grams('b', body)}, '')"
        f" || CASE WHEN length({row}.body) > {BODY_INDEXED_CHARS} THEN ' {LONG_BODY_TOKEN}' ELSE '' END"
    )


SQLITE_TRIGGERS = {
    "mail_sentmail_grams_ai": f"""
        CREATE TRIGGER IF NOT EXISTS mail_sentmail_grams_ai AFTER INSERT ON mail_sentmail BEGIN
            INSERT INTO {SQLITE_TABLE} (rowid, grams) VALUES (new.id, {sqlite_tokens('new')});
        END""",
    "mail_sentmail_grams_ad": f"""
        CREATE TRIGGER IF NOT EXISTS mail_sentmail_grams_ad AFTER DELETE ON mail_sentmail BEGIN
            INSERT INTO {SQLITE_TABLE} ({SQLITE_TABLE}, rowid, grams) VALUES ('delete', old.id, {sqlite_tokens('old')});
        END""",
    "mail_sentmail_grams_au": f"""
        CREATE TRIGGER IF NOT EXISTS mail_sentmail_grams_au
        AFTER UPDATE OF society_id, "to", subject, body ON mail_sentmail BEGIN
            INSERT INTO {SQLITE_TABLE} ({SQLITE_TABLE}, rowid, grams) VALUES ('delete', old.id, {sqlite_tokens('old')});
            INSERT INTO {SQLITE_TABLE} (rowid, grams) VALUES (new.id, {sqlite_tokens('new')});
        END""",
}


def sqlite_supports_fts5(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
        return bool(cursor.fetchone()[0])


def install_sqlite(schema_editor) -> None:
    """Create (or re-create) the FTS5 bigram table and its triggers, and index every mail."""
    if not sqlite_supports_fts5(schema_editor):
        return
    for name in SQLITE_TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(grams, content='', detail=none, tokenize='ascii')")
    schema_editor.execute(
        f"INSERT INTO {SQLITE_TABLE} (rowid, grams) SELECT id, {sqlite_tokens('mail_sentmail')} FROM mail_sentmail")
    for sql in SQLITE_TRIGGERS.values():
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTIONS)
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON mail_sentmail USING gin (({PG_VECTOR}))")
        for name, _expression in PG_OLD_TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    elif vendor == "sqlite":
        for name in SQLITE_OLD_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_OLD_TABLE}")
        install_sqlite(schema_editor)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, expression in PG_OLD_TRIGRAM_INDEXES:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON mail_sentmail USING gin ({expression})")
        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        schema_editor.execute("DROP FUNCTION IF EXISTS mail_sentmail_search_vector(text, text, text)")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {PG_QUERY}(text, text)")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {PG_GRAMS}(text, text)")
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
        from importlib import import_module

        import_module("mail.migrations.0002_sentmail_search_indexes").install_sqlite(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_sentmail_search_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
