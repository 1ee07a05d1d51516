"""Reads of the support console: the flows, a case as API.md's Case shape, the case's refusal."""

from __future__ import annotations

from backoffice.errors import DomainError, NotFound

from . import engine
from .context import CaseContext
from .flows import SHIPPED
from .identity import identity_state, record_of
from .models import Case, CaseAction, CaseStep


def flows() -> list[dict]:
    """The shipped flows: ``[{id, version, title, source}]``."""
    return [{"id": d["id"], "version": d["version"], "title": d["title"], "source": d["source"]}
            for d in SHIPPED.values()]


def visible_case(operator, case_id) -> Case:
    """A case of the operator's society (another society's is not found, SOC-2)."""
    try:
        case_id = int(case_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    case = (Case.objects.visible_to(operator).select_related("society", "flow_version", "member", "member__apass")
            .filter(pk=case_id).first())
    if case is None:
        raise NotFound()
    return case


def _current(definition: dict, node_id: str, case: Case) -> dict | None:
    if not node_id:
        return None
    spec = engine.node(definition, node_id)
    if spec["kind"] == engine.OUTCOME:
        return {"node": node_id, "kind": "outcome", "text": spec["text"], "options": []}
    if spec["kind"] == engine.IDENTITY:  # SUP-9: the options are the items the caller's record holds
        record = record_of(CaseContext(society=case.society, actor=None, member=case.member, email=case.email))
        return {"node": node_id, "kind": "identity", "text": spec["text"],
                "options": [{"value": code, "label": str(label)} for code, (label, _value) in record.items.items()]}
    return {"node": node_id, "kind": "question", "text": spec["text"],
            "options": [{"value": o["value"], "label": o["label"]} for o in spec["options"]]}


def _outcome(definition: dict, node_id: str) -> dict:
    spec = engine.node(definition, node_id)
    return {"code": spec["code"], "text": spec["text"], "section": spec["section"],
            "actions": [{"action": a["action"], "label": a["label"], "params_schema": a.get("params_schema", {})}
                        for a in spec.get("actions", [])]}


def case_detail(case: Case) -> dict:
    """API.md's Case: ``{id, flow, flow_version, status, current, facts, path, outcome, actions_taken}`` and the
    caller (member, email, operator_email), who started it and when, its notes, and ``identity: {required,
    confirmed}`` (SUP-9; ``identity.identity_state``). Before the identity check of a flow that starts with it has
    passed, nothing the record says is in it: no facts, no outcome, no fact values in the path. A gated flow
    (``engine.gated``, login-trouble v2) keeps current, facts and outcome exactly as the walk gives them — the
    gate's check is in ``identity``, not in ``path`` — and its actions wait for it (409 ``identity_not_confirmed``)."""
    definition = case.flow_version.definition
    steps = list(case.steps.order_by("id"))
    taken = list(case.actions.order_by("id"))
    labels = {n: s.get("label", "") for n, s in definition["nodes"].items()}
    identity = identity_state(case, steps)
    passed = identity["confirmed"] or not identity["required"] or engine.gated(definition)
    if engine.gated(definition):
        steps = [s for s in steps if s.node != engine.GATE_NODE]
    if not passed:
        steps = [s for s in steps if s.source == CaseStep.Source.CALLER]
    changed = fact_changes(steps)  # read again after an action or on resuming, and reading otherwise
    return {
        "id": case.pk,
        "flow": case.flow_version.flow,
        "flow_version": case.flow_version.version,
        "status": case.status,
        "member": case.member_id,
        "email": case.email,
        "operator_email": case.operator_email,
        "created_at": case.created_at,
        "created_by": case.created_by_label,
        "current": _current(definition, case.current_node, case),
        "facts": [{"node": s.node, "label": labels.get(s.node, ""), "value": s.answer, "evidence": s.evidence,
                   "previous": ({"value": changed[s.node].answer, "evidence": changed[s.node].evidence}
                                if s.node in changed else None)}
                  for s in standing_facts(steps)],
        "path": [{"node": s.node, "answer": s.answer, "source": s.source, "superseded": s.superseded, "at": s.at,
                  "by": s.by_label} for s in steps],
        "outcome": _outcome(definition, case.current_node) if case.outcome and passed else None,
        "actions_taken": [{"action": a.action, "params": a.params, "ok": a.ok, "result": a.result, "at": a.at}
                          for a in taken],
        "notes": [{"text": n.text, "at": n.at, "by": n.by_label} for n in case.notes.order_by("id")],
        "identity": identity,
    }


def refusal_of(record: CaseAction) -> DomainError | None:
    """The refusal a recorded action carries, for the API to answer with."""
    if record.ok:
        return None
    result = record.result
    return DomainError(result["code"], result["detail"], status=result.get("status", 400),
                       fields=result.get("fields") or {})


def standing_facts(steps) -> list[CaseStep]:
    """The facts that still hold, in the order the walk first read them (a fact read again after an action or on
    resuming keeps its place)."""
    steps = list(steps)
    first: dict[str, int] = {}
    for i, step in enumerate(steps):
        first.setdefault(step.node, i)
    return sorted((s for s in steps if s.source == CaseStep.Source.RECORD and not s.superseded),
                  key=lambda s: first[s.node])


def fact_changes(steps) -> dict[str, CaseStep]:
    """SUP-10's 「前回から変化」: ``{node: the earlier reading}`` of each fact that still holds and whose value differs
    from the reading it superseded (the facts read again on resuming or after an answer)."""
    current = {s.node: s for s in steps if s.source == CaseStep.Source.RECORD and not s.superseded}
    earlier: dict[str, CaseStep] = {}
    for step in steps:
        if step.source == CaseStep.Source.RECORD and step.superseded and step.node in current \
                and step.pk < current[step.node].pk:
            earlier[step.node] = step  # the latest superseded reading before the current one
    return {node: old for node, old in earlier.items() if old.answer != current[node].answer}
