"""The supervision office's commands: keep the rule catalogue (every change a version), and
handle alerts (acknowledge, dismiss with a reason, resolve, open a 督办)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.models import Case, Department, Item, User
from engine.service import Applicant, start_case

from .catalogue import DEFAULT_RULES
from .context import invalidate
from .models import LEVELS, Alert, Rule, RuleVersion

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
    require_supervisor(actor)
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise NotFound("规则不存在。")
    if not note or not note.strip():
        raise InvalidInput("请填写修改说明。", field="note")
    if level is not None and level not in LEVELS:
        raise InvalidInput("级别无效。", field="level")
    if scope_kind is not None and scope_kind not in SCOPES:
        raise InvalidInput("适用范围无效。", field="scope_kind")
    if scope_kind not in (None, "all") and not (scope_value or "").strip():
        raise InvalidInput("请填写适用范围的值（类别代码、事项编码或 事项编码:环节）。", field="scope_value")
    if params is not None:
        for key, value in params.items():
            old = rule.params.get(key)
            if isinstance(old, (int, float)) and not isinstance(value, (int, float)):
                raise InvalidInput(f"参数 {key} 必须是数字。", field=key)
            if key == "share" and not 0 < float(value) < 1:
                raise InvalidInput("比例必须在 0 和 1 之间（例如 0.8 表示 4/5）。", field=key)
        rule.params = {**rule.params, **params}
    if level is not None:
        rule.level = level
    if enabled is not None:
        rule.enabled = enabled
    if scope_kind is not None:
        rule.scope_kind, rule.scope_value = scope_kind, (scope_value or None) if scope_kind != "all" else None
    rule.version += 1
    rule.updated_at, rule.updated_by_id = clock.now(), actor.id
    session.add(RuleVersion(rule_id=rule.id, version=rule.version, snapshot=_snapshot(rule), note=note.strip(),
                            changed_at=rule.updated_at, changed_by_id=actor.id))
    session.flush()
    session.info["rules_changed"] = True  # the cache is dropped again once this commits
    invalidate()
    return rule


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
    if transition.action != "finish":
        return
    for alert in transition.session.scalars(select(Alert).where(Alert.order_case_id == transition.case.id,
                                                                Alert.state == "supervising")):
        alert.state, alert.handled_at = "resolved", clock.now()
        alert.handling_note = "督办办结：" + str((transition.case.data or {}).get("conclusion", ""))
