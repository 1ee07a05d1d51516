"""Billing's own admin pages outside any ModelAdmin, under /admin/billing/ (wired by backoffice.urls before the
admin site). Their URL names are plain (``billing-invoice-pdf``, ``billing-receipt-pdf`` with kwarg ``pk``) so that
any screen can link a PDF with ``{% url 'billing-invoice-pdf' pk=invoice.pk %}``."""

from django.contrib import admin
from django.urls import path

from . import exports

wrap = admin.site.admin_view

urlpatterns = [
    path("pdf/invoice/<int:pk>/", wrap(exports.invoice_pdf_view), name="billing-invoice-pdf"),
    path("pdf/receipt/<int:pk>/", wrap(exports.receipt_pdf_view), name="billing-receipt-pdf"),
    path("export/member/<int:pk>/billing.csv", wrap(exports.member_billing_csv_view), name="billing-member-csv"),
    path("remind/", wrap(exports.remind_view), name="billing-remind"),
]
