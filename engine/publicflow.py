"""The flow chart as the public sees it (办事指南, seed 002 §7.3 rule 5): the steps of the running
BPMN in the order an application meets them, each with its public name and time limit, and the
ends it can reach. Posts, people, expressions and timers stay inside."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from lxml import etree

from .bpmn.parser import BPMN_NS, read_step_config
from .errors import InvalidInput

_B = f"{{{BPMN_NS}}}"
_UNITS = {"workday": "个工作日", "day": "日"}


@dataclass(frozen=True)
class PublicStep:
    name: str
    limit: str  # "5个工作日", or "" when the step sets none
    kind: str  # start / step / end


def public_steps(bpmn_xml: str | bytes, process_key: str | None = None) -> list[PublicStep]:
    """Breadth-first from the start event along the sequence flows: 申请, each user task once, and
    the end events (办结 outcomes) last. Unnamed elements and gateways are passed through."""
    data = bpmn_xml.encode() if isinstance(bpmn_xml, str) else bpmn_xml
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    processes = root.findall(f"{_B}process")
    process = next((p for p in processes if p.get("id") == process_key), processes[0] if processes else None)
    if process is None:
        return []
    nodes = {el.get("id"): el for el in process if el.get("id")}
    out: dict[str, list[str]] = {}
    for flow in process.iterfind(f"{_B}sequenceFlow"):
        out.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    starts = [el.get("id") for el in process.iterfind(f"{_B}startEvent")]
    seen, queue, steps, ends = set(starts), deque(starts), [], []
    while queue:
        node = nodes.get(queue.popleft())
        if node is None:
            continue
        tag = etree.QName(node).localname
        name = " ".join((node.get("name") or "").split())
        if tag == "userTask" and name:
            try:
                step = read_step_config(node)
                limit = f"{step.time_limit}{_UNITS.get(step.time_unit, '日')}" if step.time_limit else ""
            except InvalidInput:
                limit = ""
            steps.append(PublicStep(name, limit, "step"))
        elif tag == "endEvent" and name and name not in ends:
            ends.append(name)
        for target in out.get(node.get("id"), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return [PublicStep("提交申请", "", "start"), *steps, *(PublicStep(e, "", "end") for e in ends)]
