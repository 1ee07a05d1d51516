"""SEC-4: concurrent operators never get a server error and never break an invariant, on SQLite (the demo:
WAL, IMMEDIATE transactions, a busy timeout) and on PostgreSQL. Real threads send real HTTP requests to the
live server; a lock held past the wait limit answers 409 ``database_busy`` and changes nothing.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from email.message import Message
from typing import NamedTuple

import pytest
from django.db import DatabaseError, OperationalError, connection, connections
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

from backoffice import errorpages
from backoffice.dberrors import is_lock_conflict
from backoffice.models import AuditEntry
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory, create_member_with_history
from members.models import Member, MemberStatus, Status

from tests.members.helpers import state

pytestmark = pytest.mark.django_db(transaction=True)

SECONDS = 60  # how long a thread may take before the test calls it hung


# --- helpers ---------------------------------------------------------------------------------------------


def at_once(n: int, request) -> list:
    """Run ``request(i)`` in ``n`` threads released together; their results, in thread order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=SECONDS)
        results[i] = request(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results


class Answer(NamedTuple):
    status: int
    headers: Message
    text: str


OPENER = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {
    "redirect_request": lambda self, *args, **kwargs: None,  # a 302 is an answer we want to see
}))


def send(method: str, url: str, *, json_body=None, form=None, headers=None) -> Answer:
    """One HTTP request; 3xx, 4xx and 5xx are answers, not exceptions."""
    data = None
    headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with OPENER.open(request, timeout=SECONDS) as response:
            return Answer(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read().decode())


def api_post(url: str, token: str, body: dict) -> tuple[int, dict]:
    answer = send("POST", url, json_body=body, headers={"Authorization": f"Token {token}"})
    assert answer.headers.get("Content-Type", "").startswith("application/json"), (answer.status, answer.text[:300])
    return answer.status, json.loads(answer.text)


@pytest.fixture
def society():
    return SocietyFactory(slug="race", name="競合学会")


@pytest.fixture
def member_type(society):
    return MemberTypeFactory(society=society, code="regular")


def numbering_acts(society) -> int:
    """How many [会員番号採番] acts the audit trail holds (one entry, or one per member sharing a batch id)."""
    entries = AuditEntry.objects.filter(action="members.member_number.assigned")
    return len({entry.batch_id or entry.pk for entry in entries})


def operators_with_tokens(society, n: int) -> list[str]:
    return [Token.objects.create(user=OperatorFactory(society=society, role="staff")).key for _ in range(n)]


# --- MEM-5: one status per member per day ------------------------------------------------------------------


def test_sec4_mem5_six_concurrent_status_posts_give_one_201_and_five_status_same_day(live_server, society,
                                                                                     member_type):
    member = create_member_with_history(Status.ACTIVE, society=society, member_type=member_type)
    day = member.statuses.order_by("-effective_date").first().effective_date + datetime.timedelta(days=30)
    tokens = operators_with_tokens(society, 6)
    url = f"{live_server.url}/api/v1/members/{member.pk}/statuses/"

    results = at_once(6, lambda i: api_post(url, tokens[i], {"status": "withdrawn", "effective_date": day.isoformat()}))

    assert sorted(status for status, _ in results) == [201, 409, 409, 409, 409, 409], results
    assert {body["code"] for status, body in results if status == 409} == {"status_same_day"}
    assert list(member.statuses.filter(effective_date=day).values_list("status", flat=True)) == ["withdrawn"]
    assert AuditEntry.objects.for_object(member).filter(action="members.member.status_added").count() == 1


# --- NUM-2: no duplicate member numbers -----------------------------------------------------------------


def test_sec4_num2_operators_assigning_numbers_at_once_over_the_api(live_server, society, member_type):
    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=member_type) for _ in range(3)]
    tokens = operators_with_tokens(society, 4)
    # Two operators propose 000001-000003, two others 000011-000013: whichever wins, numbers stay unique.
    proposals = [[{"member": m.pk, "member_number": f"{start + k:06d}"} for k, m in enumerate(members)]
                 for start in (1, 1, 11, 11)]
    url = f"{live_server.url}/api/v1/member-numbers/assign/"

    results = at_once(4, lambda i: api_post(url, tokens[i], {"assignments": proposals[i]}))

    assert [status for status, _ in results].count(200) == 1, results
    winner = next(i for i, (status, _) in enumerate(results) if status == 200)
    assert results[winner][1] == {"assigned": 3}
    for status, body in results:
        if status != 200:
            assert status in (400, 409), results
            assert body["code"] in {"invalid", "member_number_taken", "member_number_gap"}, results
    numbers = sorted(Member.objects.filter(society=society).values_list("member_number", flat=True))
    assert numbers == sorted(p["member_number"] for p in proposals[winner])
    assert numbering_acts(society) == 1


def admin_cookie(operator) -> str:
    """A session cookie of ``operator`` signed in to the admin (made by the test client, sent over HTTP)."""
    client = Client()
    client.force_login(operator)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_sec4_num2_two_screens_and_a_script_numbering_at_once(live_server, society, member_type):
    """Two operators on [会員番号採番] and a script on the API, each with numbers of their own, at the same
    moment: one of them numbers everyone, the others are refused, and no number is used twice."""
    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=member_type) for _ in range(3)]
    url = f"{live_server.url}/admin/members/member/numbers/"
    screens = []
    for start in (1, 11):  # each operator opened the screen and typed numbers
        cookie = admin_cookie(OperatorFactory(society=society, role="staff"))
        page = send("GET", url, headers={"Cookie": cookie})
        assert page.status == 200 and "number_" in page.text, page
        csrf_cookie = next(c.split(";")[0] for c in page.headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
        form = {"csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1),
                **{f"number_{m.pk}": f"{start + k:06d}" for k, m in enumerate(members)}}
        screens.append((form, {"Cookie": f"{cookie}; {csrf_cookie}"}))
    token = operators_with_tokens(society, 1)[0]
    script = {"assignments": [{"member": m.pk, "member_number": f"{21 + k:06d}"} for k, m in enumerate(members)]}

    def operator(i: int):
        if i < 2:
            return send("POST", url, form=screens[i][0], headers=screens[i][1])
        return api_post(f"{live_server.url}/api/v1/member-numbers/assign/", token, script)

    (screen_a, screen_b, (api_status, api_body)) = at_once(3, operator)

    screen_statuses = sorted([screen_a.status, screen_b.status])
    assert screen_statuses in ([200, 200], [200, 302]), [(a.status, a.text[-500:]) for a in (screen_a, screen_b)]
    successes = screen_statuses.count(302) + (api_status == 200)
    assert successes == 1, (screen_statuses, api_status, api_body)
    for answer in (screen_a, screen_b):
        if answer.status == 200:  # the screen again, with the refusal as its message
            assert re.search(r'<li class="error">[^<]*(採番対象ではありません|既に採番済み|他の操作で採番)', answer.text), \
                answer.text[-3000:]
    if api_status != 200:
        assert api_status in (400, 409) and api_body["code"] in {"invalid", "member_number_taken"}, api_body
    numbers = sorted(Member.objects.filter(society=society).values_list("member_number", flat=True))
    assert numbers in [[f"{start + k:06d}" for k in range(3)] for start in (1, 11, 21)]
    assert numbering_acts(society) == 1


# --- a lock held past the wait limit: 409 database_busy, nothing changed --------------------------------


@contextmanager
def another_transaction_holding(member):
    """Another connection holds what a status change needs (SQLite: the write lock; PostgreSQL: the member's
    row), and this connection waits 0.2 s instead of the configured time before giving up."""
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        if other.vendor == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM members_member WHERE id = %s FOR UPDATE", [member.pk])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout")
            restore = f"PRAGMA busy_timeout = {cursor.fetchone()[0]}"
            cursor.execute("PRAGMA busy_timeout = 200")
        else:
            restore = "RESET lock_timeout"
            cursor.execute("SET lock_timeout = '200ms'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(restore)
        with other.cursor() as cursor:
            cursor.execute("ROLLBACK")
        other.close()


@pytest.fixture
def busy_member(society, member_type):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=member_type)


def test_sec4_lock_held_by_another_transaction_answers_409_database_busy_in_the_api(society, busy_member):
    token = operators_with_tokens(society, 1)[0]
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/members/{busy_member.pk}/statuses/"
    body = {"status": "withdrawn", "effective_date": "2026-03-31"}
    before = state()

    with another_transaction_holding(busy_member):
        r = client.post(url, body, content_type="application/json")

    assert r.status_code == 409, r.content
    assert r.json()["code"] == "database_busy"
    assert set(r.json()) == {"code", "detail", "fields"}
    assert "他の担当者の操作と同時になった" in r.json()["detail"]
    assert state() == before
    # Once the other transaction ends, sending the same request again works.
    assert client.post(url, body, content_type="application/json").status_code == 201


def test_sec4_lock_held_by_another_transaction_shows_the_admin_a_japanese_page(society, busy_member):
    client = Client()
    client.force_login(OperatorFactory(society=society, role="staff"))
    url = f"/admin/members/member/{busy_member.pk}/status/"
    form = {"add": "1", "add-status": "withdrawn", "add-effective_date": "2026-03-31", "add-note": ""}
    before = state()

    with another_transaction_holding(busy_member):
        r = client.post(url, form)

    assert r.status_code == 409
    html = r.content.decode()
    assert "他の操作と重なりました" in html and "何も変更されていません" in html
    assert 'id="error-back"' in html  # back to the form, with what was typed
    assert state() == before
    assert client.post(url, form).status_code == 302
    assert MemberStatus.objects.filter(member=busy_member, effective_date="2026-03-31").count() == 1


def test_sec4_lock_conflict_outside_a_view_is_409_not_500(society, busy_member):
    """Django's handler500 runs inside the except block of an error no view caught (a session saved by the
    middleware, say): a lock conflict there is still 'busy, send again'."""
    request = RequestFactory().post("/api/v1/members/")
    with another_transaction_holding(busy_member):
        try:
            Member.objects.select_for_update().filter(pk=busy_member.pk).update(name="x")  # waits, then fails
        except OperationalError as exc:
            assert is_lock_conflict(exc)
            response = errorpages.server_error(request)
        else:
            pytest.fail("the update did not wait for the other transaction's lock")
    assert response.status_code == 409
    assert json.loads(response.content)["code"] == "database_busy"
    busy_member.refresh_from_db()
    assert busy_member.name != "x"


def test_other_database_errors_stay_server_errors():
    request = RequestFactory().get("/admin/members/member/")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_here")
    except DatabaseError as exc:  # handler500 is called inside Django's except block; so here
        assert not is_lock_conflict(exc)
        response = errorpages.server_error(request)
    assert response.status_code == 500
    assert "サーバーエラー" in response.content.decode()
