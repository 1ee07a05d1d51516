"""SIM-1: the simulation clock of a training sandbox, through the API and the first page."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from backoffice import clock
from backoffice.models import AuditEntry
from members.factories import MemberTypeFactory, OperatorFactory
from tests.simulator.helpers import client_for
from members.models import Status

from ..members.helpers import assert_error, make_member

pytestmark = pytest.mark.django_db
URL = "/api/v1/sim/clock/"


def test_sim1_clock_reads_the_sandbox_time(trainer, sandbox):
    body = trainer.get(URL).json()
    assert body["timezone"] == "Asia/Tokyo"
    assert body["today"] == clock.today(sandbox).isoformat()
    now = datetime.datetime.fromisoformat(body["now"])
    assert now.utcoffset() == datetime.timedelta(hours=9)
    assert abs(now - clock.now(sandbox)) < datetime.timedelta(minutes=1)


def test_sim1_advance_hours_moves_every_date_rule(trainer, sandbox):
    member_type = MemberTypeFactory(society=sandbox)
    member = make_member(sandbox, member_type, status="active")
    tomorrow = clock.today(sandbox) + datetime.timedelta(days=1)
    member.statuses.create(status=Status.WITHDRAWN, effective_date=tomorrow)  # a scheduled withdrawal
    assert trainer.get(f"/api/v1/members/{member.pk}/").json()["status"] == "active"
    before = datetime.datetime.fromisoformat(trainer.get(URL).json()["now"])
    r = trainer.post(URL, {"advance_hours": 24}, format="json")
    assert r.status_code == 200, r.json()
    after = datetime.datetime.fromisoformat(r.json()["now"])
    assert datetime.timedelta(hours=24) <= after - before < datetime.timedelta(hours=24, minutes=1)
    sandbox.refresh_from_db()  # the test client reuses this object as the operator's society
    assert trainer.get(f"/api/v1/members/{member.pk}/").json()["status"] == "withdrawn"  # took effect
    entry = AuditEntry.objects.get(action="members.society.clock_moved")
    assert entry.society_id == sandbox.pk


def test_sim1_set_moves_the_clock_to_a_time(trainer, sandbox):
    r = trainer.post(URL, {"set": "2027-04-01T09:00:00+09:00"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["today"] == "2027-04-01"
    assert r.json()["now"].startswith("2027-04-01T09:00")
    sandbox.refresh_from_db()
    assert clock.today(sandbox) == datetime.date(2027, 4, 1)


@pytest.mark.parametrize("body", [{}, {"advance_hours": 0}, {"advance_hours": -5}, {"advance_hours": "x"},
                                  {"set": "not a date"}, {"set": "2026-01-01T00:00:00+09:00", "advance_hours": 1},
                                  {"set": "9999-01-01T00:00:00+09:00"}])
def test_sim1_bad_moves_are_refused(trainer, sandbox, body):
    before = sandbox.clock_offset
    assert_error(trainer.post(URL, body, format="json"), 400, "invalid")
    sandbox.refresh_from_db()
    assert sandbox.clock_offset == before


def test_sim1_outside_a_sandbox_not_sandbox(admin_api, api):
    assert_error(admin_api.get(URL), 403, "not_sandbox")
    assert_error(admin_api.post(URL, {"advance_hours": 1}, format="json"), 403, "not_sandbox")
    assert_error(api.post(URL, {"advance_hours": 1}, format="json"), 403, "not_sandbox")


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_sim1_staff_and_viewers_do_not_move_the_clock(sandbox, role):
    client = client_for(OperatorFactory(society=sandbox, role=role))
    assert_error(client.get(URL), 403, "permission_denied")
    assert_error(client.post(URL, {"advance_hours": 1}, format="json"), 403, "permission_denied")
    sandbox.refresh_from_db()
    assert sandbox.clock_offset == datetime.timedelta(0)


def test_sim1_admin_of_the_sandbox_moves_it(sandbox):
    client = client_for(OperatorFactory(society=sandbox, role="admin"))
    assert client.post(URL, {"advance_hours": 1}, format="json").status_code == 200


def test_sim1_unauthenticated_is_401():
    assert_error(APIClient().get(URL), 401, "invalid_credentials")


@pytest.fixture
def trainer_client(client, sandbox):
    client.force_login(OperatorFactory(society=sandbox, role="trainer"))
    return client


def test_sim1_first_page_clock_control_moves_the_sandbox_clock(trainer_client, sandbox):
    page = trainer_client.get("/admin/").content.decode()
    assert 'id="sim-clock"' in page and "+24時間" in page
    start = clock.now(sandbox)
    r = trainer_client.post("/admin/simulation/clock/", {"move": "day"}, follow=True)
    assert r.status_code == 200
    sandbox.refresh_from_db()
    assert datetime.timedelta(hours=24) <= clock.now(sandbox) - start < datetime.timedelta(hours=24, minutes=1)
    assert any("シミュレーション時計" in str(m) for m in r.context["messages"])
    trainer_client.post("/admin/simulation/clock/", {"move": "date", "date": "２０２８－０１－１５"})
    sandbox.refresh_from_db()
    assert clock.now(sandbox).replace(second=0, microsecond=0).isoformat() == "2028-01-15T00:00:00+09:00"
    trainer_client.post("/admin/simulation/clock/", {"move": "month"})
    sandbox.refresh_from_db()
    assert clock.today(sandbox) == datetime.date(2028, 2, 15)


def test_sim1_month_move_keeps_the_day_or_takes_the_months_last():
    from simulator.clock import add_months

    moment = datetime.datetime(2027, 1, 31, 10, 0, tzinfo=datetime.timezone.utc)
    assert add_months(moment, 1).date() == datetime.date(2027, 2, 28)
    assert add_months(moment, 12).date() == datetime.date(2028, 1, 31)


@pytest.mark.parametrize("data", [{"move": "date", "date": "abc"}, {"move": "sideways"}, {}])
def test_sim1_bad_clock_control_input_changes_nothing(trainer_client, sandbox, data):
    r = trainer_client.post("/admin/simulation/clock/", data, follow=True)
    assert r.status_code == 200
    sandbox.refresh_from_db()
    assert sandbox.clock_offset == datetime.timedelta(0)
    assert [m.level_tag for m in r.context["messages"]] == ["error"]


def test_sim1_clock_control_is_offered_only_to_a_sandbox_trainer(client, staff_op, sandbox):
    client.force_login(staff_op)  # a real society's staff
    assert 'id="sim-clock"' not in client.get("/admin/").content.decode()
    r = client.post("/admin/simulation/clock/", {"move": "day"}, follow=True)
    assert [str(m) for m in r.context["messages"]] == ["シミュレーション時計は研修用の学会にだけあります。"]
    client.force_login(OperatorFactory(society=sandbox, role="staff"))
    assert 'id="sim-clock"' not in client.get("/admin/").content.decode()
    client.post("/admin/simulation/clock/", {"move": "day"})
    sandbox.refresh_from_db()
    assert sandbox.clock_offset == datetime.timedelta(0)
