"""Issue 12 point 8 (SIM-1, SIM-2, SIM-3): a training control is shown only to the roles that may use it
(``Operator.can_use_training_tools``, asked through ``scenarios.scenarios_reset_refusal``) — on the first page, on
シナリオ一覧 and on [シナリオ再作成]'s confirmation page, which a viewer or staff member never gets with an active
button that is refused after the click."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.factories import OperatorFactory, SocietyFactory
from simulator import scenarios

pytestmark = pytest.mark.django_db
CONTROLS = {"clock": 'id="sim-clock"', "scenario list": 'id="sim-scenarios-link"',
            "reset": 'id="sim-scenarios-reset"', "My Page simulator": 'id="sim-mypage-link"'}


@pytest.fixture
def sandbox(db):
    return SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)


@pytest.mark.parametrize("role, may", [("viewer", False), ("staff", False), ("trainer", True), ("admin", True)])
def test_issue12_8_training_controls_only_for_the_roles_that_may_use_them(sandbox, client, role, may):
    operator = OperatorFactory(society=sandbox, role=role)
    assert operator.can_use_training_tools is may
    assert (scenarios.scenarios_reset_refusal(operator, sandbox) is None) is may
    client.force_login(operator)
    home = client.get(reverse("admin:index")).content.decode()
    assert {name: marker in home for name, marker in CONTROLS.items()} == {name: may for name in CONTROLS}
    listed = client.get(reverse("sim-scenarios")).content.decode()
    assert ('id="sim-scenarios-reset"' in listed) is may
    confirm = client.get(reverse("sim-scenarios-reset"), follow=True)
    page = confirm.content.decode()
    assert ('id="scenario-reset-form"' in page) is may
    if not may:  # the refusal, said on the first page, before anything is offered
        assert confirm.redirect_chain[-1][0] == reverse("admin:index")
        assert [m.level_tag for m in confirm.context["messages"]] == ["error"]


def test_issue12_8_no_reset_offered_outside_a_sandbox(society, admin_op, client):
    assert scenarios.scenarios_reset_refusal(admin_op, society).code == "not_sandbox"
    client.force_login(admin_op)
    assert 'id="sim-scenarios-reset"' not in client.get(reverse("sim-scenarios")).content.decode()
    confirm = client.get(reverse("sim-scenarios-reset"), follow=True)
    assert 'id="scenario-reset-form"' not in confirm.content.decode()
    assert [m.level_tag for m in confirm.context["messages"]] == ["error"]
