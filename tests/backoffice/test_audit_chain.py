"""SEC-1 / SEC-5: the audit trail is tamper-evident. Every entry carries the hash of its content and of the entry
before it in its society's chain; ``manage.py audit_verify`` walks the chains and names the first broken entry
(exit status 1); concurrent writers keep the chain whole; no screen or endpoint edits or deletes an entry."""

from __future__ import annotations

import io
import threading
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from backoffice import audit, audit_chain
from backoffice.models import AuditChainHead, AuditEntry
from members import services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


def verify_output(*args) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``manage.py audit_verify``."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def write_entries(society, n: int, actor="system: test") -> list[AuditEntry]:
    return [audit.record(actor=actor, action="members.test.done", society_id=society.pk,
                         before={"n": i}, after={"n": i + 1, "day": "2026-04-01"}) for i in range(n)]


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(TABLE)), params)


def test_sec1_each_entry_carries_its_hash_and_the_hash_of_the_entry_before_it(society, other_society):
    mine = write_entries(society, 3)
    theirs = write_entries(other_society, 2)
    for chain in (mine, theirs):
        stored = list(AuditEntry.objects.filter(pk__in=[e.pk for e in chain]).order_by("seq"))
        assert [e.seq for e in stored] == list(range(1, len(chain) + 1))  # one chain per society
        assert stored[0].prev_hash == ""
        for before, entry in zip(stored, stored[1:]):
            assert entry.prev_hash == before.entry_hash
        for entry in stored:
            assert len(entry.entry_hash) == 64 and entry.entry_hash == audit_chain.digest_of(entry)
    assert AuditChainHead.objects.filter(chain__in=[society.pk, other_society.pk]).count() == 2  # one lock each
    status, out, _ = verify_output()
    assert status == 0 and "OK: 5 audit entries" in out


def test_sec1_audit_verify_names_the_entry_changed_by_raw_sql(society, other_society):
    entries = write_entries(society, 4)
    write_entries(other_society, 2)
    assert verify_output()[0] == 0
    tampered = entries[1]
    raw('UPDATE {table} SET target_repr = %s WHERE id = %s', ["誰か", tampered.pk])  # behind the product's back
    status, _, err = verify_output()
    assert status == 1
    assert f"entry #{tampered.pk} (seq 2)" in err and "content was changed" in err
    assert f"society {other_society.pk}" not in err  # the other society's chain is whole
    # the command for one society names the same entry; the other society's chain verifies
    status, _, err = verify_output("--society", society.slug)
    assert status == 1 and f"#{tampered.pk}" in err
    assert verify_output("--society", other_society.slug)[0] == 0


def cast(kind: str) -> str:
    """A typed placeholder: PostgreSQL wants text cast to jsonb and timestamptz."""
    return f"CAST(%s AS {kind})" if connection.vendor == "postgresql" else "%s"


@pytest.mark.parametrize("column, kind, value", [("after", "jsonb", '{"n": 999}'),
                                                 ("actor_label", "text", "someone@else.jp"),
                                                 ("at", "timestamptz", "2020-01-01 00:00:00")])
def test_sec1_any_changed_column_breaks_the_chain_at_that_entry(society, column, kind, value):
    entries = write_entries(society, 3)
    raw(f"UPDATE {{table}} SET {column} = {cast(kind)} WHERE id = %s", [value, entries[0].pk])
    status, _, err = verify_output()
    assert status == 1 and f"#{entries[0].pk} " in err


def test_sec1_a_rehashed_entry_still_breaks_the_link_to_the_next(society):
    """Changing an entry and recomputing its hash does not help: the next entry holds the old hash."""
    entries = write_entries(society, 3)
    entry = AuditEntry.objects.get(pk=entries[0].pk)
    entry.after = {"n": 999}
    raw("UPDATE {table} SET after = " + cast("jsonb") + ", entry_hash = %s WHERE id = %s",
        ['{"n": 999}', audit_chain.digest_of(entry), entry.pk])
    status, _, err = verify_output()
    assert status == 1 and f"#{entries[1].pk} " in err and "does not follow" in err


def later_writer() -> None:
    """The next transaction's writer: it takes the chain's lock again (no cache of this one's)."""
    getattr(connection, "_audit_chain_heads", {}).clear()


def test_sec1_removed_entries_are_detected_in_the_middle_and_at_the_end(society):
    entries = write_entries(society, 4)
    later_writer()
    entries += write_entries(society, 1)  # its lock records that the chain had reached 4
    assert AuditChainHead.objects.get(chain=society.pk).last_seq == 4
    raw("DELETE FROM {table} WHERE id IN (%s, %s)", [entries[3].pk, entries[4].pk])  # the chain's end
    status, _, err = verify_output()
    assert status == 1 and "removed" in err
    raw("DELETE FROM {table} WHERE id = %s", [entries[1].pk])
    status, _, err = verify_output()
    assert status == 1 and f"#{entries[2].pk} " in err and "missing" in err


def test_sec1_the_next_entry_of_a_transaction_chains_on_from_memory(society, django_assert_num_queries):
    """Cheap: the first entry of a transaction locks and reads the chain (2 statements), the next ones only
    insert."""
    later_writer()
    # the test's savepoint (2); lock and read the end (2), insert; insert; insert
    with django_assert_num_queries(2 + 2 + 1 + 1 + 1):
        with transaction.atomic():
            write_entries(society, 3)
    assert verify_output()[0] == 0


def test_sec1_an_entry_rolled_back_with_its_savepoint_is_not_followed(society):
    write_entries(society, 1)
    with pytest.raises(RuntimeError), transaction.atomic():
        write_entries(society, 1)  # seq 2, then undone with its savepoint
        raise RuntimeError
    write_entries(society, 1)  # follows seq 1 again, not the undone entry
    assert list(AuditEntry.objects.filter(society_id=society.pk).order_by("seq").values_list("seq", flat=True)) \
        == [1, 2]
    assert verify_output()[0] == 0


def test_sec1_bulk_entries_written_in_one_insert_are_chained_too(society, staff_op):
    write_entries(society, 1)
    rows = [(staff_op, {"a": i}, {"a": i + 1}) for i in range(5)]
    made = audit.record_many(actor=staff_op, action="members.test.bulk", society_id=society.pk, rows=rows,
                             batch_id=audit.new_batch_id())
    assert [e.seq for e in made] == [2, 3, 4, 5, 6]
    assert verify_output()[0] == 0


def test_sec1_a_rolled_back_service_leaves_the_chain_whole(society, staff_op, regular_type):
    write_entries(society, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        write_entries(society, 2)
        raise RuntimeError
    write_entries(society, 1)
    assert list(AuditEntry.objects.filter(society_id=society.pk).order_by("seq").values_list("seq", flat=True)) \
        == [1, 2, 3]
    assert verify_output()[0] == 0


def test_sec1_the_data_migration_chains_entries_written_before_the_chain(society, other_society):
    """Entries of an older installation (no position, no hash) are chained per society in time order."""
    executor = MigrationExecutor(connection)
    old_apps = executor.loader.project_state(("backoffice", "0006_chain_existing_entries")).apps
    OldEntry = old_apps.get_model("backoffice", "AuditEntry")
    OldEntry.objects.bulk_create([OldEntry(actor_label="old", action="members.test.old", society_id=s.pk,
                                           after={"i": i}) for i in range(3) for s in (society, other_society)])
    OldEntry.objects.bulk_create([OldEntry(actor_label="old", action="members.test.old", society_id=None)])
    status, _, err = verify_output()
    assert status == 1 and "not chained" in err
    from importlib import import_module

    migration = import_module("backoffice.migrations.0006_chain_existing_entries")
    migration.chain_existing(old_apps, SimpleNamespace(connection=connection))
    assert verify_output()[0] == 0
    assert sorted(AuditEntry.objects.filter(society_id=society.pk).values_list("seq", flat=True)) == [1, 2, 3]
    write_entries(society, 1)  # and the product chains on after them
    assert AuditEntry.objects.filter(society_id=society.pk).order_by("-seq").first().seq == 4
    assert verify_output()[0] == 0


# --- no screen or endpoint edits or deletes an entry ------------------------------------------------------


@pytest.fixture
def root(db):
    return OperatorFactory(society=None, role="admin", is_superuser=True, email="root@example.jp")


@pytest.mark.parametrize("who", ["admin_op", "root"])
def test_sec1_no_admin_screen_edits_or_deletes_an_entry_superusers_included(request, society, who):
    operator = request.getfixturevalue(who)
    entry = write_entries(society, 1)[0]
    client = Client()
    client.force_login(operator)
    base = f"/admin/backoffice/auditentry/{entry.pk}/"
    assert client.post(base + "change/", {"action": "tampered"}).status_code == 405
    assert client.get(base + "delete/").status_code in (403, 404)
    assert client.post(base + "delete/", {"post": "yes"}).status_code in (403, 404)
    assert client.get("/admin/backoffice/auditentry/add/").status_code == 403
    answer = client.post("/admin/backoffice/auditentry/",
                         {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert answer.status_code in (200, 302, 403)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.entry_hash) == (entry.action, entry.entry_hash)
    assert verify_output()[0] == 0


def _api_views():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.callback
    return list(walk(get_resolver().url_patterns))


def test_sec1_no_api_endpoint_writes_audit_entries(admin_api, society):
    """Every view of the project that reads audit entries answers only GET; the API has no audit endpoint that
    takes PUT, PATCH or DELETE (a superuser's token included)."""
    entry = write_entries(society, 1)[0]
    for route, callback in _api_views():
        cls = getattr(callback, "cls", None)
        queryset = getattr(cls, "queryset", None)
        if queryset is not None and queryset.model is AuditEntry:
            actions = getattr(callback, "actions", None) or {}
            assert set(actions) <= {"get", "head", "options"}, route
    for path in ("/api/v1/audit/", f"/api/v1/audit/{entry.pk}/", "/api/v1/audit-entries/",
                 f"/api/v1/audit-entries/{entry.pk}/"):
        for method in ("put", "patch", "delete"):
            assert getattr(admin_api, method)(path, {"action": "x"}, format="json").status_code in (404, 405)
    assert AuditEntry.objects.get(pk=entry.pk).entry_hash == entry.entry_hash


# --- concurrent writers -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sec1_concurrent_services_keep_one_unbroken_chain():
    """Six operators creating members at once (each a service in its own transaction, one audit entry each,
    plus a direct bulk write) leave one chain 1…n with every link right, on SQLite and PostgreSQL."""
    society = SocietyFactory(slug="conc", name="並行学会")
    member_type = MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)
    operators = [OperatorFactory(society=society, role="staff", email=f"op{i}@conc.example.jp") for i in range(6)]
    before = AuditEntry.objects.filter(society_id=society.pk).count()
    barrier = threading.Barrier(len(operators))
    errors: list[BaseException] = []
    per_thread = 4

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            for j in range(per_thread):
                services.member_create(actor=operators[i], society=society, name=f"並行 {i}-{j}",
                                       email=f"m{i}-{j}@conc.example.jp", member_type=member_type)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(operators))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    seqs = list(AuditEntry.objects.filter(society_id=society.pk).order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == before + len(operators) * per_thread
    assert seqs == list(range(1, len(seqs) + 1))
    status, out, err = verify_output()
    assert status == 0, err
