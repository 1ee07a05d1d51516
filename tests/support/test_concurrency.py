"""SEC-4 for the support console, with real threads sending real HTTP requests to the live server, on SQLite (file
database: WAL, IMMEDIATE transactions, a busy timeout) and PostgreSQL — as tests/backoffice/test_concurrency.py:

- two agents answering one case at once (SUP-7): one answer is taken, the other is refused 409 with a code, the case
  holds one standing answer and one audit entry for it;
- two agents running an outcome's action on one case at once (SUP-3): the record changes once (one status entry,
  one unlink), the other is refused with the rule's code (recorded ok false) or ``database_busy``;
- two guided procedure runs on one invoice at once (SUP-4): exactly one correction, the other refused with a code,
  nothing half-done (every billing audit entry in the winner's batch)."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.authtoken.models import Token

from backoffice import clock
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Invoice, Payment
from billing.selectors import current_fiscal_year
from members import showcase
from members.factories import MemberFactory, OperatorFactory
from members.models import Member, Status
from support.models import Case, CaseAction, CaseStep
from tests.backoffice.test_concurrency import api_post, at_once

from .conftest import identity_of

pytestmark = pytest.mark.django_db(transaction=True)

CASES = "/api/v1/support/cases/"
BUSY = "database_busy"  # a lock held past the wait limit: nothing changed, send again


def agents(society, n: int = 2) -> list[str]:
    return [Token.objects.create(user=OperatorFactory(society=society, role="staff")).key for _ in range(n)]


def open_case(base: str, token: str, member, answers=()) -> dict:
    """A login-trouble case for ``member``, the identity confirmed at its gate (SUP-9), then ``answers``."""
    status, case = api_post(f"{base}{CASES}", token, {"flow": "login-trouble", "member": member.pk})
    assert status == 201, case
    status, case = api_post(f"{base}{CASES}{case['id']}/answer/", token,
                            {"node": "identity", "answer": identity_of(member)})
    assert status == 200, case
    for node, value in answers:
        status, case = api_post(f"{base}{CASES}{case['id']}/answer/", token, {"node": node, "answer": value})
        assert status == 200, case
    return case


def answered_entries(case_id: int, node: str) -> int:
    return sum(1 for e in AuditEntry.objects.filter(action="support.case.answered", target_id=str(case_id))
               if (e.after or {}).get("node") == node)


def test_sec4_sup7_two_agents_answering_one_case_at_once(live_server, sandbox, showcase_members):
    tokens = agents(sandbox)
    for round_, member in enumerate((showcase_members["F"], showcase_members["E"])):
        case = open_case(live_server.url, tokens[0], member)
        assert case["current"]["node"] == "email_usable"
        url = f"{live_server.url}{CASES}{case['id']}/answer/"
        given = ["yes", "no"]

        results = at_once(2, lambda i: api_post(url, tokens[i], {"node": "email_usable", "answer": given[i]}))

        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], results
        winner = next(i for i, (status, _) in enumerate(results) if status == 200)
        loser = results[1 - winner][1]
        assert loser["code"] in {"case_node_not_current", BUSY}, loser
        stored = Case.objects.get(pk=case["id"])
        standing = list(CaseStep.objects.filter(case=stored, node="email_usable", superseded=False))
        assert [s.answer for s in standing] == [given[winner]], round_
        assert CaseStep.objects.filter(case=stored, node="email_usable").count() == 1  # the loser wrote nothing
        assert stored.current_node == ("C" if given[winner] == "yes" else "knows_password")
        assert answered_entries(stored.pk, "email_usable") == 1


def test_sec4_sup3_two_agents_readmitting_at_once_change_the_record_once(live_server, sandbox, showcase_members):
    member = showcase_members["B"]
    tokens = agents(sandbox)
    case = open_case(live_server.url, tokens[0], member, [("readmit", "yes")])
    assert case["outcome"]["code"] == "B"
    url = f"{live_server.url}{CASES}{case['id']}/actions/"

    results = at_once(2, lambda i: api_post(url, tokens[i], {"action": "set_status_applying", "params": {}}))

    assert sorted(status for status, _ in results) == [200, 409], results
    loser = next(body for status, body in results if status == 409)
    assert loser["code"] in {"status_same_day", BUSY}, loser
    today = clock.today(sandbox)
    assert list(member.statuses.filter(effective_date=today).values_list("status", flat=True)) == [Status.APPLYING]
    assert AuditEntry.objects.for_object(member).filter(action="members.member.status_added").count() == 1
    actions = list(CaseAction.objects.filter(case_id=case["id"]).order_by("id"))
    assert [a.ok for a in actions] == ([True, False] if loser["code"] == "status_same_day" else [True])
    assert AuditEntry.objects.filter(action="support.case.action", target_id=str(case["id"])).count() == len(actions)
    # the facts read again once: one standing status reading, 申請中
    standing = list(CaseStep.objects.filter(case_id=case["id"], node="status", superseded=False))
    assert [s.answer for s in standing] == [Status.APPLYING]


def test_sec4_sup3_two_agents_unlinking_at_once_unlink_once(live_server, sandbox, showcase_members):
    member = showcase_members["F"]
    tokens = agents(sandbox)
    case = open_case(live_server.url, tokens[0], member, [("email_usable", "no"), ("knows_password", "no")])
    assert case["outcome"]["code"] == "F"
    url = f"{live_server.url}{CASES}{case['id']}/actions/"
    emails = [showcase.F_NEW_EMAIL, "makoto.other@example.ac.jp"]

    results = at_once(2, lambda i: api_post(url, tokens[i], {"action": "unlink_apass",
                                                             "params": {"new_email": emails[i]}}))

    assert sorted(status for status, _ in results) == [200, 409], results
    winner = next(i for i, (status, _) in enumerate(results) if status == 200)
    loser = results[1 - winner][1]
    assert loser["code"] in {"apass_not_linked", BUSY}, loser
    member = Member.objects.get(pk=member.pk)
    assert member.apass_id is None and member.email == emails[winner]
    assert AuditEntry.objects.for_object(member).filter(action__contains="unlink").count() == 1
    assert [a.ok for a in CaseAction.objects.filter(case_id=case["id"]).order_by("id")] == (
        [True, False] if loser["code"] == "apass_not_linked" else [True])


def test_sec4_sup4_two_procedure_runs_on_one_invoice_at_once(live_server, society, regular_type):
    """rebill_next_year after payment (①入金履歴削除 → ②請求取消 → ③次年度の請求作成 → ④入金情報登録), twice at once."""
    member = MemberFactory(society=society, member_type=regular_type, name="山田 太郎", email="yamada@example.ac.jp")
    fy = current_fiscal_year(society)
    old = InvoiceFactory(member=member, fiscal_year=fy, amount=10_000)
    paid = PaymentFactory(invoice=old, amount=10_000, method="bank_transfer",
                          paid_on=clock.today(society) - datetime.timedelta(days=3))
    tokens = agents(society)
    entries_before = set(AuditEntry.objects.values_list("pk", flat=True))
    url = f"{live_server.url}/api/v1/support/procedures/run/"

    results = at_once(2, lambda i: api_post(url, tokens[i], {"procedure": "rebill_next_year",
                                                             "params": {"invoice": old.pk}}))

    assert sorted(status for status, _ in results) == [200, 409], results
    done = next(body for status, body in results if status == 200)
    refused = next(body for status, body in results if status == 409)
    assert refused["code"] in {"procedure_not_applicable", "invoice_cancelled", BUSY}, refused
    assert [s["label"] for s in done["steps"]] == ["①入金履歴削除", "②請求取消", "③次年度の請求作成", "④入金情報登録"]
    # exactly one correction: the old invoice cancelled, its payment deleted, one next-year invoice paid once
    assert Invoice.objects.get(pk=old.pk).cancelled_at is not None
    assert Payment.objects.get(pk=paid.pk).deleted_at is not None
    (new,) = Invoice.objects.filter(member=member, fiscal_year=fy + 1)
    assert [p.amount for p in Payment.objects.live().filter(invoice=new)] == [10_000]
    assert Invoice.objects.filter(member=member).count() == 2 and Payment.objects.count() == 2
    # nothing half-done: every entry the runs left is the winner's batch
    new_entries = AuditEntry.objects.exclude(pk__in=entries_before)
    assert new_entries.exists()
    assert {str(e.batch_id) for e in new_entries} == {done["batch"]}
