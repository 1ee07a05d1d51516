"""[会員別請求・入金情報ダウンロード] (BIL-9): invoices and their payments as CSV.

- Years: the current fiscal year on the society clock, the three before it and all later ones.
- One row per invoice (cancelled ones included, their status says 取消), every row with the member number and
  name; the payments column summarises the live payments of the invoice.
- Opens in Japanese Excel: UTF-8 with a BOM, CRLF line ends, a Japanese header row.
- Safe against formula injection: a text cell starting with ``= + - @``, a tab or a carriage return gets a
  leading apostrophe, so a spreadsheet shows it as text instead of evaluating it. Numbers the product computes
  (amounts, a negative adjustment) stay numbers.
- Streamed: invoices and their payments are read with ``.iterator(chunk_size=…)`` in the same order and merged,
  and the CSV is produced chunk by chunk, so memory stays bounded whatever the size of the export (two queries).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import BooleanField, CharField, ExpressionWrapper, Q
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.utils import translation

from backoffice import clock

from . import selectors
from .models import Category, Invoice, InvoiceStatus, Payment, PaymentMethod

CHUNK_SIZE = 2000
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_STARTS)
CONFIRMED_LABELS = {True: "確定済", False: "未確定"}

HEADER = ["会員番号", "氏名", "請求番号", "請求名称", "請求区分", "年度", "請求金額", "調整額", "請求合計",
          "入金額", "請求・入金状況", "請求内容確定", "入金情報"]

INVOICE_COLUMNS = ("pk", "member__member_number", "member__name", "number", "name", "category", "fiscal_year",
                   "amount", "adjustment", "total", "paid", "status", "is_confirmed")
PAYMENT_COLUMNS = ("invoice_id", "paid_on_text", "method", "amount", "receipt_number")
#: The export's order; payments are read in the same order so the two streams are merged without lookups.
ORDER = ("member__member_number", "member_id", "fiscal_year", "number", "pk")


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
    return invoices.filter(years).order_by(*ORDER)


def invoices_for_members(members, societies):
    """The invoices of ``members`` (a member queryset, e.g. a search result) for the export."""
    invoices = Invoice.objects.with_status().filter(member__in=members.order_by().values("pk"))
    return export_queryset(invoices, societies)


def invoices_for_member(member):
    return export_queryset(Invoice.objects.with_status().filter(member=member), [member.society])


def rows(queryset, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[tuple, list[tuple]]]:
    """(invoice row, its live payment rows), in the export's order. Two streamed reads — the invoices and
    their payments, both ordered by the invoice's place in the export — merged as they come: two queries
    whatever the size, no list of ids, memory bounded by ``chunk_size``."""
    invoices = (queryset.annotate(is_confirmed=ExpressionWrapper(Q(confirmed_at__isnull=False),
                                                                 output_field=BooleanField()))
                .values_list(*INVOICE_COLUMNS).iterator(chunk_size=chunk_size))
    payments = (
        Payment.objects.live().filter(invoice_id__in=queryset.order_by().values("pk"))
        .annotate(paid_on_text=Cast("paid_on", CharField()))
        .order_by(*(f"invoice__{key}" for key in ORDER), "paid_on", "pk")
        .values_list(*PAYMENT_COLUMNS).iterator(chunk_size=chunk_size)
    )
    pending = next(payments, None)
    for invoice in invoices:
        mine = []
        while pending is not None and pending[0] == invoice[0]:
            mine.append(pending)
            pending = next(payments, None)
        yield invoice, mine


def csv_lines(queryset, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The CSV text, one piece per chunk: the BOM and the header first."""
    status_labels, category_labels, method_labels = _labels()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    yield BOM + out.getvalue()
    out.seek(0)
    out.truncate()
    written = 0
    last_member = None
    member_cells = ("", "")
    writerow = writer.writerow
    for (_pk, member_number, member_name, number, name, category, year, amount, adjustment, total, paid, status,
         confirmed), payments in rows(queryset, chunk_size):
        if (member_number, member_name) != last_member:  # a member's rows follow each other: neutralise once
            last_member = (member_number, member_name)
            member_cells = (neutralise(member_number or ""), neutralise(member_name))
        if payments:
            summary = " / ".join(
                f"{paid_on} {method_labels.get(method, method)} {p_amount}円 (領収書番号 {receipt})"
                for _i, paid_on, method, p_amount, receipt in payments
            )
        else:
            summary = ""
        writerow((
            *member_cells, number, name if name[:1] not in FORMULA_FIRST else neutralise(name),
            category_labels.get(category, category), year, amount, adjustment, total, paid,
            status_labels.get(status, status), CONFIRMED_LABELS[bool(confirmed)], summary,
        ))
        written += 1
        if written == chunk_size:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            written = 0
    if written:
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

