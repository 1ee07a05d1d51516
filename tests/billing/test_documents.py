"""BIL-10 請求書 and 領収書 PDFs in Japanese (admin, API, My Page), with BIL-11 numbers printed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import PaymentMethod
from members.factories import MemberFactory, OperatorFactory, SocietyFactory
from tests.members.helpers import assert_error

from .conftest import pdf_text

pytestmark = pytest.mark.django_db

BANK = "みずほ銀行 本郷支店 普通 1234567 ニホンバックオフィスガッカイ"


@pytest.fixture
def member(society, regular_type):
    society.bank_account_text = BANK
    society.save()
    return MemberFactory(society=society, member_type=regular_type, name="佐藤 花子", name_kana="サトウ ハナコ",
                         member_number="000123")


@pytest.fixture
def invoice(member, this_year):
    return InvoiceFactory(member=member, fiscal_year=this_year, name=f"{this_year}年度 年会費", amount=10_000,
                          adjustment=-2_000)


def test_bil10_bil11_invoice_pdf_carries_number_names_amounts_and_bank_text(staff_client, invoice, society, this_year):
    r = staff_client.get(reverse("billing-invoice-pdf", kwargs={"pk": invoice.pk}))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "請求書" in text
    assert f"請求番号 {invoice.number}" in text
    assert "佐藤 花子 様" in text and "000123" in text
    assert society.name in text
    assert f"{this_year}年度 年会費" in text
    assert "10,000円" in text and "-2,000円" in text and "8,000円" in text
    assert BANK in text.replace("\n", " ")
    # seed 003, 所属先が支払う: the payer's name must hold the member's name or number
    assert "振込人名義に会員氏名または会員番号を含めてください" in text


def test_bil10_unconfirmed_invoice_pdf_still_available_to_the_secretariat(staff_client, member, this_year):
    unconfirmed = InvoiceFactory(member=member, fiscal_year=this_year, confirmed_at=None)
    r = staff_client.get(reverse("billing-invoice-pdf", kwargs={"pk": unconfirmed.pk}))
    assert r.status_code == 200
    assert f"請求番号 {unconfirmed.number}" in pdf_text(r.content)


def test_bil10_bil11_receipt_pdf_carries_receipt_number_payer_amount_method_date(staff_client, invoice):
    payment = PaymentFactory(invoice=invoice, amount=8_000, method=PaymentMethod.BANK_TRANSFER)
    r = staff_client.get(reverse("billing-receipt-pdf", kwargs={"pk": payment.pk}))
    assert r.status_code == 200
    text = pdf_text(r.content)
    assert "領収書" in text and f"領収書番号 {payment.receipt_number}" in text
    assert "佐藤 花子 様" in text and "8,000円" in text and "銀行振込" in text
    assert f"{payment.paid_on.year}年{payment.paid_on.month}月{payment.paid_on.day}日" in text


def test_soc2_another_societys_pdfs_are_404(client, other_op, invoice):
    payment = PaymentFactory(invoice=invoice)
    client.force_login(other_op)
    assert client.get(reverse("billing-invoice-pdf", kwargs={"pk": invoice.pk})).status_code == 404
    assert client.get(reverse("billing-receipt-pdf", kwargs={"pk": payment.pk})).status_code == 404
    api = APIClient()
    api.force_authenticate(other_op)
    assert_error(api.get(f"/api/v1/invoices/{invoice.pk}/pdf/"), 404, "not_found")
    assert_error(api.get(f"/api/v1/payments/{payment.pk}/receipt.pdf"), 404, "not_found")


def test_bil10_pdf_admin_urls_need_a_signed_in_operator(client, invoice):
    r = client.get(reverse("billing-invoice-pdf", kwargs={"pk": invoice.pk}))
    assert r.status_code == 302 and "/admin/login/" in r.url


def test_bil10_api_invoice_and_receipt_pdfs(api, invoice):
    r = api.get(f"/api/v1/invoices/{invoice.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert r.status_code == 200 and f"請求番号 {invoice.number}" in pdf_text(r.content)
    payment = PaymentFactory(invoice=invoice, amount=8_000)
    r = api.get(f"/api/v1/payments/{payment.pk}/receipt.pdf")
    assert r.status_code == 200 and f"領収書番号 {payment.receipt_number}" in pdf_text(r.content)
    assert_error(api.get("/api/v1/invoices/999999/pdf/"), 404, "not_found")
    assert_error(APIClient().get(f"/api/v1/invoices/{invoice.pk}/pdf/"), 401, "invalid_credentials")


# --- My Page (the simulator) -----------------------------------------------------------------------------------


@pytest.fixture
def sandbox():
    return SocietyFactory(slug="sandbox", name="研修学会", is_sandbox=True, bank_account_text=BANK)


@pytest.fixture
def trainer_api(sandbox):
    client = APIClient()
    client.force_authenticate(OperatorFactory(society=sandbox, role="trainer"))
    return client


def test_bil3_bil10_mypage_gets_only_confirmed_invoices_and_live_receipts(trainer_api, sandbox):
    member = MemberFactory(society=sandbox, email="hanako@example.ac.jp", name="佐藤 花子")
    confirmed = InvoiceFactory(member=member)
    unconfirmed = InvoiceFactory(member=member, confirmed_at=None)
    cancelled = InvoiceFactory(member=member, cancelled_at=timezone.now())
    live = PaymentFactory(invoice=confirmed, amount=1_000)
    deleted = PaymentFactory(invoice=confirmed, amount=1_000, deleted_at=timezone.now())
    q = {"email": "HANAKO@example.ac.jp"}
    r = trainer_api.get(f"/api/v1/sim/mypage/invoices/{confirmed.pk}/pdf/", q)
    assert r.status_code == 200 and f"請求番号 {confirmed.number}" in pdf_text(r.content)
    for hidden in (unconfirmed, cancelled):
        assert_error(trainer_api.get(f"/api/v1/sim/mypage/invoices/{hidden.pk}/pdf/", q), 404, "not_found")
    assert trainer_api.get(f"/api/v1/sim/mypage/payments/{live.pk}/receipt.pdf", q).status_code == 200
    assert_error(trainer_api.get(f"/api/v1/sim/mypage/payments/{deleted.pk}/receipt.pdf", q), 404, "not_found")
    # another member's invoice is not this member's
    other = InvoiceFactory(member=MemberFactory(society=sandbox))
    assert_error(trainer_api.get(f"/api/v1/sim/mypage/invoices/{other.pk}/pdf/", q), 404, "not_found")
    assert_error(trainer_api.get(f"/api/v1/sim/mypage/invoices/{confirmed.pk}/pdf/"), 400, "invalid")


def test_sim_mypage_pdf_refused_outside_a_sandbox_and_to_staff(api, sandbox, invoice):
    assert_error(api.get(f"/api/v1/sim/mypage/invoices/{invoice.pk}/pdf/", {"email": invoice.member.email}),
                 403, "not_sandbox")
    staff = APIClient()
    staff.force_authenticate(OperatorFactory(society=sandbox, role="staff"))
    assert_error(staff.get(f"/api/v1/sim/mypage/invoices/{invoice.pk}/pdf/", {"email": "x@example.jp"}),
                 403, "permission_denied")
