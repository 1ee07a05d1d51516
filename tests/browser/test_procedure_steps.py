"""Browser tests (SUP-4, PAY-5; issue 14 §1 points 1 and 2): the guided procedure page's step-by-step mode and
「複数年度をまとめた請求作成」 from [個人会員請求検索], clicked through in Chromium; screenshots under var/screenshots/."""

from __future__ import annotations

import datetime

import pytest

from backoffice import clock
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Invoice
from billing.selectors import current_fiscal_year
from members.factories import MemberFactory

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.mark.django_db(transaction=True)
def test_sup4_step_by_step_from_the_invoice_page_then_confirm(page, live_server, staff_op, regular_type,
                                                               student_type, society):
    member = MemberFactory(society=society, member_type=regular_type, name="山田 太郎")
    inv = InvoiceFactory(member=member, fiscal_year=current_fiscal_year(society), amount=10_000)
    PaymentFactory(invoice=inv, amount=3_000, paid_on=clock.today(society) - datetime.timedelta(days=3))
    sign_in(page, live_server, staff_op)
    page.goto(f"{live_server.url}/admin/billing/invoice/{inv.pk}/change/")
    page.get_by_role("link", name="ガイド付き手順: 会員種別の修正(請求の再作成)").click()
    page.select_option("#param-member_type", str(student_type.pk))
    page.get_by_role("button", name="1手順ずつ確認").click()
    for k in range(1, 5):
        expect(page.locator("#procedure-step-count")).to_contain_text(f"手順{k}／5")
        if k == 3:
            page.screenshot(path=str(SHOTS / "sup4_step_3_of_5.png"), full_page=True)
        page.get_by_role("button", name="次の手順へ").click()
    expect(page.locator("#procedure-step-count")).to_contain_text("手順5／5")
    page.get_by_role("button", name="戻る").click()
    expect(page.locator("#procedure-step-count")).to_contain_text("手順4／5")
    page.get_by_role("button", name="次の手順へ").click()
    assert Invoice.objects.filter(cancelled_at__isnull=False).count() == 0  # nothing written while stepping
    page.get_by_role("button", name="確定").click()
    expect(page.locator("#procedure-done")).to_be_visible()
    page.screenshot(path=str(SHOTS / "sup4_step_by_step_done.png"), full_page=True)
    member.refresh_from_db()
    assert member.member_type_id == student_type.pk
    assert Invoice.objects.get(pk=inv.pk).cancelled_at is not None


@pytest.mark.django_db(transaction=True)
def test_pay5_combine_invoices_from_invoice_search(page, live_server, staff_op, regular_type, society):
    member = MemberFactory(society=society, member_type=regular_type, name="山田 太郎")
    fy = current_fiscal_year(society)
    old = InvoiceFactory(member=member, fiscal_year=fy - 1, amount=10_000, name=f"{fy - 1}年度 年会費")
    new = InvoiceFactory(member=member, fiscal_year=fy, amount=10_000, name=f"{fy}年度 年会費")
    sign_in(page, live_server, staff_op)
    page.goto(f"{live_server.url}/admin/billing/invoice/?member={member.pk}")
    for inv in (old, new):
        page.check(f"input[name=_selected_action][value='{inv.pk}']")
    page.select_option("select[name=action]", "combine_invoices")
    page.get_by_role("button", name="実行").first.click()
    expect(page.locator("#procedure-steps")).to_contain_text("②複数年度を1つにまとめた請求作成")
    expect(page.locator("#procedure-steps")).to_contain_text(f"{fy - 1}・{fy}年度 年会費")
    page.screenshot(path=str(SHOTS / "pay5_combine_preview.png"), full_page=True)
    page.get_by_role("button", name="まとめて実行").click()
    expect(page.locator("#procedure-done")).to_be_visible()
    combined = Invoice.objects.with_status().get(member=member, cancelled_at__isnull=True)
    assert (combined.name, combined.total) == (f"{fy - 1}・{fy}年度 年会費", 20_000)
