"""API.md "Payment dates": a payment's ``paid_on`` is neither after today on the society clock nor before the first
day of the fiscal year preceding its invoice's — one predicate (``selectors.payment_date_refusal``) that every way
of registering a payment meets: the service [入金情報登録] (API, admin screen), the split (PAY-4), the bank statement
(PAY-6) and the guided procedures (through the service). Refused: 400 ``invalid`` naming ``paid_on``, in Japanese."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import translation

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing import selectors, statement_files
from billing.factories import InvoiceFactory
from billing.models import Payment
from billing.services import payments as services
from billing.services import statements as statement_services
from members.factories import MemberFactory, MemberTypeFactory, OperatorFactory, SocietyFactory

from ..members.helpers import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/v1/payments/"


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎", name_kana="ヤマダ タロウ",
                         member_number="000123", email="yamada@example.ac.jp")


def invoice_of(member, year=None):
    year = year if year is not None else selectors.current_fiscal_year(member.society)
    return InvoiceFactory(member=member, amount=10_000, fiscal_year=year)


def earliest(invoice) -> datetime.date:
    return datetime.date(invoice.fiscal_year - 1, 4, 1)  # April: the default fiscal year start


def refused_date(call) -> DomainError:
    before = (Payment.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.code == "invalid" and exc.value.status == 400
    assert list(exc.value.fields) == ["paid_on"]
    assert (Payment.objects.count(), AuditEntry.objects.count()) == before
    return exc.value


def test_payment_dates_predicate_bounds(society, member):
    invoice = invoice_of(member, 2025)
    today = clock.today(society)
    assert selectors.payment_date_refusal(invoice, today) is None
    assert selectors.payment_date_refusal(invoice, datetime.date(2024, 4, 1)) is None  # first day of 2024年度
    assert selectors.payment_date_refusal(invoice, datetime.date(2024, 3, 31)) is not None
    assert selectors.payment_date_refusal(invoice, today + datetime.timedelta(days=1)) is not None
    assert selectors.payment_date_refusal(invoice, None) is not None


def test_payment_dates_follow_the_society_fiscal_year_start(member):
    society = member.society
    society.fiscal_year_start_month = 1
    society.save()
    invoice = invoice_of(member, 2025)
    assert selectors.payment_date_refusal(invoice, datetime.date(2024, 1, 1)) is None
    assert selectors.payment_date_refusal(invoice, datetime.date(2023, 12, 31)) is not None


def test_payment_dates_register_refuses_the_future_and_too_early_dates(staff_op, member):
    invoice = invoice_of(member)
    today = clock.today(member.society)
    for day in (today + datetime.timedelta(days=1), earliest(invoice) - datetime.timedelta(days=1),
                datetime.date(2000, 1, 1)):
        refused_date(lambda: services.payment_register(actor=staff_op, invoice=invoice, amount=1,
                                                       method="bank_transfer", paid_on=day))
    for day in (today, earliest(invoice)):
        services.payment_register(actor=staff_op, invoice=invoice, amount=1, method="bank_transfer", paid_on=day)
    assert Payment.objects.count() == 2


def test_payment_dates_read_the_sandbox_clock():
    """SIM-1: a sandbox moved a month ahead takes a payment dated on its today, which is after the real one."""
    society = SocietyFactory(slug="train", name="研修学会", is_sandbox=True, clock_offset=datetime.timedelta(days=30))
    trainer = OperatorFactory(society=society, role="trainer", email="trainer@train.example.jp")
    member = MemberFactory(society=society, member_type=MemberTypeFactory(society=society, code="r", name="正会員"))
    invoice = invoice_of(member)
    ahead = clock.today(society)
    assert ahead > datetime.date.today()
    services.payment_register(actor=trainer, invoice=invoice, amount=1, method="bank_transfer", paid_on=ahead)
    refused_date(lambda: services.payment_register(actor=trainer, invoice=invoice, amount=1, method="bank_transfer",
                                                   paid_on=ahead + datetime.timedelta(days=1)))


def test_payment_dates_api_answers_400_naming_paid_on_in_japanese(api, member):
    """Issue 16: a payment of 1円 dated 2000-01-01 on a 2025年度 invoice was registered."""
    invoice = invoice_of(member, 2025)
    body = {"invoice": invoice.pk, "amount": 1, "method": "bank_transfer", "paid_on": "2000-01-01"}
    error = assert_error(api.post(URL, body, format="json"), 400, "invalid")
    assert list(error["fields"]) == ["paid_on"]
    assert "入金日は 2024-04-01（請求の年度 2025 の前年度の初日）から" in error["fields"]["paid_on"][0]
    future = (clock.today(member.society) + datetime.timedelta(days=1)).isoformat()
    assert list(assert_error(api.post(URL, {**body, "paid_on": future}, format="json"), 400, "invalid")["fields"]) \
        == ["paid_on"]
    with translation.override("en"):
        en = assert_error(api.post(URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en"), 400, "invalid")
    assert "payment date" in en["fields"]["paid_on"][0]
    assert not Payment.objects.exists()
    assert api.post(URL, {**body, "paid_on": "2024-04-01"}, format="json").status_code == 201


def test_payment_dates_split_refuses_a_date_before_the_oldest_invoice_allows(api, member):
    old, new = invoice_of(member, 2023), invoice_of(member, 2025)
    body = {"member": member.pk, "method": "bank_transfer", "paid_on": "2022-03-31",
            "allocations": [{"invoice": old.pk, "amount": 10_000}, {"invoice": new.pk, "amount": 10_000}]}
    assert list(assert_error(api.post(f"{URL}split/", body, format="json"), 400, "invalid")["fields"]) == ["paid_on"]
    body["paid_on"] = "2023-04-01"  # fits 2023年度 (from 2022-04-01) but not 2025年度 (from 2024-04-01)
    assert list(assert_error(api.post(f"{URL}split/", body, format="json"), 400, "invalid")["fields"]) == ["paid_on"]
    assert not Payment.objects.exists()  # all or none
    body["paid_on"] = "2024-04-01"
    assert api.post(f"{URL}split/", body, format="json").status_code == 201


def test_payment_dates_admin_register_screen_shows_the_refusal_on_the_date(staff_op, member):
    invoice = invoice_of(member, 2025)
    client = Client()
    client.force_login(staff_op)
    url = f"/admin/billing/payment/register/{invoice.pk}/"
    answer = client.post(url, {"amount": "1", "method": "bank_transfer", "paid_on": "2000-01-01", "remarks": ""})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "入金日は 2024-04-01（請求の年度 2025 の前年度の初日）から" in page
    assert not Payment.objects.exists()


def test_payment_dates_a_statement_row_older_than_the_invoice_allows_is_not_matched(staff_op, society, member):
    """PAY-6: a row dated before the invoice takes payments matches nothing (``amount_differs``); a fitting one
    matches."""
    invoice = invoice_of(member, 2026)
    old_day, good_day = datetime.date(2025, 3, 31), datetime.date(2025, 4, 1)
    data = statement_files.write_csv([(old_day, 10_000, "000123 ﾔﾏﾀﾞ")])
    statement = statement_services.statement_import(actor=staff_op, society=society, data=data, file_format="csv")
    assert (statement.matched, statement.unmatched) == (0, 1)
    row = statement.lines.get()
    assert row.reason == "amount_differs"
    assert not Payment.objects.exists()
    refused_date(lambda: statement_services.statement_row_match(actor=staff_op, row=row,
                                                                allocations=[(invoice.pk, 10_000)]))
    data = statement_files.write_csv([(good_day, 10_000, "000123 ﾔﾏﾀﾞ")])
    statement = statement_services.statement_import(actor=staff_op, society=society, data=data, file_format="csv")
    assert statement.matched == 1 and Payment.objects.get().paid_on == good_day
