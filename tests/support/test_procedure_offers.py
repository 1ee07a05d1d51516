"""Issue 14 §1 points 2 and 3 (SUP-4, PAY-5): the guided procedures offered on the screens, each link followed from
the rendered HTML to a working procedure page.

- ``combine_invoices`` (会員から複数年会費まとめて支払いたいと言われました【オンライン決済の場合】): [個人会員請求検索] ›
  select one member's invoices › action 「複数年度をまとめた請求作成」 opens the procedure page with them prefilled
  and previewed; an invoice's page offers it while the member has other unpaid live invoices. A selection of two
  members or a paid invoice shows the procedure's message (409 procedure_not_applicable), never a 500.
- an overpaid invoice offers ``overpayment_to_next_year``, a paid one ``member_type_correction``, a live payment
  ``move_payment`` and ``split_combined_payment``: each link opens a page whose preview and run work."""

from __future__ import annotations

import datetime
import html as html_lib
import re

import pytest
from django.test import Client

from backoffice import clock
from backoffice.models import AuditEntry
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Category, Invoice, InvoiceStatus, Payment
from billing.selectors import current_fiscal_year
from members.factories import MemberFactory

pytestmark = pytest.mark.django_db

COMBINE_LINK = "ガイド付き手順: 複数年度の請求を1つにまとめる"
ACTION_LABEL = "複数年度をまとめた請求作成"


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎")


def client_of(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def invoice_of(member, year_offset=0, amount=10_000, **kw) -> Invoice:
    fy = current_fiscal_year(member.society) + year_offset
    return InvoiceFactory(member=member, fiscal_year=fy, amount=amount, name=f"{fy}年度 年会費", **kw)


def pay(inv, amount, method="bank_transfer") -> Payment:
    return PaymentFactory(invoice=inv, amount=amount, method=method,
                          paid_on=clock.today(inv.member.society) - datetime.timedelta(days=3))


def link_to(html: str, label: str) -> str:
    """The href of the link reading ``label`` on a rendered page."""
    match = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(label)}</a>', html)
    assert match, f"no link {label!r}"
    return html_lib.unescape(match.group(1))


def select_action(client, ids, action="combine_invoices"):
    return client.post("/admin/billing/invoice/", {"action": action, "_selected_action": [str(i) for i in ids],
                                                   "index": "0"})


def error_of(html: str) -> str:
    return re.search(r'id="procedure-error">(.*?)</p>', html, re.S).group(1)


# --- point 2: combine_invoices on the screens ----------------------------------------------------------------


def test_pay5_invoice_search_offers_the_combine_action_to_support_roles_only(member, staff_op, viewer_op):
    invoice_of(member)
    assert ACTION_LABEL in client_of(staff_op).get("/admin/billing/invoice/").content.decode()
    assert ACTION_LABEL not in client_of(viewer_op).get("/admin/billing/invoice/").content.decode()


def test_pay5_combine_action_opens_the_procedure_page_prefilled_with_the_preview_then_runs(member, staff_op):
    last, this = invoice_of(member, -1), invoice_of(member, 0, amount=12_000)
    client = client_of(staff_op)
    response = select_action(client, [this.pk, last.pk])
    assert response.status_code == 302
    url = response["Location"]
    assert url.startswith("/admin/support/procedures/combine_invoices/?") and "preview=1" in url
    before = (Invoice.objects.count(), AuditEntry.objects.count())
    html = client.get(url).content.decode()
    assert (Invoice.objects.count(), AuditEntry.objects.count()) == before  # the preview changes nothing
    listed = re.search(r'id="procedure-invoices-listed">(.*?)</table>', html, re.S).group(1)
    assert str(last.number) in listed and str(this.number) in listed
    assert "①請求取消" in html and "②複数年度を1つにまとめた請求作成" in html and 'id="procedure-run"' in html
    years = f"{last.fiscal_year}・{this.fiscal_year}年度 年会費"
    assert years in html and "22,000円" in html  # the combined invoice's name and amount in the preview
    done = client.post(url, {"run": "1", "fingerprint": re.search(
        r'name="fingerprint" value="([^"]+)"', html).group(1)}).content.decode()
    assert 'id="procedure-done"' in done, done
    combined = Invoice.objects.with_status().get(member=member, cancelled_at__isnull=True)
    assert (combined.name, combined.total, combined.category, combined.fiscal_year) == (
        years, 22_000, Category.OTHER, this.fiscal_year)
    assert Invoice.objects.filter(pk__in=[last.pk, this.pk], cancelled_at__isnull=False).count() == 2


def test_pay5_combine_action_of_two_members_shows_the_procedures_message(member, staff_op, society, regular_type):
    other = MemberFactory(society=society, member_type=regular_type, name="佐藤 花子")
    mine, theirs = invoice_of(member, -1), invoice_of(other, 0)
    client = client_of(staff_op)
    response = client.get(select_action(client, [mine.pk, theirs.pk])["Location"])
    assert response.status_code == 200
    error = error_of(response.content.decode())
    assert "procedure_not_applicable" in error and "別の会員の請求" in error, error
    assert Invoice.objects.filter(cancelled_at__isnull=False).count() == 0


def test_pay5_combine_action_with_a_paid_invoice_shows_why_it_cannot_be_combined(member, staff_op):
    last, this = invoice_of(member, -1), invoice_of(member, 0)
    pay(last, 10_000)
    client = client_of(staff_op)
    html = client.get(select_action(client, [last.pk, this.pk])["Location"]).content.decode()
    error = error_of(html)
    assert "procedure_not_applicable" in error and str(last.number) in error and "入金" in error, error
    assert 'id="procedure-run"' not in html
    assert Invoice.objects.filter(cancelled_at__isnull=False).count() == 0


def test_pay5_combine_action_of_one_invoice_or_too_many_is_a_message(member, staff_op):
    client = client_of(staff_op)
    one = invoice_of(member, 0)
    html = client.get(select_action(client, [one.pk])["Location"]).content.decode()
    assert "procedure_not_applicable" in error_of(html)
    many = [invoice_of(member, -i).pk for i in range(1, 22)] + [one.pk]
    response = client.get(select_action(client, many)["Location"])
    assert response.status_code == 200 and "(invalid)" in error_of(response.content.decode())


def test_pay5_invoice_page_offers_combine_while_the_member_has_other_unpaid_invoices(member, staff_op):
    client = client_of(staff_op)
    this = invoice_of(member, 0)
    page = f"/admin/billing/invoice/{this.pk}/change/"
    assert COMBINE_LINK not in client.get(page).content.decode()  # nothing to combine with
    last = invoice_of(member, -1)
    paid = invoice_of(member, -2)
    pay(paid, 10_000)
    html = client.get(page).content.decode()
    url = link_to(html, COMBINE_LINK)
    assert f"invoices={this.pk}%2C{last.pk}" in url.replace(",", "%2C") and f"{paid.pk}" not in url.split("?")[1]
    # the link, followed, previews combining this invoice with the other unpaid one
    target = client.get(url).content.decode()
    assert "②複数年度を1つにまとめた請求作成" in target and 'id="procedure-run"' in target
    # a paid invoice's page does not offer it
    assert COMBINE_LINK not in client.get(f"/admin/billing/invoice/{paid.pk}/change/").content.decode()


# --- point 3: each offered link leads to a working page ------------------------------------------------------


def test_sup4_overpaid_invoice_link_leads_to_a_page_that_previews_and_runs(member, staff_op):
    inv = invoice_of(member)
    pay(inv, 12_000)
    client = client_of(staff_op)
    url = link_to(client.get(f"/admin/billing/invoice/{inv.pk}/change/").content.decode(),
                  "ガイド付き手順: 過払い分を次年度の請求に入金")
    html = client.post(url, {"preview": "1"}).content.decode()
    assert "④過払い分の入金情報登録" in html and 'id="procedure-run"' in html
    assert 'id="procedure-done"' in client.post(url, {"run": "1"}).content.decode()
    assert Invoice.objects.with_status().get(pk=inv.pk).status == InvoiceStatus.PAID
    nxt = Invoice.objects.with_status().get(member=member, fiscal_year=inv.fiscal_year + 1)
    assert nxt.paid == 2_000


def test_sup4_paid_invoice_link_leads_to_member_type_correction_that_runs(member, staff_op, student_type):
    inv = invoice_of(member)
    pay(inv, 10_000)
    client = client_of(staff_op)
    url = link_to(client.get(f"/admin/billing/invoice/{inv.pk}/change/").content.decode(),
                  "ガイド付き手順: 会員種別の修正(請求の再作成)")
    html = client.get(url).content.decode()
    assert f'<option value="{student_type.pk}"' in html
    html = client.post(url, {"member_type": student_type.pk, "preview": "1"}).content.decode()
    assert "⑦過払い分入金情報登録" in html  # 10,000 paid over the student's 3,000: the rest to next year
    assert 'id="procedure-done"' in client.post(url, {"member_type": student_type.pk, "run": "1"}).content.decode()
    member.refresh_from_db()
    assert member.member_type_id == student_type.pk


def test_sup4_payment_links_lead_to_move_and_split_pages_that_run(member, staff_op):
    this, last = invoice_of(member, 0), invoice_of(member, -1)
    payment = pay(this, 10_000)
    client = client_of(staff_op)
    rows = client.get(f"/admin/billing/payment/?invoice={this.pk}").content.decode()
    move = link_to(rows, "ガイド付き手順: 入金を割り当てたい請求に移す")
    split = link_to(rows, "ガイド付き手順: まとめて入金された年会費を年度ごとに振り分け")
    html = client.post(split, {"preview": "1", f"amount_{this.pk}": "4000", f"amount_{last.pk}": "6000"}).content.decode()
    assert "②当該年度の請求に入金情報登録" in html and 'id="procedure-run"' in html
    html = client.post(move, {"to_invoice": last.pk, "preview": "1"}).content.decode()
    assert "②割り当てたい請求に入金情報登録" in html
    assert 'id="procedure-done"' in client.post(move, {"to_invoice": last.pk, "run": "1"}).content.decode()
    assert Payment.objects.get(pk=payment.pk).deleted
    assert Invoice.objects.with_status().get(pk=last.pk).status == InvoiceStatus.PAID
