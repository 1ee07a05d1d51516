"""SUP-9: a flow that tells the caller anything from the record (``discloses: true``) starts with an identity
check — the name and one more item the record holds. Before it passes the case shows nothing the record says;
a wrong identity leaves the case where it is; the check is audited with what was disclosed after it."""

from __future__ import annotations

import copy

import pytest

from backoffice.models import AuditEntry
from support import engine, registry
from support.flows import SHIPPED

from .conftest import CASES, confirm_identity, create_case, identity_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("flow", sorted(f for f, d in SHIPPED.items() if d.get("discloses")))
def test_sup9_every_shipped_flow_that_discloses_checks_the_identity(flow):
    """At its start node (apass-lookup), or as a gate beside the walk (login-trouble v2, whose node ids API.md
    fixes); a flow that discloses with neither is refused by the engine's check."""
    definition = SHIPPED[flow]
    broken = copy.deepcopy(definition)
    if engine.gated(definition):
        assert engine.identity_node(definition) == engine.GATE_NODE not in definition["nodes"]
        assert definition["identity_text"]
        del broken["identity"]
    else:
        assert definition["nodes"][definition["start"]]["kind"] == engine.IDENTITY
        broken["start"] = broken["nodes"]["identity"]["next"]
    assert "a flow that discloses starts with an identity check" in engine.check(broken)


def test_sup9_nothing_from_the_record_before_the_check(showcase_members, agent_api):
    member = showcase_members["E"]
    case = create_case(agent_api, member, "apass-lookup")
    assert case["status"] == "open" and case["facts"] == [] and case["outcome"] is None
    assert case["current"]["kind"] == "identity"
    # the options are the items this record holds (the showcase members have no member number yet)
    assert [o["value"] for o in case["current"]["options"]] == ["phone", "postal_code", "affiliation"]
    assert [p["node"] for p in case["path"]] == []
    again = agent_api.get(f"{CASES}{case['id']}/").json()
    assert again["facts"] == [] and "A-Pass" not in str(again)


@pytest.mark.parametrize("answer, status, code", [
    ({"name": "別人 太郎", "item": "phone"}, 409, "identity_not_confirmed"),  # the name does not match
    ({"item": "phone", "value": "03-0000-0000"}, 409, "identity_not_confirmed"),  # the phone does not match
    ({"item": "member_number", "value": "000001"}, 400, "invalid"),  # the record holds no member number
    ("yes", 400, "invalid"),
])
def test_sup9_a_wrong_identity_leaves_the_case_at_the_check(answer, status, code, showcase_members, agent_api):
    member = showcase_members["E"]
    case = create_case(agent_api, member, "apass-lookup")
    given = answer if isinstance(answer, str) else {**identity_of(member), **answer}
    response = agent_api.post(f"{CASES}{case['id']}/answer/", {"node": "identity", "answer": given}, format="json")
    assert response.status_code == status and response.json()["code"] == code
    after = agent_api.get(f"{CASES}{case['id']}/").json()
    assert after["current"]["node"] == "identity" and after["facts"] == [] and after["path"] == []


def test_sup9_width_and_spaces_do_not_matter(showcase_members, agent_api):
    member = showcase_members["E"]
    case = create_case(agent_api, member, "apass-lookup")
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in member.phone.replace("-", ""))
    response = agent_api.post(f"{CASES}{case['id']}/answer/", {"node": "identity", "answer": {
        "name": member.name.replace(" ", "\u3000"), "item": "phone", "value": full_width}}, format="json")
    assert response.status_code == 200, response.content


def test_sup9_after_the_check_discloses_and_audits_it(showcase_members, agent_api):
    member = showcase_members["E"]
    case = confirm_identity(agent_api, create_case(agent_api, member, "apass-lookup"), member)
    found = {f["node"]: f for f in case["facts"]}["apass_found"]
    assert member.email in found["evidence"]
    assert case["path"][0] == {**case["path"][0], "node": "identity", "source": "caller",
                               "answer": {"confirmed": True, "item": "phone"}}
    entry = AuditEntry.objects.filter(action="support.case.answered").latest("id")
    assert entry.after["identity"] == {"confirmed": True, "item": "phone"}
    assert any(d.startswith("apass_found:") and member.email in d for d in entry.after["disclosed"])
    assert member.phone not in str(entry.after)  # the value the caller gave is not kept
    # the answers that follow name what they disclose too, under the same check
    case = agent_api.post(f"{CASES}{case['id']}/answer/", {"node": "knows_password", "answer": "yes"},
                          format="json").json()
    assert case["outcome"]["code"] == "retry_login"
    entry = AuditEntry.objects.filter(action="support.case.answered").latest("id")
    assert entry.after["identity"]["item"] == "phone" and entry.after["disclosed"] == ["outcome: retry_login"]


def test_sup9_stepping_back_to_the_check_hides_the_record_again(showcase_members, agent_api):
    member = showcase_members["F"]
    case = confirm_identity(agent_api, create_case(agent_api, member, "apass-lookup"), member)
    assert case["facts"]
    back = agent_api.post(f"{CASES}{case['id']}/back/", {"node": "identity"}, format="json").json()
    assert back["current"]["kind"] == "identity" and back["facts"] == [] and back["outcome"] is None
    assert all(p["source"] == "caller" for p in back["path"])


def test_sup9_apass_lookup_starts_with_the_check_and_login_trouble_keeps_api_md_walk():
    """apass-lookup tells the caller their ID and e-mail, so it starts with the check; login-trouble's walk is
    API.md's (its node ids, ``current.kind`` question|outcome): its check is a gate beside the walk
    (tests/support/test_identity_gate.py)."""
    assert SHIPPED["apass-lookup"]["discloses"] is True and not engine.gated(SHIPPED["apass-lookup"])
    assert SHIPPED["login-trouble"]["start"] != "identity" and "identity" not in SHIPPED["login-trouble"]["nodes"]
    assert engine.gated(SHIPPED["login-trouble"])


def test_sup9_the_engine_asks_the_registered_identity_function():
    """The engine knows no members: the items come from the function registered in support/identity.py."""
    from support import identity

    assert registry.IDENTITY == [identity.identity_record]
    assert "members" not in engine.__dict__ and "identity_record" not in engine.__dict__
