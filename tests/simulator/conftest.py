"""The training sandbox and a trainer's API client, shared by the simulator's tests (a test module may
override ``sandbox`` to add member types)."""

from __future__ import annotations

import pytest
from members.factories import OperatorFactory, SocietyFactory

from .helpers import client_for


@pytest.fixture
def sandbox(db):
    return SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)


@pytest.fixture
def trainer(sandbox):
    """An API client signed in as the sandbox's trainer."""
    return client_for(OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp"))
