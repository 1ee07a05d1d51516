"""Reads that span billing's models; the rules screens, the API and support facts ask (DESIGN 5b)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from backoffice import clock
from members.models import Status

from .models import OPEN_STATUSES, BillingRun, BillingRunSkip, Category, Invoice, InvoiceStatus, Payment


def invoices_of(operator):
    """Invoices ``operator`` may see, with ``paid``, ``total`` and ``status`` annotated (BIL-4)."""
    return Invoice.objects.visible_to(operator).with_status().select_related("member", "run")


def invoices_cancel_refusals(invoices) -> dict[int, str]:
    """BIL-7 for several invoices at once: {invoice id: why it cannot be cancelled now} for those of
    ``invoices`` (instances, or a queryset: two queries whatever its size) that cannot — ``invoice_cancelled``
    when it already is, ``invoice_has_payments`` while a payment is registered. The cancel services enforce
    it under a lock; the confirmation pages ask it before [確定]."""
    if isinstance(invoices, QuerySet):
        cancelled = invoices.filter(cancelled_at__isnull=False).values_list("pk", flat=True)
        live = invoices.filter(cancelled_at__isnull=True).values("pk")
    else:
        cancelled = [i.pk for i in invoices if i.cancelled_at is not None]
        live = [i.pk for i in invoices if i.cancelled_at is None]
    refusals = {pk: "invoice_cancelled" for pk in cancelled}
    paid = Payment.objects.live().filter(invoice_id__in=live).order_by().values_list("invoice_id", flat=True)
    refusals.update({pk: "invoice_has_payments" for pk in paid.distinct()})
    return refusals


def invoice_cancel_refusal(invoice) -> str | None:
    """Why ``invoice`` cannot be cancelled now (BIL-7), or None (``invoices_cancel_refusals`` of one)."""
    return invoices_cancel_refusals([invoice]).get(invoice.pk)


__all__ = ["OPEN_STATUSES", "InvoiceStatus", "invoices_of", "invoice_cancel_refusal", "invoices_cancel_refusals", "fiscal_year_of", "outstanding_of",
           "payments_of", "known_settlement_numbers", "remarks_name_a_known_settlement",
           "settlement_named_in_remarks", "open_invoices_of_member",
           "mypage_invoices", "invoice_edit_refusal",
           "current_fiscal_year", "export_first_year", "reminder_skip_reason", "lapse_candidates",
           "unpaid_years_by_member", "with_unpaid_years", "lapse_refusal_ids", "status_billed", "BillingRunParams",
           "billing_run_skip_reason", "billing_run_blocking_invoice"]


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


def settlement_named_in_remarks(remarks: str, known: set[str]) -> str | None:
    """PAY-3: the one of ``known`` settlement numbers the remarks hold with a work memo beside it (the longest,
    when several are), or None."""
    text = (remarks or "").strip()
    for number in sorted(known, key=lambda n: (-len(n), n)):
        if number and number in text and text.replace(number, "").strip(" \t\r\n,.:;/、。:："):
            return number
    return None


def remarks_name_a_known_settlement(remarks: str, known: set[str]) -> bool:
    """PAY-3: the remarks hold one of ``known`` settlement numbers and a work memo beside it."""
    return settlement_named_in_remarks(remarks, known) is not None


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


def current_fiscal_year(society) -> int:
    """The fiscal year of today on the society clock (SIM-1)."""
    return fiscal_year_of(society, clock.today(society))


#: BIL-9: the current fiscal year, the three before it and all later ones.
EXPORT_YEARS_BACK = 3


def export_first_year(society) -> int:
    return current_fiscal_year(society) - EXPORT_YEARS_BACK


# ---------------------------------------------------------------------------------------------------
# Billing runs: who bills whom (BIL-1, BIL-2; API.md, Clarifications "Who bills whom")
# ---------------------------------------------------------------------------------------------------

def status_billed(category: str) -> str:
    """Which member status a run of ``category`` bills (admission: applying; annual and other: active)."""
    return Status.APPLYING if category == Category.ADMISSION else Status.ACTIVE


@dataclass(frozen=True)
class BillingRunParams:
    """What decides whom a billing run bills: a run's request before (or without) saving it."""

    society_id: int
    category: str
    fiscal_year: int
    requested_on: datetime.date
    allocation_start: datetime.date
    exclude_member_type_ids: frozenset[int] = frozenset()
    #: The run itself, once saved: its own invoices (a retry) are not another invoice of the same year.
    run_id: int | None = None

    @classmethod
    def of(cls, run: BillingRun) -> BillingRunParams:
        excluded = frozenset(run.exclude_member_types.values_list("pk", flat=True)) if run.pk else frozenset()
        return cls(run.society_id, run.category, run.fiscal_year, run.requested_on, run.allocation_start, excluded,
                   run.pk)


def _params(run_or_params) -> BillingRunParams:
    return run_or_params if isinstance(run_or_params, BillingRunParams) else BillingRunParams.of(run_or_params)


def billing_run_blocking_invoice(run_or_params, member) -> Invoice | None:
    """The member's live (not cancelled) invoice of the run's category and fiscal year, of another run or made by
    hand — the first by id —, or None. While there is one, a run does not bill the member again (API.md,
    Clarifications "Who bills whom"); a cancelled one does not count (the manual's corrections cancel and bill
    again)."""
    params = _params(run_or_params)
    invoices = Invoice.objects.filter(member_id=member.pk, category=params.category, fiscal_year=params.fiscal_year,
                                      cancelled_at__isnull=True)
    if params.run_id is not None:
        invoices = invoices.exclude(run_id=params.run_id)
    return invoices.order_by("pk").first()


def billing_run_skip_reason(run_or_params, member) -> str | None:
    """Why a billing run (a ``BillingRun`` or ``BillingRunParams``) does not bill ``member``: a
    ``BillingRunSkip.Reason`` value, or None when it bills them (or, on a retry, already billed them). In this
    order: no member of the run's society (``not_found``), not active — not applying for an admission run — on the
    run's request date (``not_active`` / ``not_applying``), of an excluded member type (``excluded_type``),
    withdrawing before the allocation start month (``withdrawal_before_allocation``, BIL-2), already holding a live
    invoice of the run's category and fiscal year (``already_billed``, ``billing_run_blocking_invoice``).

    The run decides the same set-based in SQL (``billing.services.runs._bill_chunk``; a test holds the two equal).
    A run of every member lists among its skips only members of the billed status; a run for a selection lists
    every member of it."""
    Reason = BillingRunSkip.Reason
    params = _params(run_or_params)
    if member is None or member.society_id != params.society_id:
        return Reason.NOT_FOUND
    if params.run_id is not None and Invoice.objects.filter(
            run_id=params.run_id, member_id=member.pk, cancelled_at__isnull=True).exists():
        return None  # this run billed them (a retry goes on from there)
    if member.status_on(params.requested_on) != status_billed(params.category):
        return Reason.NOT_APPLYING if params.category == Category.ADMISSION else Reason.NOT_ACTIVE
    if member.member_type_id in params.exclude_member_type_ids:
        return Reason.EXCLUDED_TYPE
    withdrawal = member.scheduled_withdrawal_date
    if withdrawal is not None and withdrawal < params.allocation_start.replace(day=1):
        return Reason.WITHDRAWAL_BEFORE_ALLOCATION
    if billing_run_blocking_invoice(params, member) is not None:
        return Reason.ALREADY_BILLED
    return None


# ---------------------------------------------------------------------------------------------------
# Reminders (BIL-12)
# ---------------------------------------------------------------------------------------------------

#: Why an invoice gets no 督促 mail: its status (BIL-4) is one of these, or it is not on My Page yet.
REMINDER_SKIP_STATUSES = {
    InvoiceStatus.PAID: "paid",
    InvoiceStatus.OVERPAID: "overpaid",
    InvoiceStatus.CANCELLED: "cancelled",
    InvoiceStatus.NO_PAYMENT_NEEDED: "no_payment_needed",
}
REMINDER_NOT_CONFIRMED = "not_confirmed"


def reminder_skip_reason(invoice) -> str | None:
    """Why ``invoice`` (annotated by ``with_status``) gets no reminder, or None when it is still owed: only
    confirmed invoices that are 未入金 or 一部入金 are reminded (BIL-12; an unconfirmed one is not on My Page,
    BIL-3). The reminder service asks this under a lock, at send time."""
    reason = REMINDER_SKIP_STATUSES.get(invoice.status)
    if reason is not None:
        return reason
    if invoice.confirmed_at is None:
        return REMINDER_NOT_CONFIRMED
    return None


# ---------------------------------------------------------------------------------------------------
# Lapse after non-payment (MEM-9)
# ---------------------------------------------------------------------------------------------------

LAPSE_CATEGORIES = (Category.ADMISSION, Category.ANNUAL)


def _unpaid_invoices(society, today: datetime.date):
    """Confirmed admission and annual invoices of fiscal years before the current one that are 未入金 or
    一部入金 (API.md Clarifications, Lapse)."""
    return (
        Invoice.objects.in_society(society).with_status()
        .filter(confirmed_at__isnull=False, category__in=LAPSE_CATEGORIES,
                fiscal_year__lt=fiscal_year_of(society, today), status__in=OPEN_STATUSES)
    )


def lapse_candidates(society, today: datetime.date | None = None):
    """MEM-9: the society's members — joined/active on ``today`` (the society clock by default), the only
    status 退会 can follow — whose unpaid fiscal years number at least ``Society.lapse_threshold_years``.
    A queryset of members with ``current_status`` and ``unpaid_year_count``, so a list is one query and
    a page of it is paginated like any other; ``unpaid_years_by_member`` gives the years of a page."""
    from members.models import Status
    from members.selectors import members_of

    today = today or clock.today(society)
    threshold = max(1, society.lapse_threshold_years)
    counted = (
        _unpaid_invoices(society, today).order_by().values("member_id")
        .annotate(years=Count("fiscal_year", distinct=True)).filter(years__gte=threshold)
        .values("member_id")
    )
    return (
        members_of(society, today=today).filter(pk__in=counted, current_status=Status.ACTIVE)
        .order_by("member_number", "pk")
    )


def unpaid_years_by_member(society, member_ids, today: datetime.date | None = None) -> dict[int, list[int]]:
    """{member id: [unpaid fiscal years, oldest first]} for ``member_ids`` (one query)."""
    today = today or clock.today(society)
    years: dict[int, set[int]] = defaultdict(set)
    rows = (_unpaid_invoices(society, today).filter(member_id__in=list(member_ids))
            .order_by().values_list("member_id", "fiscal_year"))
    for member_id, year in rows:
        years[member_id].add(year)
    return {member_id: sorted(ys) for member_id, ys in years.items()}


def with_unpaid_years(society, members, today: datetime.date | None = None) -> list:
    """``members`` (a page of ``lapse_candidates``) each with ``unpaid_years`` set."""
    members = list(members)
    years = unpaid_years_by_member(society, [m.pk for m in members], today)
    for member in members:
        member.unpaid_years = years.get(member.pk, [])
    return members


def lapse_refusal_ids(society, member_ids, today: datetime.date | None = None) -> list[int]:
    """The ids among ``member_ids`` that are not lapse candidates (any more): the bulk withdrawal refuses them."""
    ids = {int(i) for i in member_ids}
    still = set(lapse_candidates(society, today).filter(pk__in=ids).values_list("pk", flat=True))
    return sorted(ids - still)
