"""Applications (APP-1, APP-2, APP-3): the self application through the My Page simulator's API, the
verification link (24 hours on the society clock, superseded by a newer mail), the application form it opens,
and the secretariat's [代理申請] (API and screen)."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from backoffice import clock
from backoffice.models import AuditEntry
from mail.models import LinkToken, SentMail
from members import services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from members.models import Member, Status

from .helpers import assert_error, make_member

pytestmark = pytest.mark.django_db

APPLY, PROXY = "/api/v1/sim/applications/", "/api/v1/proxy-applications/"
MSG_IN_USE = "このメールアドレスは既に使用されています。"
FORM = {"name": "山田 花子", "name_kana": "ヤマダ ハナコ", "member_type": "regular", "affiliation": "東京大学"}


def client_for(operator) -> APIClient:
    client = APIClient()
    client.force_authenticate(operator)
    return client


@pytest.fixture
def sandbox(db):
    society = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)
    return society


@pytest.fixture
def trainer_op(sandbox):
    return OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")


@pytest.fixture
def trainer(trainer_op):
    return client_for(trainer_op)


def move_clock(society, **delta):
    society.refresh_from_db()
    society.clock_offset += datetime.timedelta(**delta)
    society.save(update_fields=["clock_offset"])


def apply(trainer, email="hanako@example.jp"):
    response = trainer.post(APPLY, {"email": email}, format="json")
    assert response.status_code == 201, response.content
    return SentMail.objects.get(pk=response.json()["mail"])


def follow(client, mail, data=FORM):
    return client.post(f"/api/v1/sim/links/{mail.link.token}/", data, format="json")


# --- APP-1 ------------------------------------------------------------------------------------------------


def test_app1_application_sends_the_verification_mail_valid_24_hours(trainer, sandbox):
    response = trainer.post(APPLY, {"email": "Hanako@Example.jp"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    mail = SentMail.objects.get(pk=body["mail"])
    assert (body["kind"], body["to"], mail.kind, mail.to) == (
        "email_verification", "hanako@example.jp", "email_verification", "hanako@example.jp")
    assert "メールアドレス認証のご連絡" in mail.subject and mail.society_id == sandbox.pk
    link = mail.link
    assert link.purpose == "email_verification"
    assert link.expires_at - mail.created_at == datetime.timedelta(hours=24)
    assert f"/admin/simulation/mypage/links/{link.token}/" in mail.body and link.url in mail.body
    assert AuditEntry.objects.filter(action="mail.sent_mail.queued", target_id=str(mail.pk)).exists()


def test_app1_following_the_link_registers_an_applicant_dated_today_on_the_clock(trainer, trainer_op, sandbox):
    move_clock(sandbox, days=40)
    mail = apply(trainer)
    response = follow(trainer, mail)
    assert response.status_code == 200, response.content
    result = response.json()
    member = Member.objects.get(pk=result["member_id"])
    assert (member.email, member.name, member.name_kana, member.member_type.code, member.affiliation) == (
        "hanako@example.jp", "山田 花子", "ヤマダ ハナコ", "regular", "東京大学")
    assert result["status"] == "applying"
    assert list(member.statuses.values_list("status", "effective_date")) == [(Status.APPLYING, clock.today(sandbox))]
    complete = SentMail.objects.get(kind="registration_complete")
    assert (complete.to, complete.member_id, complete.pk) == ("hanako@example.jp", member.pk,
                                                              result["registration_mail_id"])
    assert "会員登録完了" in complete.subject
    created = AuditEntry.objects.get(action="members.member.created", target_id=str(member.pk))
    assert created.actor_user_id == trainer_op.pk
    assert AuditEntry.objects.filter(action="mail.link.followed", target_id=str(mail.pk)).exists()
    assert_error(follow(trainer, mail), 409, "link_used")


def test_app1_a_refused_application_form_leaves_the_link_unused(trainer, sandbox):
    mail = apply(trainer)
    body = assert_error(follow(trainer, mail, {"name_kana": "ヤマダ", "member_type": "regular"}), 400, "invalid")
    assert "name" in body["fields"]
    body = assert_error(follow(trainer, mail, {**FORM, "member_type": "nothing"}), 400, "invalid")
    assert "member_type" in body["fields"]
    assert_error(follow(trainer, mail, {**FORM, "phone": "abc"}), 400, "invalid")
    mail.link.refresh_from_db()
    assert mail.link.used_at is None and not Member.objects.exists()
    assert follow(trainer, mail).status_code == 200


def test_app1_the_link_expires_after_24_hours_on_the_society_clock(trainer, sandbox):
    mail = apply(trainer)
    move_clock(sandbox, hours=23, minutes=59)
    assert trainer.get(f"/api/v1/sent-mails/{mail.pk}/").json()["link_state"] == "valid"
    move_clock(sandbox, minutes=2)
    assert_error(follow(trainer, mail), 409, "link_expired")
    assert not Member.objects.exists()


def test_app1_an_address_a_member_has_is_refused_email_in_use(trainer, sandbox):
    make_member(sandbox, sandbox.member_types.get(), status="withdrawn", email="hanako@example.jp")
    body = assert_error(trainer.post(APPLY, {"email": "HANAKO@example.jp"}, format="json"), 409, "email_in_use")
    assert body["detail"] == MSG_IN_USE
    assert not SentMail.objects.exists()
    assert_error(trainer.post(APPLY, {"email": "not-an-address"}, format="json"), 400, "invalid")
    assert_error(trainer.post(APPLY, {}, format="json"), 400, "invalid")


def test_app1_member_created_meanwhile_refuses_the_link_which_stays_unused(trainer, trainer_op, sandbox):
    mail = apply(trainer)
    make_member(sandbox, sandbox.member_types.get(), status="applying", email="hanako@example.jp")
    assert_error(follow(trainer, mail), 409, "email_in_use")
    mail.link.refresh_from_db()
    assert mail.link.used_at is None


def test_app1_open_link_from_the_sent_mail_page_completes_the_registration(society, regular_type, staff_op, api):
    mail = services.application_request(actor=staff_op, society=society, email="taro@example.jp")
    response = api.post(f"/api/v1/sent-mails/{mail.pk}/open-link/", {**FORM, "name": "田中 太郎"}, format="json")
    assert response.status_code == 200, response.content
    member = Member.objects.get(email="taro@example.jp")
    assert member.name == "田中 太郎" and member.status_on(clock.today(society)) == Status.APPLYING
    assert SentMail.objects.filter(kind="registration_complete", member_id=member.pk).exists()


def test_app1_another_societys_link_is_not_found(trainer, sandbox, society, regular_type, staff_op):
    mail = services.application_request(actor=staff_op, society=society, email="taro@example.jp")
    assert_error(follow(trainer, mail), 404, "not_found")
    assert_error(trainer.post("/api/v1/sim/links/no-such-token/", FORM, format="json"), 404, "not_found")


# --- APP-2 ------------------------------------------------------------------------------------------------


def test_app2_a_newer_verification_mail_supersedes_the_older_link(trainer, sandbox):
    first = apply(trainer)
    second = apply(trainer, "HANAKO@example.jp")
    other = apply(trainer, "jiro@example.jp")
    states = {m["id"]: m["link_state"] for m in trainer.get("/api/v1/sent-mails/").json()["results"]}
    assert states == {first.pk: "superseded", second.pk: "valid", other.pk: "valid"}
    assert_error(follow(trainer, first), 409, "link_superseded")
    assert follow(trainer, second).status_code == 200


# --- APP-3 ------------------------------------------------------------------------------------------------


def test_app3_proxy_application_registers_an_applicant_and_sends_the_completion_mail(api, staff_op, society,
                                                                                      regular_type):
    response = api.post(PROXY, {**FORM, "email": "Jiro@Example.jp"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["status"], body["status_label"], body["member_type"]) == (
        "jiro@example.jp", "applying", "申請中", "regular")
    member = Member.objects.get(pk=body["id"])
    assert list(member.statuses.values_list("status", "effective_date")) == [("applying", clock.today(society))]
    mail = SentMail.objects.get(kind="registration_complete")
    assert (mail.to, mail.member_id) == ("jiro@example.jp", member.pk)
    entry = AuditEntry.objects.get(action="members.member.created", target_id=str(member.pk))
    assert entry.actor_user_id == staff_op.pk


def test_app3_proxy_refused_while_a_verification_link_is_valid(api, staff_op, society, regular_type):
    mail = services.application_request(actor=staff_op, society=society, email="hanako@example.jp")
    before = (Member.objects.count(), SentMail.objects.count(), AuditEntry.objects.count())
    body = assert_error(api.post(PROXY, {**FORM, "email": "HANAKO@example.jp"}, format="json"), 409,
                        "email_verification_pending")
    assert body["detail"] == MSG_IN_USE and body["fields"]["email"] == [MSG_IN_USE]
    assert (Member.objects.count(), SentMail.objects.count(), AuditEntry.objects.count()) == before
    LinkToken.objects.filter(pk=mail.link.pk).update(expires_at=clock.now(society) - datetime.timedelta(seconds=1))
    assert api.post(PROXY, {**FORM, "email": "hanako@example.jp"}, format="json").status_code == 201


def test_app3_proxy_allowed_once_the_clock_passes_the_links_expiry(trainer, trainer_op, sandbox):
    apply(trainer)
    assert_error(trainer.post(PROXY, {**FORM, "email": "hanako@example.jp"}, format="json"), 409,
                 "email_verification_pending")
    move_clock(sandbox, hours=24)
    assert trainer.post(PROXY, {**FORM, "email": "hanako@example.jp"}, format="json").status_code == 201


def test_app3_proxy_refusals_email_in_use_viewer_and_bad_input(api, viewer_api, society, regular_type):
    make_member(society, regular_type, email="taken@example.jp")
    assert_error(api.post(PROXY, {**FORM, "email": "taken@example.jp"}, format="json"), 409, "email_in_use")
    assert_error(viewer_api.post(PROXY, {**FORM, "email": "new@example.jp"}, format="json"), 403, "permission_denied")
    assert_error(api.post(PROXY, {"name": "x"}, format="json"), 400, "invalid")
    assert not Member.objects.filter(email="new@example.jp").exists()


def test_app3_the_other_societys_pending_link_does_not_refuse(api, society, regular_type, other_op, other_society):
    MemberTypeFactory(society=other_society, code="regular")
    services.application_request(actor=other_op, society=other_society, email="hanako@example.jp")
    assert api.post(PROXY, {**FORM, "email": "hanako@example.jp"}, format="json").status_code == 201


# --- the screens: [代理申請] and [個人会員送信済みメール] ------------------------------------------------------


@pytest.fixture
def staff_browser(client, staff_op):
    client.force_login(staff_op)
    return client


PROXY_SCREEN = "/admin/members/member/proxy-application/"


def test_app3_proxy_screen_is_reachable_from_the_member_search(staff_browser, viewer_op, client):
    page = staff_browser.get("/admin/members/member/")
    assert PROXY_SCREEN in page.content.decode() and "代理申請" in page.content.decode()
    page = staff_browser.get(PROXY_SCREEN)
    assert page.status_code == 200 and "代理申請" in page.content.decode()
    client.force_login(viewer_op)
    assert client.get(PROXY_SCREEN).status_code == 403
    assert PROXY_SCREEN not in client.get("/admin/members/member/").content.decode()


def test_app3_proxy_screen_registers_an_applicant(staff_browser, society, regular_type):
    response = staff_browser.post(PROXY_SCREEN, {"name": "佐藤 次郎", "name_kana": "サトウ ジロウ",
                                                 "email": "jiro@example.jp", "member_type": regular_type.pk})
    member = Member.objects.get(email="jiro@example.jp")
    assert response.status_code == 302 and response["Location"] == f"/admin/members/member/{member.pk}/change/"
    assert member.status_on(clock.today(society)) == Status.APPLYING
    assert SentMail.objects.filter(kind="registration_complete", member_id=member.pk).exists()


def test_app3_proxy_screen_says_when_the_link_expires_and_the_two_ways_out(staff_browser, staff_op, society,
                                                                            regular_type):
    mail = services.application_request(actor=staff_op, society=society, email="hanako@example.jp")
    page = staff_browser.post(PROXY_SCREEN, {"name": "山田 花子", "email": "hanako@example.jp",
                                             "member_type": regular_type.pk})
    html = page.content.decode()
    assert page.status_code == 200 and not Member.objects.exists()
    assert MSG_IN_USE in html
    expires = mail.link.expires_at.astimezone(clock.society_timezone(society)).strftime("%Y-%m-%d %H:%M")
    assert expires in html
    assert "メールアドレス認証有効期間中は[代理申請]登録ができません。(有効期間はメール送信日時から24時間です。)" in html
    assert "メールアドレス認証有効期限後に行う。" in html
    assert "[個人会員送信済みメール]画面で対象のメールを表示し、メール内のURLをクリックして登録する。" in html
    assert "※登録完了時に対象者に登録完了メールが送信されます。" in html
    assert f"/admin/mail/sentmail/{mail.pk}/change/" in html


def test_app3_second_way_out_open_the_link_from_the_sent_mail_page(staff_browser, staff_op, society, regular_type):
    mail = services.application_request(actor=staff_op, society=society, email="hanako@example.jp")
    page = staff_browser.get(f"/admin/mail/sentmail/{mail.pk}/change/")
    html = page.content.decode()
    for label in ("氏名", "フリガナ", "会員種別"):
        assert label in html
    url = f"/admin/mail/sentmail/{mail.pk}/open-link/"
    refused = staff_browser.post(url, {"name_kana": "ヤマダ", "member_type": "regular"})
    assert refused.status_code == 200 and "ヤマダ" in refused.content.decode() and not Member.objects.exists()
    done = staff_browser.post(url, {"name": "山田 花子", "member_type": "regular"})
    assert done.status_code == 302
    member = Member.objects.get(email="hanako@example.jp")
    assert SentMail.objects.filter(kind="registration_complete", member_id=member.pk).exists()
