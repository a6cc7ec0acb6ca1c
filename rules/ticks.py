"""Time-driven checks: the scheduler's tick reads only the watches that are due (an indexed
range on ``fire_at``), so a tick costs what is due, not what is open."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.db import Database
from engine.models import Case, CaseEvent, CaseTask, Item, ItemVersion, SchedulerLease

from .evaluate import active_rules, store_alert
from .models import Alert, Watch

CLOSES = {"step_overdue": ("step_warning", "reminder"), "case_overdue": ("case_warning",)}
BATCH = 500


def fire_due(db: Database) -> int:
    fired = 0
    while True:
        with db.transaction() as session:
            now = clock.now()
            due = session.scalars(select(Watch).where(Watch.fire_at <= now).order_by(Watch.fire_at).limit(BATCH)).all()
            if not due:
                return fired + check_volume_monthly(session)
            rules = {r.code: r for group in active_rules(session).values() for r in group}
            for watch in due:
                fired += fire_one(session, watch, rules.get(watch.rule_code), now)
                session.delete(watch)


def fire_one(session: Session, watch: Watch, rule, now) -> int:
    if rule is None:
        return 0
    case = session.get(Case, watch.case_id)
    if case is None or not case.is_open or case.pause_kind:
        return 0
    task = session.get(CaseTask, watch.task_id) if watch.task_id else None
    if watch.task_id and (task is None or task.state != "ready"):
        return 0
    if rule.type == "reminder":
        text = f"环节“{task.step_name}”将于 {task.due_date} 到期，请抓紧办理。"
    elif rule.type == "step_warning":
        text = f"环节“{task.step_name}”已用去时限的 {float(rule.params.get('share', 0.8)):.0%}，将于 {task.due_date} 到期。"
    elif rule.type == "step_overdue":
        text = f"环节“{task.step_name}”已超过办理期限（{task.due_date}）。"
    elif rule.type == "case_warning":
        text = f"办件已用去承诺时限的 {float(rule.params.get('share', 0.8)):.0%}，承诺办结日期 {case.deadline}。"
    elif rule.type == "case_overdue":
        text = f"办件已超过承诺办结日期（{case.deadline}）仍未办结。"
    elif rule.type == "inactivity":
        last = session.scalar(select(CaseEvent.at).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc()))
        text = f"办件自 {clock.local_date(last)} 起已连续 {rule.params.get('days')} 个工作日没有任何操作。"
    else:
        return 0
    closes = CLOSES.get(rule.type, ())
    if closes:
        codes = [r.code for t in closes for r in active_rules(session).get(t, ())]
        cond = [Alert.case_id == case.id, Alert.rule_code.in_(codes), Alert.state == "open"]
        if task is not None:
            cond.append(Alert.task_id == task.id)
        session.execute(update(Alert).where(*cond).values(state="resolved", handled_at=now,
                                                          handling_note="已转为超期报警"))
    return int(store_alert(session, case, rule, text, task, rule.level, [], now))


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
