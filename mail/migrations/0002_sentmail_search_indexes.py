"""Indexes for the free-word search of [個人会員送信済みメール] (MAIL-1) at a million mails
(bench/sent_mail_search.py), used by ``mail.selectors.search_sent_mails``.

PostgreSQL: pg_trgm GIN indexes on "to" (stored normalised, searched with LIKE) and on UPPER(subject) and
UPPER(body) — the very expressions Django's ``icontains`` writes (``UPPER(col::text) LIKE UPPER(%s)``), so the
planner uses them for terms of 3 characters or more; shorter terms are scanned.

SQLite: an external-content FTS5 table with the trigram tokenizer (SQLite >= 3.34) over "to", subject and body,
kept in step by insert, delete and update triggers (the sending itself updates only status columns, which the
update trigger ignores). The selector uses it to narrow the candidate rows and still applies the LIKE
conditions. SQLite drops a table's triggers when a migration rebuilds the table (``_remake_table``, used by
many AlterField/RemoveField operations): the selector then finds a trigger missing and scans; such a later
migration must call ``install_sqlite`` below again (it recreates the triggers and rebuilds the index).
Without FTS5 or the trigram tokenizer nothing is created on SQLite and the search scans.

The (society, -created_at) index becomes (society, -created_at, -id): the lists are ordered by both, so the
first page is read from the index in order without a sort.
"""

from django.db import migrations, models

PG_INDEXES = [
    ("mail_sent_to_trgm", '"to" gin_trgm_ops'),
    ("mail_sent_subject_trgm", "(UPPER(subject::text)) gin_trgm_ops"),
    ("mail_sent_body_trgm", "(UPPER(body)) gin_trgm_ops"),
]

SQLITE_FTS_TABLE = "mail_sentmail_search"
SQLITE_TRIGGERS = {
    "mail_sentmail_search_ai": """
        CREATE TRIGGER IF NOT EXISTS mail_sentmail_search_ai AFTER INSERT ON mail_sentmail BEGIN
            INSERT INTO mail_sentmail_search (rowid, "to", subject, body) VALUES (new.id, new."to", new.subject, new.body);
        END""",
    "mail_sentmail_search_ad": """
        CREATE TRIGGER IF NOT EXISTS mail_sentmail_search_ad AFTER DELETE ON mail_sentmail BEGIN
            INSERT INTO mail_sentmail_search (mail_sentmail_search, rowid, "to", subject, body)
            VALUES ('delete', old.id, old."to", old.subject, old.body);
        END""",
    "mail_sentmail_search_au": """
        CREATE TRIGGER IF NOT EXISTS mail_sentmail_search_au AFTER UPDATE OF "to", subject, body ON mail_sentmail
        BEGIN
            INSERT INTO mail_sentmail_search (mail_sentmail_search, rowid, "to", subject, body)
            VALUES ('delete', old.id, old."to", old.subject, old.body);
            INSERT INTO mail_sentmail_search (rowid, "to", subject, body) VALUES (new.id, new."to", new.subject, new.body);
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
    """Create (or re-create) the FTS5 trigram table and its triggers, and index every mail."""
    if not sqlite_supports_trigram(schema_editor):
        return
    schema_editor.execute(
        f'CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_FTS_TABLE} USING fts5("to", subject, body, '
        "content='mail_sentmail', content_rowid='id', tokenize='trigram')"
    )
    for sql in SQLITE_TRIGGERS.values():
        schema_editor.execute(sql)
    schema_editor.execute(f"INSERT INTO {SQLITE_FTS_TABLE} ({SQLITE_FTS_TABLE}) VALUES ('rebuild')")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, expression in PG_INDEXES:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON mail_sentmail USING gin ({expression})")
    elif vendor == "sqlite":
        install_sqlite(schema_editor)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, _expression in PG_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("mail", "0001_initial")]

    operations = [
        migrations.RemoveIndex(model_name="sentmail", name="mail_sent_society_date"),
        migrations.AddIndex(
            model_name="sentmail",
            index=models.Index(fields=["society", "-created_at", "-id"], name="mail_sent_society_date"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
