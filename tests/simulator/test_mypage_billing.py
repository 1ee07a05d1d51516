"""SIM-2 on the My Page simulator: the member's confirmed invoices (入金不要 too) and paying online (PAY-1 caps,
a fresh settlement number, no PAY-3 remark needed)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory
from billing.models import Payment
from mail.models import SentMail
from members.factories import MemberFactory, MemberTypeFactory, OperatorFactory, SocietyFactory
from tests.simulator.helpers import client_for

from ..members.helpers import assert_error

pytestmark = pytest.mark.django_db
INVOICES, PAY = "/api/v1/sim/mypage/invoices/", "/api/v1/sim/mypage/pay/"


@pytest.fixture
def hanako(sandbox):
    return MemberFactory(society=sandbox, member_type=MemberTypeFactory(society=sandbox), email="hanako@example.jp")


def test_sim2_mypage_lists_confirmed_invoices_with_status(trainer, hanako):
    shown = InvoiceFactory(member=hanako, fiscal_year=2026, amount=10_000)
    free = InvoiceFactory(member=hanako, fiscal_year=2025, amount=0)
    InvoiceFactory(member=hanako, fiscal_year=2027, confirmed_at=None)  # BIL-3: not confirmed, not shown
    body = trainer.get(INVOICES, {"email": "Hanako@Example.jp"}).json()
    assert [(i["id"], i["status"]) for i in body] == [(shown.pk, "unpaid"), (free.pk, "no_payment_needed")]
    assert_error(trainer.get(INVOICES, {"email": "nobody@example.jp"}), 404, "not_found")
    assert_error(trainer.get(INVOICES), 400, "invalid")


def test_sim2_pay1_pay_online_with_a_fresh_settlement_number(trainer, hanako):
    invoice = InvoiceFactory(member=hanako, amount=10_000)
    assert_error(trainer.post(PAY, {"invoice": invoice.pk, "method": "credit_card", "amount": 10_001}, format="json"),
                 409, "amount_exceeds_invoice")
    assert_error(trainer.post(PAY, {"invoice": invoice.pk, "method": "bank_transfer", "amount": 100}, format="json"),
                 400, "invalid")
    response = trainer.post(PAY, {"invoice": invoice.pk, "method": "convenience_store", "amount": 4_000},
                            format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["channel"], body["amount"], body["remarks"]) == ("online", 4_000, "")
    assert body["settlement_number"]
    # bank check can overpay (PAY-1)
    response = trainer.post(PAY, {"invoice": invoice.pk, "method": "bank_check", "amount": 20_000}, format="json")
    assert response.status_code == 201
    numbers = set(Payment.objects.values_list("settlement_number", flat=True))
    assert len(numbers) == 2
    assert AuditEntry.objects.filter(action="billing.payment.registered").count() == 2
    assert SentMail.objects.filter(kind="payment_receipt", to="hanako@example.jp").count() == 2


def test_sim2_pay_refusals(trainer, hanako, sandbox):
    cancelled = InvoiceFactory(member=hanako, cancelled_at=timezone.now())
    unconfirmed = InvoiceFactory(member=hanako, confirmed_at=None)
    elsewhere = InvoiceFactory(member=MemberFactory(society=SocietyFactory()))
    assert_error(trainer.post(PAY, {"invoice": cancelled.pk, "method": "credit_card", "amount": 1}, format="json"),
                 409, "invoice_cancelled")
    for invoice in (unconfirmed, elsewhere):
        assert_error(trainer.post(PAY, {"invoice": invoice.pk, "method": "credit_card", "amount": 1}, format="json"),
                     404, "not_found")
    sandbox.accepted_payment_methods = ["credit_card"]
    sandbox.save()
    live = InvoiceFactory(member=hanako)
    assert_error(trainer.post(PAY, {"invoice": live.pk, "method": "bank_check", "amount": 1}, format="json"),
                 400, "invalid")
    assert Payment.objects.count() == 0


def test_sim2_sandbox_and_role_checked(sandbox, hanako, api):
    invoice = InvoiceFactory(member=hanako)
    assert_error(api.get(INVOICES, {"email": hanako.email}), 403, "not_sandbox")
    assert_error(api.post(PAY, {"invoice": invoice.pk, "method": "credit_card", "amount": 1}, format="json"),
                 403, "not_sandbox")
    staff = client_for(OperatorFactory(society=sandbox, role="staff"))
    assert_error(staff.get(INVOICES, {"email": hanako.email}), 403, "permission_denied")
    assert_error(staff.post(PAY, {"invoice": invoice.pk, "method": "credit_card", "amount": 1}, format="json"),
                 403, "permission_denied")


def test_sim2_mypage_invoices_page_lists_and_pays(client, sandbox, hanako):
    from django.urls import NoReverseMatch, reverse

    trainer_op = OperatorFactory(society=sandbox, role="trainer")
    client.force_login(trainer_op)
    invoice = InvoiceFactory(member=hanako, amount=10_000)
    InvoiceFactory(member=hanako, fiscal_year=2027, confirmed_at=None)
    url = "/admin/simulation/mypage/invoices/"
    page = client.get(url, {"email": "hanako@example.jp"}).content.decode()
    assert invoice.name in page and "2027" not in page and "未入金" in page
    try:
        assert reverse("billing-invoice-pdf", kwargs={"pk": invoice.pk}) in page
    except NoReverseMatch:
        pass  # the documents' views come with another branch
    r = client.post(f"{url}?email=hanako@example.jp", {"invoice": invoice.pk, "method": "credit_card",
                                                       "amount": "10001"})
    assert r.status_code == 302 and Payment.objects.count() == 0
    r = client.post(f"{url}?email=hanako@example.jp", {"invoice": invoice.pk, "method": "credit_card",
                                                       "amount": "１００００"})
    assert r.status_code == 302 and Payment.objects.get().settlement_number
    assert "入金済" in client.get(url, {"email": "hanako@example.jp"}).content.decode()
    staff = OperatorFactory(society=sandbox, role="staff")
    client.force_login(staff)
    assert client.get(url, {"email": "hanako@example.jp"}).status_code == 403
