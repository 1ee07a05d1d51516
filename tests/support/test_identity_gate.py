"""SUP-9 for ``login-trouble`` (v2): API.md fixes its node ids and ``current.kind: question|outcome``, so its identity
check is a gate beside the walk (``"identity": "gate"``, support/engine.py). The walk is v1's node for node; the
case carries ``identity: {required, confirmed}``; the check is given through the same answer endpoint and the same
``identity_refusal`` as apass-lookup's; before it an action answers 409 ``identity_not_confirmed`` and the console
hides what to tell the caller, the e-mail, and disables the actions. v1 stays published for the cases on it (SUP-7)."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from backoffice import clock
from backoffice.models import AuditEntry
from members.models import Member, Status
from support import engine, identity, registry, services
from support.flows import SHIPPED, login_trouble
from support.models import Case, CaseAction, FlowVersion

from .conftest import CASES, client_for, confirm_identity, create_case, identity_of

pytestmark = pytest.mark.django_db

GATE_KEYS = {"discloses", "identity", "identity_label", "identity_text", "version"}


def answer(api, case: dict, node: str, value) -> dict:
    response = api.post(f"{CASES}{case['id']}/answer/", {"node": node, "answer": value}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_sup9_login_trouble_v2_is_v1s_walk_with_a_gate():
    v1, v2 = login_trouble.V1, SHIPPED["login-trouble"]
    assert (v1["version"], v2["version"]) == (1, 2)
    assert {k: v for k, v in v2.items() if k not in GATE_KEYS} == {k: v for k, v in v1.items() if k != "version"}
    assert engine.gated(v2) and not engine.gated(v1) and engine.identity_node(v1) is None
    assert engine.identity_node(v2) == engine.GATE_NODE and engine.GATE_NODE not in v2["nodes"]
    assert engine.check(v2, facts=registry.FACTS, actions=registry.ACTIONS) == []
    # seed 000 resolves every branch at the secretariat or by the member's own steps: nothing escalates
    assert [n for n, s in v2["nodes"].items() if s.get("escalates")] == []


def test_sup9_engine_check_of_a_gate_and_of_escalates():
    v2 = SHIPPED["login-trouble"]
    no_text = {k: v for k, v in v2.items() if k != "identity_text"}
    assert "an identity gate needs identity_text" in engine.check(no_text)
    clash = copy.deepcopy(v2)
    clash["nodes"]["identity"] = {"kind": "outcome", "code": "X", "text": "x", "section": "x"}
    assert any("has no node 'identity'" in p for p in engine.check(clash))
    not_disclosing = {**v2, "discloses": False}
    assert "an identity gate is for a flow that discloses" in engine.check(not_disclosing)
    assert "identity is 'gate' or absent" in engine.check({**v2, "identity": "later"})
    escalating = copy.deepcopy(v2)
    escalating["nodes"]["D"]["escalates"] = True
    assert engine.check(escalating) == []
    escalating["nodes"]["D"]["escalates"] = "yes"
    assert "D: escalates is true or false" in engine.check(escalating)


def test_sup9_gate_keeps_current_and_outcome_as_api_md_writes_them(showcase_members, agent_api):
    c = create_case(agent_api, showcase_members["C"])
    assert c["current"]["node"] == "email_usable" and c["current"]["kind"] == "question"
    assert {f["node"] for f in c["facts"]} == {"sign_ins", "apass_linked", "reset_mail"}
    assert c["identity"]["required"] is True and c["identity"]["confirmed"] is False
    assert c["identity"]["node"] == "identity"
    assert [o["value"] for o in c["identity"]["options"]] == ["phone", "postal_code", "affiliation"]
    a = create_case(agent_api, showcase_members["A"])
    assert a["status"] == "resolved" and a["current"]["kind"] == "outcome"
    assert a["outcome"]["code"] == "A" and a["outcome"]["text"] == SHIPPED["login-trouble"]["nodes"]["A"]["text"]
    assert a["identity"]["confirmed"] is False


def test_sup9_an_action_before_the_check_is_409_and_runs_nothing(showcase_members, agent_api, sandbox):
    member = showcase_members["B"]
    case = answer(agent_api, create_case(agent_api, member), "readmit", "yes")
    assert case["outcome"]["code"] == "B"
    url = f"{CASES}{case['id']}/actions/"
    refused = agent_api.post(url, {"action": "set_status_applying", "params": {}}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "identity_not_confirmed"
    assert member.status_on(clock.today(sandbox)) == Status.WITHDRAWN
    assert not CaseAction.objects.exists()
    assert not AuditEntry.objects.filter(action="members.member.status_added", target_id=str(member.pk)).exists()
    # the check through the same answer endpoint and identity_refusal: the case stays at its outcome
    confirmed = confirm_identity(agent_api, case, member)
    assert confirmed["identity"] == {**confirmed["identity"], "required": True, "confirmed": True, "item": "phone"}
    assert (confirmed["current"], confirmed["outcome"], confirmed["status"]) == (
        case["current"], case["outcome"], case["status"])
    assert [p["node"] for p in confirmed["path"]] == [p["node"] for p in case["path"]]  # the gate is not a node
    entry = AuditEntry.objects.filter(action="support.case.answered").latest("id")
    assert entry.after["identity"] == {"confirmed": True, "item": "phone"}
    assert f"email: {member.email}" in entry.after["disclosed"] and "outcome: B" in entry.after["disclosed"]
    assert any(d.startswith("status:") for d in entry.after["disclosed"])
    assert member.phone not in str(entry.after)
    done = agent_api.post(url, {"action": "set_status_applying", "params": {}}, format="json")
    assert done.status_code == 200, done.content
    assert member.status_on(clock.today(sandbox)) == Status.APPLYING


def test_sup9_answers_before_the_check_disclose_nothing_in_the_audit(showcase_members, agent_api):
    member = showcase_members["F"]
    case = answer(agent_api, create_case(agent_api, member), "email_usable", "no")
    entry = AuditEntry.objects.filter(action="support.case.answered").latest("id")
    assert entry.after["identity"] is None and entry.after["disclosed"] == []
    case = confirm_identity(agent_api, case, member)
    case = answer(agent_api, case, "knows_password", "no")
    entry = AuditEntry.objects.filter(action="support.case.answered").latest("id")
    assert entry.after["identity"]["item"] == "phone"
    assert "outcome: F" in entry.after["disclosed"] and any(d.startswith("recovery_contact:")
                                                           for d in entry.after["disclosed"])


@pytest.mark.parametrize("given, status, code", [
    ({"name": "別人 太郎"}, 409, "identity_not_confirmed"),
    ({"value": "03-0000-0000"}, 409, "identity_not_confirmed"),
    ({"item": "member_number"}, 400, "invalid"),
])
def test_sup9_a_wrong_identity_at_the_gate_changes_nothing(given, status, code, showcase_members, agent_api):
    member = showcase_members["C"]
    case = create_case(agent_api, member)
    response = agent_api.post(f"{CASES}{case['id']}/answer/",
                              {"node": "identity", "answer": {**identity_of(member), **given}}, format="json")
    assert response.status_code == status and response.json()["code"] == code
    after = agent_api.get(f"{CASES}{case['id']}/").json()
    assert after["identity"]["confirmed"] is False
    assert {k: after[k] for k in ("current", "facts", "path", "outcome", "status")} == {
        k: case[k] for k in ("current", "facts", "path", "outcome", "status")}
    assert not AuditEntry.objects.filter(action="support.case.answered").exists()


def test_sup9_the_gate_is_answered_once_and_stepping_back_keeps_it(showcase_members, agent_api):
    member = showcase_members["F"]
    case = confirm_identity(agent_api, create_case(agent_api, member), member)
    again = agent_api.post(f"{CASES}{case['id']}/answer/", {"node": "identity", "answer": identity_of(member)},
                           format="json")
    assert again.status_code == 409 and again.json()["code"] == "case_node_not_current"
    case = answer(agent_api, case, "email_usable", "no")
    case = answer(agent_api, case, "knows_password", "no")
    assert case["outcome"]["code"] == "F"
    back = agent_api.post(f"{CASES}{case['id']}/back/", {"node": "email_usable"}, format="json").json()
    assert back["current"]["node"] == "email_usable" and back["identity"]["confirmed"] is True
    off = agent_api.post(f"{CASES}{case['id']}/back/", {"node": "identity"}, format="json")
    assert off.status_code == 409 and off.json()["code"] == "case_node_not_on_path"
    case = answer(agent_api, back, "email_usable", "no")
    case = answer(agent_api, case, "knows_password", "no")
    assert case["outcome"]["code"] == "F" and case["identity"]["confirmed"] is True


def test_sup7_a_case_started_on_v1_stays_on_v1_when_v2_is_published(showcase_members, agent_api, monkeypatch,
                                                                    sandbox):
    """A deployment on v1 had cases running; v2 (with the gate) is published: the running case still reads v1 —
    no identity asked, its action runs — and a new case starts on v2, whose action waits for the check."""
    member = showcase_members["B"]
    monkeypatch.setitem(SHIPPED, "login-trouble", login_trouble.V1)
    old = answer(agent_api, create_case(agent_api, member), "readmit", "yes")
    assert old["flow_version"] == 1 and old["identity"] == {"required": False, "confirmed": False}
    monkeypatch.setitem(SHIPPED, "login-trouble", login_trouble.FLOW)
    new = answer(agent_api, create_case(agent_api, member), "readmit", "yes")
    assert new["flow_version"] == 2 and new["identity"]["required"] is True
    v1 = FlowVersion.objects.get(flow="login-trouble", version=1)
    assert v1.content_hash == engine.content_hash(login_trouble.V1) and "identity" not in v1.definition
    assert Case.objects.get(pk=old["id"]).flow_version_id == v1.pk
    refused = agent_api.post(f"{CASES}{new['id']}/actions/", {"action": "set_status_applying"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "identity_not_confirmed"
    done = agent_api.post(f"{CASES}{old['id']}/actions/", {"action": "set_status_applying"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["flow_version"] == 1
    assert member.status_on(clock.today(sandbox)) == Status.APPLYING


# --- the case page ----------------------------------------------------------------------------------------


def page_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def gate_case(agent, member) -> Case:
    member = Member.objects.select_related("society", "apass").get(pk=member.pk)
    return services.case_create(actor=agent, society=member.society, flow="login-trouble", member=member)


def section(html: str, element_id: str) -> str:
    return html.split(f'id="{element_id}"')[1].split("</section>")[0]


def test_sup9_case_page_before_the_check_hides_what_to_tell_and_disables_the_actions(agent, showcase_members):
    member = showcase_members["B"]
    case = gate_case(agent, member)
    services.case_answer(actor=agent, case=case, node="readmit", answer="yes")
    client = page_client(agent)
    html = client.get(f"/admin/support/cases/{case.pk}/").content.decode()
    gate = section(html, "case-identity")
    assert 'id="identity-form"' in gate and 'name="node" value="identity"' in gate and "本人確認" in gate
    outcome = section(html, "case-outcome")
    assert 'id="tell-caller"' not in outcome and SHIPPED["login-trouble"]["nodes"]["B"]["text"][:30] not in html
    assert "問い合わせ者へ伝える内容は、本人確認の後に表示されます。" in outcome
    assert 'id="action-set_status_applying" disabled' in outcome and "本人確認の後に実行できます" in outcome
    assert "identity_not_confirmed" in outcome and "support-page-action-preview" not in outcome
    assert member.email not in html and "（本人確認の後に表示）" in section(html, "case-member")
    # through the page's form: the same check, then everything shows and the action is offered
    response = client.post(f"/admin/support/cases/{case.pk}/answer/",
                           {"node": "identity", **identity_of(member)}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="case-identity"' not in html and 'id="tell-caller"' in html and member.email in html
    assert f'action="/admin/support/cases/{case.pk}/actions/preview/"' in html and " disabled" not in section(
        html, "case-outcome")
    assert "確認済み（電話番号）" in section(html, "case-path")
    assert "ここからやり直す" in section(html, "case-path").split("確認済み")[0]  # readmit: yes can be taken back
    assert section(html, "case-path").count("ここからやり直す") == 1  # the check itself cannot


def test_sup9_case_page_a_wrong_identity_at_the_gate_is_shown(agent, showcase_members):
    member = showcase_members["C"]
    case = gate_case(agent, member)
    html = page_client(agent).post(f"/admin/support/cases/{case.pk}/answer/",
                                   {"node": "identity", **identity_of(member), "value": "03-0000-0000"},
                                   HTTP_HX_REQUEST="true").content.decode()
    assert "identity_not_confirmed" in html and 'id="case-identity"' in html
    assert 'id="answer-form"' in html  # non-blocking: the question is still asked
    assert member.email not in html


def test_sup9_a_viewer_sees_the_gate_without_the_form(agent, sandbox_viewer, showcase_members):
    case = gate_case(agent, showcase_members["C"])
    html = page_client(sandbox_viewer).get(f"/admin/support/cases/{case.pk}/").content.decode()
    assert 'id="case-identity"' in html and 'id="identity-form"' not in html
    viewer = client_for(sandbox_viewer)
    response = viewer.post(f"{CASES}{case.pk}/answer/", {"node": "identity",
                                                          "answer": identity_of(showcase_members["C"])}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("recovery_contact", ["", "090-1234-5678"])
def test_sup9_a_caller_without_a_member_record_is_checked_only_against_what_the_record_holds(agent, sandbox,
                                                                                          recovery_contact):
    """No member record, only an A-Pass: the password-reset contact is the one item to check; with none, the page
    says the identity cannot be confirmed here (no form whose item list is empty) and nothing can be disclosed."""
    from members.models import APass

    APass.objects.create(email="nomember@example.ac.jp", password="!", recovery_contact=recovery_contact)
    case = services.case_create(actor=agent, society=sandbox, flow="login-trouble", email="nomember@example.ac.jp")
    html = page_client(agent).get(f"/admin/support/cases/{case.pk}/").content.decode()
    gate = section(html, "case-identity")
    if recovery_contact:
        assert 'id="identity-form"' in gate and '<option value="recovery_contact">' in gate
        assert 'id="identity-none"' not in gate
        services.case_answer(actor=agent, case=case, node="identity",
                             answer={"name": "", "item": "recovery_contact", "value": "09012345678"})
        assert identity.case_disclose_refusal(Case.objects.get(pk=case.pk)) is None
    else:
        assert 'id="identity-form"' not in gate and 'id="identity-none"' in gate
        assert "記録の内容は伝えず、登録したメールアドレスからお問い合わせいただくようご案内してください。" in gate
        assert identity.case_disclose_refusal(case).code == "identity_not_confirmed"
