"""The payment screens (seed 003 入金に関すること): [入金情報登録], [入金履歴] with deleted payments struck through,
[入金履歴削除] asking for the reason, the split over several years (PAY-4), and [入金消込] (PAY-6): upload, the
rows grouped by state, the resolve form — with scoping (SOC-2) and roles (SOC-3)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from backoffice.models import AuditEntry
from billing import statement_files
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BankStatement, BankStatementRow, Invoice, Payment
from members.factories import MemberFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 5, 8)


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


@pytest.fixture
def viewer_client(client, viewer_op):
    client.force_login(viewer_op)
    return client


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎", name_kana="ヤマダ タロウ",
                         member_number="000123")


@pytest.fixture
def invoice(member):
    return InvoiceFactory(member=member, amount=10_000, fiscal_year=2026)


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context and "messages" in response.context else []


def test_pay1_register_screen_labels_and_registration(staff_client, invoice):
    url = f"/admin/billing/payment/register/{invoice.pk}/"
    page = staff_client.get(url).content.decode()
    for label in ("入金情報登録", "入金履歴", "備考", "決済番号", "入金額", "入金方法", "入金日"):
        assert label in page, label
    r = staff_client.post(url, {"amount": "１０，０００".replace("，", ""), "method": "bank_transfer",
                                "paid_on": "2026-05-01", "remarks": "", "settlement_number": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Payment.objects.get().amount == 10_000
    assert AuditEntry.objects.filter(action="billing.payment.registered").count() == 1


def test_pay1_register_screen_shows_refusals_in_japanese(staff_client, invoice):
    url = f"/admin/billing/payment/register/{invoice.pk}/"
    r = staff_client.post(url, {"amount": "10001", "method": "credit_card", "paid_on": "2026-05-01", "remarks": "x"})
    assert r.status_code == 200
    assert "クレジットカード払い、コンビニ払いでは請求金額以上の金額を入金することはできません" in r.content.decode()
    r = staff_client.post(url, {"amount": "100", "method": "credit_card", "paid_on": "2026-05-01", "remarks": ""})
    assert "備考欄に、この会員の決済番号" in r.content.decode()
    assert Payment.objects.count() == 0


def test_pay3_refusal_shows_under_the_remarks_field_not_the_settlement_number(staff_client, invoice):
    """Issue 12 point 3: the PAY-3 refusal is about 備考: its error list sits in the 備考 row, after the textarea,
    and not between the 決済番号 input and the 備考 field; it does not speak of 「取消した請求」."""
    url = f"/admin/billing/payment/register/{invoice.pk}/"
    r = staff_client.post(url, {"amount": "100", "method": "bank_check", "paid_on": "2026-05-01", "remarks": "メモ",
                                "settlement_number": ""})
    html = r.content.decode()
    settlement, remarks = html.index('name="settlement_number"'), html.index('name="remarks"')
    error = html.index('class="errorlist', settlement)
    assert error > remarks, "the refusal shows between 決済番号 and 備考"
    assert "取消した請求" not in html[error:html.index("</ul>", error)]
    assert Payment.objects.count() == 0


def _link(html: str, text: str) -> str:
    """The href of the link whose text is ``text`` (as a user sees and clicks it)."""
    import re

    found = re.search(r'<a href="([^"]+)"[^>]*>\s*' + re.escape(text) + r"\s*</a>", html)
    assert found, f"no link {text}"
    return found.group(1).replace("&amp;", "&")


def test_issue12_p1_delete_links_in_the_history_and_on_the_invoice_pages_open_the_reason_page(staff_client, invoice):
    """Issue 12 point 1: [入金履歴削除] in [入金履歴] and on the invoice's pages leads to the 削除理由 page (200), not
    Django's own delete view (403); that view is not reachable at all."""
    payment = PaymentFactory(invoice=invoice, amount=10_000)
    history = staff_client.get(f"/admin/billing/payment/?invoice={invoice.pk}").content.decode()
    invoice_page = staff_client.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    register_page = staff_client.get(_link(invoice_page, "[入金情報登録]")).content.decode()
    from_history_of_invoice = staff_client.get(_link(invoice_page, "[入金履歴]")).content.decode()
    for html in (history, register_page, from_history_of_invoice):
        href = _link(html, "[入金履歴削除]")
        page = staff_client.get(href)
        assert page.status_code == 200, href
        assert "削除理由" in page.content.decode() and href.endswith("/delete-history/")
    assert staff_client.get(f"/admin/billing/payment/{payment.pk}/delete/").status_code != 403
    assert not Payment.objects.get().deleted


def test_pay2_delete_page_says_what_will_change(staff_client, member):
    """Issue 12 point 7: [入金履歴削除] says which payment (領収書番号, amount) and the invoice's status after."""
    invoice = InvoiceFactory(member=member, amount=10_000)
    first = PaymentFactory(invoice=invoice, amount=10_000)
    PaymentFactory(invoice=invoice, amount=2_000)  # 過入金 now
    html = staff_client.get(f"/admin/billing/payment/{first.pk}/delete-history/").content.decode()
    assert f'id="delete-receipt-number">{first.receipt_number}<' in html
    assert 'id="delete-amount" class="money">10,000円<' in html
    assert "過入金" in html
    assert 'id="delete-status-after">一部入金<' in html and 'id="delete-paid-after">2,000円<' in html


def test_pay2_delete_asks_the_reason_and_the_history_strikes_it_through(staff_client, invoice, staff_op):
    payment = PaymentFactory(invoice=invoice, amount=10_000)
    url = f"/admin/billing/payment/{payment.pk}/delete-history/"
    assert "入金履歴削除" in staff_client.get(url).content.decode()
    r = staff_client.post(url, {"reason": ""})
    assert r.status_code == 200 and not Payment.objects.get().deleted
    r = staff_client.post(url, {"reason": "次年度の請求へ振替"})
    assert r.status_code == 302
    payment.refresh_from_db()
    assert payment.deleted and payment.deleted_reason == "次年度の請求へ振替"
    page = staff_client.get(f"/admin/billing/payment/?invoice={invoice.pk}").content.decode()
    assert f"<del>{payment.receipt_number}</del>" in page and "次年度の請求へ振替" in page and staff_op.email in page
    page = staff_client.get(f"/admin/billing/payment/register/{invoice.pk}/").content.decode()
    assert "<del>" in page and "次年度の請求へ振替" in page


def test_pay4_split_screen_registers_all_or_nothing(staff_client, member):
    a, b = InvoiceFactory(member=member, fiscal_year=2024), InvoiceFactory(member=member, fiscal_year=2025)
    url = f"/admin/billing/payment/split/{member.pk}/"
    assert staff_client.get(url).status_code == 200
    r = staff_client.post(url, {f"amount_{a.pk}": "10000", f"amount_{b.pk}": "abc", "method": "bank_transfer",
                                "paid_on": "2026-05-01"})
    assert r.status_code == 200 and Payment.objects.count() == 0
    r = staff_client.post(url, {f"amount_{a.pk}": "10000", f"amount_{b.pk}": "10000", "method": "bank_transfer",
                                "paid_on": "2026-05-01", "remarks": "2年分"})
    assert r.status_code == 302
    assert sorted(Payment.objects.values_list("invoice_id", flat=True)) == sorted([a.pk, b.pk])


def test_pay1_screens_scoped_and_read_only_for_viewer(client, other_op, viewer_client, invoice, member):
    r = viewer_client.post(f"/admin/billing/payment/register/{invoice.pk}/",
                           {"amount": "1", "method": "bank_transfer", "paid_on": "2026-05-01"})
    assert r.status_code == 403 and Payment.objects.count() == 0
    assert viewer_client.get(f"/admin/billing/payment/register/{invoice.pk}/").status_code == 200
    client.force_login(other_op)
    for url in (f"/admin/billing/payment/register/{invoice.pk}/", f"/admin/billing/payment/split/{member.pk}/"):
        assert client.get(url).status_code == 404
    payment = PaymentFactory(invoice=invoice)
    assert client.get(f"/admin/billing/payment/{payment.pk}/delete-history/").status_code == 404
    assert client.get("/admin/billing/payment/").context["cl"].result_count == 0


def test_pay1_history_list_query_count(staff_client, member, django_assert_max_num_queries):
    for year in range(2000, 2040):
        PaymentFactory(invoice=InvoiceFactory(member=member, fiscal_year=year), amount=100,
                       deleted_at=timezone.now() if year % 2 else None, deleted_by="x", deleted_reason="y")
    with django_assert_max_num_queries(12):
        r = staff_client.get(f"/admin/billing/payment/?member={member.pk}")
    assert r.status_code == 200 and len(r.context["cl"].result_list) == 40


# --- [入金消込] ------------------------------------------------------------------------------------------------

def test_pay6_upload_rows_by_state_and_resolve(staff_client, member, society):
    InvoiceFactory(member=member, amount=10_000, fiscal_year=2025)
    open_invoice = InvoiceFactory(member=member, amount=3_000, fiscal_year=2026)
    data = statement_files.write_csv([(DAY, 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (DAY, 3_000, "ﾀﾞﾚｶ")], encoding="cp932")
    page = staff_client.get("/admin/billing/bankstatement/add/").content.decode()
    assert "入金消込" in page or "入金明細" in page
    r = staff_client.post("/admin/billing/bankstatement/add/", {"file": SimpleUploadedFile("s.csv", data),
                                                                 "format": "csv"})
    assert r.status_code == 302, r.content.decode()[:3000]
    statement = BankStatement.objects.get()
    page = staff_client.get(r.url).content.decode()
    assert "消込済" in page and "該当なし" in page
    row = BankStatementRow.objects.get(state="unmatched")
    url = f"/admin/billing/bankstatement/{statement.pk}/rows/{row.pk}/match/"
    assert staff_client.get(url).status_code == 200
    r = staff_client.post(url, {"invoice_0": str(open_invoice.number), "amount_0": "2000"})
    assert r.status_code == 200 and "3,000" in r.content.decode()
    r = staff_client.post(url, {"invoice_0": str(open_invoice.number), "amount_0": "3000"})
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.state == "matched" and Invoice.objects.with_status().get(pk=open_invoice.pk).status == "paid"


def test_pay6_bad_upload_names_the_line(staff_client):
    r = staff_client.post("/admin/billing/bankstatement/add/", {
        "file": SimpleUploadedFile("s.csv", "取引日,金額,振込人名義\n2026-05-08,x,ｱ\n".encode()), "format": "csv"})
    assert r.status_code == 200 and "2行目" in r.content.decode()
    assert BankStatement.objects.count() == 0


def test_pay6_statement_screens_scoped(client, other_op, staff_op, society):
    from billing.services.statements import statement_import

    statement = statement_import(actor=staff_op, society=society, data=statement_files.write_csv([(DAY, 1, "ｱ")]),
                                 file_format="csv")
    client.force_login(other_op)
    assert client.get(f"/admin/billing/bankstatement/{statement.pk}/change/").status_code == 404
    row = statement.lines.get()
    assert client.get(f"/admin/billing/bankstatement/{statement.pk}/rows/{row.pk}/match/").status_code == 404


def test_issue12_8_pay4_split_page_is_read_only_for_a_viewer_and_not_linked(viewer_client, staff_op, member):
    """Issue 12 point 8 (PAY-4): a viewer reaching 入金情報登録（複数年度への振り分け） sees the invoices only — no amount
    inputs, no payment fields, no submit (a POST would be refused) — and [入金履歴] does not link it for a viewer."""
    a, b = InvoiceFactory(member=member, fiscal_year=2024), InvoiceFactory(member=member, fiscal_year=2025)
    url = f"/admin/billing/payment/split/{member.pk}/"
    page = viewer_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for invoice in (a, b):
        assert f'href="/admin/billing/payment/register/{invoice.pk}/">{invoice.number}</a>' in html
    assert "<input" not in html.split('id="content-main"')[1].split("</main>")[0]
    assert "<select" not in html and "<textarea" not in html and 'id="payment-split"' not in html
    assert viewer_client.post(url, {f"amount_{a.pk}": "10000", "method": "bank_transfer",
                                    "paid_on": "2026-05-01"}).status_code == 403
    history = viewer_client.get(f"/admin/billing/payment/?member={member.pk}").content.decode()
    assert url not in history
    staff_client = Client()
    staff_client.force_login(staff_op)
    staff_page = staff_client.get(url).content.decode()  # staff still gets the form
    assert f'name="amount_{a.pk}"' in staff_page and 'type="submit"' in staff_page
    assert url in staff_client.get(f"/admin/billing/payment/?member={member.pk}").content.decode()
