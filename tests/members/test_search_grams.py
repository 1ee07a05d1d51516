"""MEM-10 at a million members (issue 15): the search index of migration 0008 answers terms of every length —
one- and two-character kanji family names (林, 佐藤, 山田), kana, mixed terms — on SQLite (FTS5 bigram tokens) and
PostgreSQL (a GIN index over the same tokens), the result is exactly a full scan's, one society's search asks the
index for that society's rows only, and the index follows writes, concurrent ones included."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from members import selectors, services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from members.models import Member

from .helpers import make_member

pytestmark = pytest.mark.django_db

LIST = "/api/v1/members/"

PEOPLE = [
    ("佐藤 花子", "サトウ ハナコ", "hanako.sato@univ.example.ac.jp", "000101"),
    ("佐々木 誠", "ササキ マコト", "makoto@lab.example.jp", "000102"),
    ("林 由美", "ハヤシ ユミ", "yumi.hayashi@example.ac.jp", "000103"),
    ("小林 直樹", "コバヤシ ナオキ", "naoki.k@example.com", "000104"),
    ("山田 太郎", "ヤマダ タロウ", "taro.yamada@example.jp", "000105"),
    ("森 彩", "モリ アヤ", "aya.mori@example.ac.jp", None),
    ("伊藤 亮", "イトウ リョウ", "ryo.ito@example.ac.jp", "A0107"),
    ("John Smith", "ジョン スミス", "john@example.com", "000108"),
]


@pytest.fixture
def people(society, regular_type):
    return {name: make_member(society, regular_type, name=name, name_kana=kana, email=email, member_number=number)
            for name, kana, email, number in PEOPLE}


def names(api, q: str) -> list[str]:
    r = api.get(LIST, {"q": q, "page_size": 100})
    assert r.status_code == 200, r.content[:300]
    return [m["name"] for m in r.json()["results"]]


@pytest.mark.parametrize("q, expected", [
    ("林", ["林 由美", "小林 直樹"]),          # 1 kanji: alone and inside 小林
    ("森", ["森 彩"]),
    ("佐", ["佐藤 花子", "佐々木 誠"]),
    ("佐藤", ["佐藤 花子"]),                  # 2 kanji (伊藤 holds 藤 only)
    ("山田", ["山田 太郎"]),
    ("さと", ["佐藤 花子"]),                   # 2 hiragana
    ("ﾊﾔｼ", ["林 由美"]),                     # half-width kana (こばやし holds ばやし, not はやし)
    ("し", ["林 由美", "小林 直樹"]),          # 1 kana
    ("ア", ["森 彩"]),
    ("田太", ["山田 太郎"]),                   # across the space of the name
    ("林ユ", []),                              # kanji and kana of different keys: no key holds it
    ("藤は", []),
    ("A01", ["伊藤 亮"]),                      # a member number part with a letter
    ("a01", None),                             # … in the other case: whatever the database's scan says
    ("ｊｏ", ["John Smith"]),                  # full-width letters: the name and the e-mail john@
])
def test_mem10_one_and_two_character_terms_match_like_a_scan(api, people, q, expected):
    found = names(api, q)
    if expected is not None:
        assert sorted(found) == sorted(expected)
    assert sorted(found) == sorted(scan_names(q))  # exactly a full scan's


def scan_names(q: str) -> list[str]:
    """The same search with the index switched off: what a full scan answers."""
    original = selectors._index_candidates
    selectors._index_candidates = lambda *args, **kwargs: None
    try:
        return list(selectors.search_members(Member.objects.all(), q).values_list("name", flat=True))
    finally:
        selectors._index_candidates = original


def test_mem10_every_substring_of_every_key_finds_what_a_scan_finds(society, regular_type, people):
    """Every 1-, 2- and 3-character part of every member's name, kana, e-mail and number, and a few misses, give
    exactly the rows a scan gives (the index only narrows; a missed row would be a lost member)."""
    terms = {"ー", "zz", "佐藤花", "はなこ", "@", ".", "0", "01", "example.ac", "存在", "a0", "a01", "Ex", "JOHN"}
    for member in Member.objects.all():
        for value in (member.name, member.name_kana, member.email, member.member_number or ""):
            for size in (1, 2, 3):
                terms |= {value[i:i + size] for i in range(len(value) - size + 1)}
    terms = {t for t in terms if t.strip()}
    queryset = selectors.members_of(society)
    for term in sorted(terms):
        indexed = set(selectors.search_members(queryset, term).values_list("pk", flat=True))
        original = selectors._index_candidates
        selectors._index_candidates = lambda *args, **kwargs: None
        try:
            scanned = set(selectors.search_members(queryset, term).values_list("pk", flat=True))
        finally:
            selectors._index_candidates = original
        assert indexed == scanned, term


def test_mem10_search_of_one_society_asks_the_index_for_its_rows_only(api, other_api, people, other_society):
    """The society's token is part of the SQLite index query (so a society's search does not read others' hits;
    PostgreSQL combines the GIN index with its B-tree on society_id), and another society's namesakes are never
    found (SOC-2)."""
    other_type = MemberTypeFactory(society=other_society)
    make_member(other_society, other_type, name="佐藤 次郎", name_kana="サトウ ジロウ", email="jiro@example.jp")
    queryset = selectors.members_of(people["佐藤 花子"].society)
    assert queryset.search_society_id == people["佐藤 花子"].society_id
    tree = selectors.search_index_query([("search_text", "佐藤")], queryset.search_society_id)
    assert tree[0] == "and" and tree[1] == (f"s{queryset.search_society_id}", False)
    assert names(api, "佐藤") == ["佐藤 花子"]
    assert names(other_api, "佐藤") == ["佐藤 次郎"]
    union = selectors.members_of(other_society) | queryset  # a union is no longer one society's
    assert union.search_society_id is None
    assert sorted(selectors.search_members(union, "佐藤").values_list("name", flat=True)) == ["佐藤 次郎", "佐藤 花子"]


def test_mem10_superuser_searches_every_society(people, other_society):
    make_member(other_society, MemberTypeFactory(society=other_society), name="林 健一", name_kana="ハヤシ ケンイチ",
                email="ken@example.jp")
    root = OperatorFactory(society=None, role="admin", is_superuser=True, email="root@example.jp")
    queryset = selectors.visible_members(root)
    assert queryset.search_society_id is None
    found = sorted(selectors.search_members(queryset, "林").values_list("name", flat=True))
    assert found == ["小林 直樹", "林 健一", "林 由美"]


@pytest.mark.parametrize("q", ["佐藤", "林", "さと"])
def test_mem10_short_terms_are_answered_from_the_index(society, people, q):
    """A one- or two-character term no longer scans: SQLite reads the FTS5 bigram table, PostgreSQL the GIN
    index over the bigram tokens (the planner told to prefer any index over reading the table)."""
    with CaptureQueriesContext(connection) as fetched:
        queryset = selectors.search_members(selectors.members_of(society), q)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and selectors.SQLITE_FTS_TABLE in plan, plan
        else:  # the matching ids come first (the page and the count then read those rows by key)
            (candidates,) = [query["sql"] for query in fetched.captured_queries if "@@" in query["sql"]]
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: the planner would read it whole
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {candidates}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "members_member_search_grams" in plan, plan
            assert "= ANY" in sql


def test_mem10_the_index_follows_updates_and_deletes(society, staff_op, people):
    hanako = people["佐藤 花子"]
    services.member_update(actor=staff_op, member=hanako, name="林 花子", name_kana="ハヤシ ハナコ",
                           email="hanako.h@univ.example.ac.jp")
    queryset = selectors.members_of(society)
    assert hanako.pk not in set(selectors.search_members(queryset, "佐藤").values_list("pk", flat=True))
    assert hanako.pk in set(selectors.search_members(queryset, "林").values_list("pk", flat=True))
    assert hanako.pk in set(selectors.search_members(queryset, "hanako.h").values_list("pk", flat=True))
    Member.objects.filter(pk=hanako.pk).update(member_number="Z999")  # a bulk update, no save(): the index follows
    assert [m.pk for m in selectors.search_members(queryset, "Z9")] == [hanako.pk]
    yamada = people["山田 太郎"]
    yamada.statuses.all().delete()
    yamada.delete()
    assert list(selectors.search_members(queryset, "山田")) == []


def test_mem10_search_query_count_unchanged(api, people, django_assert_max_num_queries):
    """A short term costs no more statements than before (the SQLite probe included)."""
    for q in ("林", "佐藤", "yamada", "000105"):
        with CaptureQueriesContext(connection) as ctx:
            api.get(LIST, {"q": q})
        assert len(ctx.captured_queries) <= 4, (q, [c["sql"][:120] for c in ctx.captured_queries])


@pytest.mark.django_db(transaction=True)
def test_mem10_concurrent_edits_leave_the_index_in_step():
    """SEC-4 for the index: operators renaming members at the same time — two of them the same member — leave
    every member found by their final name and key parts and by nothing they no longer hold (the index is
    written in the transaction of the row, by the database)."""
    society = SocietyFactory(slug="gramrace", name="並行検索学会")
    member_type = MemberTypeFactory(society=society)
    members = [make_member(society, member_type, name=f"佐藤 {i}郎", name_kana="サトウ", email=f"m{i}@example.jp")
               for i in range(6)]
    operators = [OperatorFactory(society=society, role="staff") for _ in range(7)]
    renames = [(members[i], f"林 {i}美", f"hayashi{i}@example.jp") for i in range(6)] + [
        (members[0], "山田 零美", "yamada0@example.jp")]
    for conn in connections.all():
        conn.close()
    barrier = threading.Barrier(len(renames))
    errors: list = []

    def rename(i: int) -> None:
        member, name, email = renames[i]
        try:
            barrier.wait(timeout=30)
            for _attempt in range(20):  # SQLite: a writer that waited past the busy timeout tries again
                try:
                    services.member_update(actor=operators[i], member=Member.objects.get(pk=member.pk), name=name,
                                           name_kana="", email=email)
                    break
                except Exception as exc:  # noqa: BLE001 — only a lock conflict is retried
                    from backoffice.dberrors import is_lock_conflict

                    if not is_lock_conflict(exc) and "database_busy" not in str(getattr(exc, "code", "")):
                        raise
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rename, args=(i,)) for i in range(len(renames))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads) and not errors, errors
    queryset = selectors.members_of(society)

    def found(q: str) -> set[int]:
        return set(selectors.search_members(queryset, q).values_list("pk", flat=True))

    assert found("佐藤") == set() and found("さとう") == set()
    for member in Member.objects.filter(society=society):
        family, given = member.name.split(" ")
        assert member.pk in found(family) and member.pk in found(given[0]) and member.pk in found(member.email)
    first = Member.objects.get(pk=members[0].pk)
    assert first.name in {"林 0美", "山田 零美"}
    other = "山田 零美" if first.name == "林 0美" else "林 0美"
    assert first.pk not in found(other.replace(" ", "")) and first.pk not in found(other.split(" ")[1])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {selectors.SQLITE_FTS_TABLE}({selectors.SQLITE_FTS_TABLE}, rank) "
                           "VALUES ('integrity-check', 0)")
