"""Reading bank statements (入金消込, PAY-6) into rows: CSV and the 全銀協 入出金取引明細 fixed-length format.

Both give ``StatementLine(line, date, amount, payer_name)`` for each deposit. A file this cannot read raises
``DomainError("statement_invalid")`` naming the line (SEC-3: a clear message, never a server error).

CSV (API.md): a header row with the columns 取引日 (YYYY-MM-DD or YYYY/MM/DD), 金額 (yen) and 振込人名義, in
UTF-8 (with or without BOM) or Shift_JIS (cp932). Other columns are ignored.

全銀 入出金取引明細: 200-byte records in cp932 (half-width kana), with or without line breaks between them:
header (データ区分 1), data (2), trailer (8), end (9). Data record layout used here (1-based byte columns):

==========  ======  ==========================================
  1         1       データ区分 "2"
  2-9       8       照会番号
 10-15      6       勘定日 (YYMMDD)
 16-21      6       預入・払出日 (YYMMDD)
 22         1       入払区分 (1 = 入金, 2 = 出金)
 23-24      2       取引区分
 25-36     12       取引金額
 37-47     11       うち他店券金額
 48-53      6       交換呈示日
 54-59      6       不渡返還日
 60         1       手形・小切手区分
 61-67      7       手形・小切手番号
 68-70      3       僚店番号
 71-80     10       振込依頼人コード
 81-128    48       振込依頼人名又は契約者番号
129-143    15       仕向銀行名
144-158    15       仕向店名
159-178    20       摘要内容
179-198    20       EDI情報
199-200     2       ダミー
==========  ======  ==========================================

Trailer (8): 入金件数 (2-7), 入金額合計 (8-20), checked against the data records when present. Only deposits
(入払区分 1) become rows. Dates are YYMMDD in the Japanese era (和暦, as banks traditionally write them) or in
the Western calendar; the reading nearer the import day is taken (R08 and 2008 are 18 years apart).
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
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 10**12:
        raise invalid(MSG_AMOUNT % {"value": raw}, line)
    return int(value)


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

ERA_STARTS = (2018, 1988)  # 令和 (R1 = 2019), 平成 (H1 = 1989)


def _yymmdd(raw: bytes, today: datetime.date) -> datetime.date | None:
    text = raw.decode("ascii", "replace")
    if not text.isdigit() or len(text) != 6:
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    candidates = []
    for base in (2000, 1900, *ERA_STARTS):
        try:
            candidates.append(datetime.date(base + yy, mm, dd))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda d: abs((d - today).days))


def _records(data: bytes) -> list[bytes]:
    """The 200-byte records, with or without line breaks between them (a trailing EOF mark dropped). cp932's
    second bytes are never CR or LF, so splitting on them is safe."""
    data = data.rstrip(b"\x1a")
    if b"\n" in data or b"\r" in data:
        lines = re.split(rb"\r\n|\r|\n", data)
        return [line.ljust(RECORD_LENGTH) if len(line) < RECORD_LENGTH and line.strip() else line
                for line in lines if line.strip()]
    return [data[i:i + RECORD_LENGTH] for i in range(0, len(data), RECORD_LENGTH)]


def read_zengin(data: bytes, today: datetime.date) -> list[StatementLine]:
    records = _records(data)
    if not records:
        raise invalid(MSG_EMPTY)
    rows: list[StatementLine] = []
    seen_header = False
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD_LENGTH:
            raise invalid(MSG_RECORD_LENGTH % {"length": len(record)}, number)
        kind = record[:1]
        if kind == b"1":
            seen_header = True
            continue
        if not seen_header:
            raise invalid(MSG_NO_HEADER)
        if kind == b"2":
            if record[21:22] != b"1":
                continue  # a withdrawal (出金), not a payment
            day = _yymmdd(record[9:15], today)
            if day is None:
                raise invalid(MSG_ZENGIN_DATE % {"value": record[9:15].decode("ascii", "replace")}, number)
            raw_amount = record[24:36].decode("ascii", "replace").strip()
            if not raw_amount.isdigit() or int(raw_amount) < 1:
                raise invalid(MSG_ZENGIN_AMOUNT % {"value": raw_amount}, number)
            try:
                payer = record[80:128].decode("cp932")
            except UnicodeDecodeError:
                raise invalid(MSG_ENCODING, number) from None
            payer = payer.strip(" \u3000")
            if not payer:
                raise invalid(MSG_PAYER, number)
            rows.append(StatementLine(number, day, int(raw_amount), payer))
            if len(rows) > MAX_ROWS:
                raise invalid(MSG_TOO_MANY % {"max": MAX_ROWS})
        elif kind == b"8":
            count, total = record[1:7].decode("ascii", "replace"), record[7:20].decode("ascii", "replace")
            if count.isdigit() and total.isdigit():
                if (int(count), int(total)) != (len(rows), sum(r.amount for r in rows)):
                    raise invalid(MSG_TRAILER % {"count": int(count), "total": int(total), "rows": len(rows),
                                                 "sum": sum(r.amount for r in rows)}, number)
        elif kind == b"9":
            continue
        else:
            raise invalid(MSG_RECORD_KIND % {"kind": kind.decode("ascii", "replace")}, number)
    return rows


# --- writing (tests, demo data and scenarios build statements with these) --------------------------------------

def _field(text: str, length: int, *, encoding: str = "cp932") -> bytes:
    raw = text.encode(encoding)[:length]
    return raw + b" " * (length - len(raw))


def to_half_width_kana(text: str) -> str:
    import jaconv

    return jaconv.z2h(jaconv.hira2kata(text), kana=True, ascii=True, digit=True)


def write_zengin(lines: list[tuple[datetime.date, int, str]], *, line_breaks: bool = True,
                 wareki: bool = True) -> bytes:
    """A 全銀 入出金取引明細 file holding deposits ``(date, amount, payer name)``; the payer is written in
    half-width kana as banks print it."""

    def yymmdd(day: datetime.date) -> str:
        year = day.year - ERA_STARTS[0] if wareki and day.year > ERA_STARTS[0] else day.year % 100
        return f"{year:02d}{day:%m%d}"

    first = min((d for d, _a, _p in lines), default=datetime.date(2026, 4, 1))
    header = (b"1" + b"03" + b"0" + yymmdd(first).encode() * 3 + b"0001" + _field("ﾃｽﾄｷﾞﾝｺｳ", 15) + b"001"
              + _field("ﾎﾝﾃﾝ", 15) + b"   " + b"1" + b"0001234567" + _field("ﾆﾎﾝﾃｽﾄｶﾞﾂｶｲ", 40) + b"0")
    records = [header.ljust(RECORD_LENGTH)]
    for i, (day, amount, payer) in enumerate(lines, start=1):
        record = (b"2" + f"{i:08d}".encode() + yymmdd(day).encode() * 2 + b"1" + b"11" + f"{amount:012d}".encode()
                  + b"0" * 11 + b"0" * 6 + b"0" * 6 + b"0" + b"0" * 7 + b"000" + b" " * 10
                  + _field(to_half_width_kana(payer), 48) + _field("ﾐｽﾞﾎ", 15) + _field("ﾎﾝｺﾞｳ", 15)
                  + _field("ﾌﾘｺﾐ", 20) + b" " * 20 + b"  ")
        assert len(record) == RECORD_LENGTH, len(record)
        records.append(record)
    total = sum(a for _d, a, _p in lines)
    records.append((b"8" + f"{len(lines):06d}".encode() + f"{total:013d}".encode() + b"0" * 6 + b"0" * 13 + b"0"
                    + b"0" * 14 + f"{len(lines):07d}".encode()).ljust(RECORD_LENGTH))
    records.append(b"9".ljust(RECORD_LENGTH))
    return (b"\r\n" if line_breaks else b"").join(records) + (b"\r\n" if line_breaks else b"")


def write_csv(lines: list[tuple[datetime.date, int, str]], *, encoding: str = "utf-8-sig",
              slashes: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["取引日", "金額", "振込人名義"])
    for day, amount, payer in lines:
        writer.writerow([day.strftime("%Y/%m/%d" if slashes else "%Y-%m-%d"), amount, payer])
    return out.getvalue().encode(encoding)
