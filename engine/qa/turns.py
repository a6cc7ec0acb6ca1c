"""Each department's turn with a question, on its own clock (云南省政务信息查询在线解答管理办法
第七条): a question reaching a department opens a turn; the turn's steps (办理答复, 审核, 转发审核 at a
department; 政府办转发 and its 转发审核 at the 政府办) are all due when the turn is, counted from the
day the question arrived there; the turn ends when the department's reply or its forwarding is
approved, and is late when that happens after its due date.

- an ordinary question: 5 working days (一般性问题在5个工作日内办结回复);
- an important or complex one: 10 (重要复杂问题在10个工作日内回复);
- extended with the head's approval: 20 (经本单位负责人同意后可延长到20个工作日);
- each forwarding level at the 政府办: 5 (每级政府办或指定部门转发处理时限为5个工作日);
- a joint question: every department on its own clock (其中每个部门办理时限按照上述标准办理).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, legaltime
from ..calendar import WorkCalendar, provisional_text
from ..models import CaseTask, Question, QuestionTurn

ARTICLE = "《云南省政务信息查询在线解答管理办法》第七条"
ORDINARY_DAYS, COMPLEX_DAYS, EXTENDED_DAYS, DISPATCH_DAYS = 5, 10, 20, 5
DISPATCH_STEPS = ("dispatch", "dispatch_review")  # the 政府办's forwarding level


def set_due(turn: QuestionTurn, calendar: WorkCalendar) -> None:
    turn.due_date = calendar.add_workdays(turn.started_on, turn.limit_days)
    years = calendar.provisional_years(turn.started_on, turn.due_date)
    turn.due_provisional = provisional_text(years) if years else None


def open_turn(session: Session, question: Question, department_id: int, kind: str, now: datetime,
              calendar: WorkCalendar) -> QuestionTurn:
    turn = QuestionTurn(question=question, department_id=department_id, kind=kind, started_at=now,
                        started_on=clock.local_date(now), complex=False, extended=False, late=False,
                        limit_days=DISPATCH_DAYS if kind == "dispatch" else ORDINARY_DAYS)
    set_due(turn, calendar)
    session.add(turn)
    return turn


def overdue(turn: QuestionTurn, today: date | None = None) -> bool:
    """Late: finished after its due date, or still open after it."""
    if turn.finished_at is not None:
        return turn.late
    return (today or clock.today()) > turn.due_date


def retime_tasks(calendar: WorkCalendar, turn: QuestionTurn, tasks: list[CaseTask]) -> None:
    """The turn's open steps are due when the turn is."""
    for task in tasks:
        task.period_start, task.time_limit, task.limit_unit = turn.started_on, turn.limit_days, "workday"
        legaltime.refresh_task(calendar, task, [])


def kind_of(task: CaseTask) -> str:
    return "dispatch" if task.step_id in DISPATCH_STEPS else "answer"


def sync(session: Session, question: Question, calendar: WorkCalendar, now: datetime) -> None:
    """Open a turn for each department a ready step has reached, time its steps by it, and end the
    turns of departments the question has left."""
    tasks = list(session.scalars(select(CaseTask).where(CaseTask.case_id == question.case_id,
                                                        CaseTask.state == "ready").order_by(CaseTask.id)))
    open_turns = [t for t in question.turns if t.finished_at is None]
    held = set()
    for task in tasks:
        kind = kind_of(task)
        turn = next((t for t in open_turns if t.department_id == task.department_id and t.kind == kind), None)
        if turn is None:
            turn = open_turn(session, question, task.department_id, kind, now, calendar)
            open_turns.append(turn)
        held.add(id(turn))
        retime_tasks(calendar, turn, [task])
    for turn in open_turns:
        if id(turn) not in held:
            turn.finished_at = now
            turn.late = clock.local_date(now) > turn.due_date
    current = [t for t in open_turns if id(t) in held]
    if current:
        question.department_id = current[-1].department_id


def recompute(session: Session, calendar: WorkCalendar, dry_run: bool):
    """After a year is entered: the open turns' provisional due dates made definite, their steps with them."""
    from ..service.deadlines import Move

    moves = []
    for turn in session.scalars(select(QuestionTurn).where(QuestionTurn.due_provisional.is_not(None),
                                                           QuestionTurn.finished_at.is_(None))):
        old = turn.due_date
        probe = QuestionTurn(started_on=turn.started_on, limit_days=turn.limit_days)
        set_due(probe, calendar)
        if probe.due_date != old:
            moves.append(Move(turn.question.case_id, turn.question.number, "咨询答复期限", old, probe.due_date))
        if not dry_run:
            turn.due_date, turn.due_provisional = probe.due_date, probe.due_provisional
    return moves
