"""SUP-1, SUP-7: the engine walks a flow's definition (data) without knowing members; every shipped flow's graph
is sound — every outcome reachable, every node used, no question asked whose answer a fact gave; a published
version never changes and a case stays on the version it started on."""

from __future__ import annotations

import copy
import itertools

import pytest

from backoffice import clock
from members.factories import create_member_with_history
from support import engine, registry, services
from support.flows import SHIPPED
from support.models import Case, FlowVersion

pytestmark = pytest.mark.django_db


def _fact_values(definition: dict) -> dict[str, list]:
    """Every value each fact node branches on (a non-branching fact: one sample value)."""
    values: dict[str, list] = {}
    for spec in definition["nodes"].values():
        if spec["kind"] != engine.FACT:
            continue
        keys = [k for k in spec.get("branches", {}) if k != "default"] or ["x"]
        decoded = [{"true": True, "false": False, "none": None}.get(k, k) for k in keys]
        values.setdefault(spec["fact"], [])
        values[spec["fact"]] += [v for v in decoded if v not in values[spec["fact"]]]
    return values


def _all_walks(definition: dict):
    """Every walk: each combination of fact values, every sequence of caller answers."""
    values = _fact_values(definition)
    names = sorted(values)
    for combo in itertools.product(*(values[n] for n in names)):
        facts = dict(zip(names, combo))

        def read(name, facts=facts):
            return engine.FactValue(facts[name], f"evidence of {name}")

        pending = [{}]
        while pending:
            answers = pending.pop()
            walk = engine.walk(definition, answers=answers, read_fact=read)
            if walk.outcome:
                yield walk
                continue
            # the walk only ever waits for the caller: never at a fact, whose answer the record gives
            kind = definition["nodes"][walk.current]["kind"]
            assert kind in (engine.QUESTION, engine.IDENTITY)
            assert walk.current not in {s.node for s in walk.steps}
            if kind == engine.IDENTITY:  # SUP-9: nothing of the record is read before it
                assert walk.steps == [] or all(s.kind != engine.FACT for s in walk.steps)
                pending.append({**answers, walk.current: {"confirmed": True, "item": "phone"}})
                continue
            for value in engine.option_values(definition["nodes"][walk.current]):
                pending.append({**answers, walk.current: value})


@pytest.mark.parametrize("flow_id", sorted(SHIPPED))
def test_sup1_every_shipped_flow_is_sound(flow_id):
    definition = SHIPPED[flow_id]
    assert engine.check(definition, facts=registry.FACTS, actions=registry.ACTIONS, screens=registry.SCREENS,
                        procedures=services.procedure_ids()) == []
    outcomes = {n for n, s in definition["nodes"].items() if s["kind"] == engine.OUTCOME}
    reached, used = set(), set()
    for walk in _all_walks(definition):
        reached.add(walk.outcome)
        used |= {s.node for s in walk.steps} | {walk.outcome}
        # a question is only ever answered by the caller, and no node is passed twice
        assert all(s.source == engine.CALLER for s in walk.steps if s.kind in (engine.QUESTION, engine.IDENTITY))
        assert all(s.source == engine.RECORD for s in walk.steps if s.kind == engine.FACT)
        assert len({s.node for s in walk.steps}) == len(walk.steps)
    assert reached == outcomes, "every outcome is reachable"
    assert used == set(definition["nodes"]), "every node is used"


def test_sup1_login_trouble_node_ids_and_outcomes_as_api_md():
    nodes = SHIPPED["login-trouble"]["nodes"]
    kinds = {n: s["kind"] for n, s in nodes.items()}
    for node, kind in [("apass_linked", "fact"), ("status", "fact"), ("readmit", "question"),
                       ("email_usable", "question"), ("knows_password", "question"), ("recovery_contact", "fact")]:
        assert kinds[node] == kind
    assert {s["code"] for s in nodes.values() if s["kind"] == "outcome"} == {"A", "B", "B_declined", "C", "D", "E", "F"}
    for spec in nodes.values():
        if spec["kind"] == "question":
            assert [o["value"] for o in spec["options"]] == ["yes", "no"]
    offered = {a["action"] for s in nodes.values() for a in s.get("actions", [])}
    assert offered == {"set_status_applying", "unlink_apass"}
    assert [a["action"] for a in nodes["F"]["actions"]] == ["unlink_apass"]
    assert nodes["F"]["actions"][0]["params_schema"]["required"] == ["new_email"]


def test_sup1_engine_reads_facts_and_stops_at_the_first_unanswered_question():
    definition = SHIPPED["login-trouble"]
    read = {"mypage.recent_sign_ins": "", "member.apass_linked": True, "mail.password_reset": "none",
            "apass.recovery_contact": False}
    walk = engine.walk(definition, answers={}, read_fact=lambda n: engine.FactValue(read[n], n))
    assert walk.current == "email_usable" and walk.outcome is None
    assert [s.node for s in walk.facts] == ["sign_ins", "apass_linked", "reset_mail"]
    walk = engine.walk(definition, answers={"email_usable": "no", "knows_password": "no"},
                       read_fact=lambda n: engine.FactValue(read[n], n))
    assert walk.outcome == "F"
    assert [s.node for s in walk.steps] == ["sign_ins", "apass_linked", "reset_mail", "email_usable",
                                           "knows_password", "recovery_contact"]


def test_sup7_a_published_version_cannot_change():
    services.flows_publish(actor="system: test")
    version = FlowVersion.objects.get(flow="login-trouble", version=SHIPPED["login-trouble"]["version"])
    version.title = "changed"
    with pytest.raises(TypeError):
        version.save()
    with pytest.raises(TypeError):
        FlowVersion.objects.filter(pk=version.pk).update(title="changed")
    changed = copy.deepcopy(SHIPPED["login-trouble"])
    changed["nodes"]["A"]["text"] = "別の文言"
    with pytest.raises(engine.FlowError):  # same version number, other content
        services.flow_publish(actor="system: test", definition=changed)
    version.refresh_from_db()
    assert version.title == SHIPPED["login-trouble"]["title"]
    assert version.content_hash == engine.content_hash(SHIPPED["login-trouble"])
    assert services.flows_publish(actor="system: test") == []  # publishing again adds nothing


def test_sup7_a_case_keeps_its_version_when_a_new_version_is_published(society, regular_type, staff_op):
    member = create_member_with_history("active", applied_on=clock.today(society).replace(year=2020),
                                        society=society, member_type=regular_type, email="ichiro@example.jp")
    shipped = SHIPPED["login-trouble"]["version"]
    first = services.case_create(actor=staff_op, society=society, flow="login-trouble", member=member)
    assert first.flow_version.version == shipped and first.outcome == "A"
    newer = copy.deepcopy(SHIPPED["login-trouble"])
    newer["version"] = shipped + 1
    newer["nodes"]["A"]["text"] = "第2版の文言"
    services.flow_publish(actor="system: test", definition=newer)
    second = services.case_create(actor=staff_op, society=society, flow="login-trouble", member=member)
    assert second.flow_version.version == shipped + 1
    first = Case.objects.get(pk=first.pk)
    assert first.flow_version.version == shipped
    assert first.flow_version.definition["nodes"]["A"]["text"] == SHIPPED["login-trouble"]["nodes"]["A"]["text"]
