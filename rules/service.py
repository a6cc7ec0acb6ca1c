"""The supervision office's commands: keep the rule catalogue (every change a version), and
handle alerts (acknowledge, dismiss with a reason, resolve, open a 督办)."""

from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, incidents, systemlog
from engine.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.models import Case, Department, Item, ProcessDefinition, User
from engine.models.items import ITEM_CATEGORIES
from engine.service import Applicant, start_case
from engine.service.common import specs_for
from engine.validation import Choice, Text, errors_in_chinese

from .catalogue import DEFAULT_RULES
from .context import invalidate, item_facts
from .evaluate import incident_key
from .models import LEVELS, Alert, Rule, RuleVersion
from .params import params_of
from .params import validate as validate_params

SCOPES = {"all": "全部事项", "category": "事项类别", "item": "单个事项", "step": "单个环节"}


def _snapshot(rule: Rule) -> dict:
    return {"name": rule.name, "type": rule.type, "params": rule.params, "level": rule.level, "blocking": rule.blocking,
            "scope_kind": rule.scope_kind, "scope_value": rule.scope_value, "enabled": rule.enabled}


def sync_catalogue(session: Session) -> list[str]:
    """Add shipped rules that are missing (never overwrite what the office changed)."""
    present = set(session.scalars(select(Rule.code)))
    added = []
    for d in DEFAULT_RULES:
        if d["code"] in present:
            continue
        rule = Rule(code=d["code"], type=d["type"], name=d["name"], description=d["description"],
                    params=d.get("params", {}), level=d["level"], blocking=d.get("blocking", False), scope_kind="all",
                    enabled=True, version=1, updated_at=clock.now())
        session.add(rule)
        session.flush()
        session.add(RuleVersion(rule_id=rule.id, version=1, snapshot=_snapshot(rule), note="系统预置",
                                changed_at=clock.now()))
        added.append(d["code"])
    session.flush()
    invalidate()
    return added


def require_supervisor(actor: User) -> None:
    if not actor.has_role("supervisor"):
        raise PermissionDenied("只有监察人员可以进行此操作。")


def update_rule(session: Session, rule_id: int, actor: User, *, params: dict | None = None, level: str | None = None,
                enabled: bool | None = None, scope_kind: str | None = None, scope_value: str | None = None,
                note: str | None = None) -> Rule:
    """Change a rule as a new version. Every value is checked here (the pages only help): the
    parameters against their type's schema, so that a value the checks cannot use is refused at
    save instead of failing every transition. ``params`` may name only some keys; the others keep
    their stored values. A successful save closes the rule's open incident."""
    require_supervisor(actor)
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("规则不存在。")
    note = _checked(Text("修改说明", NOTE_MAX, multiline=True, required=True), note, "note")
    if level is not None:
        _checked(Choice("级别", LEVELS), level, "level")
    if scope_kind is not None:
        _checked(Choice("适用范围", SCOPES), scope_kind, "scope_kind")
        scope_value = _checked(Text("适用范围的值", SCOPE_MAX), scope_value or "", "scope_value")
        if scope_kind != "all" and not scope_value:
            raise InvalidInput("请填写适用范围的值（类别代码、事项编码或 事项编码:环节）。", field="scope_value")
        if scope_kind != "all":
            _require_scope_exists(session, scope_kind, scope_value)
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidInput("启用状态应为“是”或“否”。", field="enabled")
    if params is not None:
        if not isinstance(params, dict):
            raise InvalidInput("规则参数格式不正确，应为一组名称和值。", field="params")
        known = {p.key for p in params_of(rule.type)}
        stored = {k: v for k, v in (rule.params if isinstance(rule.params, dict) else {}).items() if k in known}
        rule.params = validate_params(rule.type, {**stored, **params})
    if level is not None:
        rule.level = level
    if enabled is not None:
        rule.enabled = enabled
    if scope_kind is not None:
        rule.scope_kind, rule.scope_value = scope_kind, (scope_value or None) if scope_kind != "all" else None
    rule.version += 1
    rule.updated_at, rule.updated_by_id = clock.now(), actor.id
    session.add(RuleVersion(rule_id=rule.id, version=rule.version, snapshot=_snapshot(rule), note=note,
                            changed_at=rule.updated_at, changed_by_id=actor.id))
    session.flush()
    systemlog.record(session, actor=actor, action="rules.changed", target=f"{rule.code} {rule.name}",
                     detail={"version": rule.version, "note": note})
    incidents.resolve(session, incident_key(rule.code))
    session.info["rules_changed"] = True  # the cache is dropped again once this commits
    invalidate()
    return rule


def _require_scope_exists(session: Session, kind: str, value: str) -> None:
    """A scope naming no category, item or step would switch the rule off unnoticed: refused."""
    if kind == "category":
        if value not in ITEM_CATEGORIES:
            raise InvalidInput(f"事项类别“{value}”不存在，请填写类别代码，如 01（行政许可）。", field="scope_value")
        return
    code, _, step = value.partition(":")
    item = session.scalars(select(Item).where(Item.code == code)).first()
    if item is None:
        raise InvalidInput(f"事项编码“{code}”不存在。", field="scope_value")
    if kind == "step":
        steps = _steps_of(session, item)
        if step not in steps:
            known = "、".join(f"{sid}（{name}）" for sid, name in steps.items()) or "无"
            raise InvalidInput(f"事项“{item.current_version.name}”的流程中没有环节“{step}”。可用的环节：{known}。",
                               field="scope_value")


def _steps_of(session: Session, item: Item) -> dict[str, str]:
    definition = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_key == item.current_version.process_key)
        .order_by(ProcessDefinition.version.desc())).first() if item.current_version else None
    if definition is None:
        return {}
    spec, _ = specs_for(session, definition.id)
    return {name: t.bpmn_name or name for name, t in spec.task_specs.items() if getattr(t, "step", None) is not None}


NOTE_MAX = 500
SCOPE_MAX = 120  # supervision_rule.scope_value


def _checked(field, value, name: str):
    """One value through a field of engine.validation; a refusal names the field."""
    try:
        return field.deserialize(value)
    except ValidationError as exc:
        raise InvalidInput(errors_in_chinese(exc)["_schema"], field=name) from None


def _alert(session: Session, alert_id: int, actor: User, allowed: tuple[str, ...]) -> Alert:
    require_supervisor(actor)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("预警信息不存在。")
    if alert.state not in allowed:
        raise InvalidState("此预警信息当前状态不能进行该操作。")
    return alert


def acknowledge(session: Session, alert_id: int, actor: User) -> Alert:
    alert = _alert(session, alert_id, actor, ("open",))
    alert.state, alert.handled_at, alert.handled_by_id = "acknowledged", clock.now(), actor.id
    return alert


def dismiss(session: Session, alert_id: int, actor: User, reason: str) -> Alert:
    alert = _alert(session, alert_id, actor, ("open", "acknowledged"))
    if not reason or not reason.strip():
        raise InvalidInput("撤销预警必须填写理由。", field="reason")
    alert.state, alert.handled_at, alert.handled_by_id, alert.handling_note = "dismissed", clock.now(), actor.id, reason
    return alert


def resolve(session: Session, alert_id: int, actor: User, note: str) -> Alert:
    alert = _alert(session, alert_id, actor, ("open", "acknowledged", "supervising"))
    if not note or not note.strip():
        raise InvalidInput("请填写处理结果。", field="note")
    alert.state, alert.handled_at, alert.handled_by_id, alert.handling_note = "resolved", clock.now(), actor.id, note
    return alert


SUPERVISION_ITEM = "105309300099"


def open_supervision(session: Session, alert_id: int, actor: User, requirement: str, end_date) -> Alert:
    """督办: start the supervision-order flow for an alert; the alert follows the order."""
    alert = _alert(session, alert_id, actor, ("open", "acknowledged"))
    if not requirement or not requirement.strip():
        raise InvalidInput("请填写督办要求。", field="requirement")
    if end_date is None or end_date <= clock.today():
        raise InvalidInput("要求办结日期必须晚于今天。", field="end_date")
    unit = session.get(Department, alert.department_id)
    case = session.get(Case, alert.case_id) if alert.case_id else None
    item = session.get(Item, alert.item_id) if alert.item_id else None
    supervisor_dept = session.get(Department, actor.department_id)
    order = start_case(
        session, SUPERVISION_ITEM, Applicant(name=unit.name, type="6", cert_type="001", cert_number=unit.credit_code),
        actor, subject=f"督办：{unit.name}（{alert.rule_code} {LEVELS[alert.level]}）", data={
            "supervising_department": supervisor_dept.name, "supervised_unit": unit.name,
            "supervised_department": unit.code, "case_number": case.number if case else "",
            "item_name": f"{item.current_version.name}（{item.code}）" if item else "", "alert_id": str(alert.id),
            "supervisor": actor.name, "start_date": clock.today().isoformat(), "end_date": end_date.isoformat(),
            "problem": alert.message, "requirement": requirement.strip()})
    alert.state, alert.order_case_id = "supervising", order.id
    alert.handled_at, alert.handled_by_id = clock.now(), actor.id
    session.flush()
    return alert


def close_orders_on_finish(transition) -> None:
    """When a 督办 case ends, the alerts it was opened for are resolved with its conclusion."""
    if transition.action != "finish" or item_facts(transition.session, transition.case.item_id)[0] != SUPERVISION_ITEM:
        return  # only a 督办 case has alerts following it
    for alert in transition.session.scalars(select(Alert).where(Alert.order_case_id == transition.case.id,
                                                                Alert.state == "supervising")):
        alert.state, alert.handled_at = "resolved", clock.now()
        alert.handling_note = "督办办结：" + str((transition.case.data or {}).get("conclusion", ""))
