"""SEC-4 for billing runs, on SQLite (WAL, IMMEDIATE) and PostgreSQL: two identical [請求情報作成] submissions at
the same moment (a double click, a retried request: the same Idempotency-Key) create one run and one set of
invoices; two workers picking up the same run bill its members once."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token

from billing.models import BillingRun, Invoice
from billing.services import runs
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory, create_member_with_history
from members.models import Status
from tests.backoffice.test_concurrency import api_post, at_once

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"name": "2026年度 年会費", "category": "annual", "fiscal_year": 2026, "allocation_start": "2026-04",
        "exclude_member_types": []}


@pytest.fixture
def race_society():
    society = SocietyFactory(slug="race-billing", name="競合学会")
    member_type = MemberTypeFactory(society=society, code="regular")
    for _ in range(20):
        create_member_with_history(Status.ACTIVE, society=society, member_type=member_type)
    return society


def test_sec4_bil1_two_identical_submissions_at_once_make_one_run_and_one_set_of_invoices(live_server, race_society):
    token = Token.objects.create(user=OperatorFactory(society=race_society, role="staff")).key
    url = f"{live_server.url}/api/v1/billing-runs/"

    def submit(i):
        import json
        import urllib.request

        request = urllib.request.Request(url, data=json.dumps(BODY).encode(), method="POST", headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json", "Idempotency-Key": "double-click"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    answers = at_once(2, submit)
    assert all(status in (202, 409) for status, _body in answers), answers
    ids = {body["id"] for status, body in answers if status == 202}
    assert len(ids) == 1, answers
    assert BillingRun.objects.count() == 1
    run = BillingRun.objects.get()
    assert run.state == "done"
    assert Invoice.objects.count() == 20
    assert Invoice.objects.values("member_id").distinct().count() == 20
    assert sorted(Invoice.objects.values_list("number", flat=True)) == list(range(1, 21))


def test_sec4_bil1_two_workers_executing_one_run_bill_once(race_society, monkeypatch):
    run = BillingRun.objects.create(
        society=race_society, name="2026年度 年会費", category="annual", fiscal_year=2026,
        allocation_start=datetime.date(2026, 4, 1), requested_by="t", requested_on=datetime.date(2026, 11, 1),
        requested_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc))
    monkeypatch.setattr(runs, "CHUNK", 5)

    def work(i):
        try:
            return runs.billing_run_execute(actor=f"system: worker {i}", run_id=run.pk)
        finally:
            connections.close_all()

    results = at_once(2, work)
    assert sorted(results) == ["done", "running"] or sorted(results) == ["done", "done"], results
    run.refresh_from_db()
    assert (run.state, run.created_count) == ("done", 20)
    assert Invoice.objects.count() == 20 and Invoice.objects.values("member_id").distinct().count() == 20
