"""My Page simulator, billing side, as a page (SIM-2): the member's confirmed invoices with a pay button and links
to the invoice and receipt PDFs (BIL-10, by the URL names ``billing-invoice-pdf`` and ``billing-receipt-pdf``
— shown once those views exist). Sandbox societies, trainers and administrators only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from backoffice import text
from backoffice.adminkit import report_domain_error
from backoffice.errors import DomainError
from billing import selectors
from billing.models import ONLINE_METHODS, Invoice, InvoiceStatus, PaymentMethod
from billing.services import payments as payment_services
from members.models import Member

ONLINE_CHOICES = [(v, label) for v, label in PaymentMethod.choices if v in ONLINE_METHODS]


def _pdf_url(name: str, pk: int) -> str | None:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:  # the documents' views are not (yet) part of this installation
        return None


def mypage_invoices(request):
    society = getattr(request.user, "society", None)
    if society is None or not society.is_sandbox or not request.user.can_use_training_tools:
        raise PermissionDenied
    email = text.normalize_email(request.GET.get("email", "") or "")
    member = Member.objects.filter(society=society, email=email).first() if email else None
    if request.method == "POST" and member is not None:
        invoice_id = request.POST.get("invoice", "")
        invoice = None
        if invoice_id.isascii() and invoice_id.isdigit() and len(invoice_id) < 19:
            invoice = Invoice.objects.filter(society=society, member=member, confirmed_at__isnull=False,
                                             pk=int(invoice_id)).first()
        try:
            if invoice is None:
                raise DomainError("not_found", _("Not found."), status=404)
            amount_raw = text.half_width(request.POST.get("amount", "")).replace(",", "")
            if not (amount_raw.isascii() and amount_raw.isdigit() and len(amount_raw) <= 11):
                raise DomainError("invalid", _("Enter an amount of 1 yen or more."))
            payment = payment_services.mypage_payment_make(actor=request.user, member=member, invoice=invoice,
                                                           method=request.POST.get("method", ""),
                                                           amount=int(amount_raw))
        except DomainError as exc:
            report_domain_error(request, exc)
        else:
            messages.success(request, _("Paid (receipt number %(number)s, settlement number %(settlement)s).")
                             % {"number": payment.receipt_number, "settlement": payment.settlement_number})
        return HttpResponseRedirect(request.path + "?" + urlencode({"email": email}))
    rows = []
    if member is not None:
        for invoice in selectors.mypage_invoices(member).prefetch_related("payments"):
            payments = [p for p in invoice.payments.all() if not p.deleted]
            rows.append({
                "invoice": invoice, "status": InvoiceStatus(invoice.status).label,
                "outstanding": selectors.outstanding_of(invoice),
                "payable": invoice.status in (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID),
                "invoice_pdf": _pdf_url("billing-invoice-pdf", invoice.pk),
                "receipts": [(p, _pdf_url("billing-receipt-pdf", p.pk)) for p in payments],
            })
    return TemplateResponse(request, "simulator/mypage_invoices.html", {
        **admin.site.each_context(request), "title": _("My Page: invoices"), "email": email, "member": member,
        "rows": rows, "methods": ONLINE_CHOICES})


mypage_invoices_view = admin.site.admin_view(mypage_invoices)
