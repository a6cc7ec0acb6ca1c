"""Validation of a flow chart before deployment: one line per problem, never a traceback.

Rules (domain.md §3, design.md "Definitions"): safe XML; exactly one executable process with one
plain start event; every element reachable from the start and able to reach an end; every user
task has a post and a time limit; every branch out of an exclusive or inclusive gateway has a
condition or is the default; every condition, script and timer compiles in the sandbox (which
also refuses constant operations whose result would be huge, such as ``10**10**10``); elements
Sunhall cannot run are refused by name, and so are plain and manual tasks, which nobody could
complete. Every message is Chinese and names the element by its name and id: SpiffWorkflow's and
RestrictedPython's English is translated, JUEL/FEEL conditions get the Python they should be.
"""

from __future__ import annotations

import logging
import re
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
NO_WORKER = {"task": "任务（未指定类型）", "manualTask": "手工任务"}
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


_KIND_NAMES = {"exclusiveGateway": "排他网关", "inclusiveGateway": "包容网关", "parallelGateway": "并行网关",
               "eventBasedGateway": "事件网关", "scriptTask": "脚本任务", "userTask": "用户任务",
               "boundaryEvent": "边界事件", "intermediateCatchEvent": "中间事件", "startEvent": "开始事件",
               "endEvent": "结束事件", "subProcess": "子流程", "sequenceFlow": "顺序流", **NO_WORKER}


def _named(node) -> str:
    """排他网关“是否现场核查”（g_check）: what a person reads to find the element in the diagram."""
    kind = _KIND_NAMES.get(_local(node.tag), "元素")
    name = " ".join((node.get("name") or "").split())
    return f"{kind}“{name}”（{node.get('id')}）" if name else f"{kind} {node.get('id')}"


_EL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.DOTALL)
_EL_WORDS = {"&&": " and ", "||": " or ", "eq": "==", "ne": "!=", "gt": ">", "lt": "<", "ge": ">=", "le": "<=",
             "and": "and", "or": "or", "not": "not", "true": "True", "false": "False", "null": "None"}
_EL_TOKEN = re.compile(r"('[^']*'|\"[^\"]*\")|&&|\|\||!(?!=)|\b(?:eq|ne|gt|lt|ge|le|and|or|not|true|false|null)\b")


def _python_from_el(body: str) -> str:
    """Map the simple JUEL operators to Python; string literals are left as they are."""
    def swap(match):
        if match.group(1):
            return match.group(1)
        word = match.group(0)
        return " not " if word == "!" else _EL_WORDS[word]
    return " ".join(_EL_TOKEN.sub(swap, body).split())


def expression_hint(text: str) -> str | None:
    """For a JUEL (``${approved}``, Camunda 7/Flowable) or FEEL (``= approved``, Camunda 8) condition,
    the sentence telling the designer which Python to write instead."""
    match = _EL.match(text)
    if match:
        kind, candidate = "JUEL", _python_from_el(match.group(1))
    elif text.lstrip().startswith("=") and not text.lstrip().startswith("=="):
        kind, candidate = "FEEL", " ".join(text.lstrip()[1:].split())
    else:
        return None
    try:
        compile_expression(candidate)
    except ExpressionError:
        return f"这是 {kind} 表达式，Sunhall 使用 Python 表达式，请改写为 Python（例如 approved == True）。"
    return f"这是 {kind} 表达式，Sunhall 使用 Python 表达式，请写成：{candidate}"


_SPIFF_MESSAGES = [
    (r"loopMaximum or loopCondition must be specified", "循环任务必须设置最大循环次数（loopMaximum）或循环条件（loopCondition）"),
    (r"multiinstance task must specify a cardinality or a loop input",
     "多实例任务必须设置实例数量（loopCardinality）或输入集合（loopDataInputRef）"),
    (r"multiinstance task must specify exactly one", "多实例任务只能设置实例数量和输入集合中的一个"),
    (r"loop (input|output) data reference is missing", "多实例任务引用的输入或输出集合在数据定义中不存在"),
    (r"Cancel Events may only be used with transactions", "取消事件只能用于事务子流程"),
    (r"Multiple outgoing flows are not supported", "此类元素不支持多个出口"),
    (r"no support implemented for this task type", "流程引擎不支持此类元素"),
    (r"is not executable", "流程没有标记为可执行（isExecutable=\"false\"）"),
    (r"No start event found", "没有开始事件"),
    (r"identifier is missing from bpmn xml", "消息、信号、错误或升级的定义缺少 id"),
    (r"[Cc]orrelation", "消息关联（correlation）的定义不完整"),
    (r"Data Store", "数据存储的定义不完整或没有实现"),
    (r"messageRef", "消息事件引用的消息不存在"),
]


def translate_engine_message(exc: Exception) -> str:
    """SpiffWorkflow's English reason for refusing a file, in Chinese (the original goes to the log)."""
    text = str(exc.args[0]) if exc.args else ""
    if re.search(r"[\u4e00-\u9fff]", text):
        return text  # our own parser's message (e.g. a malformed sunhall:timeLimit)
    log.info("SpiffWorkflow refused a flow: %s", exc)
    for pattern, message in _SPIFF_MESSAGES:
        if re.search(pattern, text):
            return message
    return "流程引擎无法解析此处，请检查它的设置是否符合 BPMN 2.0 规范"


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
                self.problem(node, f"不支持的元素：{UNSUPPORTED[kind]}。")
                continue
            if kind in NO_WORKER:
                self.problem(node, f"{_named(node)}在 Sunhall 中没有人能办理，办件会停在这里：请改为用户任务"
                                   "，并指定办理岗位和办理时限。")
            if kind == "intermediateCatchEvent" and node.find(f"{B}timerEventDefinition") is None and not any(
                    _local(c.tag).endswith("EventDefinition") for c in node):
                self.problem(node, f"{_named(node)}没有触发条件，办件会一直停在这里：请设置定时器或删除此事件。")
            if kind == "subProcess" and node.get("triggeredByEvent") == "true":
                self.problem(node, "不支持的元素：事件子流程（bpmn:subProcess triggeredByEvent）。")
                continue
            for ev in node.iter():
                ev_kind = _local(ev.tag)
                if ev_kind in UNSUPPORTED and ev is not node and ev_kind.endswith("EventDefinition"):
                    self.problem(node, f"不支持的元素：{UNSUPPORTED[ev_kind]}。")
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
            self.check_loops(node)
        for flow in flows:
            if flow.get("sourceRef") in nodes:
                self.check_condition(flow, nodes[flow.get("sourceRef")])

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
            self.problem(node, f"{_named(node)}：{exc.message}")
            return
        label = _label(node)
        if not step.post:
            self.problem(node, f"用户任务“{label}”没有指定办理岗位。")
        if step.time_limit is None:
            self.problem(node, f"用户任务“{label}”没有设置办理时限。")

    def check_script(self, node) -> None:
        fmt = (node.get("scriptFormat") or "python").lower()
        if fmt not in ("python", "py"):
            self.problem(node, f"{_named(node)}的脚本格式是 {fmt}，Sunhall 只支持 Python 脚本。")
            return
        script = node.find(f"{B}script")
        if script is None or not (script.text or "").strip():
            self.problem(node, f"{_named(node)}没有脚本内容。")
            return
        try:
            compile_script(script.text)
        except ExpressionError as exc:
            self.problem(node, f"{_named(node)}的脚本无效：{exc.message}")

    def compile(self, node, owner, what: str, text: str) -> None:
        """Compile one expression; a refusal names the element and, for JUEL/FEEL, gives the Python."""
        try:
            compile_expression(text)
        except ExpressionError as exc:
            reason = expression_hint(text) or exc.message
            shown = " ".join(text.split())
            shown = shown if len(shown) <= 80 else shown[:77] + "…"
            self.problem(node, f"{_named(owner)}的{what}“{shown}”无效：{reason}")

    def check_condition(self, flow, source) -> None:
        cond = flow.find(f"{B}conditionExpression")
        text = (cond.text or "").strip() if cond is not None else ""
        if not text:
            return
        where = "分支条件" if not flow.get("name") else f"分支“{' '.join(flow.get('name').split())}”（{flow.get('id')}）的条件"
        self.compile(flow, source, where, text)

    def check_gateway(self, node, outgoing: list) -> None:
        default = node.get("default")
        for flow in outgoing:
            cond = flow.find(f"{B}conditionExpression")
            text = (cond.text or "").strip() if cond is not None else ""
            if not text and len(outgoing) > 1 and flow.get("id") != default:
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
                    self.problem(node, f"{_named(node)}的定时器没有设置时间。")
                elif not is_iso_timer(text):
                    self.compile(node, node, "定时器表达式", text)

    def check_loops(self, node) -> None:
        """Loop and multi-instance (会签) settings are expressions too: they must compile."""
        for marker in ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics"):
            for loop in node.iterchildren(f"{B}{marker}"):
                for part, what in (("loopCondition", "循环条件"), ("loopCardinality", "实例数量"),
                                   ("completionCondition", "完成条件")):
                    expr = loop.find(f"{B}{part}")
                    if expr is not None and (expr.text or "").strip():
                        self.compile(node, node, what, expr.text.strip())


def executable_processes(processes: list) -> list:
    """Processes Sunhall would run. ``isExecutable="true"`` (Camunda writes it) wins; when no process
    says so, a process without the attribute counts as executable, as Flowable Modeler omits it
    and SpiffWorkflow treats it so. ``"false"`` (or xsd's ``0``) is never executable."""
    explicit = [p for p in processes if (p.get("isExecutable") or "").strip() in ("true", "1")]
    return explicit or [p for p in processes if p.get("isExecutable") is None]


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
    executable = executable_processes(processes)
    if len(executable) != 1:
        if executable:
            names = "、".join(f"“{p.get('name') or p.get('id')}”" for p in executable)
            message = (f"文件中有 {len(executable)} 个可执行流程（{names}），Sunhall 一次只部署一个：请把其余流程"
                       "设为 isExecutable=\"false\"，或拆成单独的文件。")
        else:
            message = "文件中没有可执行流程（流程都标记了 isExecutable=\"false\"）：请把要运行的流程设为可执行。"
        result.problems.append(Problem(filename, None, root.sourceline, message))
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
        node = tree.getroot().find(f".//*[@id='{exc.id}']") if exc.id and "'" not in exc.id else None
        where = _named(node) if node is not None else (f"元素“{exc.name}”（{exc.id}）" if exc.name else exc.id or "")
        line = exc.line_number or (node.sourceline if node is not None else None)
        result.problems.append(Problem(filename, exc.id or None, line or None,
                                       f"流程引擎无法解析{where}：{translate_engine_message(exc)}。"))
    except SpiffWorkflowException as exc:
        result.problems.append(Problem(filename, None, None, f"流程引擎无法解析此文件：{translate_engine_message(exc)}。"))
    except Exception:  # a library surprise must still be one Chinese line, never a traceback
        log.exception("unexpected error parsing %s", filename)
        result.problems.append(Problem(filename, None, None,
                                       "流程引擎无法解析此文件（内部错误，已记录日志），请检查文件是否符合 BPMN 2.0 规范。"))
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
