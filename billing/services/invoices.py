"""Billing services: invoices — [請求内容確定] (BIL-3), renaming a run (BIL-6), [請求取消] per invoice, per run
and for a selection (BIL-7), the invoice adjustment and name, and a single invoice for one member (BIL-11).

Every service that reads-then-writes an invoice locks it first (several: in pk order), so a payment racing a
cancel leaves either a live invoice with its payment or a refusal (the payment service locks the same row).
A bulk act writes one audit entry per invoice sharing a batch id."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock
from backoffice.errors import DomainError, NotFound
from backoffice.services import Actor, check_society, service

from .. import numbering, selectors
from ..models import BillingRun, Category, Invoice
from .runs import MAX_MEMBER_ID, clean_category, clean_fiscal_year, clean_run_name

MSG_AMOUNT = _("Enter the amount as whole yen, 0 or more.")
MSG_SELECT_INVOICES = _("Select at least one invoice.")
MAX_AMOUNT = 100_000_000


def _raise(refusal) -> None:
    """Raise a refusal of ``billing.selectors`` (DESIGN 5b: the service enforces exactly the predicate)."""
    if refusal is not None:
        raise refusal


def _lock(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def _record_many(*, actor: Actor, action: str, rows: list[tuple[Invoice, dict, dict]], batch_id: uuid.UUID) -> None:
    """One audit entry per invoice of a bulk act (one society's), chained and written in one INSERT."""
    if not rows:
        return
    audit.record_many(actor=actor, action=action, society_id=rows[0][0].society_id, rows=rows, batch_id=batch_id)


def _stamp(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- [請求内容確定] (BIL-3) ---------------------------------------------------------------------------------


@service(permission="can_write")
def invoice_confirm(*, actor: Actor, invoice: Invoice) -> Invoice:
    """Make one invoice visible on My Page. Confirming a confirmed invoice changes nothing."""
    check_society(actor, invoice.society_id)
    invoice = _lock(invoice)
    _raise(selectors.invoice_edit_refusal(invoice))
    if invoice.confirmed_at is None:
        invoice.confirmed_at = clock.now(invoice.society)
        invoice.save(update_fields=["confirmed_at"])
        audit.record(actor=actor, action="billing.invoice.confirmed", target=invoice,
                     before={"confirmed_at": None}, after={"confirmed_at": _stamp(invoice.confirmed_at)})
    return invoice


@service(permission="can_write")
def billing_run_confirm(*, actor: Actor, run: BillingRun) -> int:
    """Confirm every live, unconfirmed invoice of the run; returns how many (one audit entry each, one batch).
    Refused while the run is under way (``selectors.billing_run_confirm_refusal``)."""
    check_society(actor, run.society_id)
    run = BillingRun.objects.select_for_update(of=("self",)).select_related("society").get(pk=run.pk)
    _raise(selectors.billing_run_confirm_refusal(run))
    invoices = list(Invoice.objects.select_for_update().filter(run_id=run.pk, cancelled_at__isnull=True,
                                                               confirmed_at__isnull=True).order_by("pk"))
    if not invoices:
        return 0
    now = clock.now(run.society)
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(confirmed_at=now)
    _record_many(actor=actor, action="billing.invoice.confirmed", batch_id=audit.new_batch_id(),
                 rows=[(i, {"confirmed_at": None}, {"confirmed_at": _stamp(now)}) for i in invoices])
    return len(invoices)


# --- renaming (BIL-6) ---------------------------------------------------------------------------------------


@service(permission="can_write")
def billing_run_rename(*, actor: Actor, run: BillingRun, name: str) -> BillingRun:
    """Rename the run and every one of its invoices, paid ones included (cancelled ones stay as they were:
    a cancelled invoice is not edited, BIL-7). Refused while the run is under way
    (``selectors.billing_run_rename_refusal``)."""
    check_society(actor, run.society_id)
    name = clean_run_name(name)
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    _raise(selectors.billing_run_rename_refusal(run))
    invoices = list(Invoice.objects.select_for_update().filter(run_id=run.pk, cancelled_at__isnull=True)
                    .exclude(name=name).order_by("pk"))
    old_name = run.name
    if old_name == name and not invoices:
        return run
    batch_id = audit.new_batch_id()
    if old_name != name:
        run.name = name
        run.save(update_fields=["name"])
        audit.record(actor=actor, action="billing.run.renamed", target=run, before={"name": old_name},
                     after={"name": name, "invoices": len(invoices)}, batch_id=batch_id)
    if invoices:
        Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(name=name)
        _record_many(actor=actor, action="billing.invoice.renamed", batch_id=batch_id,
                     rows=[(i, {"name": i.name}, {"name": name}) for i in invoices])
    return run


# --- [請求取消] (BIL-7) -------------------------------------------------------------------------------------


def _cancel_locked(actor: Actor, invoices: list[Invoice], *, batch_id: uuid.UUID | None) -> int:
    """Cancel invoices already locked in pk order that the caller's cancel refusal let through."""
    if not invoices:
        return 0
    society = invoices[0].society
    now = clock.now(society)
    by = audit.actor_label(actor)[:255]
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(cancelled_at=now, cancelled_by=by)
    rows = [(i, {"cancelled_at": None}, {"cancelled_at": _stamp(now)}) for i in invoices]
    if batch_id is None and len(rows) == 1:
        invoice = invoices[0]
        audit.record(actor=actor, action="billing.invoice.cancelled", target=invoice, before=rows[0][1],
                     after=rows[0][2])
    else:
        _record_many(actor=actor, action="billing.invoice.cancelled", rows=rows,
                     batch_id=batch_id or audit.new_batch_id())
    return len(invoices)


@service(permission="can_write")
def invoice_cancel(*, actor: Actor, invoice: Invoice) -> Invoice:
    """Cancel one member's invoice; 409 ``invoice_has_payments`` while a payment is registered (delete the
    payment history first), 409 ``invoice_cancelled`` when it already is."""
    check_society(actor, invoice.society_id)
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related("society").get(pk=invoice.pk)
    _raise(selectors.invoice_cancel_refusal(invoice))
    _cancel_locked(actor, [invoice], batch_id=None)
    invoice.refresh_from_db()
    return invoice


@service(permission="can_write")
def billing_run_cancel(*, actor: Actor, run: BillingRun) -> int:
    """Cancel every live invoice of the run, all or none; returns how many. Refused as
    ``selectors.billing_run_cancel_refusal`` says: while the run is under way, or while any of its invoices holds a
    live payment."""
    check_society(actor, run.society_id)
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    invoices = list(Invoice.objects.select_for_update(of=("self",)).select_related("society")
                    .filter(run_id=run.pk, cancelled_at__isnull=True).order_by("pk"))
    _raise(selectors.billing_run_cancel_refusal(run, invoice_refusals=selectors.invoices_cancel_refusals(invoices)))
    return _cancel_locked(actor, invoices, batch_id=audit.new_batch_id())


@service(permission="can_write")
def invoices_bulk_cancel(*, actor: Actor, society, invoice_ids: Iterable[int]) -> int:
    """Cancel a selection, all or none: an id that is not an invoice of the society is 404, a cancelled one
    409 ``invoice_cancelled``, one with a live payment 409 ``invoice_has_payments``."""
    check_society(actor, society.pk)
    ids = sorted(set(invoice_ids or ()))
    if not ids or any(isinstance(i, bool) or not isinstance(i, int) or not 0 < i <= MAX_MEMBER_ID for i in ids):
        raise DomainError("invalid", MSG_SELECT_INVOICES, fields={"invoice_ids": [str(MSG_SELECT_INVOICES)]})
    invoices = list(Invoice.objects.select_for_update(of=("self",)).select_related("society")
                    .filter(society_id=society.pk, pk__in=ids).order_by("pk"))
    if len(invoices) != len(ids):
        raise NotFound()
    _raise(selectors.invoices_bulk_cancel_refusal(invoices))
    return _cancel_locked(actor, invoices, batch_id=audit.new_batch_id())


# --- editing and single invoices ----------------------------------------------------------------------------


def _clean_amount(value, field: str, *, signed: bool = False) -> int:
    low = -MAX_AMOUNT if signed else 0
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_AMOUNT:
        raise DomainError("invalid", MSG_AMOUNT if not signed else _("Enter the adjustment as whole yen."),
                          fields={field: [str(MSG_AMOUNT)]})
    return value


_UNSET = object()


@service(permission="can_write")
def invoice_update(*, actor: Actor, invoice: Invoice, name=_UNSET, adjustment=_UNSET) -> Invoice:
    """Change the name or the invoice adjustment (請求調整額, signed yen; total = amount + adjustment ≥ 0).
    A cancelled invoice is not edited (409 ``invoice_cancelled``); the adjustment is refused as
    ``selectors.invoice_adjust_refusal`` says."""
    check_society(actor, invoice.society_id)
    invoice = _lock(invoice)
    _raise(selectors.invoice_edit_refusal(invoice))
    before = {"name": invoice.name, "adjustment": invoice.adjustment}
    if name is not _UNSET:
        invoice.name = clean_run_name(name)
    if adjustment is not _UNSET:
        adjustment = _clean_amount(adjustment, "adjustment", signed=True)
        _raise(selectors.invoice_adjust_refusal(invoice, adjustment))
        invoice.adjustment = adjustment
    after = {"name": invoice.name, "adjustment": invoice.adjustment}
    if after == before:
        return invoice
    invoice.save(update_fields=["name", "adjustment"])
    action = "billing.invoice.adjusted" if after["adjustment"] != before["adjustment"] else "billing.invoice.renamed"
    audit.record_change(actor=actor, action=action, target=invoice, before=before, after=after)
    return invoice


@service(permission="can_write")
def invoice_create(*, actor: Actor, society, member, name: str, category: str, fiscal_year: int, amount: int,
                   due_date: datetime.date | None = None) -> Invoice:
    """A single invoice for one member (not confirmed yet, BIL-3), numbered from the society's sequence."""
    check_society(actor, society.pk)
    if member is None or member.society_id != society.pk:
        raise NotFound()
    invoice = Invoice(society=society, member=member, name=clean_run_name(name), category=clean_category(category),
                      fiscal_year=clean_fiscal_year(fiscal_year), amount=_clean_amount(amount, "amount"),
                      due_date=due_date, created_at=clock.now(society))
    invoice.number = numbering.take(society, numbering.INVOICE)
    invoice.save()
    audit.record(actor=actor, action="billing.invoice.created", target=invoice, after={
        "number": invoice.number, "member_id": member.pk, "name": invoice.name, "category": invoice.category,
        "fiscal_year": invoice.fiscal_year, "amount": invoice.amount,
        "due_date": due_date.isoformat() if due_date else None})
    return invoice


__all__ = ["Category", "billing_run_cancel", "billing_run_confirm", "billing_run_rename", "invoice_cancel",
           "invoice_confirm", "invoice_create", "invoice_update", "invoices_bulk_cancel"]
