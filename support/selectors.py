"""Reads of the support console: the flows, a case as API.md's Case shape, the case's refusal."""

from __future__ import annotations

import dataclasses
import datetime
import statistics

from django.db.models import Count, ExpressionWrapper, F, Field, Func, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from backoffice import clock
from backoffice.errors import DomainError, NotFound

from . import engine, registry
from .context import CaseContext
from .flows import SHIPPED
from .identity import identity_state, record_of
from .models import Case, CaseAction, CaseStep, FlowVersion


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
        record = record_of(CaseContext(society=case.society, actor=None, member=case.member, email=case.email,
                       operator_email=case.operator_email))
        return {"node": node_id, "kind": "identity", "text": spec["text"],
                "options": [{"value": code, "label": str(label)} for code, (label, _value) in record.items.items()]}
    return {"node": node_id, "kind": "question", "text": spec["text"],
            "options": [{"value": o["value"], "label": o["label"]} for o in spec["options"]]}


def outcome_links(spec: dict, case: Case) -> list[dict]:
    """An outcome's ``links`` as ``[{label, url}]``: each screen the manual names (registered by support/links.py),
    for the case's member or address; a screen no longer registered is left out."""
    ctx = CaseContext(society=case.society, actor=None, member=case.member, email=case.email)
    return [{"label": link["label"], "url": registry.SCREENS[link["screen"]](ctx)}
            for link in spec.get("links", []) if link.get("screen") in registry.SCREENS]


def _outcome(definition: dict, node_id: str, case: Case | None = None) -> dict:
    spec = engine.node(definition, node_id)
    return {"code": spec["code"], "text": spec["text"], "section": spec["section"],
            "actions": [{"action": a["action"], "label": a["label"], "params_schema": a.get("params_schema", {})}
                        for a in spec.get("actions", [])],
            # the screens the manual names, for this case's caller (SUP-2)
            "links": outcome_links(spec, case) if case is not None else [],
            **outcome_procedures(spec)}


def outcome_procedures(spec: dict) -> dict:
    """The guided procedures an outcome offers (SUP-4): ``{"procedures": [{id, title}]}``, and ``escalates``
    when the outcome sends the caller elsewhere — both left out of an outcome that has none."""
    out: dict = {}
    if spec.get("procedures"):
        from .procedures import get_procedure

        out["procedures"] = [{"id": p, "title": get_procedure(p).title} for p in spec["procedures"]]
    if spec.get("escalates"):
        out["escalates"] = True
    return out


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
        "outcome": _outcome(definition, case.current_node, case) if case.outcome and passed else None,
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


# --- what the cases teach (SUP-10; API.md "What the cases teach") ---------------------------------------------


#: the output of the stats' computed columns: the driver's int, float or str as it is, no converter called per row
_RAW = Field()


class _Epoch(Func):
    """A time as seconds since the epoch, computed by the database (no datetime parsed per row in Python)."""

    output_field = _RAW  # a float from the driver: no converter per row

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        return super().as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
                              **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
                              **extra)


@dataclasses.dataclass(frozen=True)
class StatsQuery:
    """What the dashboard and ``GET /api/v1/support/stats/`` ask: a flow, one of its versions (or all), a period
    of case creation (dates on the society clock, both ends included, either open)."""

    flow: str
    version: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def flow_versions(flow: str) -> list[FlowVersion]:
    """The published versions of ``flow``, newest first (one query)."""
    return list(FlowVersion.objects.filter(flow=flow).order_by("-version"))


def flow_known(flow: str, versions: list[FlowVersion] | None = None) -> bool:
    return flow in SHIPPED or bool(versions if versions is not None else flow_versions(flow))


def outcome_escalates(spec: dict | None) -> bool:
    """SUP-10: an outcome escalates when its node in the case's pinned flow version says ``"escalates": true``."""
    return bool(spec) and spec.get("kind") == engine.OUTCOME and spec.get("escalates") is True


def _stats_filter(society, query: StatsQuery, versions: list[FlowVersion], prefix: str = "") -> Q:
    ids = [v.pk for v in versions if query.version is None or v.version == query.version]
    q = Q(**{f"{prefix}society_id": society.pk, f"{prefix}flow_version_id__in": ids})
    return q & created_within(society, query.date_from, query.date_to, prefix)


def created_within(society, date_from: datetime.date | None, date_to: datetime.date | None, prefix: str = "") -> Q:
    """Cases opened on the society's calendar days ``date_from`` to ``date_to`` (both kept; either may be open).

    The days are the society's own (Asia/Tokyo by default), not UTC: a case opened at 01:00 JST is that day's."""
    tz = clock.society_timezone(society)
    q = Q()
    if date_from:
        q &= Q(**{f"{prefix}created_at__gte": datetime.datetime.combine(date_from, datetime.time(), tz)})
    if date_to:
        q &= Q(**{f"{prefix}created_at__lt": datetime.datetime.combine(
            date_to + datetime.timedelta(days=1), datetime.time(), tz)})
    return q


def stats_cases(operator, society, query: StatsQuery, versions: list[FlowVersion]):
    """The cases the stats count: the society's (never another's), of the flow's (chosen) version, started in the
    period on the society clock."""
    return Case.objects.visible_to(operator).filter(_stats_filter(society, query, versions))


def support_stats(operator, society, query: StatsQuery, *, versions: list[FlowVersion] | None = None) -> dict:
    """API.md's ``{flow, cases, outcomes: [{code, count, resolved, escalated, open}], drop_off: [{node, count}],
    node_time: [{node, median_seconds}]}`` and ``answered_by_record`` (the share of the steps that still hold which
    the record answered rather than the caller; None without steps). Four queries, whatever the number of cases:
    the flow's versions (unless given), the cases grouped, the steps counted, and one row per answer with its
    seconds — all computed by the database (none of the last two when no case is counted).

    - ``outcomes``: per outcome code, the cases that reached it — ``open`` while the case is open, else
      ``escalated`` when its outcome node in the case's pinned version has ``"escalates": true``, else
      ``resolved`` (so ``count = resolved + escalated + open``).
    - ``drop_off``: per node, the cases without an outcome that stopped there (the node their last step led to,
      which waits for an answer).
    - ``node_time``: per node the caller answers, the median seconds between reaching it (the step before, or the
      case's start) and answering it; every answer counts, also one later stepped back from (SUP-7). The record's
      facts are read at once and are not listed.
    """
    if versions is None:
        versions = flow_versions(query.flow)
    definitions = {v.pk: v.definition for v in versions}
    cases = stats_cases(operator, society, query, versions)
    groups = (cases.order_by().values_list("flow_version_id", "outcome", "status", "current_node")
              .annotate(n=Count("id")))
    total = 0
    outcomes: dict[str, dict] = {}
    drop_off: dict[str, int] = {}
    for version_id, outcome, status, node, n in groups:
        total += n
        if outcome:
            row = outcomes.setdefault(outcome, {"code": outcome, "count": 0, "resolved": 0, "escalated": 0, "open": 0})
            row["count"] += n
            if status == Case.Status.OPEN:
                row["open"] += n
            elif outcome_escalates(definitions.get(version_id, {}).get("nodes", {}).get(node)):
                row["escalated"] += n
            else:
                row["resolved"] += n
        elif node:
            drop_off[node] = drop_off.get(node, 0) + n
    times: dict[str, list[float]] = {}
    by_record = standing = 0
    if total:  # the cases the operator sees, read again as the steps' cases (no query when none is counted)
        steps = CaseStep.objects.filter(_stats_filter(society, query, versions, prefix="case__")).order_by()
        share = steps.filter(superseded=False).aggregate(
            standing=Count("id"), by_record=Count("id", filter=Q(source=CaseStep.Source.RECORD)))
        standing, by_record = share["standing"], share["by_record"]
        # a question is reached with the step before its answer (the facts read, the previous answer), or when the
        # case started; the database gives the seconds in between, one row per answer (an index seek for each)
        before = (CaseStep.objects.filter(case_id=OuterRef("case_id"), id__lt=OuterRef("id")).order_by("-id")
                  .values("at")[:1])
        answers = (steps.filter(source=CaseStep.Source.CALLER)
                   .values_list("node", ExpressionWrapper(
                       _Epoch("at") - _Epoch(Coalesce(Subquery(before), F("case__created_at"))), output_field=_RAW)))
        for node, seconds in answers:
            if seconds is not None:
                times.setdefault(node, []).append(max(float(seconds), 0.0))
    order = _node_order(versions)
    return {
        "flow": query.flow,
        "cases": total,
        "outcomes": sorted(outcomes.values(), key=lambda r: (-r["count"], r["code"])),
        "drop_off": [{"node": n, "count": c} for n, c in sorted(drop_off.items(), key=lambda i: (-i[1], i[0]))],
        "node_time": [{"node": n, "median_seconds": round(statistics.median(times[n]), 1)}
                      for n in sorted(times, key=lambda n: (order.get(n, len(order)), n))],
        "answered_by_record": round(by_record / standing, 4) if standing else None,
    }


def _node_order(versions: list[FlowVersion]) -> dict[str, int]:
    """Nodes in the order of the newest definition (then those only older versions have)."""
    order: dict[str, int] = {}
    for version in versions:
        for node_id in version.definition.get("nodes", {}):
            order.setdefault(node_id, len(order))
    return order
