"""Reads that span billing's models; the rules screens, the API and support facts ask (DESIGN 5b)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from backoffice import clock
from backoffice.errors import Conflict, DomainError
from backoffice.services import is_system_actor
from members.models import Status

from .models import (CAPPED_METHODS, ONLINE_METHODS, OPEN_STATUSES, BankStatementRow, BillingRun, BillingRunSkip,
                     Category, Invoice, InvoiceStatus, Payment)


def invoices_of(operator):
    """Invoices ``operator`` may see, with ``paid``, ``total`` and ``status`` annotated (BIL-4)."""
    return Invoice.objects.visible_to(operator).with_status().select_related("member", "run")


#: BIL-7, seed 003: 「入金情報が登録されている場合は、請求取消できません」.
MSG_INVOICE_HAS_PAYMENTS = _("An invoice with registered payments cannot be cancelled.")
MSG_INVOICE_CANCELLED = _("This invoice has been cancelled and can no longer be changed.")
MSG_NEGATIVE_TOTAL = _("The adjustment cannot make the invoice total negative.")


def _stamp(value) -> str | None:
    return value.isoformat() if value is not None else None


def _invoice_cancelled(number: str, cancelled_at) -> Conflict:
    return Conflict("invoice_cancelled", MSG_INVOICE_CANCELLED,
                    evidence={"invoice_number": number, "cancelled_at": _stamp(cancelled_at)})


def invoices_cancel_refusals(invoices) -> dict[int, DomainError]:
    """BIL-7 for several invoices at once — the one cancel rule: {invoice id: its refusal} for those of
    ``invoices`` (instances, or a queryset: two queries whatever its size) that cannot be cancelled now, in id
    order — 409 ``invoice_cancelled`` when it already is, 409 ``invoice_has_payments`` while a payment is
    registered (evidence: the live payments' receipt numbers). Every cancel service enforces it under its lock
    (``invoice_cancel_refusal``, ``invoices_bulk_cancel_refusal``, ``billing_run_cancel_refusal``); the
    confirmation pages ask it before [確定]."""
    if isinstance(invoices, QuerySet):
        cancelled = list(invoices.filter(cancelled_at__isnull=False).values_list("pk", "number", "cancelled_at"))
        live = invoices.filter(cancelled_at__isnull=True).values("pk")
    else:
        cancelled = [(i.pk, i.number, i.cancelled_at) for i in invoices if i.cancelled_at is not None]
        live = [i.pk for i in invoices if i.cancelled_at is None]
    refusals: dict[int, DomainError] = {pk: _invoice_cancelled(number, at) for pk, number, at in cancelled}
    receipts: dict[int, tuple[str, list[int]]] = {}
    paid = (Payment.objects.live().filter(invoice_id__in=live).order_by("invoice_id", "receipt_number")
            .values_list("invoice_id", "invoice__number", "receipt_number"))
    for invoice_id, number, receipt in paid:
        receipts.setdefault(invoice_id, (number, []))[1].append(receipt)
    for invoice_id, (number, numbers) in receipts.items():
        refusals[invoice_id] = Conflict("invoice_has_payments", MSG_INVOICE_HAS_PAYMENTS,
                                        evidence={"invoice_number": number, "receipt_numbers": numbers})
    return dict(sorted(refusals.items()))


def invoice_cancel_refusal(invoice) -> DomainError | None:
    """Why ``invoice`` cannot be cancelled now (BIL-7), or None (``invoices_cancel_refusals`` of one)."""
    return invoices_cancel_refusals([invoice]).get(invoice.pk)


def invoices_bulk_cancel_refusal(invoices) -> DomainError | None:
    """Why a selection cannot be cancelled (all or none, BIL-7): the refusal of its first invoice (by id) that
    cannot be, or None."""
    return next(iter(invoices_cancel_refusals(invoices).values()), None)


def invoice_edit_refusal(invoice) -> DomainError | None:
    """BIL-7: a cancelled invoice is not edited (name, adjustment, confirmation): 409 ``invoice_cancelled``."""
    return _invoice_cancelled(invoice.number, invoice.cancelled_at) if invoice.cancelled_at is not None else None


def invoice_adjust_refusal(invoice, adjustment: int) -> DomainError | None:
    """Why ``invoice`` cannot take the 請求調整額 ``adjustment`` (whole yen), or None: it is cancelled
    (``invoice_edit_refusal``), or its total (amount + adjustment) would be below zero (400 ``invalid`` on
    ``adjustment``: the value does not fit this invoice)."""
    refusal = invoice_edit_refusal(invoice)
    if refusal is not None:
        return refusal
    if invoice.amount + adjustment < 0:
        return DomainError("invalid", MSG_NEGATIVE_TOTAL, fields={"adjustment": [str(MSG_NEGATIVE_TOTAL)]},
                           evidence={"amount": invoice.amount, "adjustment": adjustment,
                                     "total": invoice.amount + adjustment})
    return None


__all__ = ["OPEN_STATUSES", "InvoiceStatus", "invoices_of", "fiscal_year_of", "outstanding_of",
           "payments_of", "known_settlement_numbers", "remarks_name_a_known_settlement",
           "settlement_named_in_remarks", "open_invoices_of_member", "mypage_invoices",
           "current_fiscal_year", "export_first_year", "reminder_skip_reason", "lapse_candidates",
           "unpaid_years_by_member", "with_unpaid_years", "status_billed", "BillingRunParams",
           "billing_run_skip_reason", "billing_run_blocking_invoice", "pay3_applies",
           # the refusals (DESIGN 5b): each returns a DomainError (code, message, fields, evidence) or None
           "invoices_cancel_refusals", "invoice_cancel_refusal", "invoices_bulk_cancel_refusal", "invoice_edit_refusal",
           "invoice_adjust_refusal", "payment_register_refusal", "payment_date_refusal", "payment_remarks_refusal", "payment_delete_refusal",
           "billing_run_retry_refusal", "billing_run_rename_refusal", "billing_run_confirm_refusal",
           "billing_run_cancel_refusal", "statement_row_match_refusal", "lapse_withdraw_refusal"]


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


#: Seed 003 (入金に関すること): 「クレジットカード払い、コンビニ払いでは請求金額以上の金額を入金することはできません」.
MSG_AMOUNT_EXCEEDS = _("Credit card and convenience store payments cannot be more than the amount billed "
                       "(outstanding: %(outstanding)s yen).")
MSG_PAYMENT_ON_CANCELLED = _("A payment cannot be registered on a cancelled invoice.")
#: PAY-3 as API.md's "Channels" states it: whether or not an invoice was cancelled (seed 003 says 「備考欄に取消した
#: 請求の決済番号と作業メモを登録してください」 also where only a payment was deleted, as in 間違えて多く入金されました).
MSG_REMARKS_REQUIRED = _("To register an online payment by hand, enter in the remarks a settlement number of this "
                         "member (of one of their invoices or payments, cancelled or deleted ones included) and a "
                         "work memo.")
MSG_RULE_AND_DETAIL = _("%(rule)s %(detail)s")
MSG_KNOWN_SETTLEMENTS = _("Settlement numbers of this member: %(numbers)s")
MSG_NO_KNOWN_SETTLEMENT = _("This member has no settlement number yet, so an online payment cannot be registered "
                            "by hand.")
MSG_ALREADY_DELETED = _("This payment history has already been deleted.")
#: How many of the member's settlement numbers the PAY-3 refusal lists.
KNOWN_SHOWN = 5


def payment_register_refusal(invoice, *, method: str, amount: int) -> DomainError | None:
    """Why ``amount`` paid by ``method`` cannot be registered on ``invoice`` now (PAY-1), or None: 409
    ``invoice_cancelled`` on a cancelled invoice, 409 ``amount_exceeds_invoice`` when a credit card or convenience
    store payment is more than the outstanding amount. ``invoice`` carries ``paid``/``total`` (``with_status``).
    Screens ask it; the payment services enforce it under the invoice's lock."""
    if invoice.cancelled_at is not None:
        return Conflict("invoice_cancelled", MSG_PAYMENT_ON_CANCELLED,
                        evidence={"invoice_number": invoice.number, "cancelled_at": _stamp(invoice.cancelled_at)})
    if method in CAPPED_METHODS:
        outstanding = outstanding_of(invoice)
        if amount > outstanding:
            message = MSG_AMOUNT_EXCEEDS % {"outstanding": f"{outstanding:,}"}
            return Conflict("amount_exceeds_invoice", message, fields={"amount": [str(message)]},
                            evidence={"outstanding": outstanding, "amount": amount, "method": method})
    return None


MSG_PAYMENT_DATE = _("The payment date must be between %(earliest)s (the first day of the fiscal year before the "
                     "invoice's fiscal year %(fiscal_year)s) and %(today)s (today).")


def payment_date_earliest(invoice) -> datetime.date:
    """The first day of the fiscal year preceding ``invoice``'s: the earliest ``paid_on`` it takes."""
    start = getattr(invoice.society, "fiscal_year_start_month", 4) or 1
    return datetime.date(invoice.fiscal_year - 1, start, 1)


def payment_date_refusal(invoice, paid_on) -> DomainError | None:
    """Why ``paid_on`` cannot be the date of a payment on ``invoice`` (API.md "Payment dates"), or None: a payment
    is dated neither after today on the society clock (SIM-1) nor before the first day of the fiscal year
    preceding the invoice's fiscal year — 400 ``invalid`` naming ``paid_on``. Every way a payment is registered
    (by hand, split, bank statement, guided procedure) goes through ``register_on_locked``, which enforces it."""
    today = clock.today(invoice.society)
    earliest = payment_date_earliest(invoice)
    if isinstance(paid_on, datetime.date) and earliest <= paid_on <= today:
        return None
    message = MSG_PAYMENT_DATE % {"earliest": earliest.isoformat(), "fiscal_year": invoice.fiscal_year,
                                  "today": today.isoformat()}
    return DomainError("invalid", message, fields={"paid_on": [str(message)]},
                       evidence={"paid_on": paid_on.isoformat() if isinstance(paid_on, datetime.date) else None,
                                 "earliest": earliest.isoformat(), "today": today.isoformat()})


def pay3_applies(actor, method: str) -> bool:
    """PAY-3 is about an operator registering an online-method payment by hand (moving it from a cancelled
    invoice or a deleted payment); a system writer (My Page, the statement matching) is not asked."""
    return method in ONLINE_METHODS and not is_system_actor(actor)


def payment_remarks_refusal(invoice, *, method: str, remarks: str, actor) -> DomainError | None:
    """PAY-3: why ``remarks`` do not let ``actor`` register an online-method payment on ``invoice`` by hand, or
    None — they must name a settlement number known for the member (``known_settlement_numbers``) and a work memo.
    The refusal (400 ``remarks_required`` on 備考) lists the member's numbers, or says there is none; its evidence
    holds them."""
    if not pay3_applies(actor, method):
        return None
    known = known_settlement_numbers(invoice.member)
    if settlement_named_in_remarks(remarks, known) is not None:
        return None
    shown = sorted(known)[:KNOWN_SHOWN]
    detail = MSG_KNOWN_SETTLEMENTS % {"numbers": "、".join(shown)} if known else MSG_NO_KNOWN_SETTLEMENT
    message = MSG_RULE_AND_DETAIL % {"rule": MSG_REMARKS_REQUIRED, "detail": detail}
    return DomainError("remarks_required", message, fields={"remarks": [message]},
                       evidence={"known_settlement_numbers": shown})


def payment_delete_refusal(payment) -> DomainError | None:
    """PAY-2: may [入金履歴削除] delete ``payment``? Not twice: 409 ``payment_already_deleted`` (evidence: who
    deleted it, when and why). The service enforces it under the payment's lock; [入金履歴] and the deletion page
    ask it."""
    if payment.deleted_at is None:
        return None
    return Conflict("payment_already_deleted", MSG_ALREADY_DELETED,
                    evidence={"receipt_number": payment.receipt_number, "deleted_at": _stamp(payment.deleted_at),
                              "deleted_by": payment.deleted_by, "deleted_reason": payment.deleted_reason})


def mypage_invoices(member):
    """What the member sees on My Page (BIL-3, BIL-5): confirmed invoices, 入金不要 ones included."""
    return Invoice.objects.filter(member_id=member.pk, confirmed_at__isnull=False).with_status().order_by(
        "-fiscal_year", "-number")


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


MSG_RETRY_NOT_FAILED = _("Only a failed billing run can be run again.")
MSG_RUN_IN_PROGRESS = _("This billing run is still being created; wait until it is done or failed.")
RUNS_IN_PROGRESS = (BillingRun.State.REQUESTED, BillingRun.State.RUNNING)


def billing_run_retry_refusal(run: BillingRun) -> DomainError | None:
    """再実行 is for a failed run only: 409 ``billing_run_not_failed`` (evidence: its state)."""
    if run.state == BillingRun.State.FAILED:
        return None
    return Conflict("billing_run_not_failed", MSG_RETRY_NOT_FAILED, evidence={"state": run.state})


def _run_in_progress(run: BillingRun) -> DomainError | None:
    """A run 作成依頼中 or 作成中 is still adding invoices (a retry too): confirming, renaming or cancelling it now
    would leave its later invoices unconfirmed, under the old name or billed again — 409 ``billing_run_in_progress``."""
    if run.state not in RUNS_IN_PROGRESS:
        return None
    return Conflict("billing_run_in_progress", MSG_RUN_IN_PROGRESS, evidence={"state": run.state})


def billing_run_confirm_refusal(run: BillingRun) -> DomainError | None:
    """[請求内容確定] of a run (BIL-3): refused while the run is under way (``billing_run_in_progress``)."""
    return _run_in_progress(run)


def billing_run_rename_refusal(run: BillingRun) -> DomainError | None:
    """Renaming a run (BIL-6): refused while the run is under way (``billing_run_in_progress``)."""
    return _run_in_progress(run)


def billing_run_cancel_refusal(run: BillingRun, *, invoice_refusals: dict | None = None) -> DomainError | None:
    """[請求取消] of a run, all or none (BIL-7): refused while the run is under way, else the first refusal of its
    live invoices (``invoices_cancel_refusals``; pass it as ``invoice_refusals`` when the caller has it)."""
    refusal = _run_in_progress(run)
    if refusal is not None:
        return refusal
    if invoice_refusals is None:
        invoice_refusals = invoices_cancel_refusals(Invoice.objects.filter(run_id=run.pk, cancelled_at__isnull=True))
    return next(iter(invoice_refusals.values()), None)


# ---------------------------------------------------------------------------------------------------
# Bank statements (PAY-6)
# ---------------------------------------------------------------------------------------------------

MSG_ROW_NOT_OPEN = _("This row is already resolved (%(state)s).")


def statement_row_match_refusal(row: BankStatementRow) -> DomainError | None:
    """Only a row waiting for the secretariat (該当なし or 候補複数) is matched by hand: a matched row 409
    ``statement_row_already_matched`` (evidence: who resolved it and when), a row of a statement imported before
    409 ``statement_row_duplicate``."""
    State = BankStatementRow.State
    if row.state in (State.UNMATCHED, State.AMBIGUOUS):
        return None
    message = MSG_ROW_NOT_OPEN % {"state": row.get_state_display()}
    if row.state == State.MATCHED:
        return Conflict("statement_row_already_matched", message,
                        evidence={"line": row.line, "resolved_by": row.resolved_by,
                                  "resolved_at": _stamp(row.resolved_at), "member": row.member_id})
    return Conflict("statement_row_duplicate", message, evidence={"line": row.line, "state": row.state})


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


MSG_NOT_CANDIDATES = _("These members are no longer lapse candidates (paid, or no longer active): %(members)s. "
                       "Reload the list.")


def lapse_withdraw_refusal(society, member_ids, today: datetime.date | None = None) -> DomainError | None:
    """MEM-9: the bulk withdrawal of ``member_ids`` is refused while any of them is not a lapse candidate (any
    more): 409 ``invalid_transition`` naming them (evidence: their ids)."""
    from members.models import Member

    ids = {int(i) for i in member_ids}
    still = set(lapse_candidates(society, today).filter(pk__in=ids).values_list("pk", flat=True))
    refused = sorted(ids - still)
    if not refused:
        return None
    names = Member.objects.filter(society=society, pk__in=refused).order_by("pk")
    label = "、".join(str(m) for m in names[:10])
    return Conflict("invalid_transition", MSG_NOT_CANDIDATES % {"members": label}, fields={"member_ids": []},
                    evidence={"member_ids": refused})
