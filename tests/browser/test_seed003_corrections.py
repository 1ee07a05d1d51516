"""Seed 003's corrections (請求に関すること / 入金に関すること) done by hand in Chromium, clicking only — sign in, then
links and buttons; no typed URL — as staff of a society holding the billing scenarios (SIM-3), as a trainer demoing
the manual would (issue 12, "Done when"):

(a) 正会員で年会費請求した後に…学生会員のままであることが分かりました【入金後の場合】
    ①入金履歴削除 → ②請求取消 → ③会員種別変更 → ④請求作成 → ⑤入金情報登録
(b) 間違えて多く入金されました, with its online method (バンクチェック, the 過入金 scenario)
    ①入金履歴削除 → ②当年度の請求に入金情報登録 → ③次年度の請求作成 → ④過払い分の入金情報登録
    (備考欄: the settlement number and a work memo)
(c) 次年度からの入会希望者に対して、誤って当年度の請求を作成してしまいました【入金前の場合】
    ①請求取消 → ②次年度の請求作成

Each step asserts on the records and on the page; screenshots go to var/screenshots/seed003_*.png."""

from __future__ import annotations

import pytest

from billing import selectors
from billing.models import BillingRun, Invoice, InvoiceStatus, Payment
from members.models import Member
from simulator import scenarios

from .conftest import CHROMIUM, SHOTS, expect, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


@pytest.fixture
def demo(society, regular_type, student_type, staff_op):
    """The fixtures' society with the billing scenarios the demo holds (岡田 和也 paid, 原田 真理 overpaid by bank
    check, 松田 恵 unpaid, …)."""
    scenarios.build(society, actor="system: test")
    return society


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"seed003_{name}.png"), full_page=True)


def status_of(invoice) -> str:
    return Invoice.objects.with_status().get(pk=invoice.pk).status


def go_home(page) -> None:
    """The header's link back to the first page (事務局メニュー)."""
    page.locator("#site-name a").click()
    expect(page.locator("#home-q")).to_be_visible()


def open_member(page, name: str) -> None:
    """事務局メニュー (the first page) › search › [会員情報変更] of the member."""
    go_home(page)
    page.fill("#home-q", name)
    page.click("#home-search-individual")
    page.get_by_role("link", name="[会員情報変更]").first.click()
    expect(page.locator("h1")).to_contain_text("会員情報変更")


def open_invoice(page, member_name: str, invoice) -> None:
    """[会員情報変更] › この会員の請求 › the invoice's 請求番号 › the invoice's page."""
    open_member(page, member_name)
    page.click("#member-invoices-link")
    page.locator("#result_list").get_by_role("link", name=str(invoice.number), exact=True).click()
    expect(page.locator("#invoice-summary")).to_be_visible()


def delete_payment(page, reason: str, *, status_after: str) -> None:
    """On an invoice's page: [入金履歴] › [入金履歴削除] › the page says what changes › 削除理由 › [入金履歴削除]."""
    page.click("#invoice-payments")
    page.get_by_role("link", name="[入金履歴削除]").first.click()
    expect(page.locator("h1")).to_have_text("入金履歴削除")
    expect(page.locator("#delete-status-after")).to_have_text(status_after)
    page.fill("textarea[name=reason]", reason)


def cancel_invoice(page, invoice) -> None:
    """On an invoice's page: [請求取消] › the confirmation page (what will change) › [確定]."""
    page.click("#invoice-cancel")
    expect(page.locator("#cancel-irreversible")).to_contain_text("元に戻せません")
    expect(page.locator("#cancel-invoices")).to_contain_text(str(invoice.number))
    expect(page.locator("#cancel-invoices")).to_contain_text(invoice.name)


def add_invoice(page, member, *, name: str, fiscal_year: int, amount: int) -> Invoice:
    """[個人会員請求検索] › 追加: one invoice for the member, then its page and [請求内容確定]."""
    go_home(page)
    page.locator("#home-shortcuts").get_by_role("link", name="個人会員請求検索").click()
    page.locator(".object-tools a.addlink").click()
    page.locator("#id_member + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill(member.name.split()[0])
    page.locator(".select2-results__option", has_text=member.name).first.click()
    page.fill("#id_name", name)
    page.select_option("#id_category", "annual")
    page.fill("#id_fiscal_year", str(fiscal_year))
    page.fill("#id_amount", str(amount))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    created = Invoice.objects.get(member=member, fiscal_year=fiscal_year, cancelled_at__isnull=True)
    page.locator("#result_list").get_by_role("link", name=str(created.number), exact=True).click()
    page.click("#invoice-confirm")
    expect(page.locator(".messagelist")).to_contain_text("確定")
    created.refresh_from_db()
    return created


def register_payment(page, *, amount: int, method: str, remarks: str, settlement_number: str = "") -> None:
    """On an invoice's page: [入金情報登録] › the form › [登録]."""
    page.click("#invoice-register-payment")
    page.fill("#id_amount", str(amount))
    page.select_option("#id_method", method)
    page.fill("#id_settlement_number", settlement_number)
    page.fill("#id_remarks", remarks)
    page.locator("#payment-register input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("領収書番号")


@pytest.mark.django_db(transaction=True)
def test_seed003_regular_to_student_after_payment_by_clicking(page, live_server, demo, staff_op, student_type):
    """(a) ①入金履歴削除 → ②請求取消 → ③会員種別変更 → ④請求作成 (a run for the selection) → ⑤入金情報登録."""
    member = Member.objects.get(society=demo, scenario__key="paid")
    year = selectors.current_fiscal_year(demo)
    invoice = Invoice.objects.get(member=member, fiscal_year=year)
    paid = Payment.objects.get(invoice=invoice, deleted_at__isnull=True)
    sign_in(page, live_server, staff_op)

    open_invoice(page, member.name, invoice)  # ① 入金履歴削除
    delete_payment(page, "学生会員のため請求を取消して再作成", status_after="未入金")
    shot(page, "a1_delete_payment")
    page.locator("#payment-delete input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("入金履歴を削除しました")
    paid.refresh_from_db()
    assert paid.deleted and paid.deleted_reason == "学生会員のため請求を取消して再作成"

    page.get_by_role("link", name=f"{invoice.number} {invoice.name}").first.click()  # ② 請求取消
    page.click("#register-invoice-link")
    cancel_invoice(page, invoice)
    shot(page, "a2_cancel_confirmation")
    assert status_of(invoice) == InvoiceStatus.UNPAID  # nothing happens before [確定]
    page.click("#cancel-confirm-submit")
    expect(page.locator(".messagelist")).to_contain_text("取消しました")
    assert status_of(invoice) == InvoiceStatus.CANCELLED

    open_member(page, member.name)  # ③ 会員種別変更
    page.locator("#id_member_type + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("学生")
    page.locator(".select2-results__option", has_text="学生会員").click()
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    member.refresh_from_db()
    assert member.member_type_id == student_type.pk
    shot(page, "a3_member_type_changed")

    go_home(page)  # ④ 請求作成: a run for the selection
    page.fill("#home-q", member.name)
    page.click("#home-search-individual")
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "bill_selected_members")
    page.locator("button[name=index]").first.click()
    expect(page.locator("h1")).to_have_text("請求情報作成")
    expect(page.locator("#id_name")).to_have_value(f"{year}年度 年会費")
    shot(page, "a4_run_for_the_selection")
    page.click("#billing-run-form input[type=submit]")
    run = BillingRun.objects.order_by("-pk").first()
    expect(page.locator(f"#run-progress-{run.pk} .run-state")).to_have_text("完了", timeout=20_000)
    page.click(f"a[href='/admin/billing/billingrun/{run.pk}/change/']")
    page.click("#run-confirm")
    expect(page.locator(".messagelist")).to_contain_text("1件の請求内容を確定しました")
    rebilled = Invoice.objects.get(run=run)
    assert (rebilled.member_id, rebilled.amount, rebilled.fiscal_year) == (member.pk, 3_000, year)
    assert rebilled.confirmed

    page.click("#run-invoices")  # ⑤ 入金情報登録
    page.locator("#result_list").get_by_role("link", name=str(rebilled.number), exact=True).click()
    register_payment(page, amount=3_000, method="bank_transfer",
                     remarks=f"領収書番号{paid.receipt_number}の入金履歴を削除、学生会員の年会費として再登録")
    assert status_of(rebilled) == InvoiceStatus.PAID
    expect(page.locator("#invoice-status")).to_have_text("入金済")
    shot(page, "a5_payment_registered")


@pytest.mark.django_db(transaction=True)
def test_seed003_overpaid_by_bank_check_moved_to_next_year_by_clicking(page, live_server, demo, staff_op):
    """(b) 間違えて多く入金されました with its online method: ①入金履歴削除 → ②当年度の請求に入金情報登録 (bank check,
    備考 = the settlement number and a memo) → ③次年度の請求作成 → ④過払い分の入金情報登録."""
    member = Member.objects.get(society=demo, scenario__key="overpaid")
    year = selectors.current_fiscal_year(demo)
    invoice = Invoice.objects.get(member=member, fiscal_year=year)
    overpaid = Payment.objects.get(invoice=invoice, deleted_at__isnull=True)
    assert status_of(invoice) == InvoiceStatus.OVERPAID and overpaid.method == "bank_check"
    number, excess = overpaid.settlement_number, overpaid.amount - invoice.amount
    assert number and excess == 2_000
    memo = f"{number} 間違えて多く入金されたため振り分け"
    sign_in(page, live_server, staff_op)

    open_invoice(page, member.name, invoice)  # ①
    expect(page.locator("#invoice-status")).to_have_text("過入金")
    delete_payment(page, "間違えて多く入金されました", status_after="未入金")
    page.locator("#payment-delete input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("入金履歴を削除しました")
    assert Payment.objects.get(pk=overpaid.pk).deleted

    page.get_by_role("link", name=f"{invoice.number} {invoice.name}").first.click()  # ② the current year
    page.fill("#id_amount", str(invoice.amount))
    page.select_option("#id_method", "bank_check")
    page.fill("#id_remarks", "メモだけ")  # without the settlement number: refused under 備考, saying why
    page.locator("#payment-register input[type=submit]").click()
    expect(page.locator(".field-remarks .errorlist")).to_contain_text(f"この会員の決済番号: {number}")
    shot(page, "b2_pay3_refusal_under_remarks")
    page.fill("#id_settlement_number", number)
    page.fill("#id_remarks", memo)
    page.locator("#payment-register input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("領収書番号")
    again = Payment.objects.get(invoice=invoice, deleted_at__isnull=True)
    assert (again.amount, again.method, again.settlement_number, again.remarks) == (
        invoice.amount, "bank_check", number, memo)
    assert status_of(invoice) == InvoiceStatus.PAID
    shot(page, "b2_current_year_registered")

    following = add_invoice(page, member, name=f"{year + 1}年度 年会費", fiscal_year=year + 1,  # ③
                            amount=invoice.amount)
    assert following.confirmed

    register_payment(page, amount=excess, method="bank_check", settlement_number=number, remarks=memo)  # ④
    rest = Payment.objects.get(invoice=following, deleted_at__isnull=True)
    assert (rest.amount, rest.settlement_number) == (excess, number)
    assert status_of(following) == InvoiceStatus.PARTIALLY_PAID
    expect(page.locator("#invoice-status")).to_have_text("一部入金")
    shot(page, "b4_excess_on_next_year")


@pytest.mark.django_db(transaction=True)
def test_seed003_next_year_member_before_payment_by_clicking(page, live_server, demo, staff_op):
    """(c) 次年度入会 【入金前の場合】: ①請求取消 → ②次年度の請求作成."""
    member = Member.objects.get(society=demo, scenario__key="unpaid")
    year = selectors.current_fiscal_year(demo)
    invoice = Invoice.objects.get(member=member, fiscal_year=year)
    assert status_of(invoice) == InvoiceStatus.UNPAID
    sign_in(page, live_server, staff_op)

    open_invoice(page, member.name, invoice)  # ①
    cancel_invoice(page, invoice)
    expect(page.locator("#cancel-invoices")).to_contain_text("10,000円")
    shot(page, "c1_cancel_confirmation")
    assert status_of(invoice) == InvoiceStatus.UNPAID  # nothing happens before [確定]
    page.click("#cancel-confirm-submit")
    expect(page.locator(".messagelist")).to_contain_text("取消しました")
    assert status_of(invoice) == InvoiceStatus.CANCELLED

    following = add_invoice(page, member, name=f"{year + 1}年度 年会費", fiscal_year=year + 1, amount=10_000)  # ②
    assert (following.member_id, following.fiscal_year, following.confirmed) == (member.pk, year + 1, True)
    expect(page.locator("#invoice-status")).to_have_text("未入金")
    shot(page, "c2_next_year_invoice")
