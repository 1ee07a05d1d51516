"""The billing screens: [請求情報作成] (menu and [個人会員検索] selection), [請求情報作成履歴] with its
self-updating 作成状況, the run's page (skip reasons, [請求内容確定], [請求取消], [編集]) and
[個人会員請求検索] with BIL-8's filters, per-invoice acts and the all-or-none bulk cancel."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BillingRun, Invoice
from members.factories import MemberFactory, create_member_with_history
from members.models import Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(client, staff_op):
    client.force_login(staff_op)
    return client


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context and "messages" in response.context else []


def form_data(page, **overrides):
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', page.content.decode()).group(1)
    data = {"name": "2026年度 年会費", "category": "annual", "fiscal_year": "2026", "allocation_start": "2026-04",
            "due_date": "2026-06-30", "request_key": key}
    data.update(overrides)
    return data


def test_bil1_request_form_from_the_menu_and_history_page_shows_state_counts_and_polls(
        staff_client, society, regular_type, student_type):
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    create_member_with_history(Status.ACTIVE, society=society, member_type=student_type)
    history = staff_client.get("/admin/billing/billingrun/")
    assert "請求情報作成履歴" in history.content.decode() and "請求情報作成" in history.content.decode()
    page = staff_client.get("/admin/billing/billingrun/add/")
    body = page.content.decode()
    for label in ("請求名称", "請求区分", "請求引当開始月", "支払期限", "対象外の会員種別", "学生会員"):
        assert label in body, label
    data = form_data(page, exclude_member_types=[str(student_type.pk)])
    answer = staff_client.post("/admin/billing/billingrun/add/", data, follow=True)
    assert answer.status_code == 200
    run = BillingRun.objects.get()
    assert (run.state, run.created_count, run.skipped_count) == ("done", 1, 1)
    # double submission of the same form: the same run
    staff_client.post("/admin/billing/billingrun/add/", data)
    assert BillingRun.objects.count() == 1
    listing = staff_client.get("/admin/billing/billingrun/").content.decode()
    assert "完了" in listing and "作成状況" in listing and "[編集]" in listing
    # a run still waiting polls its fragment; a finished one does not
    BillingRun.objects.filter(pk=run.pk).update(state="requested")
    listing = staff_client.get("/admin/billing/billingrun/").content.decode()
    assert "hx-get=\"/admin/billing/billingrun/%d/progress/?compact=1\"" % run.pk in listing and "作成依頼中" in listing
    assert "htmx" in listing
    fragment = staff_client.get(f"/admin/billing/billingrun/{run.pk}/progress/?compact=1").content.decode()
    assert "hx-trigger=\"every 2s\"" in fragment
    BillingRun.objects.filter(pk=run.pk).update(state="done")
    fragment = staff_client.get(f"/admin/billing/billingrun/{run.pk}/progress/").content.decode()
    assert "hx-trigger" not in fragment and "会員種別が対象外" in fragment or "hx-trigger" not in fragment


def test_bil1_request_form_refusal_stays_on_the_form(staff_client, society, regular_type):
    page = staff_client.get("/admin/billing/billingrun/add/")
    answer = staff_client.post("/admin/billing/billingrun/add/", form_data(page, allocation_start="2026-13"))
    assert answer.status_code == 200 and answer.context["form"].errors.get("allocation_start")
    assert not BillingRun.objects.exists()


def test_bil1_request_from_member_search_selection_bills_only_the_selected(staff_client, society, regular_type):
    chosen = create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    answer = staff_client.post("/admin/members/member/", {"action": "bill_selected_members",
                                                          ACTION_CHECKBOX_NAME: [str(chosen.pk)]})
    assert answer.status_code == 302 and "/admin/billing/billingrun/add/?selection=" in answer["Location"]
    page = staff_client.get(answer["Location"])
    assert "1 人" in page.content.decode() or "1" in page.content.decode()
    selection = answer["Location"].split("selection=")[1]
    staff_client.post("/admin/billing/billingrun/add/", form_data(page, selection=selection))
    run = BillingRun.objects.get()
    assert run.member_ids == [chosen.pk]
    assert list(Invoice.objects.values_list("member_id", flat=True)) == [chosen.pk]


def test_bil3_bil6_bil7_run_page_confirm_rename_cancel(staff_client, society, regular_type):
    for _ in range(2):
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    page = staff_client.get("/admin/billing/billingrun/add/")
    staff_client.post("/admin/billing/billingrun/add/", form_data(page))
    run = BillingRun.objects.get()
    detail = staff_client.get(f"/admin/billing/billingrun/{run.pk}/change/").content.decode()
    for label in ("請求内容確定", "請求取消", "編集"):
        assert label in detail
    staff_client.post(f"/admin/billing/billingrun/{run.pk}/confirm/")
    assert Invoice.objects.filter(confirmed_at__isnull=False).count() == 2
    paid = Invoice.objects.first()
    PaymentFactory(invoice=paid)
    staff_client.post(f"/admin/billing/billingrun/{run.pk}/rename/", {"name": "2026年度 会費"})
    assert set(Invoice.objects.values_list("name", flat=True)) == {"2026年度 会費"}
    shown = staff_client.get(f"/admin/billing/billingrun/{run.pk}/cancel/").content.decode()  # the confirmation
    assert "入金情報が登録されている場合は、請求取消できません" in shown and 'name="confirm"' not in shown
    refused = staff_client.post(f"/admin/billing/billingrun/{run.pk}/cancel/", {"confirm": "1"}, follow=True)
    assert "入金情報が登録されている場合は、請求取消できません" in messages_of(refused)
    assert not Invoice.objects.filter(cancelled_at__isnull=False).exists()


def test_issue12_2_run_page_names_the_invoice_a_skipped_member_already_has(staff_client, society, regular_type,
                                                                           django_assert_max_num_queries):
    """The run's page lists a member billed by hand before the full run with 「同じ請求区分・年度の請求が既にあります」
    and a link to that invoice (its 請求番号), in a bounded number of queries."""
    billed = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type) for _ in range(3)]
    earlier = [InvoiceFactory(member=m, name="2026年度 年会費", fiscal_year=2026, confirmed_at=None) for m in billed]
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    page = staff_client.get("/admin/billing/billingrun/add/")
    staff_client.post("/admin/billing/billingrun/add/", form_data(page))
    run = BillingRun.objects.get()
    assert (run.created_count, run.skipped_count) == (1, 3)
    with django_assert_max_num_queries(12):
        detail = staff_client.get(f"/admin/billing/billingrun/{run.pk}/change/").content.decode()
    rows = re.findall(r'<td class="skip-reason" data-reason="already_billed">(.*?)</td>', detail)
    assert len(rows) == 3
    for invoice, row in zip(earlier, rows):
        assert row == (f'同じ請求区分・年度の請求が既にあります<a href="/admin/billing/invoice/{invoice.pk}/change/" '
                       f'class="skip-invoice">（請求番号 {invoice.number}）</a>')


def test_bil8_invoice_search_seed_query_and_one_query_rows(staff_client, society, regular_type,
                                                          django_assert_max_num_queries):
    m = MemberFactory(society=society, member_type=regular_type)
    unpaid = InvoiceFactory(member=m, name="2025年度 年会費", fiscal_year=2025)
    partial = InvoiceFactory(member=m, name="2025年度 入会金", category="admission", fiscal_year=2025)
    PaymentFactory(invoice=partial, amount=100)
    paid = InvoiceFactory(member=m, name="2025年度 年会費", fiscal_year=2025)
    PaymentFactory(invoice=paid)
    other = InvoiceFactory(member=m, name="2025年度 寄付", category="other", fiscal_year=2025)
    for _ in range(20):
        InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), name="2024年度 年会費")
    url = "/admin/billing/invoice/?q=2025年度&status=unpaid,partially_paid&category=admission,annual"
    with django_assert_max_num_queries(14):
        answer = staff_client.get(url)
    shown = {i.pk for i in answer.context["cl"].result_list}
    assert shown == {unpaid.pk, partial.pk}
    body = answer.content.decode()
    for label in ("個人会員請求検索", "請求・入金状況", "未入金", "一部入金", "入会時請求", "年次請求"):
        assert label in body, label
    assert other.pk not in shown and paid.pk not in shown
    with django_assert_max_num_queries(14):
        staff_client.get("/admin/billing/invoice/")
    assert staff_client.get("/admin/billing/invoice/?status=junk&fiscal_year=abc&member=x").status_code == 200


def test_bil7_invoice_row_cancel_and_bulk_cancel_all_or_none(staff_client, society, regular_type):
    a, b, c = (InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type)) for _ in range(3))
    PaymentFactory(invoice=c)
    selection = {"action": "cancel_selected", ACTION_CHECKBOX_NAME: [a.pk, c.pk]}
    shown = staff_client.post("/admin/billing/invoice/", selection).content.decode()  # the confirmation page
    assert "入金情報が登録されている場合は、請求取消できません" in shown and 'name="confirm"' not in shown
    refused = staff_client.post("/admin/billing/invoice/", {**selection, "confirm": "1"}, follow=True)
    assert "入金情報が登録されている場合は、請求取消できません" in messages_of(refused)
    assert not Invoice.objects.filter(cancelled_at__isnull=False).exists()
    staff_client.post("/admin/billing/invoice/", {"action": "cancel_selected", ACTION_CHECKBOX_NAME: [a.pk],
                                                  "confirm": "1"})
    staff_client.post(f"/admin/billing/invoice/{b.pk}/cancel/", {"confirm": "1"})
    assert set(Invoice.objects.filter(cancelled_at__isnull=False).values_list("pk", flat=True)) == {a.pk, b.pk}
    # a cancelled invoice's page is read-only
    page = staff_client.get(f"/admin/billing/invoice/{a.pk}/change/")
    assert page.status_code == 200 and 'name="name"' not in page.content.decode()
    assert staff_client.post(f"/admin/billing/invoice/{a.pk}/change/", {"name": "x"}).status_code == 403


def test_bil3_invoice_confirm_from_its_page_and_adjustment_edit(staff_client, society, regular_type):
    invoice = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type), confirmed_at=None)
    page = staff_client.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    assert "請求内容確定" in page and "未入金" in page
    staff_client.post(f"/admin/billing/invoice/{invoice.pk}/confirm/")
    invoice.refresh_from_db()
    assert invoice.confirmed
    staff_client.post(f"/admin/billing/invoice/{invoice.pk}/change/", {"name": invoice.name, "adjustment": "-2000"})
    invoice.refresh_from_db()
    assert invoice.adjustment == -2000


def test_soc2_soc3_other_society_404_viewer_reads_only(client, viewer_op, other_op, society, regular_type):
    invoice = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type))
    run = BillingRun.objects.create(society=society, name="r", category="annual", fiscal_year=2026,
                                    allocation_start=datetime.date(2026, 4, 1), requested_by="t",
                                    requested_on=datetime.date(2026, 4, 1),
                                    requested_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.timezone.utc))
    client.force_login(other_op)
    assert client.get(f"/admin/billing/billingrun/{run.pk}/change/").status_code == 404
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/change/").status_code in (302, 404)
    assert client.post(f"/admin/billing/invoice/{invoice.pk}/cancel/").status_code == 404
    client.force_login(viewer_op)
    assert client.get(f"/admin/billing/billingrun/{run.pk}/change/").status_code == 200
    assert client.get("/admin/billing/billingrun/add/").status_code == 403
    assert client.post(f"/admin/billing/invoice/{invoice.pk}/cancel/").status_code == 403
    assert "invoice-cancel" not in client.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()


def test_bil7_invoice_page_says_cancel_is_refused_while_a_payment_is_registered(staff_client, society, regular_type):
    invoice = InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type))
    url = f"/admin/billing/invoice/{invoice.pk}/change/"
    assert "入金情報が登録されている場合は、請求取消できません" not in staff_client.get(url).content.decode()
    PaymentFactory(invoice=invoice, amount=1_000)
    html = staff_client.get(url).content.decode()
    assert 'id="invoice-cancel"' in html and "入金情報が登録されている場合は、請求取消できません" in html
