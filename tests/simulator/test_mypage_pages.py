"""SIM-2: the My Page simulator's pages (/admin/simulation/mypage/) — a trainer plays the applicant and the
member through the same services as the sim API: apply, read the mailbox and follow a link with the form it
asks for, create an A-Pass, sign in (and so link), reset the password, change the e-mail. Japanese labels;
never a password on a page; trainers and administrators of a sandbox only."""

from __future__ import annotations

import pytest
from django.test import Client

from backoffice import clock
from mail.models import SentMail
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from members.models import APass, Member, MyPageSignIn, Status

from ..members.helpers import make_member

pytestmark = pytest.mark.django_db
PAGE = "/admin/simulation/mypage/"


@pytest.fixture
def sandbox(db):
    society = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)
    return society


@pytest.fixture
def trainer_op(sandbox):
    return OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")


@pytest.fixture
def browser(trainer_op):
    client = Client()
    client.force_login(trainer_op)
    return client


def act(browser, action, **fields):
    return browser.post(PAGE, {"action": action, **{f"{action}-{k}": v for k, v in fields.items()}})


def test_sim2_the_page_in_japanese_linked_from_the_first_page(browser):
    home = browser.get("/admin/").content.decode()
    assert PAGE in home and "マイページシミュレーター" in home
    html = browser.get(PAGE).content.decode()
    for label in ("マイページシミュレーター", "メールボックス", "会員規約に同意する", "A-Pass作成", "マイページにログイン",
                  "パスワード再発行", "メールアドレス変更", "パスワード再設定用の連絡先", "ログイン中のメールアドレス",
                  "請求・お支払い（マイページ）"):
        assert label in html, label
    assert 'action="/admin/simulation/mypage/invoices/"' in html  # SIM-2: the member's invoices, pay online


def test_sim2_apply_read_the_mailbox_and_follow_the_link_with_its_form(browser, sandbox):
    refused = act(browser, "apply", email="hanako@example.jp")
    assert refused.status_code == 200 and "入会申請には会員規約への同意が必要です。" in refused.content.decode()
    assert not SentMail.objects.exists()
    response = act(browser, "apply", agree="on", email="Hanako@example.jp")
    assert response.status_code == 302 and "mailbox=hanako%40example.jp" in response["Location"]
    mail = SentMail.objects.get(kind="email_verification")
    box = browser.get(response["Location"]).content.decode()
    assert "メールアドレス認証のご連絡" in box and "有効期限" in box, box[box.find("mailbox"):][:3000]
    link_page = f"/admin/simulation/mypage/links/{mail.link.token}/"
    assert link_page in box
    form = browser.get(link_page).content.decode()
    for label in ("氏名", "フリガナ", "会員種別", "正会員"):
        assert label in form
    missing = browser.post(link_page, {"name_kana": "ヤマダ", "member_type": "regular"})
    assert missing.status_code == 200 and not Member.objects.exists()
    done = browser.post(link_page, {"name": "山田 花子", "name_kana": "ヤマダ ハナコ", "member_type": "regular"})
    assert done.status_code == 302
    member = Member.objects.get(email="hanako@example.jp")
    assert member.status_on(clock.today(sandbox)) == Status.APPLYING
    box = browser.get(done["Location"]).content.decode()
    assert "会員登録完了のお知らせ" in box and "使用済み" in box
    again = browser.post(link_page, {"name": "山田 花子", "member_type": "regular"})
    assert again.status_code == 200 and "このリンクは既に使用されています。" in again.content.decode()
    assert Member.objects.count() == 1


def test_sim2_apass_sign_in_links_password_reset_and_email_change(browser, sandbox):
    member = make_member(sandbox, sandbox.member_types.get(), status="active", email="taro@example.jp")
    created = act(browser, "apass", email="taro@example.jp", password="Secret-1", recovery_contact="")
    assert created.status_code == 302 and APass.objects.filter(email="taro@example.jp").exists()
    signed = act(browser, "sign_in", email="taro@example.jp", password="sECRET-1")
    page = browser.get(signed["Location"]).content.decode()
    assert "ログインできませんでした" in page
    signed = act(browser, "sign_in", email="taro@example.jp", password="Secret-1")
    page = browser.get(signed["Location"]).content.decode()
    assert "統合されています" in page
    member.refresh_from_db()
    assert member.apass_linked
    assert list(MyPageSignIn.objects.order_by("pk").values_list("reason", flat=True)) == ["password_caps_lock", "ok"]

    nothing = act(browser, "password_reset", email="stranger@example.jp")
    assert "メールは送信されませんでした" in browser.get(nothing["Location"]).content.decode()
    reset = act(browser, "password_reset", email="taro@example.jp")
    mail = SentMail.objects.get(kind="password_reset")
    browser.post(f"/admin/simulation/mypage/links/{mail.link.token}/", {"password": "Renewed-2"})
    assert act(browser, "sign_in", email="taro@example.jp", password="Renewed-2").status_code == 302
    assert MyPageSignIn.objects.order_by("-pk").first().reason == "ok"
    assert reset.status_code == 302

    wrong = act(browser, "email_change", session_email="taro@example.jp", password="nope", new_email="t2@example.jp")
    assert wrong.status_code == 200 and "メールアドレスまたはパスワードが正しくありません。" in wrong.content.decode()
    act(browser, "email_change", session_email="taro@example.jp", password="Renewed-2", new_email="t2@example.jp")
    mail = SentMail.objects.get(kind="email_change_confirm")
    link_page = f"/admin/simulation/mypage/links/{mail.link.token}/"
    refused = browser.post(link_page, {"session_email": "t2@example.jp"})
    assert "変更前のメールアドレスでログインした状態でクリックする必要があります" in refused.content.decode()
    browser.post(link_page, {"session_email": "taro@example.jp"})
    member.refresh_from_db()
    assert member.email == "t2@example.jp"
    for response_html in (refused.content.decode(), browser.get(PAGE).content.decode()):
        assert "Renewed-2" not in response_html and "Secret-1" not in response_html


def test_sim2_mailbox_query_count_is_pinned(browser, sandbox, django_assert_max_num_queries):
    for _ in range(5):
        act(browser, "apply", agree="on", email="hanako@example.jp")
    with django_assert_max_num_queries(12):
        page = browser.get(PAGE + "?mailbox=hanako@example.jp")
    assert page.content.decode().count('href="/admin/simulation/mypage/links/') == 5  # the bodies show the URLs too


def test_sim2_trainers_and_admins_of_a_sandbox_only(sandbox, society, admin_op):
    staff = Client()
    staff.force_login(OperatorFactory(society=sandbox, role="staff"))
    assert staff.get(PAGE).status_code == 403
    assert "マイページシミュレーター" not in staff.get("/admin/").content.decode()
    real = Client()
    real.force_login(admin_op)  # an administrator of a society that is no sandbox
    assert real.get(PAGE).status_code == 403
    assert real.get("/admin/simulation/mypage/links/abc/").status_code == 403
    admin = Client()
    admin.force_login(OperatorFactory(society=sandbox, role="admin"))
    assert admin.get(PAGE).status_code == 200
    assert admin.get("/admin/simulation/mypage/links/no-such-token/").status_code == 404
