"""The identity check before disclosing (SUP-9): the name and one more item the record holds — member number,
phone, postal code, affiliation. ``identity_record`` is what the engine's ``identity`` node asks through the
registry (the engine knows no members); ``identity_refusal`` is the one predicate: the service enforces it, the
screens and the API ask it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy

from backoffice.errors import Conflict, DomainError

from . import engine
from .context import CaseContext
from .registry import IDENTITY, IdentityRecord, identity

MSG_IDENTITY_SHAPE = gettext_lazy("Give the caller's name, the item and its value.")
MSG_IDENTITY_ITEM = gettext_lazy("Choose an item the record holds: %(items)s")
MSG_IDENTITY_MISMATCH = gettext_lazy("The name or the item the caller gave does not match the record; "
                                     "do not tell the caller anything from the record.")

_DIGITS_ONLY = {"phone", "postal_code"}

#: the items an identity check may ask, with their names on the screens
ITEM_LABELS = {"member_number": gettext_lazy("member number"), "phone": gettext_lazy("phone"),
               "postal_code": gettext_lazy("postal code"), "affiliation": gettext_lazy("affiliation"),
               "recovery_contact": gettext_lazy("password-reset contact")}


def _norm(value: Any, *, digits: bool = False) -> str:
    folded = unicodedata.normalize("NFKC", str(value or "")).casefold()
    return re.sub(r"\D", "", folded) if digits else re.sub(r"[\s\-‐ー－・]", "", folded)


@identity
def identity_record(ctx: CaseContext) -> IdentityRecord:
    member = ctx.member
    if member is None:
        apass = ctx.apass
        items = {"recovery_contact": (str(ITEM_LABELS["recovery_contact"]), apass.recovery_contact)} \
            if apass is not None and apass.recovery_contact else {}
        return IdentityRecord(name=None, items=items)
    held = {"member_number": member.member_number, "phone": member.phone, "postal_code": member.postal_code,
            "affiliation": member.affiliation}
    return IdentityRecord(name=member.name,
                          items={code: (str(ITEM_LABELS[code]), value) for code, value in held.items() if value})


def record_of(ctx: CaseContext) -> IdentityRecord:
    return IDENTITY[0](ctx)


def identity_refusal(ctx: CaseContext, answer: Any) -> DomainError | None:
    """Does ``answer`` — ``{"name", "item", "value"}`` as the caller gave them — confirm the caller against the
    record? 400 ``invalid`` for a malformed answer or an item the record does not hold; 409
    ``identity_not_confirmed`` when the name or the value does not match (compared width-, case- and
    space-insensitively; phone and postal code by their digits). None when confirmed."""
    if not isinstance(answer, dict) or not all(isinstance(answer.get(k), str) for k in ("item", "value")) \
            or set(answer) - {"name", "item", "value"}:
        return DomainError("invalid", MSG_IDENTITY_SHAPE, fields={"answer": [str(MSG_IDENTITY_SHAPE)]})
    record = record_of(ctx)
    if answer["item"] not in record.items:
        message = MSG_IDENTITY_ITEM % {"items": ", ".join(record.items) or "—"}
        return DomainError("invalid", message, fields={"answer.item": [str(message)]})
    digits = answer["item"] in _DIGITS_ONLY
    expected = _norm(record.items[answer["item"]][1], digits=digits)
    name_ok = record.name is None or (_norm(answer.get("name")) == _norm(record.name) and _norm(record.name))
    if not name_ok or not expected or _norm(answer["value"], digits=digits) != expected:
        return Conflict("identity_not_confirmed", MSG_IDENTITY_MISMATCH,
                        fields={"answer": [str(MSG_IDENTITY_MISMATCH)]})
    return None


# --- a case's identity check: passed or not, and what waits for it -------------------------------------------

MSG_IDENTITY_FIRST = gettext_lazy("Confirm the caller's identity first (name and one item the record holds): until "
                                  "then nothing from the record is told to the caller and no action is run.")


def identity_step(definition: dict, steps) -> Any:
    """The standing (not superseded) confirmed identity check among a case's ``steps``, or None."""
    node_id = engine.identity_node(definition)
    if node_id is None:
        return None
    return next((s for s in steps if s.node == node_id and not s.superseded and s.source == "caller"
                 and engine.identity_confirmed(s.answer)), None)


def identity_state(case, steps) -> dict:
    """The case's ``identity`` (API): ``{required, confirmed}``, and ``node`` (where the check is answered),
    ``item`` (which item confirmed it) when confirmed, ``options`` (the items the record holds) while it waits."""
    definition = case.flow_version.definition
    node_id = engine.identity_node(definition)
    if node_id is None:
        return {"required": False, "confirmed": False}
    step = identity_step(definition, steps)
    state = {"required": True, "confirmed": step is not None, "node": node_id}
    if step is not None:
        state.update(item=step.answer.get("item", ""), at=step.at, by=step.by_label)
    else:
        record = record_of(CaseContext(society=case.society, actor=None, member=case.member, email=case.email))
        state["options"] = [{"value": code, "label": str(label)} for code, (label, _value) in record.items.items()]
    return state


def case_disclose_refusal(case, steps=None) -> Conflict | None:
    """SUP-9, the one predicate: may this case tell the caller what the record says and run an outcome's action?
    409 ``identity_not_confirmed`` while a flow that discloses waits for its identity check (its start node, or
    its gate); None once confirmed, or for a flow that tells nothing. ``case_action_run`` enforces it; the API and
    the case page ask it (the page hides what to tell the caller and the e-mail, and disables the actions)."""
    definition = case.flow_version.definition
    if not engine.discloses(definition):
        return None
    if steps is None:
        steps = list(case.steps.filter(superseded=False, source="caller"))
    if identity_step(definition, steps) is not None:
        return None
    return Conflict("identity_not_confirmed", MSG_IDENTITY_FIRST, fields={"identity": [str(MSG_IDENTITY_FIRST)]})
