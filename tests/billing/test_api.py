"""The billing-runs and invoices API exactly as API.md says (BIL-1, BIL-3, BIL-6, BIL-7, BIL-8, BIL-11):
paths, fields, codes; scoping (another society's id is 404), roles (viewers read), pinned query counts."""

from __future__ import annotations

import datetime

import pytest

from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import BillingRun, Invoice
from members.factories import MemberFactory, MemberTypeFactory, create_member_with_history
from members.models import Status

pytestmark = pytest.mark.django_db(transaction=True)

RUN_BODY = {"name": "2026年度 年会費", "category": "annual", "fiscal_year": 2026, "allocation_start": "2026-04",
            "due_date": "2026-06-30", "exclude_member_types": []}
RUN_FIELDS = {"id", "name", "status", "created_count", "skipped_count", "skipped", "progress"}
INVOICE_FIELDS = {"id", "number", "member", "run", "name", "category", "fiscal_year", "amount", "adjustment", "total",
                  "paid", "status", "confirmed", "settlement_number", "created_at"}


def active(society, member_type, **kwargs):
    return create_member_with_history(Status.ACTIVE, society=society, member_type=member_type, **kwargs)


def test_bil1_post_billing_run_202_and_detail_with_skips_and_progress(api, society, regular_type, student_type):
    billed = active(society, regular_type)
    student = active(society, student_type)
    answer = api.post("/api/v1/billing-runs/", {**RUN_BODY, "exclude_member_types": ["student"]}, format="json")
    assert answer.status_code == 202, answer.json()
    assert RUN_FIELDS <= set(answer.json())
    run_id = answer.json()["id"]
    detail = api.get(f"/api/v1/billing-runs/{run_id}/").json()
    assert (detail["status"], detail["created_count"], detail["skipped_count"], detail["progress"]) == ("done", 1, 1, 1.0)
    assert detail["skipped"] == [{"member": student.pk, "reason": "excluded_type"}]
    assert detail["allocation_start"] == "2026-04" and detail["exclude_member_types"] == ["student"]
    assert Invoice.objects.get(run_id=run_id).member_id == billed.pk


def test_issue12_2_api_run_skips_a_member_with_a_hand_made_invoice_of_the_year_as_already_billed(
        api, society, regular_type):
    """API.md "Who bills whom": an invoice made by hand (POST /invoices/, allowed twice on purpose) keeps the next
    full run from billing the member again; ``skipped`` says ``already_billed``."""
    by_hand, other = active(society, regular_type), active(society, regular_type)
    body = {"member": by_hand.pk, "name": "2026年度 年会費", "category": "annual", "fiscal_year": 2026, "amount": 10000}
    assert api.post("/api/v1/invoices/", body, format="json").status_code == 201
    assert api.post("/api/v1/invoices/", body, format="json").status_code == 201  # by hand: never refused for this
    run_id = api.post("/api/v1/billing-runs/", RUN_BODY, format="json").json()["id"]
    detail = api.get(f"/api/v1/billing-runs/{run_id}/").json()
    assert (detail["created_count"], detail["skipped_count"]) == (1, 1)
    assert detail["skipped"] == [{"member": by_hand.pk, "reason": "already_billed"}]
    assert list(Invoice.objects.filter(run_id=run_id).values_list("member_id", flat=True)) == [other.pk]


def test_bil1_idempotency_key_header_answers_the_same_run(api, society, regular_type):
    active(society, regular_type)
    first = api.post("/api/v1/billing-runs/", RUN_BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/billing-runs/", RUN_BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.json()["id"] == again.json()["id"] and BillingRun.objects.count() == 1
    assert Invoice.objects.count() == 1


def test_bil1_bad_run_input_is_400_with_code_and_fields(api, society, regular_type):
    for change, field in (({"allocation_start": "2026-13"}, "allocation_start"), ({"category": "x"}, "category"),
                          ({"exclude_member_types": ["nope"]}, "exclude_member_types"),
                          ({"member_ids": []}, "member_ids"), ({"fiscal_year": "abc"}, "fiscal_year")):
        answer = api.post("/api/v1/billing-runs/", {**RUN_BODY, **change}, format="json")
        assert answer.status_code == 400, change
        assert answer.json()["code"] == "invalid", answer.json()
        assert any(f.split(".")[0] == field for f in answer.json()["fields"]), answer.json()
    assert not BillingRun.objects.exists()
    answer = api.post("/api/v1/billing-runs/", {**RUN_BODY, "allocation_start": "２０２６-０４"}, format="json")
    assert answer.status_code == 202


def test_bil6_patch_run_renames_invoices_and_bil3_confirm_and_bil7_cancel(api, society, regular_type):
    for _ in range(2):
        active(society, regular_type)
    run_id = api.post("/api/v1/billing-runs/", RUN_BODY, format="json").json()["id"]
    paid = Invoice.objects.filter(run_id=run_id).first()
    PaymentFactory(invoice=paid)
    answer = api.patch(f"/api/v1/billing-runs/{run_id}/", {"name": "2026年度 会費"}, format="json")
    assert answer.status_code == 200 and answer.json()["name"] == "2026年度 会費"
    assert set(Invoice.objects.filter(run_id=run_id).values_list("name", flat=True)) == {"2026年度 会費"}
    assert api.post(f"/api/v1/billing-runs/{run_id}/confirm/").json() == {"confirmed": 2}
    refused = api.post(f"/api/v1/billing-runs/{run_id}/cancel/")
    assert refused.status_code == 409 and refused.json()["code"] == "invoice_has_payments"
    assert refused.json()["detail"] == "入金情報が登録されている場合は、請求取消できません"
    paid.payments.update(deleted_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc))
    assert api.post(f"/api/v1/billing-runs/{run_id}/cancel/").json() == {"cancelled": 2}


def test_soc2_runs_and_invoices_of_another_society_are_404_and_viewers_read_only(
        api, viewer_api, other_api, society, regular_type):
    active(society, regular_type)
    run_id = api.post("/api/v1/billing-runs/", RUN_BODY, format="json").json()["id"]
    invoice = Invoice.objects.get(run_id=run_id)
    for path in (f"/api/v1/billing-runs/{run_id}/", f"/api/v1/invoices/{invoice.pk}/"):
        assert other_api.get(path).status_code == 404
        assert viewer_api.get(path).status_code == 200
    assert other_api.post(f"/api/v1/invoices/{invoice.pk}/cancel/").status_code == 404
    assert other_api.get("/api/v1/invoices/").json()["results"] == []
    for method, path in (("post", "/api/v1/billing-runs/"), ("post", f"/api/v1/billing-runs/{run_id}/confirm/"),
                         ("post", f"/api/v1/invoices/{invoice.pk}/cancel/"), ("patch", f"/api/v1/invoices/{invoice.pk}/")):
        answer = getattr(viewer_api, method)(path, RUN_BODY if method == "post" else {"name": "x"}, format="json")
        assert answer.status_code == 403 and answer.json()["code"] == "permission_denied"


def test_bil8_invoice_list_filters_the_seed_query_for_last_years_unpaid(api, society, regular_type):
    m = MemberFactory(society=society, member_type=regular_type)
    unpaid = InvoiceFactory(member=m, name="2025年度 年会費", fiscal_year=2025)
    partial = InvoiceFactory(member=m, name="2025年度 入会金", category="admission", fiscal_year=2025)
    PaymentFactory(invoice=partial, amount=100)
    paid = InvoiceFactory(member=m, name="2025年度 年会費", fiscal_year=2025)
    PaymentFactory(invoice=paid)
    InvoiceFactory(member=m, name="2025年度 寄付", category="other", fiscal_year=2025)
    InvoiceFactory(member=m, name="2026年度 年会費", fiscal_year=2026)
    answer = api.get("/api/v1/invoices/?q=2025年度&status=unpaid&status=partially_paid&category=admission"
                     "&category=annual")
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert {r["id"] for r in results} == {unpaid.pk, partial.pk}
    assert INVOICE_FIELDS <= set(results[0])
    by_id = {r["id"]: r for r in results}
    assert by_id[partial.pk]["status"] == "partially_paid" and by_id[partial.pk]["paid"] == 100
    assert {r["id"] for r in api.get(f"/api/v1/invoices/?fiscal_year=2026&member={m.pk}").json()["results"]} == {
        i.pk for i in Invoice.objects.filter(fiscal_year=2026)}
    assert api.get("/api/v1/invoices/?status=nonsense").status_code == 400


def test_bil8_invoice_list_is_one_query_for_the_rows(api, society, regular_type, django_assert_max_num_queries):
    for _ in range(30):
        PaymentFactory(invoice=InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type)),
                       amount=1)
    with django_assert_max_num_queries(4):  # auth, count, rows (society check rides on the user)
        answer = api.get("/api/v1/invoices/?page_size=50")
    assert len(answer.json()["results"]) == 30


def test_bil1_run_list_query_count_pinned(api, society, regular_type, django_assert_max_num_queries):
    active(society, regular_type)
    for i in range(5):
        api.post("/api/v1/billing-runs/", {**RUN_BODY, "name": f"run {i}"}, format="json")
    with django_assert_max_num_queries(6):
        answer = api.get("/api/v1/billing-runs/")
    assert answer.json()["count"] == 5


def test_bil11_post_invoice_201_numbered_and_patch_cancel_confirm(api, society, other_society, regular_type):
    m = MemberFactory(society=society, member_type=regular_type)
    answer = api.post("/api/v1/invoices/", {"member": m.pk, "name": "2024年度 年会費", "category": "annual",
                                            "fiscal_year": 2024, "amount": 8000}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["number"], body["status"], body["confirmed"], body["total"]) == (1, "unpaid", False, 8000)
    stranger = MemberFactory(society=other_society)
    refused = api.post("/api/v1/invoices/", {"member": stranger.pk, "name": "x", "category": "annual",
                                             "fiscal_year": 2024, "amount": 1}, format="json")
    assert refused.status_code == 400 and "member" in refused.json()["fields"]
    patched = api.patch(f"/api/v1/invoices/{body['id']}/", {"adjustment": -1000}, format="json").json()
    assert (patched["adjustment"], patched["total"]) == (-1000, 7000)
    assert api.post(f"/api/v1/invoices/{body['id']}/confirm/").json()["confirmed"] is True
    assert api.post(f"/api/v1/invoices/{body['id']}/cancel/").json()["status"] == "cancelled"
    again = api.patch(f"/api/v1/invoices/{body['id']}/", {"name": "y"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invoice_cancelled"


def test_bil7_bulk_cancel_all_or_none(api, society, regular_type):
    invoices = [InvoiceFactory(member=MemberFactory(society=society, member_type=regular_type)) for _ in range(3)]
    PaymentFactory(invoice=invoices[2])
    ids = [i.pk for i in invoices]
    refused = api.post("/api/v1/invoices/bulk-cancel/", {"invoice_ids": ids}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "invoice_has_payments"
    assert not Invoice.objects.filter(cancelled_at__isnull=False).exists()
    assert api.post("/api/v1/invoices/bulk-cancel/", {"invoice_ids": ids[:2]}, format="json").json() == {"cancelled": 2}
    assert api.post("/api/v1/invoices/bulk-cancel/", {"invoice_ids": []}, format="json").status_code == 400


@pytest.mark.parametrize("body, field, message", [
    ({"exclude_member_types": ["student", "nosuch"]}, "exclude_member_types", "2番目: 存在しないコードです: nosuch"),
    ({"member_ids": [1, "abc"]}, "member_ids", "2番目: "),
])
def test_issue16_a_list_of_references_is_refused_under_its_own_name(api, society, regular_type, student_type,
                                                                    other_society, body, field, message):
    """Issue 16: a refusal of a body field names that field as sent — for a list of references (codes, ids) the
    list's own key (never ``exclude_member_types.0``), the message saying which item."""
    answer = api.post("/api/v1/billing-runs/", {**RUN_BODY, **body}, format="json")
    assert answer.status_code == 400
    fields = answer.json()["fields"]
    assert list(fields) == [field]
    assert fields[field][0].startswith(message)
    assert not BillingRun.objects.exists()


def test_issue16_another_society_code_in_exclude_member_types_is_unknown(api, society, regular_type, other_society):
    MemberTypeFactory(society=other_society, code="theirs", name="他学会の会員種別")
    answer = api.post("/api/v1/billing-runs/", {**RUN_BODY, "exclude_member_types": ["theirs"]}, format="json")
    assert answer.status_code == 400 and answer.json()["fields"] == {
        "exclude_member_types": ["1番目: 存在しないコードです: theirs"]}
