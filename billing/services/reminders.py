"""Billing services: reminders (督促, BIL-12)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock
from backoffice.errors import DomainError, NotFound
from backoffice.services import Actor, check_society, service
from mail.models import MailKind
from mail.rendering import render_mail
from mail.services import mail_send

from .. import selectors
from ..models import Invoice, Reminder

#: One request reminds at most this many invoices (the API and the screen send a search result's page).
MAX_REMINDERS = 5000

MSG_NO_INVOICES = _("Select at least one invoice.")
MSG_TOO_MANY = _("Send reminders for at most %(n)d invoices at a time.")


@dataclass
class RemindResult:
    sent: int = 0
    skipped: list[dict] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)


def _invoice_ids(invoices: Iterable) -> list[int]:
    ids = set()
    for item in invoices:
        ids.add(int(item.pk if isinstance(item, Invoice) else item))
    return sorted(ids)


@service(permission="can_write")
def invoices_remind(*, actor: Actor, invoices: Iterable) -> RemindResult:
    """Send a 督促 mail (kind ``payment_reminder``) for every invoice of ``invoices`` (invoices or ids) that is
    still owed — confirmed, 未入金 or 一部入金 — and log a ``Reminder`` per invoice and member. Paid, overpaid,
    cancelled, 入金不要 and unconfirmed invoices are skipped with their reason.

    The invoices are locked (in primary key order, the helpers' common order) before their status is read,
    so an invoice paid or cancelled meanwhile is decided on its state at send time and never reminded. One
    audit entry ``billing.reminder.sent`` per reminded invoice, all sharing a batch id. An id the actor may
    not see makes the whole request 'not found' (SOC-2)."""
    ids = _invoice_ids(invoices)
    if not ids:
        raise DomainError("invalid", MSG_NO_INVOICES, fields={"invoice_ids": []})
    if len(ids) > MAX_REMINDERS:
        raise DomainError("invalid", MSG_TOO_MANY % {"n": MAX_REMINDERS}, fields={"invoice_ids": []})
    locked = list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "society_id"))
    if len(locked) != len(ids):
        raise NotFound()
    for _pk, society_id in locked:
        check_society(actor, society_id)
    annotated = {i.pk: i for i in Invoice.objects.with_status().filter(pk__in=ids)
                 .select_related("member", "society").order_by("pk")}
    result = RemindResult()
    batch = audit.new_batch_id()
    for pk in ids:
        invoice = annotated[pk]
        reason = selectors.reminder_skip_reason(invoice)
        if reason is not None:
            result.skipped.append({"invoice": pk, "reason": reason})
            continue
        society, member = invoice.society, invoice.member
        outstanding = invoice.total - invoice.paid
        subject, body = render_mail(society, MailKind.PAYMENT_REMINDER, {
            "name": member.name, "member_number": member.member_number or "", "invoice_name": invoice.name,
            "invoice_number": invoice.number, "fiscal_year": invoice.fiscal_year, "total": invoice.total,
            "paid": invoice.paid, "outstanding": outstanding, "due_date": invoice.due_date,
        })
        mail = mail_send(actor=actor, society=society, kind=MailKind.PAYMENT_REMINDER, to=member.email,
                         subject=subject, body=body, member_id=member.pk)
        reminder = Reminder.objects.create(society=society, invoice=invoice, member=member, sent_mail_id=mail.pk,
                                           sent_by=audit.actor_label(actor)[:255], sent_at=clock.now(society))
        audit.record(actor=actor, action="billing.reminder.sent", target=invoice, batch_id=batch, after={
            "status": invoice.status, "outstanding": outstanding, "to": member.email, "sent_mail_id": mail.pk,
            "reminder_id": reminder.pk,
        })
        result.sent += 1
        result.reminders.append(reminder)
    return result
