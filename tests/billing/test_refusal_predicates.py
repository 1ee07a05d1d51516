"""Issue 13 §0, billing: one refusal shape, one public predicate per guard (DESIGN 5b). Each
``billing.selectors.<noun>_<verb>_refusal`` returns a DomainError (code, message, fields, evidence) or None, and
its service refuses exactly when it says so — None: the service succeeds; a refusal: the service raises the same
code (and status). State conflicts carry their own codes, through the API too."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from backoffice import clock
from backoffice.errors import DomainError
from billing import selectors
from billing import statement_files
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BankStatementRow, BillingRun, Invoice, Payment
from billing.services import invoices as invoice_services
from billing.services import lapse as lapse_services
from billing.services import payments as payment_services
from billing.services import runs as run_services
from billing.services import statements as statement_services
from members.factories import MemberFactory, create_member_with_history
from members.models import Status

from ..members.helpers import assert_error

pytestmark = pytest.mark.django_db
PAID_ON = datetime.date(2026, 5, 1)
DAY = datetime.date(2026, 5, 1)


def enforced(refusal: DomainError | None, call):
    """The service refuses exactly when the predicate says so: None → it succeeds; a refusal → the same code."""
    if refusal is None:
        return call()
    assert isinstance(refusal, DomainError) and refusal.code and str(refusal)
    with pytest.raises(DomainError) as caught:
        call()
    assert (caught.value.code, caught.value.status) == (refusal.code, refusal.status), caught.value
    return caught.value


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎", email="yamada@example.ac.jp")


@pytest.fixture
def invoice(member):
    return InvoiceFactory(member=member, amount=10_000, fiscal_year=2026)


def annotated(invoice) -> Invoice:
    return Invoice.objects.with_status().select_related("member").get(pk=invoice.pk)


def make_run(society, state, **kw):
    return BillingRun.objects.create(society=society, name="2026年度 年会費", category="annual", fiscal_year=2026,
                                     allocation_start=datetime.date(2026, 4, 1), requested_by="t", state=state,
                                     requested_on=datetime.date(2026, 4, 1),
                                     requested_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc), **kw)


# --- payments (PAY-1, PAY-2, PAY-3) ---------------------------------------------------------------------------

def test_issue13_pay2_payment_delete_refusal_is_what_the_service_enforces(staff_op, invoice):
    payment = PaymentFactory(invoice=invoice, amount=1_000)
    assert selectors.payment_delete_refusal(payment) is None
    enforced(None, lambda: payment_services.payment_delete(actor=staff_op, payment=payment, reason="年度誤り"))
    payment.refresh_from_db()
    refusal = selectors.payment_delete_refusal(payment)
    assert refusal.code == "payment_already_deleted" and refusal.status == 409
    assert refusal.evidence["deleted_by"] == staff_op.email and refusal.evidence["deleted_reason"] == "年度誤り"
    enforced(refusal, lambda: payment_services.payment_delete(actor=staff_op, payment=payment, reason="again"))


def test_issue13_pay1_payment_register_refusal_is_what_the_service_enforces(staff_op, invoice, member):
    def register(target, method, amount):
        return lambda: payment_services.payment_register(actor=staff_op, invoice=target, amount=amount, method=method,
                                                         paid_on=PAID_ON)

    too_much = selectors.payment_register_refusal(annotated(invoice), method="convenience_store", amount=10_001)
    assert too_much.code == "amount_exceeds_invoice" and too_much.evidence["outstanding"] == 10_000
    enforced(too_much, register(invoice, "convenience_store", 10_001))
    cancelled = InvoiceFactory(member=member, fiscal_year=2025, cancelled_at=timezone.now())
    refusal = selectors.payment_register_refusal(annotated(cancelled), method="bank_transfer", amount=1)
    assert refusal.code == "invoice_cancelled"
    enforced(refusal, register(cancelled, "bank_transfer", 1))
    assert selectors.payment_register_refusal(annotated(invoice), method="bank_transfer", amount=20_000) is None
    enforced(None, register(invoice, "bank_transfer", 20_000))  # bank transfer may overpay


def test_issue13_pay3_payment_remarks_refusal_is_public_and_enforced(staff_op, invoice, member):
    def register(remarks):
        return lambda: payment_services.payment_register(actor=staff_op, invoice=invoice, amount=1_000,
                                                         method="credit_card", paid_on=PAID_ON, remarks=remarks)

    refusal = selectors.payment_remarks_refusal(invoice, method="credit_card", remarks="振替", actor=staff_op)
    assert refusal.code == "remarks_required" and "remarks" in refusal.fields
    assert refusal.evidence == {"known_settlement_numbers": []}
    enforced(refusal, register("振替"))
    InvoiceFactory(member=member, fiscal_year=2025, settlement_number="S-0042", cancelled_at=timezone.now())
    refusal = selectors.payment_remarks_refusal(invoice, method="credit_card", remarks="S-0042", actor=staff_op)
    assert refusal.evidence == {"known_settlement_numbers": ["S-0042"]}  # a number without a work memo
    enforced(refusal, register("S-0042"))
    remarks = "S-0042 取消した請求から振替"
    assert selectors.payment_remarks_refusal(invoice, method="credit_card", remarks=remarks, actor=staff_op) is None
    payment = enforced(None, register(remarks))
    assert payment.settlement_number == "S-0042"
    # offline methods and system writers are not asked
    assert selectors.payment_remarks_refusal(invoice, method="bank_transfer", remarks="", actor=staff_op) is None
    assert selectors.payment_remarks_refusal(invoice, method="credit_card", remarks="", actor="system: x") is None


# --- invoices (BIL-7, the adjustment) -------------------------------------------------------------------------

def test_issue13_bil7_invoice_cancel_refusal_is_what_the_cancel_services_enforce(staff_op, society, invoice, member):
    payment = PaymentFactory(invoice=invoice, amount=1_000)
    refusal = selectors.invoice_cancel_refusal(invoice)
    assert refusal.code == "invoice_has_payments" and refusal.evidence["receipt_numbers"] == [payment.receipt_number]
    enforced(refusal, lambda: invoice_services.invoice_cancel(actor=staff_op, invoice=invoice))
    bulk = selectors.invoices_bulk_cancel_refusal([invoice])
    assert bulk.code == refusal.code
    enforced(bulk, lambda: invoice_services.invoices_bulk_cancel(actor=staff_op, society=society,
                                                                  invoice_ids=[invoice.pk]))
    payment_services.payment_delete(actor=staff_op, payment=payment, reason="x")
    assert selectors.invoice_cancel_refusal(invoice) is None
    enforced(None, lambda: invoice_services.invoice_cancel(actor=staff_op, invoice=invoice))
    invoice.refresh_from_db()
    refusal = selectors.invoice_cancel_refusal(invoice)
    assert refusal.code == "invoice_cancelled" and refusal.evidence["cancelled_at"]
    enforced(refusal, lambda: invoice_services.invoice_cancel(actor=staff_op, invoice=invoice))
    # the selection: the first refused invoice by id decides, the same rule whichever order they come in
    live = InvoiceFactory(member=member, fiscal_year=2027)
    assert selectors.invoices_cancel_refusals(Invoice.objects.filter(pk__in=[live.pk, invoice.pk])).keys() == {
        invoice.pk}
    bulk = selectors.invoices_bulk_cancel_refusal([live, invoice])
    assert bulk.code == "invoice_cancelled"
    enforced(bulk, lambda: invoice_services.invoices_bulk_cancel(actor=staff_op, society=society,
                                                                  invoice_ids=[live.pk, invoice.pk]))
    assert selectors.invoices_bulk_cancel_refusal([live]) is None
    enforced(None, lambda: invoice_services.invoices_bulk_cancel(actor=staff_op, society=society,
                                                                  invoice_ids=[live.pk]))


def test_issue13_invoice_adjust_refusal_total_below_zero_and_cancelled(staff_op, invoice, member):
    def adjust(target, value):
        return lambda: invoice_services.invoice_update(actor=staff_op, invoice=target, adjustment=value)

    refusal = selectors.invoice_adjust_refusal(invoice, -10_001)
    assert (refusal.code, refusal.status, list(refusal.fields)) == ("invalid", 400, ["adjustment"])
    assert refusal.evidence == {"amount": 10_000, "adjustment": -10_001, "total": -1}
    enforced(refusal, adjust(invoice, -10_001))
    assert selectors.invoice_adjust_refusal(invoice, -10_000) is None
    enforced(None, adjust(invoice, -10_000))
    cancelled = InvoiceFactory(member=member, fiscal_year=2025, cancelled_at=timezone.now())
    refusal = selectors.invoice_adjust_refusal(cancelled, 0)
    assert refusal.code == "invoice_cancelled" and selectors.invoice_edit_refusal(cancelled).code == refusal.code
    enforced(refusal, adjust(cancelled, 0))
    enforced(selectors.invoice_edit_refusal(cancelled),
             lambda: invoice_services.invoice_confirm(actor=staff_op, invoice=cancelled))


# --- billing runs ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["requested", "running", "done", "failed"])
def test_issue13_billing_run_refusals_by_state_are_what_the_services_enforce(staff_op, society, regular_type, state):
    run = make_run(society, state)
    invoice = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), run=run, name=run.name,
                             confirmed_at=None)
    retry = selectors.billing_run_retry_refusal(run)
    assert (retry is None) == (state == "failed")
    assert retry is None or (retry.code, retry.evidence) == ("billing_run_not_failed", {"state": state})
    enforced(retry, lambda: run_services.billing_run_retry(actor=staff_op, run=run))
    run = BillingRun.objects.get(pk=run.pk)
    in_progress = run.state in ("requested", "running")
    for refusal, call in (
        (selectors.billing_run_rename_refusal(run),
         lambda: invoice_services.billing_run_rename(actor=staff_op, run=run, name="2026年度 年会費(改)")),
        (selectors.billing_run_confirm_refusal(run),
         lambda: invoice_services.billing_run_confirm(actor=staff_op, run=run)),
    ):
        assert (refusal is not None) == in_progress
        assert refusal is None or refusal.code == "billing_run_in_progress"
        enforced(refusal, call)
    PaymentFactory(invoice=invoice, amount=1_000)
    cancel = selectors.billing_run_cancel_refusal(run)
    assert cancel.code == ("billing_run_in_progress" if in_progress else "invoice_has_payments")
    enforced(cancel, lambda: invoice_services.billing_run_cancel(actor=staff_op, run=run))
    if not in_progress:
        Payment.objects.update(deleted_at=timezone.now())
        assert selectors.billing_run_cancel_refusal(run) is None
        assert enforced(None, lambda: invoice_services.billing_run_cancel(actor=staff_op, run=run)) == 1


# --- bank statements (PAY-6) ----------------------------------------------------------------------------------

def test_issue13_pay6_statement_row_match_refusal_is_what_the_service_enforces(staff_op, society, member):
    invoice = InvoiceFactory(member=member, amount=10_000)
    lines = [(DAY, 10_000, "ﾀﾞﾚｶ")]
    data = statement_files.write_csv(lines)
    statement_services.statement_import(actor=staff_op, society=society, data=data, file_format="csv")
    statement_services.statement_import(actor=staff_op, society=society, data=data, file_format="csv")
    row, duplicate = BankStatementRow.objects.order_by("pk")

    def match(target):
        return lambda: statement_services.statement_row_match(actor=staff_op, row=target,
                                                              allocations=[(invoice, 10_000)])

    assert duplicate.state == "duplicate"
    refusal = selectors.statement_row_match_refusal(duplicate)
    assert (refusal.code, refusal.status) == ("statement_row_duplicate", 409)
    enforced(refusal, match(duplicate))
    assert selectors.statement_row_match_refusal(row) is None
    enforced(None, match(row))
    row.refresh_from_db()
    refusal = selectors.statement_row_match_refusal(row)
    assert refusal.code == "statement_row_already_matched" and refusal.evidence["resolved_by"] == staff_op.email
    enforced(refusal, match(row))


# --- lapse (MEM-9) --------------------------------------------------------------------------------------------

def test_issue13_mem9_lapse_withdraw_refusal_is_what_the_service_enforces(staff_op, society, regular_type, this_year):
    society.lapse_threshold_years = 1
    society.save()

    def person(name):
        return create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type, name=name,
                                          applied_on=datetime.date(2015, 4, 1))

    candidate, paid_up = person("未納"), person("完納")
    InvoiceFactory(member=candidate, fiscal_year=this_year - 1)
    today = clock.today(society)

    def withdraw(ids):
        return lambda: lapse_services.lapse_withdraw(actor=staff_op, society=society, member_ids=ids,
                                                     effective_date=today)

    refusal = selectors.lapse_withdraw_refusal(society, [candidate.pk, paid_up.pk])
    assert (refusal.code, refusal.evidence) == ("invalid_transition", {"member_ids": [paid_up.pk]})
    assert "完納" in str(refusal)
    enforced(refusal, withdraw([candidate.pk, paid_up.pk]))
    assert selectors.lapse_withdraw_refusal(society, [candidate.pk]) is None
    assert enforced(None, withdraw([candidate.pk])) == 1


# --- conflicts carry their own codes, through the API (issue 13 §0) --------------------------------------------

def test_issue13_api_deleting_a_payment_again_is_409_payment_already_deleted(api, invoice):
    payment = PaymentFactory(invoice=invoice, amount=1_000)
    assert api.delete(f"/api/v1/payments/{payment.pk}/", {"reason": "x"}, format="json").status_code == 204
    body = assert_error(api.delete(f"/api/v1/payments/{payment.pk}/"), 409, "payment_already_deleted")
    assert body["detail"] == "この入金履歴は既に削除されています。"


def test_issue13_api_matching_a_matched_or_duplicate_row_has_its_own_409_code(api, staff_op, society, member):
    invoice = InvoiceFactory(member=member, amount=10_000)
    data = statement_files.write_csv([(DAY, 10_000, "ﾀﾞﾚｶ")])
    statement_services.statement_import(actor=staff_op, society=society, data=data, file_format="csv")
    statement_services.statement_import(actor=staff_op, society=society, data=data, file_format="csv")
    row, duplicate = BankStatementRow.objects.order_by("pk")
    body = {"allocations": [{"invoice": invoice.pk, "amount": 10_000}]}

    def match(target):
        return api.post(f"/api/v1/bank-statements/{target.statement_id}/rows/{target.pk}/match/", body, format="json")

    assert_error(match(duplicate), 409, "statement_row_duplicate")
    assert match(row).status_code == 200
    assert_error(match(row), 409, "statement_row_already_matched")


@pytest.mark.parametrize("state", ["requested", "running"])
def test_issue13_api_a_run_under_way_is_not_renamed_confirmed_or_cancelled(api, society, regular_type, state):
    run = make_run(society, state)
    invoice = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), run=run, name=run.name,
                             confirmed_at=None)
    url = f"/api/v1/billing-runs/{run.pk}/"
    assert_error(api.patch(url, {"name": "改名"}, format="json"), 409, "billing_run_in_progress")
    assert_error(api.post(f"{url}confirm/"), 409, "billing_run_in_progress")
    assert_error(api.post(f"{url}cancel/"), 409, "billing_run_in_progress")
    invoice.refresh_from_db()
    assert (invoice.name, invoice.confirmed_at, invoice.cancelled_at) == (run.name, None, None)
    BillingRun.objects.filter(pk=run.pk).update(state="done")
    assert api.post(f"{url}confirm/").json() == {"confirmed": 1}


def test_issue13_retrying_a_run_that_did_not_fail_is_billing_run_not_failed_on_the_screen(staff_client, society):
    """API.md has no retry endpoint: the run's page shows 再実行 only when the predicate allows it, and a retry
    posted anyway is refused with the rule's message."""
    run = make_run(society, "done")
    page = staff_client.get(f"/admin/billing/billingrun/{run.pk}/change/").content.decode()
    assert 'id="run-retry"' not in page
    response = staff_client.post(f"/admin/billing/billingrun/{run.pk}/retry/", follow=True)
    assert "再実行できるのは失敗した請求情報作成だけです。" in response.content.decode()
    assert BillingRun.objects.get(pk=run.pk).state == "done"
    BillingRun.objects.filter(pk=run.pk).update(state="failed")
    assert 'id="run-retry"' in staff_client.get(f"/admin/billing/billingrun/{run.pk}/change/").content.decode()
