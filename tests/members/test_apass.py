"""A-Pass, the shared login ID (APS-1 … APS-6): services, the unlink and look-up API, no password anywhere."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import translation

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from members import services
from members.models import APass, APassUnlink, Member, MemberEmailChange, MyPageSignIn, Status

from .helpers import assert_error, make_member

pytestmark = pytest.mark.django_db
PASSWORD = "Secret-Pass1"


@pytest.fixture
def member(society, regular_type):
    return make_member(society, regular_type, status="active", email="yamada@example.ac.jp", name="山田 太郎",
                       phone="03-1234-5678", member_number="000123")


def issue(society, actor, email="yamada@example.ac.jp", password=PASSWORD, **kw) -> APass:
    return services.apass_create(actor=actor, society=society, email=email, password=password, **kw)


def sign_in(society, actor, email="yamada@example.ac.jp", password=PASSWORD):
    return services.mypage_sign_in(actor=actor, society=society, email=email, password=password)


def linked(society, actor, member) -> APass:
    apass = issue(society, actor, email=member.email)
    assert sign_in(society, actor, email=member.email).linked
    return apass


# --- APS-1 / APS-2 ---------------------------------------------------------------------------------------------

def test_aps1_one_apass_per_address_case_insensitive(society, staff_op):
    apass = issue(society, staff_op, email="Yamada@Example.ac.jp", recovery_contact="090-0000-0000")
    assert apass.email == "yamada@example.ac.jp"
    assert abs(apass.issued_at - clock.now(society)) < datetime.timedelta(minutes=1)
    with pytest.raises(DomainError) as exc:
        issue(society, staff_op, email="YAMADA@example.ac.jp")
    assert exc.value.code == "email_in_use"
    assert APass.objects.count() == 1


def test_aps2_password_only_as_a_hash(society, staff_op):
    apass = issue(society, staff_op)
    assert apass.password != PASSWORD and apass.password.startswith(("pbkdf2", "md5", "argon2", "bcrypt", "scrypt"))
    assert check_password(PASSWORD, apass.password)
    entry = AuditEntry.objects.get(action="members.apass.issued")
    assert PASSWORD not in json.dumps([entry.before, entry.after]) and apass.password not in json.dumps(entry.after)


# --- APS-6: diagnosed sign-ins ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed_id, password, reason", [
    ("nobody@example.ac.jp", PASSWORD, "unknown_id"),
    ("ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ａｃ．ｊｐ", PASSWORD, "id_width_or_case"),
    ("yamada@example.ac.jp", "wrong", "wrong_password"),
    ("yamada@example.ac.jp", PASSWORD.swapcase(), "password_caps_lock"),
    ("yamada@example.ac.jp", "Ｓｅｃｒｅｔ－Ｐａｓｓ１", "password_width"),
    ("YAMADA@Example.AC.JP", PASSWORD, "ok"),  # the letter case of an e-mail never matters
])
def test_aps6_every_attempt_is_logged_with_its_reason(society, staff_op, member, typed_id, password, reason):
    issue(society, staff_op)
    result = sign_in(society, staff_op, email=typed_id, password=password)
    assert (result.ok, result.reason) == (reason == "ok", reason)
    entry = MyPageSignIn.objects.get()
    assert (entry.typed_id, entry.reason, entry.society) == (typed_id, reason, society)
    assert abs(entry.at - clock.now(society)) < datetime.timedelta(minutes=1)
    assert password not in {entry.typed_id, entry.reason}


def test_aps6_right_apass_without_membership_here(society, other_society, staff_op, member):
    from members.factories import OperatorFactory

    other_staff = OperatorFactory(society=other_society, role="staff")
    issue(other_society, other_staff)
    result = sign_in(other_society, other_staff)
    assert (result.ok, result.reason, result.linked) == (False, "no_membership_here", False)


# --- APS-3: linking --------------------------------------------------------------------------------------------

def test_aps3_sign_in_links_and_is_audited(society, staff_op, member):
    apass = linked(society, staff_op, member)
    member.refresh_from_db()
    assert member.apass == apass and member.apass_linked_at is not None
    entry = AuditEntry.objects.get(action="members.member.apass_linked")
    assert entry.target_id == str(member.pk) and entry.after["apass"] == apass.email
    assert sign_in(society, staff_op).linked  # signing in again keeps the link, no second entry
    assert AuditEntry.objects.filter(action="members.member.apass_linked").count() == 1


@pytest.mark.parametrize("status", [Status.WITHDRAWN, Status.EXPELLED, Status.APPLICATION_WITHDRAWN])
def test_aps3_not_eligible_members_are_not_linked(society, regular_type, staff_op, status):
    ended = make_member(society, regular_type, status=status, email="ended@example.ac.jp")
    issue(society, staff_op, email="ended@example.ac.jp")
    result = sign_in(society, staff_op, email="ended@example.ac.jp")
    assert (result.ok, result.reason, result.linked) == (False, "not_eligible", False)
    with translation.override("ja"):
        assert str(result.message) == "会員資格のないアカウントなので統合できません"
    ended.refresh_from_db()
    assert ended.apass is None


def test_aps3_linked_email_stays_locked(society, staff_op, member, api):
    linked(society, staff_op, member)
    assert_error(api.patch(f"/api/v1/members/{member.pk}/", {"email": "new@example.ac.jp"}, format="json"),
                 409, "email_locked_by_apass")


def test_rate_limit_after_ten_failures_in_fifteen_minutes(society, staff_op, member):
    society.is_sandbox = True
    society.save()
    issue(society, staff_op)
    for _ in range(10):
        assert sign_in(society, staff_op, password="wrong").reason == "wrong_password"
    assert sign_in(society, staff_op).reason == "rate_limited"  # even the right password
    assert MyPageSignIn.objects.filter(reason="rate_limited").count() == 1
    services.society_clock_move(actor="system: test", society=society, to=clock.now(society) + datetime.timedelta(minutes=16))
    society.refresh_from_db()
    assert sign_in(society, staff_op).ok


# --- APS-4: unlink ---------------------------------------------------------------------------------------------

def test_aps4_unlink_replaces_email_keeps_record_and_bars_relink(society, staff_op, member,
                                                                 django_capture_on_commit_callbacks):
    apass = linked(society, staff_op, member)
    with django_capture_on_commit_callbacks(execute=True):
        member = services.apass_unlink(actor=staff_op, member=member, new_email="ＹＡＭＡＤＡ２@example.ac.jp")
    assert (member.email, member.apass, member.apass_linked_at) == ("yamada2@example.ac.jp", None, None)
    unlink = APassUnlink.objects.get()
    assert (unlink.member, unlink.apass, unlink.old_email, unlink.new_email) == (
        member, apass, "yamada@example.ac.jp", "yamada2@example.ac.jp")
    assert unlink.actor_label
    change = MemberEmailChange.objects.get(member=member)
    assert change.reason == MemberEmailChange.Reason.UNLINKED
    entry = AuditEntry.objects.get(action="members.member.apass_unlinked")
    assert entry.before == {"email": "yamada@example.ac.jp", "apass": apass.email}
    assert entry.after == {"email": "yamada2@example.ac.jp", "apass": None}
    # MAIL-2: the unlink notice goes to the new address, kept in [個人会員送信済みメール] and sent after commit.
    from django.core import mail as outbox

    from mail.models import SentMail

    notice = SentMail.objects.get(kind="apass_unlinked")
    assert (notice.to, notice.member_id) == ("yamada2@example.ac.jp", member.pk)
    assert "A-Pass連携解除" in notice.subject and "山田" in notice.body
    assert [m.to for m in outbox.outbox] == [["yamada2@example.ac.jp"]]
    # The old A-Pass can never be linked again to this member, even once it carries the new address.
    APass.objects.filter(pk=apass.pk).update(email="yamada2@example.ac.jp")
    result = sign_in(society, staff_op, email="yamada2@example.ac.jp")
    assert not result.linked
    member.refresh_from_db()
    assert member.apass is None
    # Only the member can re-link: a new A-Pass with the new e-mail.
    APass.objects.filter(pk=apass.pk).update(email="old-yamada@example.ac.jp")
    new = issue(society, staff_op, email="yamada2@example.ac.jp")
    assert sign_in(society, staff_op, email="yamada2@example.ac.jp").linked
    member.refresh_from_db()
    assert member.apass == new


def test_aps4_refusals(society, regular_type, staff_op, viewer_op, member):
    with pytest.raises(DomainError) as exc:
        services.apass_unlink(actor=staff_op, member=member, new_email="x@example.ac.jp")
    assert exc.value.code == "apass_not_linked"
    linked(society, staff_op, member)
    make_member(society, regular_type, email="taken@example.ac.jp")
    with pytest.raises(DomainError) as exc:
        services.apass_unlink(actor=staff_op, member=member, new_email="TAKEN@example.ac.jp")
    assert exc.value.code == "email_in_use"
    with pytest.raises(DomainError) as exc:
        services.apass_unlink(actor=viewer_op, member=member, new_email="x@example.ac.jp")
    assert exc.value.code == "permission_denied"
    assert not APassUnlink.objects.exists()


def test_aps4_unlink_api(society, staff_op, member, api, other_api, viewer_api):
    linked(society, staff_op, member)
    url = f"/api/v1/members/{member.pk}/unlink-apass/"
    body = assert_error(api.post(url, {"new_email": "n@example.ac.jp"}, format="json"), 400, "unlink_not_confirmed")
    assert body["detail"]
    assert_error(api.post(url, {"new_email": "n@example.ac.jp", "confirm": False}, format="json"),
                 400, "unlink_not_confirmed")
    assert_error(other_api.post(url, {"new_email": "n@example.ac.jp", "confirm": True}, format="json"), 404, "not_found")
    assert_error(viewer_api.post(url, {"new_email": "n@example.ac.jp", "confirm": True}, format="json"),
                 403, "permission_denied")
    response = api.post(url, {"new_email": "n@example.ac.jp", "confirm": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["email"] == "n@example.ac.jp" and response.json()["apass_linked"] is False
    assert_error(api.post(url, {"new_email": "m@example.ac.jp", "confirm": True}, format="json"),
                 409, "apass_not_linked")


# --- APS-5: look-up --------------------------------------------------------------------------------------------

def test_aps5_lookup_by_each_criterion(society, staff_op, member, api):
    apass = linked(society, staff_op, member)
    sign_in(society, staff_op, password="wrong")
    for params in ({"email": "YAMADA@example.ac.jp"}, {"member_number": "０００１２３"}, {"phone": "0312345678"},
                   {"name": "山田"}):
        response = api.get("/api/v1/apass/lookup/", params)
        assert response.status_code == 200, (params, response.content)
        (row,) = response.json()
        assert row["apass_id"] == apass.pk and row["linked_member"] == member.pk
        assert row["email"] == "yamada@example.ac.jp" and row["issued_at"]
        assert [s["reason"] for s in row["recent_sign_ins"]] == ["wrong_password", "ok"]
        assert set(row["recent_sign_ins"][0]) == {"at", "reason", "typed_id"}
    assert api.get("/api/v1/apass/lookup/", {"email": "yamada@example"}).json() == []
    assert_error(api.get("/api/v1/apass/lookup/"), 400, "invalid")
    assert_error(api.get("/api/v1/apass/lookup/", {"email": "a@b.jp", "name": "山田"}), 400, "invalid")


def test_aps5_lookup_never_reveals_another_society(society, staff_op, member, other_api):
    linked(society, staff_op, member)
    assert other_api.get("/api/v1/apass/lookup/", {"email": "yamada@example.ac.jp"}).json() == []
    assert other_api.get("/api/v1/apass/lookup/", {"name": "山田"}).json() == []


# --- APS-2: no password or hash anywhere -----------------------------------------------------------------------

def test_aps2_no_password_or_hash_in_answers_or_audit(society, staff_op, member, api):
    apass = linked(society, staff_op, member)
    sign_in(society, staff_op, password=PASSWORD.swapcase())
    answers = [api.get("/api/v1/apass/lookup/", {"email": apass.email}).content.decode(),
               api.get(f"/api/v1/members/{member.pk}/").content.decode(),
               api.post(f"/api/v1/members/{member.pk}/unlink-apass/",
                        {"new_email": "z@example.ac.jp", "confirm": True}, format="json").content.decode()]
    audit = json.dumps([[e.before, e.after, e.target_repr] for e in AuditEntry.objects.all()], ensure_ascii=False)
    logged = json.dumps(list(MyPageSignIn.objects.values_list("typed_id", "reason")))
    for blob in answers + [audit, logged]:
        for secret in (PASSWORD, PASSWORD.swapcase(), apass.password, apass.password.split("$")[-1]):
            assert secret not in blob


# --- APS-4 / APS-5 on the admin screens ------------------------------------------------------------------------

@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


def test_aps4_admin_five_steps(society, staff_op, member, staff_client):
    apass = linked(society, staff_op, member)
    sign_in(society, staff_op, password=PASSWORD.swapcase())
    change_url = f"/admin/members/member/{member.pk}/change/"
    page = staff_client.get(change_url).content.decode()
    # Step 1: the link text on [会員情報変更]; the password is never shown; recent sign-ins with reasons.
    assert "会員がA-Passを使ってログインできなくなった場合は、設定を解除して新しいメールアドレスを設定してください。" in page
    assert "パスワードはセキュリティ上閲覧できないようになっています。" in page
    assert "パスワード誤り（Caps Lock）" in page and apass.password not in page
    url = f"/admin/members/member/{member.pk}/unlink-apass/"
    assert url in page
    # Step 2: the form asks for the new e-mail; step 3: [ログイン情報統合解除].
    form_page = staff_client.get(url).content.decode()
    assert "ログイン情報統合解除後に使用するメールアドレス" in form_page and 'value="ログイン情報統合解除"' in form_page
    taken = staff_client.post(url, {"new_email": member.email}).content.decode()
    assert "このメールアドレスは既に使用されています。" in taken
    confirm = staff_client.post(url, {"new_email": "ＮＥＷ@example.ac.jp"}).content.decode()
    assert "会員のログイン情報の統合を解除します" in confirm and 'value="確定"' in confirm
    # Step 4: [確定] without the checkbox is refused and changes nothing.
    refused = staff_client.post(url, {"new_email": "new@example.ac.jp", "confirm_step": "確定"}).content.decode()
    assert "「会員のログイン情報の統合を解除します」にチェックを入れてください。" in refused
    member.refresh_from_db()
    assert member.apass_id == apass.pk
    # Step 5: done, back on [会員情報変更] with the message; 履歴 shows the unlink.
    done = staff_client.post(url, {"new_email": "new@example.ac.jp", "confirm": "on", "confirm_step": "確定"},
                             follow=True)
    assert done.redirect_chain[-1][0] == change_url
    assert "ログイン情報の統合を解除し、新しいメールアドレスを設定しました。" in done.content.decode()
    member.refresh_from_db()
    assert (member.email, member.apass_id) == ("new@example.ac.jp", None)
    history = staff_client.get(f"/admin/members/member/{member.pk}/history/").content.decode()
    assert "ログイン情報統合解除" in history and "new@example.ac.jp" in history
    assert url not in staff_client.get(change_url).content.decode()  # no longer linked: no link text


def test_aps4_admin_viewer_cannot_unlink(society, staff_op, viewer_op, member, client):
    linked(society, staff_op, member)
    client.force_login(viewer_op)
    url = f"/admin/members/member/{member.pk}/unlink-apass/"
    assert url not in client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert client.post(url, {"new_email": "n@example.ac.jp", "confirm": "on", "confirm_step": "1"}).status_code == 403


def test_aps5_admin_lookup_screen(society, staff_op, member, staff_client, other_op, client):
    apass = linked(society, staff_op, member)
    sign_in(society, staff_op, email="ＹＡＭＡＤＡ@example.ac.jp")
    url = "/admin/members/member/apass-lookup/"
    page = staff_client.get(url).content.decode()
    assert "A-Pass照会" in page
    for params in ({"email": "YAMADA@example.ac.jp"}, {"member_number": "000123"}, {"phone": "03-1234-5678"},
                   {"name": "山田"}):
        page = staff_client.get(url, params).content.decode()
        assert f"A-Pass {apass.pk}: yamada@example.ac.jp" in page, params
        assert "パスワードはセキュリティ上閲覧できないようになっています。" in page
        assert "IDの全角入力・大文字小文字の違い" in page and "ＹＡＭＡＤＡ@example.ac.jp" in page
        assert apass.password not in page
    client.force_login(other_op)
    page = client.get(url, {"email": "yamada@example.ac.jp"}).content.decode()
    assert "該当するA-Passはありません。" in page and "山田" not in page
