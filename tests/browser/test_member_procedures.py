"""Browser tests: the manuals' procedures clicked through in Debian's Chromium (Playwright), with screenshots
saved under var/screenshots/. Skipped where no chromium is on PATH (CI installs it)."""

from __future__ import annotations

import datetime

import pytest

from members.models import Status
from members.factories import create_member_with_history

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.mark.django_db(transaction=True)
def test_mem4_readmission_from_individual_member_search(page, live_server, staff_op, regular_type, society):
    """Seed 000, 2-2: search the member on [個人会員検索], open [会員状況変更] from the 操作 column and change the
    status to 申請中."""
    member = create_member_with_history(Status.WITHDRAWN, society=society, member_type=regular_type,
                                        name="鈴木 一郎", name_kana="スズキ イチロウ", email="ichiro@example.ac.jp",
                                        applied_on=datetime.date(2023, 4, 1))
    sign_in(page, live_server, staff_op)
    page.goto(f"{live_server.url}/admin/members/member/")
    assert "個人会員検索" in page.title()
    page.fill("#searchbar", "すずき")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q=*")
    page.get_by_role("link", name="[会員状況変更]").click()
    expect(page.locator("#current-status")).to_be_visible()
    page.screenshot(path=str(SHOTS / "mem4_status_page.png"), full_page=True)
    assert page.locator("#current-status").inner_text() == "退会"
    page.select_option("#id_add-status", "applying")
    page.fill("#id_add-effective_date", "2026-11-21")
    page.get_by_role("button", name="登録").first.click()
    expect(page.locator(".messagelist")).to_contain_text("会員状況を登録しました。")
    assert member.statuses.order_by("-effective_date").first().status == Status.APPLYING
    page.screenshot(path=str(SHOTS / "mem4_readmitted.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_num2_assign_member_numbers_screen(page, live_server, staff_op, regular_type, society):
    """Seed 003: [会員番号採番] refuses a listed member left without a number, then numbers everyone."""
    first = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    second = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    sign_in(page, live_server, staff_op)
    page.goto(f"{live_server.url}/admin/members/member/")
    page.locator("#content-main").get_by_role("link", name="会員番号採番").click()  # the list's button, not the side menu
    expect(page.locator("#numbers-form")).to_be_visible()
    page.fill(f"input[name=number_{second.pk}]", "")
    page.get_by_role("button", name="採番").click()
    expect(page.locator(".messagelist")).to_contain_text("抜けのないように会員番号を採番してください")
    page.screenshot(path=str(SHOTS / "num2_gap_refused.png"), full_page=True)
    page.fill(f"input[name=number_{second.pk}]", "000002")
    page.get_by_role("button", name="採番").click()
    expect(page.locator(".messagelist")).to_contain_text("2件の会員に会員番号を採番しました。")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.member_number, second.member_number) == ("000001", "000002")
