"""BIL-12 under concurrency (SEC-4): a payment registered while a reminder is being sent. The payment side holds
the invoice's lock (the helpers' contract: lock the invoice before writing on it); the reminder waits for it and
decides on the committed state — the paid invoice gets no mail. Real threads, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from billing import numbering
from billing.factories import InvoiceFactory
from billing.models import Invoice, Payment, Reminder
from billing.services.reminders import invoices_remind
from mail.models import SentMail
from members.factories import MemberFactory, OperatorFactory, SocietyFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_bil12_invoice_paid_while_reminding_gets_no_mail():
    society = SocietyFactory(slug="conc-remind", name="並行学会")
    op = OperatorFactory(society=society, role="staff")
    invoice = InvoiceFactory(member=MemberFactory(society=society), amount=10_000)
    locked = threading.Event()
    results = {}

    def pay():
        try:
            with transaction.atomic():
                Invoice.objects.select_for_update().get(pk=invoice.pk)
                locked.set()
                time.sleep(0.5)  # the reminder starts now and must wait for this transaction
                Payment.objects.create(society=society, invoice=invoice, amount=10_000, method="bank_transfer",
                                       receipt_number=numbering.take(society, numbering.RECEIPT),
                                       paid_on=timezone.localdate(), created_by="test", created_at=timezone.now())
        finally:
            connection.close()

    def remind():
        try:
            locked.wait(5)
            results["remind"] = invoices_remind(actor=op, invoices=[invoice.pk])
        finally:
            connection.close()

    for conn in connections.all():
        conn.close()
    threads = [threading.Thread(target=pay), threading.Thread(target=remind)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    result = results["remind"]
    assert result.sent == 0 and result.skipped == [{"invoice": invoice.pk, "reason": "paid"}]
    assert not SentMail.objects.exists() and not Reminder.objects.exists()
