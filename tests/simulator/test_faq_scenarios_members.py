"""SIM-3 for seed 003's member flows (support/flows/faq_members.py): シナリオ一覧 names a scenario member — or an
applicant's address, for someone not yet a member — for every outcome that depends on the record, and from that
record each named outcome is reached (the facts read from the live scenario, the caller's answers tried); every
record-dependent outcome of the flows is named by some row; the case starts from the row's button."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.factories import OperatorFactory, SocietyFactory
from simulator import faq_scenarios_members, scenarios
from support import engine, registry
from support.context import CaseContext
from support.flows import SHIPPED, faq_members

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(db):
    sandbox = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    trainer = OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")
    scenarios.scenarios_reset(actor=trainer, society=sandbox)
    return sandbox, trainer


def reachable(definition: dict, ctx: CaseContext) -> set[str]:
    """The outcomes a case on ``ctx``'s record can end at: the facts read from the record, every caller answer."""
    found, pending = set(), [{}]
    cache: dict[str, engine.FactValue] = {}

    def read(name):
        if name not in cache:
            cache[name] = registry.FACTS[name](ctx)
        return cache[name]

    while pending:
        answers = pending.pop()
        walk = engine.walk(definition, answers=answers, read_fact=read)
        if walk.outcome:
            found.add(definition["nodes"][walk.outcome]["code"])
            continue
        for value in engine.option_values(definition["nodes"][walk.current]):
            pending.append({**answers, walk.current: value})
    return found


def test_sim3_every_faq_row_reaches_the_outcomes_it_names(built):
    sandbox, trainer = built
    from support.flows import faq_members

    mine = {flow["id"] for flow in faq_members.FLOWS}  # the billing half lists its own rows
    rows = [r for r in scenarios.scenario_list(sandbox) if r.flow in mine and r.alias
            and not r.key.startswith("triage_")]
    assert len(rows) == len(faq_scenarios_members.ROWS)
    for row in rows:
        assert row.member is not None or row.email, row.label
        ctx = CaseContext(society=sandbox, actor=trainer, member=row.member, email=row.email)
        named = set(row.label.split()[-1].split("・"))
        found = reachable(SHIPPED[row.flow], ctx)
        assert named <= found, (row.label, found)


def record_dependent(definition: dict) -> set[str]:
    """Outcomes behind a fact (a flow of one outcome, or an outcome only questions lead to, needs no scenario)."""
    nodes = definition["nodes"]
    if len([n for n in nodes.values() if n["kind"] == engine.OUTCOME]) == 1:
        return set()
    return {s["code"] for s in nodes.values() if s["kind"] == engine.OUTCOME}


def test_sim3_every_record_dependent_outcome_of_the_faq_member_flows_has_a_scenario():
    named: dict[str, set[str]] = {}
    for flow, label, _shows, _key in faq_scenarios_members.ROWS:
        named.setdefault(flow, set()).update(label.split()[-1].split("・"))
    # the failed sends (MAIL-3) need a failing mail backend; the member-number queue is the whole society's
    not_built = {"faq-application-email-in-use": set(), "faq-verification-mail-missing": {"send_failed"},
                 "faq-reset-mail-missing": {"send_failed"}, "faq-member-number": {"nobody_pending"}}
    for flow in faq_members.FLOWS:
        wanted = record_dependent(flow) - not_built.get(flow["id"], set())
        assert wanted <= named.get(flow["id"], set()), (flow["id"], wanted - named.get(flow["id"], set()))


def test_sim3_an_applicants_row_starts_its_case_by_the_address(built, client):
    sandbox, trainer = built
    client.force_login(trainer)
    page = client.get(reverse("sim-scenarios")).content.decode()
    email = faq_scenarios_members.APPLICANT_EMAILS["faq_applicant_pending"]
    assert f'<input type="hidden" name="email" value="{email}">' in page
    response = client.post(reverse("support-page-start"), {"email": email, "flow": "faq-proxy-email-in-use"})
    assert response.status_code == 302
    case = client.get(response["Location"]).content.decode()
    assert 'data-code="wait_or_open"' in case and "[個人会員送信済みメール]" in case
