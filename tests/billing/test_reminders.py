"""BIL-12 督促: a reminder mail per unpaid or partially paid invoice of a selection, logged per member and invoice;
never for a paid, overpaid, cancelled, 入金不要 (or unconfirmed) one — decided under lock at send time."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing.admin.exports import remind_action
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Invoice, Reminder
from billing.services.reminders import invoices_remind
from mail.models import SentMail
from members.factories import MemberFactory
from tests.members.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(society, regular_type, this_year):
    def make(**kw):
        return InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), fiscal_year=this_year,
                              amount=10_000, **kw)

    unpaid = make()
    partial = make()
    PaymentFactory(invoice=partial, amount=4_000)
    paid = make()
    PaymentFactory(invoice=paid, amount=10_000)
    overpaid = make()
    PaymentFactory(invoice=overpaid, amount=12_000, method="bank_check")
    cancelled = make(cancelled_at=timezone.now())
    free = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), fiscal_year=this_year,
                          amount=0)
    unconfirmed = make(confirmed_at=None)
    return dict(unpaid=unpaid, partial=partial, paid=paid, overpaid=overpaid, cancelled=cancelled, free=free,
                unconfirmed=unconfirmed)


def test_bil12_reminds_only_open_invoices_and_skips_the_rest_with_reasons(staff_op, invoices):
    result = invoices_remind(actor=staff_op, invoices=list(invoices.values()))
    assert result.sent == 2
    assert {s["invoice"]: s["reason"] for s in result.skipped} == {
        invoices["paid"].pk: "paid", invoices["overpaid"].pk: "overpaid", invoices["cancelled"].pk: "cancelled",
        invoices["free"].pk: "no_payment_needed", invoices["unconfirmed"].pk: "not_confirmed"}
    mails = SentMail.objects.filter(kind="payment_reminder").order_by("pk")
    assert [m.to for m in mails] == [invoices["unpaid"].member.email, invoices["partial"].member.email]
    assert "お支払いのお願い" in mails[0].subject and invoices["unpaid"].name in mails[0].body
    # logged per member and invoice
    logged = {(r.invoice_id, r.member_id, r.sent_mail_id) for r in Reminder.objects.all()}
    assert logged == {(invoices[k].pk, invoices[k].member_id, m.pk) for k, m in zip(("unpaid", "partial"), mails)}
    # one audit entry per reminded invoice, sharing a batch id
    entries = list(AuditEntry.objects.filter(action="billing.reminder.sent").order_by("pk"))
    assert [e.target_id for e in entries] == [str(invoices["unpaid"].pk), str(invoices["partial"].pk)]
    assert len({e.batch_id for e in entries}) == 1 and entries[0].batch_id is not None
    assert entries[1].after["outstanding"] == 6_000 and entries[1].actor_label == staff_op.email


def test_bil12_refusals_change_nothing(viewer_op, other_op, staff_op, invoices):
    with pytest.raises(DomainError) as exc:
        invoices_remind(actor=viewer_op, invoices=[invoices["unpaid"]])
    assert exc.value.code == "permission_denied"
    with pytest.raises(DomainError) as exc:
        invoices_remind(actor=other_op, invoices=[invoices["unpaid"]])
    assert exc.value.code == "not_found"
    with pytest.raises(DomainError) as exc:
        invoices_remind(actor=staff_op, invoices=[])
    assert exc.value.code == "invalid"
    assert not Reminder.objects.exists() and not SentMail.objects.exists()
    assert not AuditEntry.objects.filter(action="billing.reminder.sent").exists()


def test_bil12_status_is_read_at_send_time_under_lock(staff_op, invoices):
    """An invoice paid after the screen showed it 未入金 is not reminded: the service reads the status again."""
    PaymentFactory(invoice=invoices["unpaid"], amount=10_000)
    result = invoices_remind(actor=staff_op, invoices=[invoices["unpaid"].pk])
    assert result.sent == 0 and result.skipped == [{"invoice": invoices["unpaid"].pk, "reason": "paid"}]
    assert not SentMail.objects.exists()


def test_bil12_api_remind(api, viewer_api, other_api, invoices):
    ids = [i.pk for i in invoices.values()]
    assert_error(viewer_api.post("/api/v1/invoices/remind/", {"invoice_ids": ids}, format="json"), 403,
                 "permission_denied")
    assert_error(other_api.post("/api/v1/invoices/remind/", {"invoice_ids": ids}, format="json"), 404, "not_found")
    assert_error(api.post("/api/v1/invoices/remind/", {"invoice_ids": []}, format="json"), 400, "invalid")
    assert_error(api.post("/api/v1/invoices/remind/", {"invoice_ids": ["x"]}, format="json"), 400, "invalid")
    r = api.post("/api/v1/invoices/remind/", {"invoice_ids": ids}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["sent"] == 2 and len(body["skipped"]) == 5
    assert {"invoice": invoices["free"].pk, "reason": "no_payment_needed"} in body["skipped"]


def test_bil12_admin_screen_and_action(staff_client, client, viewer_op, invoices):
    ids = ",".join(str(i.pk) for i in invoices.values())
    r = staff_client.get("/admin/billing/remind/", {"ids": ids})
    html = r.content.decode()
    assert r.status_code == 200 and "督促メール送信" in html
    assert not SentMail.objects.exists()  # showing is not sending
    r = staff_client.post("/admin/billing/remind/", {"ids": ids})
    assert r.status_code == 200 and SentMail.objects.filter(kind="payment_reminder").count() == 2
    assert r.context["result"].sent == 2
    assert staff_client.get("/admin/billing/remind/", {"ids": "abc"}).status_code == 404
    client.force_login(viewer_op)
    assert client.post("/admin/billing/remind/", {"ids": ids}).status_code == 403


def test_bil12_remind_action_for_the_invoice_search(rf, staff_op, invoices):
    """The action function the invoice search registers: shows the confirmation, sends on [送信]."""
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    queryset = Invoice.objects.filter(pk__in=[i.pk for i in invoices.values()])
    request = rf.post("/admin/billing/invoice/", {"action": "remind_action", "apply": "1",
                                                  ACTION_CHECKBOX_NAME: [i.pk for i in invoices.values()]})
    request.user = staff_op
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = admin.ModelAdmin(Invoice, admin.site)
    response = remind_action(model_admin, request, queryset)
    assert response.status_code == 200 and response.context_data["result"].sent == 2


def test_soc2_remind_screen_hides_another_societys_invoices(client, other_op, invoices):
    client.force_login(other_op)
    assert client.get("/admin/billing/remind/", {"ids": str(invoices["unpaid"].pk)}).status_code == 404


def test_bil12_audit_entry_reads_in_japanese(staff_op, invoices):
    from django.utils import translation

    from backoffice import audit

    invoices_remind(actor=staff_op, invoices=[invoices["partial"]])
    with translation.override("ja"):
        assert audit.action_label("billing.reminder.sent") == "督促メール送信"
        assert audit.field_label("outstanding", action="billing.reminder.sent", model=Invoice) == "未入金額"
        assert audit.field_choices("status", action="billing.reminder.sent", model=Invoice)["partially_paid"] == "一部入金"
