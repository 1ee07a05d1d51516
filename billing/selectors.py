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


__all__ = ["OPEN_STATUSES", "InvoiceStatus", "invoices_of", "invoice_cancel_refusal", "fiscal_year_of", "outstanding_of",
           "payments_of", "known_settlement_numbers", "remarks_name_a_known_settlement", "open_invoices_of_member",
           "mypage_invoices", "invoice_edit_refusal"]


# ---------------------------------------------------------------------------------------------------
# Payments (PAY-1 … PAY-4) and fiscal years
# ---------------------------------------------------------------------------------------------------

def fiscal_year_of(society, day) -> int:
    """The fiscal year ``day`` falls in: a year starting in the society's ``fiscal_year_start_month`` (April
    by default) is named after the calendar year it starts in (2026-03-31 is in fiscal 2025)."""
    start = getattr(society, "fiscal_year_start_month", 4) or 1
    return day.year if day.month >= start else day.year - 1


def outstanding_of(invoice) -> int:
    """What is still to pay on an invoice annotated by ``with_status`` (never below 0)."""
    return max(0, invoice.total - invoice.paid)


def payments_of(operator):
    """Payments ``operator`` may see, newest first, with their invoice and member."""
    return Payment.objects.visible_to(operator).select_related("invoice", "invoice__member")


def known_settlement_numbers(member) -> set[str]:
    """Settlement numbers (決済番号) known for ``member``: of any of their invoices or payments, cancelled or
    deleted ones included (PAY-3, API.md Clarifications "Channels")."""
    from_invoices = Invoice.objects.filter(member_id=member.pk).exclude(settlement_number="")
    from_payments = Payment.objects.filter(invoice__member_id=member.pk).exclude(settlement_number="")
    return set(from_invoices.values_list("settlement_number", flat=True)) | set(
        from_payments.values_list("settlement_number", flat=True))


def remarks_name_a_known_settlement(remarks: str, known: set[str]) -> bool:
    """PAY-3: the remarks hold one of ``known`` settlement numbers and a work memo beside it."""
    text = (remarks or "").strip()
    for number in known:
        if number and number in text and text.replace(number, "").strip(" \t\r\n,.:;/、。:："):
            return True
    return False


def open_invoices_of_member(member_id: int):
    """A member's confirmed invoices still expecting money (unpaid or partially paid), oldest fiscal year
    first (PAY-4's split order, PAY-6's matching)."""
    return (Invoice.objects.filter(member_id=member_id, confirmed_at__isnull=False, cancelled_at__isnull=True)
            .with_status().filter(status__in=[s.value for s in OPEN_STATUSES]).order_by("fiscal_year", "number"))


def mypage_invoices(member):
    """What the member sees on My Page (BIL-3, BIL-5): confirmed invoices, 入金不要 ones included."""
    return Invoice.objects.filter(member_id=member.pk, confirmed_at__isnull=False).with_status().order_by(
        "-fiscal_year", "-number")


def invoice_edit_refusal(invoice):
    """BIL-7: a cancelled invoice cannot be edited (name, adjustment, confirmation)."""
    return "invoice_cancelled" if invoice.cancelled_at is not None else None
