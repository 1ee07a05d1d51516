"""BIL-1 and BIL-3 in Chromium: [請求情報作成] of an annual run, then [請求情報作成履歴] goes from 作成依頼中 to
完了 by itself — the page is never reloaded (the manual's 「自動では更新されません」 is not copied) — while a
django-tasks database worker runs the request; on the run's page the skip reasons show and [請求内容確定]
confirms every invoice. Screenshots go to var/screenshots/."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from billing.models import BillingRun, Invoice
from members.factories import create_member_with_history
from members.models import Status

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


def run_worker_once() -> threading.Thread:
    """A django-tasks database worker in a thread: runs what is queued, then stops."""
    from django_tasks.backends.database.management.commands.db_worker import Worker

    def work():
        try:
            Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                   max_tasks=None, worker_id="browser-test").run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_bil1_annual_run_goes_from_requested_to_done_without_a_reload_and_bil3_confirm(
        page, live_server, settings, staff_op, society, regular_type, student_type):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    for _ in range(3):
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    student = create_member_with_history(Status.ACTIVE, society=society, member_type=student_type, name="学生 太郎")
    sign_in(page, live_server, staff_op)

    page.goto(f"{live_server.url}/admin/billing/billingrun/add/")
    expect(page.locator("h1")).to_have_text("請求情報作成")
    page.fill("#id_name", "2026年度 年会費")
    page.select_option("#id_category", "annual")
    page.fill("#id_fiscal_year", "2026")
    page.fill("#id_allocation_start", "2026-04")
    page.fill("#id_due_date", "2026-06-30")
    page.get_by_label("学生会員(3,000円)").check()
    page.screenshot(path=str(SHOTS / "billing_run_01_form.png"), full_page=True)
    page.click("#billing-run-form input[type=submit]")

    run = BillingRun.objects.get()
    state = page.locator(f"#run-progress-{run.pk} .run-state")
    expect(state).to_have_text("作成依頼中")
    page.screenshot(path=str(SHOTS / "billing_run_02_requested.png"), full_page=True)
    page.evaluate("window.__notReloaded = true")

    worker = run_worker_once()
    expect(state).to_have_text("完了", timeout=20_000)
    worker.join(timeout=30)
    assert page.evaluate("window.__notReloaded === true")  # the same page, updated in place
    expect(page.locator(f"#run-progress-{run.pk} .run-counts")).to_contain_text("作成 3件 / 対象外 1件")
    page.screenshot(path=str(SHOTS / "billing_run_03_done.png"), full_page=True)

    page.click(f"a[href='/admin/billing/billingrun/{run.pk}/change/']")
    expect(page.locator("#run-skips")).to_contain_text("学生 太郎")
    expect(page.locator("#run-skips")).to_contain_text("対象外の会員種別")
    page.click("#run-confirm")
    expect(page.locator(".messagelist")).to_contain_text("3件の請求内容を確定しました")
    page.screenshot(path=str(SHOTS / "billing_run_04_confirmed.png"), full_page=True)
    assert Invoice.objects.filter(run=run, confirmed_at__isnull=False).count() == 3
    assert not Invoice.objects.filter(member=student).exists()

    # Issue 7: from the run to its invoices in [個人会員請求検索], an invoice's page, its 請求書 PDF and links.
    invoice = Invoice.objects.filter(run=run).order_by("number").first()
    page.click("text=この請求の一覧（個人会員請求検索）")
    expect(page.locator("h1")).to_have_text("個人会員請求検索")
    expect(page.locator("#result_list")).to_contain_text("10,000円")
    page.screenshot(path=str(SHOTS / "billing_run_05_invoice_search.png"), full_page=True)
    page.click(f"#result_list a[href^='/admin/billing/invoice/{invoice.pk}/change/']")
    expect(page.locator("#invoice-status")).to_have_text("未入金")
    expect(page.locator("#invoice-remind")).to_have_text("督促メール送信")
    expect(page.locator("#invoice-register-payment")).to_have_text("[入金情報登録]")
    page.screenshot(path=str(SHOTS / "billing_run_06_invoice.png"), full_page=True)
    pdf_url = page.get_attribute("#invoice-pdf", "href")
    response = page.request.get(f"{live_server.url}{pdf_url}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    (SHOTS / "billing_run_07_invoice.pdf").write_bytes(response.body())
    page.click("#invoice-register-payment")
    expect(page.locator("h1")).to_have_text("入金情報登録")
    expect(page.locator("#outstanding")).to_have_text("10,000円")
    page.screenshot(path=str(SHOTS / "billing_run_08_payment_register.png"), full_page=True)
