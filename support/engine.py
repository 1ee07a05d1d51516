"""The flow engine (SUP-1, SUP-7). It knows nothing of members, mails or invoices: given a flow definition
(plain JSON data, see support/flows/), the answers the caller gave so far and a way to read a fact by name, it
walks from the start — reading every fact node on the way, taking the branch of its value — until a question
nobody has answered yet (``current``) or an outcome. Run again after every answer, so that ``current`` is always
the next thing only a person can say.

Definition::

    {"id": "login-trouble", "version": 1, "title": "…", "source": {"seed": "000_….txt", "section": "…"},
     "start": "apass_linked",
     "nodes": {
        "apass_linked": {"kind": "fact", "fact": "member.apass_linked", "label": "…",
                         "branches": {"true": "email_usable", "false": "status"}},   # or "next": "…"
        "readmit": {"kind": "question", "text": "…",
                    "options": [{"value": "yes", "label": "はい", "next": "B"}, {"value": "no", …}]},
        "B": {"kind": "outcome", "code": "B", "text": "…", "section": "…",
              "actions": [{"action": "set_status_applying", "label": "…", "params_schema": {…}}]}}}

A fact's branches are keyed by its value as text (``true``/``false``, a status code, ``none`` for None);
``default`` catches the rest; ``next`` is a fact shown as evidence that does not branch; ``value_labels`` (optional)
names its values on the chart. An outcome may carry ``links`` (``[{"label", "screen"}]``: the 事務局画面 the
manual names, registered in ``registry.SCREENS``), offer ``procedures`` (ids of guided procedures, ``support/procedures/``,
checked against the ``procedures`` ``check`` is given), carry ``escalates`` (true: it sends the caller elsewhere) and
a short ``name`` for the chart where its section does not tell it from its siblings.

A flow that tells the caller anything from the record declares ``"discloses": true`` and starts with an
*identity* node (SUP-9): ``{"kind": "identity", "text": "…", "next": "…"}``. The walk stops there, as at a
question, until the answers hold ``{"confirmed": true, "item": …}`` for it; which items a record holds and how
they are compared is registered outside the engine (``registry.identity``), so nothing past it — no fact, no
outcome — is read or shown before the agent has confirmed who is calling.

A flow whose node ids and ``current.kind`` are fixed by a contract (API.md's ``login-trouble``) cannot start with an
identity node; it declares the check as a non-blocking *gate* instead: ``"discloses": true, "identity": "gate",
"identity_text": "…"``. The walk is not stopped — facts are read and questions asked as before, and ``current`` stays
``question|outcome`` — but the case records the check as an answer at the reserved node id ``identity``
(``GATE_NODE``; no node of the flow may use it), given and checked exactly as at an identity node, and kept
beside the walk, not in it (stepping back does not undo it). Until that answer holds ``{"confirmed": true}``
nothing the flow discloses is *told*: the console hides what to tell the caller and the caller's e-mail, and no
action of an outcome runs (``identity_not_confirmed``). Which a case must pass — none, its start node or the
gate — is ``identity_node(definition)``.

An outcome may say ``"escalates": true`` (a boolean): it sends the caller elsewhere (another desk, a written
enquiry) rather than resolving the call; the statistics read it. Absent means false.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

FACT, QUESTION, OUTCOME, IDENTITY = "fact", "question", "outcome", "identity"
KINDS = (FACT, QUESTION, OUTCOME, IDENTITY)
GATE = "gate"  # ``"identity": "gate"``: the identity check beside the walk (see above)
GATE_NODE = "identity"  # the node id a gate's check is answered at
RECORD, CALLER = "record", "caller"


class FlowError(Exception):
    """A definition the engine cannot walk (a developer's mistake, caught by ``check`` and the tests)."""


@dataclasses.dataclass(frozen=True)
class FactValue:
    value: Any  # a boolean, a code, a text — JSON
    evidence: str  # what the record shows, for the agent: 「鎖マークあり(2025-04-02 統合)」


@dataclasses.dataclass(frozen=True)
class Step:
    node: str
    kind: str  # fact | question | identity
    answer: Any  # the fact's value, the caller's option value, or the identity confirmation
    source: str  # record | caller
    evidence: str = ""


@dataclasses.dataclass(frozen=True)
class Walk:
    steps: list[Step]
    current: str | None  # the question to ask next, or the outcome reached
    outcome: str | None  # the outcome node reached, else None

    @property
    def facts(self) -> list[Step]:
        return [s for s in self.steps if s.kind == FACT]


def value_key(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def content_hash(definition: Mapping) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def node(definition: Mapping, node_id: str) -> Mapping:
    try:
        return definition["nodes"][node_id]
    except KeyError:
        raise FlowError(f"{definition.get('id')}: no node {node_id!r}") from None


def successors(spec: Mapping) -> list[str]:
    kind = spec["kind"]
    if kind == FACT:
        return list(dict.fromkeys(list(spec.get("branches", {}).values()) + ([spec["next"]] if "next" in spec else [])))
    if kind == QUESTION:
        return [o["next"] for o in spec["options"]]
    if kind == IDENTITY:
        return [spec["next"]] if "next" in spec else []
    return []


def identity_confirmed(answer: Any) -> bool:
    return isinstance(answer, Mapping) and answer.get("confirmed") is True


def discloses(definition: Mapping) -> bool:
    return bool(definition.get("discloses"))


def gated(definition: Mapping) -> bool:
    """Does the flow check the caller's identity as a gate beside the walk (not as its start node)?"""
    return discloses(definition) and definition.get("identity") == GATE


def identity_node(definition: Mapping) -> str | None:
    """The node id a case of this flow confirms the caller's identity at: the gate's ``GATE_NODE``, the start node
    of a flow that discloses, or None when the flow tells the caller nothing from the record."""
    if not discloses(definition):
        return None
    if gated(definition):
        return GATE_NODE
    return definition.get("start")


def identity_spec(definition: Mapping) -> Mapping | None:
    """The identity check's node spec (``kind``, ``label``, ``text``): the start node's, or the gate's."""
    node_id = identity_node(definition)
    if node_id is None:
        return None
    if gated(definition):
        return {"kind": IDENTITY, "label": definition.get("identity_label", ""), "text": definition.get("identity_text", "")}
    return definition["nodes"].get(node_id)


def option_values(spec: Mapping) -> list[str]:
    return [o["value"] for o in spec.get("options", [])]


def fact_next(spec: Mapping, value: Any) -> str:
    if "next" in spec:
        return spec["next"]
    branches = spec.get("branches", {})
    key = value_key(value)
    if key in branches:
        return branches[key]
    if "default" in branches:
        return branches["default"]
    raise FlowError(f"fact {spec.get('fact')!r}: no branch for value {key!r}")


def walk(definition: Mapping, *, answers: Mapping[str, Any], read_fact: Callable[[str], FactValue]) -> Walk:
    """Walk ``definition`` from its start with the caller's ``answers`` ({question node: option value}); facts are
    read through ``read_fact(fact name)``. A question whose answer is not in ``answers`` (or not one of its
    options) stops the walk there."""
    steps: list[Step] = []
    seen: set[str] = set()
    current = definition["start"]
    while True:
        if current in seen:
            raise FlowError(f"{definition.get('id')}: the walk came back to {current!r}")
        seen.add(current)
        spec = node(definition, current)
        kind = spec["kind"]
        if kind == OUTCOME:
            return Walk(steps=steps, current=current, outcome=current)
        if kind == FACT:
            fact = read_fact(spec["fact"])
            steps.append(Step(node=current, kind=FACT, answer=fact.value, source=RECORD, evidence=fact.evidence))
            current = fact_next(spec, fact.value)
            continue
        answer = answers.get(current)
        if kind == IDENTITY:
            if not identity_confirmed(answer):
                return Walk(steps=steps, current=current, outcome=None)
            steps.append(Step(node=current, kind=IDENTITY, answer=answer, source=CALLER))
            current = spec["next"]
            continue
        options = {o["value"]: o for o in spec["options"]}
        if answer not in options:
            return Walk(steps=steps, current=current, outcome=None)
        steps.append(Step(node=current, kind=QUESTION, answer=answer, source=CALLER))
        current = options[answer]["next"]


def _link_problems(node_id: str, links: Any, screens: Mapping[str, Any]) -> list[str]:
    """An outcome's ``links``: the screens the manual names, ``[{"label": "[個人会員送信済みメール]", "screen": …}]``."""
    if not isinstance(links, list):
        return [f"{node_id}: links is a list"]
    problems = []
    for link in links:
        if not isinstance(link, Mapping) or not isinstance(link.get("label"), str) or not link.get("label") \
                or not isinstance(link.get("screen"), str) or set(link) - {"label", "screen"}:
            problems.append(f"{node_id}: a link is {{label, screen}}")
        elif screens and link["screen"] not in screens:
            problems.append(f"{node_id}: unknown screen {link['screen']!r}")
    return problems


def _check_procedures(node_id: str, spec: Mapping, procedures: Mapping[str, Any]) -> list[str]:
    """An outcome's ``procedures``: the guided procedures it offers (SUP-4), a list of known, distinct ids."""
    offered = spec.get("procedures", [])
    if not isinstance(offered, list) or not all(isinstance(p, str) for p in offered):
        return [f"{node_id}: procedures is a list of procedure ids"]
    problems = [f"{node_id}: unknown procedure {p!r}" for p in offered if procedures and p not in procedures]
    if len(set(offered)) != len(offered):
        problems.append(f"{node_id}: a procedure is offered twice")
    return problems


def check(definition: Mapping, *, facts: Mapping[str, Any] = (), actions: Mapping[str, Any] = (),
          screens: Mapping[str, Any] = (), procedures: Mapping[str, Any] = ()) -> list[str]:
    """What is wrong with a definition: unknown kinds, dangling edges, unknown fact, action, screen or guided
    procedure names, nodes no walk can reach, yes/no questions without ``yes``/``no``, an outcome's ``links`` not a
    list of ``{label, screen}``, its ``procedures`` not a list of procedure ids, its ``escalates`` not a boolean.
    Empty when it is fine."""
    problems: list[str] = []
    nodes = definition.get("nodes", {})
    for key in ("id", "version", "title", "source", "start", "nodes"):
        if key not in definition:
            problems.append(f"missing {key}")
    if definition.get("start") not in nodes:
        problems.append("start is not a node")
    for node_id, spec in nodes.items():
        kind = spec.get("kind")
        if kind not in KINDS:
            problems.append(f"{node_id}: unknown kind {kind!r}")
            continue
        for target in successors(spec):
            if target not in nodes:
                problems.append(f"{node_id}: leads to unknown node {target!r}")
        if kind == FACT:
            if facts and spec.get("fact") not in facts:
                problems.append(f"{node_id}: unknown fact {spec.get('fact')!r}")
            if not spec.get("branches") and "next" not in spec:
                problems.append(f"{node_id}: a fact leads nowhere")
            names = spec.get("value_labels", {})
            if not isinstance(names, Mapping) or not all(k in spec.get("branches", {}) and isinstance(v, str)
                                                         for k, v in names.items()):
                problems.append(f"{node_id}: value_labels name branch values")
        elif kind == QUESTION:
            if not spec.get("options") or not spec.get("text"):
                problems.append(f"{node_id}: a question needs text and options")
        elif kind == IDENTITY:
            if "next" not in spec or not spec.get("text"):
                problems.append(f"{node_id}: an identity check needs text and next")
        else:
            for key in ("code", "text", "section"):
                if not spec.get(key):
                    problems.append(f"{node_id}: an outcome needs {key}")
            if not isinstance(spec.get("escalates", False), bool):  # SUP-10: the dashboard's 「エスカレーション」
                problems.append(f"{node_id}: escalates is true or false")
            for offered in spec.get("actions", []):
                if actions and offered.get("action") not in actions:
                    problems.append(f"{node_id}: unknown action {offered.get('action')!r}")
            problems += _link_problems(node_id, spec.get("links", []), screens)
            problems += _check_procedures(node_id, spec, procedures)
            if "name" in spec and not (isinstance(spec["name"], str) and spec["name"]):
                problems.append(f"{node_id}: an outcome's name is a text")
    if "identity" in definition and definition["identity"] != GATE:
        problems.append(f"identity is {GATE!r} or absent")
    if gated(definition):
        if not definition.get("identity_text"):
            problems.append("an identity gate needs identity_text")
        if GATE_NODE in nodes:
            problems.append(f"a gated flow has no node {GATE_NODE!r} (the gate's check is answered there)")
    elif definition.get("identity") == GATE:
        problems.append("an identity gate is for a flow that discloses")
    elif discloses(definition) and nodes.get(definition.get("start"), {}).get("kind") != IDENTITY:
        problems.append("a flow that discloses starts with an identity check")
    reachable, todo = set(), [definition.get("start")]
    while todo:
        node_id = todo.pop()
        if node_id in reachable or node_id not in nodes:
            continue
        reachable.add(node_id)
        todo += successors(nodes[node_id])
    problems += [f"{n}: unreachable" for n in nodes if n not in reachable]
    return problems
