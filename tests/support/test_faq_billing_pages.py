"""SUP-4 (issue 14 §4) on the screens: a billing case's outcome shows a button per guided procedure it offers; the
button (followed by the link the page renders, never a typed URL) opens the procedure page prefilled with the
invoice or payment the case's facts found and the case itself, whose preview works for that member and whose run
is written into the case's actions taken. A procedure the record does not fit shows why instead of a button."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.test import Client

from backoffice.models import AuditEntry
from billing.models import Invoice, Payment
from support import services
from support.models import Case, CaseAction

from .test_faq_billing import World, _newest_paid_older_unpaid, _overpaid, _paid, _two_unpaid

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(society, regular_type, student_type, staff_op):
    return World(society, regular_type, student_type, staff_op)


def page_client(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def start(actor, member, flow) -> Case:
    return services.case_create(actor=actor, society=member.society, flow=flow, member=member)


def case_page(client, case) -> str:
    response = client.get(f"/admin/support/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def button_href(html: str, procedure: str) -> str:
    match = re.search(rf'<a href="([^"]+)" class="button procedure-button" id="procedure-{procedure}">', html)
    assert match, f"no button for {procedure}"
    return html_lib.unescape(match.group(1))


def test_sup4_overpaid_case_button_opens_the_procedure_on_the_invoice_and_the_run_is_written_into_the_case(
        world, staff_op):
    member = _overpaid(world)
    invoice = Invoice.objects.get(member=member)
    case = start(staff_op, member, "faq-overpaid")
    client = page_client(staff_op)
    html = case_page(client, case)
    assert 'id="case-procedures"' in html and "ガイド付き手順: 過払い分を次年度の請求に入金" in html
    url = button_href(html, "overpayment_to_next_year")
    assert f"invoice={invoice.pk}" in url and f"case={case.pk}" in url
    page = client.get(url).content.decode()
    assert f'href="/admin/support/cases/{case.pk}/"' in page and str(invoice.number) in page
    before = (Payment.objects.count(), Invoice.objects.count(), AuditEntry.objects.count())
    preview = client.post(url, {"preview": "1"}).content.decode()
    assert "①入金履歴削除" in preview and "④過払い分の入金情報登録" in preview and 'id="procedure-run"' in preview
    assert (Payment.objects.count(), Invoice.objects.count(), AuditEntry.objects.count()) == before
    done = client.post(url, {"run": "1"}).content.decode()
    assert 'id="procedure-done"' in done
    record = CaseAction.objects.get(case=case)
    assert record.action == "procedure" and record.ok and record.params["procedure"] == "overpayment_to_next_year"
    assert "procedure" in case_page(client, case)  # 実行済みの操作 lists it


def test_sup4_move_payment_button_prefills_the_payment_and_the_older_invoice(world, staff_op):
    member = _newest_paid_older_unpaid(world, "bank_transfer")
    payment = Payment.objects.get(invoice__member=member)
    older = Invoice.objects.get(member=member, fiscal_year=world.year - 1)
    case = start(staff_op, member, "faq-move-payment")
    client = page_client(staff_op)
    url = button_href(case_page(client, case), "move_payment")
    assert f"payment={payment.pk}" in url and f"to_invoice={older.pk}" in url
    page = client.get(url).content.decode()
    assert f'<option value="{older.pk}" selected>' in page
    preview = client.post(url, {"preview": "1", "to_invoice": older.pk}).content.decode()
    assert "①入金履歴削除" in preview and "②割り当てたい請求に入金情報登録" in preview and 'id="procedure-run"' in preview


def test_sup4_type_correction_button_opens_the_member_type_form_on_the_invoice(world, staff_op):
    member = _paid(world)
    case = start(staff_op, member, "faq-type-correction")
    client = page_client(staff_op)
    url = button_href(case_page(client, case), "member_type_correction")
    preview = client.post(url, {"preview": "1", "member_type": world.student.pk}).content.decode()
    for label in ("①入金履歴削除", "②請求取消", "③会員種別変更", "④請求作成", "⑤入金情報登録", "⑥次年度請求作成"):
        assert label in preview


def test_sup4_combine_invoices_button_lists_the_member_s_unpaid_invoices(world, staff_op):
    member = _two_unpaid(world)
    invoices = list(Invoice.objects.filter(member=member).order_by("fiscal_year"))
    case = services.case_create(actor=staff_op, society=world.society, flow="faq-pay-multi-year", member=member)
    services.case_answer(actor=staff_op, case=case, node="method", answer="online")
    client = page_client(staff_op)
    url = button_href(case_page(client, case), "combine_invoices")
    page = client.get(url).content.decode()
    listed = page[page.index('id="procedure-invoices-listed"'):]
    for invoice in invoices:
        assert f'/admin/billing/invoice/{invoice.pk}/change/' in listed
    preview = client.post(url, {"preview": "1"}).content.decode()
    assert "①請求取消" in preview and "②複数年度を1つにまとめた請求作成" in preview and 'id="procedure-run"' in preview


def test_sup4_a_procedure_the_record_does_not_fit_says_why_instead_of_a_button(world, staff_op):
    member = _overpaid(world)
    nxt = world.invoice(member, year=world.year + 1)  # next year's invoice is there already
    case = start(staff_op, member, "faq-overpaid")
    assert case.outcome == "overpaid_bank_check"
    html = case_page(page_client(staff_op), case)
    assert 'id="procedure-overpayment_to_next_year"' not in html
    reason = re.search(r'id="procedure-overpayment_to_next_year-reason">(.*?)</span>', html, re.S).group(1)
    assert str(nxt.number) in reason and str(nxt.fiscal_year) in reason  # the procedure's own refusal


def test_sup4_a_record_with_nothing_to_run_the_procedure_on_says_so(world, staff_op):
    member = world.member()
    world.invoice(member)  # one unpaid invoice: nothing to combine
    case = start(staff_op, member, "faq-pay-multi-year")
    services.case_answer(actor=staff_op, case=case, node="method", answer="online")
    html = case_page(page_client(staff_op), case)
    assert 'class="button procedure-button"' not in html
    assert re.search(r'id="procedure-combine_invoices-reason">[^<]+</span>', html)


def test_sup4_viewer_sees_the_procedures_without_buttons(world, staff_op, viewer_op):
    member = _overpaid(world)
    case = start(staff_op, member, "faq-overpaid")
    html = case_page(page_client(viewer_op), case)
    assert 'id="case-procedures"' in html and "過払い分を次年度の請求に入金" in html
    assert 'class="button procedure-button"' not in html


def test_sup4_procedure_page_with_another_society_s_case_is_not_found(world, staff_op, other_op, other_society):
    member = _overpaid(world)
    case = start(staff_op, member, "faq-overpaid")
    url = button_href(case_page(page_client(staff_op), case), "overpayment_to_next_year")
    assert page_client(other_op).get(url).status_code == 404
    invoice = Invoice.objects.get(member=member)
    bad = f"/admin/support/procedures/overpayment_to_next_year/?invoice={invoice.pk}&case=999999999"
    assert page_client(staff_op).get(bad).status_code == 404
    assert page_client(staff_op).get(bad.replace("999999999", "x")).status_code == 404
    # a case is about its own member: another member's invoice with this case is not found
    other = _overpaid(world)
    elsewhere = f"/admin/support/procedures/overpayment_to_next_year/?invoice={Invoice.objects.get(member=other).pk}"
    assert page_client(staff_op).get(f"{elsewhere}&case={case.pk}").status_code == 404
    assert page_client(staff_op).get(elsewhere).status_code == 200


def test_sup4_billing_case_page_queries_are_bounded(world, staff_op, django_assert_max_num_queries):
    member = _overpaid(world, older_unpaid=True)
    case = start(staff_op, member, "faq-combined-payment")
    client = page_client(staff_op)
    case_page(client, case)
    with django_assert_max_num_queries(30):
        assert 'id="procedure-split_combined_payment"' in case_page(client, case)


def test_sup10_an_escalating_outcome_says_so_on_the_case_page(world, staff_op):
    escalating = start(staff_op, _overpaid(world), "faq-overpayment-possible")
    assert escalating.outcome == "bank_check_overpaid"
    client = page_client(staff_op)
    assert 'id="outcome-escalates"' in case_page(client, escalating) and "エスカレーション" in case_page(client, escalating)
    plain = start(staff_op, _overpaid(world, "bank_transfer"), "faq-overpaid")
    assert 'id="outcome-escalates"' not in case_page(client, plain)
