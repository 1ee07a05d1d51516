"""Billing API: exports — 請求書/領収書 PDFs (BIL-10, BIL-11) and [会員別請求・入金情報ダウンロード] CSVs (BIL-9),
for the secretariat and for the My Page simulator (a trainer playing the member)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from backoffice.errors import DomainError
from members.api import MemberFilter, mypage_member
from members.selectors import visible_members

from .. import exports, pdf
from ..models import Invoice, Payment


class PassthroughRenderer(BaseRenderer):
    """Lets a client ask for the file's own type (``Accept: application/pdf`` / ``text/csv``); the views
    answer with a ready response, so nothing is rendered here."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PdfRenderer(PassthroughRenderer):
    media_type = "application/pdf"
    format = "pdf"


class CsvRenderer(PassthroughRenderer):
    media_type = "text/csv"
    format = "csv"


def pdf_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def invoice_pdf_response(invoice) -> HttpResponse:
    return pdf_response(pdf.invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")


def receipt_pdf_response(payment) -> HttpResponse:
    return pdf_response(pdf.receipt_pdf(payment), f"receipt-{payment.receipt_number}.pdf")


def visible_invoice(operator, pk):
    """An invoice the operator may see (SOC-2: another society's is 'not found'); unconfirmed ones too."""
    return get_object_or_404(Invoice.objects.visible_to(operator).select_related("member", "society"), pk=pk)


def visible_payment(operator, pk):
    return get_object_or_404(
        Payment.objects.visible_to(operator).select_related("invoice", "invoice__member", "invoice__society"), pk=pk)


PDF_SCHEMA = {(200, "application/pdf"): OpenApiTypes.BINARY}
CSV_SCHEMA = {(200, "text/csv"): OpenApiTypes.STR}


class InvoicePdfView(APIView):
    """GET /api/v1/invoices/{id}/pdf/ — the 請求書 (BIL-10), with its 請求番号 (BIL-11)."""

    renderer_classes = [PdfRenderer, JSONRenderer]

    @extend_schema(responses=PDF_SCHEMA)
    def get(self, request, pk: int):
        return invoice_pdf_response(visible_invoice(request.user, pk))


class ReceiptPdfView(APIView):
    """GET /api/v1/payments/{id}/receipt.pdf — the 領収書 (BIL-10), with its 領収書番号 (BIL-11)."""

    renderer_classes = [PdfRenderer, JSONRenderer]

    @extend_schema(responses=PDF_SCHEMA)
    def get(self, request, pk: int):
        return receipt_pdf_response(visible_payment(request.user, pk))


class MemberBillingCsvView(APIView):
    """GET /api/v1/members/{id}/billing.csv — [会員別請求・入金情報ダウンロード] of one member (BIL-9)."""

    renderer_classes = [CsvRenderer, JSONRenderer]

    @extend_schema(responses=CSV_SCHEMA)
    def get(self, request, pk: int):
        member = get_object_or_404(visible_members(request.user).select_related("society"), pk=pk)
        label = member.member_number or f"id{member.pk}"
        return exports.csv_response(exports.invoices_for_member(member),
                                    exports.filename_for(member.society, f"member-{label}"))


class SearchBillingCsvView(APIView):
    """GET /api/v1/exports/billing.csv — BIL-9 for a member search result: the filters of
    ``GET /api/v1/members/`` (q, email, member_number, status, member_type, apass_linked, kind)."""

    renderer_classes = [CsvRenderer, JSONRenderer]

    @extend_schema(responses=CSV_SCHEMA, parameters=[
        OpenApiParameter(name, str) for name in MemberFilter.base_filters])
    def get(self, request):
        members = visible_members(request.user)
        filterset = MemberFilter(request.query_params, queryset=members, request=request)
        if not filterset.is_valid():
            fields = {name: [str(m) for m in msgs] for name, msgs in filterset.errors.items()}
            raise DomainError("invalid", _("Please correct the search conditions."), fields=fields)
        members = filterset.qs
        societies = exports.societies_of(request.user, members)
        society = societies[0] if len(societies) == 1 else None
        return exports.csv_response(exports.invoices_for_members(members, societies),
                                    exports.filename_for(society, "search"))


# --- My Page (the simulator: a trainer or administrator of a sandbox plays the member) ---------------------


class MyPageInvoicePdfView(APIView):
    """GET /api/v1/sim/mypage/invoices/{id}/pdf/?email= — the member's own 請求書 on My Page: only a confirmed
    invoice (BIL-3), not a cancelled one."""

    renderer_classes = [PdfRenderer, JSONRenderer]

    @extend_schema(responses=PDF_SCHEMA, parameters=[OpenApiParameter("email", str, required=True)])
    def get(self, request, pk: int):
        member = mypage_member(request)
        invoice = get_object_or_404(
            Invoice.objects.filter(member=member, confirmed_at__isnull=False, cancelled_at__isnull=True)
            .select_related("member", "society"), pk=pk)
        return invoice_pdf_response(invoice)


class MyPageReceiptPdfView(APIView):
    """GET /api/v1/sim/mypage/payments/{id}/receipt.pdf?email= — a 領収書 of the member's own live payment."""

    renderer_classes = [PdfRenderer, JSONRenderer]

    @extend_schema(responses=PDF_SCHEMA, parameters=[OpenApiParameter("email", str, required=True)])
    def get(self, request, pk: int):
        member = mypage_member(request)
        payment = get_object_or_404(
            Payment.objects.live().filter(invoice__member=member, invoice__confirmed_at__isnull=False)
            .select_related("invoice", "invoice__member", "invoice__society"), pk=pk)
        return receipt_pdf_response(payment)


urlpatterns = [
    path("invoices/<int:pk>/pdf/", InvoicePdfView.as_view(), name="api-invoice-pdf"),
    path("payments/<int:pk>/receipt.pdf", ReceiptPdfView.as_view(), name="api-receipt-pdf"),
    path("members/<int:pk>/billing.csv", MemberBillingCsvView.as_view(), name="api-member-billing-csv"),
    path("exports/billing.csv", SearchBillingCsvView.as_view(), name="api-billing-csv"),
    path("sim/mypage/invoices/<int:pk>/pdf/", MyPageInvoicePdfView.as_view(), name="api-mypage-invoice-pdf"),
    path("sim/mypage/payments/<int:pk>/receipt.pdf", MyPageReceiptPdfView.as_view(), name="api-mypage-receipt-pdf"),
]
