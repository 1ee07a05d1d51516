"""Billing services: payments (入金, PAY-1 … PAY-4) and receipts (領収書番号, BIL-11).

- ``payment_register``: [入金情報登録] by the secretariat (and by the bank-statement matching, PAY-6).
- ``payments_split``: one offline payment over several years' invoices of a member (PAY-4), all or none.
- ``payment_delete``: [入金履歴削除] — the payment is kept as deleted with who, when and why (PAY-2).
- ``mypage_payment_make``: the member's own online payment on My Page (SIM-2), with a fresh settlement number.

Concurrency contract between the billing services: whoever reads-then-writes an invoice locks it first
(``select_for_update``; several invoices in pk order). The cancel service refuses while a live payment
exists; these refuse on a cancelled invoice (409 ``invoice_cancelled``, ``selectors.payment_register_refusal``) — so a payment racing a cancel
leaves either a live invoice with its payment or a refusal.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock
from backoffice.errors import DomainError, NotFound
from backoffice.fields import MAX_DATE, MIN_DATE
from backoffice.services import Actor, check_society, service
from mail.services import mail_send, render_mail

from .. import numbering, selectors
from ..models import ONLINE_METHODS, Invoice, Payment, PaymentMethod, channel_of

#: Every online payment carries its settlement number (the database refuses one without).
MSG_SETTLEMENT_REQUIRED = _("An online payment (credit card, convenience store, bank check) needs its settlement "
                            "number.")
MSG_AMOUNT_MIN = _("Enter an amount of 1 yen or more.")
MSG_UNKNOWN_METHOD = _("Unknown payment method: %(method)s")
MSG_SPLIT_OFFLINE_ONLY = _("Only an offline payment (bank or postal transfer) is split over several invoices; "
                           "an online payment is paid per invoice.")
MSG_SPLIT_OTHER_MEMBER = _("Invoice %(invoice)s is not an invoice of this member.")
MSG_SPLIT_EMPTY = _("Give at least one invoice and amount.")
MSG_SPLIT_TWICE = _("Invoice %(invoice)s is given twice.")
MSG_ONLINE_ONLY = _("On My Page, pay by credit card, convenience store or bank check.")
MSG_METHOD_NOT_ACCEPTED = _("This society does not accept this payment method.")
MSG_NOT_CONFIRMED = _("This invoice is not shown on My Page.")
MSG_DATE_RANGE = _("Enter a date between %(min)s and %(max)s.")
MSG_UNKNOWN_INVOICE = _("Unknown invoice.")


def unknown_allocation_invoice(position: int) -> DomainError:
    """An allocation names an invoice the operator cannot see (unknown, or another society's): 400 naming
    ``allocations.<position>.invoice``, as sent."""
    return DomainError("invalid", MSG_UNKNOWN_INVOICE,
                       fields={f"allocations.{position}.invoice": [str(MSG_UNKNOWN_INVOICE)]})


def lock_invoice(invoice_or_pk) -> Invoice:
    """The invoice, locked for the rest of the transaction (the billing services' concurrency contract)."""
    pk = getattr(invoice_or_pk, "pk", invoice_or_pk)
    # of=self: the invoice's row only, not the joined society and member rows (see members' lock_member)
    return Invoice.objects.select_for_update(of=("self",)).select_related("society", "member").get(pk=pk)


def _status_of(invoice: Invoice) -> Invoice:
    """The locked invoice's ``paid``, ``total`` and ``status`` (BIL-4), read after the lock."""
    annotated = Invoice.objects.with_status().get(pk=invoice.pk)
    invoice.paid, invoice.total, invoice.status = annotated.paid, annotated.total, annotated.status
    return invoice


def _check_amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise DomainError("invalid", MSG_AMOUNT_MIN, fields={"amount": [str(MSG_AMOUNT_MIN)]})
    return amount


def _check_method(method: str) -> str:
    if method not in PaymentMethod.values:
        message = MSG_UNKNOWN_METHOD % {"method": method}
        raise DomainError("invalid", message, fields={"method": [str(message)]})
    return method


def _check_date(paid_on: datetime.date) -> datetime.date:
    if not isinstance(paid_on, datetime.date) or not MIN_DATE <= paid_on <= MAX_DATE:
        message = MSG_DATE_RANGE % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}
        raise DomainError("invalid", message, fields={"paid_on": [str(message)]})
    return paid_on


def _snapshot(payment: Payment) -> dict:
    return {
        "invoice": payment.invoice_id,
        "invoice_number": payment.invoice.number,
        "member": payment.invoice.member_id,
        "receipt_number": payment.receipt_number,
        "amount": payment.amount,
        "method": payment.method,
        "channel": str(channel_of(payment.method)),
        "paid_on": payment.paid_on.isoformat(),
        "remarks": payment.remarks,
        "settlement_number": payment.settlement_number,
        "statement_row": payment.statement_row_id,
    }


def send_receipt(*, actor: Actor, payment: Payment, mail_source: tuple[str, str] | None = None) -> None:
    """The receipt mail (MAIL-2 ``payment_receipt``) to the member: an outbox row, sent after commit."""
    invoice = payment.invoice
    member = invoice.member
    if not member.email:
        return
    context = {"name": member.name, "invoice_name": invoice.name, "invoice_number": invoice.number,
               "receipt_number": payment.receipt_number, "amount": f"{payment.amount:,}",
               "paid_on": payment.paid_on.isoformat()}
    if mail_source is not None:
        from mail.rendering import render_source

        subject, body = render_source(*mail_source, {"society_name": invoice.society.name, **context})
    else:
        subject, body = render_mail(invoice.society, "payment_receipt", context)
    mail_send(actor=actor, society=invoice.society, kind="payment_receipt", to=member.email, subject=subject,
              body=body, member_id=member.pk)


def register_on_locked(*, actor: Actor, invoice: Invoice, amount: int, method: str, paid_on: datetime.date,
                       remarks: str = "", settlement_number: str = "", statement_row=None,
                       batch_id: uuid.UUID | None = None, receipt_number: int | None = None,
                       mail_source: tuple[str, str] | None = None) -> Payment:
    """Register a payment on an invoice the caller has locked and whose ``paid``/``total`` it has read under
    that lock (or kept up to date since). Only for services of this app, inside their transaction."""
    refusal = (selectors.payment_register_refusal(invoice, method=method, amount=amount)
               or selectors.payment_date_refusal(invoice, paid_on))
    if refusal is not None:
        raise refusal
    if method in ONLINE_METHODS and not settlement_number:
        raise DomainError("invalid", MSG_SETTLEMENT_REQUIRED,
                          fields={"settlement_number": [str(MSG_SETTLEMENT_REQUIRED)]})
    if receipt_number is None:
        receipt_number = numbering.take(invoice.society, numbering.RECEIPT)
    payment = Payment.objects.create(
        society_id=invoice.society_id, invoice=invoice, receipt_number=receipt_number, amount=amount, method=method,
        paid_on=paid_on, remarks=remarks, settlement_number=settlement_number, statement_row=statement_row,
        created_by=audit.actor_label(actor)[:255], created_at=clock.now(invoice.society))
    invoice.paid += amount
    audit.record(actor=actor, action="billing.payment.registered", target=payment, after=_snapshot(payment),
                 batch_id=batch_id)
    send_receipt(actor=actor, payment=payment, mail_source=mail_source)
    return payment


@service(permission="can_write")
def payment_register(*, actor: Actor, invoice: Invoice, amount: int, method: str, paid_on: datetime.date,
                     remarks: str = "", settlement_number: str = "", statement_row=None) -> Payment:
    """[入金情報登録] (PAY-1): a payment on one invoice, with a gap-free receipt number (BIL-11) and a receipt
    mail. Credit card and convenience store cannot exceed what is outstanding (409 ``amount_exceeds_invoice``);
    bank check can (overpayment). A cancelled invoice takes no payment (409 ``invoice_cancelled``). An
    operator registering an online method by hand must satisfy PAY-3 (400 ``remarks_required``). The refusals are
    ``selectors.payment_register_refusal`` and ``selectors.payment_remarks_refusal``, asked under the lock; the payment
    carries the settlement number given, else the one its remarks name (an online payment always has one)."""
    check_society(actor, invoice.society_id)
    _check_amount(amount)
    _check_method(method)
    _check_date(paid_on)
    remarks = (remarks or "").strip()
    settlement_number = (settlement_number or "").strip()[:64]
    locked = _status_of(lock_invoice(invoice))
    refusal = (selectors.payment_register_refusal(locked, method=method, amount=amount)
               or selectors.payment_remarks_refusal(locked, method=method, remarks=remarks, actor=actor))
    if refusal is not None:
        raise refusal
    if not settlement_number and selectors.pay3_applies(actor, method):  # the one the remarks name
        settlement_number = selectors.settlement_named_in_remarks(
            remarks, selectors.known_settlement_numbers(locked.member)) or ""
    return register_on_locked(actor=actor, invoice=locked, amount=amount, method=method, paid_on=paid_on,
                              remarks=remarks, settlement_number=settlement_number, statement_row=statement_row)


@service(permission="can_write")
def payments_split(*, actor: Actor, member, method: str, paid_on: datetime.date, remarks: str = "",
                   allocations: Sequence[tuple[Invoice | int, int]] | Sequence[dict]) -> list[Payment]:
    """PAY-4: an offline payment covering several years, split over each year's invoice of ``member`` — one
    payment per allocation ``(invoice, amount)``, all or none, sharing one audit batch."""
    check_society(actor, member.society_id)
    _check_method(method)
    _check_date(paid_on)
    if method in ONLINE_METHODS:
        raise DomainError("invalid", MSG_SPLIT_OFFLINE_ONLY, fields={"method": [str(MSG_SPLIT_OFFLINE_ONLY)]})
    pairs = [(a["invoice"], a["amount"]) if isinstance(a, dict) else tuple(a) for a in allocations]
    if not pairs:
        raise DomainError("invalid", MSG_SPLIT_EMPTY, fields={"allocations": [str(MSG_SPLIT_EMPTY)]})
    ids = [getattr(inv, "pk", inv) for inv, _amount in pairs]
    for invoice_id in ids:
        if ids.count(invoice_id) > 1:
            message = MSG_SPLIT_TWICE % {"invoice": invoice_id}
            raise DomainError("invalid", message, fields={"allocations": [str(message)]})
    for _inv, amount in pairs:
        _check_amount(amount)
    locked = {i.pk: i for i in Invoice.objects.select_for_update(of=("self",)).select_related("society", "member")
              .filter(pk__in=ids, society_id=member.society_id).order_by("pk")}
    for position, invoice_id in enumerate(ids):
        if invoice_id not in locked:  # a reference in the body: bad input naming it (issue 16), not a 404
            raise unknown_allocation_invoice(position)
        if locked[invoice_id].member_id != member.pk:
            message = MSG_SPLIT_OTHER_MEMBER % {"invoice": locked[invoice_id].number}
            raise DomainError("invalid", message, fields={"allocations": [str(message)]})
    batch = audit.new_batch_id()
    remarks = (remarks or "").strip()
    payments = []
    for invoice_id, (_inv, amount) in zip(ids, pairs):
        invoice = _status_of(locked[invoice_id])
        payments.append(register_on_locked(actor=actor, invoice=invoice, amount=amount, method=method,
                                           paid_on=paid_on, remarks=remarks, batch_id=batch))
    return payments


@service(permission="can_write")
def payment_delete(*, actor: Actor, payment: Payment, reason: str = "") -> Payment:
    """[入金履歴削除] (PAY-2): the payment stays, marked deleted with who, when and why; it no longer counts in
    the invoice's status, and the invoice can then be cancelled (BIL-7). Deleting it again is refused
    (``selectors.payment_delete_refusal``: 409 ``payment_already_deleted``)."""
    check_society(actor, payment.society_id)
    lock_invoice(payment.invoice_id)  # the invoice first, as every billing service does
    payment = Payment.objects.select_for_update().select_related("invoice", "invoice__member").get(pk=payment.pk)
    refusal = selectors.payment_delete_refusal(payment)
    if refusal is not None:
        raise refusal
    now = clock.now(payment.invoice.society)
    payment.deleted_at = now
    payment.deleted_by = audit.actor_label(actor)[:255]
    payment.deleted_reason = (reason or "").strip()[:500]
    payment.save(update_fields=["deleted_at", "deleted_by", "deleted_reason"])
    audit.record(actor=actor, action="billing.payment.deleted", target=payment,
                 before={"deleted_at": None, "amount": payment.amount, "receipt_number": payment.receipt_number,
                         "invoice": payment.invoice_id},
                 after={"deleted_at": now.isoformat(), "deleted_by": payment.deleted_by,
                        "deleted_reason": payment.deleted_reason})
    return payment


def new_settlement_number(society) -> str:
    """A fresh 決済番号 for an online payment made on My Page (the payment provider's number in real life)."""
    return f"S{clock.now(society):%Y%m%d}-{secrets.token_hex(4).upper()}"


@service(permission="can_use_training_tools")
def mypage_payment_make(*, actor: Actor, member, invoice: Invoice, method: str, amount: int) -> Payment:
    """SIM-2: the member pays a confirmed invoice online on My Page (card and convenience store up to the
    outstanding amount, bank check any amount). It carries a fresh settlement number and needs no remark
    (PAY-3 is about the secretariat moving a payment by hand)."""
    check_society(actor, member.society_id)
    _check_amount(amount)
    _check_method(method)
    if method not in ONLINE_METHODS:
        raise DomainError("invalid", MSG_ONLINE_ONLY, fields={"method": [str(MSG_ONLINE_ONLY)]})
    accepted = member.society.accepted_payment_methods or []
    if accepted and method not in accepted:
        raise DomainError("invalid", MSG_METHOD_NOT_ACCEPTED, fields={"method": [str(MSG_METHOD_NOT_ACCEPTED)]})
    locked = _status_of(lock_invoice(invoice))
    if locked.member_id != member.pk:
        raise NotFound()
    if locked.confirmed_at is None:
        raise NotFound(MSG_NOT_CONFIRMED)
    return register_on_locked(actor=actor, invoice=locked, amount=amount, method=method,
                              paid_on=clock.today(locked.society),
                              settlement_number=new_settlement_number(locked.society))
