"""Browser tests of the operator sign-in (SOC-4, SOC-6, SEC-6) and of the password reset by mail (issue 16 §1,
seed 001 原因④) in Chromium: each starts from one typed address (a sign-in page) and then clicks; screenshots in
var/screenshots/."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mail.models import SentMail

from .conftest import CHROMIUM, SHOTS, expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

PASSWORD = "password-123"


def fill_sign_in(page, email, password=PASSWORD, otp=None):
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    if otp is not None:
        page.fill("input[name=otp]", otp)
    page.click("#login-form input[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_soc4_an_operator_at_another_societys_page_is_told_which_page_is_theirs(page, live_server, staff_op,
                                                                                 other_society):
    page.goto(f"{live_server.url}/office/{other_society.slug}/login/")
    expect(page.locator("#login-page-society")).to_contain_text(other_society.name)
    fill_sign_in(page, staff_op.email)
    expect(page.locator(".errornote")).to_contain_text("このログインページは別の学会のものです。")
    expect(page.locator(".errornote")).to_contain_text(f"/office/{staff_op.society.slug}/login/")  # theirs
    assert page.url.endswith(f"/office/{other_society.slug}/login/")  # not signed in
    page.screenshot(path=str(SHOTS / "soc4_other_society_page.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_soc6_a_second_sign_in_in_the_same_browser_ends_the_first(page, live_server, staff_op, admin_op):
    page.goto(f"{live_server.url}/office/jsbo/login/")
    fill_sign_in(page, staff_op.email)
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.locator("#user-tools")).to_contain_text(staff_op.name or staff_op.email)
    # the same browser, another tab: its first page is the society's sign-in page
    second = page.context.new_page()
    second.goto(f"{live_server.url}/office/jsbo/login/")
    fill_sign_in(second, admin_op.email)
    second.wait_for_url(f"{live_server.url}/admin/")
    expect(second.locator(".messagelist")).to_contain_text(
        f"このブラウザでログインしていた {staff_op.email} のログインを終了しました")
    second.screenshot(path=str(SHOTS / "soc6_second_sign_in.png"), full_page=True)
    page.reload()  # the first tab now holds the second account: the first sign-in has ended
    expect(page.locator("#user-tools")).to_contain_text(admin_op.name or admin_op.email)
    expect(page.locator("#user-tools")).not_to_contain_text(staff_op.name or staff_op.email)


def _code(operator, drift=0) -> str:
    device = TOTPDevice.objects.filter(user=operator).order_by("-pk").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


@pytest.mark.django_db(transaction=True)
def test_sec6_an_admin_enrols_an_authenticator_signs_out_and_signs_in_with_the_code(page, live_server, admin_op):
    page.goto(f"{live_server.url}/office/jsbo/login/")
    fill_sign_in(page, admin_op.email)
    page.wait_for_url(f"{live_server.url}/admin/")
    page.locator("#user-two-step").click()
    page.get_by_role("button", name="認証アプリを登録する").click()
    expect(page.locator("#two-step-qr svg")).to_be_visible()
    key = page.locator("#two-step-key").inner_text()
    assert key and TOTPDevice.objects.get(user=admin_op, confirmed=False).key == key  # the key shown is the device's
    page.screenshot(path=str(SHOTS / "sec6_1_qr.png"), full_page=True)
    page.fill("#two-step-otp", _code(admin_op))
    page.click("#two-step-confirm")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.screenshot(path=str(SHOTS / "sec6_2_recovery_codes.png"), full_page=True)
    page.click("#logout-form button")
    page.get_by_role("link", name=re.compile("ログイン")).first.click()  # the signed-out page's way back in
    page.wait_for_url(re.compile(r"/login/"))
    # without the code: refused, asking for it
    page.fill("input[name=society]", "jsbo")
    fill_sign_in(page, admin_op.email)
    expect(page.locator(".errornote")).to_contain_text("確認コード")
    page.screenshot(path=str(SHOTS / "sec6_3_code_asked.png"), full_page=True)
    page.fill("input[name=society]", "jsbo")
    fill_sign_in(page, admin_op.email, otp=_code(admin_op, drift=1))  # a later code: the first is never taken twice
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.locator("#user-tools")).to_contain_text(admin_op.name or admin_op.email)
    page.screenshot(path=str(SHOTS / "sec6_4_signed_in.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_seed001_cause4_password_reset_by_mail_then_sign_in_with_the_new_password(page, live_server, staff_op):
    page.goto(f"{live_server.url}/office/jsbo/login/")
    page.get_by_role("link", name="パスワードをお忘れですか?").click()
    page.fill("input[name=email]", staff_op.email)
    page.screenshot(path=str(SHOTS / "pwreset_1_request.png"), full_page=True)
    page.get_by_role("button", name="メールを送信する").click()
    expect(page.locator("#password-reset-message")).to_contain_text("メールでお送りしました")
    page.screenshot(path=str(SHOTS / "pwreset_2_requested.png"), full_page=True)
    sent = SentMail.objects.get(to=staff_op.email)
    assert sent.kind == "password_reset" and sent.status == "sent"
    link = re.search(r"https?://\S+/password-reset/[A-Za-z0-9_-]+/", sent.body).group(0)
    assert link.startswith(live_server.url)  # the mail links to the host the request came to
    page.goto(link)  # the operator opens the link in the mail
    page.fill("input[name=new_password1]", "short")
    page.fill("input[name=new_password2]", "short")
    page.get_by_role("button", name="パスワードを変更する").click()
    expect(page.locator("#content-main")).to_contain_text("短すぎ")
    page.fill("input[name=new_password1]", "Kaiin-Kanri-2026")
    page.fill("input[name=new_password2]", "Kaiin-Kanri-2026")
    page.screenshot(path=str(SHOTS / "pwreset_3_new_password.png"), full_page=True)
    page.get_by_role("button", name="パスワードを変更する").click()
    page.wait_for_url(f"{live_server.url}/office/jsbo/login/")
    expect(page.locator(".messagelist")).to_contain_text("新しいパスワードでログインしてください。")
    page.screenshot(path=str(SHOTS / "pwreset_4_done.png"), full_page=True)
    fill_sign_in(page, staff_op.email)  # the old password no longer works
    expect(page.locator(".errornote")).to_contain_text("ログイン情報が登録されていません")
    fill_sign_in(page, staff_op.email, "Kaiin-Kanri-2026")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.screenshot(path=str(SHOTS / "pwreset_5_signed_in.png"), full_page=True)
