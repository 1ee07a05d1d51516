"""Reads that span billing's models; the rules screens, the API and support facts ask (DESIGN 5b)."""

from __future__ import annotations

from .models import OPEN_STATUSES, Invoice, InvoiceStatus, Payment


def invoices_of(operator):
    """Invoices ``operator`` may see, with ``paid``, ``total`` and ``status`` annotated (BIL-4)."""
    return Invoice.objects.visible_to(operator).with_status().select_related("member", "run")


def invoice_cancel_refusal(invoice) -> str | None:
    """Why ``invoice`` cannot be cancelled now (BIL-7), or None. The cancel service enforces it under a
    lock; screens ask it to grey out the button."""
    if invoice.cancelled_at is not None:
        return "invoice_cancelled"
    if Payment.objects.live().filter(invoice_id=invoice.pk).exists():
        return "invoice_has_payments"
    return None


__all__ = ["OPEN_STATUSES", "InvoiceStatus", "invoices_of", "invoice_cancel_refusal", "fiscal_year_of",
           "invoice_edit_refusal"]


def fiscal_year_of(society, day) -> int:
    """The fiscal year ``day`` falls in: a year starting in the society's ``fiscal_year_start_month`` (April by
    default) is named by the calendar year it starts in (2027-03-31 is fiscal 2026)."""
    start = getattr(society, "fiscal_year_start_month", 4) or 1
    return day.year if day.month >= start else day.year - 1


def invoice_edit_refusal(invoice):
    """BIL-7: a cancelled invoice cannot be edited (name, adjustment, confirmation)."""
    return "invoice_cancelled" if invoice.cancelled_at is not None else None
