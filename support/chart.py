"""A flow's chart drawn server-side as SVG (SUP-6): seed 000's 対応方法チャート with the caller's path lit. No build
step, no script: a simple layered layout — each node on the layer of its longest path from the start, so every
edge points down — then one barycentre pass to keep children under their parents. Facts, questions and outcomes
are styled by their kind (a kind the chart does not know is drawn as ``other``);
the visited nodes and the edges taken carry the class ``on-path``, the node the case waits at ``current``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BOX_W, BOX_H = 128, 70
GAP_X, GAP_Y = 12, 40
MARGIN = 12
LINE_CHARS = 10  # full-width characters per line at the chart's font size
LINES = 4
KNOWN_KINDS = ("fact", "question", "outcome", "identity")


@dataclasses.dataclass
class Box:
    node: str
    kind: str  # fact | question | outcome | other
    title: str  # the full text (the box's tooltip)
    lines: list[str]
    layer: int
    x: float = 0.0
    y: float = 0.0
    on_path: bool = False
    current: bool = False


@dataclasses.dataclass
class Edge:
    source: str
    target: str
    label: str
    on_path: bool = False


@dataclasses.dataclass
class Chart:
    boxes: dict[str, Box]
    edges: list[Edge]
    width: float
    height: float


YES_NO = {"true": "はい", "false": "いいえ", "none": "なし", "yes": "はい", "no": "いいえ", "default": "その他"}


def edges_of(spec: Mapping, value_label: Callable[[str], str] | None = None) -> list[tuple[str, str]]:
    """``[(target, label)]`` of one node, whatever its kind: a fact's branches (values to the same target joined),
    ``next``, and options with their labels."""
    default_label = value_label or (lambda v: YES_NO.get(v, v))
    own = spec.get("value_labels") or {}  # a fact's own names of its values (``{"bank_check": "バンクチェック"}``)

    def label_of(value: str) -> str:
        return own.get(value) or default_label(value)
    out: dict[str, list[str]] = {}
    for value, target in (spec.get("branches") or {}).items():
        out.setdefault(target, []).append(label_of(value))
    for option in spec.get("options") or []:
        if "next" in option:
            out.setdefault(option["next"], []).append(option.get("label") or str(option.get("value", "")))
    if spec.get("next"):
        out.setdefault(spec["next"], [])
    return [(target, "・".join(labels)) for target, labels in out.items()]


def _wrap(text: str, width: int = LINE_CHARS, lines: int = LINES) -> list[str]:
    chunks = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    if len(chunks) > lines:
        chunks = chunks[:lines]
        chunks[-1] = chunks[-1][:-1] + "…"
    return chunks


def outcome_name(spec: Mapping) -> str:
    """What the screens call an outcome: the chart's letter (A–F, B_declined) as seed 000 names them, else — a
    code that is a developer's word (``retry_login``) — its manual section."""
    if spec.get("name"):  # an outcome's own short name, where its section does not tell it from its siblings
        return str(spec["name"])
    code = str(spec.get("code", ""))
    return code if code[:1].isupper() else str(spec.get("section", code))


def _box_text(node_id: str, spec: Mapping) -> tuple[str, list[str]]:
    kind = spec.get("kind")
    if kind == "outcome":
        name, section = outcome_name(spec), str(spec.get("section", ""))
        if name == section:
            return section, _wrap(section)
        return f"{name}: {section}", [name] + _wrap(section, lines=LINES - 1)
    text = str(spec.get("label") or spec.get("text") or node_id)
    return text, _wrap(text)


def layout(definition: Mapping, *, path: Iterable[str] = (), current: str | None = None,
           value_label: Callable[[str], str] | None = None) -> Chart:
    """Place every node of ``definition``. ``path`` is the nodes visited in order (the case's steps that still
    hold, then ``current``); consecutive ones are the edges taken."""
    nodes: Mapping[str, Mapping] = definition["nodes"]
    start = definition["start"]
    out_edges = {n: [(t, label) for t, label in edges_of(spec, value_label) if t in nodes]
                 for n, spec in nodes.items()}
    # reachable order (depth first, in the definition's order of branches) — unreachable nodes come last
    order: list[str] = []
    todo = [start]
    while todo:
        n = todo.pop()
        if n in order or n not in nodes:
            continue
        order.append(n)
        todo += [t for t, _label in reversed(out_edges[n])]
    order += [n for n in nodes if n not in order]
    # longest-path layers (Bellman-style relaxation; the flows are acyclic, bounded by the node count)
    layer = {n: 0 for n in order}
    for _round in range(len(order)):
        changed = False
        for n in order:
            for t, _label in out_edges[n]:
                if t != start and layer[t] < layer[n] + 1:
                    layer[t] = layer[n] + 1
                    changed = True
        if not changed:
            break
    rows: dict[int, list[str]] = {}
    for n in order:
        rows.setdefault(layer[n], []).append(n)
    # one barycentre pass from the top: children sorted under the mean position of their parents
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    for n in order:
        for t, _label in out_edges[n]:
            parents[t].append(n)
    position: dict[str, float] = {}
    for depth in sorted(rows):
        row = rows[depth]
        if depth > 0:
            row.sort(key=lambda n: (sum(position.get(p, 0) for p in parents[n]) / len(parents[n])
                                    if parents[n] else len(order), order.index(n)))
        for i, n in enumerate(row):
            position[n] = i - (len(row) - 1) / 2
    widest = max(len(r) for r in rows.values())
    width = 2 * MARGIN + widest * BOX_W + (widest - 1) * GAP_X
    height = 2 * MARGIN + len(rows) * BOX_H + (len(rows) - 1) * GAP_Y
    # the path in walk order: on a chain of an acyclic graph the longest-path layer grows with every step, so a fact
    # read again after an action (a later step) still lights the edge it was taken on; nodes not in the flow (a
    # gate's identity check, engine.GATE_NODE) are not drawn
    visited = sorted((n for n in path if n in nodes), key=lambda n: layer[n])
    boxes: dict[str, Box] = {}
    for n in order:
        spec = nodes[n]
        kind = spec.get("kind") if spec.get("kind") in KNOWN_KINDS else "other"
        title, lines = _box_text(n, spec)
        x = width / 2 + position[n] * (BOX_W + GAP_X) - BOX_W / 2
        y = MARGIN + layer[n] * (BOX_H + GAP_Y)
        boxes[n] = Box(node=n, kind=kind, title=title, lines=lines, layer=layer[n], x=x, y=y,
                       on_path=n in visited, current=n == current)
    taken = set(zip(visited, visited[1:]))
    edges = [Edge(source=n, target=t, label=label, on_path=(n, t) in taken)
             for n in order for t, label in out_edges[n]]
    return Chart(boxes=boxes, edges=edges, width=width, height=height)


def _edge_svg(chart: Chart, edge: Edge) -> str:
    a, b = chart.boxes[edge.source], chart.boxes[edge.target]
    x1, y1 = a.x + BOX_W / 2, a.y + BOX_H
    x2, y2 = b.x + BOX_W / 2, b.y
    mid = (y1 + y2) / 2 if b.layer == a.layer + 1 else y1 + GAP_Y / 2
    d = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid + 20:.0f} {x2:.0f},{min(mid, y2 - 20):.0f} {x2:.0f},{y2:.0f}"
    css = "chart-edge on-path" if edge.on_path else "chart-edge"
    label = ""
    if edge.label:
        # near the target and beside the line: the labels of one node's branches stay apart and off the arrows
        side = "end" if x2 < x1 else "start"
        lx, ly = x2 + (-8 if side == "end" else 8), y2 - 12
        label = (f'<text class="chart-edge-label" x="{lx:.0f}" y="{ly:.0f}" text-anchor="{side}">'
                 f"{escape(edge.label)}</text>")
    return (f'<g class="{css}" data-source="{escape(edge.source)}" data-target="{escape(edge.target)}">'
            f'<path d="{d}" marker-end="url(#chart-arrow{"-on" if edge.on_path else ""})"/>{label}</g>')


def _box_svg(box: Box) -> str:
    css = " ".join(["chart-node", box.kind] + (["on-path"] if box.on_path else []) + (["current"] if box.current else []))
    rx = 14 if box.kind == "outcome" else (2 if box.kind == "fact" else 8)
    text = "".join(
        f'<tspan x="{box.x + BOX_W / 2:.0f}" dy="{0 if i == 0 else 15}">{escape(line)}</tspan>'
        for i, line in enumerate(box.lines))
    top = box.y + BOX_H / 2 - 7.5 * (len(box.lines) - 1) + 4
    return (f'<g class="{css}" data-node="{escape(box.node)}"><title>{escape(box.title)}</title>'
            f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="{rx}"/>'
            f'<text x="{box.x + BOX_W / 2:.0f}" y="{top:.0f}" text-anchor="middle">{text}</text></g>')


def render(definition: Mapping, *, path: Iterable[str] = (), current: str | None = None,
           value_label: Callable[[str], str] | None = None, title: str = "") -> SafeString:
    """The chart as one ``<svg>`` element (styles in the case page's stylesheet)."""
    chart = layout(definition, path=path, current=current, value_label=value_label)
    arrows = "".join(
        f'<marker id="chart-arrow{suffix}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="chart-arrow{suffix}"/></marker>'
        for suffix in ("", "-on"))
    body = "".join(_edge_svg(chart, e) for e in chart.edges) + "".join(_box_svg(b) for b in chart.boxes.values())
    label = f' aria-label="{escape(title)}"' if title else ""
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-chart" role="img"{label} '
        f'viewBox="0 0 {chart.width:.0f} {chart.height:.0f}" width="{chart.width:.0f}" height="{chart.height:.0f}">'
        f"<defs>{arrows}</defs>{body}</svg>")


def case_path(steps: Iterable[Any], current: str | None) -> list[str]:
    """The nodes a case visited, in order: its steps that still hold, then the node it waits at (or its
    outcome)."""
    nodes = [s.node for s in steps if not s.superseded]
    if current and (not nodes or nodes[-1] != current):
        nodes.append(current)
    return nodes


# --- bars of the dashboard 「サポートの集計」 (SUP-10) -----------------------------------------------------------------

BAR_LABEL_W, BAR_W, BAR_ROW_H, BAR_VALUE_W = 190, 380, 26, 90
BAR_LABEL_CHARS = 14  # full-width characters of a label before it is cut (the full text is the row's tooltip)


@dataclasses.dataclass
class Bar:
    key: str  # the outcome code or node id (``data-key``)
    label: str
    segments: list[tuple[str, float]]  # (css class, value), stacked left to right
    value_text: str  # shown after the bar
    title: str = ""  # the tooltip (the full label)


def _cut(text: str, chars: int) -> str:
    width = 0.0
    for i, ch in enumerate(text):
        width += 1 if ord(ch) > 0x2E7F else 0.55
        if width > chars:
            return text[:i] + "…"
    return text


def bars(rows: list[Bar], *, title: str, legend: Iterable[tuple[str, str]] = ()) -> SafeString:
    """Horizontal bars, one row per item, longest scale = the largest total; stacked segments styled by class
    (styles in the console's stylesheet). An empty list draws a one-line "—" chart."""
    legend = list(legend)
    top = 22 if legend else 4
    height = top + max(len(rows), 1) * BAR_ROW_H + 4
    width = BAR_LABEL_W + BAR_W + BAR_VALUE_W
    scale = max((sum(v for _c, v in r.segments) for r in rows), default=0) or 1
    parts = []
    x = BAR_LABEL_W
    for css, text in legend:
        parts.append(f'<g class="bar-legend {escape(css)}"><rect x="{x}" y="4" width="12" height="12"/>'
                     f'<text x="{x + 16}" y="14">{escape(text)}</text></g>')
        x += 28 + sum(11 if ord(ch) > 0x2E7F else 7 for ch in text)
    for i, row in enumerate(rows):
        y = top + i * BAR_ROW_H
        segs, left = [], float(BAR_LABEL_W)
        for css, value in row.segments:
            if value <= 0:
                continue
            w = BAR_W * value / scale
            segs.append(f'<rect class="bar {escape(css)}" x="{left:.1f}" y="{y + 4}" width="{max(w, 1):.1f}" '
                        f'height="{BAR_ROW_H - 8}"/>')
            left += w
        parts.append(
            f'<g class="bar-row" data-key="{escape(row.key)}"><title>{escape(row.title or row.label)}</title>'
            f'<text class="bar-label" x="{BAR_LABEL_W - 6}" y="{y + BAR_ROW_H / 2 + 4:.0f}" text-anchor="end">'
            f'{escape(_cut(row.label, BAR_LABEL_CHARS))}</text>{"".join(segs)}'
            f'<text class="bar-value" x="{left + 6:.1f}" y="{y + BAR_ROW_H / 2 + 4:.0f}">'
            f'{escape(row.value_text)}</text>'
            f"</g>")
    if not rows:
        parts.append(f'<text class="bar-label" x="{BAR_LABEL_W}" y="{top + BAR_ROW_H / 2 + 4:.0f}">—</text>')
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="stats-bars" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">{"".join(parts)}</svg>')
