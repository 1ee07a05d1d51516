"""Payments (入金): PAY-1 register with methods and channels, PAY-2 delete kept as deleted, PAY-3 online
payments moved by hand, PAY-4 split over several years, BIL-11 gap-free receipt numbers — services and API."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Invoice, InvoiceStatus, Payment
from billing.selectors import fiscal_year_of
from billing.services import payments as services
from mail.models import SentMail
from members.factories import MemberFactory

from ..members.helpers import assert_error

pytestmark = pytest.mark.django_db
PAID_ON = datetime.date(2026, 5, 1)
URL = "/api/v1/payments/"


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎", email="yamada@example.ac.jp")


@pytest.fixture
def invoice(member):
    return InvoiceFactory(member=member, amount=10_000, fiscal_year=2026)


def status_of(invoice) -> str:
    return Invoice.objects.with_status().get(pk=invoice.pk).status


def register(actor, invoice, amount=10_000, method="bank_transfer", **kw):
    return services.payment_register(actor=actor, invoice=invoice, amount=amount, method=method, paid_on=PAID_ON, **kw)


def refused(code, call, *args, **kw) -> DomainError:
    before = (Payment.objects.count(), AuditEntry.objects.count(), SentMail.objects.count())
    with pytest.raises(DomainError) as exc:
        call(*args, **kw)
    assert exc.value.code == code, exc.value
    assert (Payment.objects.count(), AuditEntry.objects.count(), SentMail.objects.count()) == before
    return exc.value


# --- PAY-1 -----------------------------------------------------------------------------------------------------

def test_pay1_register_audits_mails_a_receipt_and_pays_the_invoice(staff_op, invoice, member):
    payment = register(staff_op, invoice, remarks="窓口")
    assert (payment.amount, payment.method, payment.channel, payment.paid_on) == (10_000, "bank_transfer", "offline",
                                                                                   PAID_ON)
    assert status_of(invoice) == InvoiceStatus.PAID
    entry = AuditEntry.objects.get(action="billing.payment.registered")
    assert entry.actor_user == staff_op and entry.target_id == str(payment.pk)
    assert entry.after["amount"] == 10_000 and entry.after["receipt_number"] == payment.receipt_number
    mail = SentMail.objects.get(kind="payment_receipt")
    assert mail.to == member.email and mail.member_id == member.pk
    assert str(payment.receipt_number) in mail.body and "10,000円" in mail.body


@pytest.mark.parametrize("method", ["credit_card", "convenience_store"])
def test_pay1_card_and_convenience_store_cannot_exceed_the_outstanding_amount(admin_op, invoice, method):
    register(admin_op, invoice, amount=4_000)  # offline, partly paid: 6,000 outstanding
    exc = refused("amount_exceeds_invoice", register, admin_op, invoice, amount=6_001, method=method,
                  remarks="x")
    assert exc.status == 409 and "6,000" in str(exc.message)


def test_pay1_bank_check_may_overpay(staff_op, invoice):
    PaymentFactory(invoice=invoice, amount=1, method="bank_check", settlement_number="BC-0001")
    register(staff_op, invoice, amount=20_000, method="bank_check", remarks="BC-0001 二年分まとめて入金")
    assert status_of(invoice) == InvoiceStatus.OVERPAID


def test_pay1_cancelled_invoice_refused(staff_op, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(cancelled_at=timezone.now())
    assert refused("invoice_cancelled", register, staff_op, invoice).status == 409


@pytest.mark.parametrize("amount", [0, -5])
def test_pay1_amount_at_least_one_yen(staff_op, invoice, amount):
    refused("invalid", register, staff_op, invoice, amount=amount)


def test_pay1_viewer_and_other_society_refused(viewer_op, other_op, invoice):
    assert refused("permission_denied", register, viewer_op, invoice).status == 403
    assert refused("not_found", register, other_op, invoice).status == 404


def test_pay1_api_register_fields_and_channel(api, invoice):
    response = api.post(URL, {"invoice": invoice.pk, "amount": "１０，０００".replace("，", ""), "method": "postal_transfer",
                              "paid_on": "2026-05-01"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    for key in ("id", "invoice", "amount", "method", "channel", "paid_on", "remarks", "settlement_number", "deleted",
                "deleted_at", "deleted_reason"):
        assert key in body
    assert (body["invoice"], body["amount"], body["channel"], body["deleted"]) == (invoice.pk, 10_000, "offline", False)


def test_pay1_api_refusals(api, other_api, viewer_api, invoice):
    base = {"invoice": invoice.pk, "amount": 10_001, "method": "credit_card", "paid_on": "2026-05-01",
            "remarks": "x"}
    assert_error(api.post(URL, base, format="json"), 409, "amount_exceeds_invoice")
    assert_error(api.post(URL, {**base, "method": "cash"}, format="json"), 400, "invalid")
    assert_error(api.post(URL, {**base, "amount": 0}, format="json"), 400, "invalid")
    assert_error(api.post(URL, {**base, "invoice": 10**30}, format="json"), 400, "invalid")
    assert_error(api.post(URL, {**base, "paid_on": "2026-13-01"}, format="json"), 400, "invalid")
    # a reference in the body to an invoice the operator cannot see is bad input naming the field (issue 16)
    body = assert_error(other_api.post(URL, {**base, "amount": 1}, format="json"), 400, "invalid")
    assert list(body["fields"]) == ["invoice"]
    body = assert_error(api.post(URL, {**base, "amount": 1, "invoice": invoice.pk + 1000}, format="json"), 400,
                        "invalid")
    assert body["fields"] == {"invoice": ["存在しない請求です。"]}
    assert_error(viewer_api.post(URL, {**base, "amount": 1}, format="json"), 403, "permission_denied")
    assert Payment.objects.count() == 0


# --- BIL-11 (receipts) -----------------------------------------------------------------------------------------

def test_bil11_receipt_numbers_gap_free_and_refusals_take_none(staff_op, member, other_society):
    first, second = InvoiceFactory(member=member), InvoiceFactory(member=member)
    other = InvoiceFactory(member=MemberFactory(society=other_society))
    a = register(staff_op, first, amount=100)
    refused("amount_exceeds_invoice", register, staff_op, first, amount=20_000, method="credit_card", remarks="x")
    b = register(staff_op, second, amount=100)
    c = register("system: test", other, amount=100)
    assert (b.receipt_number - a.receipt_number, c.receipt_number) == (1, 1)


# --- PAY-3 -----------------------------------------------------------------------------------------------------

def test_pay3_online_payment_by_hand_needs_known_settlement_number_and_memo(staff_op, member, invoice):
    old = InvoiceFactory(member=member, fiscal_year=2025, settlement_number="RP-12345",
                         cancelled_at=timezone.now())
    assert old.cancelled
    exc = refused("remarks_required", register, staff_op, invoice, method="credit_card", remarks="")
    assert exc.status == 400 and "remarks" in exc.fields
    refused("remarks_required", register, staff_op, invoice, method="credit_card", remarks="RP-12345")  # no memo
    refused("remarks_required", register, staff_op, invoice, method="credit_card", remarks="RP-99999 年度振替")
    payment = register(staff_op, invoice, method="credit_card", remarks="RP-12345 2025年度から振替")
    assert payment.channel == "online"


def test_pay3_settlement_number_of_a_deleted_payment_counts(staff_op, member, invoice):
    PaymentFactory(invoice=InvoiceFactory(member=member, fiscal_year=2025), amount=10_000, method="bank_check",
                   settlement_number="BC-777", deleted_at=timezone.now())
    register(staff_op, invoice, method="bank_check", remarks="BC-777: 古い年度へ割当")


def test_pay3_offline_needs_no_settlement_number(staff_op, invoice):
    register(staff_op, invoice, method="bank_transfer", remarks="")


def test_pay3_api_remarks_required(api, invoice):
    response = api.post(URL, {"invoice": invoice.pk, "amount": 100, "method": "bank_check", "paid_on": "2026-05-01"},
                        format="json")
    assert_error(response, 400, "remarks_required")


# --- PAY-2 -----------------------------------------------------------------------------------------------------

def test_pay2_delete_keeps_the_payment_with_who_and_why(staff_op, invoice):
    payment = register(staff_op, invoice)
    services.payment_delete(actor=staff_op, payment=payment, reason="年度誤り")
    payment.refresh_from_db()
    assert payment.deleted and payment.deleted_by == staff_op.email and payment.deleted_reason == "年度誤り"
    assert status_of(invoice) == InvoiceStatus.UNPAID
    entry = AuditEntry.objects.get(action="billing.payment.deleted")
    assert entry.after["deleted_reason"] == "年度誤り" and entry.target_id == str(payment.pk)
    refused("payment_already_deleted", services.payment_delete, actor=staff_op, payment=payment, reason="again")
    from billing.selectors import invoice_cancel_refusal

    assert invoice_cancel_refusal(invoice) is None  # BIL-7: now the invoice can be cancelled


def test_pay2_delete_refused_for_viewer_and_other_society(viewer_op, other_op, staff_op, invoice):
    payment = register(staff_op, invoice)
    refused("permission_denied", services.payment_delete, actor=viewer_op, payment=payment, reason="x")
    refused("not_found", services.payment_delete, actor=other_op, payment=payment, reason="x")


def test_pay2_api_delete_then_list_with_include_deleted(api, other_api, staff_op, invoice):
    payment = register(staff_op, invoice)
    assert_error(other_api.delete(f"{URL}{payment.pk}/", {"reason": "x"}, format="json"), 404, "not_found")
    assert_error(api.delete(f"{URL}abc/"), 404, "not_found")
    response = api.delete(f"{URL}{payment.pk}/", {"reason": "請求年度の誤り"}, format="json")
    assert response.status_code == 204
    assert api.get(URL, {"invoice": invoice.pk}).json()["results"] == []
    rows = api.get(URL, {"invoice": invoice.pk, "include_deleted": "true"}).json()["results"]
    assert [(r["id"], r["deleted"], r["deleted_reason"]) for r in rows] == [(payment.pk, True, "請求年度の誤り")]
    assert rows[0]["deleted_at"]
    assert_error(api.delete(f"{URL}{payment.pk}/"), 409, "payment_already_deleted")


def test_pay1_api_list_filters_scoped_and_query_count(api, other_api, staff_op, member, society,
                                                      django_assert_max_num_queries):
    for year in range(2020, 2026):
        register(staff_op, InvoiceFactory(member=member, fiscal_year=year), amount=500)
    other = MemberFactory(society=society)
    register(staff_op, InvoiceFactory(member=other), amount=700)
    with django_assert_max_num_queries(4):
        body = api.get(URL, {"member": member.pk}).json()
    assert body["count"] == 6 and {r["amount"] for r in body["results"]} == {500}
    assert api.get(URL).json()["count"] == 7
    assert other_api.get(URL).json()["count"] == 0
    assert_error(api.get(URL, {"member": "abc"}), 400, "invalid")
    assert_error(api.get(URL, {"invoice": 10**30}), 400, "invalid")


# --- PAY-4 -----------------------------------------------------------------------------------------------------

def test_pay4_split_over_several_years_all_or_nothing(staff_op, member):
    y2024, y2025, y2026 = (InvoiceFactory(member=member, fiscal_year=y) for y in (2024, 2025, 2026))
    payments = services.payments_split(actor=staff_op, member=member, method="bank_transfer", paid_on=PAID_ON,
                                       remarks="3年分まとめて振込", allocations=[(y2024, 10_000), (y2025, 10_000),
                                                                          (y2026.pk, 5_000)])
    assert [p.invoice_id for p in payments] == [y2024.pk, y2025.pk, y2026.pk]
    assert [status_of(i) for i in (y2024, y2025, y2026)] == ["paid", "paid", "partially_paid"]
    entries = AuditEntry.objects.filter(action="billing.payment.registered")
    assert entries.count() == 3 and len({e.batch_id for e in entries}) == 1 and entries[0].batch_id


def test_pay4_split_refusals_change_nothing(staff_op, member, society, other_op):
    mine = InvoiceFactory(member=member, fiscal_year=2025)
    cancelled = InvoiceFactory(member=member, fiscal_year=2024, cancelled_at=timezone.now())
    someone_else = InvoiceFactory(member=MemberFactory(society=society))

    def split(allocations, method="bank_transfer", actor=staff_op):
        return services.payments_split(actor=actor, member=member, method=method, paid_on=PAID_ON, remarks="",
                                       allocations=allocations)

    refused("invoice_cancelled", split, [(mine, 10_000), (cancelled, 10_000)])
    refused("invalid", split, [(mine, 10_000), (someone_else, 10_000)])
    refused("invalid", split, [(mine, 10_000)], method="credit_card")
    refused("invalid", split, [(mine, 5_000), (mine, 5_000)])
    refused("invalid", split, [])
    refused("not_found", split, [(mine, 10_000)], actor=other_op)
    assert status_of(mine) == "unpaid"


def test_pay4_api_split(api, member, other_api):
    a, b = InvoiceFactory(member=member, fiscal_year=2024), InvoiceFactory(member=member, fiscal_year=2025)
    body = {"member": member.pk, "method": "bank_transfer", "paid_on": "2026-05-01", "remarks": "2年分",
            "allocations": [{"invoice": a.pk, "amount": 10_000}, {"invoice": b.pk, "amount": 10_000}]}
    response = api.post(f"{URL}split/", body, format="json")
    assert response.status_code == 201, response.content
    assert [p["invoice"] for p in response.json()] == [a.pk, b.pk]
    assert_error(api.post(f"{URL}split/", {**body, "allocations": []}, format="json"), 400, "invalid")
    assert list(assert_error(other_api.post(f"{URL}split/", body, format="json"), 400, "invalid")["fields"]) \
        == ["member"]


# --- fiscal years ----------------------------------------------------------------------------------------------

def test_fiscal_year_follows_the_society_start_month(society):
    assert fiscal_year_of(society, datetime.date(2026, 3, 31)) == 2025
    assert fiscal_year_of(society, datetime.date(2026, 4, 1)) == 2026
    society.fiscal_year_start_month = 1
    assert fiscal_year_of(society, datetime.date(2026, 3, 31)) == 2026


# --- issue 12 point 3: every online payment carries its 決済番号 ---------------------------------------------

@pytest.mark.parametrize("method", ["credit_card", "convenience_store", "bank_check"])
def test_pay1_online_payment_without_settlement_number_refused_by_the_database(invoice, method):
    """Issue 12 point 3: the CheckConstraint — no online payment without a 決済番号, whoever writes the row."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(society=invoice.society, invoice=invoice, receipt_number=999, amount=1, method=method,
                               paid_on=PAID_ON, settlement_number="", created_by="t", created_at=timezone.now())
    offline = Payment.objects.create(society=invoice.society, invoice=invoice, receipt_number=998, amount=1,
                                     method="bank_transfer", paid_on=PAID_ON, created_by="t", created_at=timezone.now())
    assert offline.settlement_number == ""


def test_pay1_factories_give_online_payments_a_settlement_number(invoice):
    assert PaymentFactory(invoice=invoice, method="bank_check", amount=1).settlement_number
    assert PaymentFactory(invoice=invoice, amount=1).settlement_number == ""


def test_pay1_system_actor_online_payment_without_settlement_number_refused_naming_the_field(invoice):
    exc = refused("invalid", register, "system: test", invoice, method="bank_check")
    assert "settlement_number" in exc.fields and exc.status == 400
    assert register("system: test", invoice, method="bank_check", settlement_number="RP-1").settlement_number == "RP-1"


def test_pay3_hand_registered_online_payment_keeps_the_settlement_number_its_remarks_name(staff_op, member, invoice):
    PaymentFactory(invoice=InvoiceFactory(member=member, fiscal_year=2025), amount=10_000, method="bank_check",
                   settlement_number="BC-777", deleted_at=timezone.now())
    payment = register(staff_op, invoice, method="bank_check", remarks="BC-777 過入金の振替")
    assert payment.settlement_number == "BC-777"
    given = register(staff_op, InvoiceFactory(member=member), method="bank_check", settlement_number="BC-777",
                     remarks="BC-777 過入金の振替")
    assert given.settlement_number == "BC-777"


def test_pay3_refusal_is_about_the_remarks_and_does_not_speak_of_a_cancelled_invoice(staff_op, member, invoice):
    """Issue 12 point 3: the refusal names 備考 (``remarks``), says what the rule of API.md ("Channels") asks — a
    settlement number known for this member and a work memo — and lists those numbers, or says there is none;
    it does not speak of 「取消した請求」 when nothing was cancelled."""
    from django.utils import translation

    with translation.override("ja"):
        exc = refused("remarks_required", register, staff_op, invoice, method="bank_check", remarks="メモ")
        message = str(exc.message)
    assert list(exc.fields) == ["remarks"]
    assert "取消した請求" not in message
    assert "備考欄に、この会員の決済番号" in message and "作業メモ" in message
    assert "この会員には決済番号がまだないため" in message
    PaymentFactory(invoice=InvoiceFactory(member=member, fiscal_year=2025), method="bank_check",
                   settlement_number="BC-42", amount=1)
    with translation.override("ja"):
        message = str(refused("remarks_required", register, staff_op, invoice, method="bank_check",
                              remarks="BC-99 メモ").message)
    assert "この会員の決済番号: BC-42" in message


def test_issue16_pay4_split_with_an_invoice_not_visible_names_the_allocation(api, member, other_society):
    """A reference in the body is bad input naming it as sent (``allocations.1.invoice``), not a 404."""
    mine = InvoiceFactory(member=member, fiscal_year=2025)
    theirs = InvoiceFactory(member=MemberFactory(society=other_society), fiscal_year=2025)
    for unknown in (theirs.pk, theirs.pk + 1000):
        body = {"member": member.pk, "method": "bank_transfer", "paid_on": "2026-05-01",
                "allocations": [{"invoice": mine.pk, "amount": 10_000}, {"invoice": unknown, "amount": 1}]}
        error = assert_error(api.post(f"{URL}split/", body, format="json"), 400, "invalid")
        assert error["fields"] == {"allocations.1.invoice": ["存在しない請求です。"]}
    assert not Payment.objects.exists()
