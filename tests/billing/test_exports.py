"""BIL-9 [会員別請求・入金情報ダウンロード]: years, one row per invoice with member number and name, UTF-8 with BOM,
streamed, formula injection neutralised, scoped (SOC-2)."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import StreamingHttpResponse
from django.utils import timezone

from billing import exports
from billing.factories import InvoiceFactory, PaymentFactory
from billing.models import Category, PaymentMethod
from members.factories import MemberFactory
from tests.members.helpers import assert_error

from .conftest import streamed

pytestmark = pytest.mark.django_db


def parse(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), content[:10]  # UTF-8 BOM: Japanese Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8")[1:])))


@pytest.fixture
def member(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="佐藤 花子", member_number="000123")


def test_bil9_member_csv_covers_current_year_three_before_and_all_later(api, member, this_year):
    for year in range(this_year - 5, this_year + 3):
        InvoiceFactory(member=member, fiscal_year=year, name=f"{year}年度 年会費")
    r = api.get(f"/api/v1/members/{member.pk}/billing.csv")
    assert r.status_code == 200 and isinstance(r, StreamingHttpResponse)
    assert r["Content-Type"].startswith("text/csv") and "attachment" in r["Content-Disposition"]
    rows = parse(streamed(r))
    assert rows[0] == exports.HEADER
    assert rows[0][:3] == ["会員番号", "氏名", "請求番号"]
    years = [int(row[5]) for row in rows[1:]]
    assert years == list(range(this_year - 3, this_year + 3))
    assert all(row[0] == "000123" and row[1] == "佐藤 花子" for row in rows[1:])


def test_bil9_row_content_status_labels_and_payments_summary(api, member, this_year):
    invoice = InvoiceFactory(member=member, fiscal_year=this_year, amount=10_000, adjustment=-2_000,
                             category=Category.ANNUAL)
    PaymentFactory(invoice=invoice, amount=3_000, method=PaymentMethod.BANK_TRANSFER)
    PaymentFactory(invoice=invoice, amount=500, deleted_at=timezone.now())  # deleted: not counted, not listed
    cancelled = InvoiceFactory(member=member, fiscal_year=this_year, cancelled_at=timezone.now(), confirmed_at=None)
    rows = {int(r[2]): r for r in parse(streamed(api.get(f"/api/v1/members/{member.pk}/billing.csv")))[1:]}
    row = rows[invoice.number]
    assert row[3:] == [invoice.name, "年次請求", str(this_year), "10000", "-2000", "8000", "3000", "一部入金", "確定済",
                       row[12]]
    assert "銀行振込 3000円" in row[12] and "500円" not in row[12]
    assert rows[cancelled.number][10:12] == ["取消", "未確定"]


def test_bil9_formula_injection_neutralised(api, society, regular_type, this_year):
    evil = MemberFactory(society=society, member_type=regular_type, name="=HYPERLINK(\"http://x\")")
    for i, start in enumerate(["+1", "-1", "@SUM(A1)", "\tx", "\rx"]):
        InvoiceFactory(member=evil, fiscal_year=this_year, name=f"{start}年会費", number=900 + i)
    rows = parse(streamed(api.get(f"/api/v1/members/{evil.pk}/billing.csv")))[1:]
    assert {r[1] for r in rows} == {"'=HYPERLINK(\"http://x\")"}
    assert sorted(r[3][:2] for r in rows) == sorted(["'+", "'-", "'@", "'\t", "'\r"])
    assert exports.neutralise(-2000) == -2000  # numbers the product computes stay numbers


def test_bil9_search_result_csv_uses_member_filters(api, society, regular_type, student_type, this_year):
    a = MemberFactory(society=society, member_type=regular_type, name="佐藤 一郎")
    b = MemberFactory(society=society, member_type=student_type, name="鈴木 二郎")
    InvoiceFactory(member=a, fiscal_year=this_year)
    InvoiceFactory(member=b, fiscal_year=this_year)
    rows = parse(streamed(api.get("/api/v1/exports/billing.csv")))[1:]
    assert {r[1] for r in rows} == {"佐藤 一郎", "鈴木 二郎"}
    rows = parse(streamed(api.get("/api/v1/exports/billing.csv", {"member_type": "student"})))[1:]
    assert {r[1] for r in rows} == {"鈴木 二郎"}
    assert_error(api.get("/api/v1/exports/billing.csv", {"status": "nonsense"}), 400, "invalid")


def test_soc2_bil9_another_society_sees_nothing(other_api, member, this_year):
    InvoiceFactory(member=member, fiscal_year=this_year)
    assert_error(other_api.get(f"/api/v1/members/{member.pk}/billing.csv"), 404, "not_found")
    rows = parse(streamed(other_api.get("/api/v1/exports/billing.csv")))
    assert rows == [exports.HEADER]


def test_bil9_streamed_in_chunks_with_two_queries(society, regular_type, this_year, django_assert_max_num_queries):
    members = [MemberFactory(society=society, member_type=regular_type) for _ in range(7)]
    for m in members:
        for year in (this_year - 1, this_year):
            PaymentFactory(invoice=InvoiceFactory(member=m, fiscal_year=year), amount=100)
    queryset = exports.invoices_for_members(society.members.all(), [society])
    with django_assert_max_num_queries(2):  # the invoices and their payments, each streamed in chunks of 3
        pieces = list(exports.csv_lines(queryset, chunk_size=3))
    assert len(pieces) == 1 + 5  # header, then 14 rows in 5 chunks
    assert sum(p.count("\r\n") for p in pieces) == 15
    lines = "".join(pieces).splitlines()[1:]
    assert all(line.count("円") == 1 for line in lines)  # each invoice got exactly its own payment


def test_bil9_admin_action_on_member_search_downloads_the_selection(staff_client, member, society, regular_type,
                                                                   this_year):
    other = MemberFactory(society=society, member_type=regular_type)
    InvoiceFactory(member=member, fiscal_year=this_year)
    InvoiceFactory(member=other, fiscal_year=this_year)
    r = staff_client.post("/admin/members/member/", {"action": "billing_download_action",
                                                     ACTION_CHECKBOX_NAME: [member.pk]})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = parse(streamed(r))[1:]
    assert [row[1] for row in rows] == ["佐藤 花子"]
    page = staff_client.get("/admin/members/member/").content.decode()
    assert "会員別請求・入金情報ダウンロード" in page


def test_bil9_admin_member_download_link_and_viewer_may_download(client, viewer_op, member, this_year):
    InvoiceFactory(member=member, fiscal_year=this_year)
    client.force_login(viewer_op)
    r = client.get(f"/admin/billing/export/member/{member.pk}/billing.csv")
    assert r.status_code == 200 and len(parse(streamed(r))) == 2
