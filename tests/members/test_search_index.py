"""MEM-10 on SQLite: the members search index (an FTS5 table of bigram tokens kept in step by triggers, migration
0008) exists after every migration, follows inserts, updates and deletes, and every later migration that rebuilds
``members_member`` (SQLite's table remake drops its triggers) installs it again. PostgreSQL uses a GIN index over
the same tokens instead (tests/members/test_search_grams.py covers both): these tests are skipped there."""

from __future__ import annotations

import inspect
import io
import sys

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from members.factories import MemberFactory, MemberTypeFactory, SocietyFactory
from members.models import Member
from members.selectors import SQLITE_FTS_OBJECTS, SQLITE_FTS_TABLE, fts5_match, search_index_query

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 index is SQLite's; PostgreSQL uses a GIN index over the same tokens")


def fts_rowids(term: str) -> set[int]:
    """The rows the index gives for an e-mail part (all its bigrams)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH %s",
                       [fts5_match(search_index_query([("email", term)], None))])
        return {row[0] for row in cursor.fetchall()}


def test_mem10_index_and_its_triggers_exist_on_the_current_members_table():
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        objects = {(kind, name): (table, sql) for kind, name, table, sql in cursor.fetchall()}
    assert SQLITE_FTS_OBJECTS <= set(objects)
    for kind, name in SQLITE_FTS_OBJECTS:
        if kind == "trigger":
            assert objects[(kind, name)][0] == "members_member", name  # on the table in use, not a rebuilt copy
    assert "content=''" in objects[("table", SQLITE_FTS_TABLE)][1]
    assert not {name for kind, name in objects if name.startswith("members_member_search")}  # 0002's trigram table


def test_mem10_index_follows_insert_update_and_delete():
    society = SocietyFactory(slug="fts")
    member = MemberFactory(society=society, member_type=MemberTypeFactory(society=society),
                           email="bigram.probe@example.ac.jp")
    assert member.pk in fts_rowids("bigram.probe")
    Member.objects.filter(pk=member.pk).update(email="renamed.probe@example.ac.jp")
    assert member.pk not in fts_rowids("bigram.probe") and member.pk in fts_rowids("renamed.probe")
    Member.objects.filter(pk=member.pk).delete()
    assert member.pk not in fts_rowids("renamed.probe")
    with connection.cursor() as cursor:  # the index's own structure is sound (a contentless table has no rows to compare)
        cursor.execute(f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rank) VALUES ('integrity-check', 0)")


@pytest.mark.django_db(transaction=True)  # sqlmigrate's SQLite schema editor cannot run inside the test's transaction
def test_mem10_every_migration_that_rebuilds_the_members_table_reinstalls_the_index():
    """A later AlterField/RemoveField/… on Member makes SQLite copy the table to ``new__members_member`` and drop
    the old one with its triggers; such a migration must call 0010's ``install_sqlite`` again."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    after_index = False
    for app_label, name in _in_order(loader):
        if (app_label, name) == ("members", "0010_member_search_grams"):
            after_index = True
            continue
        if not after_index:
            continue
        out = io.StringIO()
        call_command("sqlmigrate", app_label, name, stdout=out)
        if '"new__members_member"' in out.getvalue():
            source = inspect.getsource(sys.modules[loader.graph.nodes[(app_label, name)].__module__])
            assert "install_sqlite" in source, (
                f"{app_label}.{name} rebuilds members_member on SQLite, which drops the search index's triggers: "
                "run members.migrations.0010_member_search_grams.install_sqlite again at its end")
    assert after_index


def _in_order(loader: MigrationLoader) -> list[tuple[str, str]]:
    """Every migration of the project, in an order they can be applied (dependencies first)."""
    seen: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            if node not in seen and node[0] in {"members", "mail", "backoffice", "simulator"}:
                seen.append(node)
    return seen
