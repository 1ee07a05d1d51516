"""Billing runs, invoices, payments, bank statements and reminders (SPEC sections 4 and 5).

Rules that shape the tables:
- An invoice's status (BIL-4) is never stored: it is derived from its total and its live payments
  (``InvoiceQuerySet.with_status``), so a list stays one query.
- Invoice numbers (請求番号) and receipt numbers (領収書番号) are society-wide without gaps (BIL-11): they
  are drawn from ``NumberSequence`` rows locked inside the writing transaction, so a rolled-back write
  gives its numbers back.
- One live (not cancelled) invoice per member per run, backed by a constraint, so a retried or
  double-submitted run cannot bill a member twice (BIL-1).
- Nothing is deleted: a cancelled invoice keeps its row and number; a deleted payment keeps its row with
  who and why (PAY-2).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice.scoping import SocietyScopedQuerySet
from members.models import Member

from .templatetags.billing_format import yen


class Category(models.TextChoices):
    ADMISSION = "admission", pgettext_lazy("invoice category", "Admission")
    ANNUAL = "annual", pgettext_lazy("invoice category", "Annual")
    OTHER = "other", pgettext_lazy("invoice category", "Other")


class InvoiceStatus(models.TextChoices):
    """請求・入金状況 (BIL-4), derived — see ``InvoiceQuerySet.with_status``."""

    UNPAID = "unpaid", pgettext_lazy("invoice status", "Unpaid")
    PARTIALLY_PAID = "partially_paid", pgettext_lazy("invoice status", "Partially paid")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    OVERPAID = "overpaid", pgettext_lazy("invoice status", "Overpaid")
    NO_PAYMENT_NEEDED = "no_payment_needed", pgettext_lazy("invoice status", "No payment needed")
    CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled")


#: Statuses that still expect money (BIL-8's 「未入金+一部入金」, MEM-9's unpaid years, BIL-12's reminders).
OPEN_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)


class PaymentMethod(models.TextChoices):
    CREDIT_CARD = "credit_card", pgettext_lazy("payment method", "Credit card")
    CONVENIENCE_STORE = "convenience_store", pgettext_lazy("payment method", "Convenience store")
    BANK_CHECK = "bank_check", pgettext_lazy("payment method", "Bank check (ROBOT PAYMENT)")
    BANK_TRANSFER = "bank_transfer", pgettext_lazy("payment method", "Bank transfer")
    POSTAL_TRANSFER = "postal_transfer", pgettext_lazy("payment method", "Postal transfer")


class Channel(models.TextChoices):
    ONLINE = "online", pgettext_lazy("payment channel", "Online")
    OFFLINE = "offline", pgettext_lazy("payment channel", "Offline")


#: API.md, Clarifications, Channels.
ONLINE_METHODS = frozenset({PaymentMethod.CREDIT_CARD, PaymentMethod.CONVENIENCE_STORE, PaymentMethod.BANK_CHECK})
#: PAY-1: these cannot exceed the invoice's outstanding amount; bank check can (that is how overpayment happens).
CAPPED_METHODS = frozenset({PaymentMethod.CREDIT_CARD, PaymentMethod.CONVENIENCE_STORE})


def channel_of(method: str) -> str:
    return Channel.ONLINE if method in ONLINE_METHODS else Channel.OFFLINE


class NumberSequence(models.Model):
    """The last number handed out per society and kind (BIL-11). Locked with select_for_update by
    ``billing.numbering`` inside the transaction that uses the numbers."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice number")
        RECEIPT = "receipt", _("receipt number")

    society = models.ForeignKey("members.Society", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["society", "kind"], name="billing_numberseq_unique")]


class BillingRun(models.Model):
    """[請求情報作成]: one request to bill a set of members, executed in the background (BIL-1)."""

    class State(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("billing run state", "Requested")
        RUNNING = "running", pgettext_lazy("billing run state", "Running")
        DONE = "done", pgettext_lazy("billing run state", "Done")
        FAILED = "failed", pgettext_lazy("billing run state", "Failed")

    society = models.ForeignKey("members.Society", verbose_name=_("society"), on_delete=models.PROTECT,
                                related_name="billing_runs")
    name = models.CharField(pgettext_lazy("billing", "Invoice name"), max_length=100)
    category = models.CharField(pgettext_lazy("billing", "Category"), max_length=16, choices=Category.choices)
    fiscal_year = models.PositiveSmallIntegerField(pgettext_lazy("billing", "Fiscal year"))
    allocation_start = models.DateField(pgettext_lazy("billing", "Allocation start month"),
                                        help_text=_("The first day of the month."))
    due_date = models.DateField(pgettext_lazy("billing", "Due date"), null=True, blank=True)
    exclude_member_types = models.ManyToManyField("members.MemberType", blank=True, related_name="+",
                                                  verbose_name=pgettext_lazy("billing", "Member types excluded"))
    #: ``member_ids`` of the request (a search result's members), or null for "every eligible member".
    member_ids = models.JSONField(null=True, blank=True, editable=False)
    #: Idempotency: a double-submitted request with the same key is the same run.
    request_key = models.CharField(max_length=64, blank=True, editable=False)
    state = models.CharField(pgettext_lazy("billing", "State"), max_length=16, choices=State.choices,
                             default=State.REQUESTED)
    target_count = models.PositiveIntegerField(default=0, editable=False)
    processed_count = models.PositiveIntegerField(default=0, editable=False)
    created_count = models.PositiveIntegerField(pgettext_lazy("billing", "Created"), default=0, editable=False)
    skipped_count = models.PositiveIntegerField(pgettext_lazy("billing", "Skipped"), default=0, editable=False)
    error = models.TextField(blank=True, default="", editable=False)
    requested_by = models.CharField(max_length=255, editable=False)
    #: The day the run was requested on the society clock: "who is active" is judged on this date.
    requested_on = models.DateField(editable=False)
    requested_at = models.DateTimeField(editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("billing", "Billing run")
        verbose_name_plural = pgettext_lazy("billing", "Billing run history")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["society", "request_key"], condition=~Q(request_key=""),
                                    name="billing_run_request_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fiscal_year})"

    @property
    def progress(self) -> float:
        if self.state == self.State.DONE:
            return 1.0
        if not self.target_count:
            return 0.0
        return min(1.0, self.processed_count / self.target_count)


class BillingRunSkip(models.Model):
    """A member the run did not bill, and why (BIL-1, BIL-2).

    The run's report, written only by the run's set-based ``INSERT … SELECT`` from the member rows it reads in
    the same transaction — tens of thousands of rows per annual run. Its keys are therefore not foreign-key
    constraints in the database (``db_constraint=False``): PostgreSQL would check each row's two keys one by one
    at the chunk's commit, about 0.3 s of a run of 100,000 members (bench/README.md, BIL-1). Django still keeps them —
    deleting a run or a member deletes its skip rows (``CASCADE``) — and the rows are read by run only."""

    class Reason(models.TextChoices):
        NOT_ACTIVE = "not_active", _("not active on the run's date")
        NOT_APPLYING = "not_applying", _("not applying on the run's date")
        EXCLUDED_TYPE = "excluded_type", _("member type excluded")
        WITHDRAWAL_BEFORE_ALLOCATION = "withdrawal_before_allocation", _("withdraws before the allocation start month")
        #: A live invoice of the run's category and fiscal year is already there — of another run or made by hand
        #: (API.md, Clarifications "Who bills whom"); ``invoice`` is that invoice.
        ALREADY_BILLED = "already_billed", _("already has an invoice of this category and fiscal year")
        NOT_FOUND = "not_found", _("no such member in this society")

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="skips", db_constraint=False)
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False, db_index=False)
    #: The id as requested, kept when no such member exists.
    member_ref = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=40, choices=Reason.choices)
    #: ``already_billed``: the live invoice of the same category and fiscal year the member already had. Not a
    #: database key either (see above); invoices are cancelled, not deleted, and go only with their member.
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+",
                                db_constraint=False, db_index=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_reason_display()


class InvoiceQuerySet(SocietyScopedQuerySet):
    def with_status(self, *, without_payment: int | None = None):
        """Annotate ``paid`` (sum of live payments), ``total`` and ``status`` (BIL-4) in the same query;
        ``without_payment`` (a payment id) counts as deleted — what [入金履歴削除] would leave."""
        live_paid = Payment.objects.filter(invoice=OuterRef("pk"), deleted_at__isnull=True)
        if without_payment is not None:
            live_paid = live_paid.exclude(pk=without_payment)
        live_paid = (
            live_paid
            .order_by()
            .values("invoice")
            .annotate(s=Sum("amount"))
            .values("s")
        )
        return self.annotate(
            paid=Coalesce(Subquery(live_paid, output_field=IntegerField()), Value(0)),
            total=F("amount") + F("adjustment"),
        ).annotate(
            status=Case(
                When(cancelled_at__isnull=False, then=Value(InvoiceStatus.CANCELLED.value)),
                When(Q(total__lte=0) & Q(paid=0), then=Value(InvoiceStatus.NO_PAYMENT_NEEDED.value)),
                When(paid=0, then=Value(InvoiceStatus.UNPAID.value)),
                When(paid__lt=F("total"), then=Value(InvoiceStatus.PARTIALLY_PAID.value)),
                When(paid=F("total"), then=Value(InvoiceStatus.PAID.value)),
                default=Value(InvoiceStatus.OVERPAID.value),
                output_field=models.CharField(),
            )
        )

    def live(self):
        return self.filter(cancelled_at__isnull=True)


class Invoice(models.Model):
    # society and member have no index of their own: (society, number) and (member, fiscal_year) serve their
    # look-ups, and every index is paid for by each of a billing run's inserts (bench/README.md, BIL-1).
    society = models.ForeignKey("members.Society", verbose_name=_("society"), on_delete=models.PROTECT,
                                related_name="invoices", db_index=False)
    #: 請求番号 (BIL-11).
    number = models.PositiveBigIntegerField(pgettext_lazy("billing", "Invoice number"))
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="invoices", db_index=False)
    run = models.ForeignKey(BillingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices",
                            verbose_name=pgettext_lazy("billing", "Billing run"))
    name = models.CharField(pgettext_lazy("billing", "Invoice name"), max_length=100)
    category = models.CharField(pgettext_lazy("billing", "Category"), max_length=16, choices=Category.choices)
    fiscal_year = models.PositiveSmallIntegerField(pgettext_lazy("billing", "Fiscal year"))
    #: The fee billed (member type fee, or the amount of a single invoice).
    amount = models.IntegerField(pgettext_lazy("billing", "Amount billed"))
    #: Signed adjustments (member adjustments spent by a run, plus invoice adjustments); total = amount + adjustment.
    adjustment = models.IntegerField(pgettext_lazy("billing", "Adjustment"), default=0)
    due_date = models.DateField(pgettext_lazy("billing", "Due date"), null=True, blank=True)
    confirmed_at = models.DateTimeField(pgettext_lazy("billing", "Confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(pgettext_lazy("billing", "Cancelled at"), null=True, blank=True)
    cancelled_by = models.CharField(max_length=255, blank=True, default="")
    #: 決済番号 of the online settlement that paid it, if any (PAY-3 asks for it when moving a payment).
    settlement_number = models.CharField(pgettext_lazy("billing", "Settlement number"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("billing", "Invoice")
        verbose_name_plural = pgettext_lazy("billing", "Invoice search")
        ordering = ["-fiscal_year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["society", "number"], name="billing_invoice_number_unique"),
            models.UniqueConstraint(fields=["run", "member"], condition=Q(cancelled_at__isnull=True),
                                    name="billing_invoice_one_live_per_run_member"),
        ]
        indexes = [
            models.Index(fields=["society", "fiscal_year"]),
            models.Index(fields=["member", "fiscal_year"]),
            # A billing run's "already billed" look-up (API.md, "Who bills whom"): the live invoices of one fiscal
            # year and category for a chunk's range of members, one index range whatever the years before hold.
            models.Index(fields=["fiscal_year", "category", "member"], condition=Q(cancelled_at__isnull=True),
                         name="billing_invoice_live_year_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class PaymentQuerySet(SocietyScopedQuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class Payment(models.Model):
    """入金 (PAY-1). Never deleted: [入金履歴削除] sets ``deleted_at`` with who and why (PAY-2)."""

    society = models.ForeignKey("members.Society", verbose_name=_("society"), on_delete=models.PROTECT,
                                related_name="payments")
    invoice = models.ForeignKey(Invoice, verbose_name=pgettext_lazy("billing", "Invoice"), on_delete=models.PROTECT,
                                related_name="payments")
    #: 領収書番号 (BIL-11).
    receipt_number = models.PositiveBigIntegerField(pgettext_lazy("billing", "Receipt number"))
    amount = models.PositiveIntegerField(pgettext_lazy("billing", "Amount paid"))
    method = models.CharField(pgettext_lazy("billing", "Payment method"), max_length=32, choices=PaymentMethod.choices)
    paid_on = models.DateField(pgettext_lazy("billing", "Paid on"))
    remarks = models.TextField(pgettext_lazy("billing", "Remarks"), blank=True, default="")
    settlement_number = models.CharField(pgettext_lazy("billing", "Settlement number"), max_length=64, blank=True, default="")
    #: The bank statement row that registered it (PAY-6), if any.
    statement_row = models.ForeignKey("BankStatementRow", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="payments")
    created_by = models.CharField(max_length=255, editable=False)
    created_at = models.DateTimeField(_("created at"))
    deleted_at = models.DateTimeField(pgettext_lazy("billing", "Deleted at"), null=True, blank=True)
    deleted_by = models.CharField(pgettext_lazy("billing", "Deleted by"), max_length=255, blank=True, default="")
    deleted_reason = models.CharField(pgettext_lazy("billing", "Reason for deletion"), max_length=500, blank=True, default="")

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("billing", "Payment")
        verbose_name_plural = pgettext_lazy("billing", "Payment history")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["society", "receipt_number"], name="billing_payment_receipt_unique"),
            # PAY-1: every online payment (card, convenience store, bank check) carries its 決済番号 (issue 12)
            models.CheckConstraint(
                condition=~Q(method__in=sorted(ONLINE_METHODS)) | ~Q(settlement_number=""),
                name="billing_payment_online_settlement_number"),
        ]

    def __str__(self) -> str:
        return _("receipt number %(number)s, %(amount)s") % {"number": self.receipt_number, "amount": yen(self.amount)}

    @property
    def channel(self) -> str:
        return channel_of(self.method)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class BankStatement(models.Model):
    """An imported bank statement (入金消込, PAY-6)."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        ZENGIN = "zengin", pgettext_lazy("bank statement format", "Zengin")

    society = models.ForeignKey("members.Society", on_delete=models.PROTECT, related_name="bank_statements",
                                verbose_name=_("society"))
    format = models.CharField(max_length=16, choices=Format.choices)
    filename = models.CharField(max_length=255, blank=True, default="")
    sha256 = models.CharField(max_length=64, editable=False)
    rows = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    ambiguous = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    imported_by = models.CharField(max_length=255, editable=False)
    imported_at = models.DateTimeField()

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("billing", "Bank statement")
        verbose_name_plural = pgettext_lazy("billing", "Bank statement matching")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return _("statement %(id)s %(file)s") % {"id": self.pk, "file": self.filename or self.get_format_display()}


class BankStatementRow(models.Model):
    class State(models.TextChoices):
        MATCHED = "matched", pgettext_lazy("statement row", "Matched")
        UNMATCHED = "unmatched", pgettext_lazy("statement row", "Unmatched")
        AMBIGUOUS = "ambiguous", pgettext_lazy("statement row", "Ambiguous")
        DUPLICATE = "duplicate", pgettext_lazy("statement row", "Already imported")

    society = models.ForeignKey("members.Society", on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField()
    date = models.DateField()
    amount = models.IntegerField()
    payer_name = models.CharField(max_length=200)
    #: Which of the equal (date, amount, payer) rows of its file this is: part of the row's identity.
    occurrence = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=16, choices=State.choices)
    reason = models.CharField(max_length=32, blank=True, default="")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_by = models.CharField(max_length=255, blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("billing", "Bank statement row")
        verbose_name_plural = pgettext_lazy("billing", "Bank statement rows")
        ordering = ["statement", "line"]
        constraints = [
            # A statement row is registered once per society, however often its file is imported.
            models.UniqueConstraint(fields=["society", "date", "amount", "payer_name", "occurrence"],
                                    condition=~Q(state="duplicate"), name="billing_statement_row_once"),
        ]

    def __str__(self) -> str:
        # the words of the payments' 備考 (「入金消込 明細N M行目」), without reading the statement
        return _("statement %(statement)s line %(line)s") % {"statement": self.statement_id, "line": self.line}


class Reminder(models.Model):
    """A 督促 mail sent for one invoice (BIL-12), logged per member."""

    society = models.ForeignKey("members.Society", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    sent_mail_id = models.BigIntegerField(null=True, blank=True)
    sent_by = models.CharField(max_length=255)
    sent_at = models.DateTimeField()

    objects = SocietyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return _("payment reminder of %(date)s") % {"date": f"{self.sent_at:%Y-%m-%d}"}


class LapseCandidate(Member):
    """会員資格喪失候補 (MEM-9): the members of ``billing.selectors.lapse_candidates``, as a screen of its own
    (a proxy: no table, the members' rows)."""

    class Meta:
        proxy = True
        verbose_name = pgettext_lazy("billing", "Lapse candidate")
        verbose_name_plural = pgettext_lazy("billing", "Lapse candidates")
