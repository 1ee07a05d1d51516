"""Issue 12 (PAY-6): the 全銀 reader checked against the published 全銀協規定形式 layouts. Every fixture here is built
byte by byte, field by field, at the 1-based column the published layout gives it — not with
``statement_files.write_zengin`` — so the reader is tested against the layouts, not against its own writer.

Sources:
- 入出金取引明細 (種別コード 03): きらぼし銀行「入出金明細（全銀）明細ファイル・フォーマット（全銀協規定形式・改行なし）」
  (20180501; header, dates YYMMDD 和暦 «例: 280503 → 平成28年5月3日»); the data record and trailer as in the
  open-source readers diva-osaka/Diva.Zengin (Records/入出金取引明細Data1.cs, 入出金取引明細Trailer.cs: 照会番号
  N(8) … うち他店券金額 N(12) … 振込依頼人名または契約者番号 C(48) … EDI情報 C(20), ダミー C(1)) and Jap-syn/cb
  (tools/importSmbcPerfect.php: 振込依頼人名又は契約者番号 = substr($data, 81, 48)).
- 振込入金通知 (種別コード 01): 阿波銀行「振込入金通知（全銀協制定フォーマット）」
  (http://www.awabank.co.jp/houjin/service/fb/zengin/tsuchi/: header, data record to 振込依頼人コード, 和暦 dates);
  the rest of the data record (振込依頼人名 C(48) at column 50, 取消区分 at 128) and the trailer from
  Diva.Zengin (Records/振込入金通知DataA.cs, 振込入金通知Trailer.cs); フォーマットB's 金額(2) N(12) at column 129
  from an open-source viewer of the 全銀協 layouts.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from backoffice.errors import DomainError
from billing import statement_files
from billing.factories import InvoiceFactory
from billing.models import BankStatementRow, Payment
from members.factories import MemberFactory

from ..members.helpers import assert_error

TODAY = datetime.date(2026, 5, 12)  # 令和8年5月12日
URL = "/api/v1/bank-statements/"


def record(*fields: tuple[int, str, bytes | str]) -> bytes:
    """One 200-byte record from ``(first column, field name, value)``: each field must begin at the column the
    layout gives it, and the fields must fill the record exactly. Text is cp932 (half-width kana: one byte)."""
    out = b""
    for column, name, value in fields:
        raw = value.encode("cp932") if isinstance(value, str) else value
        assert len(out) + 1 == column, f"{name} begins at column {len(out) + 1}, the layout says {column}"
        out += raw
    assert len(out) == 200, len(out)
    return out


def kana(text: str, length: int) -> bytes:
    raw = text.encode("cp932")
    assert len(raw) == len(text), "half-width kana are one byte each"
    return raw.ljust(length)


def blank(length: int) -> bytes:
    return b" " * length


def refusal(data: bytes) -> str:
    with pytest.raises(DomainError) as caught:
        statement_files.read_zengin(data, today=TODAY)
    assert caught.value.code == "statement_invalid"
    with translation.override("ja"):
        return str(caught.value.message)


def end_record() -> bytes:
    return record((1, "データ区分", "9"), (2, "ダミー", blank(199)))


# --- 入出金取引明細 (種別コード 03) -----------------------------------------------------------------------------

def statement_header(deposit_kind: str = "1") -> bytes:
    return record(
        (1, "データ区分", "1"), (2, "種別コード", "03"), (4, "コード区分", "0"),
        (5, "作成日", "080512"), (11, "勘定日（自）", "080507"), (17, "勘定日（至）", "080511"),
        (23, "銀行コード", "0597"), (27, "銀行名", kana("ｷﾗﾎﾞｼｷﾞﾝｺｳ", 15)),
        (42, "支店コード", "001"), (45, "支店名", kana("ﾎﾝﾃﾝ", 15)), (60, "ダミー", "000"),
        (63, "預金種目", deposit_kind), (64, "口座番号", "0001234567"), (74, "口座名", kana("ｼﾔ)ﾆﾎﾝｶﾞｸｼﾞﾕﾂｶｲ", 40)),
        (114, "貸越区分", "1"), (115, "通帳・証書区分", "1"), (116, "取引前残高", "00000000500000"),
        (130, "ダミー", blank(71)))


def statement_data(number: int, day: str, in_out: str, kind: str, amount: int, requester_code: str,
                   name: str, summary: str) -> bytes:
    return record(
        (1, "データ区分", "2"), (2, "照会番号", f"{number:08d}"), (10, "勘定日", day), (16, "預入・払出日", day),
        (22, "入払区分", in_out), (23, "取引区分", kind), (25, "取引金額", f"{amount:012d}"),
        (37, "うち他店券金額", "0" * 12), (49, "交換呈示日", "0" * 6), (55, "不渡返還日", "0" * 6),
        (61, "手形・小切手区分", "0"), (62, "手形・小切手番号", "0" * 7), (69, "僚店番号", "000"),
        (72, "振込依頼人コード", requester_code), (82, "振込依頼人名又は契約者番号", kana(name, 48)),
        (130, "仕向銀行名", kana("ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｪｲ", 15)), (145, "仕向店名", kana("ｼﾌﾞﾔ", 15)),
        (160, "摘要内容", kana(summary, 20)), (180, "EDI情報", blank(20)), (200, "ダミー", " "))


def statement_trailer(deposits: int, deposit_total: int, withdrawals: int, withdrawal_total: int) -> bytes:
    return record(
        (1, "データ区分", "8"), (2, "入金件数", f"{deposits:06d}"), (8, "入金額合計", f"{deposit_total:013d}"),
        (21, "出金件数", f"{withdrawals:06d}"), (27, "出金額合計", f"{withdrawal_total:013d}"),
        (40, "貸越区分", "1"), (41, "取引後残高", f"{500_000 + deposit_total - withdrawal_total:014d}"),
        (55, "データ・レコード件数", f"{deposits + withdrawals:07d}"), (62, "ダミー", blank(139)))


def statement_file() -> list[bytes]:
    return [
        statement_header(),
        statement_data(1, "080508", "1", "11", 10_000, "1234567890", "ﾔﾏﾀﾞ ﾀﾛｳ", "ﾌﾘｺﾐ"),
        statement_data(2, "080509", "2", "14", 3_300, "0000000000", "00000000001234567890", "ﾃﾞﾝｷﾘﾖｳｷﾝ"),
        statement_data(3, "080511", "1", "11", 7_000, "0000000000", "000123 ｽｽﾞｷ ﾊﾅｺ", "ﾌﾘｺﾐ"),
        statement_trailer(2, 17_000, 1, 3_300),
        end_record(),
    ]


@pytest.mark.parametrize("separator", [b"\r\n", b""])
def test_issue12_statement_03_read_at_the_published_columns(separator):
    """03: 勘定日 at 10-15 (令和08 → 2026), 入払区分 at 22 (the 出金 row is ignored), 取引金額 at 25-36 and the
    half-width kana 振込依頼人名 at 82-129 — not 81-128, which took the last digit of 振込依頼人コード."""
    data = separator.join(statement_file()) + separator
    rows = statement_files.read_zengin(data, today=TODAY)
    assert [(r.line, r.date, r.amount, r.payer_name) for r in rows] == [
        (2, datetime.date(2026, 5, 8), 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"),
        (4, datetime.date(2026, 5, 11), 7_000, "000123 ｽｽﾞｷ ﾊﾅｺ")]


def test_issue12_statement_03_trailer_counts_the_deposits_only():
    records = statement_file()
    records[4] = statement_trailer(3, 20_300, 0, 0)  # the withdrawal counted as a deposit: not this file
    assert refusal(b"\r\n".join(records)) == (
        "5行目: トレーラーレコードの入金件数・入金額合計（3件、20,300円）がデータレコード（2件、17,000円）と一致しません")


def test_issue12_statement_03_of_a_time_deposit_is_refused():
    """預金種目 5-7 (通知・定期・積立定期預金) have another data layout, with no 振込依頼人名."""
    records = [statement_header(deposit_kind="6"), *statement_file()[1:]]
    assert refusal(b"".join(records)).startswith("1行目: 通知預金・定期預金")


# --- 振込入金通知 (種別コード 01) -------------------------------------------------------------------------------

def transfers_header(kind: str = "01") -> bytes:
    return record(
        (1, "データ区分", "1"), (2, "種別コード", kind), (4, "コード区分", "0"),
        (5, "作成日", "080512"), (11, "勘定日（自）", "080511"), (17, "勘定日（至）", "080511"),
        (23, "銀行コード", "0172"), (27, "銀行名", kana("ｱﾜｷﾞﾝｺｳ", 15)),
        (42, "支店コード", "101"), (45, "支店名", kana("ﾎﾝﾃﾝ", 15)),
        (60, "預金種目", "1"), (61, "口座番号", "0012345"), (68, "口座名", kana("ｼﾔ)ﾆﾎﾝｶﾞｸｼﾞﾕﾂｶｲ", 40)),
        (108, "ダミー", blank(93)))


def transfer_data(number: int, day: str, amount: int, name: str, cancel: str = "0", edi: str = "") -> bytes:
    return record(
        (1, "データ区分", "2"), (2, "照会番号", f"{number:06d}"), (8, "勘定日", day), (14, "起算日", day),
        (20, "金額", f"{amount:010d}"), (30, "うち他店券金額", "0" * 10), (40, "振込依頼人コード", "0" * 10),
        (50, "振込依頼人名", kana(name, 48)), (98, "仕向銀行名", kana("ﾐｽﾞﾎ", 15)), (113, "仕向店名", kana("ﾎﾝﾃﾝ", 15)),
        (128, "取消区分", cancel), (129, "EDI情報", kana(edi, 20)), (149, "ダミー", blank(52)))


def transfer_data_b(number: int, day: str, amount_1: int, amount_2: int, name: str) -> bytes:
    """フォーマットB: 金額(1) for amounts of up to 10 digits, else all 0 and 金額(2) N(12) at column 129."""
    return record(
        (1, "データ区分", "2"), (2, "照会番号", f"{number:06d}"), (8, "勘定日", day), (14, "起算日", day),
        (20, "金額(1)", f"{amount_1:010d}"), (30, "うち他店券金額(1)", "0" * 10), (40, "振込依頼人コード", "0" * 10),
        (50, "振込依頼人名", kana(name, 48)), (98, "仕向銀行名", kana("ﾐｽﾞﾎ", 15)), (113, "仕向店名", kana("ﾎﾝﾃﾝ", 15)),
        (128, "取消区分", "0"), (129, "金額(2)", f"{amount_2:012d}"), (141, "うち他店券金額(2)", "0" * 12),
        (153, "EDI情報", kana("1234567890", 20)), (173, "ダミー", blank(28)))


def transfers_trailer(count: int, total: int, cancels: int = 0, cancel_total: int = 0) -> bytes:
    return record(
        (1, "データ区分", "8"), (2, "振込合計件数", f"{count:06d}"), (8, "振込合計金額", f"{total:012d}"),
        (20, "取消合計件数", f"{cancels:06d}"), (26, "取消合計金額", f"{cancel_total:012d}"), (38, "ダミー", blank(163)))


def transfers_file() -> list[bytes]:
    return [
        transfers_header(),
        transfer_data(1, "080511", 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"),
        transfer_data(2, "080511", 20_000, "ｶ)ｶﾞｸｼﾞﾕﾂｼﾔ", edi="000987"),
        transfers_trailer(2, 30_000),
        end_record(),
    ]


@pytest.mark.parametrize("separator", [b"\r\n", b""])
def test_issue12_transfers_01_read_at_the_published_columns(separator):
    """01: told apart by the header's 種別コード; 勘定日 at 8-13, 金額 N(10) at 20-29 and 振込依頼人名 at 50-97."""
    data = separator.join(transfers_file()) + separator
    rows = statement_files.read_zengin(data, today=TODAY)
    assert [(r.line, r.date, r.amount, r.payer_name) for r in rows] == [
        (2, datetime.date(2026, 5, 11), 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), (3, datetime.date(2026, 5, 11), 20_000, "ｶ)ｶﾞｸｼﾞﾕﾂｼﾔ")]


def test_issue12_transfers_01_format_b_amounts():
    """フォーマットB: 金額(1) read as in フォーマットA; a 金額(2) (over 10 digits) is read, and refused: a statement
    row holds at most 2,147,483,647 yen."""
    records = [transfers_header(), transfer_data_b(1, "080511", 10_000, 0, "ﾔﾏﾀﾞ ﾀﾛｳ"), transfers_trailer(1, 10_000),
               end_record()]
    rows = statement_files.read_zengin(b"".join(records), today=TODAY)
    assert [(r.amount, r.payer_name) for r in rows] == [(10_000, "ﾔﾏﾀﾞ ﾀﾛｳ")]
    records[1:1] = [transfer_data_b(1, "080511", 0, 12_000_000_000, "ｶ)ｵｵｶﾞﾈ")]
    assert refusal(b"".join(records)) == "2行目: 金額12,000,000,000円は、取り込める上限（2,147,483,647円）を超えています"


@pytest.mark.parametrize("transfer_count, transfer_total", [(2, 30_000), (3, 40_000)])
def test_issue12_transfers_01_cancelled_transfer_is_not_a_payment(transfer_count, transfer_total):
    """取消区分 1 takes back the equal transfer before it; the trailer's 振込合計 may count the cancelling record
    or not (banks differ), its 取消合計 counts it."""
    records = [transfers_header(), transfer_data(1, "080511", 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"),
               transfer_data(2, "080511", 20_000, "ｶ)ｶﾞｸｼﾞﾕﾂｼﾔ"), transfer_data(3, "080511", 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ", cancel="1"),
               transfers_trailer(transfer_count, transfer_total, 1, 10_000), end_record()]
    rows = statement_files.read_zengin(b"\r\n".join(records), today=TODAY)
    assert [(r.line, r.amount, r.payer_name) for r in rows] == [(3, 20_000, "ｶ)ｶﾞｸｼﾞﾕﾂｼﾔ")]


@pytest.mark.parametrize("day, expected", [
    ("080511", datetime.date(2026, 5, 11)),  # 令和8年: not 2008
    ("010501", datetime.date(2019, 5, 1)),  # 令和元年5月1日
    ("310430", datetime.date(2019, 4, 30)),  # 平成31年4月30日: not 2031
    ("260511", datetime.date(2026, 5, 11)),  # 西暦, as some banks offer: not 令和26年 (2044)
])
def test_issue12_dates_in_wareki_or_western(day, expected):
    records = [transfers_header(), transfer_data(1, day, 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), transfers_trailer(1, 10_000), end_record()]
    assert statement_files.read_zengin(b"".join(records), today=TODAY)[0].date == expected


# --- through the API: matched, and bad files named by line --------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("build", [statement_file, transfers_file])
def test_issue12_both_layouts_match_the_half_width_kana_payer(api, society, regular_type, build):
    yamada = MemberFactory(society=society, member_type=regular_type, name="山田 太郎", name_kana="ヤマダ タロウ")
    invoice = InvoiceFactory(member=yamada, amount=10_000)
    response = api.post(URL, {"file": SimpleUploadedFile("zengin.txt", b"\r\n".join(build())), "format": "zengin"},
                        format="multipart")
    assert response.status_code == 201, response.content
    row = BankStatementRow.objects.get(state="matched")
    assert (row.member_id, row.payer_name, row.amount) == (yamada.pk, "ﾔﾏﾀﾞ ﾀﾛｳ", 10_000)
    assert Payment.objects.get().invoice_id == invoice.pk


@pytest.mark.django_db
@pytest.mark.parametrize("records, line", [
    ([transfers_header(kind="04"), transfers_trailer(0, 0), end_record()], 1),  # 残高通知: not a statement of payments
    ([transfers_header(), transfer_data(1, "080511", 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ", cancel="1"), transfers_trailer(0, 0, 1, 10_000),
      end_record()], 2),  # a 取消 of a transfer imported earlier: the payment must be deleted by hand
    ([transfers_header(), transfer_data(1, "080511", 10_000, "ﾔﾏﾀﾞ ﾀﾛｳ"), transfers_trailer(1, 10_000, 1, 10_000),
      end_record()], 3),  # the trailer counts a cancellation the file does not hold
    ([transfers_header(), transfer_data(1, "080511", 0, "ﾔﾏﾀﾞ ﾀﾛｳ"), transfers_trailer(1, 0), end_record()], 2),
    ([statement_header(), statement_data(1, "080508", "1", "11", 3_000_000_000, "0" * 10, "ﾔﾏﾀﾞ ﾀﾛｳ", "ﾌﾘｺﾐ"),
      statement_trailer(1, 3_000_000_000, 0, 0), end_record()], 2),  # more than the amount column holds: not a 500
])
def test_issue12_bad_files_answer_statement_invalid_naming_the_line(api, records, line):
    response = api.post(URL, {"file": SimpleUploadedFile("zengin.txt", b"\r\n".join(records)), "format": "zengin"},
                        format="multipart")
    assert f"{line}行目" in assert_error(response, 400, "statement_invalid")["detail"]


@pytest.mark.django_db
def test_issue12_csv_amount_beyond_the_amount_column_is_refused_not_a_500(api):
    data = "取引日,金額,振込人名義\r\n2026-05-11,\"3,000,000,000\",ﾔﾏﾀﾞ ﾀﾛｳ\r\n".encode()
    response = api.post(URL, {"file": SimpleUploadedFile("s.csv", data), "format": "csv"}, format="multipart")
    assert "2行目" in assert_error(response, 400, "statement_invalid")["detail"]
