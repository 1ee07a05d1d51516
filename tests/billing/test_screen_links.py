"""Issue 7: the billing screens joined up — the first page's shortcuts in seed 003's order, an invoice's page →
[入金情報登録] / [入金履歴] / 請求書PDF / 督促メール送信 (BIL-12), a member's [会員情報変更] → their invoices,
[入金履歴], [会員別請求・入金情報ダウンロード] (BIL-9) and the split form (PAY-4), [入金履歴] → 領収書PDF (BIL-10),
the invoice search's selection actions; writing links only for roles that write (SOC-3), amounts in 円."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.factories import InvoiceFactory, PaymentFactory
from members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎", member_number="000123")


@pytest.fixture
def unpaid(member):
    return InvoiceFactory(member=member, amount=12000, fiscal_year=2025)


def _get(client, operator, url):
    client.force_login(operator)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- 事務局メニュー -------------------------------------------------------------------------------------------

def test_soc3_first_page_lists_billing_screens_in_seed_003_order(client, staff_op):
    html = _get(client, staff_op, reverse("admin:index"))
    names = ["請求情報作成", "請求情報作成履歴", "個人会員請求検索", "入金消込", "入金履歴", "会員資格喪失候補"]
    ids = ["billing-run-add", "billing-runs", "invoices", "bank-statements", "payments", "lapse"]
    positions = [html.index(f'id="shortcut-{i}"') for i in ids]
    assert positions == sorted(positions)
    for name in names:
        assert f">{name}</a>" in html
    assert html.index('id="shortcut-numbers"') < positions[0] < html.index('id="shortcut-member-types"')


def test_soc3_first_page_offers_no_billing_run_request_to_a_viewer(client, viewer_op):
    html = _get(client, viewer_op, reverse("admin:index"))
    assert 'id="shortcut-billing-run-add"' not in html
    assert 'id="shortcut-invoices"' in html and 'id="shortcut-payments"' in html


# --- an invoice's page ------------------------------------------------------------------------------------

def test_bil12_invoice_page_links_payment_register_history_pdf_and_reminder(client, staff_op, unpaid):
    html = _get(client, staff_op, reverse("admin:billing_invoice_change", args=[unpaid.pk]))
    assert f'href="{reverse("admin:billing_payment_register", args=[unpaid.pk])}" id="invoice-register-payment"' in html
    assert f'href="/admin/billing/payment/?invoice={unpaid.pk}" id="invoice-payments"' in html
    assert f'href="{reverse("billing-invoice-pdf", kwargs={"pk": unpaid.pk})}" id="invoice-pdf"' in html
    assert f'href="/admin/billing/remind/?ids={unpaid.pk}" id="invoice-remind"' in html
    assert "12,000円" in html


def test_bil12_invoice_page_offers_no_reminder_for_a_paid_invoice(client, staff_op, unpaid):
    PaymentFactory(invoice=unpaid)
    html = _get(client, staff_op, reverse("admin:billing_invoice_change", args=[unpaid.pk]))
    assert 'id="invoice-remind"' not in html
    assert 'id="invoice-pdf"' in html


def test_soc3_invoice_page_of_a_viewer_has_history_and_pdf_but_no_writing_links(client, viewer_op, unpaid):
    html = _get(client, viewer_op, reverse("admin:billing_invoice_change", args=[unpaid.pk]))
    assert 'id="invoice-payments"' in html and 'id="invoice-pdf"' in html
    assert 'id="invoice-register-payment"' not in html
    assert 'id="invoice-remind"' not in html


def test_soc2_invoice_page_of_another_society_is_not_found(client, other_op, unpaid):
    client.force_login(other_op)
    response = client.get(reverse("admin:billing_invoice_change", args=[unpaid.pk]))
    assert response.status_code in (302, 404)
    assert "山田" not in response.content.decode()


def test_bil12_invoice_search_selection_actions_include_reminder_and_cancel(client, staff_op, viewer_op, unpaid):
    html = _get(client, staff_op, reverse("admin:billing_invoice_changelist"))
    assert 'value="remind_action"' in html and 'value="cancel_selected"' in html
    assert "督促メール送信" in html and "請求取消" in html
    html = _get(client, viewer_op, reverse("admin:billing_invoice_changelist"))
    assert 'value="remind_action"' not in html and 'value="cancel_selected"' not in html


def test_bil8_invoice_search_shows_yen_and_pins_queries(client, staff_op, member, django_assert_max_num_queries):
    for year in (2023, 2024, 2025):
        InvoiceFactory(member=member, amount=12000, fiscal_year=year)
    client.force_login(staff_op)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("admin:billing_invoice_changelist") + f"?member={member.pk}").content.decode()
    assert html.count("12,000円") >= 6  # 請求金額 and 請求合計 of each


# --- [入金情報登録] and [入金履歴] -------------------------------------------------------------------------------

def test_bil10_payment_register_page_links_invoice_pdf_and_receipts_in_yen(client, staff_op, unpaid,
                                                                           django_assert_max_num_queries):
    payment = PaymentFactory(invoice=unpaid, amount=5000)
    client.force_login(staff_op)
    with django_assert_max_num_queries(10):
        html = client.get(reverse("admin:billing_payment_register", args=[unpaid.pk])).content.decode()
    assert f'href="{reverse("billing-receipt-pdf", kwargs={"pk": payment.pk})}" class="receipt-pdf"' in html
    assert 'id="register-invoice-pdf"' in html and 'id="register-payments-link"' in html
    assert 'id="outstanding" class="money">7,000円' in html


def test_bil10_payment_history_links_each_receipt_pdf(client, viewer_op, member, django_assert_max_num_queries):
    payments = [PaymentFactory(invoice=InvoiceFactory(member=member, fiscal_year=y, amount=3000)) for y in (2024, 2025)]
    client.force_login(viewer_op)
    with django_assert_max_num_queries(10):
        html = client.get(reverse("admin:billing_payment_changelist") + f"?member={member.pk}").content.decode()
    for payment in payments:
        assert reverse("billing-receipt-pdf", kwargs={"pk": payment.pk}) in html
    assert "3,000円" in html
    assert "入金履歴削除" not in html  # a viewer deletes nothing
    response = client.get(reverse("billing-receipt-pdf", kwargs={"pk": payments[0].pk}))
    assert response["Content-Type"] == "application/pdf"


# --- a member's [会員情報変更] -----------------------------------------------------------------------------------

def test_bil9_member_page_links_invoices_payments_download_and_split(client, staff_op, member):
    html = _get(client, staff_op, reverse("admin:members_member_change", args=[member.pk]))
    assert f'href="/admin/billing/invoice/?member={member.pk}" id="member-invoices-link"' in html
    assert f'href="/admin/billing/payment/?member={member.pk}" id="member-payments-link"' in html
    assert f'href="{reverse("billing-member-csv", kwargs={"pk": member.pk})}" id="member-billing-csv-link"' in html
    assert f'href="{reverse("admin:billing_payment_split", args=[member.pk])}" id="member-split-link"' in html
    assert "会員別請求・入金情報ダウンロード" in html and "この会員の請求（個人会員請求検索）" in html


def test_pay4_member_page_of_a_viewer_has_no_split_link(client, viewer_op, member):
    html = _get(client, viewer_op, reverse("admin:members_member_change", args=[member.pk]))
    assert 'id="member-invoices-link"' in html and 'id="member-billing-csv-link"' in html
    assert 'id="member-split-link"' not in html


def test_bil8_member_invoices_link_filters_the_search_by_member(client, staff_op, member, regular_type, society):
    mine = InvoiceFactory(member=member, fiscal_year=2025)
    other = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), fiscal_year=2025)
    html = _get(client, staff_op, f"/admin/billing/invoice/?member={member.pk}")
    assert reverse("admin:billing_invoice_change", args=[mine.pk]) in html
    assert reverse("admin:billing_invoice_change", args=[other.pk]) not in html


# --- 督促メール送信 confirmation ------------------------------------------------------------------------------

def test_bil12_remind_page_counts_in_japanese_with_amounts(client, staff_op, unpaid):
    html = _get(client, staff_op, reverse("billing-remind") + f"?ids={unpaid.pk}")
    assert "1件の請求が選択されています。" in html
    assert "invoice selected" not in html
    assert "12,000円" in html
