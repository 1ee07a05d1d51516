"""A training sandbox with seed 000's showcase members (members/showcase.py), a staff agent and a viewer."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from members import showcase
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory


@pytest.fixture
def sandbox(db):
    return SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)


@pytest.fixture
def sandbox_type(sandbox):
    return MemberTypeFactory(society=sandbox, code="regular", name="正会員", annual_fee=10_000)


@pytest.fixture
def showcase_members(sandbox, sandbox_type):
    """{outcome: member} of seed 000's 対応方法チャート."""
    return {s.outcome: m for s, m in showcase.build(sandbox, sandbox_type, actor="system: test showcase")}


@pytest.fixture
def agent(sandbox):
    return OperatorFactory(society=sandbox, role="staff", email="agent@training.example.jp")


@pytest.fixture
def sandbox_viewer(sandbox):
    return OperatorFactory(society=sandbox, role="viewer", email="viewer@training.example.jp")


def client_for(operator) -> APIClient:
    client = APIClient()
    client.force_authenticate(operator)
    return client


@pytest.fixture
def agent_api(agent):
    return client_for(agent)


CASES = "/api/v1/support/cases/"


def identity_of(member) -> dict:
    """What a caller who is ``member`` says at the identity check (SUP-9): the name and the phone number."""
    return {"name": member.name, "item": "phone", "value": member.phone}


def create_case(api, member=None, flow: str = "login-trouble", **body) -> dict:
    """POST a case; the identity check still waits (SUP-9)."""
    response = api.post(CASES, {"flow": flow, **({"member": member.pk} if member is not None else {}), **body},
                        format="json")
    assert response.status_code == 201, response.content
    return response.json()


def confirm_identity(api, case: dict, member) -> dict:
    """SUP-9: the identity check, at the flow's start node (apass-lookup) or at its gate (login-trouble v2)."""
    assert case["identity"]["required"] and not case["identity"]["confirmed"]
    node = case["identity"]["node"]
    if node == case["current"]["node"]:
        assert case["current"]["kind"] == "identity"
    response = api.post(f"{CASES}{case['id']}/answer/", {"node": node, "answer": identity_of(member)},
                        format="json")
    assert response.status_code == 200, response.content
    return response.json()


def start_case(api, member, flow: str = "login-trouble") -> dict:
    """A case of ``flow`` for ``member``, the caller's identity confirmed where the flow asks for the check."""
    case = create_case(api, member, flow)
    if case["identity"]["required"] and not case["identity"]["confirmed"]:
        case = confirm_identity(api, case, member)
    return case


def confirm_identity_service(agent, case):
    """The same check through the service (page tests): ``case`` of a member, at its identity node or gate."""
    from support import engine, services

    node = engine.identity_node(case.flow_version.definition)
    return services.case_answer(actor=agent, case=case, node=node, answer=identity_of(case.member))
