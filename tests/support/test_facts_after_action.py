"""SUP-3: an action changes the record, so the case reads its facts again afterwards — the status fact of B reads
申請中 after set_status_applying, F's chain mark is gone after the unlink — each new reading superseding the old one
(kept in ``path``, marked on the page), while the path taken and the outcome stay as they were."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from backoffice.models import AuditEntry
from members import showcase

from .conftest import CASES, start_case

pytestmark = pytest.mark.django_db


def post(api, case: dict, tail: str, body: dict):
    return api.post(f"{CASES}{case['id']}/{tail}/", body, format="json")


def test_sup3_after_set_status_applying_the_status_fact_reads_applying(showcase_members, agent_api):
    case = post(agent_api, start_case(agent_api, showcase_members["B"]), "answer",
                {"node": "readmit", "answer": "yes"}).json()
    before = {f["node"]: f for f in case["facts"]}
    assert before["status"]["value"] == "withdrawn" and before["status"]["previous"] is None
    response = post(agent_api, case, "actions", {"action": "set_status_applying", "params": {}})
    assert response.status_code == 200, response.content
    after = response.json()
    facts = {f["node"]: f for f in after["facts"]}
    assert facts["status"]["value"] == "applying" and "申請中" in facts["status"]["evidence"]
    assert facts["status"]["previous"] == {"value": "withdrawn", "evidence": before["status"]["evidence"]}
    assert facts["apass_linked"]["previous"] is None  # unchanged facts are not marked
    assert after["actions_taken"][0]["result"]["facts_changed"] == ["status"]
    # the path keeps the reading the outcome was reached on (superseded) and the new one; outcome unchanged
    status_steps = [(p["answer"], p["superseded"]) for p in after["path"] if p["node"] == "status"]
    assert status_steps == [("withdrawn", True), ("applying", False)]
    assert after["outcome"]["code"] == "B" and after["current"]["node"] == "B" and after["status"] == "resolved"
    entry = AuditEntry.objects.filter(action="support.case.action").latest("id")
    assert entry.after["facts_changed"] == ["status"]
    assert agent_api.get(f"{CASES}{case['id']}/").json()["facts"] == after["facts"]


def test_sup3_after_the_unlink_the_chain_mark_fact_reads_no_chain_mark(showcase_members, agent_api):
    case = start_case(agent_api, showcase_members["F"])
    for node in ("email_usable", "knows_password"):
        case = post(agent_api, case, "answer", {"node": node, "answer": "no"}).json()
    assert case["outcome"]["code"] == "F"
    after = post(agent_api, case, "actions", {"action": "unlink_apass",
                                              "params": {"new_email": showcase.F_NEW_EMAIL}}).json()
    facts = {f["node"]: f for f in after["facts"]}
    assert facts["apass_linked"]["value"] is False and facts["apass_linked"]["previous"]["value"] is True
    assert "鎖マークなし" in facts["apass_linked"]["evidence"]
    assert "apass_linked" in after["actions_taken"][-1]["result"]["facts_changed"]
    assert after["outcome"]["code"] == "F"


def test_sup3_a_refused_action_reads_nothing_again(showcase_members, agent_api):
    case = post(agent_api, start_case(agent_api, showcase_members["C"]), "answer",
                {"node": "email_usable", "answer": "yes"}).json()
    refused = post(agent_api, case, "actions", {"action": "unlink_apass",
                                                "params": {"new_email": showcase_members["A"].email}})
    assert refused.status_code == 409 and refused.json()["code"] == "email_in_use"
    again = agent_api.get(f"{CASES}{case['id']}/").json()
    assert again["facts"] == case["facts"] and again["path"] == case["path"]


def test_sup3_the_case_page_marks_the_facts_read_again_after_the_action(showcase_members, agent):
    client = Client()
    client.force_login(agent)
    member = showcase_members["B"]
    from support import services
    from support.models import Case

    from .conftest import confirm_identity_service

    case = services.case_create(actor=agent, society=member.society, flow="login-trouble", member=member)
    confirm_identity_service(agent, case)
    services.case_answer(actor=agent, case=Case.objects.get(pk=case.pk), node="readmit", answer="yes")
    html = client.post(f"/admin/support/cases/{case.pk}/actions/run/", {"action": "set_status_applying"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "操作の後に記録を読み直しました。変化した項目: 会員状況" in html
    row = re.search(r'<tr class="fact changed" data-node="status">(.*?)</tr>', html, re.S)
    assert row is not None and "申請中" in row.group(1) and "前回から変化" in row.group(1) and "退会" in row.group(1)
    assert 'data-node="apass_linked"' in html and '<tr class="fact changed" data-node="apass_linked">' not in html
    # the chart still lights the path the outcome was reached on: status → readmit → B
    for source, target in (("status", "readmit"), ("readmit", "B")):
        assert re.search(rf'class="chart-edge on-path"[^>]*data-source="{source}" data-target="{target}"', html), (
            source, target)


def test_sup3_facts_read_again_keep_the_walks_order(showcase_members, agent_api):
    case = start_case(agent_api, showcase_members["F"])
    for node in ("email_usable", "knows_password"):
        case = post(agent_api, case, "answer", {"node": node, "answer": "no"}).json()
    order = [f["node"] for f in case["facts"]]
    assert order == ["sign_ins", "apass_linked", "reset_mail", "recovery_contact"]
    after = post(agent_api, case, "actions", {"action": "unlink_apass",
                                              "params": {"new_email": showcase.F_NEW_EMAIL}}).json()
    assert after["actions_taken"][-1]["result"]["facts_changed"][0] in order
    assert [f["node"] for f in after["facts"]] == order
