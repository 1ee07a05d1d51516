"""Browser test of APS-4: the manual's five steps of ログイン情報の統合解除 in Chromium, screenshots in var/screenshots/."""

from __future__ import annotations

import pytest

from members import services
from members.factories import create_member_with_history
from members.models import Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.mark.django_db(transaction=True)
def test_aps4_unlink_in_five_steps(page, live_server, staff_op, regular_type, society):
    member = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name="山田 太郎",
                                        email="yamada@example.ac.jp")
    services.apass_create(actor=staff_op, society=society, email="yamada@example.ac.jp", password="Pass-1234")
    services.mypage_sign_in(actor=staff_op, society=society, email="yamada@example.ac.jp", password="pASS-1234")
    assert services.mypage_sign_in(actor=staff_op, society=society, email="yamada@example.ac.jp",
                                   password="Pass-1234").linked

    sign_in(page, live_server, staff_op)
    # 1. [会員情報変更] of the linked member: the link text.
    page.goto(f"{live_server.url}/admin/members/member/{member.pk}/change/")
    expect(page.locator("#apass-section")).to_contain_text("パスワードはセキュリティ上閲覧できないようになっています。")
    expect(page.locator("#mypage-sign-ins")).to_contain_text("パスワード誤り（Caps Lock）")
    expect(page.locator("#apass-section")).to_contain_text("パスワード再設定用の連絡先: 登録なし")  # F, not E
    page.screenshot(path=str(SHOTS / "aps4_1_member_change.png"), full_page=True)
    page.get_by_text("会員がA-Passを使ってログインできなくなった場合は、設定を解除して新しいメールアドレスを設定してください。").click()
    # 2. [ログイン情報統合解除後に使用するメールアドレス]
    page.get_by_label("ログイン情報統合解除後に使用するメールアドレス").fill("yamada.new@example.ac.jp")
    page.screenshot(path=str(SHOTS / "aps4_2_new_email.png"), full_page=True)
    # 3. [ログイン情報統合解除]
    page.get_by_role("button", name="ログイン情報統合解除").click()
    # 4. the checkbox and [確定]; refused without the checkbox first.
    page.get_by_role("button", name="確定").click()
    expect(page.locator("#content-main")).to_contain_text("「会員のログイン情報の統合を解除します」にチェックを入れてください。")
    page.get_by_label("会員のログイン情報の統合を解除します").check()
    page.screenshot(path=str(SHOTS / "aps4_4_confirm.png"), full_page=True)
    page.get_by_role("button", name="確定").click()
    # 5. done: the message, the new e-mail, no chain; 履歴 shows the unlink.
    expect(page.locator(".messagelist")).to_contain_text("ログイン情報の統合を解除し、新しいメールアドレスを設定しました。")
    expect(page.locator("#id_email")).to_have_value("yamada.new@example.ac.jp")
    # issue 12 point 6: the sign-ins made before the unlink stay, marked with the A-Pass they were made with
    failed = page.locator("#mypage-sign-ins tr", has_text="パスワード誤り（Caps Lock）")
    expect(failed.locator(".sign-in-apass")).to_have_text("yamada@example.ac.jp")
    page.screenshot(path=str(SHOTS / "aps4_5_done.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/members/member/{member.pk}/history/")
    expect(page.locator("#content-main")).to_contain_text("ログイン情報統合解除")
    page.screenshot(path=str(SHOTS / "aps4_5_history.png"), full_page=True)
