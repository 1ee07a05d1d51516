"""PAY-6 bank statement matching (入金消込): CSV and 全銀 files, matching by member number or folded kana name and
amount, ambiguous and unmatched rows queued, duplicates registering nothing, hand resolution, the API."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from billing import statement_files
from billing.factories import InvoiceFactory
from billing.models import BankStatement, BankStatementRow, Invoice, Payment
from billing.services import statements as services
from members.factories import MemberFactory
from members.models import Member

from ..members.helpers import assert_error

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 5, 8)
URL = "/api/v1/bank-statements/"


def status_of(invoice) -> str:
    return Invoice.objects.with_status().get(pk=invoice.pk).status


def import_(actor, society, lines, file_format="csv", **kw) -> BankStatement:
    data = (statement_files.write_csv(lines, **kw) if file_format == "csv"
            else statement_files.write_zengin(lines, **kw))
    return services.statement_import(actor=actor, society=society, data=data, file_format=file_format)


@pytest.fixture
def yamada(society, regular_type):
    return MemberFactory(society=society, member_type=regular_type, name="山田 太郎", name_kana="ヤマダ タロウ",
                         member_number="000123", email="yamada@example.ac.jp")


# --- folding ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"), ("ｷﾂﾀ ｼﾖｳﾀ", "キッタ ショウタ"), ("やまだ　たろう", "ヤマダタロウ"),
    ("ＹＡＭＡＤＡ", "yamada"),
])
def test_pay6_kana_folding(a, b):
    assert services.fold_kana(a) == services.fold_kana(b)


# --- matching --------------------------------------------------------------------------------------------------

def test_pay6_number_in_payer_name_matches_and_registers_a_bank_transfer(staff_op, society, yamada):
    invoice = InvoiceFactory(member=yamada, amount=10_000)
    statement = import_(staff_op, society, [(DAY, 10_000, "000123 ﾀﾞﾚｶﾉｶｲｼｬ")])
    assert (statement.rows, statement.matched) == (1, 1)
    row = BankStatementRow.objects.get()
    assert (row.state, row.member_id) == ("matched", yamada.pk)
    payment = Payment.objects.get()
    assert (payment.invoice_id, payment.method, payment.paid_on, payment.statement_row_id) == (
        invoice.pk, "bank_transfer", DAY, row.pk)
    assert str(statement.pk) in payment.remarks and "2" in payment.remarks
    assert status_of(invoice) == "paid"
    assert AuditEntry.objects.filter(action="billing.statement.imported", target_id=str(statement.pk)).count() == 1
    entry = AuditEntry.objects.get(action="billing.payment.registered")
    assert entry.batch_id is not None


def test_pay6_kana_name_matches_and_sum_of_all_open_invoices_is_split_oldest_first(staff_op, society, yamada):
    older = InvoiceFactory(member=yamada, fiscal_year=2024, amount=10_000)
    newer = InvoiceFactory(member=yamada, fiscal_year=2025, amount=10_000, adjustment=-2_000)
    InvoiceFactory(member=yamada, fiscal_year=2023, amount=10_000, confirmed_at=None)  # not confirmed: not open
    statement = import_(staff_op, society, [(DAY, 18_000, "ﾔﾏﾀﾞ ﾀﾛｳ")], file_format="zengin")
    assert statement.matched == 1
    assert [(p.invoice_id, p.amount) for p in Payment.objects.order_by("receipt_number")] == [
        (older.pk, 10_000), (newer.pk, 8_000)]


def test_pay6_ambiguous_unknown_and_differing_amount_are_queued(staff_op, society, regular_type, yamada):
    InvoiceFactory(member=yamada, amount=10_000)
    for _ in range(2):
        MemberFactory(society=society, member_type=regular_type, name_kana="サトウ ハナコ")
    statement = import_(staff_op, society, [
        (DAY, 10_000, "ｻﾄｳ ﾊﾅｺ"), (DAY, 10_000, "ﾀﾞﾚﾃﾞﾓﾅｲ"), (DAY, 9_000, "ﾔﾏﾀﾞ ﾀﾛｳ")])
    rows = {r.line: (r.state, r.reason, r.member_id) for r in BankStatementRow.objects.all()}
    assert rows == {2: ("ambiguous", "several_members", None), 3: ("unmatched", "unknown_payer", None),
                    4: ("unmatched", "amount_differs", yamada.pk)}
    assert (statement.matched, statement.unmatched, statement.ambiguous) == (0, 2, 1)
    assert Payment.objects.count() == 0


def test_pay6_cancelled_paid_and_other_society_invoices_are_not_candidates(staff_op, society, other_society, yamada):
    InvoiceFactory(member=yamada, amount=10_000, cancelled_at=timezone.now())
    MemberFactory(society=other_society, name_kana="ヤマダ タロウ", member_number="000123")
    statement = import_(staff_op, society, [(DAY, 10_000, "000123")])
    assert (statement.unmatched, BankStatementRow.objects.get().reason) == (1, "amount_differs")


def test_pay6_importing_the_same_file_twice_registers_nothing_new(staff_op, society, yamada):
    InvoiceFactory(member=yamada, fiscal_year=2024, amount=10_000)
    InvoiceFactory(member=yamada, fiscal_year=2025, amount=10_000)
    lines = [(DAY, 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (DAY, 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (DAY, 500, "ﾀﾞﾚｶ")]
    first = import_(staff_op, society, lines)
    assert (first.matched, first.unmatched) == (2, 1)  # equal rows are two payments: occurrence 1 and 2
    second = import_(staff_op, society, lines, encoding="cp932", slashes=True)
    assert (second.rows, second.duplicate, second.matched) == (3, 3, 0)
    assert Payment.objects.count() == 2
    third = import_(staff_op, society, lines + [(DAY, 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ")])  # a third equal row is new
    assert (third.duplicate, third.unmatched) == (3, 1)


def test_pay6_refused_for_viewer_and_bad_format(viewer_op, staff_op, society):
    with pytest.raises(DomainError) as exc:
        import_(viewer_op, society, [(DAY, 1, "ｱ")])
    assert exc.value.code == "permission_denied"
    with pytest.raises(DomainError) as exc:
        services.statement_import(actor=staff_op, society=society, data=b"x", file_format="pdf")
    assert exc.value.code == "invalid"
    assert BankStatement.objects.count() == 0 and AuditEntry.objects.count() == 0


# --- file formats ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, line", [
    ("日付,金額,名義\n2026-05-08,1000,ｱ\n".encode(), 1),
    ("取引日,金額,振込人名義\n2026-05-08,1000,ｱ\n2026-13-08,1000,ｲ\n".encode(), 3),
    ("取引日,金額,振込人名義\n2026-05-08,abc,ｱ\n".encode("cp932"), 2),
    ("\ufeff取引日,金額,振込人名義\n2026/05/08,1000,\n".encode(), 2),
    (b"\xff\xfe\x00\x00", None),
])
def test_pay6_bad_csv_is_statement_invalid_naming_the_line(api, data, line):
    before = AuditEntry.objects.count()
    response = api.post(URL, {"file": SimpleUploadedFile("s.csv", data), "format": "csv"}, format="multipart")
    body = assert_error(response, 400, "statement_invalid")
    if line is not None:
        assert f"{line}行目" in body["detail"], body
    assert BankStatement.objects.count() == 0 and AuditEntry.objects.count() == before


def test_pay6_csv_accepts_bom_cp932_slashes_and_extra_columns(staff_op, society):
    text = "番号,取引日,金額,振込人名義,摘要\r\n1,2026/05/08,\"1,000\",ﾔﾏﾀﾞ ﾀﾛｳ,ﾌﾘｺﾐ\r\n\r\n2,２０２６-０５-０９,２０００,ｽｽﾞｷ,\r\n"
    for data in (text.encode("utf-8-sig"), text.encode("cp932"), text.encode()):
        rows = statement_files.read_csv(data)
        assert [(r.line, r.date, r.amount, r.payer_name) for r in rows] == [
            (2, DAY, 1_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (4, datetime.date(2026, 5, 9), 2_000, "ｽｽﾞｷ")]


@pytest.mark.parametrize("kind", ["03", "01"])
@pytest.mark.parametrize("line_breaks, wareki", [(True, True), (False, True), (True, False)])
def test_pay6_zengin_records_with_or_without_line_breaks_and_eras(line_breaks, wareki, kind):
    data = statement_files.write_zengin([(DAY, 10_000, "ヤマダ タロウ"), (DAY, 3_000, "000123 スズキ")],
                                        line_breaks=line_breaks, wareki=wareki, kind=kind)
    rows = statement_files.read_zengin(data, today=DAY)
    assert [(r.line, r.date, r.amount, r.payer_name) for r in rows] == [
        (2, DAY, 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (3, DAY, 3_000, "000123 ｽｽﾞｷ")]


def test_pay6_zengin_skips_withdrawals_and_checks_the_trailer(api):
    data = bytearray(statement_files.write_zengin([(DAY, 10_000, "ヤマダ")], line_breaks=False))
    data[200 + 21:200 + 22] = b"2"  # the data record becomes a withdrawal: the trailer's one deposit is missing
    response = api.post(URL, {"file": SimpleUploadedFile("s.txt", bytes(data)), "format": "zengin"},
                        format="multipart")
    assert "3行目" in assert_error(response, 400, "statement_invalid")["detail"]
    for bad, line in ((b"2" + b"x" * 150, 1), (b"1".ljust(200) + b"\r\n" + b"7".ljust(200), 2)):
        response = api.post(URL, {"file": SimpleUploadedFile("s.txt", bad), "format": "zengin"}, format="multipart")
        assert_error(response, 400, "statement_invalid")


# --- hand resolution -------------------------------------------------------------------------------------------

def test_pay6_queued_row_resolved_by_hand_all_or_none(staff_op, society, yamada, regular_type):
    a = InvoiceFactory(member=yamada, fiscal_year=2025, amount=10_000)
    other = MemberFactory(society=society, member_type=regular_type)
    b = InvoiceFactory(member=other, fiscal_year=2026, amount=10_000)
    cancelled = InvoiceFactory(member=other, fiscal_year=2025, cancelled_at=timezone.now())
    import_(staff_op, society, [(DAY, 15_000, "ｶ)ｼｮｿﾞｸｻｷ")])
    row = BankStatementRow.objects.get()
    for allocations, code in (([(a, 10_000)], "invalid"), ([(a, 10_000), (cancelled, 5_000)], "invoice_cancelled"),
                              ([], "invalid")):
        with pytest.raises(DomainError) as exc:
            services.statement_row_match(actor=staff_op, row=row, allocations=allocations)
        assert exc.value.code == code
    assert Payment.objects.count() == 0
    services.statement_row_match(actor=staff_op, row=row, allocations=[(a, 10_000), (b, 5_000)])
    row.refresh_from_db()
    statement = row.statement
    assert (row.state, row.reason, statement.matched, statement.unmatched) == ("matched", "", 1, 0)
    assert (status_of(a), status_of(b)) == ("paid", "partially_paid")
    assert AuditEntry.objects.filter(action="billing.statement_row.matched", target_id=str(row.pk)).count() == 1
    with pytest.raises(DomainError) as exc:
        services.statement_row_match(actor=staff_op, row=row, allocations=[(b, 15_000)])
    assert exc.value.code == "statement_row_already_matched" and exc.value.status == 409


# --- API -------------------------------------------------------------------------------------------------------

def test_pay6_api_import_rows_and_match(api, other_api, society, yamada, django_assert_max_num_queries):
    invoice = InvoiceFactory(member=yamada, amount=10_000)
    data = statement_files.write_csv([(DAY, 10_000, "000123 ﾔﾏﾀﾞ"), (DAY, 4_000, "ﾀﾞﾚｶ")])
    response = api.post(URL, {"file": SimpleUploadedFile("s.csv", data), "format": "csv"}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("rows", "matched", "unmatched", "ambiguous", "duplicate")} == {
        "rows": 2, "matched": 1, "unmatched": 1, "ambiguous": 0, "duplicate": 0}
    sid = body["id"]
    with django_assert_max_num_queries(5):
        rows = api.get(f"{URL}{sid}/rows/").json()["results"]
    assert set(rows[0]) == {"id", "line", "date", "amount", "payer_name", "state", "reason", "member", "payments"}
    assert rows[0]["payments"] == [Payment.objects.get().pk] and rows[0]["member"] == yamada.pk
    queued = api.get(f"{URL}{sid}/rows/", {"state": "unmatched"}).json()["results"]
    assert [(r["line"], r["reason"]) for r in queued] == [(3, "unknown_payer")]
    assert_error(api.get(f"{URL}{sid}/rows/", {"state": "nope"}), 400, "invalid")
    assert_error(other_api.get(f"{URL}{sid}/rows/"), 404, "not_found")
    match = f"{URL}{sid}/rows/{queued[0]['id']}/match/"
    second = InvoiceFactory(member=yamada, fiscal_year=2027, amount=4_000)
    assert_error(other_api.post(match, {"allocations": [{"invoice": second.pk, "amount": 4_000}]}, format="json"),
                 404, "not_found")
    assert_error(api.post(match, {"allocations": [{"invoice": second.pk, "amount": 3_000}]}, format="json"),
                 400, "invalid")
    response = api.post(match, {"allocations": [{"invoice": second.pk, "amount": 4_000}]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "matched" and len(response.json()["payments"]) == 1
    assert_error(api.post(URL, {"format": "csv"}, format="multipart"), 400, "invalid")
    assert status_of(invoice) == "paid"


# --- a 1,000-row statement of every kind -----------------------------------------------------------------------

KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"


def kana_name(i: int, given: str) -> str:
    return f"{KANA[i % 44]}{KANA[(i // 44) % 44]}{KANA[(i // 1936) % 44]} {given}"


def test_pay6_a_thousand_rows_of_every_kind_in_one_request(api, society, regular_type,
                                                           django_assert_max_num_queries):
    """250 exact (number) matches, 250 name-only matches, 150 ambiguous names, 150 differing amounts and 200
    unknown payers; importing it again registers nothing new."""
    now = timezone.now()
    groups = {"number": 250, "name": 250, "twin": 150, "differs": 150}
    members = []
    for g, (group, n) in enumerate(groups.items()):
        for i in range(n):
            number = f"{g + 1}{i:05d}" if group in ("number", "differs") else None
            kana = kana_name(i // 2 if group == "twin" else i, {"number": "イチ", "name": "ニ", "twin": "サン",
                                                                 "differs": "ヨン"}[group])
            members.append(Member(society=society, member_type=regular_type, name=f"会員{g}-{i}", name_kana=kana,
                                  email=f"m{g}-{i}@example.jp", member_number=number))
    members = Member.objects.bulk_create(members)
    Invoice.objects.bulk_create([
        Invoice(society=society, number=k + 1, member=m, name="2026年度 年会費", category="annual", fiscal_year=2026,
                amount=10_000, confirmed_at=now, created_at=now) for k, m in enumerate(members)])
    by_group = {}
    start = 0
    for group, n in groups.items():
        by_group[group] = members[start:start + n]
        start += n
    lines = []
    for m in by_group["number"]:
        lines.append((DAY, 10_000, f"{m.member_number} ﾌﾘｺﾐ"))
    for m in by_group["name"]:
        lines.append((DAY, 10_000, statement_files.to_half_width_kana(m.name_kana)))
    for m in by_group["twin"]:
        lines.append((DAY, 10_000, statement_files.to_half_width_kana(m.name_kana)))
    for m in by_group["differs"]:
        lines.append((DAY, 9_999, m.member_number))
    for i in range(200):
        lines.append((DAY, 10_000, statement_files.to_half_width_kana(kana_name(i, "ゴ"))))
    data = statement_files.write_zengin(lines)
    matched = groups["number"] + groups["name"]
    with django_assert_max_num_queries(12 * matched + 60):
        response = api.post(URL, {"file": SimpleUploadedFile("big.txt", data), "format": "zengin"},
                            format="multipart")
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert {k: body[k] for k in ("rows", "matched", "unmatched", "ambiguous", "duplicate")} == {
        "rows": 1000, "matched": 500, "unmatched": 350, "ambiguous": 150, "duplicate": 0}
    reasons = dict(BankStatementRow.objects.values_list("reason").annotate(n=Sum(1)).values_list("reason", "n"))
    assert reasons == {"": 500, "several_members": 150, "amount_differs": 150, "unknown_payer": 200}
    assert set(BankStatementRow.objects.filter(reason="amount_differs").values_list("member_id", flat=True)) == {
        m.pk for m in by_group["differs"]}
    assert Payment.objects.count() == 500
    assert set(Payment.objects.values_list("invoice__member_id", flat=True)) == {
        m.pk for m in by_group["number"] + by_group["name"]}
    receipts = sorted(Payment.objects.values_list("receipt_number", flat=True))
    assert receipts == list(range(1, 501))  # BIL-11

    again = api.post(URL, {"file": SimpleUploadedFile("big.txt", data), "format": "zengin"}, format="multipart")
    assert again.status_code == 201 and again.json()["duplicate"] == 1000 and again.json()["matched"] == 0
    assert Payment.objects.count() == 500
