"""Deadlines that could not be computed (a year without calendar data) are computed again once
an administrator has maintained that year."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..calendar import load_calendar
from ..models import Case, CaseTask
from .common import due_date


def refresh_pending_deadlines(session: Session) -> int:
    calendar = load_calendar(session)
    fixed = 0
    for task in session.scalars(select(CaseTask).where(CaseTask.state == "ready", CaseTask.due_date.is_(None))):
        task.due_date, _ = due_date(calendar, task.created_at, task.time_limit, task.limit_unit)
        fixed += task.due_date is not None
    for case in session.scalars(select(Case).where(Case.deadline_pending.is_not(None), Case.accepted_at.is_not(None))):
        deadline, pending = due_date(calendar, case.accepted_at, case.limit_days + case.extended_days, case.limit_unit)
        if deadline is not None:
            case.deadline = calendar.add_period(deadline, case.paused_days, case.limit_unit)
            case.deadline_pending = None
            fixed += 1
    session.flush()
    return fixed
