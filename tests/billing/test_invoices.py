"""Invoice services: [請求内容確定] per invoice and per run (BIL-3), renaming a run (BIL-6), [請求取消] per invoice,
per run and for a selection — all or none, refused while a payment is registered (BIL-7), editing, single
invoices numbered without gaps (BIL-11); each with its refusal and its audit entries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BillingRun, Invoice
from billing.services import invoices as svc
from members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(society):
    return BillingRun.objects.create(society=society, name="2026年度 年会費", category="annual", fiscal_year=2026,
                                     allocation_start=datetime.date(2026, 4, 1), requested_by="t", state="done",
                                     requested_on=datetime.date(2026, 4, 1),
                                     requested_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc))


def run_invoice(run, regular_type, **kwargs):
    member = MemberFactory(society=run.society, member_type=regular_type)
    return InvoiceFactory(member=member, run=run, name=run.name, confirmed_at=None, **kwargs)


def refused(call, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_bil3_confirm_one_invoice_audited_and_idempotent(staff_op, run, regular_type):
    invoice = run_invoice(run, regular_type)
    svc.invoice_confirm(actor=staff_op, invoice=invoice)
    svc.invoice_confirm(actor=staff_op, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.confirmed
    assert len(entries("billing.invoice.confirmed")) == 1


def test_bil3_confirm_run_confirms_every_live_invoice_one_entry_each_in_one_batch(staff_op, run, regular_type):
    invoices = [run_invoice(run, regular_type) for _ in range(3)]
    cancelled = run_invoice(run, regular_type, cancelled_at=datetime.datetime(2026, 4, 2, tzinfo=datetime.timezone.utc))
    assert svc.billing_run_confirm(actor=staff_op, run=run) == 3
    assert svc.billing_run_confirm(actor=staff_op, run=run) == 0
    assert Invoice.objects.filter(run=run, confirmed_at__isnull=False).count() == 3
    cancelled.refresh_from_db()
    assert cancelled.confirmed_at is None
    logged = entries("billing.invoice.confirmed")
    assert sorted(int(e.target_id) for e in logged) == [i.pk for i in invoices]
    assert len({e.batch_id for e in logged}) == 1 and logged[0].batch_id is not None


def test_bil3_viewer_and_other_society_refused(viewer_op, other_op, run, regular_type):
    invoice = run_invoice(run, regular_type)
    assert refused(svc.invoice_confirm, actor=viewer_op, invoice=invoice).code == "permission_denied"
    assert refused(svc.billing_run_confirm, actor=other_op, run=run).code == "not_found"
    assert not Invoice.objects.filter(confirmed_at__isnull=False).exists() and not entries("billing.invoice.confirmed")


def test_bil6_rename_run_renames_every_invoice_paid_ones_included(staff_op, run, regular_type):
    unpaid = run_invoice(run, regular_type)
    paid = run_invoice(run, regular_type)
    PaymentFactory(invoice=paid)
    svc.billing_run_rename(actor=staff_op, run=run, name="2026年度 年会費(改)")
    assert set(Invoice.objects.filter(pk__in=[unpaid.pk, paid.pk]).values_list("name", flat=True)) == {"2026年度 年会費(改)"}
    assert BillingRun.objects.get(pk=run.pk).name == "2026年度 年会費(改)"
    run_entry, = entries("billing.run.renamed")
    renamed = entries("billing.invoice.renamed")
    assert len(renamed) == 2 and {e.batch_id for e in renamed} == {run_entry.batch_id}
    assert renamed[0].before == {"name": "2026年度 年会費"}
    assert refused(svc.billing_run_rename, actor=staff_op, run=run, name="").code == "invalid"


def test_bil7_cancel_refused_while_a_payment_is_registered_with_the_manual_message(staff_op, run, regular_type):
    invoice = run_invoice(run, regular_type)
    PaymentFactory(invoice=invoice)
    with translation.override("ja"):
        error = refused(svc.invoice_cancel, actor=staff_op, invoice=invoice)
        assert (error.code, error.status, str(error)) == (
            "invoice_has_payments", 409, "入金情報が登録されている場合は、請求取消できません")
    assert not Invoice.objects.filter(cancelled_at__isnull=False).exists() and not entries("billing.invoice.cancelled")


def test_bil7_cancel_after_payment_deleted_then_no_edit(staff_op, run, regular_type):
    invoice = run_invoice(run, regular_type)
    payment = PaymentFactory(invoice=invoice)
    payment.deleted_at = datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc)
    payment.save()
    svc.invoice_cancel(actor=staff_op, invoice=invoice)
    invoice = Invoice.objects.with_status().get(pk=invoice.pk)
    assert invoice.status == "cancelled" and invoice.cancelled_by == staff_op.email
    entry, = entries("billing.invoice.cancelled")
    assert entry.target_id == str(invoice.pk) and entry.batch_id is None
    for call, kwargs in ((svc.invoice_cancel, {}), (svc.invoice_update, {"name": "x"}),
                         (svc.invoice_update, {"adjustment": -100}), (svc.invoice_confirm, {})):
        error = refused(call, actor=staff_op, invoice=invoice, **kwargs)
        assert (error.code, error.status) == ("invoice_cancelled", 409)


def test_bil7_cancel_run_is_all_or_none(staff_op, run, regular_type):
    invoices = [run_invoice(run, regular_type) for _ in range(3)]
    PaymentFactory(invoice=invoices[1])
    assert refused(svc.billing_run_cancel, actor=staff_op, run=run).code == "invoice_has_payments"
    assert not Invoice.objects.filter(cancelled_at__isnull=False).exists()
    invoices[1].payments.update(deleted_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc))
    assert svc.billing_run_cancel(actor=staff_op, run=run) == 3
    logged = entries("billing.invoice.cancelled")
    assert len(logged) == 3 and len({e.batch_id for e in logged}) == 1
    assert svc.billing_run_cancel(actor=staff_op, run=run) == 0


def test_bil7_bulk_cancel_selection_all_or_none(staff_op, society, other_society, run, regular_type):
    a, b, c = (run_invoice(run, regular_type) for _ in range(3))
    PaymentFactory(invoice=c)
    assert refused(svc.invoices_bulk_cancel, actor=staff_op, society=society,
                   invoice_ids=[a.pk, c.pk]).code == "invoice_has_payments"
    stranger = InvoiceFactory(member=MemberFactory(society=other_society))
    assert refused(svc.invoices_bulk_cancel, actor=staff_op, society=society,
                   invoice_ids=[a.pk, stranger.pk]).code == "not_found"
    assert refused(svc.invoices_bulk_cancel, actor=staff_op, society=society, invoice_ids=[]).code == "invalid"
    assert not Invoice.objects.filter(cancelled_at__isnull=False).exists()
    assert svc.invoices_bulk_cancel(actor=staff_op, society=society, invoice_ids=[b.pk, a.pk]) == 2
    assert refused(svc.invoices_bulk_cancel, actor=staff_op, society=society,
                   invoice_ids=[a.pk]).code == "invoice_cancelled"
    assert len({e.batch_id for e in entries("billing.invoice.cancelled")}) == 1


def test_adj1_invoice_adjustment_and_name_edited_and_audited(staff_op, run, regular_type):
    invoice = run_invoice(run, regular_type)
    svc.invoice_update(actor=staff_op, invoice=invoice, adjustment=-3_000)
    svc.invoice_update(actor=staff_op, invoice=invoice, name="特別請求")
    svc.invoice_update(actor=staff_op, invoice=invoice, name="特別請求")  # nothing changed, no entry
    invoice = Invoice.objects.with_status().get(pk=invoice.pk)
    assert (invoice.name, invoice.adjustment, invoice.total) == ("特別請求", -3_000, 7_000)
    adjusted, = entries("billing.invoice.adjusted")
    assert (adjusted.before, adjusted.after) == ({"adjustment": 0}, {"adjustment": -3_000})
    assert len(entries("billing.invoice.renamed")) == 1
    assert refused(svc.invoice_update, actor=staff_op, invoice=invoice, adjustment=-20_000).code == "invalid"


def test_bil11_single_invoice_numbered_without_gaps_and_unconfirmed(staff_op, society, other_society, regular_type):
    member = MemberFactory(society=society, member_type=regular_type)
    first = svc.invoice_create(actor=staff_op, society=society, member=member, name="2025年度 年会費",
                               category="annual", fiscal_year=2025, amount=10_000)
    assert refused(svc.invoice_create, actor=staff_op, society=society, member=member, name="x", category="annual",
                   fiscal_year=2025, amount=-1).code == "invalid"
    assert refused(svc.invoice_create, actor=staff_op, society=society, member=MemberFactory(society=other_society),
                   name="x", category="annual", fiscal_year=2025, amount=1).code == "not_found"
    second = svc.invoice_create(actor=staff_op, society=society, member=member, name="寄付", category="other",
                                fiscal_year=2025, amount=5_000)
    assert (first.number, second.number, first.confirmed) == (1, 2, False)
    assert [e.target_id for e in entries("billing.invoice.created")] == [str(first.pk), str(second.pk)]
