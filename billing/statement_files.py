"""Reading bank statements (入金消込, PAY-6) into rows: CSV and the 全銀協規定形式 fixed-length files of the
入出金取引明細 (種別コード 03) and the 振込入金通知 (種別コード 01).

Both give ``StatementLine(line, date, amount, payer_name)`` for each deposit. A file this cannot read raises
``DomainError("statement_invalid")`` naming the line (SEC-3: a clear message, never a server error).

CSV (API.md): a header row with the columns 取引日 (YYYY-MM-DD or YYYY/MM/DD), 金額 (yen) and 振込人名義, in
UTF-8 (with or without BOM) or Shift_JIS (cp932). Other columns are ignored.

全銀: 200-byte records in cp932 (half-width kana; EBCDIC is not read), with or without CR/LF between them:
header (データ区分 1), data (2), trailer (8), end (9); a file may hold several header…trailer groups (one per
account). The header's 種別コード (columns 2-3) says which layout the data records follow. Sources, checked field
by field:

- 入出金取引明細: きらぼし銀行「入出金明細（全銀）明細ファイル・フォーマット（全銀協規定形式・改行なし）」
  (2018-05-01; header, 和暦 YYMMDD dates), and the open-source readers diva-osaka/Diva.Zengin
  (``Records/入出金取引明細Header.cs``, ``…Data1.cs``, ``…Trailer.cs``) and Jap-syn/cb
  (``tools/importSmbcPerfect.php``: the byte offsets of a 三井住友銀行 file), which agree.
- 振込入金通知: 阿波銀行「振込入金通知（全銀協制定フォーマット）」
  (awabank.co.jp/houjin/service/fb/zengin/tsuchi/: header and data record to 振込依頼人コード, 和暦 dates) and
  Diva.Zengin (``Records/振込入金通知DataA.cs``, ``…Trailer.cs``) for the rest and the trailer; フォーマットB's
  12-digit 金額(2) at columns 129-140 from an open-source format viewer of the 全銀協 layouts.

入出金取引明細 data record (1-based columns; 普通・当座・貯蓄預金 — a header 預金種目 5-7, a time or notice
deposit, has another layout without payers and is refused):

==========  ======  ==========================================
  1         1       データ区分 "2"
  2-9       8       照会番号
 10-15      6       勘定日 (YYMMDD, 和暦)            ← 取引日
 16-21      6       預入・払出日 (YYMMDD, 和暦)
 22         1       入払区分 (1 = 入金, 2 = 出金)     ← only 1 becomes a row
 23-24      2       取引区分 (10 現金, 11 振込, 12 他店券入金, 13 交換, 14 振替, 18 その他, 19 訂正)
 25-36     12       取引金額                         ← 金額
 37-48     12       うち他店券金額
 49-54      6       交換呈示日
 55-60      6       不渡返還日
 61         1       手形・小切手区分
 62-68      7       手形・小切手番号
 69-71      3       僚店番号
 72-81     10       振込依頼人コード
 82-129    48       振込依頼人名又は契約者番号       ← 振込人名義
130-144    15       仕向銀行名
145-159    15       仕向店名
160-179    20       摘要内容
180-199    20       EDI情報
200         1       ダミー
==========  ======  ==========================================

Header: 種別コード 2-3, コード区分 4, 作成日 5-10, 勘定日（自）11-16, （至）17-22, 銀行 23-41, 支店 42-59,
ダミー 60-62, 預金種目 63, 口座番号 64-73 (10), 口座名 74-113, 貸越区分 114, 通帳・証書区分 115, 取引前残高
116-129, ダミー 130-200. Trailer: 入金件数 2-7, 入金額合計 8-20 (checked against the deposits), 出金件数 21-26,
出金額合計 27-39, 貸越区分 40, 取引後残高 41-54, データ・レコード件数 55-61.

振込入金通知 data record:

==========  ======  ==========================================
  1         1       データ区分 "2"
  2-7       6       照会番号
  8-13      6       勘定日 (YYMMDD, 和暦)            ← 取引日
 14-19      6       起算日 (YYMMDD, 和暦)
 20-29     10       金額                             ← 金額 (all 0 in フォーマットB above 10 digits)
 30-39     10       うち他店券金額
 40-49     10       振込依頼人コード
 50-97     48       振込依頼人名                     ← 振込人名義
 98-112    15       仕向銀行名
113-127    15       仕向店名
128         1       取消区分 (1 = 取消)
129-148    20       EDI情報 (フォーマットB: 金額(2) 129-140, うち他店券金額(2) 141-152, EDI情報 153-172)
149-200    52       ダミー
==========  ======  ==========================================

Header: 種別コード 2-3, コード区分 4, 作成日 5-10, 勘定日（自）11-16, （至）17-22, 銀行 23-41, 支店 42-59,
預金種目 60, 口座番号 61-67 (7), 口座名 68-107, ダミー 108-200. Trailer: 振込合計件数 2-7, 振込合計金額 8-19,
取消合計件数 20-25, 取消合計金額 26-37. A cancelling record (取消区分 1) takes back the equal transfer (金額 and
振込依頼人名) before it in the file; one whose transfer is not in the file is refused (the payment imported
earlier must be deleted by hand). The trailer's 振込合計 is checked against the transfers, counted with or
without the cancelling records, and 取消合計 against those.

Dates: the layouts prescribe YYMMDD in 和暦 (令和, or 平成 up to 2019-04-30); some banks offer 西暦 instead, so
both readings are tried and, of those not over a year after the import day, the nearest is taken (R08 and 2008
are 18 years apart; H31 is 2019, not 2031).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from backoffice.errors import DomainError

RECORD_LENGTH = 200
MAX_ROWS = 20_000
MAX_AMOUNT = 2**31 - 1  # what a row's amount column (an integer) holds

MSG_LINE = _("Line %(line)s: %(problem)s")
MSG_ENCODING = _("The file is neither UTF-8 nor Shift_JIS (cp932) text.")
MSG_EMPTY = _("The file holds no rows.")
MSG_HEADER = _("The header row must name the columns 取引日, 金額 and 振込人名義.")
MSG_DATE = _("the transaction date (取引日) must be YYYY-MM-DD or YYYY/MM/DD: %(value)s")
MSG_AMOUNT = _("the amount (金額) must be a whole number of yen, 1 or more: %(value)s")
MSG_PAYER = _("the payer name (振込人名義) is empty")
MSG_COLUMNS = _("the row has fewer columns than the header")
MSG_TOO_MANY = _("The file holds more than %(max)s rows; split it.")
MSG_RECORD_LENGTH = _("a record of the Zengin format is 200 bytes long; this one is %(length)s bytes")
MSG_RECORD_KIND = _("unknown record kind (データ区分) %(kind)s")
MSG_NO_HEADER = _("The Zengin file must begin with a header record (データ区分 1).")
MSG_TRAILER = _("the trailer's deposit count or total (%(count)s, %(total)s yen) differs from the data records "
                "(%(rows)s, %(sum)s yen)")
MSG_ZENGIN_DATE = _("the account date (勘定日) is not a date: %(value)s")
MSG_ZENGIN_AMOUNT = _("the amount (取引金額) is not a number: %(value)s")
MSG_AMOUNT_TOO_LARGE = _("the amount %(value)s yen is more than a statement row can hold (%(max)s yen)")
MSG_ZENGIN_KIND = _("the header's 種別コード %(kind)s is neither 03 (入出金取引明細) nor 01 (振込入金通知)")
MSG_TIME_DEPOSIT = _("the 入出金取引明細 of a time or notice deposit account (預金種目 %(kind)s) holds no transfers")
MSG_CANCEL_ALONE = _("this record cancels (取消区分 1) a transfer that is not in the file: delete the payment "
                     "imported earlier from 入金履歴 and import the file without this record")
MSG_TRAILER_CANCEL = _("the trailer's cancellation count or total (%(count)s, %(total)s yen) differs from the "
                       "cancelling records (%(rows)s, %(sum)s yen)")


@dataclasses.dataclass(frozen=True)
class StatementLine:
    line: int
    date: datetime.date
    amount: int
    payer_name: str


def invalid(message, line: int | None = None) -> DomainError:
    if line is not None:
        message = MSG_LINE % {"line": line, "problem": message}
    return DomainError("statement_invalid", message, fields={"file": [str(message)]})


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise invalid(MSG_ENCODING)


_DATE_RE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


def _csv_date(raw: str, line: int) -> datetime.date:
    value = unicodedata.normalize("NFKC", raw).strip()
    match = _DATE_RE.match(value)
    try:
        if match is None:
            raise ValueError
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise invalid(MSG_DATE % {"value": raw}, line) from None


def _csv_amount(raw: str, line: int) -> int:
    value = unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace("¥", "").replace("\\", "")
    value = value.removesuffix("円").strip()
    if not value.isascii() or not value.isdigit() or not value.strip("0"):
        raise invalid(MSG_AMOUNT % {"value": raw}, line)
    return _bounded(value, line)


def _bounded(digits: str, line: int) -> int:
    """A positive amount of ``digits`` a statement row can hold."""
    digits = digits.lstrip("0")
    if len(digits) > len(str(MAX_AMOUNT)) or int(digits) > MAX_AMOUNT:
        raise invalid(MSG_AMOUNT_TOO_LARGE % {"value": f"{int(digits):,}", "max": f"{MAX_AMOUNT:,}"}, line)
    return int(digits)


def _header_index(header: list[str]) -> dict[str, int] | None:
    names = [unicodedata.normalize("NFKC", h).strip().strip('"') for h in header]
    wanted = {"date": "取引日", "amount": "金額", "payer": "振込人名義"}
    found = {key: names.index(name) for key, name in wanted.items() if name in names}
    return found if len(found) == len(wanted) else None


def read_csv(data: bytes) -> list[StatementLine]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[StatementLine] = []
    index = None
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if index is None:
                index = _header_index(row)
                if index is None:
                    raise invalid(MSG_HEADER, line)
                continue
            if len(row) <= max(index.values()):
                raise invalid(MSG_COLUMNS, line)
            payer = row[index["payer"]].strip()  # as the bank printed it: part of the row's identity
            if not payer:
                raise invalid(MSG_PAYER, line)
            rows.append(StatementLine(line, _csv_date(row[index["date"]], line),
                                      _csv_amount(row[index["amount"]], line), payer[:200]))
            if len(rows) > MAX_ROWS:
                raise invalid(MSG_TOO_MANY % {"max": MAX_ROWS})
    except csv.Error as exc:
        raise invalid(str(exc), reader.line_num) from None
    if index is None:
        raise invalid(MSG_EMPTY)
    return rows


# --- 全銀 ------------------------------------------------------------------------------------------------------

KIND_STATEMENT = "03"  # 入出金取引明細
KIND_TRANSFERS = "01"  # 振込入金通知
TIME_DEPOSITS = (b"5", b"6", b"7")  # 通知・定期・積立定期預金: another data layout, no payer names

# 0-based slices of the data record (see the module docstring for the 1-based columns)
_DATA = {
    KIND_STATEMENT: {"date": slice(9, 15), "amount": slice(24, 36), "payer": slice(81, 129)},
    KIND_TRANSFERS: {"date": slice(7, 13), "amount": slice(19, 29), "payer": slice(49, 97)},
}
_AMOUNT_2 = slice(128, 140)  # 振込入金通知 フォーマットB: 金額(2), used when 金額(1) is all 0
_HEISEI = (datetime.date(1989, 1, 8), datetime.date(2019, 4, 30))
_REIWA_FROM = datetime.date(2019, 5, 1)


def _yymmdd(raw: bytes, today: datetime.date) -> datetime.date | None:
    """YYMMDD in 和暦 (令和 or 平成, as the layouts prescribe) or, as some banks offer, 西暦: of the readings
    that exist, those not over a year after today win, and of them the one nearest today."""
    text = raw.decode("ascii", "replace")
    if not text.isdigit() or len(text) != 6:
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    candidates = []
    for base, first, last in ((2000, datetime.date.min, datetime.date.max), (2018, _REIWA_FROM, datetime.date.max),
                              (1988, *_HEISEI)):
        try:
            day = datetime.date(base + yy, mm, dd)
        except ValueError:
            continue
        if first <= day <= last:
            candidates.append(day)
    if not candidates:
        return None
    plausible = [d for d in candidates if d <= today + datetime.timedelta(days=366)]
    return min(plausible or candidates, key=lambda d: abs((d - today).days))


def _records(data: bytes) -> list[bytes]:
    """The 200-byte records, with or without line breaks between them (a trailing EOF mark dropped). cp932's
    second bytes are never CR or LF, so splitting on them is safe."""
    data = data.rstrip(b"\x1a")
    if b"\n" in data or b"\r" in data:
        lines = re.split(rb"\r\n|\r|\n", data)
        return [line.ljust(RECORD_LENGTH) if len(line) < RECORD_LENGTH and line.strip() else line
                for line in lines if line.strip()]
    return [data[i:i + RECORD_LENGTH] for i in range(0, len(data), RECORD_LENGTH)]


def _number(raw: bytes) -> int | None:
    text = raw.decode("ascii", "replace")
    return int(text) if text.isdigit() else None


def read_zengin(data: bytes, today: datetime.date) -> list[StatementLine]:
    records = _records(data)
    if not records:
        raise invalid(MSG_EMPTY)
    rows: dict[int, StatementLine] = {}  # by line; a cancelled transfer leaves
    open_transfers: dict[tuple[int, str], list[int]] = {}  # 振込入金通知 rows a 取消 may take back
    kind = None
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD_LENGTH:
            raise invalid(MSG_RECORD_LENGTH % {"length": len(record)}, number)
        record_kind = record[:1]
        if record_kind == b"1":
            kind = record[1:3].decode("ascii", "replace")
            if kind not in _DATA:
                raise invalid(MSG_ZENGIN_KIND % {"kind": kind}, number)
            if kind == KIND_STATEMENT and record[62:63] in TIME_DEPOSITS:
                raise invalid(MSG_TIME_DEPOSIT % {"kind": record[62:63].decode()}, number)
            group = {"count": 0, "total": 0, "cancel_count": 0, "cancel_total": 0}  # this header's records
            continue
        if kind is None:
            raise invalid(MSG_NO_HEADER)
        if record_kind == b"2":
            if kind == KIND_STATEMENT and record[21:22] != b"1":
                continue  # 入払区分 2: a withdrawal (出金), not a payment
            fields = _DATA[kind]
            day = _yymmdd(record[fields["date"]], today)
            if day is None:
                raise invalid(MSG_ZENGIN_DATE % {"value": record[fields["date"]].decode("ascii", "replace")},
                              number)
            raw_amount = record[fields["amount"]]
            if kind == KIND_TRANSFERS and raw_amount.strip(b"0") == b"" and record[_AMOUNT_2].isdigit():
                raw_amount = record[_AMOUNT_2]
            if not raw_amount.isdigit() or not raw_amount.strip(b"0"):
                raise invalid(MSG_ZENGIN_AMOUNT % {"value": raw_amount.decode("ascii", "replace").strip()}, number)
            amount = _bounded(raw_amount.decode(), number)
            try:
                payer = record[fields["payer"]].decode("cp932").strip(" \u3000")
            except UnicodeDecodeError:
                raise invalid(MSG_ENCODING, number) from None
            if not payer:
                raise invalid(MSG_PAYER, number)
            if kind == KIND_TRANSFERS and record[127:128] == b"1":  # 取消区分 1: the bank takes a transfer back
                group["cancel_count"] += 1
                group["cancel_total"] += amount
                earlier = open_transfers.get((amount, payer))
                if not earlier:
                    raise invalid(MSG_CANCEL_ALONE, number)
                del rows[earlier.pop()]
                continue
            group["count"] += 1
            group["total"] += amount
            rows[number] = StatementLine(number, day, amount, payer)
            open_transfers.setdefault((amount, payer), []).append(number)
            if len(rows) > MAX_ROWS:
                raise invalid(MSG_TOO_MANY % {"max": MAX_ROWS})
        elif record_kind == b"8":
            _check_trailer(kind, record, group, number)
        elif record_kind == b"9":
            continue
        else:
            raise invalid(MSG_RECORD_KIND % {"kind": record_kind.decode("ascii", "replace")}, number)
    return list(rows.values())


def _check_trailer(kind: str, record: bytes, group: dict, number: int) -> None:
    """入出金取引明細: 入金件数 and 入金額合計 against the deposits. 振込入金通知: 振込合計件数 and 振込合計金額
    against the transfers (with or without the cancelling records: banks differ), 取消合計 against those."""
    if kind == KIND_STATEMENT:
        count, total = _number(record[1:7]), _number(record[7:20])
        expected = [(group["count"], group["total"])]
    else:
        count, total = _number(record[1:7]), _number(record[7:19])
        expected = [(group["count"], group["total"]),
                    (group["count"] + group["cancel_count"], group["total"] + group["cancel_total"])]
        cancel_count, cancel_total = _number(record[19:25]), _number(record[25:37])
        if None not in (cancel_count, cancel_total) and (cancel_count, cancel_total) != (
                group["cancel_count"], group["cancel_total"]):
            raise invalid(MSG_TRAILER_CANCEL % {"count": cancel_count, "total": f"{cancel_total:,}",
                                                "rows": group["cancel_count"], "sum": f"{group['cancel_total']:,}"},
                          number)
    if None not in (count, total) and (count, total) not in expected:
        raise invalid(MSG_TRAILER % {"count": count, "total": f"{total:,}", "rows": expected[0][0],
                                     "sum": f"{expected[0][1]:,}"}, number)


# --- writing (tests, demo data and scenarios build statements with these) --------------------------------------

def _field(text: str, length: int, *, encoding: str = "cp932") -> bytes:
    raw = text.encode(encoding)[:length]
    return raw + b" " * (length - len(raw))


def to_half_width_kana(text: str) -> str:
    import jaconv

    return jaconv.z2h(jaconv.hira2kata(text), kana=True, ascii=True, digit=True)


def write_zengin(lines: list[tuple[datetime.date, int, str]], *, line_breaks: bool = True, wareki: bool = True,
                 kind: str = KIND_STATEMENT) -> bytes:
    """A 全銀 file holding deposits ``(date, amount, payer name)``: the 入出金取引明細 (``kind="03"``) or the
    振込入金通知 (``"01"``), laid out as the module docstring says; the payer is written in half-width kana as
    banks print it, dates in 令和 (or 西暦)."""

    def yymmdd(day: datetime.date) -> bytes:
        year = day.year - 2018 if wareki and day >= _REIWA_FROM else day.year % 100
        return f"{year:02d}{day:%m%d}".encode()

    def n(value: int, length: int) -> bytes:
        return f"{value:0{length}d}".encode()

    first = min((d for d, _a, _p in lines), default=datetime.date(2026, 4, 1))
    last = max((d for d, _a, _p in lines), default=first)
    account = (b"0001" + _field("ﾃｽﾄｷﾞﾝｺｳ", 15) + b"001" + _field("ﾎﾝﾃﾝ", 15))
    total = sum(a for _d, a, _p in lines)
    if kind == KIND_STATEMENT:
        header = (b"1" + KIND_STATEMENT.encode() + b"0" + yymmdd(last) + yymmdd(first) + yymmdd(last) + account + b"000" + b"1"
                  + n(1234567, 10) + _field("ｼﾔ)ﾆﾎﾝﾃｽﾄｶﾞﾂｶｲ", 40) + b"1" + b"1" + n(0, 14) + b" " * 71)
        data = [b"2" + n(i, 8) + yymmdd(day) * 2 + b"1" + b"11" + n(amount, 12) + n(0, 12) + n(0, 6) * 2 + b"0"
                + n(0, 7) + b"000" + n(0, 10) + _field(to_half_width_kana(payer), 48) + _field("ﾐｽﾞﾎ", 15)
                + _field("ﾎﾝｺﾞｳ", 15) + _field("ﾌﾘｺﾐ", 20) + b" " * 20 + b" "
                for i, (day, amount, payer) in enumerate(lines, start=1)]
        trailer = (b"8" + n(len(lines), 6) + n(total, 13) + n(0, 6) + n(0, 13) + b"1" + n(total, 14)
                   + n(len(lines), 7) + b" " * 139)
    else:
        header = (b"1" + KIND_TRANSFERS.encode() + b"0" + yymmdd(last) + yymmdd(first) + yymmdd(last) + account + b"1" + n(1234567, 7)
                  + _field("ｼﾔ)ﾆﾎﾝﾃｽﾄｶﾞﾂｶｲ", 40) + b" " * 93)
        data = [b"2" + n(i, 6) + yymmdd(day) * 2 + n(amount, 10) + n(0, 10) + n(0, 10)
                + _field(to_half_width_kana(payer), 48) + _field("ﾐｽﾞﾎ", 15) + _field("ﾎﾝｺﾞｳ", 15) + b"0"
                + b" " * 20 + b" " * 52
                for i, (day, amount, payer) in enumerate(lines, start=1)]
        trailer = b"8" + n(len(lines), 6) + n(total, 12) + n(0, 6) + n(0, 12) + b" " * 163
    records = [header, *data, trailer, b"9" + b" " * 199]
    assert all(len(record) == RECORD_LENGTH for record in records), [len(r) for r in records]
    separator = b"\r\n" if line_breaks else b""
    return separator.join(records) + separator


def write_csv(lines: list[tuple[datetime.date, int, str]], *, encoding: str = "utf-8-sig",
              slashes: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["取引日", "金額", "振込人名義"])
    for day, amount, payer in lines:
        writer.writerow([day.strftime("%Y/%m/%d" if slashes else "%Y-%m-%d"), amount, payer])
    return out.getvalue().encode(encoding)
