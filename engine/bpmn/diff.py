"""Comparing two versions of a flow chart (by element id), in the words a legal reviewer reads:
“新增环节“专家评审”：办理岗位 审核，时限 5 个工作日”, “删除连线：从“审核”到“决定””, posts, forms,
departments and rules by their names (the caller passes them in :class:`FlowNames`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InvalidInput
from .parser import BPMN_NS, STAGES, StepConfig, read_step_config
from .xmlsafe import parse_xml

_IGNORED = {"extensionElements", "documentation", "incoming", "outgoing", "laneSet", "lane", "flowNodeRef",
            "conditionExpression", "script", "timeDuration", "timeDate", "timeCycle"}

KIND_NAMES = {
    "userTask": "环节", "task": "任务", "scriptTask": "脚本任务", "serviceTask": "服务任务", "manualTask": "人工任务",
    "sendTask": "发送任务", "receiveTask": "接收任务", "businessRuleTask": "业务规则任务", "callActivity": "调用活动",
    "subProcess": "子流程", "transaction": "事务子流程", "adHocSubProcess": "自由子流程",
    "startEvent": "开始事件", "endEvent": "结束事件", "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件",
    "exclusiveGateway": "排他网关", "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关", "complexGateway": "复杂网关",
    "sequenceFlow": "连线", "textAnnotation": "注释", "association": "关联", "group": "分组",
    "dataObject": "数据对象", "dataObjectReference": "数据对象", "dataStoreReference": "数据存储",
}
EVENT_NAMES = {
    "timerEventDefinition": "定时", "messageEventDefinition": "消息", "signalEventDefinition": "信号",
    "errorEventDefinition": "错误", "escalationEventDefinition": "升级", "terminateEventDefinition": "终止",
    "conditionalEventDefinition": "条件", "compensateEventDefinition": "补偿", "cancelEventDefinition": "取消",
    "linkEventDefinition": "链接",
}
STAGE_NAMES = dict(zip(STAGES, ("受理（承诺时限自此起算）", "决定", "送达"), strict=True))
ACCESS_NAMES = {"write": "可填写", "read": "只读", "hidden": "隐藏"}
RISK_PARTS = (("type", "风险类型"), ("description", "风险描述"), ("measure", "防控措施"))


@dataclass(frozen=True)
class FlowNames:
    """What the codes in a flow chart are called: posts, departments, forms (and their fields),
    supervision rules and staff, each by code."""

    posts: Mapping[str, str] = field(default_factory=dict)
    departments: Mapping[str, str] = field(default_factory=dict)
    forms: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    rules: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ElementChange:
    element: str
    kind: str
    name: str
    change: str  # added / removed / changed
    details: tuple[str, ...] = ()  # attribute by attribute, for tools
    text: str = ""  # the sentence a reviewer reads


# ---------------------------------------------------------------- reading

def _local(tag) -> str:
    return tag.split("}")[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _elements(xml: bytes) -> dict[str, dict]:
    root = parse_xml(xml, 16 * 1024 * 1024).getroot()
    out = {}
    for process in root.iterfind(f"{{{BPMN_NS}}}process"):
        for el in process.iter():
            if not isinstance(el.tag, str) or not el.get("id") or el is process:
                continue
            kind = _local(el.tag)
            if kind in _IGNORED or kind.endswith("EventDefinition"):
                continue
            attrs = {k.split("}")[-1] if not k.startswith("{") else k: v for k, v in el.attrib.items() if k != "id"}
            events = []
            for child in el:
                if not isinstance(child.tag, str):
                    continue
                if child.tag.endswith("}extensionElements"):
                    for ext in child:
                        if isinstance(ext.tag, str):
                            key = f"{_local(ext.tag)}:{ext.get('name') or ''}"
                            attrs[key] = ",".join(f"{k}={v}" for k, v in sorted(ext.attrib.items()))
                elif child.tag.endswith("}conditionExpression"):
                    attrs["condition"] = (child.text or "").strip()
                elif child.tag.endswith("}script"):
                    attrs["script"] = (child.text or "").strip()
                elif child.tag.endswith("EventDefinition"):
                    attrs["event"] = _local(child.tag) + ":" + "".join((c.text or "").strip() for c in child)
                    events.append((_local(child.tag), [(_local(c.tag), (c.text or "").strip()) for c in child
                                                       if isinstance(c.tag, str)]))
            step = None
            if kind == "userTask":
                try:
                    step = read_step_config(el)
                except InvalidInput:
                    step = None
            out[el.get("id")] = {"kind": kind, "name": el.get("name") or "", "attrs": attrs, "step": step,
                                 "events": events}
    return out


def _short(key: str) -> str:
    for ns, prefix in (("{http://camunda.org/schema/1.0/bpmn}", "camunda:"), ("{urn:sunhall:bpmn:1.0}", "sunhall:")):
        key = key.replace(ns, prefix)
    return key


# ---------------------------------------------------------------- wording

def _kind(info: dict) -> str:
    kind = KIND_NAMES.get(info["kind"], "元素")
    if info["events"] and info["kind"].endswith("Event"):
        kind = EVENT_NAMES.get(info["events"][0][0], "") + kind
    return kind


def _called(info: dict | None) -> str:
    """An element as a sentence names it: “审核”, or its kind when it has no name."""
    if info is None:
        return "（不存在的元素）"
    return f"“{info['name']}”" if info["name"] else _kind(info)


def _time_limit(step: StepConfig) -> str:
    if step.time_limit is None:
        return ""
    if step.time_limit == 0:
        return "当日办结"
    return f"{step.time_limit} {'日' if step.time_unit == 'day' else '个工作日'}"


_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_UNITS = ("年", "个月", "周", "天", "小时", "分钟", "秒")


def duration_text(text: str) -> str:
    """An ISO 8601 duration in words (``P3D`` → 3天, ``R3/PT1H`` → 每1小时，共3次); anything else
    (a designer's expression) as written."""
    bare = text.strip().strip("'\"")
    repeat = re.match(r"^R(\d*)/(P.+)$", bare)
    if repeat:
        every = duration_text(repeat.group(2))
        return f"每{every}" + (f"，共{repeat.group(1)}次" if repeat.group(1) else "，不限次数")
    match = _DURATION.match(bare)
    if not match or bare in ("P", "PT"):
        return text.strip()
    return "".join(f"{n}{unit}" for n, unit in zip(match.groups(), _UNITS, strict=True) if n)


def _timer(definitions: list) -> str:
    for kind, parts in definitions:
        if kind != "timerEventDefinition":
            continue
        for part, text in parts:
            if part == "timeDuration":
                return f"等待{duration_text(text)}"
            if part == "timeCycle":
                return duration_text(text)
            if part == "timeDate":
                return f"到 {text}"
    return ""


def _step_aspects(step: StepConfig, names: FlowNames) -> dict[str, str]:
    aspects = {}
    if step.post:
        aspects["办理岗位"] = names.posts.get(step.post, step.post)
    if step.department:
        dept = step.department
        aspects["办理部门"] = "按办件数据确定" if dept.startswith("data:") else names.departments.get(dept, dept)
    if step.assignee:
        aspects["固定办理人"] = names.users.get(step.assignee, step.assignee)
    if step.time_limit is not None:
        aspects["时限"] = _time_limit(step)
    if step.form_key:
        aspects["表单"] = names.forms.get(step.form_key, step.form_key)
    if step.stage:
        aspects["环节类型"] = STAGE_NAMES.get(step.stage, step.stage)
    if step.special_procedure:
        aspects["特别程序"] = f"{step.special_procedure}（计时暂停）"
    if step.documents:
        aspects["产生文书"] = "、".join(step.documents)
    for risk in step.risk_points:
        parts = "，".join(f"{label}：{risk[key]}" for key, label in RISK_PARTS if risk.get(key))
        aspects["风险点"] = (risk.get("name") or "未命名") + (f"（{parts}）" if parts else "")
    for checkpoint in step.checkpoints:
        code = checkpoint.get("rule", "")
        params = "，".join(f"{k}={v}" for k, v in checkpoint.items() if k != "rule")
        aspects["监察检查点"] = f"{names.rules.get(code, code)}（{code}）" + (f"，参数 {params}" if params else "")
    labels = names.fields.get(step.form_key or "", {})
    for name, access in sorted(step.fields.items()):
        aspects[f"字段“{labels.get(name, name)}”"] = ACCESS_NAMES.get(access, access)
    return aspects


def _aspects(info: dict, everything: dict, names: FlowNames) -> dict[str, str]:
    """What one element says, as label → value (empty values left out)."""
    attrs = info["attrs"]
    if info["kind"] == "userTask" and info["step"] is not None:
        return _step_aspects(info["step"], names)
    aspects = {}
    if info["kind"] == "sequenceFlow":
        if attrs.get("condition"):
            aspects["条件"] = attrs["condition"]
        return aspects
    if attrs.get("default"):
        aspects["默认分支"] = "通往" + _called(everything.get(everything.get(attrs["default"], {}).get("attrs", {})
                                                              .get("targetRef", "")))
    if attrs.get("attachedToRef"):
        aspects["附着于"] = _called(everything.get(attrs["attachedToRef"]))
        aspects["到时中断环节"] = "否" if attrs.get("cancelActivity") == "false" else "是"
    timer = _timer(info["events"])
    if timer:
        aspects["定时"] = timer
    if attrs.get("script"):
        aspects["脚本"] = attrs["script"]
    if attrs.get("calledElement"):
        aspects["调用流程"] = attrs["calledElement"]
    return aspects


def _flow_ends(info: dict, everything: dict) -> str:
    attrs = info["attrs"]
    return f"从{_called(everything.get(attrs.get('sourceRef', '')))}到{_called(everything.get(attrs.get('targetRef', '')))}"


def _listed(aspects: dict[str, str]) -> str:
    return "，".join(f"{label} {value}" for label, value in aspects.items())


def _added(info: dict, everything: dict, names: FlowNames) -> str:
    aspects = _aspects(info, everything, names)
    if info["kind"] == "sequenceFlow":
        named = f"“{info['name']}”" if info["name"] else ""
        condition = f"，条件：{aspects['条件']}" if "条件" in aspects else ""
        return f"新增连线{named}：{_flow_ends(info, everything)}{condition}"
    text = f"新增{_kind(info)}" + (f"“{info['name']}”" if info["name"] else "")
    return text + (f"：{_listed(aspects)}" if aspects else "")


def _removed(info: dict, everything: dict) -> str:
    if info["kind"] == "sequenceFlow":
        named = f"“{info['name']}”" if info["name"] else ""
        return f"删除连线{named}：{_flow_ends(info, everything)}"
    return f"删除{_kind(info)}" + (f"“{info['name']}”" if info["name"] else "")


def _changed(a: dict, b: dict, old: dict, new: dict, names: FlowNames) -> str:
    clauses = []
    if a["kind"] != b["kind"] or _kind(a) != _kind(b):
        clauses.append(f"类型由{_kind(a)}改为{_kind(b)}")
    if a["name"] != b["name"]:
        clauses.append(f"更名为“{b['name']}”" if b["name"] else "名称被清空")
    before, after = _aspects(a, old, names), _aspects(b, new, names)
    for label in list(before) + [k for k in after if k not in before]:
        was, now = before.get(label), after.get(label)
        if was == now:
            continue
        if was is None:
            clauses.append(f"增加{label}：{now}" if label in ("条件", "脚本") else f"增加{label} {now}")
        elif now is None:
            clauses.append(f"取消{label}（原为 {was}）")
        elif label == "时限":
            clauses.append(f"时限由 {was} 改为 {now}")
        else:
            clauses.append(f"{label}由“{was}”改为“{now}”")
    if b["kind"] == "sequenceFlow":
        was, now = _flow_ends(a, old), _flow_ends(b, new)
        if was != now:
            return f"原{was}的连线改为{now}" + (f"；{'；'.join(clauses)}" if clauses else "")
        return f"{was}的连线：{'；'.join(clauses or ['其他设置有改动'])}"
    subject = f"{_kind(a)}{_called(a)}" if a["name"] else _kind(a)
    if not clauses:
        clauses.append("其他设置有改动")
    if len(clauses) == 1:
        verb = clauses[0].startswith(("更名", "增加", "取消", "名称", "其他"))
        return f"{subject}{'' if verb else '的'}{clauses[0]}"
    return f"{subject}：{'；'.join(clauses)}"


def compare_flows(old_xml: str | bytes, new_xml: str | bytes, names: FlowNames | None = None) -> list[ElementChange]:
    names = names or FlowNames()
    old = _elements(old_xml.encode() if isinstance(old_xml, str) else old_xml)
    new = _elements(new_xml.encode() if isinstance(new_xml, str) else new_xml)
    changes = []
    for el_id in sorted(set(old) | set(new), key=lambda i: (_order(i, old, new), i)):
        a, b = old.get(el_id), new.get(el_id)
        if a is None:
            details = tuple(f"{_short(k)}={v}" for k, v in sorted(b["attrs"].items())
                            if k not in ("name", "sourceRef", "targetRef"))
            changes.append(ElementChange(el_id, b["kind"], b["name"], "added", details, _added(b, new, names)))
        elif b is None:
            changes.append(ElementChange(el_id, a["kind"], a["name"], "removed", (), _removed(a, old)))
        else:
            details = []
            if a["kind"] != b["kind"]:
                details.append(f"类型 {a['kind']} → {b['kind']}")
            if a["name"] != b["name"]:
                details.append(f"名称 “{a['name']}” → “{b['name']}”")
            for key in sorted(set(a["attrs"]) | set(b["attrs"])):
                if a["attrs"].get(key) != b["attrs"].get(key):
                    details.append(f"{_short(key)}: {a['attrs'].get(key, '（无）')} → {b['attrs'].get(key, '（无）')}")
            if details:
                changes.append(ElementChange(el_id, b["kind"], b["name"], "changed", tuple(details),
                                             _changed(a, b, old, new, names)))
    return changes


def _order(el_id: str, old: dict, new: dict) -> int:
    """Steps and events first, then gateways, then the connections between them."""
    kind = (new.get(el_id) or old.get(el_id))["kind"]
    return 2 if kind == "sequenceFlow" else 1 if kind.endswith("Gateway") else 0


__all__ = ["ElementChange", "FlowNames", "compare_flows", "duration_text"]
