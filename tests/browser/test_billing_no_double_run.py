"""Issue 12 point 2 in Chromium, by clicking only: the manual's 次年度の請求作成 for one member (a run for a
[個人会員検索] selection), then the society's full annual run of that year from [請求情報作成履歴] › 請求情報作成 —
the member is not billed again: the run's page lists them among the members not billed with
「同じ請求区分・年度の請求が既にあります（請求番号 …）」 (API.md, Clarifications "Who bills whom").
Screenshot: var/screenshots/run_already_billed.png."""

from __future__ import annotations

import pytest

from billing.models import BillingRun, Invoice
from members.factories import create_member_with_history
from members.models import Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in
from .test_billing_run import run_worker_once

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


def fill_run_form(page, *, name: str, year: int) -> None:
    page.fill("#id_name", name)
    page.select_option("#id_category", "annual")
    page.fill("#id_fiscal_year", str(year))
    page.fill("#id_allocation_start", f"{year}-04")
    page.fill("#id_due_date", f"{year}-06-30")


@pytest.mark.django_db(transaction=True)
def test_issue12_2_full_annual_run_after_a_next_year_invoice_skips_the_member_with_the_reason(
        page, live_server, settings, staff_op, society, regular_type):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    early = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name="先行 請求子",
                                       name_kana="センコウ セイキュウコ")
    others = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type) for _ in range(2)]
    year = 2027
    sign_in(page, live_server, staff_op)

    # 次年度の請求作成 for one member: [個人会員検索] › search › select › 操作 「請求情報作成」
    page.get_by_role("link", name="個人会員検索").first.click()
    page.fill("#searchbar", "先行")
    page.locator("#changelist-search input[type=submit]").click()
    page.locator(f"input[name=_selected_action][value='{early.pk}']").check()
    page.select_option("select[name=action]", label="請求情報作成")
    page.locator("button[name=index]").click()
    expect(page.locator("h1")).to_have_text("請求情報作成")
    fill_run_form(page, name=f"{year}年度 年会費", year=year)
    page.click("#billing-run-form input[type=submit]")
    selection = BillingRun.objects.get()
    worker = run_worker_once()
    expect(page.locator(f"#run-progress-{selection.pk} .run-state")).to_have_text("完了", timeout=20_000)
    worker.join(timeout=30)
    first = Invoice.objects.get(run=selection, member=early)

    # the society's full annual run of the same year: [請求情報作成履歴] › 請求情報作成
    page.get_by_role("link", name="請求情報作成", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("請求情報作成")
    fill_run_form(page, name=f"{year}年度 年会費", year=year)
    page.click("#billing-run-form input[type=submit]")
    full = BillingRun.objects.exclude(pk=selection.pk).get()
    worker = run_worker_once()
    expect(page.locator(f"#run-progress-{full.pk} .run-state")).to_have_text("完了", timeout=20_000)
    worker.join(timeout=30)
    expect(page.locator(f"#run-progress-{full.pk} .run-counts")).to_contain_text("作成 2件 / 対象外 1件")

    page.click(f"a[href='/admin/billing/billingrun/{full.pk}/change/']")
    row = page.locator("#run-skips tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("先行 請求子")
    expect(row).to_contain_text(f"同じ請求区分・年度の請求が既にあります（請求番号 {first.number}）")
    page.screenshot(path=str(SHOTS / "run_already_billed.png"), full_page=True)
    assert sorted(Invoice.objects.filter(run=full).values_list("member_id", flat=True)) == sorted(
        m.pk for m in others)
    assert Invoice.objects.filter(member=early, fiscal_year=year, cancelled_at__isnull=True).count() == 1

    # the reason links to the invoice the member already has
    row.locator("a.skip-invoice").click()
    page.wait_for_url(f"{live_server.url}/admin/billing/invoice/{first.pk}/change/")
    expect(page.locator("#invoice-status")).to_have_text("未入金")
