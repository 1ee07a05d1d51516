"""Billing services: bank statements (入金消込, PAY-6).

``statement_import`` reads a statement (CSV or 全銀) and, in one transaction, decides every row:

- ``duplicate``: a row whose identity (取引日, 金額, 振込人名義, its occurrence among equal rows of the file) was
  already imported in this society — registers nothing, so importing a file twice is harmless (backed by
  the ``billing_statement_row_once`` constraint; imports of one society queue on the society's row);
- ``matched``: the payer name holds the member number of a member, or — with no number — equals (width,
  spaces and small kana folded) the kana name of exactly one member, *and* the amount equals the outstanding
  total of one of that member's confirmed open invoices, or of all of them together (then split, oldest
  fiscal year first). Registered as ``bank_transfer`` payments dated 取引日, the statement and line in remarks;
- ``ambiguous`` (``several_members``) or ``unmatched`` (``unknown_payer``, or ``amount_differs`` with the
  member) rows wait for the secretariat: ``statement_row_match`` resolves one by hand, all or none.

One import is one request: the society's members are read once and the candidate invoices once, not per row.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import jaconv
from django.db import IntegrityError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, check_society, service
from members.models import Member, Society

from .. import numbering, selectors, statement_files
from ..models import OPEN_STATUSES, BankStatement, BankStatementRow, Invoice, PaymentMethod
from .payments import lock_invoice, register_on_locked, unknown_allocation_invoice

State = BankStatementRow.State

REASON_SEVERAL_MEMBERS = "several_members"
REASON_UNKNOWN_PAYER = "unknown_payer"
REASON_AMOUNT_DIFFERS = "amount_differs"

MSG_UNKNOWN_FORMAT = _("Choose the file format: csv or zengin.")
MSG_ALLOCATION_TOTAL = _("The amounts (%(sum)s yen) must add up to the row's amount (%(amount)s yen).")
MSG_ALLOCATIONS_EMPTY = _("Give at least one invoice and amount.")
MSG_ALLOCATION_TWICE = _("Invoice %(invoice)s is given twice.")
MSG_BUSY = _("Another import of this society's statements is running; try again.")


# --- folding names (PAY-6) -------------------------------------------------------------------------------------

_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_SPACES_RE = re.compile(r"[\s\u3000・.,、。()（）]+")
_NUMBER_TOKEN_RE = re.compile(r"[A-Z0-9][A-Z0-9-]*")


def fold_kana(value: str) -> str:
    """Kana as banks compare it: width folded (half-width kana → full, full-width letters → ASCII), hiragana →
    katakana, small kana → large, spaces and punctuation dropped, letters upper case."""
    text = unicodedata.normalize("NFKC", value or "")
    text = jaconv.hira2kata(text).translate(_SMALL_KANA).upper()
    return _SPACES_RE.sub("", text)


def number_tokens(payer_name: str) -> list[str]:
    """Runs of letters, digits and hyphens holding a digit: where a member number can be in 振込人名義."""
    text = unicodedata.normalize("NFKC", payer_name or "").upper()
    return [t for t in _NUMBER_TOKEN_RE.findall(text) if any(c.isdigit() for c in t)]


class MemberIndex:
    """The society's members by number and by folded kana, read once per import."""

    def __init__(self, society: Society):
        self.by_number: dict[str, int] = {}
        self.by_kana: dict[str, list[int]] = defaultdict(list)
        for pk, number, kana in Member.objects.filter(society=society).values_list("pk", "member_number", "name_kana"):
            if number:
                self.by_number[unicodedata.normalize("NFKC", number).upper()] = pk
            folded = fold_kana(kana)
            if folded:
                self.by_kana[folded].append(pk)

    def candidates(self, payer_name: str) -> list[int]:
        """Members the payer name points at: by member number first, else by kana name."""
        tokens = number_tokens(payer_name)
        by_number = sorted({self.by_number[t] for t in tokens if t in self.by_number})
        if by_number:
            return by_number
        name = payer_name
        for token in tokens:
            name = unicodedata.normalize("NFKC", name).upper().replace(token, "")
        return list(self.by_kana.get(fold_kana(name), []))


# --- import ----------------------------------------------------------------------------------------------------

def _remarks(statement: BankStatement, line: int) -> str:
    return gettext("Bank statement %(statement)s, line %(line)s") % {"statement": statement.pk, "line": line}


def _open_invoices(member_ids) -> dict[int, list[Invoice]]:
    """The members' confirmed open invoices, locked (pk order) and annotated, oldest fiscal year first."""
    ids = list(Invoice.objects.select_for_update().filter(
        member_id__in=member_ids, confirmed_at__isnull=False, cancelled_at__isnull=True).order_by("pk")
        .values_list("pk", flat=True))
    by_member: dict[int, list[Invoice]] = defaultdict(list)
    invoices = (Invoice.objects.filter(pk__in=ids).with_status().select_related("society", "member")
                .filter(status__in=[s.value for s in OPEN_STATUSES]).order_by("fiscal_year", "number"))
    for invoice in invoices:
        by_member[invoice.member_id].append(invoice)
    return by_member


def _allocate(amount: int, invoices: list[Invoice]) -> list[tuple[Invoice, int]] | None:
    """PAY-6: one open invoice whose outstanding equals ``amount`` (the oldest if several), or all of them
    together (each its outstanding, oldest fiscal year first); None when the amount fits neither."""
    still_open = [i for i in invoices if i.total - i.paid > 0]
    for invoice in still_open:
        if invoice.total - invoice.paid == amount:
            return [(invoice, amount)]
    if len(still_open) > 1 and sum(i.total - i.paid for i in still_open) == amount:
        return [(i, i.total - i.paid) for i in still_open]
    return None


def read_statement(data: bytes, file_format: str, today) -> list[statement_files.StatementLine]:
    if file_format == BankStatement.Format.CSV:
        return statement_files.read_csv(data)
    if file_format == BankStatement.Format.ZENGIN:
        return statement_files.read_zengin(data, today)
    raise DomainError("invalid", MSG_UNKNOWN_FORMAT, fields={"format": [str(MSG_UNKNOWN_FORMAT)]})


@service(permission="can_write")
def statement_import(*, actor: Actor, society: Society, data: bytes, file_format: str,
                     filename: str = "") -> BankStatement:
    """PAY-6: import a bank statement; every row is matched, queued (unmatched / ambiguous) or a duplicate."""
    check_society(actor, society.pk)
    lines = read_statement(data, file_format, clock.today(society))
    Society.objects.select_for_update().filter(pk=society.pk).first()  # imports of a society queue here
    now = clock.now(society)

    # identity of each row: its occurrence among equal (date, amount, payer) rows of this file
    seen: dict[tuple, int] = defaultdict(int)
    identities = []
    for line in lines:
        key = (line.date, line.amount, line.payer_name)
        seen[key] += 1
        identities.append((*key, seen[key]))
    dates = {line.date for line in lines}
    already = set(BankStatementRow.objects.filter(society=society, date__in=dates).exclude(state=State.DUPLICATE)
                  .values_list("date", "amount", "payer_name", "occurrence")) if dates else set()

    index = MemberIndex(society)
    decided = []  # (line, identity, state, reason, member_id)
    for line, identity in zip(lines, identities):
        if identity in already:
            decided.append((line, identity, State.DUPLICATE, "", None))
            continue
        members = index.candidates(line.payer_name)
        if len(members) > 1:
            decided.append((line, identity, State.AMBIGUOUS, REASON_SEVERAL_MEMBERS, None))
        elif not members:
            decided.append((line, identity, State.UNMATCHED, REASON_UNKNOWN_PAYER, None))
        else:
            decided.append((line, identity, None, "", members[0]))

    open_by_member = _open_invoices({m for *_x, m in decided if m is not None})
    plans: dict[int, list[tuple[Invoice, int]]] = {}
    final = []
    for position, (line, identity, state, reason, member_id) in enumerate(decided):
        if state is None:
            # only invoices that take a payment of this date (API.md "Payment dates"): else amount_differs
            fitting = [i for i in open_by_member.get(member_id, [])
                       if selectors.payment_date_refusal(i, line.date) is None]
            allocation = _allocate(line.amount, fitting)
            if allocation is None:
                state, reason = State.UNMATCHED, REASON_AMOUNT_DIFFERS
            else:
                state = State.MATCHED
                plans[position] = allocation
                for invoice, amount in allocation:
                    invoice.paid += amount  # later rows of this file see it paid
        final.append((line, identity, state, reason, member_id))

    counts = {s: sum(1 for f in final if f[2] == s) for s in State.values}
    statement = BankStatement.objects.create(
        society=society, format=file_format, filename=(filename or "")[:255],
        sha256=hashlib.sha256(data).hexdigest(), rows=len(final), matched=counts[State.MATCHED],
        unmatched=counts[State.UNMATCHED], ambiguous=counts[State.AMBIGUOUS], duplicate=counts[State.DUPLICATE],
        imported_by=audit.actor_label(actor)[:255], imported_at=now)
    rows = [BankStatementRow(society=society, statement=statement, line=line.line, date=line.date,
                             amount=line.amount, payer_name=line.payer_name, occurrence=identity[3], state=state,
                             reason=reason, member_id=member_id, resolved_by=audit.actor_label(actor)[:255]
                             if state == State.MATCHED else "", resolved_at=now if state == State.MATCHED else None)
            for line, identity, state, reason, member_id in final]
    try:
        rows = BankStatementRow.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:  # the constraint caught a row imported meanwhile (cannot happen under the lock)
        raise Conflict("database_busy", MSG_BUSY) from None
    if any(r.pk is None for r in rows):  # a database without RETURNING: read the ids back
        by_line = dict(BankStatementRow.objects.filter(statement=statement).values_list("line", "pk"))
        for r in rows:
            r.pk = r.id = by_line[r.line]

    batch = audit.new_batch_id()
    audit.record(actor=actor, action="billing.statement.imported", target=statement, batch_id=batch,
                 after={"format": file_format, "filename": statement.filename, "rows": statement.rows,
                        "matched": statement.matched, "unmatched": statement.unmatched,
                        "ambiguous": statement.ambiguous, "duplicate": statement.duplicate})
    _register_plans(actor=actor, society=society, statement=statement, rows=rows, plans=plans, batch=batch)
    return statement


def _register_plans(*, actor, society, statement, rows, plans, batch) -> None:
    """Register the matched rows' payments: receipt numbers taken in one go (BIL-11), one receipt mail each."""
    count = sum(len(allocation) for allocation in plans.values())
    if not count:
        return
    from mail.rendering import template_source

    mail_source = template_source(society, "payment_receipt")
    receipt = numbering.take(society, numbering.RECEIPT, count)
    for position in sorted(plans):
        row = rows[position]
        for invoice, amount in plans[position]:
            invoice.paid -= amount  # register_on_locked adds it back as it records the payment
            register_on_locked(actor=actor, invoice=invoice, amount=amount, method=PaymentMethod.BANK_TRANSFER,
                               paid_on=row.date, remarks=_remarks(statement, row.line), statement_row=row,
                               batch_id=batch, receipt_number=receipt, mail_source=mail_source)
            receipt += 1


@service(permission="can_write")
def statement_row_match(*, actor: Actor, row: BankStatementRow, allocations: Sequence[tuple]) -> BankStatementRow:
    """Resolve an unmatched or ambiguous row by hand: one ``bank_transfer`` payment per ``(invoice, amount)``,
    together the row's amount, all or none. A row already matched or a duplicate is refused
    (``selectors.statement_row_match_refusal``: 409 ``statement_row_already_matched`` / ``statement_row_duplicate``)."""
    check_society(actor, row.society_id)
    pairs = [(a["invoice"], a["amount"]) if isinstance(a, dict) else tuple(a) for a in allocations]
    if not pairs:
        raise DomainError("invalid", MSG_ALLOCATIONS_EMPTY, fields={"allocations": [str(MSG_ALLOCATIONS_EMPTY)]})
    ids = [getattr(inv, "pk", inv) for inv, _amount in pairs]
    for invoice_id in ids:
        if ids.count(invoice_id) > 1:
            message = MSG_ALLOCATION_TWICE % {"invoice": invoice_id}
            raise DomainError("invalid", message, fields={"allocations": [str(message)]})
    for _inv, amount in pairs:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
            raise DomainError("invalid", _("Enter an amount of 1 yen or more."), fields={"allocations": []})
    locked = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=ids, society_id=row.society_id)
              .order_by("pk")}
    for position, invoice_id in enumerate(ids):
        if invoice_id not in locked:  # a reference in the body: bad input naming it (issue 16)
            raise unknown_allocation_invoice(position)
    row = BankStatementRow.objects.select_for_update().select_related("statement").get(pk=row.pk)
    refusal = selectors.statement_row_match_refusal(row)
    if refusal is not None:
        raise refusal
    total = sum(amount for _inv, amount in pairs)
    if total != row.amount:
        message = MSG_ALLOCATION_TOTAL % {"sum": f"{total:,}", "amount": f"{row.amount:,}"}
        raise DomainError("invalid", message, fields={"allocations": [str(message)]})
    batch = audit.new_batch_id()
    payments = []
    for invoice_id, (_inv, amount) in zip(ids, pairs):
        invoice = lock_invoice(invoice_id)
        annotated = Invoice.objects.with_status().get(pk=invoice_id)
        invoice.paid, invoice.total, invoice.status = annotated.paid, annotated.total, annotated.status
        payments.append(register_on_locked(
            actor=actor, invoice=invoice, amount=amount, method=PaymentMethod.BANK_TRANSFER, paid_on=row.date,
            remarks=_remarks(row.statement, row.line), statement_row=row, batch_id=batch))
    before = {"state": row.state, "reason": row.reason, "member": row.member_id}
    members = {p.invoice.member_id for p in payments}
    previous_state = row.state
    row.state, row.reason = State.MATCHED, ""
    row.member_id = members.pop() if len(members) == 1 else row.member_id
    row.resolved_by, row.resolved_at = audit.actor_label(actor)[:255], clock.now(row.statement.society)
    row.save(update_fields=["state", "reason", "member", "resolved_by", "resolved_at"])
    statement = BankStatement.objects.select_for_update().get(pk=row.statement_id)
    setattr(statement, previous_state, getattr(statement, previous_state) - 1)
    statement.matched += 1
    statement.save(update_fields=[previous_state, "matched"])
    audit.record(actor=actor, action="billing.statement_row.matched", target=row, batch_id=batch, before=before,
                 after={"state": row.state, "member": row.member_id, "payments": [p.pk for p in payments],
                        "allocations": [{"invoice": p.invoice_id, "amount": p.amount} for p in payments]})
    return row
