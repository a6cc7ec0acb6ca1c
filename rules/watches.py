"""Time-driven watches: when a case's deadlines fall due the scheduler's tick finds them by an
indexed range on ``fire_at``. They are planned from what each transition already knows."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from engine import clock, rawsql
from engine.calendar import load_calendar
from engine.models import Case, CaseTask

from .context import active_rules
from .models import Alert, Watch
from .params import usable

# --- time-driven watches ---------------------------------------------------------------------------

# statements of the hot path, built once (constructing SQLAlchemy expressions costs more than running them)
_WATCHES = Watch.__table__
_ALERTS = Alert.__table__
_INSERT_WATCHES = insert(_WATCHES)
_DELETE_CASE_WATCHES = delete(_WATCHES).where(_WATCHES.c.case_id == bindparam("case_id"))
_READY_TASKS = select(CaseTask).where(CaseTask.case_id == bindparam("case_id"), CaseTask.state == "ready")
_RESOLVE_REMINDERS = (update(_ALERTS).where(_ALERTS.c.rule_code.in_(bindparam("codes", expanding=True)),
                                            _ALERTS.c.state == "open",
                                            exists().where(CaseTask.id == _ALERTS.c.task_id, CaseTask.state != "ready"))
                      .values(state="resolved", handled_at=bindparam("now"), handling_note="环节已办理"))


def resolve_done_reminders(session: Session) -> None:
    """A reminder has done its job once its step is done (a set-based sweep on each tick)."""
    codes = [r.code for r in active_rules(session).get("reminder", ())]
    if codes:
        session.execute(_RESOLVE_REMINDERS, {"codes": codes, "now": clock.now()})

def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, clock.LOCAL_TZ)


def _task_watches(rules, calendar, case: Case, task: CaseTask, rows: list) -> None:
    if task.id is None or task.due_date is None:
        return

    def add(code, day):
        rows.append(dict(case_id=case.id, task_id=task.id, rule_code=code, fire_at=_midnight(day),
                         provisional=task.due_provisional))

    for rule in usable(rules.get("reminder", ())):
        add(rule.code, _before(calendar, task.due_date, int(rule.params.get("days_before", 1)), task.limit_unit))
    for rule in usable(rules.get("step_warning", ())):
        if task.time_limit > 0:
            keep = task.time_limit - math.ceil(task.time_limit * float(rule.params.get("share", 0.8)))
            add(rule.code, _before(calendar, task.due_date, keep, task.limit_unit))
    for rule in usable(rules.get("step_overdue", ())):
        add(rule.code, task.due_date + timedelta(days=1))


def add_task_watches(session: Session, case: Case, new_tasks: list[CaseTask]) -> None:
    """New steps began while the case's own clock did not change: add their watches (no reading back)."""
    if not new_tasks or not case.is_open or case.pause_kind:
        return
    rows = []
    rules, calendar = active_rules(session), load_calendar(session)
    for task in new_tasks:
        _task_watches(rules, calendar, case, task, rows)
    rawsql.insert_rows(session, _WATCHES, rows)  # on the cursor: the statement costs less than SQLAlchemy's path


def plan_watches(session: Session, case: Case) -> None:
    """Plan all the case's deadline watches again from its current state (one DELETE, one INSERT)."""
    session.execute(_DELETE_CASE_WATCHES, {"case_id": case.id})
    if not case.is_open or case.pause_kind:
        return
    rules = active_rules(session)
    calendar = load_calendar(session)
    rows = []

    def add(code, task_id, day, provisional):
        if day is not None:
            rows.append(dict(case_id=case.id, task_id=task_id, rule_code=code, fire_at=_midnight(day),
                             provisional=provisional))

    tasks = session.scalars(_READY_TASKS, {"case_id": case.id}).all()
    for task in tasks:
        _task_watches(rules, calendar, case, task, rows)
    if case.deadline is not None:
        provisional = case.deadline_provisional is not None
        for rule in usable(rules.get("case_warning", ())):
            if case.limit_days > 0:
                keep = case.limit_days - math.ceil(case.limit_days * float(rule.params.get("share", 0.8)))
                add(rule.code, None, _before(calendar, case.deadline, keep, case.limit_unit), provisional)
        for rule in usable(rules.get("case_overdue", ())):
            add(rule.code, None, case.deadline + timedelta(days=1), provisional)
    if case.source:  # 外部办件: silent past its next deadline is 关键数据未报送 (seed 004 §4.4)
        due = next_report_due(case, tasks)
        for rule in usable(rules.get("report_missing", ())):
            add(rule.code, None, due + timedelta(days=1) if due else None, provisional=False)
    for rule in usable(rules.get("inactivity", ())):
        quiet = calendar.add_workdays(clock.today(), int(rule.params.get("days", 10)))
        add(rule.code, None, quiet + timedelta(days=1), bool(calendar.provisional_years(clock.today(), quiet)))
    if rows:
        session.execute(_INSERT_WATCHES, rows)


def next_report_due(case: Case, ready_tasks) -> date | None:
    """An external case's next deadline: the earliest due date of its current steps, else its own."""
    dues = [t.due_date for t in ready_tasks if t.due_date is not None]
    return min(dues) if dues else case.deadline


def _before(calendar, day: date, n: int, unit: str) -> date:
    return day - timedelta(days=n) if unit == "day" else calendar.sub_workdays(day, n)
