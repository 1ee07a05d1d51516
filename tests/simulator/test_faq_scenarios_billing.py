"""SIM-3 for seed 003's 請求・入金 flows: after [シナリオ再作成], シナリオ一覧 names a member for every outcome of the
billing flows that depends on the record, and a case started for that member (with the caller's answers the row
names) reaches exactly that outcome; a second reset leaves one set of them and none of their billing runs."""

from __future__ import annotations

import pytest

from billing.models import BillingRun
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from simulator import faq_scenarios_billing, scenarios
from support import services
from support.flows import faq_billing

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(db):
    society = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)
    MemberTypeFactory(society=society, code="honorary", name="名誉会員", annual_fee=0)
    trainer = OperatorFactory(society=society, role="trainer", email="trainer@training.example.jp")
    scenarios.scenarios_reset(actor=trainer, society=society)
    return society, trainer


def test_sim3_every_record_dependent_billing_outcome_has_a_scenario_member_that_reaches_it(built):
    society, _trainer = built
    agent = OperatorFactory(society=society, role="staff", email="agent@training.example.jp")
    rows = {r.key: r for r in scenarios.scenario_list(society)}
    reached = {}
    for flow, outcome, _key, answers in faq_scenarios_billing.ROWS:
        row = rows[f"{flow}_{outcome}"]
        assert row.member is not None and row.flow == flow and row.alias
        case = services.case_create(actor=agent, society=society, flow=flow, member=row.member)
        for node, value in answers:
            case = services.case_answer(actor=agent, case=case, node=node, answer=value)
        reached[(flow, outcome)] = case.outcome
    assert {k: v for k, v in reached.items() if k[1] != v} == {}
    # every flow of the half has at least one scenario row
    assert {f for f, *_rest in faq_scenarios_billing.ROWS} >= {f["id"] for f in faq_billing.FLOWS} - {
        "faq-unpaid-last-year", "faq-unpaid-multi-year", "faq-paid-multi-year", "faq-pay-by-affiliation"}


def test_sim3_a_second_reset_leaves_one_set_and_no_stale_scenario_runs(built):
    society, trainer = built
    runs = BillingRun.objects.filter(society=society).count()
    scenarios.scenarios_reset(actor=trainer, society=society)
    assert BillingRun.objects.filter(society=society).count() == runs
    keys = {s.key for s in faq_scenarios_billing._scenarios()} | {f"{f}_{o}" for f, o, *_r in faq_scenarios_billing.ROWS}
    mine = [r for r in scenarios.scenario_list(society) if r.key in keys]
    assert len(mine) == len(keys) and all(r.member is not None for r in mine)


def test_sim3_billing_triage_rows_start_the_flow_their_triage_item_names(built):
    from rest_framework.test import APIClient

    society, _trainer = built
    api = APIClient()
    api.force_authenticate(OperatorFactory(society=society, role="staff"))
    rows = {r.key: r for r in scenarios.scenario_list(society)}
    for code, flow in faq_scenarios_billing.TRIAGE_FLOWS.items():
        row = rows[f"triage_{code}"]
        assert row.flow == flow
        items = {i["code"]: i for i in api.get(f"/api/v1/support/triage/?member={row.member.pk}").json()}
        assert items[code]["flow"] == flow
