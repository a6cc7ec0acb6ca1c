"""Validation of a flow chart before deployment: one line per problem, never a traceback.

Rules (domain.md §3, design.md "Definitions"): safe XML; exactly one executable process with one
plain start event; every element reachable from the start and able to reach an end; every user
task has a post and a time limit; every branch out of an exclusive or inclusive gateway has a
condition or is the default; every condition, script and timer compiles in the sandbox;
elements Sunhall cannot run are refused by name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from ..errors import ExpressionError, InvalidInput
from ..sandbox import compile_expression, compile_script, is_iso_timer
from .parser import BPMN_NS, parse_specs, read_step_config
from .xmlsafe import UnsafeXml, parse_xml

log = logging.getLogger(__name__)
B = f"{{{BPMN_NS}}}"

UNSUPPORTED = {
    "complexGateway": "复杂网关", "businessRuleTask": "业务规则任务", "sendTask": "发送任务",
    "receiveTask": "接收任务", "serviceTask": "服务任务", "adHocSubProcess": "自由子流程",
    "transaction": "事务子流程", "callActivity": "调用活动",
    "messageEventDefinition": "消息事件", "signalEventDefinition": "信号事件",
    "conditionalEventDefinition": "条件事件", "compensateEventDefinition": "补偿事件",
    "linkEventDefinition": "链接事件", "cancelEventDefinition": "取消事件",
    "multipleEventDefinition": "多重事件",
}
NOT_FLOW_NODES = {
    "sequenceFlow", "laneSet", "textAnnotation", "association", "dataObject", "dataObjectReference",
    "dataStoreReference", "group", "documentation", "extensionElements", "ioSpecification", "property",
    "dataInputAssociation", "dataOutputAssociation", "category", "auditing", "monitoring",
}


@dataclass
class Problem:
    file: str
    element: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or '-'}: [{self.element or '-'}] {self.message}"


@dataclass
class ValidatedProcess:
    filename: str
    problems: list[Problem] = field(default_factory=list)
    tree: etree._ElementTree | None = None
    process_id: str | None = None
    name: str | None = None
    spec: object = None
    subprocess_specs: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _label(node) -> str:
    return " ".join((node.get("name") or node.get("id") or "").split())


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


class _Checker:
    def __init__(self, result: ValidatedProcess):
        self.result = result

    def problem(self, node, message: str) -> None:
        element = node.get("id") if node is not None else None
        line = node.sourceline if node is not None else None
        self.result.problems.append(Problem(self.result.filename, element, line, message))

    def check_container(self, container, is_process: bool) -> None:
        nodes = {}
        for child in container:
            name = _local(child.tag)
            if name and name not in NOT_FLOW_NODES and child.get("id"):
                nodes[child.get("id")] = child
        flows = [f for f in container.iterchildren(f"{B}sequenceFlow")]
        starts = [n for n in nodes.values() if _local(n.tag) == "startEvent"]
        what = "流程" if is_process else "子流程"
        if len(starts) != 1:
            self.problem(container, f"{what}必须恰好有一个开始事件，现有 {len(starts)} 个。")
        for start in starts:
            if len(start) and any(_local(c.tag).endswith("EventDefinition") for c in start):
                self.problem(start, "开始事件只能是普通开始事件（不带定时、消息等触发条件）。")
        if not any(_local(n.tag) == "endEvent" for n in nodes.values()):
            self.problem(container, f"{what}没有结束事件。")

        outgoing: dict[str, list] = {i: [] for i in nodes}
        incoming: dict[str, list] = {i: [] for i in nodes}
        for flow in flows:
            src, dst = flow.get("sourceRef"), flow.get("targetRef")
            if src not in nodes or dst not in nodes:
                self.problem(flow, f"顺序流连接了不存在的元素（{src} → {dst}）。")
                continue
            outgoing[src].append(flow)
            incoming[dst].append(flow)
        edges = {i: [f.get("targetRef") for f in outgoing[i]] for i in nodes}
        for node_id, node in nodes.items():
            if _local(node.tag) == "boundaryEvent" and node.get("attachedToRef") in edges:
                edges[node.get("attachedToRef")].append(node_id)

        for node_id, node in nodes.items():
            kind = _local(node.tag)
            if kind in UNSUPPORTED:
                self.problem(node, f"不支持的元素：{UNSUPPORTED[kind]}（bpmn:{kind}）。")
                continue
            if kind == "subProcess" and node.get("triggeredByEvent") == "true":
                self.problem(node, "不支持的元素：事件子流程（bpmn:subProcess triggeredByEvent）。")
                continue
            for ev in node.iter():
                ev_kind = _local(ev.tag)
                if ev_kind in UNSUPPORTED and ev is not node and ev_kind.endswith("EventDefinition"):
                    self.problem(node, f"不支持的元素：{UNSUPPORTED[ev_kind]}（bpmn:{ev_kind}）。")
            if kind != "endEvent" and not edges[node_id] and kind not in UNSUPPORTED:
                self.problem(node, "此元素没有出口，流程走到这里无法结束。")
            if kind == "userTask":
                self.check_user_task(node)
            elif kind == "scriptTask":
                self.check_script(node)
            elif kind in ("exclusiveGateway", "inclusiveGateway"):
                self.check_gateway(node, outgoing[node_id])
            elif kind == "subProcess":
                self.check_container(node, is_process=False)
            self.check_timers(node)

        if len(starts) == 1:
            reached = self._reach(starts[0].get("id"), edges)
            for node_id, node in nodes.items():
                if node_id not in reached and not (_local(node.tag) == "boundaryEvent"
                                                   and node.get("attachedToRef") in reached):
                    self.problem(node, "从开始事件无法到达此元素。")
        reverse: dict[str, list] = {i: [] for i in nodes}
        for src, dsts in edges.items():
            for dst in dsts:
                reverse[dst].append(src)
        ends = [i for i, n in nodes.items() if _local(n.tag) == "endEvent"]
        can_end = set()
        for end in ends:
            can_end |= self._reach(end, reverse)
        for node_id, node in nodes.items():
            if node_id not in can_end and edges[node_id]:
                self.problem(node, "从此元素出发无法到达任何结束事件。")

    @staticmethod
    def _reach(start: str, edges: dict) -> set:
        seen, stack = {start}, [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def check_user_task(self, node) -> None:
        try:
            step = read_step_config(node)
        except InvalidInput as exc:
            self.problem(node, exc.message)
            return
        label = _label(node)
        if not step.post:
            self.problem(node, f"用户任务“{label}”没有指定办理岗位（camunda:candidateGroups）。")
        if step.time_limit is None:
            self.problem(node, f"用户任务“{label}”没有设置办理时限（sunhall:timeLimit）。")

    def check_script(self, node) -> None:
        fmt = (node.get("scriptFormat") or "python").lower()
        if fmt not in ("python", "py"):
            self.problem(node, f"只支持 Python 脚本，此脚本的格式是 {fmt}。")
            return
        script = node.find(f"{B}script")
        if script is None or not (script.text or "").strip():
            self.problem(node, "脚本任务没有脚本内容。")
            return
        try:
            compile_script(script.text)
        except ExpressionError as exc:
            self.problem(node, exc.message)

    def check_gateway(self, node, outgoing: list) -> None:
        default = node.get("default")
        for flow in outgoing:
            cond = flow.find(f"{B}conditionExpression")
            text = (cond.text or "").strip() if cond is not None else ""
            if text:
                try:
                    compile_expression(text)
                except ExpressionError as exc:
                    self.problem(flow, f"分支条件“{text}”无效：{exc.message}")
            elif len(outgoing) > 1 and flow.get("id") != default:
                gw = "排他" if _local(node.tag) == "exclusiveGateway" else "包容"
                self.problem(flow, f"{gw}网关“{_label(node)}”的分支既没有条件，也不是默认分支。")

    def check_timers(self, node) -> None:
        for timer in node.iterchildren(f"{B}timerEventDefinition"):
            for part in ("timeDuration", "timeDate", "timeCycle"):
                expr = timer.find(f"{B}{part}")
                if expr is None:
                    continue
                text = (expr.text or "").strip()
                if not text:
                    self.problem(node, "定时器没有设置时间。")
                elif not is_iso_timer(text):
                    try:
                        compile_expression(text)
                    except ExpressionError as exc:
                        self.problem(node, f"定时器表达式“{text}”无效：{exc.message}")


def validate_bytes(data: bytes, filename: str = "<上传文件>", max_bytes: int = 2 * 1024 * 1024) -> ValidatedProcess:
    result = ValidatedProcess(filename=filename)
    checker = _Checker(result)
    try:
        tree = parse_xml(data, max_bytes)
    except UnsafeXml as exc:
        result.problems.append(Problem(filename, None, exc.line, exc.message))
        return result
    root = tree.getroot()
    if root.tag != f"{B}definitions":
        result.problems.append(Problem(filename, root.get("id"), root.sourceline,
                                       "根元素不是 BPMN 2.0 的 bpmn:definitions。"))
        return result
    processes = root.findall(f"{B}process")
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) != 1:
        result.problems.append(Problem(filename, None, root.sourceline,
                                       f"文件必须恰好包含一个可执行流程（isExecutable=\"true\"），现有 {len(executable)} 个。"))
        for process in processes:
            checker.check_container(process, is_process=True)
        return result
    process = executable[0]
    result.process_id, result.name = process.get("id"), process.get("name") or process.get("id")
    checker.check_container(process, is_process=True)
    if result.problems:
        return result
    try:
        result.spec, result.subprocess_specs = parse_specs(tree, result.process_id, filename)
        result.tree = tree
    except ValidationException as exc:
        result.problems.append(Problem(filename, exc.id or None, exc.line_number or None, f"流程引擎无法解析：{exc}"))
    except SpiffWorkflowException as exc:
        result.problems.append(Problem(filename, None, None, f"流程引擎无法解析：{exc}"))
    except Exception as exc:  # a library surprise must still be one line, never a traceback
        log.exception("unexpected error parsing %s", filename)
        result.problems.append(Problem(filename, None, None, f"流程引擎无法解析：{type(exc).__name__}: {exc}"))
    return result


def validate_file(path: str | Path, max_bytes: int = 2 * 1024 * 1024) -> ValidatedProcess:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            result = ValidatedProcess(filename=str(path))
            result.problems.append(Problem(str(path), None, None,
                                           f"文件大小 {size} 字节，超过上限 {max_bytes} 字节，拒绝导入。"))
            return result
        data = path.read_bytes()
    except OSError as exc:
        result = ValidatedProcess(filename=str(path))
        result.problems.append(Problem(str(path), None, None, f"无法读取文件：{exc.strerror}"))
        return result
    return validate_bytes(data, str(path), max_bytes)
