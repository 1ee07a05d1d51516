"""Every write of the support console (DESIGN.md): publishing flow versions, starting a case, answering,
stepping back, running an outcome's action, adding a note. Keyword-only, actor first, atomic, audited.

A case is pinned to the flow version it started on (SUP-7). After every answer the engine walks again with
the facts read afresh from the record (``_advance``), so ``current`` is always the next thing only a person
can say; a step that no longer holds (stepped back, a fact that changed) is kept, marked superseded."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backoffice import audit, clock, text
from backoffice.errors import Conflict, DomainError, NotFound, error_body
from backoffice.services import Actor, DryRun, check_society, dry_run, is_system_actor, service
from members import selectors as member_selectors

from . import engine, registry
from .context import CaseContext
from .flows import SHIPPED
from .identity import case_disclose_refusal, identity_refusal, identity_step
from .models import Case, CaseAction, CaseNote, CaseStep, FlowVersion

def procedure_ids() -> set[str]:
    """The guided procedures an outcome may offer (``engine.check``'s ``procedures``)."""
    from .procedures import procedure_list

    return {p["id"] for p in procedure_list()}


MSG_UNKNOWN_FLOW = _("Unknown flow: %(flow)s")
MSG_NODE_NOT_CURRENT = _("This case is not waiting for an answer to %(node)s; reload the case.")
MSG_BAD_ANSWER = _("Choose one of the options: %(options)s")
MSG_NOT_ON_PATH = _("%(node)s is not an answered question of this case.")
MSG_ACTION_NOT_OFFERED = _("The action %(action)s is not offered by this case's outcome.")
MSG_ACTION_NEEDS_MEMBER = _("This action needs the caller's member record; the case has none.")
MSG_PARAMS_REQUIRED = _("This field is required.")
MSG_PARAMS_UNKNOWN = _("Unknown parameter.")
MSG_PARAMS_TEXT = _("Enter text.")
MSG_NOTE_REQUIRED = _("Write the note.")
MSG_UNKNOWN_MEMBER = _("No such member in your society.")


def _by(actor: Actor) -> str:
    return audit.actor_label(actor)[:255]


# --- flow versions ------------------------------------------------------------------------------------


def _publish(actor: Actor, definition: dict) -> FlowVersion | None:
    problems = engine.check(definition, facts=registry.FACTS, actions=registry.ACTIONS, screens=registry.SCREENS,
                            procedures=procedure_ids())
    if problems:
        raise engine.FlowError(f"{definition.get('id')}: " + "; ".join(problems))
    digest = engine.content_hash(definition)
    existing = FlowVersion.objects.filter(flow=definition["id"], version=definition["version"]).first()
    if existing is not None:
        if existing.content_hash != digest:
            raise engine.FlowError(f"{definition['id']} v{definition['version']} is published and never changes: "
                                   "give the changed definition a new version number")
        return None
    version = FlowVersion.objects.create(flow=definition["id"], version=definition["version"],
                                         title=definition["title"], definition=definition, content_hash=digest)
    audit.record(actor=actor, action="support.flow.published", target=version,
                 after={"flow": version.flow, "version": version.version, "content_hash": digest})
    return version


@service(permission=None)
def flow_publish(*, actor: Actor, definition: dict) -> FlowVersion | None:
    """Store ``definition`` as a new FlowVersion (None when that version is already stored with this content;
    a stored version with other content is a developer's mistake: ``FlowError``). Only the system publishes."""
    if not is_system_actor(actor):
        raise DomainError("permission_denied", _("Flows are published by the system."), status=403)
    return _publish(actor, definition)


@service(permission=None)
def flows_publish(*, actor: Actor) -> list[FlowVersion]:
    """Every shipped definition whose version is not stored yet (``migrate`` and ``publish_flows`` call this)."""
    if not is_system_actor(actor):
        raise DomainError("permission_denied", _("Flows are published by the system."), status=403)
    return [v for v in (_publish(actor, d) for d in SHIPPED.values()) if v is not None]


MSG_OPERATOR_EMAIL_REQUIRED = _("Give the e-mail address of the operator who cannot sign in.")
MSG_PLATFORM_OPERATOR_CASES = _("The platform's account starts cases about operators who cannot sign in only; cases "
                                "about members are started by the society's own operators.")


def case_start_refusal(actor: Actor, definition: dict) -> DomainError | None:
    """Who starts a case of a flow: a society's operator any flow of it; the platform's help desk (a superuser without
    a society, seed 001's 「UTAGEサポート」) only the flows about operators — 原因⑥ is diagnosed by nobody else once a
    society's contract ends. The console offers the platform only those flows; the API answers 403 otherwise."""
    if getattr(actor, "sees_all_societies", False) and definition.get("subject") != "operator":
        return DomainError("permission_denied", MSG_PLATFORM_OPERATOR_CASES, status=403)
    return None


def _flow_version(flow: str) -> FlowVersion:
    """The latest published version of ``flow`` (the shipped one published first if it is newer)."""
    definition = SHIPPED.get(flow) if isinstance(flow, str) else None
    latest = FlowVersion.objects.filter(flow=flow).order_by("-version").first() if isinstance(flow, str) else None
    if definition is not None and (latest is None or latest.version < definition["version"]):
        latest = _publish("system: support", definition) or FlowVersion.objects.get(
            flow=flow, version=definition["version"])
    if latest is None:
        message = MSG_UNKNOWN_FLOW % {"flow": flow}
        raise DomainError("invalid", message, fields={"flow": [str(message)]})
    return latest


# --- the walk -------------------------------------------------------------------------------------------


def _context(case: Case, actor: Actor) -> CaseContext:
    return CaseContext(society=case.society, actor=actor, member=case.member, email=case.email,
                       operator_email=case.operator_email)


def _advance(case: Case, actor: Actor, *, steps: list[CaseStep] | None = None) -> engine.Walk:
    """Walk the case's pinned definition with its caller answers and the facts read now; keep the steps that
    still hold, mark the others superseded, add the new ones; set current, outcome and status."""
    now = clock.now(case.society)
    if steps is None:
        steps = list(case.steps.filter(superseded=False).order_by("id"))
    gate = engine.GATE_NODE if engine.gated(case.flow_version.definition) else None
    steps = [s for s in steps if s.node != gate]  # a gate's check is kept beside the walk, never superseded by it
    answers = {s.node: s.answer for s in steps if s.source == CaseStep.Source.CALLER}
    ctx = _context(case, actor)
    walk = engine.walk(case.flow_version.definition, answers=answers,
                       read_fact=lambda name: registry.FACTS[name](ctx))
    active = {s.node: s for s in steps}
    new: list[CaseStep] = []
    superseded: list[int] = []
    for step in walk.steps:
        old = active.pop(step.node, None)
        if old is not None and (old.source, old.answer, old.evidence) == (step.source, step.answer, step.evidence):
            continue
        if old is not None:
            superseded.append(old.pk)
        new.append(CaseStep(case=case, node=step.node, answer=step.answer, evidence=step.evidence,
                            source=step.source, at=now, by_label=_by(actor)))
    superseded += [s.pk for s in active.values()]
    if superseded:
        CaseStep.objects.filter(pk__in=superseded).update(superseded=True)
    if new:
        CaseStep.objects.bulk_create(new)
    outcome = engine.node(case.flow_version.definition, walk.outcome)["code"] if walk.outcome else ""
    # SUP-9: what the case now shows from the record, for the audit entry of the write that revealed it
    case._disclosed = [f"{s.node}: {s.evidence}" for s in new if s.source == CaseStep.Source.RECORD]
    if outcome and outcome != case.outcome:
        case._disclosed.append(f"outcome: {outcome}")
    case.current_node = walk.current or ""
    case.outcome = outcome
    case.status = Case.Status.RESOLVED if outcome else Case.Status.OPEN
    case.updated_at = now
    if case.pk is not None:
        case.save(update_fields=["current_node", "outcome", "status", "updated_at"])
    return walk


def _summary(case: Case) -> dict:
    return {"current": case.current_node or None, "outcome": case.outcome or None, "status": case.status}


def _disclosure(case: Case) -> dict:
    """SUP-9: for a flow that discloses, the audit entry names the identity check the case passed and what it
    revealed after it (the facts' evidence, the outcome). Before a gate's check nothing is told: ``disclosed`` is
    empty (the check's own entry then names everything the case shows)."""
    definition = case.flow_version.definition
    if not engine.discloses(definition):
        return {}
    check = identity_step(definition, case.steps.filter(superseded=False, source=CaseStep.Source.CALLER))
    disclosed = getattr(case, "_disclosed", []) if check is not None else []
    return {"identity": check.answer if check is not None else None, "disclosed": disclosed}


def _gate_confirm(actor: Actor, case: Case, node: str, answer: Any) -> Case:
    """A gated flow's identity check (SUP-9), answered at ``engine.GATE_NODE`` beside the walk: checked by
    ``identity_refusal`` as at an identity node; the case keeps ``{"confirmed": true, "item"}`` and stays where it
    is, and the audit entry names everything the case now lets the agent tell (the e-mail, the facts' evidence, the
    outcome)."""
    ctx = _context(case, actor)
    if identity_step(case.flow_version.definition, case.steps.filter(superseded=False, source=CaseStep.Source.CALLER)):
        raise Conflict("case_node_not_current", MSG_NODE_NOT_CURRENT % {"node": node}, fields={"node": []})
    refusal = identity_refusal(ctx, answer)
    if refusal is not None:
        raise refusal
    kept = {"confirmed": True, "item": answer["item"]}
    now = clock.now(case.society)
    CaseStep.objects.create(case=case, node=node, answer=kept, source=CaseStep.Source.CALLER, at=now,
                            by_label=_by(actor))
    facts = case.steps.filter(superseded=False, source=CaseStep.Source.RECORD).order_by("id")
    case._disclosed = ([f"email: {case.email}"] if case.email else []) + [f"{s.node}: {s.evidence}" for s in facts] \
        + ([f"outcome: {case.outcome}"] if case.outcome else [])
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    audit.record(actor=actor, action="support.case.answered", target=case, before=_summary(case),
                 after={"node": node, "answer": kept, **_summary(case), **_disclosure(case)})
    return case


def _lock(case: Case) -> Case:
    return (Case.objects.select_for_update(of=("self",)).select_related("society", "flow_version", "member",
                                                                          "member__apass")
            .get(pk=case.pk))


# --- cases ----------------------------------------------------------------------------------------------


@service(permission="can_use_support")
def case_create(*, actor: Actor, society, flow: str, member=None, email: str = "",
                operator_email: str = "") -> Case:
    """Start a case of ``flow`` (its latest published version, pinned) for ``member``, or for the caller's
    ``email`` — the member with that address, or someone not yet a member (an applicant). The facts are
    read at once, so the case already waits for the first thing only the caller can say."""
    check_society(actor, society.pk)
    if member is not None:
        check_society(actor, member.society_id)
    email = text.normalize_email(email or "")
    operator_email = text.normalize_email(operator_email or "")
    if member is None and email:
        member = member_selectors.members_of(society).filter(email=email).first()
    version = _flow_version(flow)
    refusal = case_start_refusal(actor, version.definition)
    if refusal is not None:
        raise refusal
    if version.definition.get("subject") == "operator" and not operator_email:
        raise DomainError("invalid", MSG_OPERATOR_EMAIL_REQUIRED,
                          fields={"operator_email": [str(MSG_OPERATOR_EMAIL_REQUIRED)]})
    now = clock.now(society)
    case = Case(society=society, flow_version=version, member=member,
                email=member.email if member is not None else email, operator_email=operator_email,
                created_by=None if is_system_actor(actor) else actor, created_by_label=_by(actor),
                created_at=now, updated_at=now)
    case.save()
    _advance(case, actor, steps=[])
    audit.record(actor=actor, action="support.case.created", target=case,
                 after={"flow": version.flow, "version": version.version, "member": member.pk if member else None,
                        "email": case.email, "operator_email": operator_email, **_summary(case),
                        **_disclosure(case)})
    return case


@service(permission="can_use_support")
def case_answer(*, actor: Actor, case: Case, node: str, answer: Any) -> Case:
    """The caller's answer to the question the case waits for (409 ``case_node_not_current`` for any other
    node; 400 ``invalid`` for an answer that is not one of its options). The facts are then read again.

    At an identity node (SUP-9) the answer is what the caller gave, ``{"name", "item", "value"}``, checked
    against the record by ``identity.identity_refusal`` (409 ``identity_not_confirmed``: the case stays where it
    is); the case keeps only ``{"confirmed": true, "item"}``, and the audit entry names what was then disclosed.
    A gated flow's check (``engine.GATE_NODE``) is answered the same way at any point of the walk, also once the
    outcome is reached; answered twice: 409 ``case_node_not_current``."""
    check_society(actor, case.society_id)
    case = _lock(case)
    definition = case.flow_version.definition
    if engine.gated(definition) and node == engine.GATE_NODE:
        return _gate_confirm(actor, case, node, answer)
    if not isinstance(node, str) or case.outcome or case.current_node != node:
        raise Conflict("case_node_not_current", MSG_NODE_NOT_CURRENT % {"node": node}, fields={"node": []})
    spec = engine.node(definition, node)
    if spec["kind"] == engine.IDENTITY:
        refusal = identity_refusal(_context(case, actor), answer)
        if refusal is not None:
            raise refusal
        answer = {"confirmed": True, "item": answer["item"]}
    else:
        options = engine.option_values(spec)
        if not isinstance(answer, str) or answer not in options:
            message = MSG_BAD_ANSWER % {"options": ", ".join(options)}
            raise DomainError("invalid", message, fields={"answer": [str(message)]})
    before = _summary(case)
    CaseStep.objects.create(case=case, node=node, answer=answer, source=CaseStep.Source.CALLER,
                            at=clock.now(case.society), by_label=_by(actor))
    _advance(case, actor)
    audit.record(actor=actor, action="support.case.answered", target=case, before=before,
                 after={"node": node, "answer": answer, **_summary(case), **_disclosure(case)})
    return case


@service(permission="can_use_support")
def case_back(*, actor: Actor, case: Case, node: str) -> Case:
    """Step back to an answered question (SUP-7): that answer and everything after it are kept, marked
    superseded; the case is open again and waits at ``node`` (or wherever the facts, read again, lead)."""
    check_society(actor, case.society_id)
    case = _lock(case)
    gate = engine.GATE_NODE if engine.gated(case.flow_version.definition) else None
    steps = [s for s in case.steps.filter(superseded=False).order_by("id") if s.node != gate]
    index = next((i for i, s in enumerate(steps) if s.node == node and s.source == CaseStep.Source.CALLER), None)
    if index is None:
        raise Conflict("case_node_not_on_path", MSG_NOT_ON_PATH % {"node": node}, fields={"node": []})
    before = _summary(case)
    CaseStep.objects.filter(pk__in=[s.pk for s in steps[index:]]).update(superseded=True)
    _advance(case, actor, steps=steps[:index])
    audit.record(actor=actor, action="support.case.stepped_back", target=case, before=before,
                 after={"node": node, **_summary(case), **_disclosure(case)})
    return case


def _clean_params(schema: dict, params: Any) -> dict:
    """The action's parameters against its ``params_schema`` (an object of text properties)."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise DomainError("invalid", _("Give the parameters as an object."), fields={"params": []})
    properties = schema.get("properties", {})
    errors: dict[str, list[str]] = {}
    for name in params:
        if name not in properties:
            errors[f"params.{name}"] = [str(MSG_PARAMS_UNKNOWN)]
    for name in schema.get("required", []):
        if not params.get(name):
            errors[f"params.{name}"] = [str(MSG_PARAMS_REQUIRED)]
    for name, value in params.items():
        if name in properties and not isinstance(value, str):
            errors[f"params.{name}"] = [str(MSG_PARAMS_TEXT)]
    if errors:
        first = next(iter(errors))
        raise DomainError("invalid", _("%(field)s: %(message)s") % {"field": first, "message": errors[first][0]},
                          fields=errors)
    return dict(params)


@service(permission="can_use_support")
def case_action_run(*, actor: Actor, case: Case, action: str, params: Any = None) -> tuple[Case, CaseAction]:
    """Run an action the case's outcome offers (SUP-3) through its domain service, as one act: the service's
    audit entries and the case's share one batch. A refusal of the rule is recorded in the case (``ok``
    false, its code and message) and returned, not raised: the caller answers it as the rule's 4xx.

    Before the caller's identity is confirmed in a flow that discloses (SUP-9), 409 ``identity_not_confirmed``
    (``identity.case_disclose_refusal``), nothing run and nothing recorded. After a done action the record has
    changed: the case's facts are read again (``_reread``) and those that read otherwise now are superseded by the
    new reading — the path and the outcome stay as they were; the result names them (``facts_changed``)."""
    check_society(actor, case.society_id)
    case = _lock(case)
    definition = case.flow_version.definition
    offered = {}
    if case.outcome:
        offered = {a["action"]: a for a in engine.node(definition, case.current_node).get("actions", [])}
    if action not in offered:
        message = MSG_ACTION_NOT_OFFERED % {"action": action}
        raise Conflict("action_not_offered", message, fields={"action": [str(message)]})
    refusal = case_disclose_refusal(case)
    if refusal is not None:
        raise refusal
    params = _clean_params(offered[action].get("params_schema", {}), params)
    registered = registry.ACTIONS[action]
    if registered.needs_member and case.member is None:
        raise Conflict("action_not_offered", MSG_ACTION_NEEDS_MEMBER, fields={"action": [str(MSG_ACTION_NEEDS_MEMBER)]})
    now = clock.now(case.society)
    with audit.audit_act(f"support case {case.pk}: {action}") as act:
        try:
            with transaction.atomic():
                result = registered.run(actor=actor, context=_context(case, actor), params=params)
            ok = True
        except DomainError as exc:
            ok = False
            fields = {name: [str(m) for m in msgs] for name, msgs in exc.fields.items()}
            result = {**error_body(exc.code, str(exc.message), fields), "status": exc.status}
        if ok:  # outside the refusal's handling: the action is done, whatever the reading says
            case, changed = _reread(case, actor)
            result = {**result, "facts_changed": changed}
        record = CaseAction.objects.create(case=case, action=action, params=params, ok=ok, result=result,
                                           batch_id=act.batch_id, at=now, by_label=_by(actor))
        audit.record(actor=actor, action="support.case.action", target=case,
                     after={"action": action, "params": params, "ok": ok,
                            **({"facts_changed": result["facts_changed"]} if ok else {"code": result["code"]})})
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    return case, record


def _reread(case: Case, actor: Actor) -> tuple[Case, list[str]]:
    """SUP-3: after an action, each fact the case holds read again from the record as it is now (the case and its
    member fetched afresh); a reading that differs supersedes the old one (kept, marked). The walk is not redone:
    the case keeps the path and the outcome the action was taken from. Returns the fresh case and the nodes read
    otherwise."""
    definition = case.flow_version.definition
    fresh = (Case.objects.select_related("society", "flow_version", "member", "member__apass").get(pk=case.pk))
    ctx = _context(fresh, actor)
    now = clock.now(case.society)
    old, new = [], []
    for step in case.steps.filter(superseded=False, source=CaseStep.Source.RECORD).order_by("id"):
        spec = definition["nodes"].get(step.node, {})
        if spec.get("kind") != engine.FACT:
            continue
        reading = registry.FACTS[spec["fact"]](ctx)
        if (reading.value, reading.evidence) == (step.answer, step.evidence):
            continue
        old.append(step.pk)
        new.append(CaseStep(case=fresh, node=step.node, answer=reading.value, evidence=reading.evidence,
                            source=CaseStep.Source.RECORD, at=now, by_label=_by(actor)))
    if old:
        CaseStep.objects.filter(pk__in=old).update(superseded=True)
        CaseStep.objects.bulk_create(new)
    return fresh, [s.node for s in new]


MSG_CASE_NOT_OPEN = _("This case is resolved; step back to an answer to reopen it.")


@service(permission="can_use_support")
def case_resume(*, actor: Actor, case: Case) -> tuple[Case, list[str]]:
    """Resume a case left open (SUP-10), by any agent: still on its pinned version, the facts read again; a fact
    whose value changed since it was recorded is superseded by the new reading (the old one kept). Returns the
    case and the nodes of the facts that changed (the page marks them 「前回から変化」). 409 ``case_not_open``
    for a resolved case."""
    check_society(actor, case.society_id)
    case = _lock(case)
    if case.status != Case.Status.OPEN:
        raise Conflict("case_not_open", MSG_CASE_NOT_OPEN)
    recorded = {s.node: s.answer for s in case.steps.filter(superseded=False, source=CaseStep.Source.RECORD)}
    before = _summary(case)
    _advance(case, actor)
    now_read = {s.node: s.answer for s in case.steps.filter(superseded=False, source=CaseStep.Source.RECORD)}
    changed = [node for node, value in now_read.items() if node in recorded and recorded[node] != value]
    audit.record(actor=actor, action="support.case.resumed", target=case, before=before,
                 after={"changed": changed, **_summary(case)})
    return case, changed


@service(permission="can_use_support")
def case_note_add(*, actor: Actor, case: Case, note: str) -> CaseNote:
    check_society(actor, case.society_id)
    body = (note or "").strip()
    if not body:
        raise DomainError("invalid", MSG_NOTE_REQUIRED, fields={"text": [str(MSG_NOTE_REQUIRED)]})
    record = CaseNote.objects.create(case=case, text=body[:5000], at=clock.now(case.society), by_label=_by(actor))
    audit.record(actor=actor, action="support.case.noted", target=case, after={"note": record.text})
    return record


def case_action_preview(*, actor: Actor, case: Case, action: str, params: Any = None) -> DryRun:
    """What running the action would change (SUP-3's preview): the very run, dry (``backoffice.services.dry_run``)
    — the same rules refuse, nothing stays, not even the case's record of it."""
    from .selectors import refusal_of

    def run() -> dict:
        _case, record = case_action_run(actor=actor, case=case, action=action, params=params)
        refusal = refusal_of(record)
        if refusal is not None:
            raise refusal
        return record.result

    return dry_run(run, label=f"support case {case.pk}: {action} (preview)")


@service(permission="can_use_support")
def case_procedure_record(*, actor: Actor, case: Case, procedure: str, params: Any, ok: bool, result: dict,
                          batch_id=None) -> CaseAction:
    """A guided procedure run from a case (SUP-4): written into its ``actions_taken`` as action ``procedure``
    (``support.procedures.procedure_run`` calls this inside the run's act, or after a refused run with ``ok``
    false and the refusal)."""
    check_society(actor, case.society_id)
    case = _lock(case)
    now = clock.now(case.society)
    record = CaseAction.objects.create(case=case, action="procedure", params={"procedure": procedure, **params},
                                       ok=ok, result=result, batch_id=batch_id, at=now, by_label=_by(actor))
    audit.record(actor=actor, action="support.case.action", target=case,
                 after={"action": "procedure", "procedure": procedure, "ok": ok,
                        **({} if ok else {"code": result.get("code")})})
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    return record
