"""MAIL-1's free-word search of [個人会員送信済みメール], one selector (mail.selectors.search_sent_mails) behind
the admin changelist and the API's ``q``: an exact address, a part of an address, a word of the subject or body,
a link's token. The same tests run on SQLite (FTS5 bigram index) and PostgreSQL (GIN bigram index); the
results must be those of a plain scan whichever way the database finds them."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from backoffice import pagination
from mail import selectors
from mail.models import SentMail

URL = "/api/v1/sent-mails/"
LIST = "/admin/mail/sentmail/"


@pytest.fixture
def mails(staff_op, society, send):
    """Three mails of the society, in sending order."""
    hanako = send(actor=staff_op, society=society, to="hanako.yamada@u-tokyo.ac.jp",
                  subject="【日本バックオフィス学会】メールアドレス認証のご連絡",
                  body="以下のURLを開き、入会申請の手続きを進めてください。\n\n{link_url}\n")
    jiro = send(actor=staff_op, society=society, kind="invoice_notice", to="jiro.suzuki@kyoto-u.ac.jp",
                subject="【日本バックオフィス学会】請求のお知らせ", body="鈴木 次郎 様\n\n2026年度 年会費のご請求をお知らせいたします。\n",
                link=False)
    taro = send(actor=staff_op, society=society, kind="other", to="taro@example.jp",
                subject="第42回学術集会のご案内", body="山田 花子 様\n\nPlease register on My Page.\n", link=False)
    return {"hanako": hanako, "jiro": jiro, "taro": taro}


def api_ids(api, q):
    r = api.get(URL, {"q": q})
    assert r.status_code == 200, r.content
    return sorted(row["id"] for row in r.json()["results"])


def admin_ids(client, q):
    r = client.get(LIST, {"q": q})
    assert r.status_code == 200
    return sorted(int(pk) for pk in re.findall(r'/admin/mail/sentmail/(\d+)/change/', r.content.decode()))


@pytest.fixture
def admin_client(staff_op):
    client = Client()
    client.force_login(staff_op)
    return client


def found(api, admin_client, mails, q) -> set[str]:
    """Which of the fixture's mails ``q`` finds — the same through the API and the admin (one selector)."""
    by_id = {m.pk: name for name, m in mails.items()}
    through_api = api_ids(api, q)
    assert admin_ids(admin_client, q) == through_api, q
    return {by_id[pk] for pk in through_api}


@pytest.mark.parametrize("q", ["hanako.yamada@u-tokyo.ac.jp", "Hanako.Yamada@U-Tokyo.ac.jp",
                               "ｈａｎａｋｏ．ｙａｍａｄａ＠ｕ－ｔｏｋｙｏ．ａｃ．ｊｐ", "  hanako.yamada@u-tokyo.ac.jp "])
def test_mail1_search_exact_address(api, admin_client, mails, q):
    assert found(api, admin_client, mails, q) == {"hanako"}


def test_mail1_search_exact_address_is_not_a_part_match(api, admin_client, mails, staff_op, society, send):
    send(actor=staff_op, society=society, to="ohanako.yamada@u-tokyo.ac.jp", link=False)
    assert found(api, admin_client, mails, "hanako.yamada@u-tokyo.ac.jp") == {"hanako"}
    assert found(api, admin_client, mails, "yamada@u-tokyo.ac.jp") == set()


@pytest.mark.parametrize("q, expected", [
    ("hanako", {"hanako"}),
    ("HANAKO.Yam", {"hanako"}),
    ("u-tokyo", {"hanako"}),
    ("@kyoto-u.ac", {"jiro"}),
    ("ac.jp", {"hanako", "jiro"}),
    ("example.jp", {"taro", "hanako"}),  # hanako's body holds the link https://example.jp/links/…
    ("o@", {"taro"}),  # shorter than a trigram: scanned, same answer (no "@" in a random link token)
])
def test_mail1_search_address_part(api, admin_client, mails, q, expected):
    assert found(api, admin_client, mails, q) == expected


@pytest.mark.parametrize("q, expected", [
    ("メールアドレス認証", {"hanako"}),  # subject
    ("学術集会", {"taro"}),  # subject
    ("入会申請の手続き", {"hanako"}),  # body
    ("年会費", {"jiro"}),  # body, 3 characters
    ("山田 花子", {"taro"}),  # body, with its space
    ("会費", {"jiro"}),  # 2 characters: no trigram, scanned
    ("お知らせ", {"jiro"}),  # subject and body
    ("日本バックオフィス学会", {"hanako", "jiro"}),
    ("register ON my page", {"taro"}),  # letters case-insensitively
    ("url", {"hanako"}),
    ("存在しない言葉", set()),
])
def test_mail1_search_free_word_in_subject_and_body(api, admin_client, mails, q, expected):
    assert found(api, admin_client, mails, q) == expected


def test_mail1_search_link_token_and_its_url(api, admin_client, mails):
    link = mails["hanako"].link
    assert found(api, admin_client, mails, link.token) == {"hanako"}
    assert found(api, admin_client, mails, link.url) == {"hanako"}
    assert found(api, admin_client, mails, link.token[:20]) == {"hanako"}  # a part of it: a free word in the body
    assert found(api, admin_client, mails, "A" * 43) == set()


def test_mail1_search_link_token_of_a_mail_whose_body_has_no_url(api, admin_client, mails, staff_op, society, send):
    """A society's own template may leave the URL out: the token still finds the mail carrying the link."""
    quiet = send(actor=staff_op, society=society, to="quiet@example.jp", body="URLなしの本文")
    assert quiet.link.token not in quiet.body
    r = api.get(URL, {"q": quiet.link.token})
    assert [row["id"] for row in r.json()["results"]] == [quiet.pk]
    assert admin_ids(admin_client, quiet.link.token) == [quiet.pk]


def test_soc2_search_never_finds_another_societys_mail(other_api, other_op, api, mails, other_society, send):
    theirs = send(actor=other_op, society=other_society, to="hanako.yamada@u-tokyo.ac.jp", subject="別学会のご案内")
    assert api_ids(other_api, mails["hanako"].link.token) == []
    assert api_ids(other_api, "hanako.yamada@u-tokyo.ac.jp") == [theirs.pk]
    assert api_ids(other_api, "入会申請の手続き") == []
    assert api_ids(api, theirs.link.token) == []
    assert api_ids(api, "別学会") == []


@pytest.mark.parametrize("q", ['"', '""', "a\"b*c", "NEAR(x y)", "{to} : x", "x OR y", "-!x", "^abc", "%", "%%%",
                               "\\", "*" * 3, "x" * 2000, "@b", "a@b@c", "😀😀😀"])
def test_mail1_search_odd_input_is_a_plain_word(api, admin_client, mails, q):
    """Whatever the term holds, it is matched as text (no FTS query syntax, no LIKE wildcard) — never a 500."""
    assert found(api, admin_client, mails, q) == set()


def test_mail1_search_address_fragments(api, admin_client, mails):
    assert found(api, admin_client, mails, "@") == {"hanako", "jiro", "taro"}
    assert found(api, admin_client, mails, "da@") == {"hanako"}
    assert found(api, admin_client, mails, "https://example.jp/links/") == {"hanako"}


def test_mail1_search_like_wildcards_are_literal(api, admin_client, mails, staff_op, society, send):
    pct = send(actor=staff_op, society=society, to="p@example.jp", subject="割引 50%_OFF のご案内", link=False)
    mails = {**mails, "pct": pct}
    assert found(api, admin_client, mails, "50%_OFF") == {"pct"}
    assert found(api, admin_client, mails, "50%_OFF".replace("_", "x")) == set()


def test_mail1_search_follows_changes_of_the_mail(api, admin_client, mails):
    """The SQLite index is kept by triggers: an edited or deleted mail is found by its new text only."""
    SentMail.objects.filter(pk=mails["taro"].pk).update(body="差し替えた本文です")
    assert found(api, admin_client, mails, "差し替えた本文") == {"taro"}
    assert found(api, admin_client, mails, "山田 花子") == set()
    SentMail.objects.filter(pk=mails["taro"].pk).update(status="failed", attempts=3)  # the sender's update
    assert found(api, admin_client, mails, "差し替えた本文") == {"taro"}
    SentMail.objects.filter(pk=mails["taro"].pk).delete()
    del mails["taro"]
    assert found(api, admin_client, mails, "差し替えた本文") == set()


def test_mail1_search_same_answer_without_the_index(api, admin_client, mails, monkeypatch):
    queries = ["hanako", "年会費", "日本バックオフィス学会", mails["hanako"].link.token, "u-tokyo", "register ON"]
    with_index = {q: api_ids(api, q) for q in queries}
    monkeypatch.setattr(selectors, "_sqlite_fts_ready", lambda connection: False)
    assert {q: api_ids(api, q) for q in queries} == with_index
    monkeypatch.setattr(selectors, "SQLITE_FTS_MAX_CANDIDATES", 0)  # the density probe says "scan"
    assert {q: api_ids(api, q) for q in queries} == with_index


def test_mail1_search_query_counts_are_pinned(api, admin_client, mails, django_assert_max_num_queries):
    token = mails["hanako"].link.token
    for q in ("hanako.yamada@u-tokyo.ac.jp", "年会費", "会費"):
        with django_assert_max_num_queries(3):  # (probe on SQLite), page, capped count
            api.get(URL, {"q": q})
    with django_assert_max_num_queries(4):  # + the token look-up
        api.get(URL, {"q": token})
    admin_client.get(LIST)
    with django_assert_max_num_queries(8):
        admin_client.get(LIST, {"q": token})


def test_mail1_unfiltered_list_never_counts_past_the_cap(api, admin_client, mails, monkeypatch):
    """API.md: ``count`` may be null on very large unfiltered lists; the admin shows the capped figure."""
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    body = api.get(URL).json()
    assert body["count"] is None and len(body["results"]) == 3
    assert api.get(URL, {"q": "年会費"}).json()["count"] == 1
    assert admin_client.get(LIST).status_code == 200


@pytest.mark.django_db
def test_mail1_search_index_survives_every_migration():
    """After all migrations the search indexes exist: on SQLite the FTS5 table and its three triggers (a table
    rebuild by a later migration drops triggers, and every part search would then silently scan); on
    PostgreSQL the GIN index of character pairs (migration 0003), which replaced the three trigram indexes."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT type, name FROM sqlite_master")
            assert selectors.SQLITE_FTS_OBJECTS <= set(cursor.fetchall())
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'mail_sentmail'")
            names = {row[0] for row in cursor.fetchall()}
            assert selectors.PG_INDEX in names
            assert not {"mail_sent_to_trgm", "mail_sent_subject_trgm", "mail_sent_body_trgm"} & names


@pytest.mark.django_db
@pytest.mark.parametrize("q, index", [("入会申請", "mail_sent_search_grams"), ("学術集会", "mail_sent_search_grams"),
                                      ("u-tokyo", "mail_sent_search_grams")])
def test_mail1_search_uses_the_index(society, q, index):
    """The part match is answered from the index (the SQLite FTS table, or on PostgreSQL the GIN index of
    character pairs of migration 0003), not by reading every mail. On PostgreSQL the selector fetches
    the matching ids first (the page and count then read them by primary key): that statement uses the index."""
    with CaptureQueriesContext(connection) as fetched:
        queryset = selectors.search_sent_mails(SentMail.objects.all(), q)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and selectors.SQLITE_FTS_TABLE in plan, plan
        else:
            (candidates,) = [query["sql"] for query in fetched.captured_queries if "LIKE" in query["sql"]]
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: the planner would read it whole
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(f"EXPLAIN {candidates}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan, plan
