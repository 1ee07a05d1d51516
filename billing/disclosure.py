"""SEC-5: billing's part of a member's disclosure (``members.disclosure``): every invoice of the member, cancelled
ones too, and every payment, deleted ones too. Registered from BillingConfig.ready()."""

from __future__ import annotations

from members import disclosure

from .models import Invoice, Payment


def _stamp(value) -> str | None:
    return value.isoformat() if value is not None else None


def invoices(member) -> list[dict]:
    rows = Invoice.objects.filter(member_id=member.pk).with_status().order_by("fiscal_year", "number")
    return [{"id": i.pk, "number": i.number, "name": i.name, "category": i.category, "fiscal_year": i.fiscal_year,
             "amount": i.amount, "adjustment": i.adjustment, "total": i.total, "paid": i.paid, "status": i.status,
             "due_date": _stamp(i.due_date), "confirmed_at": _stamp(i.confirmed_at),
             "cancelled_at": _stamp(i.cancelled_at), "settlement_number": i.settlement_number,
             "created_at": _stamp(i.created_at)} for i in rows]


def payments(member) -> list[dict]:
    rows = Payment.objects.filter(invoice__member_id=member.pk).select_related("invoice").order_by("paid_on", "pk")
    return [{"id": p.pk, "invoice": p.invoice_id, "invoice_number": p.invoice.number,
             "receipt_number": p.receipt_number, "amount": p.amount, "method": p.method, "paid_on": _stamp(p.paid_on),
             "remarks": p.remarks, "settlement_number": p.settlement_number, "created_at": _stamp(p.created_at),
             "deleted": p.deleted_at is not None, "deleted_at": _stamp(p.deleted_at), "deleted_by": p.deleted_by,
             "deleted_reason": p.deleted_reason} for p in rows]


def register() -> None:
    disclosure.register_section("invoices", invoices)
    disclosure.register_section("payments", payments)
