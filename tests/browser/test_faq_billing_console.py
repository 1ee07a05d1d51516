"""Seed 003's 「間違えて多く入金されました。」 from the support console in Chromium, clicking only (sign in, then links
and buttons): the member's [サポート案件] › the flow `faq-overpaid` › the case page shows the bank-check overpayment
from the record and the button 「ガイド付き手順: 過払い分を次年度の請求に入金」 › the procedure page, prefilled with the
overpaid invoice and the case › [プレビュー] lists ①…④ › [実行] › back to the case, whose 「実行した操作」 lists the run
(SUP-2, SUP-4). Screenshots: var/screenshots/faq_billing_*.png."""

from __future__ import annotations

import pytest

from billing.models import Invoice, InvoiceStatus
from members.models import Member
from simulator import scenarios
from support.models import CaseAction

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.fixture
def demo(society, regular_type, student_type, staff_op):
    scenarios.build(society, actor="system: test")  # 原田 真理: this year's fee overpaid by bank check
    return society


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"faq_billing_{name}.png"), full_page=True)


def test_sup4_overpaid_case_runs_its_guided_procedure_from_the_case_page(page, live_server, demo, staff_op):
    member = Member.objects.get(society=demo, name="原田 真理")
    overpaid = Invoice.objects.with_status().get(member=member, status=InvoiceStatus.OVERPAID)
    sign_in(page, live_server, staff_op)
    page.fill("#home-q", member.name)
    page.click("#home-search-individual")
    page.get_by_role("link", name="[会員情報変更]").first.click()
    page.click("#member-support-start-link")
    page.click("#start-faq-overpaid")
    expect(page.locator("#case-outcome")).to_have_attribute("data-code", "overpaid_bank_check")
    expect(page.locator("#case-facts")).to_contain_text(str(overpaid.number))
    expect(page.locator("#case-procedures")).to_contain_text("過払い分を次年度の請求に入金")
    shot(page, "1_case")
    page.click("#procedure-overpayment_to_next_year")
    expect(page.locator("#procedure-subject")).to_contain_text(str(overpaid.number))
    expect(page.locator("#procedure-case")).to_be_visible()
    page.click("#procedure-preview")
    steps = page.locator("#procedure-steps")
    for label in ("①入金履歴削除", "②当年度の請求に入金情報登録", "③次年度の請求作成", "④過払い分の入金情報登録"):
        expect(steps).to_contain_text(label)
    shot(page, "2_preview")
    assert Invoice.objects.with_status().get(pk=overpaid.pk).status == InvoiceStatus.OVERPAID  # nothing changed
    page.click("#procedure-run")
    expect(page.locator("#procedure-done")).to_be_visible()
    assert Invoice.objects.with_status().get(pk=overpaid.pk).status == InvoiceStatus.PAID
    assert Invoice.objects.filter(member=member, fiscal_year=overpaid.fiscal_year + 1).exists()
    page.locator("#procedure-case a").click()
    expect(page.locator("#case-actions-taken")).to_contain_text("procedure")
    shot(page, "3_case_after_run")
    record = CaseAction.objects.get(case__member=member)
    assert record.action == "procedure" and record.ok
