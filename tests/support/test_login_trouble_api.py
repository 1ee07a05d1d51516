"""SUP-2, SUP-3 through API.md's Support endpoints: seed 000's showcase members (members/showcase.py) each run
``login-trouble`` to their outcome of the 対応方法チャート — the record answering what it knows, the caller only
what only they can say — and B's and F's actions change the live record through the same services as the admin
screens, as one act; a refused action is recorded with ok false."""

from __future__ import annotations

import pytest

from backoffice import clock
from backoffice.models import AuditEntry
from members import showcase
from members.models import APass, Member, Status
from support.models import Case, CaseAction

from .conftest import client_for, confirm_identity, create_case, start_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/support/cases/"

# outcome: (the caller's answers in order, the facts the record gives)
TABLE = {
    "A": ([], {"apass_linked": False, "status": "active"}),
    "B": ([("readmit", "yes")], {"apass_linked": False, "status": "withdrawn"}),
    "B_declined": ([("readmit", "no")], {"apass_linked": False, "status": "withdrawn"}),
    "C": ([("email_usable", "yes")], {"apass_linked": True, "reset_mail": "valid"}),
    "D": ([("email_usable", "no"), ("knows_password", "yes")], {"apass_linked": True}),
    "E": ([("email_usable", "no"), ("knows_password", "no")], {"apass_linked": True, "recovery_contact": True,
                                                               "reset_mail": "expired"}),
    "F": ([("email_usable", "no"), ("knows_password", "no")], {"apass_linked": True, "recovery_contact": False}),
}
SHOWCASE_OF = {"B_declined": "B"}


def start(api, member: Member) -> dict:
    return start_case(api, member)


def answer(api, case: dict, node: str, value: str) -> dict:
    response = api.post(f"{CASES}{case['id']}/answer/", {"node": node, "answer": value}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("outcome", list(TABLE))
def test_sup2_showcase_member_reaches_its_outcome(outcome, showcase_members, agent_api):
    member = showcase_members[SHOWCASE_OF.get(outcome, outcome)]
    answers, facts = TABLE[outcome]
    case = start(agent_api, member)
    assert case["flow"] == "login-trouble" and case["flow_version"] == 2
    assert case["identity"]["required"] is True and case["identity"]["confirmed"] is True
    values = {f["node"]: f["value"] for f in case["facts"]}
    for node, value in facts.items():
        if node in values:  # facts after a question are read once it is answered
            assert values[node] == value, node
    for node, value in answers:
        assert case["status"] == "open"
        assert case["current"]["node"] == node and case["current"]["kind"] == "question"
        assert case["current"]["options"] == [{"value": "yes", "label": "はい"}, {"value": "no", "label": "いいえ"}]
        case = answer(agent_api, case, node, value)
    assert case["status"] == "resolved"
    assert case["current"]["kind"] == "outcome" and case["current"]["node"] == outcome
    assert case["outcome"]["code"] == outcome
    assert case["outcome"]["section"]
    values = {f["node"]: f["value"] for f in case["facts"]}
    assert {n: values.get(n) for n in facts} == facts
    assert [(p["node"], p["answer"]) for p in case["path"] if p["source"] == "caller"] == answers
    assert all(f["evidence"] for f in case["facts"])


def test_sup2_evidence_reads_the_record(showcase_members, agent_api):
    c = start(agent_api, showcase_members["C"])
    facts = {f["node"]: f for f in c["facts"]}
    showcase_members["C"].refresh_from_db()
    linked = showcase_members["C"].apass_linked_at.astimezone(clock.society_timezone(showcase_members["C"].society))
    assert facts["apass_linked"]["evidence"] == f"鎖マークあり({linked:%Y-%m-%d} 統合)"
    assert "パスワード再設定メール" in facts["reset_mail"]["evidence"] and showcase_members["C"].email in facts["reset_mail"]["evidence"]
    d = start(agent_api, showcase_members["D"])
    sign_ins = {f["node"]: f for f in d["facts"]}["sign_ins"]
    assert "id_width_or_case" in sign_ins["value"] and "password_caps_lock" in sign_ins["value"]
    b = start(agent_api, showcase_members["B"])
    assert {f["node"]: f["value"] for f in b["facts"]}["sign_ins"] == "not_eligible"


def test_sup3_outcome_b_readmits_through_the_status_service(showcase_members, agent_api, sandbox):
    member = showcase_members["B"]
    case = answer(agent_api, start(agent_api, member), "readmit", "yes")
    assert [a["action"] for a in case["outcome"]["actions"]] == ["set_status_applying"]
    response = agent_api.post(f"{CASES}{case['id']}/actions/", {"action": "set_status_applying", "params": {}},
                              format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["actions_taken"][0]["ok"] is True
    today = clock.today(sandbox)
    assert member.status_on(today) == Status.APPLYING
    assert member.statuses.order_by("-effective_date").first().effective_date == today
    record = CaseAction.objects.get(case_id=case["id"])
    batch = list(AuditEntry.objects.filter(batch_id=record.batch_id).order_by("id").values_list("action", flat=True))
    assert batch == ["members.member.status_added", "support.case.action"]  # one act
    # the same action again is refused by MEM-5 (same day): answered 409 with the rule's code, recorded ok false
    again = agent_api.post(f"{CASES}{case['id']}/actions/", {"action": "set_status_applying"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "status_same_day"
    taken = agent_api.get(f"{CASES}{case['id']}/").json()["actions_taken"]
    assert [t["ok"] for t in taken] == [True, False]
    assert taken[1]["result"]["code"] == "status_same_day"
    assert member.statuses.count() == 4


def test_sup3_action_preview_changes_nothing(showcase_members, agent_api, agent):
    """The preview is the action's dry run: what the audit would record, and nothing stays."""
    from support import services

    member = showcase_members["B"]
    case = Case.objects.get(pk=answer(agent_api, start(agent_api, member), "readmit", "yes")["id"])
    entries = AuditEntry.objects.count()
    preview = services.case_action_preview(actor=agent, case=case, action="set_status_applying")
    assert preview.ok
    assert [c.action for c in preview.changes] == ["members.member.status_added", "support.case.action"]
    assert preview.changes[0].after["status"] == Status.APPLYING
    assert AuditEntry.objects.count() == entries and not CaseAction.objects.exists()
    assert member.status_on(clock.today(member.society)) == Status.WITHDRAWN
    refused = services.case_action_preview(actor=agent, case=case, action="unlink_apass",
                                           params={"new_email": "x@example.jp"})
    assert not refused.ok and refused.error.code == "action_not_offered"


def test_sup3_outcome_f_unlinks_with_the_new_email(showcase_members, agent_api):
    member = showcase_members["F"]
    case = start(agent_api, member)
    case = answer(agent_api, case, "email_usable", "no")
    case = answer(agent_api, case, "knows_password", "no")
    assert case["outcome"]["code"] == "F"
    url = f"{CASES}{case['id']}/actions/"
    missing = agent_api.post(url, {"action": "unlink_apass", "params": {}}, format="json")
    assert missing.status_code == 400 and "params.new_email" in missing.json()["fields"]
    taken = agent_api.post(url, {"action": "unlink_apass", "params": {"new_email": showcase.F_NEW_EMAIL}},
                           format="json")
    assert taken.status_code == 200, taken.content
    member.refresh_from_db()
    assert member.email == showcase.F_NEW_EMAIL and member.apass_id is None
    assert taken.json()["actions_taken"][-1]["result"]["email"] == showcase.F_NEW_EMAIL


def test_sup3_refused_unlink_is_recorded_with_ok_false(showcase_members, agent_api):
    """C's 「所属先での受信設定の変更が難しい」 branch offers the unlink; an address another member holds is refused
    (MEM-3, 409 email_in_use) and the case keeps the attempt."""
    member = showcase_members["C"]
    case = answer(agent_api, start(agent_api, member), "email_usable", "yes")
    taken = agent_api.post(f"{CASES}{case['id']}/actions/",
                           {"action": "unlink_apass", "params": {"new_email": showcase_members["A"].email}},
                           format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "email_in_use"
    record = CaseAction.objects.get(case_id=case["id"])
    assert record.ok is False and record.result["code"] == "email_in_use"
    member.refresh_from_db()
    assert member.apass_id is not None
    not_offered = agent_api.post(f"{CASES}{case['id']}/actions/", {"action": "set_status_applying"}, format="json")
    assert not_offered.status_code == 409 and not_offered.json()["code"] == "action_not_offered"


def test_sup7_back_keeps_superseded_answers_and_reopens(showcase_members, agent_api):
    case = start(agent_api, showcase_members["E"])
    case = answer(agent_api, case, "email_usable", "no")
    case = answer(agent_api, case, "knows_password", "no")
    assert case["status"] == "resolved" and case["outcome"]["code"] == "E"
    back = agent_api.post(f"{CASES}{case['id']}/back/", {"node": "email_usable"}, format="json")
    assert back.status_code == 200
    case = back.json()
    assert case["status"] == "open" and case["outcome"] is None
    assert case["current"]["node"] == "email_usable"
    caller = [(p["node"], p["answer"], p["superseded"]) for p in case["path"] if p["source"] == "caller"]
    assert caller == [("email_usable", "no", True), ("knows_password", "no", True)]
    assert "recovery_contact" not in {f["node"] for f in case["facts"]}
    case = answer(agent_api, case, "email_usable", "yes")
    assert case["outcome"]["code"] == "C"
    wrong = agent_api.post(f"{CASES}{case['id']}/answer/", {"node": "knows_password", "answer": "no"}, format="json")
    assert wrong.status_code == 409 and wrong.json()["code"] == "case_node_not_current"
    off_path = agent_api.post(f"{CASES}{case['id']}/back/", {"node": "readmit"}, format="json")
    assert off_path.status_code == 409 and off_path.json()["code"] == "case_node_not_on_path"


def test_sup2_bad_answer_and_unknown_flow_are_400(showcase_members, agent_api):
    case = start(agent_api, showcase_members["D"])
    bad = agent_api.post(f"{CASES}{case['id']}/answer/", {"node": "email_usable", "answer": "maybe"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "answer" in bad.json()["fields"]
    unknown = agent_api.post(CASES, {"flow": "no-such-flow"}, format="json")
    assert unknown.status_code == 400 and "flow" in unknown.json()["fields"]


def test_sup2_case_by_email_finds_the_member_or_opens_for_an_applicant(showcase_members, agent_api):
    by_email = create_case(agent_api, email=showcase_members["A"].email.upper())
    assert by_email["member"] == showcase_members["A"].pk and by_email["outcome"]["code"] == "A"
    applicant = agent_api.post(CASES, {"flow": "login-trouble", "email": "someone.new@example.jp"}, format="json")
    assert applicant.status_code == 201
    assert applicant.json()["member"] is None and applicant.json()["email"] == "someone.new@example.jp"


def test_apass_lookup_tells_the_id_never_the_password(showcase_members, agent_api):
    case = start_case(agent_api, showcase_members["E"], "apass-lookup")
    found = {f["node"]: f for f in case["facts"]}["apass_found"]
    assert found["value"] is True and showcase_members["E"].email in found["evidence"]
    case = answer(agent_api, case, "knows_password", "no")
    case = answer(agent_api, case, "email_usable", "yes")
    assert case["outcome"]["code"] == "self_reset"
    none = start_case(agent_api, showcase_members["A"], "apass-lookup")
    assert none["outcome"]["code"] == "not_registered"


def test_flows_list(agent_api):
    flows = agent_api.get("/api/v1/support/flows/").json()
    from support.flows import SHIPPED

    assert {(f["id"], f["version"]) for f in flows} == {(d["id"], d["version"]) for d in SHIPPED.values()}
    assert {"login-trouble", "apass-lookup", "operator-login"} <= {f["id"] for f in flows}
    assert all(f["title"] and f["source"]["seed"] for f in flows)


def test_soc2_another_society_sees_no_case_and_no_member(showcase_members, agent_api, other_api):
    case = start(agent_api, showcase_members["A"])
    assert other_api.get(f"{CASES}{case['id']}/").status_code == 404
    assert other_api.post(f"{CASES}{case['id']}/answer/", {"node": "x", "answer": "yes"}, format="json").status_code == 404
    response = other_api.post(CASES, {"flow": "login-trouble", "member": showcase_members["A"].pk}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert other_api.get(f"/api/v1/support/triage/?member={showcase_members['A'].pk}").status_code == 404


def test_viewer_reads_cases_but_cannot_act(showcase_members, agent_api, sandbox_viewer):
    case = answer(agent_api, start(agent_api, showcase_members["B"]), "readmit", "yes")
    viewer = client_for(sandbox_viewer)
    assert viewer.get(f"{CASES}{case['id']}/").status_code == 200
    for url, body in [(CASES, {"flow": "login-trouble", "member": showcase_members["A"].pk}),
                      (f"{CASES}{case['id']}/back/", {"node": "readmit"}),
                      (f"{CASES}{case['id']}/actions/", {"action": "set_status_applying"})]:
        response = viewer.post(url, body, format="json")
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert showcase_members["B"].status_on(clock.today(showcase_members["B"].society)) == Status.WITHDRAWN
    assert Case.objects.count() == 1


def test_case_queries_are_bounded(showcase_members, agent_api, django_assert_max_num_queries):
    """Creating a case, answering, reading it and the triage read a fixed number of rows whatever the society's
    size (each fact one query; bench/ measures the time at 100,000 members in the next slice)."""
    member = showcase_members["E"]
    start(agent_api, member)  # the first case of a flow publishes its shipped version (once)
    with django_assert_max_num_queries(15):
        case = create_case(agent_api, member)
    with django_assert_max_num_queries(15):
        answer(agent_api, case, "email_usable", "no")
    with django_assert_max_num_queries(4):
        agent_api.get(f"{CASES}{case['id']}/")
    with django_assert_max_num_queries(8):
        agent_api.get(f"/api/v1/support/triage/?member={member.pk}")


def test_sup8_triage_lists_what_the_record_shows(showcase_members, agent_api):
    codes = lambda m: {i["code"]: i for i in agent_api.get(f"/api/v1/support/triage/?member={m.pk}").json()}  # noqa: E731
    f = codes(showcase_members["F"])
    assert f["no_recovery_contact"]["flow"] == "login-trouble"
    assert "reset_mail_recent" in f
    d = codes(showcase_members["D"])
    assert {"sign_in_width_or_case", "sign_in_password_typo"} <= set(d)
    assert "not_eligible_sign_in" in codes(showcase_members["B"])
    assert "no_recovery_contact" not in codes(showcase_members["E"])
    bad = agent_api.get("/api/v1/support/triage/?member=abc")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
