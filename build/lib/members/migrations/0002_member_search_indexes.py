"""Substring indexes for the member search (MEM-10), so `contains` on search_text, e-mail and member number
does not read the whole table (bench/members_search.py: 100,000 members).

PostgreSQL: pg_trgm GIN indexes. `LIKE '%x%'` uses them for terms of 3 characters or more (PostgreSQL
itself keeps them up to date); shorter terms fall back to a sequential scan, chosen by the planner.

SQLite: an FTS5 table with the trigram tokenizer (SQLite >= 3.34) over the same three columns, kept in step
by triggers. `selectors.search_members` uses it only to narrow the candidate rows and still applies the
`contains` conditions, so results are exactly those of a plain scan. SQLite drops a table's triggers when
Django rebuilds the table (`_remake_table`, used by many later AlterField/RemoveField on members_member):
`selectors` then finds the triggers missing and falls back to scanning, and the index must be reinstalled
(call `install_sqlite` below again from that later migration — it recreates the triggers and rebuilds).
Without FTS5/trigram support nothing is created on SQLite and the search scans, as before.
"""

from django.db import migrations

PG_INDEXES = [
    ("members_member_search_text_trgm", "search_text"),
    ("members_member_email_trgm", "email"),
    ("members_member_number_trgm", "member_number"),
]

SQLITE_FTS_TABLE = "members_member_search"
SQLITE_TRIGGERS = {
    "members_member_search_ai": """
        CREATE TRIGGER IF NOT EXISTS members_member_search_ai AFTER INSERT ON members_member BEGIN
            INSERT INTO members_member_search (rowid, search_text, email, member_number)
            VALUES (new.id, new.search_text, new.email, new.member_number);
        END""",
    "members_member_search_ad": """
        CREATE TRIGGER IF NOT EXISTS members_member_search_ad AFTER DELETE ON members_member BEGIN
            INSERT INTO members_member_search (members_member_search, rowid, search_text, email, member_number)
            VALUES ('delete', old.id, old.search_text, old.email, old.member_number);
        END""",
    "members_member_search_au": """
        CREATE TRIGGER IF NOT EXISTS members_member_search_au AFTER UPDATE OF search_text, email, member_number ON members_member
        BEGIN
            INSERT INTO members_member_search (members_member_search, rowid, search_text, email, member_number)
            VALUES ('delete', old.id, old.search_text, old.email, old.member_number);
            INSERT INTO members_member_search (rowid, search_text, email, member_number)
            VALUES (new.id, new.search_text, new.email, new.member_number);
        END""",
}


def sqlite_supports_trigram(schema_editor) -> bool:
    import sqlite3

    if sqlite3.sqlite_version_info < (3, 34, 0):
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
        return bool(cursor.fetchone()[0])


def install_sqlite(schema_editor) -> None:
    """Create (or re-create) the FTS5 trigram table and its triggers, and index every member."""
    if not sqlite_supports_trigram(schema_editor):
        return
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_FTS_TABLE} USING fts5("
        "search_text, email, member_number, content='members_member', content_rowid='id', tokenize='trigram')"
    )
    for sql in SQLITE_TRIGGERS.values():
        schema_editor.execute(sql)
    schema_editor.execute(f"INSERT INTO {SQLITE_FTS_TABLE} ({SQLITE_FTS_TABLE}) VALUES ('rebuild')")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in PG_INDEXES:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON members_member USING gin ({column} gin_trgm_ops)")
    elif vendor == "sqlite":
        install_sqlite(schema_editor)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, _column in PG_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
