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
