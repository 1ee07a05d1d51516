"""The shapes every billing rule stands on: derived invoice status (BIL-4), gap-free numbers (BIL-11),
one live invoice per member per run (BIL-1)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import numbering
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BillingRun, Invoice, InvoiceStatus, Payment
from members.factories import MemberFactory


def status_of(invoice) -> str:
    return Invoice.objects.with_status().get(pk=invoice.pk).status


@pytest.mark.django_db
def test_bil4_status_derived_from_total_and_live_payments(society, regular_type):
    member = MemberFactory(society=society, member_type=regular_type)
    invoice = InvoiceFactory(member=member, amount=10_000, adjustment=-2_000)
    assert status_of(invoice) == InvoiceStatus.UNPAID
    PaymentFactory(invoice=invoice, amount=3_000)
    assert status_of(invoice) == InvoiceStatus.PARTIALLY_PAID
    second = PaymentFactory(invoice=invoice, amount=5_000)
    assert status_of(invoice) == InvoiceStatus.PAID
    PaymentFactory(invoice=invoice, amount=1_000)
    assert status_of(invoice) == InvoiceStatus.OVERPAID
    # A deleted payment no longer counts (PAY-2 keeps it, BIL-4 ignores it).
    Payment.objects.filter(pk=second.pk).update(deleted_at=timezone.now())
    assert status_of(invoice) == InvoiceStatus.PARTIALLY_PAID
    Invoice.objects.filter(pk=invoice.pk).update(cancelled_at=timezone.now())
    assert status_of(invoice) == InvoiceStatus.CANCELLED


@pytest.mark.django_db
def test_bil5_zero_total_needs_no_payment(society):
    invoice = InvoiceFactory(member=MemberFactory(society=society), amount=0)
    annotated = Invoice.objects.with_status().get(pk=invoice.pk)
    assert (annotated.status, annotated.total, annotated.paid) == (InvoiceStatus.NO_PAYMENT_NEEDED, 0, 0)


@pytest.mark.django_db
def test_bil4_status_list_is_one_query(society, django_assert_num_queries):
    for _ in range(5):
        PaymentFactory(invoice=InvoiceFactory(member=MemberFactory(society=society)), amount=500)
    with django_assert_num_queries(1):
        assert {i.status for i in Invoice.objects.with_status()} == {InvoiceStatus.PARTIALLY_PAID}


@pytest.mark.django_db(transaction=True)
def test_bil11_rolled_back_numbers_are_given_back(society, other_society):
    with transaction.atomic():
        assert numbering.take(society, numbering.INVOICE, 3) == 1
    try:
        with transaction.atomic():
            assert numbering.take(society, numbering.INVOICE) == 4
            raise RuntimeError("the write failed")
    except RuntimeError:
        pass
    with transaction.atomic():
        assert numbering.take(society, numbering.INVOICE) == 4
        # Each society and each kind counts on its own.
        assert numbering.take(other_society, numbering.INVOICE) == 1
        assert numbering.take(society, numbering.RECEIPT) == 1


@pytest.mark.django_db
def test_bil1_one_live_invoice_per_member_per_run(society, regular_type):
    member = MemberFactory(society=society, member_type=regular_type)
    now = timezone.now()
    run = BillingRun.objects.create(society=society, name="2026年度 年会費", category="annual", fiscal_year=2026,
                                    allocation_start=now.date().replace(day=1), requested_by="test",
                                    requested_on=now.date(), requested_at=now)
    first = InvoiceFactory(member=member, run=run)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(member=member, run=run)
    # Once cancelled, the member may be billed again by the same run (a retried run after a cancel).
    Invoice.objects.filter(pk=first.pk).update(cancelled_at=now)
    InvoiceFactory(member=member, run=run)
