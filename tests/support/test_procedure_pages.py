"""Issue 14 point 1 (SUP-4, PAY-5): the guided procedures' screens — an invoice's page and a payment's row offer the
procedures whose own plan fits them (「ガイド付き手順: <title>」), and the procedure page previews every step with its
changes (nothing changed), runs all of them as one audit batch, shows a refused step, and refuses a viewer's run."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Invoice, InvoiceStatus, NumberSequence, Payment
from billing.selectors import current_fiscal_year
from mail.models import SentMail
from members.factories import MemberFactory

pytestmark = pytest.mark.django_db

OVERPAID_LINK = "ガイド付き手順: 過払い分を次年度の請求に入金"


def page_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎")


def invoice_of(member, amount=10_000, **kw) -> Invoice:
    return InvoiceFactory(member=member, fiscal_year=current_fiscal_year(member.society), amount=amount, **kw)


def pay(inv, amount, method="bank_transfer") -> Payment:
    return PaymentFactory(invoice=inv, amount=amount, method=method,
                          paid_on=clock.today(inv.member.society) - datetime.timedelta(days=3))


def state() -> tuple:
    return (Invoice.objects.count(), Payment.objects.count(), Payment.objects.live().count(),
            Invoice.objects.filter(cancelled_at__isnull=False).count(), AuditEntry.objects.count(),
            SentMail.objects.count(), tuple(NumberSequence.objects.order_by("pk").values_list("kind", "last")))


def invoice_page(client, inv) -> str:
    response = client.get(f"/admin/billing/invoice/{inv.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def procedure_url(procedure, **subject) -> str:
    (key, pk), = subject.items()
    return f"/admin/support/procedures/{procedure}/?{key}={pk}"


def test_sup4_overpaid_invoice_page_offers_overpayment_to_next_year_and_a_paid_one_does_not(member, staff_op):
    client = page_client(staff_op)
    overpaid = invoice_of(member)
    pay(overpaid, 15_000)
    html = invoice_page(client, overpaid)
    assert OVERPAID_LINK in html
    assert f'href="{procedure_url("overpayment_to_next_year", invoice=overpaid.pk)}"' in html
    assert "ガイド付き手順: 会員種別の修正(請求の再作成)" in html

    paid = InvoiceFactory(member=member, fiscal_year=overpaid.fiscal_year - 1, amount=10_000)
    pay(paid, 10_000)
    html = invoice_page(client, paid)
    assert OVERPAID_LINK not in html  # the procedure's own plan: not overpaid
    assert "ガイド付き手順: 会員種別の修正(請求の再作成)" in html
    assert "ガイド付き手順: 当年度の請求を次年度の請求に変更" not in html  # the next fiscal year is already billed


def test_sup4_payment_history_rows_offer_move_and_split_for_a_live_payment_only(member, staff_op):
    inv = invoice_of(member)
    live, gone = pay(inv, 10_000), pay(inv, 1_000)
    Payment.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    html = page_client(staff_op).get(f"/admin/billing/payment/?invoice={inv.pk}").content.decode()
    assert f'href="{procedure_url("move_payment", payment=live.pk)}"' in html
    assert f'href="{procedure_url("split_combined_payment", payment=live.pk)}"' in html
    assert f"payment={gone.pk}" not in html
    html = page_client(staff_op).get(f"/admin/billing/payment/register/{inv.pk}/").content.decode()
    assert f'href="{procedure_url("move_payment", payment=live.pk)}"' in html


def test_sup4_invoice_page_offer_runs_bounded_queries(member, staff_op):
    client = page_client(staff_op)
    inv = invoice_of(member)
    pay(inv, 15_000)
    invoice_page(client, inv)
    with CaptureQueriesContext(connection) as few:
        invoice_page(client, inv)
    for _ in range(5):
        pay(inv, 1_000)
    with CaptureQueriesContext(connection) as many:
        assert OVERPAID_LINK in invoice_page(client, inv)
    assert len(many) == len(few) <= 40


def test_sup4_preview_page_shows_every_step_and_change_and_changes_nothing(member, staff_op):
    inv = invoice_of(member)
    pay(inv, 15_000)
    client = page_client(staff_op)
    url = procedure_url("overpayment_to_next_year", invoice=inv.pk)
    assert 'id="procedure-run"' not in client.get(url).content.decode()
    before = state()
    html = client.post(url, {"preview": "1"}).content.decode()
    assert state() == before
    for label in ("①入金履歴削除", "②当年度の請求に入金情報登録", "③次年度の請求作成", "④過払い分の入金情報登録"):
        assert label in html
    assert 'class="audit-changes"' in html and 'id="procedure-run"' in html


def test_sup4_run_page_runs_every_step_as_one_audit_batch(member, staff_op):
    inv = invoice_of(member)
    paid = pay(inv, 15_000)
    url = procedure_url("overpayment_to_next_year", invoice=inv.pk)
    before = AuditEntry.objects.count()
    html = page_client(staff_op).post(url, {"run": "1"}).content.decode()
    assert 'id="procedure-done"' in html, html
    entries = AuditEntry.objects.order_by("pk")[before:]
    assert len({e.batch_id for e in entries}) == 1
    assert Payment.objects.get(pk=paid.pk).deleted
    nxt = Invoice.objects.with_status().get(member=member, fiscal_year=inv.fiscal_year + 1)
    assert f'href="/admin/billing/invoice/{nxt.pk}/change/"' in html
    assert Invoice.objects.with_status().get(pk=inv.pk).status == InvoiceStatus.PAID


def test_sup4_refused_step_shows_its_index_code_and_message_and_nothing_changed(member, staff_op, student_type,
                                                                               monkeypatch):
    from members import services as member_services

    inv = invoice_of(member)
    pay(inv, 3_000)

    def refused(**kw):
        raise DomainError("email_locked_by_apass", "refused by the rule", status=409)

    monkeypatch.setattr(member_services, "member_update", refused)
    url = procedure_url("member_type_correction", invoice=inv.pk)
    client = page_client(staff_op)
    assert f'<option value="{student_type.pk}"' in client.get(url).content.decode()
    before = state()
    for button in ("preview", "run"):
        html = client.post(url, {button: "1", "member_type": student_type.pk}).content.decode()
        refusal = re.search(r'id="procedure-refused">(.*?)</p>', html, re.S).group(1)
        assert "3" in refusal and "email_locked_by_apass" in refusal and "refused by the rule" in refusal
        assert state() == before


def test_sup4_viewer_sees_no_run_and_cannot_run(member, viewer_op):
    inv = invoice_of(member)
    pay(inv, 15_000)
    client = page_client(viewer_op)
    url = procedure_url("overpayment_to_next_year", invoice=inv.pk)
    html = client.get(url).content.decode()
    assert 'id="procedure-run"' not in html
    before = state()
    assert client.post(url, {"run": "1"}).status_code == 403
    assert state() == before


def test_sup4_procedure_page_of_another_society_invoice_is_not_found(member, other_op):
    inv = invoice_of(member)
    assert page_client(other_op).get(procedure_url("rebill_next_year", invoice=inv.pk)).status_code == 404
    assert page_client(other_op).get("/admin/support/procedures/nope/?invoice=1").status_code == 404


def test_sup4_the_preview_names_the_member_types_as_the_society_calls_them(member, staff_op, student_type):
    """会員種別変更's row of the preview: 正会員 → 学生会員 as the society names them, not their codes."""
    inv = invoice_of(member)
    pay(inv, 3_000)
    html = page_client(staff_op).post(procedure_url("member_type_correction", invoice=inv.pk),
                                      {"preview": "1", "member_type": student_type.pk}).content.decode()
    rows = re.findall(r'data-key="member_type"><th scope="row">[^<]*</th><td class="audit-before">([^<]*)</td>'
                      r'<td class="audit-after">([^<]*)</td>', html)
    assert (member.member_type.name, student_type.name) in rows, rows
    assert all(student_type.code not in pair and member.member_type.code not in pair for pair in rows)
