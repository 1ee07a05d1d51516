"""[会員別請求・入金情報ダウンロード] (BIL-9): invoices and their payments as CSV.

- Years: the current fiscal year on the society clock, the three before it and all later ones.
- One row per invoice (cancelled ones included, their status says 取消), every row with the member number and
  name; the payments column summarises the live payments of the invoice.
- Opens in Japanese Excel: UTF-8 with a BOM, CRLF line ends, a Japanese header row.
- Safe against formula injection: a text cell starting with ``= + - @``, a tab or a carriage return gets a
  leading apostrophe, so a spreadsheet shows it as text instead of evaluating it. Numbers the product computes
  (amounts, a negative adjustment) stay numbers.
- Streamed: invoices are read with ``.iterator(chunk_size=…)`` and each chunk's payments with one query, and
  the CSV is produced chunk by chunk, so memory stays bounded whatever the size of the export.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import translation

from backoffice import clock

from . import selectors
from .models import Category, Invoice, InvoiceStatus, Payment, PaymentMethod

CHUNK_SIZE = 2000
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER = ["会員番号", "氏名", "請求番号", "請求名称", "請求区分", "年度", "請求金額", "調整額", "請求合計",
          "入金額", "請求・入金状況", "請求内容確定", "入金情報"]

INVOICE_COLUMNS = ("pk", "member__member_number", "member__name", "number", "name", "category", "fiscal_year",
                   "amount", "adjustment", "total", "paid", "status", "confirmed_at")
PAYMENT_COLUMNS = ("invoice_id", "paid_on", "method", "amount", "receipt_number")


def neutralise(value):
    """A text cell that a spreadsheet would read as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _labels() -> tuple[dict, dict, dict]:
    """Status, category and method labels in Japanese (the CSV is Japanese whatever the request's language)."""
    with translation.override("ja"):
        return ({v: str(label) for v, label in InvoiceStatus.choices},
                {v: str(label) for v, label in Category.choices},
                {v: str(label) for v, label in PaymentMethod.choices})


def export_queryset(invoices, societies):
    """``invoices`` narrowed to BIL-9's years, each society on its own clock, in a stable order."""
    years = Q()
    for society in societies:
        years |= Q(society_id=society.pk, fiscal_year__gte=selectors.export_first_year(society))
    if not societies:
        return invoices.none()
    return invoices.filter(years).order_by("member__member_number", "member_id", "fiscal_year", "number")


def invoices_for_members(members, societies):
    """The invoices of ``members`` (a member queryset, e.g. a search result) for the export."""
    invoices = Invoice.objects.with_status().filter(member__in=members.order_by().values("pk"))
    return export_queryset(invoices, societies)


def invoices_for_member(member):
    return export_queryset(Invoice.objects.with_status().filter(member=member), [member.society])


def chunks(queryset, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[list[tuple], dict[int, list[tuple]]]]:
    """(invoice rows, {invoice id: payment rows}) chunk by chunk: one streamed read of the invoices and one
    query for each chunk's live payments."""
    buffer: list[tuple] = []
    for row in queryset.values_list(*INVOICE_COLUMNS).iterator(chunk_size=chunk_size):
        buffer.append(row)
        if len(buffer) >= chunk_size:
            yield buffer, _payments_of(buffer)
            buffer = []
    if buffer:
        yield buffer, _payments_of(buffer)


def _payments_of(rows: list[tuple]) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = defaultdict(list)
    payments = (Payment.objects.live().filter(invoice_id__in=[r[0] for r in rows])
                .order_by("invoice_id", "paid_on", "id").values_list(*PAYMENT_COLUMNS))
    for payment in payments:
        found[payment[0]].append(payment)
    return found


def csv_lines(queryset, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The CSV text, one piece per chunk: the BOM and the header first."""
    status_labels, category_labels, method_labels = _labels()
    confirmed_labels = {True: "確定済", False: "未確定"}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield BOM + out.getvalue()
    for rows, payments in chunks(queryset, chunk_size):
        out.seek(0)
        out.truncate()
        for (pk, member_number, member_name, number, name, category, year, amount, adjustment, total, paid,
             status, confirmed_at) in rows:
            summary = " / ".join(
                f"{paid_on.isoformat()} {method_labels.get(method, method)} {p_amount}円 (領収書番号 {receipt})"
                for _i, paid_on, method, p_amount, receipt in payments.get(pk, ())
            )
            writer.writerow((
                neutralise(member_number or ""), neutralise(member_name), number, neutralise(name),
                category_labels.get(category, category), year, amount, adjustment, total, paid,
                status_labels.get(status, status), confirmed_labels[confirmed_at is not None], summary,
            ))
        yield out.getvalue()


def csv_response(queryset, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def filename_for(society, what: str) -> str:
    stamp = clock.now(society).strftime("%Y%m%d-%H%M") if society is not None else "all"
    return f"billing-{what}-{stamp}.csv"


def societies_of(operator, members=None) -> list:
    """The societies whose clock decides the years: the operator's, or for a platform superuser every
    society of the members exported."""
    from members.models import Society

    society = getattr(operator, "society", None)
    if society is not None:
        return [society]
    if members is None:
        return list(Society.objects.all())
    ids = members.order_by().values("society_id").distinct()
    return list(Society.objects.filter(pk__in=ids))

