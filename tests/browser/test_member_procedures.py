"""Browser tests: the manuals' procedures clicked through in Debian's Chromium (Playwright), with screenshots
saved under var/screenshots/. Skipped where no chromium is on PATH (CI installs it)."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest

from members.models import Status
from members.factories import create_member_with_history

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()
    # The test's ORM calls ran while Playwright's greenlets were active; close what they opened so that
    # PostgreSQL can drop the test database at the end.
    from django.db import connections

    connections.close_all()


def sign_in(page, live_server, operator):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=society]", operator.society.slug)
    page.fill("input[name=username]", operator.email)
    page.fill("input[name=password]", "password-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


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
    page.get_by_role("link", name="会員番号採番").click()
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
