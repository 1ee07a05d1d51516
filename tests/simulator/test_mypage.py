"""APS-1/APS-3/APS-6 through the My Page simulator: POST /api/v1/sim/apass/ and /api/v1/sim/mypage/login/."""

from __future__ import annotations

import pytest

from backoffice.models import AuditEntry
from members.factories import MemberTypeFactory, OperatorFactory
from tests.simulator.helpers import client_for
from members.models import APass, MyPageSignIn

from ..members.helpers import assert_error, make_member

pytestmark = pytest.mark.django_db
APASS, LOGIN = "/api/v1/sim/apass/", "/api/v1/sim/mypage/login/"


def test_aps1_issue_an_apass_never_answers_the_password(trainer, sandbox):
    response = trainer.post(APASS, {"email": "Hanako@Example.jp", "password": "Pass-1234", "recovery_contact": "090"},
                            format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"apass_id", "email", "issued_at", "recovery_contact"}
    assert body["email"] == "hanako@example.jp" and "Pass-1234" not in response.content.decode()
    assert APass.objects.get().password != "Pass-1234"
    assert_error(trainer.post(APASS, {"email": "HANAKO@example.jp", "password": "x"}, format="json"), 409, "email_in_use")
    assert set(trainer.post(APASS, {"email": "b@example.jp", "password": "x"}, format="json").json()) == {
        "apass_id", "email", "issued_at"}


def test_aps3_aps6_sign_in_links_and_refusals_are_200(trainer, sandbox):
    member = make_member(sandbox, MemberTypeFactory(society=sandbox), status="active", email="hanako@example.jp")
    trainer.post(APASS, {"email": "hanako@example.jp", "password": "Pass-1234"}, format="json")
    refused = trainer.post(LOGIN, {"email": "hanako@example.jp", "password": "pASS-1234"}, format="json")
    assert refused.status_code == 200 and refused.json() == {"ok": False, "reason": "password_caps_lock", "linked": False}
    ok = trainer.post(LOGIN, {"email": "hanako@example.jp", "password": "Pass-1234"}, format="json")
    assert ok.json() == {"ok": True, "reason": "ok", "linked": True}
    member.refresh_from_db()
    assert member.apass_linked
    assert AuditEntry.objects.filter(action="members.member.apass_linked", target_id=str(member.pk)).exists()
    assert list(MyPageSignIn.objects.order_by("pk").values_list("reason", flat=True)) == ["password_caps_lock", "ok"]


def test_simulation_access(sandbox, society, staff_op, api):
    staff = client_for(OperatorFactory(society=sandbox, role="staff"))
    assert_error(staff.post(LOGIN, {"email": "a@b.jp", "password": "x"}, format="json"), 403, "permission_denied")
    assert_error(api.post(APASS, {"email": "a@b.jp", "password": "x"}, format="json"), 403, "not_sandbox")
    assert_error(client_for(OperatorFactory(society=sandbox, role="trainer")).post(LOGIN, {}, format="json"),
                 400, "invalid")
