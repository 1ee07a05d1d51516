"""SUP-6: the flow's chart drawn server-side (support/chart.py) — every node drawn, styled by kind, edges with
their answer labels, the path taken highlighted."""

from __future__ import annotations

import re

from support import chart
from support.flows import SHIPPED

LOGIN = SHIPPED["login-trouble"]


def drawn_nodes(svg: str) -> dict[str, str]:
    return {node: css for css, node in re.findall(r'<g class="(chart-node[^"]*)" data-node="([^"]+)"', svg)}


def test_sup6_every_node_is_drawn_by_kind():
    for definition in SHIPPED.values():
        nodes = drawn_nodes(chart.render(definition))
        assert set(nodes) == set(definition["nodes"])
        for node, css in nodes.items():
            assert definition["nodes"][node]["kind"] in css.split()


def test_sup6_layers_point_down_and_boxes_do_not_overlap():
    laid = chart.layout(LOGIN)
    for edge in laid.edges:
        assert laid.boxes[edge.target].layer > laid.boxes[edge.source].layer
    placed = [(b.x, b.y) for b in laid.boxes.values()]
    assert len(set(placed)) == len(placed)
    for b in laid.boxes.values():
        assert 0 <= b.x and b.x + chart.BOX_W <= laid.width and b.y + chart.BOX_H <= laid.height


def test_sup6_path_nodes_and_edges_taken_are_highlighted():
    path = ["sign_ins", "apass_linked", "reset_mail", "email_usable", "knows_password", "recovery_contact", "F"]
    svg = chart.render(LOGIN, path=path, current="F")
    nodes = drawn_nodes(svg)
    for node, css in nodes.items():
        assert ("on-path" in css.split()) == (node in path), node
    assert "current" in nodes["F"].split()
    taken = set(re.findall(r'<g class="chart-edge on-path" data-source="([^"]+)" data-target="([^"]+)"', svg))
    assert taken == set(zip(path, path[1:]))


def test_sup6_edges_carry_their_answer_labels():
    edges = {(e.source, e.target): e.label for e in chart.layout(LOGIN).edges}
    assert edges[("readmit", "B")] == "はい" and edges[("readmit", "B_declined")] == "いいえ"
    assert edges[("apass_linked", "reset_mail")] == "はい"
    assert edges[("sign_ins", "apass_linked")] == ""
    labelled = {(e.source, e.target): e.label for e in chart.layout(LOGIN, value_label=str.upper).edges}
    assert labelled[("status", "readmit")] == "WITHDRAWN・EXPELLED・APPLICATION_WITHDRAWN"


def test_sup6_an_unknown_kind_is_drawn_generically():
    definition = {"id": "x", "start": "check", "nodes": {
        "check": {"kind": "handover", "text": "ご本人確認", "options": [{"value": "ok", "label": "確認済み", "next": "done"}]},
        "done": {"kind": "outcome", "code": "done", "text": "…", "section": "1."}}}
    svg = chart.render(definition, path=["check", "done"])
    assert "other" in drawn_nodes(svg)["check"].split()
    assert "確認済み" in svg


def test_sup6_text_is_escaped():
    definition = {"id": "x", "start": "q", "nodes": {
        "q": {"kind": "question", "text": "<script>", "options": [{"value": "y", "label": "&", "next": "o"}]},
        "o": {"kind": "outcome", "code": "<b>", "text": "t", "section": "s"}}}
    svg = chart.render(definition)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp;" in svg


def test_sup6_case_path_skips_superseded_steps():
    class S:
        def __init__(self, node, superseded=False):
            self.node, self.superseded = node, superseded

    steps = [S("sign_ins"), S("apass_linked"), S("reset_mail"), S("email_usable", True), S("email_usable")]
    assert chart.case_path(steps, "C") == ["sign_ins", "apass_linked", "reset_mail", "email_usable", "C"]


def test_sup6_outcomes_named_by_letter_or_by_their_section():
    apass = SHIPPED["apass-lookup"]
    assert chart.outcome_name(LOGIN["nodes"]["B_declined"]) == "B_declined"
    assert chart.outcome_name(apass["nodes"]["retry_login"]) == apass["nodes"]["retry_login"]["section"]
    assert "retry_login" not in re.sub(r'data-[a-z]+="[^"]*"', "", chart.render(apass))
