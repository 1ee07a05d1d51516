"""Facts of seed 003's 請求 and 入金 entries (support/flows/faq_billing.py): each reads the member's billing runs,
invoices and payments through billing's selectors and refusal predicates — never a second copy of a rule — and
returns the value a flow branches on with the evidence the agent sees.

The records a fact found are the same ones a guided procedure button on the case page is prefilled with
(``CASE_SUBJECTS``: procedure id → the invoice or payment of the case's record), so the agent runs the
procedure on exactly what the facts showed."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from backoffice import clock
from backoffice.errors import Conflict
from backoffice.text import yen
from billing import selectors as billing_selectors
from billing.models import (BillingRun, BillingRunSkip, Category, Channel, Invoice, InvoiceStatus, Payment,
                            PaymentMethod, channel_of)
from billing.services import invoices as invoice_services
from billing.services import runs as run_services
from members.models import MemberAdjustment

from .context import CaseContext
from .engine import FactValue
from .registry import action, fact

#: how many of the society's latest billing runs a fact looks through for the one that covers the member
RUNS_LOOKED_AT = 20
#: how many of the member's invoices the facts read (newest first)
INVOICES_READ = 50
#: seed 003 請求の作成に時間がかかります: 「夜間21~7時と土・日曜日は20分ほど時間がかかります」
BUSY_FROM, BUSY_UNTIL = 21, 7
SLOW_MINUTES = 20


def _memo(ctx: CaseContext, key: str, read):
    cache = ctx.__dict__.setdefault("_faq_billing", {})
    if key not in cache:
        cache[key] = read()
    return cache[key]


def _local(ctx: CaseContext, moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(clock.society_timezone(ctx.society)).strftime("%Y-%m-%d %H:%M")


def _inv(invoice: Invoice) -> str:
    return _("invoice %(number)s 「%(name)s」 (FY %(year)s)") % {"number": invoice.number, "name": invoice.name,
                                                                 "year": invoice.fiscal_year}


def _status(invoice: Invoice) -> str:
    return str(InvoiceStatus(invoice.status).label)


def _pay(payment: Payment) -> str:
    return _("receipt %(receipt)s %(amount)s %(method)s (%(channel)s)%(settlement)s") % {
        "receipt": payment.receipt_number, "amount": yen(payment.amount),
        "method": PaymentMethod(payment.method).label, "channel": channel_label(payment.method),
        "settlement": (" " + _("settlement number %(number)s") % {"number": payment.settlement_number})
        if payment.settlement_number else ""}


def channel_label(method: str) -> str:
    return str(Channel(channel_of(method)).label)


# --- what the facts read ---------------------------------------------------------------------------------------


def _covers(run: BillingRun, member) -> bool:
    return member is None or run.member_ids is None or member.pk in run.member_ids


def latest_run(ctx: CaseContext) -> BillingRun | None:
    """The newest billing run that covers the caller's member (a run of every member, or of a selection holding
    them), among the society's latest ``RUNS_LOOKED_AT``; without a member, the society's newest run."""
    def read():
        runs = BillingRun.objects.filter(society=ctx.society).order_by("-requested_at", "-id")[:RUNS_LOOKED_AT]
        return next((run for run in runs if _covers(run, ctx.member)), None)
    return _memo(ctx, "run", read)


def member_invoices(ctx: CaseContext) -> list[Invoice]:
    """The member's invoices, newest fiscal year first, with ``paid``, ``total`` and ``status`` (BIL-4)."""
    if ctx.member is None:
        return []
    return _memo(ctx, "invoices", lambda: list(
        Invoice.objects.filter(member_id=ctx.member.pk).with_status().select_related("run")
        .order_by("-fiscal_year", "-number")[:INVOICES_READ]))


def latest_live_invoice(ctx: CaseContext) -> Invoice | None:
    """The member's newest invoice that is not cancelled: the one a correction of seed 003 is about."""
    return next((i for i in member_invoices(ctx) if i.cancelled_at is None), None)


def live_payments(ctx: CaseContext, invoice: Invoice) -> list[Payment]:
    return _memo(ctx, f"payments-{invoice.pk}", lambda: list(
        Payment.objects.live().filter(invoice_id=invoice.pk).order_by("paid_on", "pk")))


def overpaid_invoice(ctx: CaseContext) -> Invoice | None:
    return next((i for i in member_invoices(ctx) if i.status == InvoiceStatus.OVERPAID), None)


def open_invoices(ctx: CaseContext) -> list[Invoice]:
    """The member's invoices still expecting money (未入金・一部入金), oldest first."""
    return sorted((i for i in member_invoices(ctx) if i.status in billing_selectors.OPEN_STATUSES),
                  key=lambda i: (i.fiscal_year, i.number))


def combined_payment(ctx: CaseContext) -> Payment | None:
    """未納の年会費を1つの請求にまとめて入金: the largest live payment on an overpaid invoice, while another invoice
    of the member is still open."""
    invoice = overpaid_invoice(ctx)
    if invoice is None or not [i for i in open_invoices(ctx) if i.pk != invoice.pk]:
        return None
    return max(live_payments(ctx, invoice), key=lambda p: (p.amount, p.pk), default=None)


def payment_to_move(ctx: CaseContext) -> tuple[Payment, Invoice] | None:
    """最新年度に入金があったため、古い年度に割り当てたい: the latest live payment on the newest invoice that has one,
    and the member's oldest open invoice of an earlier fiscal year."""
    for invoice in member_invoices(ctx):
        if invoice.cancelled_at is not None or not invoice.paid:
            continue
        older = [i for i in open_invoices(ctx) if i.fiscal_year < invoice.fiscal_year]
        payments = live_payments(ctx, invoice)
        if older and payments:
            return payments[-1], older[0]
        return None
    return None


# --- billing runs (請求作成) -------------------------------------------------------------------------------------


def _run_text(ctx: CaseContext, run: BillingRun) -> str:
    return _("Billing run 「%(name)s」 (FY %(year)s), requested %(at)s by %(by)s") % {
        "name": run.name, "year": run.fiscal_year, "at": _local(ctx, run.requested_at), "by": run.requested_by}


@fact("billing.run_state")
def run_state(ctx: CaseContext) -> FactValue:
    """[請求情報作成履歴]'s 作成状況 of the newest run covering the member: requested / running / done / failed."""
    run = latest_run(ctx)
    if run is None:
        return FactValue(None, _("No billing run in [請求情報作成履歴]"))
    state = str(BillingRun.State(run.state).label)
    text = _run_text(ctx, run)
    if run.state == BillingRun.State.RUNNING:
        detail = _("%(state)s: %(done)s of %(target)s members processed") % {
            "state": state, "done": run.processed_count, "target": run.target_count}
    elif run.state == BillingRun.State.FAILED:
        detail = _("%(state)s at %(at)s: %(error)s") % {"state": state, "at": _local(ctx, run.finished_at),
                                                        "error": run.error or "—"}
    elif run.state == BillingRun.State.DONE:
        detail = _("%(state)s at %(at)s: %(created)s invoices created, %(skipped)s members skipped") % {
            "state": state, "at": _local(ctx, run.finished_at), "created": run.created_count,
            "skipped": run.skipped_count}
    else:
        detail = state
    return FactValue(run.state, f"{text}: {detail}")


def billing_run_busy_hours(society, moment: datetime.datetime) -> bool:
    """seed 003: a run requested at night (21:00–7:00) or on a Saturday or Sunday (society clock) takes about
    20 minutes."""
    local = moment.astimezone(clock.society_timezone(society))
    return local.weekday() >= 5 or local.hour >= BUSY_FROM or local.hour < BUSY_UNTIL


@fact("billing.run_busy_hours")
def run_busy_hours(ctx: CaseContext) -> FactValue:
    run = latest_run(ctx)
    if run is None:
        return FactValue(False, _("No billing run in [請求情報作成履歴]"))
    minutes = max(0, int((ctx.now - run.requested_at).total_seconds() // 60))
    values = {"at": _local(ctx, run.requested_at), "minutes": minutes}
    if billing_run_busy_hours(ctx.society, run.requested_at):
        return FactValue(True, _("Requested %(at)s, at night (21:00–7:00) or on a weekend; %(minutes)s minutes "
                                 "ago") % values)
    return FactValue(False, _("Requested %(at)s, on a weekday daytime; %(minutes)s minutes ago") % values)


def run_member_result(ctx: CaseContext, run: BillingRun) -> tuple[str, str]:
    """What ``run`` (one that covers the member: ``latest_run``) did with the member: ``billed`` / ``cancelled``
    (its invoice of the run), the reason of its skip row, or billing's own ``billing_run_skip_reason`` (a run of
    every member lists no skip row for a member not of the billed status)."""
    member = ctx.member
    mine = next((i for i in member_invoices(ctx) if i.run_id == run.pk), None)
    if mine is not None and mine.cancelled_at is None:
        return "billed", _("The run billed the member: %(invoice)s") % {"invoice": _inv(mine)}
    skip = BillingRunSkip.objects.filter(run_id=run.pk, member_id=member.pk).select_related("invoice").first()
    if skip is not None:
        return skip.reason, _skip_text(ctx, skip.reason, skip.invoice)
    if mine is not None:
        return "cancelled", _("The run's invoice was cancelled %(at)s: %(invoice)s") % {
            "at": _local(ctx, mine.cancelled_at), "invoice": _inv(mine)}
    reason = billing_selectors.billing_run_skip_reason(run, member)
    if reason is None:
        return "billed", _("The run bills the member")
    blocking = billing_selectors.billing_run_blocking_invoice(run, member) if reason == "already_billed" else None
    return reason, _skip_text(ctx, reason, blocking)


def _skip_text(ctx: CaseContext, reason: str, invoice: Invoice | None) -> str:
    text = _("Not billed: %(reason)s") % {"reason": BillingRunSkip.Reason(reason).label}
    if reason == BillingRunSkip.Reason.WITHDRAWAL_BEFORE_ALLOCATION and ctx.member.scheduled_withdrawal_date:
        text += _(" (scheduled withdrawal %(date)s)") % {"date": ctx.member.scheduled_withdrawal_date.isoformat()}
    if reason == BillingRunSkip.Reason.EXCLUDED_TYPE and ctx.member.member_type_id:
        text += f" ({ctx.member.member_type.name})"
    if invoice is not None:
        text += f" — {_inv(invoice)}"
    return text


@fact("billing.run_member")
def run_member(ctx: CaseContext) -> FactValue:
    """seed 003 請求を作成したのに[個人会員請求検索]画面に表示されません: the run's 処理結果 for the member."""
    run = latest_run(ctx)
    if run is None or ctx.member is None:
        return FactValue("not_found", _("No billing run covers the member"))
    value, evidence = run_member_result(ctx, run)
    return FactValue(value, evidence)


@fact("billing.run_rename")
def run_rename(ctx: CaseContext) -> FactValue:
    """[編集] of the run (BIL-6): ``billing_run_rename_refusal``."""
    run = latest_run(ctx)
    if run is None:
        return FactValue(None, _("No billing run in [請求情報作成履歴]"))
    refusal = billing_selectors.billing_run_rename_refusal(run)
    text = _run_text(ctx, run)
    if refusal is not None:
        return FactValue(refusal.code, f"{text}: {refusal.message}")
    paid = Invoice.objects.filter(run_id=run.pk, cancelled_at__isnull=True, payments__deleted_at__isnull=True,
                                  payments__isnull=False).distinct().count()
    return FactValue("allowed", f"{text}: " + _("can be renamed; %(paid)s of its invoices have payments and are "
                                               "renamed too") % {"paid": paid})


# --- invoices (請求情報変更・取消, 減額・会員種別変更) -------------------------------------------------------------


def mypage_shown(ctx: CaseContext) -> set[int]:
    """The ids of the member's invoices My Page shows (BIL-3, BIL-5: ``mypage_invoices``, the confirmed ones)."""
    return _memo(ctx, "mypage", lambda: set(billing_selectors.mypage_invoices(ctx.member).values_list("pk", flat=True)))


def unconfirmed_invoice(ctx: CaseContext) -> Invoice | None:
    """The member's newest live invoice that My Page does not show: its 請求内容 is not confirmed."""
    if ctx.member is None:
        return None
    shown = mypage_shown(ctx)
    return next((i for i in member_invoices(ctx) if i.cancelled_at is None and i.pk not in shown), None)


@fact("billing.mypage_invoice")
def mypage_invoice(ctx: CaseContext) -> FactValue:
    """BIL-3: an invoice not confirmed is not on My Page (``mypage_invoices`` shows the confirmed ones)."""
    live = [i for i in member_invoices(ctx) if i.cancelled_at is None]
    if not live:
        return FactValue("none", _("The member has no invoice"))
    unconfirmed = unconfirmed_invoice(ctx)
    if unconfirmed is not None:
        return FactValue("unconfirmed", _("%(invoice)s is not confirmed, so it is not shown on My Page") % {
            "invoice": _inv(unconfirmed)})
    return FactValue("shown", _("Every invoice is confirmed; My Page shows %(count)s, the newest %(invoice)s") % {
        "count": len(mypage_shown(ctx)), "invoice": _inv(live[0])})


@fact("billing.zero_fee")
def zero_fee(ctx: CaseContext) -> FactValue:
    """BIL-5: an invoice of a member type whose fee is 0 is 入金不要 and shown on My Page."""
    member = ctx.member
    if member is None:
        return FactValue(False, _("The case has no member record"))
    none_needed = next((i for i in member_invoices(ctx) if i.status == InvoiceStatus.NO_PAYMENT_NEEDED), None)
    fee = _("Member type %(type)s: annual fee %(fee)s") % {"type": member.member_type.name,
                                                           "fee": yen(member.member_type.annual_fee)}
    if none_needed is not None:
        return FactValue(True, f"{fee}; " + _("%(invoice)s is %(status)s, %(shown)s") % {
            "invoice": _inv(none_needed), "status": _status(none_needed),
            "shown": _("shown on My Page") if none_needed.confirmed_at else _("not confirmed yet")})
    return FactValue(member.member_type.annual_fee == 0, fee)


@fact("billing.invoice_cancel")
def invoice_cancel(ctx: CaseContext) -> FactValue:
    """BIL-7 (``invoice_cancel_refusal``) for the member's newest live invoice (the newest one when all are
    cancelled): ``cancellable``, ``invoice_has_payments`` or ``invoice_cancelled``."""
    invoice = latest_live_invoice(ctx) or next(iter(member_invoices(ctx)), None)
    if invoice is None:
        return FactValue("none", _("The member has no invoice"))
    refusal = billing_selectors.invoice_cancel_refusal(invoice)
    if refusal is None:
        return FactValue("cancellable", _("%(invoice)s (%(status)s) has no payment registered and can be "
                                          "cancelled") % {"invoice": _inv(invoice), "status": _status(invoice)})
    if refusal.code == "invoice_has_payments":
        payments = live_payments(ctx, invoice)
        return FactValue(refusal.code, f"{_inv(invoice)}: {refusal.message} " + ", ".join(_pay(p) for p in payments))
    return FactValue(refusal.code, f"{_inv(invoice)}: {refusal.message}")


@fact("billing.invoice_paid")
def invoice_paid(ctx: CaseContext) -> FactValue:
    """入金前 / 入金後 of the member's newest live invoice (the variant of seed 003's corrections)."""
    invoice = latest_live_invoice(ctx)
    if invoice is None:
        return FactValue("none", _("The member has no live invoice"))
    payments = live_payments(ctx, invoice)
    head = _("%(invoice)s, member type %(type)s: %(status)s") % {
        "invoice": _inv(invoice), "type": ctx.member.member_type.name, "status": _status(invoice)}
    if not payments:
        return FactValue("before_payment", head)
    return FactValue("after_payment", f"{head}; " + ", ".join(_pay(p) for p in payments))


@fact("billing.payment_channel")
def payment_channel(ctx: CaseContext) -> FactValue:
    """The channel (online / offline) of the payments on the member's newest live invoice (PAY-3's ※ note)."""
    invoice = latest_live_invoice(ctx)
    payments = live_payments(ctx, invoice) if invoice is not None else []
    if not payments:
        return FactValue("none", _("No payment registered"))
    online = any(channel_of(p.method) == Channel.ONLINE for p in payments)
    return FactValue("online" if online else "offline", ", ".join(_pay(p) for p in payments))


def next_year_params(ctx: CaseContext) -> billing_selectors.BillingRunParams:
    """The next fiscal year's annual run as it would be requested today: its allocation start is the first month
    of that fiscal year (or the one of a run of that year already requested)."""
    year = billing_selectors.current_fiscal_year(ctx.society) + 1
    requested = (BillingRun.objects.filter(society=ctx.society, fiscal_year=year, category=Category.ANNUAL)
                 .order_by("-requested_at", "-id").first())
    if requested is not None:
        return billing_selectors.BillingRunParams.of(requested)
    start = datetime.date(year, getattr(ctx.society, "fiscal_year_start_month", 4) or 4, 1)
    return billing_selectors.BillingRunParams(ctx.society.pk, Category.ANNUAL, year, ctx.today, start)


@fact("billing.scheduled_withdrawal")
def scheduled_withdrawal(ctx: CaseContext) -> FactValue:
    """BIL-2 (``billing_run_skip_reason``): a scheduled withdrawal before the next year's allocation start month
    is left out of that run; in the same month or later it is billed."""
    member = ctx.member
    if member is None or member.scheduled_withdrawal_date is None:
        return FactValue("none", _("No scheduled withdrawal date"))
    params = next_year_params(ctx)
    values = {"date": member.scheduled_withdrawal_date.isoformat(), "year": params.fiscal_year,
              "month": params.allocation_start.strftime("%Y-%m")}
    reason = billing_selectors.billing_run_skip_reason(params, member)
    if reason == BillingRunSkip.Reason.WITHDRAWAL_BEFORE_ALLOCATION:
        return FactValue("before", _("Scheduled withdrawal %(date)s is before the allocation start month %(month)s "
                                     "of FY %(year)s: left out automatically") % values)
    if reason is None or reason == BillingRunSkip.Reason.ALREADY_BILLED:
        return FactValue("same_or_after", _("Scheduled withdrawal %(date)s is in or after the allocation start month "
                                            "%(month)s of FY %(year)s: billed") % values)
    return FactValue("not_billed", _("Scheduled withdrawal %(date)s; the FY %(year)s run does not bill the member "
                                     "anyway: %(reason)s") % {**values, "reason": BillingRunSkip.Reason(reason).label})


@fact("billing.next_year_invoice")
def next_year_invoice(ctx: CaseContext) -> FactValue:
    """来年度の年会費: is the next fiscal year's invoice already made? and the member's one-time adjustments."""
    if ctx.member is None:
        return FactValue(False, _("The case has no member record"))
    year = billing_selectors.current_fiscal_year(ctx.society) + 1
    adjustments = _adjustments(ctx, MemberAdjustment.Kind.ONE_TIME, spent=False)
    invoice = next((i for i in member_invoices(ctx) if i.fiscal_year == year and i.cancelled_at is None), None)
    if invoice is not None:
        return FactValue(True, _("%(invoice)s exists (total %(total)s); one-time adjustments not spent: "
                                 "%(adjustments)s") % {"invoice": _inv(invoice), "total": yen(invoice.total),
                                                       "adjustments": adjustments})
    return FactValue(False, _("No invoice of FY %(year)s yet; one-time adjustments not spent: %(adjustments)s")
                     % {"year": year, "adjustments": adjustments})


def _adjustments(ctx: CaseContext, kind: str, *, spent: bool | None = None) -> str:
    qs = ctx.member.adjustments.filter(kind=kind).order_by("created_at", "pk")
    if spent is False:
        qs = qs.filter(spent_at__isnull=True)
    found = [f"{a.amount:+,}円{'(' + a.note + ')' if a.note else ''}" for a in qs[:10]]
    return "、".join(found) if found else _("none")


@fact("billing.permanent_adjustments")
def permanent_adjustments(ctx: CaseContext) -> FactValue:
    if ctx.member is None:
        return FactValue(False, _("The case has no member record"))
    text = _adjustments(ctx, MemberAdjustment.Kind.PERMANENT)
    exists = ctx.member.adjustments.filter(kind=MemberAdjustment.Kind.PERMANENT).exists()
    return FactValue(exists, _("Permanent adjustments: %(adjustments)s") % {"adjustments": text})


# --- unpaid and paid members (未納者), exports -------------------------------------------------------------------


@fact("billing.unpaid_last_year")
def unpaid_last_year(ctx: CaseContext) -> FactValue:
    """昨年の年会費未納者: how many of last fiscal year's admission and annual invoices are 未入金 or 一部入金."""
    year = billing_selectors.current_fiscal_year(ctx.society) - 1
    count = (Invoice.objects.filter(society=ctx.society, fiscal_year=year,
                                    category__in=[Category.ADMISSION, Category.ANNUAL]).with_status()
             .filter(status__in=[s.value for s in billing_selectors.OPEN_STATUSES]).count())
    return FactValue(count, _("FY %(year)s: %(count)s admission and annual invoices unpaid or partially paid") % {
        "year": year, "count": count})


@fact("billing.export_years")
def export_years(ctx: CaseContext) -> FactValue:
    """BIL-9: 会員別請求・入金情報ダウンロード covers the current fiscal year, the three before it and all later ones."""
    first = billing_selectors.export_first_year(ctx.society)
    current = billing_selectors.current_fiscal_year(ctx.society)
    return FactValue(first, _("The download covers FY %(first)s–%(current)s and every later year") % {
        "first": first, "current": current})


# --- payments (入金に関すること) ---------------------------------------------------------------------------------


@fact("billing.open_invoices")
def open_invoices_fact(ctx: CaseContext) -> FactValue:
    found = open_invoices(ctx)
    if not found:
        return FactValue(0, _("No unpaid invoice"))
    return FactValue(len(found), _("Unpaid invoices: %(invoices)s") % {
        "invoices": ", ".join(f"{_inv(i)} {yen(billing_selectors.outstanding_of(i))}" for i in found[:10])})


@fact("billing.bank_account_on_invoice")
def bank_account_on_invoice(ctx: CaseContext) -> FactValue:
    """The invoice PDF prints the society's bank account (``Society.bank_account_text``)."""
    text = (ctx.society.bank_account_text or "").strip()
    if not text:
        return FactValue(False, _("No bank account is set to be printed on invoices"))
    return FactValue(True, _("Printed on invoices: %(account)s") % {"account": " ".join(text.split())[:120]})


@fact("billing.overpaid")
def overpaid(ctx: CaseContext) -> FactValue:
    """An overpaid invoice of the member (BIL-4) and whether a bank check paid it (PAY-1: only it can exceed)."""
    invoice = overpaid_invoice(ctx)
    if invoice is None:
        return FactValue("none", _("No overpaid invoice"))
    payments = live_payments(ctx, invoice)
    value = "bank_check" if any(p.method == PaymentMethod.BANK_CHECK for p in payments) else "other_method"
    return FactValue(value, _("%(invoice)s: paid %(paid)s of %(total)s (%(over)s over); %(payments)s") % {
        "invoice": _inv(invoice), "paid": yen(invoice.paid), "total": yen(invoice.total),
        "over": yen(invoice.paid - invoice.total), "payments": ", ".join(_pay(p) for p in payments)})


@fact("billing.combined_payment")
def combined_payment_fact(ctx: CaseContext) -> FactValue:
    payment = combined_payment(ctx)
    if payment is None:
        return FactValue("none", _("No payment over its invoice while another invoice is unpaid"))
    others = [i for i in open_invoices(ctx) if i.pk != payment.invoice_id]
    value = "bank_check" if payment.method == PaymentMethod.BANK_CHECK else "other_method"
    return FactValue(value, _("%(payment)s on %(invoice)s; still unpaid: %(others)s") % {
        "payment": _pay(payment), "invoice": _inv(overpaid_invoice(ctx)),
        "others": ", ".join(_inv(i) for i in others[:10])})


@fact("billing.payment_to_move")
def payment_to_move_fact(ctx: CaseContext) -> FactValue:
    found = payment_to_move(ctx)
    if found is None:
        return FactValue("none", _("No payment on a newer fiscal year while an older one is unpaid"))
    payment, older = found
    newer = next(i for i in member_invoices(ctx) if i.pk == payment.invoice_id)
    return FactValue(channel_of(payment.method), _("%(payment)s on %(newer)s; unpaid: %(older)s") % {
        "payment": _pay(payment), "newer": _inv(newer), "older": _inv(older)})


# --- the records a case's procedure button is prefilled with ------------------------------------------------------


class NoSubject(Exception):
    """The case's record holds nothing the procedure could be run on; the message says why."""


def _subject_record(subject: str, obj) -> dict:
    """The record the procedure's own plan reads for an invoice or payment (``support.procedures.SUBJECTS``)."""
    from .procedures import SUBJECTS, procedure_list

    procedure_list()  # the procedures (and their SUBJECTS) are registered
    return SUBJECTS[subject](obj)


def _invoice_subject(ctx: CaseContext) -> tuple[dict, dict]:
    invoice = latest_live_invoice(ctx)
    if invoice is None:
        raise NoSubject(_("The member has no live invoice"))
    return {"invoice": invoice.pk}, _subject_record("invoice", invoice)


def _overpaid_subject(ctx: CaseContext) -> tuple[dict, dict]:
    invoice = overpaid_invoice(ctx)
    if invoice is None:
        return _invoice_subject(ctx)
    return {"invoice": invoice.pk}, _subject_record("invoice", invoice)


def _move_subject(ctx: CaseContext) -> tuple[dict, dict]:
    found = payment_to_move(ctx)
    if found is None:
        raise NoSubject(_("No payment on a newer fiscal year while an older one is unpaid"))
    payment, older = found
    return {"payment": payment.pk, "to_invoice": older.pk}, _subject_record("payment", payment)


def _split_subject(ctx: CaseContext) -> tuple[dict, dict]:
    payment = combined_payment(ctx)
    if payment is None:
        raise NoSubject(_("No payment over its invoice while another invoice is unpaid"))
    return {"payment": payment.pk}, _subject_record("payment", payment)


def _combine_subject(ctx: CaseContext) -> tuple[dict, dict]:
    found = open_invoices(ctx)
    if len(found) < 2:
        raise NoSubject(_("The member has fewer than two unpaid invoices to combine"))
    # the oldest is the page's invoice; the procedure's own fits asks it like an invoice page's offer does
    return {"invoices": [i.pk for i in found]}, _subject_record("invoice", found[0])


#: procedure id → fn(context) -> (the procedure page's query: its subject and prefilled params, the record its
#: plan reads); raises ``NoSubject`` when the case's record holds nothing to run it on
CASE_SUBJECTS = {
    "rebill_next_year": _invoice_subject,
    "member_type_correction": _invoice_subject,
    "overpayment_to_next_year": _overpaid_subject,
    "move_payment": _move_subject,
    "split_combined_payment": _split_subject,
    "combine_invoices": _combine_subject,
}


# --- the actions the outcomes offer (SUP-3): billing's own services, on the record the facts read ----------------

MSG_NOTHING_TO_CONFIRM = _lazy("The member has no invoice that is not confirmed.")
MSG_NO_RUN = _lazy("No billing run covers the member.")


@action("invoice_confirm")
def confirm_invoice(*, actor, context: CaseContext, params: dict) -> dict:
    """[請求内容確定] of the member's newest live invoice that is not confirmed (BIL-3), as its screen does."""
    invoice = unconfirmed_invoice(context)
    if invoice is None:
        raise Conflict("action_not_offered", MSG_NOTHING_TO_CONFIRM)
    invoice = invoice_services.invoice_confirm(actor=actor, invoice=invoice)
    return {"invoice": invoice.pk, "number": invoice.number, "confirmed_at": invoice.confirmed_at.isoformat()}


@action("billing_run_retry", needs_member=False)
def retry_run(*, actor, context: CaseContext, params: dict) -> dict:
    """[再実行] of the failed run the facts read (``billing_run_retry_refusal`` refuses any other)."""
    run = latest_run(context)
    if run is None:
        raise Conflict("action_not_offered", MSG_NO_RUN)
    run = run_services.billing_run_retry(actor=actor, run=run)
    return {"run": run.pk, "state": run.state}
