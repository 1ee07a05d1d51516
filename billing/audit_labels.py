"""Billing's labels on the audit screens; registered from BillingConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice import audit

from .models import (
    BankStatement,
    BankStatementRow,
    BillingRun,
    Category,
    Channel,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)
from .templatetags.billing_format import yen

ACTION_LABELS = {
    "billing.run.requested": pgettext_lazy("audit action", "Billing run requested"),
    "billing.run.completed": pgettext_lazy("audit action", "Billing run completed"),
    "billing.run.failed": pgettext_lazy("audit action", "Billing run failed"),
    "billing.run.resumed": pgettext_lazy("audit action", "Billing run resumed after a worker was lost"),
    "billing.run.renamed": pgettext_lazy("audit action", "Billing run renamed"),
    "billing.run.retried": pgettext_lazy("audit action", "Billing run requested again"),
    "billing.invoice.created": pgettext_lazy("audit action", "Invoice created"),
    "billing.invoice.confirmed": pgettext_lazy("audit action", "Invoice confirmed"),
    "billing.invoice.cancelled": pgettext_lazy("audit action", "Invoice cancelled"),
    "billing.invoice.renamed": pgettext_lazy("audit action", "Invoice renamed"),
    "billing.invoice.adjusted": pgettext_lazy("audit action", "Invoice adjustment changed"),
    "billing.payment.registered": pgettext_lazy("audit action", "Payment registered"),
    "billing.payment.deleted": pgettext_lazy("audit action", "Payment history deleted"),
    "billing.statement.imported": pgettext_lazy("audit action", "Bank statement imported"),
    "billing.statement_row.matched": pgettext_lazy("audit action", "Bank statement row matched by hand"),
    "billing.reminder.sent": pgettext_lazy("audit action", "Payment reminder sent"),
}

INVOICE_FIELDS = {
    "number": _("invoice number"),
    "name": pgettext_lazy("billing", "Invoice name"),
    "category": pgettext_lazy("billing", "Category"),
    "fiscal_year": pgettext_lazy("billing", "Fiscal year"),
    "amount": pgettext_lazy("billing", "Amount billed"),
    "adjustment": pgettext_lazy("billing", "Adjustment"),
    "confirmed_at": pgettext_lazy("billing", "Confirmed at"),
    "cancelled_at": pgettext_lazy("billing", "Cancelled at"),
    "member_id": pgettext_lazy("audit field", "member ID"),
    "due_date": pgettext_lazy("billing", "Due date"),
}

RUN_FIELDS = {
    "name": pgettext_lazy("billing", "Invoice name"),
    "allocation_start": pgettext_lazy("billing", "Allocation start month"),
    "exclude_member_types": pgettext_lazy("billing", "Excluded member types"),
    "member_ids": pgettext_lazy("audit field", "selected members"),
    "requested_on": pgettext_lazy("audit field", "requested on"),
    "created_count": pgettext_lazy("audit field", "invoices created"),
    "skipped_count": pgettext_lazy("audit field", "members skipped"),
    "invoices": pgettext_lazy("audit field", "invoices"),
    "error": _("error"),
}

PAYMENT_FIELDS = {
    "receipt_number": _("receipt number"),
    "amount": pgettext_lazy("billing", "Amount paid"),
    "method": pgettext_lazy("billing", "Payment method"),
    "paid_on": pgettext_lazy("billing", "Paid on"),
    "remarks": pgettext_lazy("billing", "Remarks"),
    "settlement_number": pgettext_lazy("billing", "Settlement number"),
    "deleted_at": pgettext_lazy("billing", "Deleted at"),
    "deleted_reason": pgettext_lazy("billing", "Reason for deletion"),
    "deleted_by": pgettext_lazy("billing", "Deleted by"),
    "invoice": pgettext_lazy("audit field", "invoice ID"),
    "invoice_number": _("invoice number"),
    "member": pgettext_lazy("audit field", "member ID"),
    "channel": pgettext_lazy("audit field", "online / offline"),
    "statement_row": pgettext_lazy("audit field", "bank statement row ID"),
}

STATEMENT_FIELDS = {
    "format": pgettext_lazy("audit field", "file format"),
    "filename": pgettext_lazy("audit field", "file name"),
    "rows": pgettext_lazy("audit field", "rows"),
    "matched": pgettext_lazy("audit field", "matched"),
    "unmatched": pgettext_lazy("audit field", "no match"),
    "ambiguous": pgettext_lazy("audit field", "several candidates"),
    "duplicate": pgettext_lazy("audit field", "already imported"),
}

STATEMENT_ROW_FIELDS = {
    "state": pgettext_lazy("audit field", "matching state"),
    "reason": _("reason"),
    "member": pgettext_lazy("audit field", "member ID"),
    "payments": pgettext_lazy("audit field", "payment IDs"),
    "allocations": pgettext_lazy("audit field", "allocations"),
    "invoice": pgettext_lazy("audit field", "invoice ID"),
    "amount": pgettext_lazy("billing", "Amount paid"),
}


REMINDER_FIELDS = {
    "status": pgettext_lazy("invoice status", "Status"),
    "outstanding": pgettext_lazy("reminder", "Outstanding amount"),
    "to": pgettext_lazy("reminder", "Sent to"),
    "sent_mail_id": pgettext_lazy("reminder", "Sent mail"),
    "reminder_id": pgettext_lazy("reminder", "Reminder log"),
}


def register() -> None:
    audit.register_action_labels(ACTION_LABELS)
    audit.register_target_models(BillingRun, Invoice, Payment, BankStatement, BankStatementRow)
    audit.register_field_labels(BillingRun, RUN_FIELDS,
                                choices={"category": Category.choices, "state": BillingRun.State.choices})
    audit.register_field_labels(Invoice, INVOICE_FIELDS, choices={"category": Category.choices},
                                formats={"amount": yen, "adjustment": yen})
    audit.register_field_labels(Payment, PAYMENT_FIELDS,
                                choices={"method": PaymentMethod.choices, "channel": Channel.choices},
                                formats={"amount": yen})
    audit.register_field_labels(BankStatement, STATEMENT_FIELDS, choices={"format": BankStatement.Format.choices})
    audit.register_field_labels(BankStatementRow, STATEMENT_ROW_FIELDS,
                                choices={"state": BankStatementRow.State.choices}, formats={"amount": yen})
    audit.register_field_labels("billing.reminder.sent", REMINDER_FIELDS, choices={"status": InvoiceStatus.choices},
                                formats={"outstanding": yen})
