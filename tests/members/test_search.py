"""MEM-10: forgiving search, the list filters, pagination and the list's query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import APass
from members.factories import MemberTypeFactory

from .helpers import assert_error, make_member

pytestmark = pytest.mark.django_db

LIST = "/api/v1/members/"


def ids(api, query: str = "", **params) -> list[int]:
    r = api.get(LIST + query, params)
    assert r.status_code == 200, r.json()
    return [m["id"] for m in r.json()["results"]]


@pytest.fixture
def yamada(society, regular_type):
    return make_member(society, regular_type, name="山田 太郎", name_kana="ヤマダ タロウ", email="taro.yamada@example.jp",
                       phone="03-1234-5678", member_number="000123", affiliation="東京大学")


@pytest.fixture
def others(society, regular_type, student_type):
    return [
        make_member(society, student_type, name="佐藤 花子", name_kana="サトウ ハナコ", email="hanako@univ.example.ac.jp",
                    phone="06-9876-5432", member_number="000456"),
        make_member(society, regular_type, name="John Smith", name_kana="ジョン スミス", email="john@example.com",
                    phone="", member_number=None, status="applying"),
    ]


# --- name and kana ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["やまだ", "ヤマダ", "ﾔﾏﾀﾞ", "ﾀﾛｳ", "やまだ たろう", "山田", "田 太", "山田太郎", "たろう"])
def test_mem10_name_and_kana_match_across_scripts(api, yamada, others, q):
    assert ids(api, q=q) == [yamada.pk]


def test_mem10_full_width_letters_match_half_width(api, society, regular_type, yamada, others):
    smith = others[1]
    assert ids(api, q="ｓｍｉｔｈ") == [smith.pk]
    assert ids(api, q="SMITH") == [smith.pk]
    wide = make_member(society, regular_type, name="ＡＢＣ 研究所", name_kana="エービーシー", email="abc@lab.example.jp")
    assert ids(api, q="abc 研究") == [wide.pk]
    assert ids(api, q="ａｂｃ") == [wide.pk]


def test_mem10_organisation_name_is_searchable(api, society, regular_type):
    corp = make_member(society, regular_type, kind="corporate", organization="株式会社アトラス製薬",
                       name="連絡 一郎", name_kana="レンラク イチロウ", email="corp@atlas.example.jp")
    assert ids(api, q="あとらす") == [corp.pk]
    assert ids(api, q="ｱﾄﾗｽ製薬") == [corp.pk]


# --- e-mail, number, phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["taro.yamada@example.jp", "TARO.YAMADA@EXAMPLE.JP", "ｔａｒｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ",
                               "taro.yamada", "yamada@", "@example.jp"])
def test_mem10_email_exact_or_by_part(api, yamada, others, q):
    assert ids(api, q=q) == [yamada.pk]


@pytest.mark.parametrize("q", ["000123", "０００１２３", "0123", "123"])
def test_mem10_member_number_exact_or_by_part(api, yamada, others, q):
    assert ids(api, q=q) == [yamada.pk]


@pytest.mark.parametrize("q", ["03-1234-5678", "0312345678", "０３－１２３４－５６７８", "03 1234 5678", "03ー1234ー5678"])
def test_mem10_phone_with_or_without_hyphens(api, yamada, others, q):
    assert ids(api, q=q) == [yamada.pk]


def test_mem10_phone_digits_need_the_whole_number(api, yamada, others):
    assert ids(api, q="03-1234") == []


def test_mem10_no_match_and_blank_query(api, yamada, others):
    assert ids(api, q="存在しない名前") == []
    assert ids(api, q="  ") == [yamada.pk] + [m.pk for m in others]


# --- filters -------------------------------------------------------------------------------------------


def test_mem10_filter_by_email_and_member_number_exactly(api, yamada, others):
    assert ids(api, email="TARO.YAMADA@example.jp") == [yamada.pk]
    assert ids(api, email="ｔａｒｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ") == [yamada.pk]
    assert ids(api, email="taro") == []  # exact, unlike q
    assert ids(api, member_number="000123") == [yamada.pk]
    assert ids(api, member_number="０００１２３") == [yamada.pk]
    assert ids(api, member_number="123") == []


def test_mem10_filter_by_status_member_type_and_kind(api, society, regular_type, yamada, others):
    hanako, john = others
    corp = make_member(society, regular_type, kind="corporate", organization="株式会社みらい分析", status="withdrawn")
    assert ids(api, status="active") == [yamada.pk, hanako.pk]
    assert ids(api, status="applying") == [john.pk]
    assert ids(api, status="withdrawn") == [corp.pk]
    assert ids(api, member_type="student") == [hanako.pk]
    assert ids(api, member_type="regular") == [yamada.pk, john.pk, corp.pk]
    assert ids(api, member_type="unknown") == []
    assert ids(api, kind="corporate") == [corp.pk]
    assert ids(api, kind="individual") == [yamada.pk, hanako.pk, john.pk]
    assert ids(api, kind="individual", status="active", q="さとう") == [hanako.pk]


def test_mem10_filter_by_apass_link_and_chain_mark(api, yamada, others):
    yamada.apass = APass.objects.create(email=yamada.email, password="!")
    yamada.save()
    assert ids(api, apass_linked="true") == [yamada.pk]
    assert ids(api, apass_linked="false") == [m.pk for m in others]
    rows = {m["id"]: m["apass_linked"] for m in api.get(LIST).json()["results"]}
    assert rows == {yamada.pk: True, others[0].pk: False, others[1].pk: False}
    assert api.get(f"{LIST}{yamada.pk}/").json()["apass_linked"] is True


@pytest.mark.parametrize("params", [{"status": "retired"}, {"kind": "family"}])
def test_mem10_bad_filter_value_refused(api, yamada, params):
    body = assert_error(api.get(LIST, params), 400, "invalid")
    assert set(params) <= set(body["fields"])


# --- pagination and query counts --------------------------------------------------------------------------


def test_mem10_pagination_shape(api, society, regular_type):
    members = [make_member(society, regular_type) for _ in range(5)]
    r = api.get(LIST, {"page_size": 2})
    body = r.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    assert body["previous"] is None
    assert "page=2" in body["next"] and "page_size=2" in body["next"]
    assert [m["id"] for m in body["results"]] == [members[0].pk, members[1].pk]

    body = api.get(body["next"]).json()
    assert [m["id"] for m in body["results"]] == [members[2].pk, members[3].pk]
    assert "page=" not in body["previous"]
    assert "page=3" in body["next"]

    body = api.get(body["next"]).json()
    assert [m["id"] for m in body["results"]] == [members[4].pk]
    assert body["next"] is None
    assert "page=2" in body["previous"]

    assert_error(api.get(LIST, {"page": 4, "page_size": 2}), 404, "not_found")
    assert_error(api.get(LIST, {"page": 0}), 404, "not_found")
    assert_error(api.get(LIST, {"page": "x"}), 404, "not_found")


def test_mem10_page_size_up_to_500(api, society, regular_type):
    from members.factories import bulk_create_members

    bulk_create_members(society, [regular_type], 520, numbered=False)
    assert len(api.get(LIST).json()["results"]) == 50  # default page size
    body = api.get(LIST, {"page_size": 500}).json()
    assert len(body["results"]) == 500
    assert body["count"] == 520
    assert len(api.get(LIST, {"page_size": 10_000}).json()["results"]) == 500
    assert len(api.get(LIST, {"page_size": "abc"}).json()["results"]) == 50


def test_mem10_list_query_count_does_not_grow_with_rows(api, society, regular_type, student_type,
                                                       django_assert_max_num_queries):
    for _ in range(3):
        make_member(society, regular_type)

    def count_queries(**params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(LIST, params)
            assert r.status_code == 200
        return len(ctx.captured_queries)

    few = count_queries()
    for i in range(30):
        member = make_member(society, student_type if i % 2 else regular_type, member_number=f"{i:06d}")
        if i % 3 == 0:
            member.apass = APass.objects.create(email=member.email, password="!")
            member.save()
    assert count_queries() == few
    with django_assert_max_num_queries(3):
        r = api.get(LIST, {"page_size": 100})
    assert len(r.json()["results"]) == 33
    with django_assert_max_num_queries(3):
        api.get(LIST, {"q": "やまだ", "status": "active", "apass_linked": "true", "member_type": "student"})
    with django_assert_max_num_queries(3):
        api.get(f"{LIST}{member.pk}/")


def test_mem10_other_society_members_never_found(api, other_api, yamada, other_society):
    make_member(other_society, MemberTypeFactory(society=other_society), name="山田 次郎", name_kana="ヤマダ ジロウ",
                email="jiro@example.jp")
    assert ids(other_api, q="taro.yamada@example.jp") == []
    assert ids(other_api, email="taro.yamada@example.jp") == []
    assert ids(other_api, member_number="000123") == []
    assert len(ids(other_api, q="やまだ")) == 1
    assert ids(api, q="やまだ") == [yamada.pk]


def test_mem10_count_is_capped_on_huge_lists(society, regular_type):
    from backoffice.pagination import capped_count
    from members.models import Member

    for _ in range(3):
        make_member(society, regular_type)
    qs = Member.objects.filter(society=society)
    assert capped_count(qs, cap=3) == 3
    assert capped_count(qs, cap=2) is None  # the API then answers count: null
    # a member list with its status annotation counts the same rows, by key alone (no status subquery per row)
    from django.db.models import Count

    from members.selectors import members_of

    assert capped_count(members_of(society)) == 3
    grouped = Member.objects.filter(society=society).values("member_type").annotate(n=Count("pk"))
    assert capped_count(grouped) == 1  # one group: a grouped list is counted by its groups, not its members
    assert capped_count(Member.objects.filter(society=society).values("email").distinct()) == 3


@pytest.mark.django_db
def test_mem10_search_index_survives_every_migration():
    """SQLite rebuilds a table when a migration alters it, which drops its triggers: after all migrations the
    FTS5 bigram table and its three triggers must still exist, or every part search silently scans."""
    from django.db import connection

    from members.selectors import SQLITE_FTS_OBJECTS

    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 index is SQLite's; PostgreSQL's GIN index: tests/members/test_search_grams.py")
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master")
        found = set(cursor.fetchall())
    assert SQLITE_FTS_OBJECTS <= found
