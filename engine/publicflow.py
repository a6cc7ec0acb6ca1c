"""The flow chart as the public sees it (办事指南, seed 002 §7.3 rule 5), drawn from the running
BPMN: the diagram as the designer laid it out (shapes, arrows and names only, as SVG), and the
same steps as text in the order an application meets them, the steps a condition decides marked
as such, and the outcomes. Posts, people, expressions, timers and internal time limits stay inside."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from html import escape

from lxml import etree

from .bpmn.parser import BPMN_NS

_B = f"{{{BPMN_NS}}}"
_DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
_DC = "{http://www.omg.org/spec/DD/20100524/DC}"
_OMGDI = "{http://www.omg.org/spec/DD/20100524/DI}"
_PARSER = dict(resolve_entities=False, no_network=True, huge_tree=False)
ACTIVITIES = {"userTask", "task", "serviceTask", "scriptTask", "manualTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}


@dataclass(frozen=True)
class PublicStep:
    name: str
    kind: str  # start / step / end
    conditional: bool = False  # reached only where a gateway decides (视情况)


def _process(root, process_key: str | None):
    processes = root.findall(f"{_B}process")
    return next((p for p in processes if p.get("id") == process_key), processes[0] if processes else None)


def _name(node) -> str:
    return " ".join((node.get("name") or "").split())


def public_steps(bpmn_xml: str | bytes, process_key: str | None = None, applied: bool = True) -> list[PublicStep]:
    """Breadth-first from the start event along the sequence flows: 提交申请, each named activity
    once (marked when a gateway's choice leads to it), and the named end events last; in the
    diagram's left-to-right order where the file has a diagram. ``applied``: the case begins with
    an application (not with the office's own 立案)."""
    data = bpmn_xml.encode() if isinstance(bpmn_xml, str) else bpmn_xml
    root = etree.fromstring(data, etree.XMLParser(**_PARSER))
    process = _process(root, process_key)
    if process is None:
        return []
    nodes = {el.get("id"): el for el in process if el.get("id")}
    out: dict[str, list[str]] = {}
    into: dict[str, list[str]] = {}
    for flow in process.iterfind(f"{_B}sequenceFlow"):
        out.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
        into.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))

    starts = [el.get("id") for el in process.iterfind(f"{_B}startEvent")]
    finals = {el.get("id") for el in process.iterfind(f"{_B}endEvent")}

    def decided(node_id: str) -> bool:
        """An application can end without passing this step (a gateway decides whether it comes)."""
        seen_, queue_ = set(starts), deque(starts)
        while queue_:
            current = queue_.popleft()
            if current in finals:
                return True
            for target in out.get(current, []):
                if target != node_id and target not in seen_:
                    seen_.add(target)
                    queue_.append(target)
        return False

    seen, queue, steps, ends = set(starts), deque(starts), [], []
    while queue:
        node = nodes.get(queue.popleft())
        if node is None:
            continue
        tag, name = etree.QName(node).localname, _name(node)
        if tag in ACTIVITIES and name:
            steps.append(PublicStep(name, "step", decided(node.get("id"))))
        elif tag == "endEvent" and name and name not in ends:
            ends.append(name)
        for target in out.get(node.get("id"), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    where = {}
    for shape in root.iter(f"{_DI}BPMNShape"):
        bounds = shape.find(f"{_DC}Bounds")
        node = nodes.get(shape.get("bpmnElement"))
        if bounds is not None and node is not None and _name(node):
            where.setdefault(_name(node), (float(bounds.get("x", 0)), float(bounds.get("y", 0))))
    if where:
        steps.sort(key=lambda step: where.get(step.name, (float("inf"), 0)))
    first = [PublicStep("提交申请", "start")] if applied else []
    return [*first, *steps, *(PublicStep(e, "end") for e in ends)]


def _reached(process) -> set[str]:
    """The elements an application passes through: from the start events along the sequence flows
    (a boundary timer's branch, a reminder to staff, is not reached)."""
    out: dict[str, list[str]] = {}
    for flow in process.iterfind(f"{_B}sequenceFlow"):
        out.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    reached = {el.get("id") for el in process.iterfind(f"{_B}startEvent")}
    queue = deque(reached)
    while queue:
        for target in out.get(queue.popleft(), []):
            if target not in reached:
                reached.add(target)
                queue.append(target)
    return reached


def _lines(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)][:3] or [""]


def diagram_svg(bpmn_xml: str | bytes, process_key: str | None = None, title: str = "办理流程图") -> str:
    """The process's diagram as the designer drew it, as inline SVG: activities, events, gateways
    and arrows with their names; nothing else of the file (every text escaped). Empty when the
    file has no diagram."""
    data = bpmn_xml.encode() if isinstance(bpmn_xml, str) else bpmn_xml
    root = etree.fromstring(data, etree.XMLParser(**_PARSER))
    process = _process(root, process_key)
    if process is None:
        return ""
    nodes = {el.get("id"): el for el in process.iter() if el.get("id")}
    shown = _reached(process)  # an application's path: a timer's reminder to staff is not part of it
    shapes, edges, xs, ys = [], [], [], []
    for shape in root.iter(f"{_DI}BPMNShape"):
        node, bounds = nodes.get(shape.get("bpmnElement")), shape.find(f"{_DC}Bounds")
        if node is None or bounds is None or node.get("id") not in shown:
            continue
        x, y, w, h = (float(bounds.get(k, 0)) for k in ("x", "y", "width", "height"))
        shapes.append((etree.QName(node).localname, _name(node), x, y, w, h))
        xs += [x, x + w]
        ys += [y, y + h + 30]
    for edge in root.iter(f"{_DI}BPMNEdge"):
        node = nodes.get(edge.get("bpmnElement"))
        if node is None or etree.QName(node).localname != "sequenceFlow" or node.get("sourceRef") not in shown:
            continue
        points = [(float(p.get("x", 0)), float(p.get("y", 0))) for p in edge.iterfind(f"{_OMGDI}waypoint")]
        if len(points) >= 2:
            edges.append((_name(node), points))
            xs += [p[0] for p in points]
            ys += [p[1] for p in points]
    if not shapes:
        return ""
    left, top = min(xs) - 20, min(ys) - 20
    width, height = max(xs) - left + 20, max(ys) - top + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram" role="img" aria-labelledby="flow-title" '
             f'viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}">',
             f'<title id="flow-title">{escape(title)}</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1b1b1b"/></marker></defs>']
    for name, points in edges:
        path = " ".join(f"{x:.0f},{y:.0f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1b1b1b" stroke-width="1.5" marker-end="url(#arrow)"/>')
        if name:
            (x1, y1), (x2, y2) = points[len(points) // 2 - 1], points[len(points) // 2]
            parts.append(f'<text x="{(x1 + x2) / 2 + 4:.0f}" y="{(y1 + y2) / 2 - 6:.0f}" font-size="12" '
                         f'fill="#1b1b1b">{escape(name)}</text>')
    for kind, name, x, y, w, h in shapes:
        cx, cy = x + w / 2, y + h / 2
        if kind in ACTIVITIES:
            parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="10" fill="#fff" '
                         f'stroke="#1b1b1b" stroke-width="2"/>')
            lines = _lines(name, max(int(w // 14), 2))
            for i, line in enumerate(lines):
                dy = (i - (len(lines) - 1) / 2) * 16
                parts.append(f'<text x="{cx:.0f}" y="{cy + dy + 5:.0f}" font-size="13" text-anchor="middle" '
                             f'fill="#1b1b1b">{escape(line)}</text>')
            continue
        if kind in GATEWAYS:
            parts.append(f'<polygon points="{cx:.0f},{y:.0f} {x + w:.0f},{cy:.0f} {cx:.0f},{y + h:.0f} {x:.0f},{cy:.0f}" '
                         f'fill="#fff" stroke="#1b1b1b" stroke-width="2"/>')
        elif kind in EVENTS:
            stroke = 4 if kind == "endEvent" else 2
            parts.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{min(w, h) / 2:.0f}" fill="#fff" stroke="#1b1b1b" '
                         f'stroke-width="{stroke}"/>')
        else:
            continue
        if name:
            parts.append(f'<text x="{cx:.0f}" y="{y + h + 16:.0f}" font-size="12" text-anchor="middle" '
                         f'fill="#1b1b1b">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
