"""Checkpoints on every transition (run inside the engine's transaction): a blocking rule refuses
the command with a clear message and nothing is kept; a recording rule stores an alert together
with the transition it judged. Afterwards the case's time-driven watches are planned again."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.errors import CalendarMissing, CheckpointViolation
from engine.listeners import Transition
from engine.models import Case, CaseEvent, CaseTask, Item, ItemVersion, User
from engine.service.common import step_config

from .models import Alert, Rule, Watch


@dataclass(frozen=True)
class RuleData:
    id: int
    code: str
    type: str
    name: str
    level: str
    blocking: bool
    params: dict
    scope_kind: str
    scope_value: str | None

    def applies(self, item_code: str, category: str, step_id: str | None) -> bool:
        if self.scope_kind == "all":
            return True
        if self.scope_kind == "category":
            return category == self.scope_value
        if self.scope_kind == "item":
            return item_code == self.scope_value
        return step_id is not None and f"{item_code}:{step_id}" == self.scope_value


_lock = threading.Lock()
_cache: dict[str, tuple[tuple, dict[str, RuleData]]] = {}


def active_rules(session: Session) -> dict[str, RuleData]:
    """Enabled rules by type; re-read whenever any rule changed (a cheap stamp query)."""
    stamp = tuple(session.execute(select(func.count(Rule.id), func.max(Rule.updated_at), func.sum(Rule.version))).one())
    key = str(session.get_bind().url)
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
    rules = {}
    for r in session.scalars(select(Rule).where(Rule.enabled)):
        rules.setdefault(r.type, [])
        rules[r.type].append(RuleData(r.id, r.code, r.type, r.name, r.level, r.blocking, dict(r.params or {}),
                                      r.scope_kind, r.scope_value))
    rules = {t: tuple(v) for t, v in rules.items()}
    with _lock:
        _cache[key] = (stamp, rules)
    return rules


@dataclass
class Finding:
    rule: RuleData
    message: str
    task: CaseTask | None = None
    tags: list = field(default_factory=list)
    level: str | None = None
    block: bool | None = None  # None: as the rule says

    @property
    def blocking(self) -> bool:
        if self.block is not None:
            return self.block
        return self.rule.blocking and "non_blocking" not in self.tags


class Context:
    """What the rules look at for one transition."""

    def __init__(self, t: Transition):
        self.t = t
        self.session = t.session
        self.case = t.case
        self.version = self.session.get(ItemVersion, t.case.item_version_id)
        self.item = self.session.get(Item, t.case.item_id)
        self.step = step_config(self.session, t.case, t.task.step_id) if t.task is not None else None

    def rules(self, rule_type: str):
        step_id = self.t.task.step_id if self.t.task is not None else None
        for rule in active_rules(self.session).get(rule_type, ()):
            if rule.applies(self.item.code, self.version.category, step_id):
                yield rule

    @property
    def data(self) -> dict:
        return self.case.data or {}


# --- the checks, one function per rule type ------------------------------------------------------

def check_decision_before_acceptance(c: Context):
    if c.t.action == "complete" and c.step is not None and c.step.stage == "decide" and c.case.accepted_at is None:
        for rule in c.rules("decision_before_acceptance"):
            yield Finding(rule, "办件尚未受理，不能先作出决定（事后登记）。请先完成受理环节。")


def check_late_registration(c: Context):
    if c.t.action != "receive" or not c.data.get("event_date"):
        return
    try:
        event = date.fromisoformat(str(c.data["event_date"]))
        late = load_calendar(c.session).workdays_between(event, clock.local_date(c.case.received_at))
    except (ValueError, CalendarMissing):
        return
    for rule in c.rules("late_registration"):
        if late > int(rule.params.get("days", 10)):
            yield Finding(rule, f"办件在事件发生 {late} 个工作日后才登记，超过 {rule.params.get('days', 10)} 个工作日（事后登记）。")


def check_backdated(c: Context):
    if c.t.action != "complete":
        return
    today, received = clock.today(), clock.local_date(c.case.received_at)
    for rule in c.rules("backdated"):
        for name in rule.params.get("fields", []):
            value = c.t.data.get(name)
            if not value:
                continue
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                continue
            if day > today or day < received:
                yield Finding(rule, f"填写的日期 {day} 晚于今天或早于收件日期（{name}），疑似倒填时间。", c.t.task)


def check_required_fields(c: Context):
    if c.t.action != "complete" or c.step is None or c.step.stage != "decide":
        return
    for rule in c.rules("required_fields"):
        for choice_field, needs in rule.params.get("when", {}).items():
            chosen = c.data.get(choice_field) or []
            chosen = chosen if isinstance(chosen, list) else [chosen]
            for option, amount_field in needs.items():
                if option in chosen and not c.data.get(amount_field):
                    yield Finding(rule, f"选择了“{option}”，但没有录入金额（{amount_field}），不能作出决定。", c.t.task)


def check_fee(c: Context):
    if c.t.action != "complete":
        return
    for rule in c.rules("fee"):
        fee = c.t.data.get(rule.params.get("field", "fee"))
        if not fee:
            continue
        if not c.version.charges_fee:
            yield Finding(rule, f"事项“{c.version.name}”依法不收费，不能收取 {fee} 元。", c.t.task)
        elif float(fee) > float(rule.params.get("max", 0)):
            yield Finding(rule, f"收费 {fee} 元超过标准上限 {rule.params.get('max')} 元。", c.t.task, level="alarm",
                          tags=["non_blocking"])


def check_discretion(c: Context):
    if c.t.action != "complete" or c.step is None or c.step.stage != "decide":
        return
    standard = (c.version.extra or {}).get("裁量基准") or {}
    for rule in c.rules("discretion"):
        amount = c.data.get(rule.params.get("amount_field", "fine_amount"))
        severity = c.data.get(rule.params.get("severity_field", "severity"))
        if amount is None or severity not in standard:
            continue
        low, high = standard[severity]
        if low <= float(amount) <= high:
            continue
        text = f"罚款 {float(amount):,.2f} 元超出“{severity}”情节的裁量范围 {low:,}–{high:,} 元"
        reason, second = c.t.data.get("discretion_reason"), c.t.data.get("second_approver")
        approver = c.session.scalars(select(User).where(User.staff_no == str(second or ""))).first()
        if reason and approver is not None and approver.id != (c.t.actor.id if c.t.actor else None) and \
                approver.holds("approve", c.case.department_id):
            yield Finding(rule, f"{text}；已说明理由（{reason}）并经{approver.name}同意。", c.t.task, tags=["non_blocking"])
        else:
            yield Finding(rule, f"{text}。须填写裁量理由并由另一名批准人同意。", c.t.task)


def check_returned_many(c: Context):
    if c.t.action != "return":
        return
    times = c.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == c.case.id, CaseEvent.action == "return"))  # this return's event is already flushed
    for rule in c.rules("returned_many"):
        if times > int(rule.params.get("times", 1)):
            yield Finding(rule, f"办件已被退回 {times} 次。", c.t.task)


def check_refusal(c: Context):
    refused = c.t.action == "reject" or (c.t.action == "complete" and c.t.task is not None and c.t.task.approved is False
                                         and c.step is not None and c.step.stage == "decide")
    if refused:
        what = "不予受理" if c.t.action == "reject" else "不予许可"
        for rule in c.rules("refusal"):
            yield Finding(rule, f"作出{what}：{c.t.reason or '（未填理由）'}", c.t.task)


def check_suspended_item(c: Context):
    if c.item.status != "active" and c.case.is_open:
        for rule in c.rules("suspended_item"):
            yield Finding(rule, f"事项“{c.version.name}”已{'暂停' if c.item.status == 'suspended' else '取消'}，此办件仍在办理。")


def check_risk_point(c: Context):
    if c.t.action != "complete" or c.step is None or not c.step.risk_points:
        return
    names = [r.get("name", "") for r in c.step.risk_points]
    for rule in c.rules("risk_point"):
        if rule.params.get("second_reviewer") and not c.t.data.get("second_reviewer"):
            yield Finding(rule, f"“{c.t.task.step_name}”是廉政风险点（{'、'.join(names)}），须有第二审核人。", c.t.task,
                          block=True)
        else:
            yield Finding(rule, f"办理了廉政风险点环节“{c.t.task.step_name}”（{'、'.join(names)}）。", c.t.task,
                          tags=["non_blocking"])


CHECKS = [check_decision_before_acceptance, check_late_registration, check_backdated, check_required_fields, check_fee,
          check_discretion, check_returned_many, check_refusal, check_suspended_item, check_risk_point]


def on_transition(t: Transition) -> None:
    c = Context(t)
    findings = [f for check in CHECKS for f in check(c)]
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise CheckpointViolation("监察规则不允许此操作：" + "；".join(f"{f.message}（{f.rule.code}）" for f in blocking),
                                  rules=[f.rule.code for f in blocking])
    risk_tags = [r.get("name") for r in (c.step.risk_points if c.step else ())]
    for f in findings:  # every alert at a risk-point step carries the risk points' names
        tags = list(dict.fromkeys([tag for tag in f.tags if tag != "non_blocking"] + risk_tags))
        store_alert(t.session, c.case, f.rule, f.message, f.task or t.task, f.level or f.rule.level, tags)
    if t.action in ("complete", "return") and t.task is not None:
        reminders = [r.code for r in active_rules(t.session).get("reminder", ())]
        if reminders:  # a reminder has done its job once its step is done
            t.session.execute(update(Alert).where(Alert.case_id == c.case.id, Alert.task_id == t.task.id,
                                                  Alert.rule_code.in_(reminders), Alert.state == "open")
                              .values(state="resolved", handled_at=clock.now(), handling_note="环节已办理"))
    plan_watches(t.session, c.case)


def store_alert(session: Session, case: Case, rule: RuleData, message: str, task: CaseTask | None, level: str,
                tags: list, now: datetime | None = None) -> bool:
    """Store an alert unless the same rule already has an open one for this case and step."""
    exists = session.scalar(select(Alert.id).where(
        Alert.rule_code == rule.code, Alert.case_id == case.id, Alert.state.in_(("open", "acknowledged", "supervising")),
        Alert.task_id == task.id if task is not None else Alert.task_id.is_(None)).limit(1))
    if exists:
        return False
    session.execute(insert(Alert), [dict(
        rule_id=rule.id, rule_code=rule.code, level=level, case_id=case.id, task_id=task.id if task else None,
        step_id=task.step_id if task else None, item_id=case.item_id,
        department_id=task.department_id if task else case.department_id, message=message, tags=list(tags),
        state="open", created_at=now or clock.now())])
    return True


# --- time-driven watches ---------------------------------------------------------------------------

def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, clock.LOCAL_TZ)


def plan_watches(session: Session, case: Case) -> None:
    """Plan the case's deadline watches again from its current state (one DELETE, one INSERT)."""
    session.execute(delete(Watch).where(Watch.case_id == case.id))
    if not case.is_open or case.pause_kind:
        return
    rules = active_rules(session)
    calendar = load_calendar(session)
    rows = []

    def add(code, task_id, day):
        if day is not None:
            rows.append(dict(case_id=case.id, task_id=task_id, rule_code=code, fire_at=_midnight(day)))

    try:
        tasks = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")).all()
        for task in tasks:
            if task.id is None or task.due_date is None:
                continue
            for rule in rules.get("reminder", ()):
                add(rule.code, task.id, _before(calendar, task.due_date, int(rule.params.get("days_before", 1)), task.limit_unit))
            for rule in rules.get("step_warning", ()):
                if task.time_limit > 0:
                    keep = task.time_limit - math.ceil(task.time_limit * float(rule.params.get("share", 0.8)))
                    add(rule.code, task.id, _before(calendar, task.due_date, keep, task.limit_unit))
            for rule in rules.get("step_overdue", ()):
                add(rule.code, task.id, task.due_date + timedelta(days=1))
        if case.deadline is not None:
            for rule in rules.get("case_warning", ()):
                if case.limit_days > 0:
                    keep = case.limit_days - math.ceil(case.limit_days * float(rule.params.get("share", 0.8)))
                    add(rule.code, None, _before(calendar, case.deadline, keep, case.limit_unit))
            for rule in rules.get("case_overdue", ()):
                add(rule.code, None, case.deadline + timedelta(days=1))
        for rule in rules.get("inactivity", ()):
            add(rule.code, None, calendar.add_workdays(clock.today(), int(rule.params.get("days", 10))) + timedelta(days=1))
    except CalendarMissing:
        pass  # deadlines in a year without calendar data are flagged on the case, not guessed here
    if rows:
        session.execute(insert(Watch), rows)


def _before(calendar, day: date, n: int, unit: str) -> date:
    return day - timedelta(days=n) if unit == "day" else calendar.sub_workdays(day, n)
