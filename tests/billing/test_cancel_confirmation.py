"""Issue 12 point 7 (BIL-7): every [請求取消] — from the invoice's page, from a row of [個人会員請求検索], for a selection
(「請求取消（選択した請求をまとめて）」) and for a whole run — first shows a confirmation page saying exactly what
will change (請求番号, member, 請求名称, amount; that it cannot be undone) with [確定] and [戻る]; nothing is cancelled
until [確定]. A refusal (``invoice_has_payments``) shows there before confirming, and then there is no [確定]."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BillingRun, Invoice
from members.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎", email="yamada@example.ac.jp")


def cancelled_ids() -> set[int]:
    return set(Invoice.objects.filter(cancelled_at__isnull=False).values_list("pk", flat=True))


def assert_says_what_changes(html: str, *invoices) -> None:
    assert "請求取消は元に戻せません" in html
    assert 'name="confirm"' in html and 'value="確定"' in html and "戻る" in html
    table = html[html.index('id="cancel-invoices"'):]
    for invoice in invoices:
        for shown in (str(invoice.number), str(invoice.member), invoice.name, f"{invoice.amount + invoice.adjustment:,}円"):
            assert shown in table, shown


def href(html: str, element_id: str) -> str:
    return re.search(r'href="([^"]+)"[^>]*id="' + element_id + '"', html).group(1)


def test_bil7_invoice_page_cancel_asks_for_confirmation(staff_client, member):
    invoice = InvoiceFactory(member=member, name="2026年度 年会費", amount=10_000, adjustment=-1_000)
    page = staff_client.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    url = href(page, "invoice-cancel")
    confirmation = staff_client.get(url)
    assert confirmation.status_code == 200 and not cancelled_ids()
    html = confirmation.content.decode()
    assert_says_what_changes(html, invoice)
    assert "9,000円" in html
    assert href(html, "cancel-back") == f"/admin/billing/invoice/{invoice.pk}/change/"
    assert staff_client.post(url).status_code == 200 and not cancelled_ids()  # no [確定]: still the page
    done = staff_client.post(url, {"confirm": "確定"}, follow=True)
    assert cancelled_ids() == {invoice.pk}
    assert any(f"{invoice.number}" in str(m) for m in done.context["messages"])
    assert AuditEntry.objects.filter(action="billing.invoice.cancelled", target_id=str(invoice.pk)).count() == 1


def test_bil7_list_row_cancel_is_a_link_to_the_confirmation(staff_client, member):
    invoice = InvoiceFactory(member=member)
    html = staff_client.get("/admin/billing/invoice/").content.decode()
    url = f"/admin/billing/invoice/{invoice.pk}/cancel/"
    assert f'href="{url}"' in html and f'formaction="{url}"' not in html
    assert_says_what_changes(staff_client.get(url).content.decode(), invoice)
    assert not cancelled_ids()


def test_bil7_refusal_shows_on_the_confirmation_page_before_confirming(staff_client, member):
    invoice = InvoiceFactory(member=member)
    PaymentFactory(invoice=invoice)
    html = staff_client.get(f"/admin/billing/invoice/{invoice.pk}/cancel/").content.decode()
    assert "入金情報が登録されている場合は、請求取消できません" in html
    assert "入金履歴を削除してから請求を取消すことができます" in html
    assert 'name="confirm"' not in html and f"/admin/billing/payment/?invoice={invoice.pk}" in html
    assert not cancelled_ids()


def test_bil7_bulk_cancel_action_asks_for_confirmation(staff_client, member, society, regular_type):
    a, b = InvoiceFactory(member=member), InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type))
    keep = InvoiceFactory(member=member)
    selection = {"action": "cancel_selected", ACTION_CHECKBOX_NAME: [a.pk, b.pk]}
    confirmation = staff_client.post("/admin/billing/invoice/?fiscal_year=2026", selection)
    assert confirmation.status_code == 200 and not cancelled_ids()
    html = confirmation.content.decode()
    assert_says_what_changes(html, a, b)
    assert f"<td>{keep.number}</td>" not in html
    assert "次の2件の請求を取消します" in html
    form = html[html.index('id="cancel-confirm"') - 200:]
    assert 'action="/admin/billing/invoice/?fiscal_year=2026"' in form
    posted = {k: v for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)}
    assert posted["action"] == "cancel_selected"
    staff_client.post("/admin/billing/invoice/?fiscal_year=2026", {**selection, "confirm": "確定"})
    assert cancelled_ids() == {a.pk, b.pk}


def test_bil7_bulk_cancel_refusal_shown_before_confirming(staff_client, member):
    a, paid = InvoiceFactory(member=member), InvoiceFactory(member=member)
    PaymentFactory(invoice=paid)
    html = staff_client.post("/admin/billing/invoice/", {"action": "cancel_selected",
                                                         ACTION_CHECKBOX_NAME: [a.pk, paid.pk]}).content.decode()
    assert "1件は請求取消できません" in html and 'name="confirm"' not in html
    assert not cancelled_ids()


def test_bil7_run_cancel_asks_for_confirmation(staff_client, society, member, regular_type):
    run = BillingRun.objects.create(society=society, name="2026年度 年会費", category="annual", fiscal_year=2026,
                                    allocation_start=datetime.date(2026, 4, 1), requested_by="t",
                                    requested_on=datetime.date(2026, 4, 1), state=BillingRun.State.DONE,
                                    requested_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc))
    invoices = [InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), run=run)
                for _ in range(3)]
    already = InvoiceFactory(member=member, run=run, cancelled_at=datetime.datetime(2026, 4, 2, tzinfo=datetime.timezone.utc))
    page = staff_client.get(f"/admin/billing/billingrun/{run.pk}/change/").content.decode()
    url = href(page, "run-cancel")
    html = staff_client.get(url).content.decode()
    assert_says_what_changes(html, *invoices)
    assert "2026年度 年会費」の次の3件の請求を取消します" in html and f"<td>{already.number}</td>" not in html
    assert 'id="cancel-sum">30,000円<' in html
    assert not cancelled_ids() - {already.pk}
    staff_client.post(url, {"confirm": "確定"})
    assert cancelled_ids() == {already.pk, *(i.pk for i in invoices)}


def test_bil7_run_confirmation_bounded_queries(staff_client, society, regular_type, django_assert_max_num_queries):
    run = BillingRun.objects.create(society=society, name="r", category="annual", fiscal_year=2026,
                                    allocation_start=datetime.date(2026, 4, 1), requested_by="t",
                                    requested_on=datetime.date(2026, 4, 1), state=BillingRun.State.DONE,
                                    requested_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc))
    for _ in range(30):
        invoice = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), run=run)
    PaymentFactory(invoice=invoice)
    with django_assert_max_num_queries(12):
        html = staff_client.get(f"/admin/billing/billingrun/{run.pk}/cancel/").content.decode()
    assert "1件は請求取消できません" in html


def test_bil7_confirmation_pages_refused_to_viewers_and_other_societies(client, viewer_op, other_op, member):
    invoice = InvoiceFactory(member=member)
    client.force_login(viewer_op)
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/cancel/").status_code == 403
    client.force_login(other_op)
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/cancel/").status_code == 404
    assert not cancelled_ids()
