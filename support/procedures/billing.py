"""The six guided procedures of API.md (seed 003, 請求に関すること and 入金に関すること), each step the service the
screen of its name calls:

- 入金履歴削除 → ``billing.services.payments.payment_delete`` (reason: the procedure's title)
- 請求取消 → ``billing.services.invoices.invoice_cancel``
- 会員種別変更 → ``members.services.member_update`` ([会員情報変更], ``member_type``)
- 請求作成 → ``billing.services.invoices.invoice_create`` (then ``invoice_update`` for the adjustment and
  ``invoice_confirm`` when the invoice it replaces was confirmed, so the member sees it on My Page)
- 入金情報登録 → ``billing.services.payments.payment_register`` (the deleted payment's method, channel, ``paid_on``
  and settlement number; PAY-3's remarks — the settlement number and a work memo — written by the procedure)

"What the steps make" (API.md) is ``_recreated``, ``_next_year`` and ``_combined`` below.
"""

from __future__ import annotations

import re
from django.utils.translation import gettext_lazy as _

from backoffice.errors import DomainError, NotFound
from billing import selectors as billing_selectors
from billing.models import ONLINE_METHODS, Category, Invoice, Payment
from billing.services import invoices as invoice_services
from billing.services import payments as payment_services
from members import services as member_services
from members.models import MemberType

from . import SEED, SUBJECTS, Carry, NotApplicable, Procedure, Step, register

MAX_ID = 2**63 - 1
MAX_INVOICES = 20

MSG_ID = _("Give the id of the record.")
MSG_IDS = _("Give a list of invoice ids.")
MSG_ALLOCATIONS = _("Give the allocations as a list of {invoice, amount}.")
MSG_CANCELLED = _("Invoice %(number)s has been cancelled; choose a live invoice.")
MSG_NOT_OVERPAID = _("Invoice %(number)s is not overpaid (paid %(paid)s yen of %(total)s yen).")
MSG_SAME_TYPE = _("The member is already of the member type %(type)s and invoice %(number)s bills its fee; there is "
                  "nothing to correct.")
MSG_OTHER_MEMBER = _("Invoice %(number)s is an invoice of another member.")
MSG_SAME_INVOICE = _("The payment is already on invoice %(number)s.")
MSG_ALLOCATIONS_SUM = _("The allocations add up to %(sum)s yen, but the payment is %(amount)s yen.")
MSG_TWICE = _("Invoice %(number)s is given twice.")
MSG_TWO_OR_MORE = _("Give two or more invoices to combine.")
MSG_NOT_COMBINABLE = _("Invoice %(number)s cannot be combined: %(reason)s")
MSG_NO_OTHER_UNPAID = _("The member has no other unpaid invoice to combine with invoice %(number)s.")
MSG_NEXT_YEAR_EXISTS = _("The member already has invoice %(number)s of fiscal year %(year)s in this category; "
                         "register the payment on it instead.")


# --- params -------------------------------------------------------------------------------------------------


def _invalid(field: str, message) -> DomainError:
    return DomainError("invalid", message, fields={field: [str(message)]})


def _id(params: dict, field: str) -> int:
    value = params.get(field)
    value = getattr(value, "pk", value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise _invalid(field, MSG_ID)
    return value


def _invoice(actor, pk: int, *, status: bool = False) -> Invoice:
    """The invoice (its society, member and member type with it); with ``status`` also ``paid``, ``total`` and
    ``status`` (BIL-4's annotation: only overpayment_to_next_year's plan reads them)."""
    invoices = Invoice.objects.visible_to(actor)
    if status:
        invoices = invoices.with_status()
    invoice = invoices.select_related("society", "member", "member__member_type").filter(pk=pk).first()
    if invoice is None:
        raise NotFound()
    return invoice


def _payment(actor, pk: int) -> Payment:
    payment = Payment.objects.visible_to(actor).select_related("invoice").filter(pk=pk).first()
    if payment is None:
        raise NotFound()
    return payment


def _live_payments(invoice: Invoice) -> list[Payment]:
    """The invoice's live payments, oldest first (the order the amounts are allocated in)."""
    return list(Payment.objects.live().filter(invoice_id=invoice.pk).order_by("paid_on", "pk"))


def _number(invoice: Invoice) -> str:
    return str(invoice.number)


def _require_live(invoice: Invoice) -> None:
    if invoice.cancelled_at is not None:
        raise NotApplicable(MSG_CANCELLED % {"number": _number(invoice)})


def _require_live_subject(record: dict) -> None:
    _require_live(record["invoice"])


def _require_live_payment(record: dict) -> None:
    """A deleted payment has nothing to move: [入金履歴削除]'s own rule (PAY-2) says so, as 409
    ``procedure_not_applicable``."""
    refusal = billing_selectors.payment_delete_refusal(record["payment"])
    if refusal is not None:
        raise NotApplicable(refusal.message)


# the records an invoice's and a payment's page offer procedures for (support.procedures.procedure_offers)
SUBJECTS["invoice"] = lambda invoice: {"invoice": invoice, "payments": _live_payments(invoice)}
SUBJECTS["payment"] = lambda payment: {"payment": payment, "payments": [payment]}


# --- what the steps make (API.md) -----------------------------------------------------------------------------


def _year_in_name(name: str, old: int, new: str) -> str:
    """The name with ``new`` where it held the fiscal year ``old`` (「2026年度 年会費」 → 「2027年度 年会費」)."""
    return re.sub(rf"{old}(?=年度)", new, name)


def _next_year_name(invoice: Invoice) -> str:
    return _year_in_name(invoice.name, invoice.fiscal_year, str(invoice.fiscal_year + 1))


def _check_no_next_year(invoice: Invoice) -> None:
    existing = (Invoice.objects.filter(member_id=invoice.member_id, category=invoice.category,
                                       fiscal_year=invoice.fiscal_year + 1, cancelled_at__isnull=True)
                .order_by("pk").first())
    if existing is not None:
        raise NotApplicable(MSG_NEXT_YEAR_EXISTS % {"number": existing.number, "year": existing.fiscal_year})


def _create(carry: Carry, key: str, *, like: Invoice, name: str, category: str, fiscal_year: int, amount: int,
            adjustment: int = 0, confirm: bool) -> Invoice:
    """[請求作成] (and the invoice's 請求調整額 and [請求内容確定] as its screen would): the invoice a later step pays."""
    actor = carry.actor
    invoice = invoice_services.invoice_create(actor=actor, society=like.society, member=like.member, name=name,
                                              category=category, fiscal_year=fiscal_year, amount=amount,
                                              due_date=like.due_date)
    if adjustment:
        invoice = invoice_services.invoice_update(actor=actor, invoice=invoice, adjustment=adjustment)
    if confirm:
        invoice = invoice_services.invoice_confirm(actor=actor, invoice=invoice)
    carry[key] = invoice
    return invoice


def _recreated(key: str, source_key: str = "invoice", *, amount_of=None):
    """請求作成: the cancelled invoice's member, name, category, fiscal year, amount and adjustment (the amount
    ``amount_of(record)`` in member_type_correction)."""
    def run(carry: Carry) -> None:
        old = carry.record[source_key]
        amount = amount_of(carry.record) if amount_of else old.amount
        _create(carry, key, like=old, name=old.name, category=old.category, fiscal_year=old.fiscal_year,
                amount=amount, adjustment=old.adjustment, confirm=old.confirmed_at is not None)
    return run


def _next_year(key: str, source_key: str = "invoice", *, fee_of=None):
    """次年度の請求: fiscal year + 1, the name's year replaced, the same category, the member type's annual fee."""
    def run(carry: Carry) -> None:
        old = carry.record[source_key]
        fee = fee_of(carry.record) if fee_of else old.member.member_type.annual_fee
        _create(carry, key, like=old, name=_next_year_name(old), category=old.category,
                fiscal_year=old.fiscal_year + 1, amount=fee, confirm=old.confirmed_at is not None)
    return run


def _delete(payments_key: str = "payments"):
    """入金履歴削除: each payment, the procedure's title as the reason; the payments are handed on."""
    def run(carry: Carry) -> None:
        for payment in carry.record[payments_key]:
            payment_services.payment_delete(actor=carry.actor, payment=payment, reason=carry.record["title"])
        carry["deleted"] = list(carry.record[payments_key])
    return run


def _cancel(key: str = "invoice"):
    def run(carry: Carry) -> None:
        invoice_services.invoice_cancel(actor=carry.actor, invoice=carry.record[key])
    return run


def _remarks(payment: Payment, title: str) -> str:
    """PAY-3: the deleted payment's settlement number and a work memo naming the procedure (the memo alone for an
    offline payment, as seed 003 asks of 【オフライン決済の場合】)."""
    memo = f"作業メモ: ガイド付き手順「{title}」で再登録(元の領収書番号 {payment.receipt_number})"
    return f"{payment.settlement_number} {memo}" if payment.settlement_number else memo


def allocate(payments: list[Payment], capacities: list[int | None]) -> list[list[tuple[Payment, int]]]:
    """The payments' amounts over the targets in order, oldest payment first, each target up to its capacity and
    the last one taking the rest (its capacity None) — one list of ``(payment, amount)`` per target."""
    pieces: list[list[tuple[Payment, int]]] = [[] for _c in capacities]
    room = list(capacities)
    for payment in payments:
        left = payment.amount
        for i, cap in enumerate(room):
            if left <= 0:
                break
            last = i == len(room) - 1
            take = left if cap is None or last else min(left, cap)
            if take <= 0:
                continue
            pieces[i].append((payment, take))
            left -= take
            if cap is not None:
                room[i] = cap - take
    return pieces


def _register(target_key: str, piece_index: int, capacities_of):
    """入金情報登録 on the invoice ``target_key`` (the record's or one a step made): its share of the deleted
    payments, each keeping its method, ``paid_on`` and settlement number, with PAY-3's remarks."""
    def run(carry: Carry) -> None:
        target = carry.get(target_key) or carry.record[target_key]
        pieces = allocate(carry["deleted"], capacities_of(carry))[piece_index]
        for payment, amount in pieces:
            payment_services.payment_register(actor=carry.actor, invoice=target, amount=amount, method=payment.method,
                                              paid_on=payment.paid_on, remarks=_remarks(payment, carry.record["title"]),
                                              settlement_number=payment.settlement_number)
    return run


def _total(invoice: Invoice) -> int:
    return invoice.amount + invoice.adjustment


def _source(section: str, entry: str, variant: str | None = None) -> dict:
    return {"seed": SEED, "section": section, "entry": entry, **({"variant": variant} if variant else {})}


BILLING = "請求に関すること"
PAYMENTS = "入金に関すること"


# --- rebill_next_year -----------------------------------------------------------------------------------------

REBILL = "当年度の請求を次年度の請求に変更"


def _invoice_param(params: dict) -> list[int]:
    return [_id(params, "invoice")]


def _resolve_invoice(actor, params: dict, *, status: bool = False) -> dict:
    invoice = _invoice(actor, _id(params, "invoice"), status=status)
    return {"invoice": invoice, "payments": _live_payments(invoice)}


def _resolve_invoice_status(actor, params: dict) -> dict:
    return _resolve_invoice(actor, params, status=True)


def _plan_rebill(record: dict, params: dict) -> list[Step]:
    invoice = record["invoice"]
    _require_live(invoice)
    _check_no_next_year(invoice)
    one_target = lambda carry: [None]  # noqa: E731  (everything paid goes to the next-year invoice)
    if not record["payments"]:
        return [Step("invoice_cancel", "請求取消", _cancel()),
                Step("invoice_create", "次年度の請求作成", _next_year("new_invoice"))]
    return [Step("payment_delete", "入金履歴削除", _delete()),
            Step("invoice_cancel", "請求取消", _cancel()),
            Step("invoice_create", "次年度の請求作成", _next_year("new_invoice")),
            Step("payment_register", "入金情報登録", _register("new_invoice", 0, one_target))]


register(Procedure(
    id="rebill_next_year", title=REBILL, params=("invoice",),
    source=_source(BILLING, "次年度からの入会希望者に対して、誤って当年度の請求を作成してしまいました。次年度の請求に変更したいです。"),
    resolve=_resolve_invoice, plan=_plan_rebill, invoices=lambda r: [r["invoice"].pk], subject="invoice",
    lock_first=_invoice_param))


# --- member_type_correction -----------------------------------------------------------------------------------

TYPE_CORRECTION = "会員種別の修正(請求の再作成)"


def _resolve_type_correction(actor, params: dict) -> dict:
    record = _resolve_invoice(actor, params)
    member_type = MemberType.objects.visible_to(actor).filter(pk=_id(params, "member_type"),
                                                              society_id=record["invoice"].society_id).first()
    if member_type is None:
        raise NotFound()
    record["member_type"] = member_type
    return record


def _change_type(carry: Carry) -> None:
    member = carry.record["invoice"].member
    member_services.member_update(actor=carry.actor, member=member, member_type=carry.record["member_type"])


def _plan_type_correction(record: dict, params: dict) -> list[Step]:
    invoice, member_type = record["invoice"], record["member_type"]
    _require_live_subject(record)
    if invoice.member.member_type_id == member_type.pk and invoice.amount == member_type.annual_fee:
        raise NotApplicable(MSG_SAME_TYPE % {"type": member_type.name, "number": _number(invoice)})
    fee = lambda r: r["member_type"].annual_fee  # noqa: E731
    new_total = max(0, member_type.annual_fee + invoice.adjustment)
    steps = [Step("invoice_cancel", "請求取消", _cancel()),
             Step("member_update", "会員種別変更", _change_type),
             Step("invoice_create", "請求作成", _recreated("new_invoice", amount_of=fee))]
    if not record["payments"]:
        return steps
    paid = sum(p.amount for p in record["payments"])
    steps = [Step("payment_delete", "入金履歴削除", _delete()), *steps]
    if paid <= new_total:
        return [*steps, Step("payment_register", "入金情報登録", _register("new_invoice", 0, lambda c: [None]))]
    _check_no_next_year(invoice)
    split = lambda carry: [new_total, None]  # noqa: E731  (up to the new total; the rest to next year)
    return [*steps,
            Step("payment_register", "入金情報登録", _register("new_invoice", 0, split)),
            Step("invoice_create", "次年度請求作成", _next_year("next_invoice", fee_of=fee)),
            Step("payment_register", "過払い分入金情報登録", _register("next_invoice", 1, split))]


register(Procedure(
    id="member_type_correction", title=TYPE_CORRECTION, params=("invoice", "member_type"),
    source=_source(BILLING, "正会員で年会費請求した後に、今年度も学生会員のままであることが分かりました。請求金額が異なるため"
                            "修正したいです。 / 会期途中で学生会員から正会員に会員種別が変わり、追加の請求が発生しました。"),
    resolve=_resolve_type_correction, plan=_plan_type_correction, invoices=lambda r: [r["invoice"].pk],
    subject="invoice", fits=_require_live_subject, lock_first=_invoice_param))


# --- overpayment_to_next_year ---------------------------------------------------------------------------------

OVERPAYMENT = "過払い分を次年度の請求に入金"


def _plan_overpayment(record: dict, params: dict) -> list[Step]:
    invoice = record["invoice"]
    _require_live(invoice)
    if invoice.paid <= invoice.total:
        raise NotApplicable(MSG_NOT_OVERPAID % {"number": _number(invoice), "paid": f"{invoice.paid:,}",
                                                "total": f"{invoice.total:,}"})
    _check_no_next_year(invoice)
    split = lambda carry: [max(0, invoice.total), None]  # noqa: E731
    return [Step("payment_delete", "入金履歴削除", _delete()),
            Step("payment_register", "当年度の請求に入金情報登録", _register("invoice", 0, split)),
            Step("invoice_create", "次年度の請求作成", _next_year("next_invoice")),
            Step("payment_register", "過払い分の入金情報登録", _register("next_invoice", 1, split))]


register(Procedure(
    id="overpayment_to_next_year", title=OVERPAYMENT, params=("invoice",),
    source=_source(PAYMENTS, "間違えて多く入金されました。"),
    resolve=_resolve_invoice_status, plan=_plan_overpayment, invoices=lambda r: [r["invoice"].pk], subject="invoice",
    lock_first=_invoice_param))


# --- move_payment ---------------------------------------------------------------------------------------------

MOVE = "入金を割り当てたい請求に移す"


def _resolve_move(actor, params: dict) -> dict:
    payment = _payment(actor, _id(params, "payment"))
    return {"payment": payment, "payments": [payment], "invoice": _invoice(actor, payment.invoice_id),
            "to_invoice": _invoice(actor, _id(params, "to_invoice"))}


def _plan_move(record: dict, params: dict) -> list[Step]:
    payment, source, target = record["payment"], record["invoice"], record["to_invoice"]
    _require_live_payment(record)
    if target.member_id != source.member_id:
        raise NotApplicable(MSG_OTHER_MEMBER % {"number": _number(target)})
    if target.pk == source.pk:
        raise NotApplicable(MSG_SAME_INVOICE % {"number": _number(target)})
    _require_live(target)
    to_target = lambda carry: [None]  # noqa: E731
    if payment.method not in ONLINE_METHODS:
        return [Step("payment_delete", "入金履歴削除", _delete()),
                Step("payment_register", "割り当てたい請求に入金情報登録", _register("to_invoice", 0, to_target))]
    return [Step("payment_delete", "入金履歴削除", _delete()),
            Step("invoice_cancel", "請求取消", _cancel()),
            Step("invoice_create", "請求作成", _recreated("new_invoice")),
            Step("payment_register", "割り当てたい請求に入金情報登録", _register("to_invoice", 0, to_target))]


register(Procedure(
    id="move_payment", title=MOVE, params=("payment", "to_invoice"),
    source=_source(PAYMENTS, "複数年度未入金となっている請求がありますが、最新年度に入金があったため、古い年度に割り当てたいです。"),
    resolve=_resolve_move, plan=_plan_move, invoices=lambda r: [r["invoice"].pk, r["to_invoice"].pk],
    subject="payment", fits=_require_live_payment))


# --- split_combined_payment -----------------------------------------------------------------------------------

SPLIT = "まとめて入金された年会費を年度ごとに振り分け"


def _resolve_split(actor, params: dict) -> dict:
    payment = _payment(actor, _id(params, "payment"))
    raw = params.get("allocations")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_INVOICES or not all(isinstance(a, dict) for a in raw):
        raise _invalid("allocations", MSG_ALLOCATIONS)
    allocations = []
    for i, item in enumerate(raw):
        amount = item.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= 10**10:
            raise _invalid(f"allocations.{i}.amount", payment_services.MSG_AMOUNT_MIN)
        allocations.append((_invoice(actor, _id(item, "invoice")), amount))
    return {"payment": payment, "payments": [payment], "invoice": _invoice(actor, payment.invoice_id),
            "allocations": allocations}


def _register_allocations(carry: Carry) -> None:
    payment = carry["deleted"][0]
    for invoice, amount in carry.record["allocations"]:
        payment_services.payment_register(actor=carry.actor, invoice=invoice, amount=amount, method=payment.method,
                                          paid_on=payment.paid_on, remarks=_remarks(payment, carry.record["title"]),
                                          settlement_number=payment.settlement_number)


def _plan_split(record: dict, params: dict) -> list[Step]:
    payment = record["payment"]
    _require_live_payment(record)
    seen: set[int] = set()
    for invoice, _amount in record["allocations"]:
        if invoice.member_id != record["invoice"].member_id:
            raise NotApplicable(MSG_OTHER_MEMBER % {"number": _number(invoice)})
        if invoice.pk in seen:
            raise NotApplicable(MSG_TWICE % {"number": _number(invoice)})
        seen.add(invoice.pk)
        _require_live(invoice)
    total = sum(a for _i, a in record["allocations"])
    if total != payment.amount:
        raise NotApplicable(MSG_ALLOCATIONS_SUM % {"sum": f"{total:,}", "amount": f"{payment.amount:,}"})
    return [Step("payment_delete", "入金履歴削除", _delete()),
            Step("payment_register", "当該年度の請求に入金情報登録", _register_allocations)]


register(Procedure(
    id="split_combined_payment", title=SPLIT, params=("payment", "allocations"),
    source=_source(PAYMENTS, "未納の年会費を1つの請求にまとめて入金されました。"),
    resolve=_resolve_split, plan=_plan_split,
    invoices=lambda r: [r["invoice"].pk, *(i.pk for i, _a in r["allocations"])],
    subject="payment", fits=_require_live_payment))


# --- combine_invoices -----------------------------------------------------------------------------------------

COMBINE = "複数年度の請求を1つにまとめる"


def _combine_ids(params: dict) -> list[int]:
    raw = params.get("invoices")
    if not isinstance(raw, list) or len(raw) > MAX_INVOICES:
        raise _invalid("invoices", MSG_IDS)
    return [_id({"invoices": v}, "invoices") for v in raw]


def _resolve_combine(actor, params: dict) -> dict:
    invoices = [_invoice(actor, pk) for pk in _combine_ids(params)]
    return {"invoices": invoices}


def _combined_name(invoices: list[Invoice]) -> str:
    """「2025・2026年度 年会費」: the latest invoice's name with all the years where it held its own."""
    latest = max(invoices, key=lambda i: (i.fiscal_year, i.number))
    years = "・".join(str(y) for y in sorted({i.fiscal_year for i in invoices}))
    if re.search(rf"{latest.fiscal_year}(?=年度)", latest.name):
        return _year_in_name(latest.name, latest.fiscal_year, years)
    return f"{years}年度 {latest.name}"


def _cancel_each(carry: Carry) -> None:
    for invoice in carry.record["invoices"]:
        invoice_services.invoice_cancel(actor=carry.actor, invoice=invoice)


def _create_combined(carry: Carry) -> None:
    """複数年度を1つにまとめた請求作成: the latest fiscal year, category other, the sum of the cancelled totals."""
    invoices = carry.record["invoices"]
    latest = max(invoices, key=lambda i: (i.fiscal_year, i.number))
    _create(carry, "new_invoice", like=latest, name=_combined_name(invoices), category=Category.OTHER,
            fiscal_year=latest.fiscal_year, amount=sum(_total(i) for i in invoices),
            confirm=any(i.confirmed_at is not None for i in invoices))


def _plan_combine(record: dict, params: dict) -> list[Step]:
    invoices = record["invoices"]
    if len(invoices) < 2:
        raise NotApplicable(MSG_TWO_OR_MORE)
    seen: set[int] = set()
    for invoice in invoices:
        if invoice.member_id != invoices[0].member_id:
            raise NotApplicable(MSG_OTHER_MEMBER % {"number": _number(invoice)})
        if invoice.pk in seen:
            raise NotApplicable(MSG_TWICE % {"number": _number(invoice)})
        seen.add(invoice.pk)
        _require_live(invoice)
    # ①請求取消's own rule (BIL-7: a paid or partly paid invoice is not cancelled), asked before any step
    by_pk = {i.pk: i for i in invoices}
    for pk, refusal in billing_selectors.invoices_cancel_refusals(invoices).items():
        raise NotApplicable(MSG_NOT_COMBINABLE % {"number": _number(by_pk[pk]), "reason": refusal.message})
    record["invoices"] = sorted(invoices, key=lambda i: (i.fiscal_year, i.number))
    return [Step("invoice_cancel", "請求取消", _cancel_each),
            Step("invoice_create", "複数年度を1つにまとめた請求作成", _create_combined)]


def _unpaid_others(record: dict) -> list[int]:
    """The member's other live invoices nothing is paid on (what an invoice's page offers to combine with it),
    oldest fiscal year first; one query, kept in the record."""
    if "combine_with" not in record:
        invoice = record["invoice"]
        record["combine_with"] = list(
            Invoice.objects.filter(member_id=invoice.member_id, cancelled_at__isnull=True).exclude(pk=invoice.pk)
            .with_status().filter(paid=0).order_by("fiscal_year", "number")
            .values_list("pk", flat=True)[:MAX_INVOICES - 1])
    return record["combine_with"]


def _combine_fits(record: dict) -> None:
    """An invoice's page offers combine_invoices while it is live, nothing is paid on it and the member has other
    live invoices with nothing paid."""
    invoice = record["invoice"]
    _require_live(invoice)
    refusal = billing_selectors.invoices_cancel_refusals([invoice]).get(invoice.pk) if record["payments"] else None
    if refusal is not None:
        raise NotApplicable(MSG_NOT_COMBINABLE % {"number": _number(invoice), "reason": refusal.message})
    if not _unpaid_others(record):
        raise NotApplicable(MSG_NO_OTHER_UNPAID % {"number": _number(invoice)})


def _combine_link(record: dict) -> dict:
    """The procedure page with this invoice and the others prefilled, previewed at once."""
    ids = [record["invoice"].pk, *_unpaid_others(record)]
    return {"invoices": ",".join(str(pk) for pk in ids), "preview": "1"}


register(Procedure(
    id="combine_invoices", title=COMBINE, params=("invoices",),
    source=_source(PAYMENTS, "会員から複数年会費まとめて支払いたいと言われました。", "【オンライン決済の場合】"),
    resolve=_resolve_combine, plan=_plan_combine, invoices=lambda r: [i.pk for i in r["invoices"]],
    subject="invoice", fits=_combine_fits, link=_combine_link, lock_first=_combine_ids))


__all__ = ["allocate"]
