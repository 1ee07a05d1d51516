"""Issue 14 §1 point 4 (SUP-4, PAY-5): the procedure page's queries are pinned — the preview, a step of the
step-by-step mode and the run of ``member_type_correction`` after an online payment (学生会員 billed 3,000 and paid
by credit card, corrected to 正会員: ①入金履歴削除 → ②請求取消 → ③会員種別変更 → ④請求作成 → ⑤入金情報登録) take the
same number of queries whether the member has one invoice or a dozen more."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from backoffice import clock
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Invoice
from billing.selectors import current_fiscal_year
from members.factories import MemberFactory

pytestmark = pytest.mark.django_db

#: the pins, measured on SQLite and PostgreSQL alike (a request's session and operator included)
PREVIEW_QUERIES = 66  # + the audit chain's head lock and end read (SEC-1) in the dry run; + the member types by name
STEP_QUERIES = 37  # + the audit chain's head lock and end read (SEC-1) in the dry run; + the member types by name
RUN_QUERIES = 66  # + the audit chain's head lock and end read (SEC-1); + the member types by name


def setup_case(society, student_type, other_invoices: int):
    member = MemberFactory(society=society, member_type=student_type, name="学生 次郎")
    fy = current_fiscal_year(society)
    paid_on = clock.today(society) - datetime.timedelta(days=3)
    for i in range(other_invoices):  # older years, paid online: more rows of the member, never more queries
        old = InvoiceFactory(member=member, fiscal_year=fy - 1 - i, amount=3_000, settlement_number=f"RP9{i:04d}")
        PaymentFactory(invoice=old, amount=3_000, method="credit_card", paid_on=paid_on,
                       settlement_number=f"RP9{i:04d}")
    inv = InvoiceFactory(member=member, fiscal_year=fy, amount=3_000, settlement_number="RP00000012")
    PaymentFactory(invoice=inv, amount=3_000, method="credit_card", paid_on=paid_on, settlement_number="RP00000012")
    return inv


def client_of(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.mark.parametrize("other_invoices", [0, 12])
def test_sup4_member_type_correction_page_preview_step_and_run_queries_are_pinned(
        society, staff_op, student_type, regular_type, other_invoices, django_assert_num_queries):
    inv = setup_case(society, student_type, other_invoices)
    client = client_of(staff_op)
    url = f"/admin/support/procedures/member_type_correction/?invoice={inv.pk}"
    form = {"member_type": regular_type.pk}
    client.post(url, {**form, "preview": "1"})  # warm: the session, the content types' cache
    with django_assert_num_queries(PREVIEW_QUERIES):
        html = client.post(url, {**form, "preview": "1"}).content.decode()
    assert "⑤入金情報登録" in html and 'id="procedure-run"' in html, html
    with django_assert_num_queries(STEP_QUERIES):
        html = client.post(url, {**form, "step": "3"}).content.decode()
    assert 'id="procedure-current-step"' in html
    with django_assert_num_queries(RUN_QUERIES):
        html = client.post(url, {**form, "run": "1"}).content.decode()
    assert 'id="procedure-done"' in html, html
    new = Invoice.objects.with_status().get(member=inv.member, fiscal_year=inv.fiscal_year, cancelled_at__isnull=True)
    assert (new.amount, new.paid) == (10_000, 3_000)
