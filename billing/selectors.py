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


__all__ = ["OPEN_STATUSES", "InvoiceStatus", "invoices_of", "invoice_cancel_refusal"]
