"""MAIL-2 through the My Page simulator's API: the password reset (only to the A-Pass e-mail or its registered
reset contact) and the e-mail change (メールアドレス変更確定URL, opened signed in with the *old* address);
the simulation rules (not_sandbox, permission_denied); no password anywhere."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.hashers import check_password

from backoffice.models import AuditEntry
from mail.models import SentMail
from members import services
from members.factories import MemberTypeFactory, OperatorFactory
from tests.simulator.helpers import client_for
from members.models import APass, MemberEmailChange

from ..members.helpers import assert_error, make_member

pytestmark = pytest.mark.django_db
APASS, LOGIN = "/api/v1/sim/apass/", "/api/v1/sim/mypage/login/"
RESET, CHANGE = "/api/v1/sim/mypage/password-reset/", "/api/v1/sim/mypage/email-change/"
APPLY = "/api/v1/sim/applications/"
MSG_WRONG_SESSION = "変更前のメールアドレスでログインした状態"


@pytest.fixture
def linked(trainer, sandbox):
    """A member of the sandbox linked to an A-Pass (password Pass-1234, reset contact backup@example.jp)."""
    member = make_member(sandbox, MemberTypeFactory(society=sandbox), status="active", email="hanako@example.jp")
    trainer.post(APASS, {"email": "hanako@example.jp", "password": "Pass-1234",
                         "recovery_contact": "Backup@Example.jp"}, format="json")
    assert trainer.post(LOGIN, {"email": "hanako@example.jp", "password": "Pass-1234"}, format="json").json()["linked"]
    member.refresh_from_db()
    return member


def follow(client, mail, data):
    return client.post(f"/api/v1/sim/links/{mail.link.token}/", data, format="json")


def sign_in(client, email, password):
    return client.post(LOGIN, {"email": email, "password": password}, format="json").json()


def no_password_anywhere(*secrets):
    texts = [str(v) for v in AuditEntry.objects.values_list("before", "after")]
    texts += [m.body + m.subject for m in SentMail.objects.all()]
    for secret in secrets:
        assert not any(secret in t for t in texts), secret
        assert not APass.objects.filter(password__contains=secret).exists()


# --- password reset ---------------------------------------------------------------------------------------


def test_mail2_password_reset_sent_to_the_apass_email_and_the_link_sets_the_password(trainer, sandbox, linked):
    response = trainer.post(RESET, {"email": "HANAKO@example.jp"}, format="json")
    assert response.status_code == 200 and response.json() == {"sent": True, "reason": "apass_email"}
    mail = SentMail.objects.get(kind="password_reset")
    assert (mail.to, mail.member_id, mail.society_id) == ("hanako@example.jp", linked.pk, sandbox.pk)
    assert mail.link.expires_at - mail.created_at == datetime.timedelta(hours=24)
    assert_error(follow(trainer, mail, {}), 400, "invalid")
    result = follow(trainer, mail, {"password": "New-5678"})
    assert result.status_code == 200, result.content
    assert "New-5678" not in result.content.decode()
    assert sign_in(trainer, "hanako@example.jp", "New-5678")["ok"]
    assert sign_in(trainer, "hanako@example.jp", "Pass-1234")["reason"] == "wrong_password"
    apass = APass.objects.get()
    entry = AuditEntry.objects.get(action="members.apass.password_reset")
    assert (entry.target_id, entry.society_id) == (str(apass.pk), sandbox.pk)
    assert_error(follow(trainer, mail, {"password": "Again-1"}), 409, "link_used")
    no_password_anywhere("New-5678", "Pass-1234", "Again-1")


def test_mail2_password_reset_to_the_registered_reset_contact(trainer, linked):
    assert trainer.post(RESET, {"email": "backup@example.jp"}, format="json").json() == {
        "sent": True, "reason": "recovery_contact"}
    mail = SentMail.objects.get(kind="password_reset")
    assert mail.to == "backup@example.jp"
    assert follow(trainer, mail, {"password": "Via-Contact-1"}).status_code == 200
    assert check_password("Via-Contact-1", APass.objects.get(email="hanako@example.jp").password)


def test_mail2_password_reset_sends_nothing_to_any_other_address(trainer, sandbox, linked):
    make_member(sandbox, linked.member_type, status="active", email="noapass@example.jp")
    assert trainer.post(RESET, {"email": "noapass@example.jp"}, format="json").json() == {
        "sent": False, "reason": "no_apass"}
    assert trainer.post(RESET, {"email": "stranger@example.jp"}, format="json").json() == {
        "sent": False, "reason": "unknown_address"}
    assert_error(trainer.post(RESET, {"email": "no address"}, format="json"), 400, "invalid")
    assert not SentMail.objects.filter(kind="password_reset").exists()


def test_mail2_the_secretariat_cannot_set_a_members_password_through_the_link(society, staff_op, api, linked):
    """Following a reset link on a member's behalf would let staff know the password: refused (403)."""
    mail = services.password_reset_request(actor=staff_op, society=society, email="hanako@example.jp").mail
    assert mail.society_id == society.pk
    assert_error(api.post(f"/api/v1/sent-mails/{mail.pk}/open-link/", {"password": "Staff-1"}, format="json"),
                 403, "permission_denied")
    mail.link.refresh_from_db()
    assert mail.link.used_at is None


# --- e-mail change ----------------------------------------------------------------------------------------


def change(trainer, **overrides):
    body = {"session_email": "hanako@example.jp", "password": "Pass-1234", "new_email": "hanako.new@example.jp",
            **overrides}
    return trainer.post(CHANGE, body, format="json")


def test_mail2_email_change_confirmation_must_be_opened_signed_in_with_the_old_address(trainer, sandbox, linked):
    response = change(trainer)
    assert response.status_code == 201, response.content
    mail = SentMail.objects.get(pk=response.json()["mail"])
    assert (mail.kind, mail.to, mail.member_id) == ("email_change_confirm", "hanako.new@example.jp", linked.pk)
    assert "メールアドレス変更確定URL" in mail.subject + mail.body
    assert mail.link.expires_at - mail.created_at == datetime.timedelta(hours=24)
    assert APass.objects.get().email == "hanako@example.jp"  # nothing changes before the link is opened

    body = assert_error(follow(trainer, mail, {"session_email": "hanako.new@example.jp"}), 409, "wrong_session_email")
    assert MSG_WRONG_SESSION in body["detail"]
    mail.link.refresh_from_db()
    assert mail.link.used_at is None

    result = follow(trainer, mail, {"session_email": "Hanako@example.jp"})
    assert result.status_code == 200, result.content
    assert result.json()["email"] == "hanako.new@example.jp"
    linked.refresh_from_db()
    assert linked.email == "hanako.new@example.jp" and linked.apass.email == "hanako.new@example.jp"
    history = MemberEmailChange.objects.get(member=linked)
    assert (history.old_email, history.new_email, history.reason) == ("hanako@example.jp", "hanako.new@example.jp",
                                                                     "mypage")
    apass_entry = AuditEntry.objects.get(action="members.apass.email_changed")
    assert (apass_entry.before, apass_entry.after) == ({"email": "hanako@example.jp"}, {"email": "hanako.new@example.jp"})
    assert AuditEntry.objects.filter(action="members.member.email_changed_on_mypage", target_id=str(linked.pk)).exists()
    assert sign_in(trainer, "hanako.new@example.jp", "Pass-1234") == {"ok": True, "reason": "ok", "linked": True}
    assert sign_in(trainer, "hanako@example.jp", "Pass-1234")["reason"] == "unknown_id"
    no_password_anywhere("Pass-1234")


def test_mail2_email_change_refusals(trainer, sandbox, linked):
    assert_error(change(trainer, password="wrong"), 400, "invalid_credentials")
    assert_error(change(trainer, session_email="nobody@example.jp"), 400, "invalid_credentials")
    assert_error(change(trainer, new_email="hanako@example.jp"), 400, "invalid")
    assert_error(change(trainer, new_email="bad address"), 400, "invalid")
    trainer.post(APASS, {"email": "other@example.jp", "password": "x"}, format="json")
    assert_error(change(trainer, new_email="OTHER@example.jp"), 409, "email_in_use")
    make_member(sandbox, linked.member_type, status="withdrawn", email="member@example.jp")
    assert_error(change(trainer, new_email="member@example.jp"), 409, "email_in_use")
    assert not SentMail.objects.filter(kind="email_change_confirm").exists()


def test_mail2_email_change_link_after_the_address_was_taken_is_refused(trainer, sandbox, linked):
    mail = SentMail.objects.get(pk=change(trainer).json()["mail"])
    trainer.post(APASS, {"email": "hanako.new@example.jp", "password": "x"}, format="json")
    assert_error(follow(trainer, mail, {"session_email": "hanako@example.jp"}), 409, "email_in_use")
    linked.refresh_from_db()
    assert linked.email == "hanako@example.jp"


# --- simulation rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path,body", [
    (APPLY, {"email": "a@example.jp"}),
    (RESET, {"email": "a@example.jp"}),
    (CHANGE, {"session_email": "a@example.jp", "password": "x", "new_email": "b@example.jp"}),
    ("/api/v1/sim/links/abc/", {}),
])
def test_sim2_endpoints_sandbox_trainers_and_admins_only(sandbox, api, path, body):
    assert_error(api.post(path, body, format="json"), 403, "not_sandbox")
    staff = client_for(OperatorFactory(society=sandbox, role="staff"))
    assert_error(staff.post(path, body, format="json"), 403, "permission_denied")
    admin = client_for(OperatorFactory(society=sandbox, role="admin"))
    assert admin.post(path, body, format="json").status_code not in (403, 500)


@pytest.mark.parametrize("path", [
    "/api/v1/sim/clock/", "/api/v1/sim/apass/", "/api/v1/sim/mypage/login/", APPLY, RESET, CHANGE,
    "/api/v1/sim/links/abc/", "/api/v1/sim/mypage/pay/",
])
def test_sim_every_endpoint_judges_the_body_text_then_the_sandbox_then_the_fields(sandbox, api, path):
    """SIM-1/SIM-2 (API.md): a body that is no JSON is 400 anywhere; outside a sandbox every simulation endpoint
    answers not_sandbox, whatever the fields; in a sandbox, a staff member's is permission_denied; only then are
    the fields judged (400 invalid)."""
    assert_error(api.post(path, data="{", content_type="application/json"), 400, "invalid")
    wrong_fields = {"email": [], "invoice": "x", "advance_hours": "x", "password": 1}
    assert_error(api.post(path, wrong_fields, format="json"), 403, "not_sandbox")
    staff = client_for(OperatorFactory(society=sandbox, role="staff"))
    assert_error(staff.post(path, wrong_fields, format="json"), 403, "permission_denied")
    if "/links/" not in path:  # a link's form fields are judged by the link's handler, after the token
        trainer = client_for(OperatorFactory(society=sandbox, role="trainer"))
        assert_error(trainer.post(path, wrong_fields, format="json"), 400, "invalid")
