"""What each rule type's parameters are: a schema per type (types, finite numbers, bounds,
required keys, no unknown keys), their Chinese labels for the edit page, and the sentence that
says in Chinese what a rule's parameters mean.

The service validates every change with these schemas (the pages only help), and the checks and
ticks re-check stored parameters before using them, so a value written around the service (old
data, SQL) becomes an incident with a Chinese reason instead of failing every transition."""

from __future__ import annotations

import re
from dataclasses import dataclass

from marshmallow import ValidationError, fields

from engine.calendar import MAX_PERIOD
from engine.errors import InvalidInput
from engine.validation import Bool, ChineseSchema, Code, Int, Num, Text, control_character, load

RULE_TYPES = {
    "reminder": "环节到期提醒", "step_warning": "环节时限预警", "step_overdue": "环节超期报警",
    "case_warning": "办件时限预警", "case_overdue": "办件超期报警", "decision_before_acceptance": "未受理先决定",
    "late_registration": "事后登记", "statement_period": "陈述申辩期限", "hearing_notice": "听证通知期限",
    "backdated": "时间倒填", "required_fields": "关键数据必填", "fee": "违规收费", "discretion": "罚款裁量基准",
    "returned_many": "多次退回", "inactivity": "长期无操作", "refusal": "不予受理、不予许可",
    "suspended_item": "暂停事项仍在办理", "risk_point": "廉政风险点", "volume": "办件量异常",
    "report_delay": "关键数据延时报送", "report_missing": "关键数据未报送",
}
MAX_FEE = 10**9  # yuan: far above any fee standard, far below where a float loses cents
MAX_NAMES = 50
_SPLIT = re.compile(r"[\s,，、;；]+")


class _CodeList(fields.Field):
    """Form field names: a list, or text separated by commas, 、 or spaces."""

    def __init__(self, label, **kw):
        super().__init__(metadata={"label": label}, error_messages={
            "required": f"请填写{label}。", "null": f"请填写{label}。", "invalid": f"{label}格式不正确。"}, **kw)
        self.label, self.one = label, Code(label)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [v for v in _SPLIT.split(value) if v]
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if len(value) > MAX_NAMES:
            raise ValidationError(f"{self.label}最多 {MAX_NAMES} 个。")
        return [self.one.deserialize(v) for v in value]


class _When(fields.Field):
    """{choice field: {option: amount field}}, or text lines ``choice field|option|amount field``."""

    def __init__(self, label, **kw):
        super().__init__(metadata={"label": label}, error_messages={
            "required": f"请填写{label}。", "null": f"请填写{label}。",
            "invalid": f"{label}格式不正确：每行一条，写作 选择字段|选项|金额字段。"}, **kw)
        self.field, self.option = Code("选择字段"), Text("选项", 100)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if control_character(value, multiline=True):
                raise ValidationError("条件含有不允许的控制字符。")
            value = self._from_lines(value)
        if not isinstance(value, dict) or len(value) > MAX_NAMES:
            raise self.make_error("invalid")
        out = {}
        for choice, needs in value.items():
            if not isinstance(needs, dict) or not needs or len(needs) > MAX_NAMES:
                raise self.make_error("invalid")
            out[self.field.deserialize(choice)] = {self.option.deserialize(o): self.field.deserialize(a)
                                                   for o, a in needs.items()}
        return out

    def _from_lines(self, text: str) -> dict:
        out: dict = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            cells = [c.strip() for c in line.replace("｜", "|").split("|")]
            if len(cells) != 3 or not all(cells):
                raise self.make_error("invalid")
            out.setdefault(cells[0], {})[cells[1]] = cells[2]
        return out


@dataclass(frozen=True)
class Param:
    key: str
    label: str
    kind: str  # int, num, bool, code, codes, when: how the edit page shows it
    help: str = ""


def _days(label):
    return Int(label, min=1, max=MAX_PERIOD, required=True)


STEP_HELP = "流程图中环节的标识（英文）"
PARAMS: dict[str, tuple[tuple[Param, fields.Field], ...]] = {
    "reminder": ((Param("days_before", "提前提醒天数", "int", "环节到期前几个工作日提醒（0 为到期当日）"),
                  Int("提前提醒天数", min=0, max=MAX_PERIOD, required=True)),),
    "step_warning": ((Param("share", "预警比例", "num", "0 和 1 之间的小数，如 0.8 表示用去时限的 80% 时预警"),
                      Num("预警比例", min=0, max=1, exclusive=True, required=True)),),
    "case_warning": ((Param("share", "预警比例", "num", "0 和 1 之间的小数，如 0.8 表示用去承诺时限的 80% 时预警"),
                      Num("预警比例", min=0, max=1, exclusive=True, required=True)),),
    "late_registration": ((Param("days", "登记期限（工作日）", "int", "事件发生后超过几个工作日登记算事后登记"),
                           _days("登记期限")),),
    "statement_period": (
        (Param("notice_step", "事先告知环节", "code", STEP_HELP), Code("事先告知环节", required=True)),
        (Param("statement_step", "陈述申辩环节", "code", STEP_HELP), Code("陈述申辩环节", required=True)),
        (Param("hearing_step", "听证环节", "code", STEP_HELP), Code("听证环节", required=True)),
        (Param("days", "陈述申辩期限（工作日）", "int"), _days("陈述申辩期限"))),
    "hearing_notice": (
        (Param("notice_step", "听证通知环节", "code", STEP_HELP), Code("听证通知环节", required=True)),
        (Param("hearing_step", "听证环节", "code", STEP_HELP), Code("听证环节", required=True)),
        (Param("field", "听证日期字段", "code", "表单中听证日期的字段名"), Code("听证日期字段", required=True)),
        (Param("days", "提前通知天数（工作日）", "int"), _days("提前通知天数"))),
    "backdated": ((Param("fields", "检查的日期字段", "codes", "表单中的日期字段名，用逗号分隔"),
                   _CodeList("检查的日期字段", required=True)),),
    "required_fields": ((Param("when", "必填条件", "when", "每行一条：选择字段|选项|须录入的金额字段"),
                         _When("必填条件", required=True)),),
    "fee": ((Param("field", "收费金额字段", "code", "表单中收费金额的字段名"), Code("收费金额字段", required=True)),
            (Param("max", "收费上限（元）", "num"), Num("收费上限", min=0, max=MAX_FEE, places=2, required=True))),
    "discretion": ((Param("amount_field", "罚款金额字段", "code"), Code("罚款金额字段", required=True)),
                   (Param("severity_field", "违法情节字段", "code"), Code("违法情节字段", required=True))),
    "returned_many": ((Param("times", "退回次数上限", "int", "退回超过此次数时预警（0 为首次退回即预警）"),
                       Int("退回次数上限", min=0, max=1000, required=True)),),
    "inactivity": ((Param("days", "无操作天数（工作日）", "int"), _days("无操作天数")),),
    "report_delay": ((Param("hours", "报送时限（小时）", "int", "事件发生后超过几个小时才报送算延时报送"),
                      Int("报送时限", min=1, max=720, required=True)),),
    "risk_point": ((Param("second_reviewer", "须有第二审核人", "bool"), Bool("须有第二审核人", required=True)),),
    "volume": ((Param("threshold", "变化幅度阈值", "num", "如 0.5 表示环比或同比变化超过 50% 时预警"),
                Num("变化幅度阈值", min=0, max=100, exclusive=True, required=True)),
               (Param("min_cases", "最少办件量", "int", "两个月的办件量都少于此数时不判断"),
                Int("最少办件量", min=0, max=1_000_000, required=True))),
}
_SCHEMAS: dict[str, type[ChineseSchema]] = {
    kind: ChineseSchema.from_dict({p.key: f for p, f in pairs}, name=f"{kind}_params")
    for kind, pairs in PARAMS.items()}


def params_of(rule_type: str) -> list[Param]:
    """The parameters of a rule type in the order the edit page shows them (none for most checks)."""
    return [p for p, _ in PARAMS.get(rule_type, ())]


def validate(rule_type: str, params) -> dict:
    """The parameters as they will be stored, or :class:`InvalidInput` naming the first bad one
    (``errors`` holds every bad parameter's Chinese message)."""
    schema = _SCHEMAS.get(rule_type, ChineseSchema)()
    if not isinstance(params, dict):
        raise InvalidInput("规则参数格式不正确，应为一组名称和值。", field="params", errors={"params": "规则参数格式不正确。"})
    return load(schema, params)


def problem(rule_type: str, params) -> str | None:
    """Why stored parameters cannot be used (Chinese), or None when they are in order."""
    try:
        validate(rule_type, params)
    except InvalidInput as exc:
        return exc.message
    return None


_memo: dict[int, tuple[dict, str | None]] = {}


def stored_problem(rule) -> str | None:
    """:func:`problem` of a cached rule (``RuleData``), worked out once per load of the rule cache:
    the cache hands out the same params dict until a rule changes."""
    hit = _memo.get(id(rule.params))
    if hit is not None and hit[0] is rule.params:
        return hit[1]
    if len(_memo) > 1000:
        _memo.clear()
    reason = problem(rule.type, rule.params)
    _memo[id(rule.params)] = (rule.params, reason)
    return reason


def usable(rules):
    """The rules whose stored parameters can be used (the time-driven planners skip the others;
    the transition listener records them as incidents)."""
    return [r for r in rules if stored_problem(r) is None]


def form_values(rule_type: str, params: dict) -> dict[str, str]:
    """Stored parameters as the edit page's inputs show them."""
    out = {}
    for p in params_of(rule_type):
        value = (params or {}).get(p.key)
        if p.kind == "bool":
            out[p.key] = "true" if value is True else "false"
        elif p.kind == "codes" and isinstance(value, list):
            out[p.key] = "，".join(str(v) for v in value)
        elif p.kind == "when" and isinstance(value, dict):
            out[p.key] = "\n".join(f"{c}|{o}|{a}" for c, needs in value.items() if isinstance(needs, dict)
                                   for o, a in needs.items())
        elif p.kind == "num" and isinstance(value, float):
            out[p.key] = number_text(value)
        else:
            out[p.key] = "" if value is None else str(value)
    return out


def number_text(value: float) -> str:
    """A number as people write it: 0.8, 100, 12.5 (never 1e+09 or 100.0)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _percent(value: float) -> str:
    return number_text(value * 100) + "%"


def describe(rule_type: str, params, names: dict[str, str] | None = None) -> str:
    """What the parameters mean, in a Chinese sentence (stored values in disorder say so). Form fields
    and steps are named as people know them (``names``: code -> label), not by their codes."""
    names = names or {}

    def n(code) -> str:
        return f"“{names[code]}”" if code in names else str(code)

    if not PARAMS.get(rule_type):
        return "无参数"
    try:
        p = validate(rule_type, params)
    except InvalidInput as exc:
        return "参数有误：" + exc.message
    if rule_type == "reminder":
        return f"提前 {p['days_before']} 个工作日提醒" if p["days_before"] else "到期当日提醒"
    if rule_type == "step_warning":
        return f"环节用时占比超过 {_percent(p['share'])} 时预警"
    if rule_type == "case_warning":
        return f"办件用时占比超过 {_percent(p['share'])} 时预警"
    if rule_type == "late_registration":
        return f"事件发生后超过 {p['days']} 个工作日才登记"
    if rule_type == "statement_period":
        return (f"事先告知（{n(p['notice_step'])}）后 {p['days']} 个工作日内，未陈述申辩（{n(p['statement_step'])}）、"
                f"未放弃或听证（{n(p['hearing_step'])}）未结束的，不得作出处罚决定")
    if rule_type == "hearing_notice":
        return (f"听证日期（{n(p['field'])}）距通知不足 {p['days']} 个工作日的，不得办结听证通知（{n(p['notice_step'])}）；"
                f"听证日期未到的，不得办结听证（{n(p['hearing_step'])}）")
    if rule_type == "backdated":
        return "检查日期字段：" + "、".join(n(f) for f in p["fields"]) if p["fields"] else "不检查任何日期字段"
    if rule_type == "required_fields":
        return "；".join(f"{n(choice)}选择“{option}”时须录入 {n(amount)}" for choice, needs in p["when"].items()
                        for option, amount in needs.items())
    if rule_type == "fee":
        return f"收费上限 {number_text(p['max'])} 元（收费金额字段 {n(p['field'])}）"
    if rule_type == "discretion":
        return f"罚款金额（{n(p['amount_field'])}）须在违法情节（{n(p['severity_field'])}）对应的裁量范围内"
    if rule_type == "returned_many":
        return f"退回超过 {p['times']} 次" if p["times"] else "首次退回即预警"
    if rule_type == "inactivity":
        return f"连续 {p['days']} 个工作日无操作"
    if rule_type == "report_delay":
        return f"发生后超过 {p['hours']} 小时才报送"
    if rule_type == "risk_point":
        return "须有第二审核人" if p["second_reviewer"] else "记录提醒，不要求第二审核人"
    if rule_type == "volume":
        return f"环比或同比变化超过 {_percent(p['threshold'])}，且月办件量不少于 {p['min_cases']} 件"
    return "无参数"

