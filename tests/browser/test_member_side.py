"""Browser test of the member's side (APP-1, APS-3, MAIL-1/2, SIM-2) in Chromium, played by a trainer of a
training sandbox on the My Page simulator: apply → the mailbox → 「メールアドレス認証のご連絡」's link → the
application form (申請中, 会員登録完了のお知らせ) → A-Pass → sign in (linked); then the secretariat's side:
[個人会員検索] shows the 🔗 chain mark, [個人会員送信済みメール] the verification link 使用済み. Also a password reset
and an e-mail change whose confirmation link is opened signed in with the old e-mail. Screenshots in
var/screenshots/member_side_*.png."""

from __future__ import annotations

import pytest

from backoffice import clock
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from members.models import APass, Member, Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

EMAIL = "hanako@example.ac.jp"
PASSWORD = "Hana-Pass-2026"


@pytest.fixture
def sandbox(db):
    society = SocietyFactory(slug="training", name="研修用学会", is_sandbox=True)
    MemberTypeFactory(society=society, code="regular", name="正会員", annual_fee=10_000)
    return society


@pytest.fixture
def trainer_op(sandbox):
    return OperatorFactory(society=sandbox, role="trainer", email="trainer@training.example.jp")


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"member_side_{name}.png"), full_page=True)


def simulator(page, live_server):
    page.goto(f"{live_server.url}/admin/simulation/mypage/")


@pytest.mark.django_db(transaction=True)
def test_sim2_app1_aps3_from_application_to_the_chain_mark(page, live_server, sandbox, trainer_op):
    sign_in(page, live_server, trainer_op)
    # The first page of a sandbox links the simulator.
    page.get_by_role("link", name="マイページシミュレーター").first.click()
    expect(page.locator("h1")).to_contain_text("マイページシミュレーター")
    shot(page, "01_simulator")

    # 1. Apply: agree to the rules and give an e-mail → the mailbox of that address.
    apply = page.locator("#apply")
    apply.get_by_label("会員規約に同意する").check()
    apply.get_by_label("メールアドレス").fill(EMAIL)
    apply.locator("input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("メールアドレス認証のご連絡")
    mails = page.locator("#mailbox-mails")
    expect(mails).to_contain_text("メールアドレス認証のご連絡")
    expect(mails).to_contain_text("有効期限")
    shot(page, "02_mailbox_verification")

    # 2. Follow the link: the application form.
    mails.get_by_role("link", name="URLを開く").first.click()
    expect(page.locator("#content-main")).to_contain_text(EMAIL)
    shot(page, "03_link_application_form")
    page.get_by_label("氏名", exact=False).first.fill("山田 花子")
    page.get_by_label("フリガナ").fill("ヤマダ ハナコ")
    page.get_by_label("会員種別").select_option(label="正会員")
    page.locator("#content-main input[type=submit]").click()

    # 3. 申請中; the registration-complete mail is in the mailbox and the verification link is used.
    expect(page.locator(".messagelist")).to_contain_text("申請中")
    mails = page.locator("#mailbox-mails")
    expect(mails).to_contain_text("会員登録完了のお知らせ")
    expect(mails).to_contain_text("使用済み")
    shot(page, "04_mailbox_registered")
    member = Member.objects.get(society=sandbox, email=EMAIL)
    assert member.status_on(clock.today(sandbox)) == Status.APPLYING

    # 4. Create an A-Pass with that e-mail.
    simulator(page, live_server)
    section = page.locator("#apass")
    section.get_by_label("メールアドレス").fill(EMAIL)
    section.get_by_label("パスワード:", exact=True).fill(PASSWORD)
    section.locator("input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text(EMAIL)
    shot(page, "05_apass_created")
    assert PASSWORD not in page.content()

    # 5. Sign in: linked.
    section = page.locator("#sign_in")
    section.get_by_label("ログインID（メールアドレス）").fill(EMAIL)
    section.get_by_label("パスワード").fill(PASSWORD)
    section.locator("input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("統合")
    expect(page.locator(".messagelist")).to_be_in_viewport()  # the result is not scrolled away
    shot(page, "06_signed_in_linked")
    page.screenshot(path=str(SHOTS / "member_side_06_signed_in_viewport.png"))  # the window as the trainer sees it
    member.refresh_from_db()
    assert member.apass_id == APass.objects.get(email=EMAIL).pk

    # 6. The secretariat's side: [個人会員検索] with the chain mark …
    page.goto(f"{live_server.url}/admin/members/member/?q={EMAIL}")
    expect(page.locator("#result_list")).to_contain_text("🔗")
    expect(page.locator("#result_list")).to_contain_text("山田 花子")
    shot(page, "07_member_search_chain")
    # … and [個人会員送信済みメール] with the verification link 使用済み.
    page.goto(f"{live_server.url}/admin/mail/sentmail/?q={EMAIL}")
    expect(page.locator("#content h1")).to_have_text("個人会員送信済みメール")
    row = page.locator("#result_list tr", has_text="メールアドレス認証のご連絡")
    expect(row).to_contain_text("使用済み")
    shot(page, "08_sent_mails_used")


@pytest.mark.django_db(transaction=True)
def test_mail2_password_reset_and_email_change_on_the_simulator(page, live_server, sandbox, trainer_op):
    from members import services
    from members.factories import create_member_with_history

    create_member_with_history(Status.ACTIVE, society=sandbox, member_type=sandbox.member_types.get(),
                               name="山田 花子", email=EMAIL)
    services.apass_create(actor=trainer_op, society=sandbox, email=EMAIL, password=PASSWORD)
    assert services.mypage_sign_in(actor=trainer_op, society=sandbox, email=EMAIL, password=PASSWORD).linked
    sign_in(page, live_server, trainer_op)

    # Password reset: [パスワード再発行] → the mailbox → the link → a new password → sign in with it.
    simulator(page, live_server)
    page.locator("#password_reset").get_by_label("ログインID（メールアドレス）").fill(EMAIL)
    page.locator("#password_reset input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text(EMAIL)
    shot(page, "10_password_reset_mailbox")
    page.locator("#mailbox-mails").get_by_role("link", name="URLを開く").first.click()
    shot(page, "11_password_reset_link")
    page.get_by_label("新しいパスワード").fill("New-Pass-2026")
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text(EMAIL)
    shot(page, "12_password_reset_done")
    simulator(page, live_server)
    section = page.locator("#sign_in")
    section.get_by_label("ログインID（メールアドレス）").fill(EMAIL)
    section.get_by_label("パスワード").fill("New-Pass-2026")
    section.locator("input[type=submit]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    # E-mail change: the request → the new address's mailbox → the link, first signed in with the new address
    # (refused, link stays unused), then with the old one.
    new = "hanako.new@example.ac.jp"
    section = page.locator("#email_change")
    section.get_by_label("ログイン中のメールアドレス").fill(EMAIL)
    section.get_by_label("パスワード").fill("New-Pass-2026")
    section.get_by_label("新しいメールアドレス").fill(new)
    section.locator("input[type=submit]").click()
    expect(page.locator("#mailbox-mails")).to_contain_text("メールアドレス変更")
    shot(page, "13_email_change_mailbox")
    page.locator("#mailbox-mails").get_by_role("link", name="URLを開く").first.click()
    shot(page, "14_email_change_link")
    page.get_by_label("ログイン中のメールアドレス").fill(new)
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-session_email .errorlist")).to_contain_text("変更前のメールアドレスでログインした状態")
    expect(page.locator(".link-state")).to_contain_text("有効期限")  # the refused attempt left the link unused
    shot(page, "15_email_change_wrong_session")
    page.get_by_label("ログイン中のメールアドレス").fill(EMAIL)
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text(new)
    shot(page, "16_email_change_done")
    assert Member.objects.get(society=sandbox).email == new
