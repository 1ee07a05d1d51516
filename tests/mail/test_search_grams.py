"""MAIL-1 (issue 15 §1): the sent-mail free word is answered by an index of character pairs (mail migration 0003)
for terms of every length — one- and two-character family names (林, 木村), kana, mixed-case letters — on SQLite
(a contentless FTS5 table kept by triggers, with a society token) and PostgreSQL (a GIN index over the same tokens),
and the result is exactly a full scan's, long bodies past the indexed part included. The tokens are built by
``backoffice.search_grams``, shared with the member search (MEM-10), whose own index it leaves as it was."""

from __future__ import annotations

import inspect
import io
import sys
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from backoffice import search_grams
from mail import selectors
from mail.models import SentMail

pytestmark = pytest.mark.django_db

URL = "/api/v1/sent-mails/"
M0003 = import_module("mail.migrations.0003_sentmail_search_grams")

SAMPLES = [
    # (to, subject, body)
    ("hanako.sato@u-tokyo.ac.jp", "【日本バックオフィス学会】メールアドレス認証のご連絡",
     "佐藤 花子 様\n以下のURLを開き、入会申請の手続きを進めてください。"),
    ("kimura.misaki@kyoto-u.ac.jp", "請求のお知らせ（2026年度 年会費）",
     "木村 美咲 様\n\n2026年度 年会費のご請求をお知らせいたします。ﾏｲﾍﾟｰｼﾞをご確認ください。"),
    ("yumi.hayashi@example.jp", "Annual Meeting: Call for Papers",
     "林 由美 様\nPlease register on My Page by 31 May. 小林さんにもお伝えください。"),
    ("naoki.k@example.com", "第42回学術集会のご案内", "小林 直樹 様\nさくら会場にて開催いたします。50%_OFF"),
]


@pytest.fixture
def mails(staff_op, society, send):
    return [send(actor=staff_op, society=society, to=to, subject=subject, body=body, link=False)
            for to, subject, body in SAMPLES]


def indexed_ids(queryset, term: str) -> set[int]:
    return set(selectors.search_sent_mails(queryset, term).values_list("pk", flat=True))


def scanned_ids(queryset, term: str, monkeypatch) -> set[int]:
    """The same search with the index switched off on both databases: what a full scan answers."""
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "_sqlite_candidates", lambda *args, **kwargs: None)
        patch.setattr(selectors, "_postgresql_index_condition", lambda *args, **kwargs: None)
        return set(selectors.search_sent_mails(queryset, term).values_list("pk", flat=True))


def test_mail1_every_short_part_of_every_mail_finds_what_a_scan_finds(staff_op, mails, monkeypatch):
    """Every 1-, 2- and 3-character part of every mail's address, subject and body — kanji, kana, half-width
    kana, letters in both cases, punctuation — and a few misses give exactly the rows a scan gives (the index
    only narrows; a row it missed would be a lost mail)."""
    terms = {"ー", "zz", "存在", "佐藤花", "ｐａｇｅ", "MY PAGE", "my page", "Ｕ-ＴＯＫＹＯ", "50%", "%_", "_O", "@e"}
    for mail in SentMail.objects.all():
        for value in (mail.to, mail.subject, mail.body):
            for size in (1, 2, 3):
                parts = {value[i:i + size] for i in range(len(value) - size + 1)}
                terms |= parts | {p.upper() for p in parts} | {p.lower() for p in parts}
    terms = {t for t in terms if t.strip()}
    queryset = SentMail.objects.visible_to(staff_op)
    for term in sorted(terms):
        assert indexed_ids(queryset, term) == scanned_ids(queryset, term, monkeypatch), term
    assert indexed_ids(queryset, "林") == {mails[2].pk, mails[3].pk}  # 林 alone and inside 小林
    assert indexed_ids(queryset, "木村") == {mails[1].pk}
    assert indexed_ids(queryset, "my page") == {mails[2].pk}


@pytest.mark.parametrize("q, expected", [
    ("林", {2, 3}), ("木村", {1}), ("佐藤", {0}), ("さく", {3}), ("ﾏｲ", {1}), ("花", {0}), ("Ma", {2}),
    ("mA", {2}), ("ac", {0, 1}), ("様", {0, 1, 2, 3}), ("林ユ", set()),
])
def test_mail1_one_and_two_character_terms_through_the_api(api, mails, q, expected):
    r = api.get(URL, {"q": q})
    assert r.status_code == 200, r.content
    assert {row["id"] for row in r.json()["results"]} == {mails[i].pk for i in expected}


def test_mail1_a_body_past_the_indexed_part_is_still_found(staff_op, society, send, mails, monkeypatch):
    """Only the first BODY_INDEXED_CHARS characters of a body are tokenised (the tokens of one mail stay
    bounded); a longer mail carries the `xlong` token and is a candidate of every query, so a term found only past
    the bound is found all the same — and the LIKE conditions still decide, so it is not found by other terms."""
    tail = "追伸：懇親会は渋谷で開きます。"
    long_body = "あ" * (M0003.BODY_INDEXED_CHARS + 10) + tail
    long_mail = send(actor=staff_op, society=society, to="long@example.jp", subject="長文", body=long_body,
                     link=False)
    queryset = SentMail.objects.visible_to(staff_op)
    for term in ("渋谷", "渋", "懇親会", tail, "あ", "ああ", "林", "木村", "存在しない"):
        assert indexed_ids(queryset, term) == scanned_ids(queryset, term, monkeypatch), term
    assert long_mail.pk in indexed_ids(queryset, "渋谷")
    assert long_mail.pk not in indexed_ids(queryset, "木村")


@pytest.mark.parametrize("q", ["木村", "林", "さく"])
def test_mail1_short_terms_are_answered_from_the_index(staff_op, mails, q):
    """A one- or two-character term no longer scans the society's mails: SQLite reads the FTS5 bigram table,
    PostgreSQL the GIN index over the bigram tokens (the planner told to prefer any index over reading the
    table; the page and the count then read the matching rows by primary key)."""
    with CaptureQueriesContext(connection) as fetched:
        queryset = selectors.search_sent_mails(SentMail.objects.visible_to(staff_op), q)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and selectors.SQLITE_FTS_TABLE in plan, plan
        else:
            (candidates,) = [query["sql"] for query in fetched.captured_queries if "@@" in query["sql"]]
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: the planner would read it whole
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {candidates}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert selectors.PG_INDEX in plan, plan
            assert "= ANY(" in sql


def test_soc2_one_societys_search_asks_the_index_for_its_rows_only(staff_op, other_op, other_society, send, mails):
    """The society's token is part of the SQLite index query (a society's search does not read the other
    societies' hits; PostgreSQL has its B-tree on the society), and another society's namesakes are never found."""
    theirs = send(actor=other_op, society=other_society, to="kimura@other.example.jp", subject="木村様へ",
                  body="林 様", link=False)
    ours = SentMail.objects.visible_to(staff_op)
    assert ours.search_society_id == staff_op.society_id
    assert ours.filter(kind="other").search_society_id == staff_op.society_id  # kept by clones
    tree = selectors.search_index_query([("subject", "木村")], ours.search_society_id)
    assert tree[0] == "and" and tree[1] == (f"s{staff_op.society_id}", False)
    assert indexed_ids(ours, "木村") == {mails[1].pk}
    assert indexed_ids(SentMail.objects.visible_to(other_op), "木村") == {theirs.pk}
    assert indexed_ids(SentMail.objects.visible_to(other_op), "林") == {theirs.pk}
    union = SentMail.objects.visible_to(other_op) | ours
    assert union.search_society_id is None
    assert indexed_ids(union, "林") == {theirs.pk, mails[2].pk, mails[3].pk}
    assert SentMail.objects.all().search_society_id is None


def test_mail1_the_index_follows_updates_and_deletes(staff_op, mails):
    queryset = SentMail.objects.visible_to(staff_op)
    SentMail.objects.filter(pk=mails[1].pk).update(subject="森の会", body="森 彩 様")  # a bulk update, no save()
    assert indexed_ids(queryset, "木村") == set()
    assert indexed_ids(queryset, "森") == {mails[1].pk}
    SentMail.objects.filter(pk=mails[1].pk).update(status="sent", attempts=2)  # the sender's update: not indexed
    assert indexed_ids(queryset, "森") == {mails[1].pk}
    SentMail.objects.filter(pk=mails[2].pk).delete()
    assert indexed_ids(queryset, "林") == {mails[3].pk}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {selectors.SQLITE_FTS_TABLE}({selectors.SQLITE_FTS_TABLE}, rank) "
                           "VALUES ('integrity-check', 0)")


def test_mail1_search_query_count_unchanged_for_short_terms(api, mails, django_assert_max_num_queries):
    for q in ("林", "木村", "ac"):
        with django_assert_max_num_queries(3):  # (probe on SQLite | ids on PostgreSQL), page, capped count
            api.get(URL, {"q": q})


def test_mail1_pg_query_is_the_shared_term_query(society):
    """PostgreSQL computes a term's query itself (its own ``upper``); for plain terms it is the shared
    ``term_query`` (one character a prefix, else its pairs)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's query function")
    with connection.cursor() as cursor:
        for term in ("林", "木村", "木村 美咲", "KIMURA", "あいうえおかきくけこ"):
            cursor.execute("SELECT mail_sentmail_search_query('b', %s)::text", [term])
            (computed,) = cursor.fetchone()
            cursor.execute("SELECT %s::tsquery::text", [search_grams.pg_tsquery(search_grams.term_query("b", term))])
            (shared,) = cursor.fetchone()
            if len(search_grams.query_pairs(term)) < len(term) - 1:  # a long term: up to 6 pairs, either choice
                assert computed.count("&") == shared.count("&"), term
            else:
                assert sorted(computed.split(" & ")) == sorted(shared.split(" & ")), term


def test_mem10_the_shared_token_sql_is_the_member_index_s():
    """The members' index (members migration 0010) is unchanged: the shared helper writes the same SQL."""
    m0010 = import_module("members.migrations.0010_member_search_grams")
    for tag, column in (("t", "new.search_text"), ("e", "members_member.email")):
        assert search_grams.sqlite_grams(tag, column) == m0010._sqlite_grams(tag, column)
    assert search_grams.pg_grams_function("members_member_search_grams").strip() in m0010.PG_FUNCTIONS


def test_mail1_index_and_its_triggers_exist_on_the_current_mails_table():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
            objects = {(kind, name): (table, sql) for kind, name, table, sql in cursor.fetchall()}
            assert selectors.SQLITE_FTS_OBJECTS <= set(objects)
            for kind, name in selectors.SQLITE_FTS_OBJECTS:
                if kind == "trigger":
                    assert objects[(kind, name)][0] == "mail_sentmail", name
            assert "content=''" in objects[("table", selectors.SQLITE_FTS_TABLE)][1]
            assert not {name for _kind, name in objects if name.startswith("mail_sentmail_search")}  # 0002's
        else:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [selectors.PG_INDEX])
            (definition,) = cursor.fetchone()
            assert "mail_sentmail_search_vector" in definition and "gin" in definition


@pytest.mark.django_db(transaction=True)  # sqlmigrate's SQLite schema editor cannot run inside the test's transaction
def test_mail1_every_migration_that_rebuilds_the_mails_table_reinstalls_the_index():
    """A later AlterField/RemoveField/… on SentMail makes SQLite copy the table to ``new__mail_sentmail`` and drop
    the old one with its triggers; such a migration must call 0003's ``install_sqlite`` again."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's table rebuild drops triggers; PostgreSQL's index follows the table")
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    after_index = False
    for app_label, name in _in_order(loader):
        if (app_label, name) == ("mail", "0003_sentmail_search_grams"):
            after_index = True
            continue
        if not after_index:
            continue
        out = io.StringIO()
        call_command("sqlmigrate", app_label, name, stdout=out)
        if '"new__mail_sentmail"' in out.getvalue():
            source = inspect.getsource(sys.modules[loader.graph.nodes[(app_label, name)].__module__])
            assert "install_sqlite" in source, (
                f"{app_label}.{name} rebuilds mail_sentmail on SQLite, which drops the search index's triggers: "
                "run mail.migrations.0003_sentmail_search_grams.install_sqlite again at its end")
    assert after_index


def _in_order(loader: MigrationLoader) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            if node not in seen and node[0] in {"members", "mail", "backoffice", "simulator", "billing", "support"}:
                seen.append(node)
    return seen
