"""Time-driven checks: the scheduler's tick reads only the watches that are due (an indexed
range on ``fire_at``), so a tick costs what is due, not what is open."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.db import Database
from engine.models import Case, CaseEvent, CaseTask, Item, ItemVersion, SchedulerLease

from .context import active_rules
from .models import Alert, Watch
from .watches import resolve_done_reminders

CLOSES = {"step_overdue": ("step_warning", "reminder"), "case_overdue": ("case_warning",)}
BATCH = 500


def fire_due(db: Database) -> int:
    """Fire every due watch, a batch per transaction: the batch's cases, steps and open alerts are
    read in three queries, the new alerts written in one statement and the watches deleted in one."""
    fired = 0
    while True:
        with db.transaction() as session:
            now = clock.now()
            due = session.execute(select(Watch.id, Watch.case_id, Watch.task_id, Watch.rule_code)
                                  .where(Watch.fire_at <= now).order_by(Watch.fire_at).limit(BATCH)).all()
            if not due:
                resolve_done_reminders(session)
                return fired + check_volume_monthly(session)
            fired += _fire_batch(session, due, now)


def _fire_batch(session: Session, due, now) -> int:
    rules = {r.code: r for group in active_rules(session).values() for r in group}
    case_ids = {w.case_id for w in due}
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    tasks = {t.id: t for t in session.scalars(select(CaseTask).where(CaseTask.id.in_({w.task_id for w in due if w.task_id})))}
    open_alerts = set(session.execute(select(Alert.rule_code, Alert.case_id, Alert.task_id).where(
        Alert.case_id.in_(case_ids), Alert.state.in_(("open", "acknowledged", "supervising")))).all())
    new_alerts, closes, later = [], [], []
    for w in due:
        rule, case = rules.get(w.rule_code), cases.get(w.case_id)
        task = tasks.get(w.task_id) if w.task_id else None
        if rule is None or case is None or not case.is_open or case.pause_kind:
            continue
        if w.task_id and (task is None or task.state != "ready"):
            continue
        text = _message(session, rule, case, task, now, later)
        if text is None or (rule.code, case.id, w.task_id) in open_alerts:
            continue
        open_alerts.add((rule.code, case.id, w.task_id))
        new_alerts.append(dict(rule_id=rule.id, rule_code=rule.code, level=rule.level, case_id=case.id,
                               task_id=w.task_id, step_id=task.step_id if task else None, item_id=case.item_id,
                               department_id=task.department_id if task else case.department_id, message=text,
                               tags=[], state="open", created_at=now))
        for closed_type in CLOSES.get(rule.type, ()):
            for closed in active_rules(session).get(closed_type, ()):
                closes.append({"b_code": closed.code, "b_case": case.id, "b_task": w.task_id})
    session.execute(delete(Watch.__table__).where(Watch.__table__.c.id.in_([w.id for w in due])))
    if closes:
        session.execute(_CLOSE, [dict(c, now=now) for c in closes])
    if new_alerts:
        session.execute(insert(Alert.__table__), new_alerts)
    if later:
        session.execute(insert(Watch.__table__), later)
    return len(new_alerts)


_ALERTS = Alert.__table__
_CLOSE = (update(_ALERTS).where(_ALERTS.c.rule_code == bindparam("b_code"), _ALERTS.c.case_id == bindparam("b_case"),
                                or_(_ALERTS.c.task_id == bindparam("b_task"), bindparam("b_task").is_(None)),
                                _ALERTS.c.state == "open")
          .values(state="resolved", handled_at=bindparam("now"), handling_note="已转为超期报警"))


def _message(session: Session, rule, case: Case, task: CaseTask | None, now, later: list) -> str | None:
    share = f"{float(rule.params.get('share', 0.8)):.0%}"
    if rule.type == "reminder":
        return f"环节“{task.step_name}”将于 {task.due_date} 到期，请抓紧办理。"
    if rule.type == "step_warning":
        return f"环节“{task.step_name}”已用去时限的 {share}，将于 {task.due_date} 到期。"
    if rule.type == "step_overdue":
        return f"环节“{task.step_name}”已超过办理期限（{task.due_date}）。"
    if rule.type == "case_warning":
        return f"办件已用去承诺时限的 {share}，承诺办结日期 {case.deadline}。"
    if rule.type == "case_overdue":
        return f"办件已超过承诺办结日期（{case.deadline}）仍未办结。"
    if rule.type == "inactivity":
        last = session.scalar(select(CaseEvent.at).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc()))
        days = int(rule.params.get("days", 10))
        quiet_until = load_calendar(session).add_workdays(clock.local_date(last), days) + timedelta(days=1)
        if _at(quiet_until) > now:  # there was activity since: look again later instead of alerting
            later.append(dict(case_id=case.id, task_id=None, rule_code=rule.code, fire_at=_at(quiet_until)))
            return None
        return f"办件自 {clock.local_date(last)} 起已连续 {days} 个工作日没有任何操作。"
    return None


def check_volume(session: Session, month: date) -> int:
    """C001: an item's cases this month against last month and the same month last year."""
    rules = active_rules(session).get("volume", ())
    if not rules:
        return 0
    first = month.replace(day=1)
    prev = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    year_ago = first.replace(year=first.year - 1)
    counts = {}
    for start in (first, prev, year_ago):
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        rows = session.execute(select(Case.item_id, func.count()).where(
            Case.received_at >= _at(start), Case.received_at < _at(end)).group_by(Case.item_id)).all()
        counts[start] = dict(rows)
    made = 0
    for rule in rules:
        threshold, minimum = float(rule.params.get("threshold", 0.5)), int(rule.params.get("min_cases", 5))
        for item_id in set(counts[first]) | set(counts[prev]) | set(counts[year_ago]):
            now_count = counts[first].get(item_id, 0)
            for base, label in ((prev, "环比"), (year_ago, "同比")):
                before = counts[base].get(item_id, 0)
                if max(before, now_count) < minimum or before == 0:
                    continue
                change = (now_count - before) / before
                if abs(change) > threshold:
                    item = session.get(Item, item_id)
                    version = session.get(ItemVersion, item.current_version_id)
                    session.add(Alert(rule_id=rule.id, rule_code=rule.code, level=rule.level, item_id=item_id,
                                      department_id=item.department_id, state="open", created_at=clock.now(), tags=[],
                                      message=f"“{version.name}”{first:%Y年%m月}办件 {now_count} 件，{label}"
                                              f"{'增长' if change > 0 else '下降'} {abs(change):.0%}（{before} 件）。"))
                    made += 1
    return made


def check_volume_monthly(session: Session) -> int:
    """Once a month (a marker row), judge the month that just ended."""
    today = clock.today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    marker = f"volume:{last_month:%Y-%m}"
    if session.get(SchedulerLease, marker) is not None:
        return 0
    session.add(SchedulerLease(name=marker, holder="rules", expires_at=clock.now()))
    return check_volume(session, last_month)


def _at(day: date):
    return datetime.combine(day, time.min, clock.LOCAL_TZ)
