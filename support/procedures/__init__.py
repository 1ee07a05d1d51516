"""Guided procedures (SUP-4, PAY-5; API.md "Guided procedures"): seed 003's multi-step corrections as one act.

A procedure is data and a plan: an id, a title, its seed 003 entry (``source``), the names of its params, a
``resolve(actor, params)`` that reads the records the params name (another society's is not found; a malformed
param 400 ``invalid``) and a ``plan(record, params)`` that returns the steps of the variant the record fits
(before / after payment, online / offline, with overpayment) — or refuses 409 ``procedure_not_applicable``
saying why. Each step is a label as the manual numbers it (「①入金履歴削除」) and a callable that calls the very
service the screen of that name calls; steps hand values on through ``Carry`` (the deleted payments with their
method, channel, ``paid_on`` and settlement number; the invoice a step made).

- ``procedure_preview``: every step (or, with ``through=k``, steps 1..k: the step-by-step mode of the procedure
  page) inside one ``backoffice.services.dry_run`` — the same rules refuse, each step's audit changes listed under
  it, and everything rolled back (no row, number, audit entry or mail stays). Its ``fingerprint`` digests the
  records the plan reads (their versions: amounts, adjustments, cancellations, live payments, member type).
- ``procedure_run``: every step in one transaction within one ``audit_act`` (one audit batch); a refused step
  raises ``StepRefused`` (the rule's error with the step's index) and nothing is changed. With ``case`` the run
  is written into the case's ``actions_taken`` (action ``procedure``) by ``support.services``. Given the
  ``fingerprint`` of the preview the agent confirmed, a run whose record has changed since (another agent acted)
  is refused 409 ``procedure_changed`` before any step: the agent previews again.

The six procedures of API.md are in ``support.procedures.billing``.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit
from backoffice.errors import Conflict, DomainError
from backoffice.services import Actor, check_actor, dry_run

SEED = "003_ce6184a7f9099b55.txt"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"

MSG_UNKNOWN_PROCEDURE = _("Unknown procedure: %(procedure)s")
MSG_PARAMS_OBJECT = _("Give the parameters as an object.")
MSG_THROUGH = _("Give the number of a step of the procedure (1 to %(count)s).")
MSG_CHANGED = _("The records of this procedure have changed since the preview (another operator may have acted); "
                "nothing was changed. Check the preview again.")


class NotApplicable(Conflict):
    """409 ``procedure_not_applicable``: the record does not fit the procedure; the message says why."""

    def __init__(self, message: Any):
        super().__init__("procedure_not_applicable", message)


class ProcedureChanged(Conflict):
    """409 ``procedure_changed``: the record is not the one the confirmed preview showed; nothing is run."""

    def __init__(self):
        super().__init__("procedure_changed", MSG_CHANGED)


class StepRefused(DomainError):
    """A step's rule refused: the rule's code, message, status and fields, and the step's ``index`` (from 1)."""

    def __init__(self, step: int, error: DomainError):
        super().__init__(error.code, error.message, status=error.status, fields=error.fields)
        self.step = step
        self.error = error


@dataclasses.dataclass
class Carry:
    """What the steps hand on to the later ones (what a person had to remember between screens)."""

    actor: Actor
    record: dict
    values: dict = dataclasses.field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


@dataclasses.dataclass(frozen=True)
class Step:
    """One step: ``action`` (the service it calls), ``name`` (the manual's words, without its number) and
    ``run(carry)``."""

    action: str
    name: str
    run: Callable[[Carry], Any]


@dataclasses.dataclass(frozen=True)
class Procedure:
    id: str
    title: str
    source: dict
    params: tuple[str, ...]
    resolve: Callable[[Actor, dict], dict]
    plan: Callable[[dict, dict], list[Step]]
    #: the invoices the record names, locked (pk order) before the plan reads them in a run
    invoices: Callable[[dict], list[int]] = lambda record: []
    #: the invoices the params name directly (all of ``invoices``), locked before the record is read so that it
    #: is read once; None: the record is read, its invoices locked, and read again
    lock_first: Callable[[dict], list[int]] | None = None
    #: the record whose page offers the procedure (``"invoice"`` or ``"payment"``; None: offered nowhere)
    subject: str | None = None
    #: the part of ``plan`` that needs no params beyond the subject (raises ``NotApplicable``); None: the plan
    fits: Callable[[dict], None] | None = None
    #: the query of the link a subject's page offers (``{"invoices": "3,5", "preview": "1"}``); None:
    #: ``{subject: pk}``
    link: Callable[[dict], dict] | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "source": self.source, "params": list(self.params)}


PROCEDURES: dict[str, Procedure] = {}


def register(procedure: Procedure) -> Procedure:
    PROCEDURES[procedure.id] = procedure
    return procedure


def procedure_list() -> list[dict]:
    """API.md: ``[{id, title, source, params: [name…]}]``."""
    _load()
    return [p.as_dict() for p in PROCEDURES.values()]


def _load() -> None:
    from . import billing  # noqa: F401  (registers the six)


def get_procedure(procedure_id: Any) -> Procedure:
    _load()
    procedure = PROCEDURES.get(procedure_id) if isinstance(procedure_id, str) else None
    if procedure is None:
        message = MSG_UNKNOWN_PROCEDURE % {"procedure": procedure_id}
        raise DomainError("invalid", message, fields={"procedure": [str(message)]})
    return procedure


#: subject → ``record_of(obj)``: the record a plan reads, from the invoice or payment a page already holds
SUBJECTS: dict[str, Callable[[Any], dict]] = {}


def procedure_offer_links(subject: str, obj: Any) -> list[tuple[Procedure, dict]]:
    """The procedures that fit ``obj`` (an invoice or payment its page shows; an invoice with ``paid`` and
    ``total`` annotated), each with the query its procedure page is opened with: each procedure of that subject
    asked by its own ``fits`` or ``plan`` — the rule is the procedure's, never copied. Nothing is run; a few
    queries whatever the procedures."""
    _load()
    record: dict | None = None
    offers = []
    for procedure in PROCEDURES.values():
        if procedure.subject != subject:
            continue
        if record is None:
            record = SUBJECTS[subject](obj)
        try:
            if procedure.fits is not None:
                procedure.fits(record)
            else:
                procedure.plan(dict(record), {})
        except DomainError:
            continue
        offers.append((procedure, procedure.link(record) if procedure.link else {subject: obj.pk}))
    return offers


def procedure_offers(subject: str, obj: Any) -> list[Procedure]:
    """The procedures of ``procedure_offer_links``."""
    return [procedure for procedure, _query in procedure_offer_links(subject, obj)]


def label(index: int, name: str) -> str:
    return f"{CIRCLED[index - 1]}{name}"


def _changes(entries) -> list[dict]:
    """One change per field of each audit entry a step's services recorded: ``{target, field, before, after}``
    (and the entry's ``action``, ``target_type`` and ``target_id``)."""
    out = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        target_type = f"{entry.target_type.app_label}.{entry.target_type.model}" if entry.target_type_id else ""
        for field in list(dict.fromkeys([*after, *before])):
            out.append({"target": entry.target_repr, "target_type": target_type, "target_id": entry.target_id,
                        "action": entry.action, "field": field, "before": before.get(field),
                        "after": after.get(field)})
    return out


def _version(value: Any) -> Any:
    """What of a record the plan read a fingerprint digests: an invoice's amounts, state and member type; a
    payment's amount, invoice and deletion; a member type's fee. Lists and tuples element by element."""
    from billing.models import Invoice, Payment
    from members.models import Member, MemberType

    if isinstance(value, (list, tuple)):
        return [_version(v) for v in value]
    if isinstance(value, Invoice):
        return ["invoice", value.pk, value.member_id, value.name, value.category, value.fiscal_year, value.amount,
                value.adjustment, value.confirmed_at, value.cancelled_at, value.member.member_type_id]
    if isinstance(value, Payment):
        return ["payment", value.pk, value.invoice_id, value.amount, value.method, value.paid_on,
                value.settlement_number, value.deleted_at]
    if isinstance(value, Member):
        return ["member", value.pk, value.member_type_id]
    if isinstance(value, MemberType):
        return ["member_type", value.pk, value.annual_fee]
    return value


def _fingerprint(procedure: Procedure, record: dict) -> str:
    """A digest of the records the plan reads (``_version`` of each, before the plan): the plan — which steps,
    which amounts — follows from them and the procedure."""
    def default(value: Any) -> str:
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        return str(value)

    data = {"procedure": procedure.id, "record": {k: _version(v) for k, v in sorted(record.items())}}
    return hashlib.sha256(json.dumps(data, default=default, sort_keys=True).encode()).hexdigest()[:32]


def _lock_invoices(actor: Actor, pks) -> set[int]:
    """Lock the invoices (pk order: two runs never wait on each other in a circle); returns the pks asked for."""
    from billing.models import Invoice

    pks = sorted(set(pks))
    if pks:
        list(Invoice.objects.visible_to(actor).select_for_update().filter(pk__in=pks).order_by("pk")
             .values_list("pk"))
    return set(pks)


def _prepare(actor: Actor, procedure_id: Any, params: Any, *, lock: bool,
             fingerprint: Any = None) -> tuple[Procedure, dict, dict, list[Step], str]:
    """The procedure, the record its params name (read again under the invoices' locks), the plan and the
    record's fingerprint; a ``fingerprint`` given that differs → ``ProcedureChanged``, before the plan."""
    procedure = get_procedure(procedure_id)
    if not isinstance(params, dict):
        raise DomainError("invalid", MSG_PARAMS_OBJECT, fields={"params": [str(MSG_PARAMS_OBJECT)]})
    locked: set[int] = set()
    if lock and procedure.lock_first is not None:
        locked = _lock_invoices(actor, procedure.lock_first(params))
    record = procedure.resolve(actor, params)
    if lock:
        pks = set(procedure.invoices(record))
        if pks - locked:
            _lock_invoices(actor, pks)
            record = procedure.resolve(actor, params)  # read again under the lock
    current = _fingerprint(procedure, record)
    if fingerprint is not None and fingerprint != current:
        raise ProcedureChanged()
    record["title"] = procedure.title  # 入金履歴削除's reason, the work memo's name
    return procedure, record, params, procedure.plan(record, params), current


def _execute(actor: Actor, record: dict, steps: list[Step], done: list[dict]) -> list[dict]:
    """Run the steps in order, appending each done step to ``done`` with the audit changes its services recorded;
    a refusal → ``StepRefused`` (the steps before it stay in ``done``)."""
    carry = Carry(actor=actor, record=record)
    for index, step in enumerate(steps, start=1):
        with audit.collect_entries() as entries:
            try:
                step.run(carry)
            except StepRefused:
                raise
            except DomainError as exc:
                raise StepRefused(index, exc) from exc
        done.append({"index": index, "action": step.action, "label": label(index, step.name),
                     "changes": _changes(entries)})
    return done


def _steps_outline(steps: list[Step]) -> list[dict]:
    return [{"index": i, "action": s.action, "label": label(i, s.name), "changes": []}
            for i, s in enumerate(steps, start=1)]


def _check_through(through: Any, steps: list[Step]) -> int:
    if through is None:
        return len(steps)
    if isinstance(through, bool) or not isinstance(through, int) or not 1 <= through <= len(steps):
        message = MSG_THROUGH % {"count": len(steps)}
        raise DomainError("invalid", message, fields={"through": [str(message)]})
    return through


def procedure_preview(*, actor: Actor, procedure: str, params: Any, through: int | None = None,
                      fingerprint: str | None = None) -> dict:
    """API.md's preview: ``{procedure, ok, steps: [{index, action, label, changes}], refused: {step, code, detail}
    | null}`` and the ``fingerprint`` of what the plan read — every step run dry; nothing is changed, no number
    used up, no mail sent. With ``through=k`` only steps 1..k are run (the later ones listed as planned, without
    changes): the step-by-step mode shows step k's changes as they follow steps 1..k-1. With ``fingerprint`` (of
    an earlier preview) a changed record raises ``ProcedureChanged`` (409 ``procedure_changed``). A procedure
    that does not fit the record raises ``NotApplicable`` (409); bad params or ``through`` 400, another society's
    record 404."""
    check_actor(actor, "can_use_support")
    found: dict = {}
    done: list[dict] = []

    def run() -> None:
        found["procedure"], record, _params, steps, found["fingerprint"] = _prepare(
            actor, procedure, params, lock=True, fingerprint=fingerprint)
        count = _check_through(through, steps)
        found["outline"] = _steps_outline(steps)
        try:
            _execute(actor, record, steps[:count], done)
        except StepRefused as exc:
            found["refused"] = exc
            raise exc.error from exc

    result = dry_run(run, label=f"procedure {procedure} (preview)")
    refused = found.get("refused")
    if result.error is not None and refused is None:  # before any step: bad params, not found, not applicable
        raise result.error
    # the steps done with their changes; after a refusal, the refused one and the rest as planned, unchanged
    steps = [*done, *found["outline"][len(done):]]
    return {"procedure": found["procedure"].id, "ok": refused is None, "steps": steps,
            "refused": None if refused is None else {"step": refused.step, "code": refused.code,
                                                      "detail": str(refused.message)},
            "fingerprint": found["fingerprint"]}


def procedure_run(*, actor: Actor, procedure: str, params: Any, case=None, fingerprint: str | None = None) -> dict:
    """API.md's run: every step in one transaction and one audit act → ``{procedure, ok: true, steps, batch}``.
    With ``fingerprint`` (the confirmed preview's) a record changed since raises ``ProcedureChanged`` (409
    ``procedure_changed``) before any step, under the invoices' locks.
    A refused step raises ``StepRefused`` (the rule's error and the step's index) and nothing is changed; with
    ``case`` the run — done, refused at a step or not applicable — is written into the case's ``actions_taken``
    (action ``procedure``; a refusal with ``ok`` false, after the rollback: the case's log, not the record)."""
    check_actor(actor, "can_use_support")
    if case is not None:
        from backoffice.services import check_society

        check_society(actor, case.society_id)
    act_label = (f"support case {case.pk}: procedure {procedure}" if case is not None else f"procedure {procedure}")
    try:
        with transaction.atomic(), audit.audit_act(act_label) as act:
            proc, record, params, steps, _current = _prepare(actor, procedure, params, lock=True,
                                                             fingerprint=fingerprint)
            done = _execute(actor, record, steps, [])
            body = {"procedure": proc.id, "ok": True, "steps": done, "batch": str(act.batch_id)}
            if case is not None:
                from support.services import case_procedure_record

                case_procedure_record(actor=actor, case=case, procedure=proc.id, params=params, ok=True,
                                      result={"steps": [s["label"] for s in done], "batch": body["batch"]},
                                      batch_id=act.batch_id)
    except (StepRefused, NotApplicable, ProcedureChanged) as exc:
        if case is not None:
            from support.services import case_procedure_record

            case_procedure_record(actor=actor, case=case, procedure=str(procedure), params=params, ok=False,
                                  result={"code": exc.code, "detail": str(exc.message),
                                          "step": getattr(exc, "step", None), "status": exc.status}, batch_id=None)
        raise
    return body
