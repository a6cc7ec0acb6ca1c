"""Provisional dates (预计) made definite: when an administrator enters a year's holiday
arrangement, every date computed provisionally — case deadlines, open steps' due dates, paused
days, 补正 answer periods, and whatever the plugged-in layers keep (complaints) — is recomputed
from its facts; each change is an audit event, and the list of what moved is returned.

With ``dry_run`` and a calendar that includes the proposed year (``WorkCalendar.with_year``) the
same code tells what *would* move, for the preview before saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from .. import audit, clock, legaltime, listeners
from ..calendar import WorkCalendar, load_calendar
from ..models import Case, CasePause, CaseTask, User
from .common import snapshot


@dataclass
class Move:
    case_id: int | None
    case_number: str
    what: str  # 承诺办结日期, 环节“审查”办理期限, 补正期限, 投诉处理期限 …
    before: date | None
    after: date | None


def _cases_to_recompute(session: Session, since: date | None):
    """Open cases with a provisional date, and with ``since`` (a changed day) those whose dates reach it."""
    pause_provisional = exists().where(CasePause.case_id == Case.id, CasePause.provisional)
    task_provisional = exists().where(CaseTask.case_id == Case.id, CaseTask.state == "ready", CaseTask.due_provisional)
    which = [Case.deadline_provisional.is_not(None), pause_provisional, task_provisional]
    if since is not None:
        which += [Case.deadline >= since, exists().where(CaseTask.case_id == Case.id, CaseTask.state == "ready",
                                                         CaseTask.due_date >= since)]
    return session.scalars(select(Case).where(Case.state.in_(("received", "accepted")), or_(*which)).order_by(Case.id))


def recompute_all(session: Session, calendar: WorkCalendar | None = None, actor: User | None = None,
                  dry_run: bool = False, since: date | None = None) -> list[Move]:
    """Recompute every provisional date (and, with ``since``, every date reaching a changed day)."""
    calendar = calendar or load_calendar(session)
    moves: list[Move] = []
    for case in list(_cases_to_recompute(session, since)):
        moves.extend(_recompute_case(session, calendar, case, actor, dry_run))
    for hook in listeners.recompute_hooks():
        moves.extend(hook(session, calendar, dry_run))
    if not dry_run:
        session.flush()
    return moves


def _recompute_case(session: Session, calendar: WorkCalendar, case: Case, actor: User | None, dry_run: bool):
    with session.no_autoflush:
        pauses = list(session.scalars(select(CasePause).where(CasePause.case_id == case.id)))
        tasks = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")))
    before = snapshot(case, tasks)
    moves, changes = [], {}
    result = legaltime.explain(session, calendar, case)
    if result is not None and (result.due != case.deadline or result.provisional != case.deadline_provisional):
        if result.due != case.deadline:
            moves.append(Move(case.id, case.number, "承诺办结日期", case.deadline, result.due))
        changes["deadline"] = {"from": case.deadline, "to": result.due, "provisional": result.provisional}
        if not dry_run:
            case.deadline, case.deadline_provisional = result.due, result.provisional
    for task in tasks:
        due, provisional = legaltime.task_due(calendar, task, pauses)
        if (due, provisional) != (task.due_date, task.due_provisional):
            if due != task.due_date:
                moves.append(Move(case.id, case.number, f"环节“{task.step_name}”办理期限", task.due_date, due))
            changes[f"task:{task.id}"] = {"from": task.due_date, "to": due, "provisional": provisional}
            if not dry_run:
                task.due_date, task.due_provisional = due, provisional
    for pause in pauses:
        if not pause.provisional:
            continue
        start = clock.local_date(pause.started_at)
        if pause.ended_at is None and pause.due_date is not None:
            due = calendar.add_workdays(start, case.item_version.correction_answer_days)
            if due != pause.due_date:
                moves.append(Move(case.id, case.number, "补正期限", pause.due_date, due))
                changes[f"pause:{pause.id}"] = {"from": pause.due_date, "to": due}
            if not dry_run:
                pause.due_date, pause.provisional = due, bool(calendar.provisional_years(start, due))
        elif pause.ended_at is not None and not dry_run:
            end = clock.local_date(pause.ended_at)
            pause.provisional = bool(calendar.provisional_years(start, end))
            if pause.stops_clock and pause.paused_days is not None:
                days = calendar.period_between(start, end, case.limit_unit)
                case.paused_days += days - pause.paused_days
                pause.paused_days = days
    if changes and not dry_run:
        audit.record(session, case, actor, "recompute_deadlines", before=before, after=snapshot(case, tasks),
                     reason="录入放假安排后重新计算预计期限", detail=changes)
        listeners.notify(listeners.Transition(session, case, "recompute_deadlines", actor, before=before))
    return moves


def refresh_pending_deadlines(session: Session) -> int:
    """Kept for callers of the old name: recompute and count what moved."""
    return len(recompute_all(session))
