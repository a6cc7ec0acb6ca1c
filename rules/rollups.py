"""Statistics rollups (engine/models/stats.py): kept right by the transaction that changes a case.

A transition listener notes which cases and steps a command touched (no SQL); when the transaction
commits, what they changed is added to the month rows in one UPSERT per table (a completion: one row
of ``stat_step_month``; a case received or closed: one row of ``stat_case_month``). The figures are
therefore exact the moment the command is: there is no watermark to fall behind, no change missed
between a tick and a sequence number committed late, and a command undone (a rolled-back savepoint or
transaction) adds nothing, because the rows are written from the state that is actually committed.

A case counts once where it was received (month, department, item, origin), a step where it was
completed. Pauses, resumptions and extensions move only an open case's deadline, which the rollups
do not keep (lateness of an open case depends on today and is read from the case table); 不予受理
and 撤回 close a case without finishing it; a 退回 counts the case once, at its first return.

:func:`rebuild` recomputes everything in SQL (bulk loads, ``sunhall stats rebuild``)."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError
from sqlalchemy.sql.functions import FunctionElement

from engine import clock
from engine.calendar import load_calendar
from engine.listeners import Transition
from engine.models import Case, CaseEvent, CaseTask
from engine.models.stats import StatCaseMonth, StatStepMonth
from engine.service.authority import internal_definitions, is_internal

OPEN = ("received", "accepted")
DONE_TASK = ("completed", "returned")
_KEY = "stat_rollups"
CASE_SUMS = ("cases", "open", "finished", "on_time", "early", "overdue", "returned", "decided", "denied",
             "days_total", "days_count")
STEP_SUMS = ("tasks", "returned", "on_time", "early", "overdue", "decided", "denied", "days_total")


# --- local dates in SQL (timestamps are stored as naive UTC) ----------------------------------------

class local_date(FunctionElement):
    """The local (Asia/Shanghai) calendar day of a stored UTC timestamp."""
    type = Date()
    inherit_cache = True


class local_month(FunctionElement):
    """The first day of that day's month."""
    type = Date()
    inherit_cache = True


@compiles(local_date, "postgresql")
def _pg_date(element, compiler, **kw):
    return f"CAST(timezone('{clock.LOCAL_TZ.key}', timezone('UTC', {compiler.process(element.clauses, **kw)})) AS DATE)"


@compiles(local_month, "postgresql")
def _pg_month(element, compiler, **kw):
    inner = f"timezone('{clock.LOCAL_TZ.key}', timezone('UTC', {compiler.process(element.clauses, **kw)}))"
    return f"CAST(date_trunc('month', {inner}) AS DATE)"


def _offset() -> str:
    """SQLite has no time zones: the local offset (Asia/Shanghai keeps no summer time)."""
    hours = clock.LOCAL_TZ.utcoffset(clock.now()).total_seconds() / 3600
    return f"{hours:+g} hours"


@compiles(local_date, "sqlite")
def _sqlite_date(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '{_offset()}')"


@compiles(local_month, "sqlite")
def _sqlite_month(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '{_offset()}', 'start of month')"


def month_of(day: date) -> date:
    return day.replace(day=1)


# --- what one case and one step add ----------------------------------------------------------------

def _decision(result: str | None) -> tuple[int, int]:
    if result and (result.startswith("准予") or result.startswith("不予")):
        return 1, int(result.startswith("不予"))
    return 0, 0


def finished_figures(case: Case, calendar) -> dict:
    """What a finished case adds to its month's row (the report's own arithmetic)."""
    done = clock.local_date(case.finished_at)
    late = case.deadline is not None and done > case.deadline
    decided, denied = _decision(case.result)
    figures = dict(finished=1, on_time=int(not late), early=int(case.deadline is not None and done < case.deadline),
                   overdue=int(late), decided=decided, denied=denied)
    if case.accepted_at is not None:
        days = calendar.workdays_between(clock.local_date(case.accepted_at), done) - case.paused_days
        figures.update(days_total=max(0, days), days_count=1)
    return figures


def step_figures(task: CaseTask, calendar) -> dict:
    done = clock.local_date(task.completed_at)
    late = task.due_date is not None and done > task.due_date
    return dict(tasks=1, returned=int(task.state == "returned"), on_time=int(not late),
                early=int(task.due_date is not None and done < task.due_date), overdue=int(late),
                decided=int(task.approved is not None), denied=int(task.approved is False),
                days_total=calendar.workdays_between(clock.local_date(task.created_at), done))


def case_key(case: Case) -> tuple:
    return month_of(clock.local_date(case.received_at)), case.department_id, case.item_id, case.source is not None


def step_key(task: CaseTask, case: Case) -> tuple:
    return (month_of(clock.local_date(task.completed_at)), case.item_id, task.step_id, task.department_id,
            task.post_code, case.source is not None, task.step_name)


# --- kept on each transition, written at commit ----------------------------------------------------

@dataclass
class _Touched:
    case: Case
    before: str | None  # the state when the transaction first touched it; None: received in it
    returns: int = 0


@dataclass
class _Pending:
    cases: dict[int, _Touched] = field(default_factory=dict)
    tasks: dict[int, CaseTask] = field(default_factory=dict)
    reported: set[int] = field(default_factory=set)  # steps an external system reported done


def on_transition(t: Transition) -> None:
    """Note what the command touched; nothing is read or written here (see :func:`_write`)."""
    pending = t.session.info.get(_KEY)
    if pending is None:
        pending = t.session.info[_KEY] = _Pending()
    touched = pending.cases.get(t.case.id)
    if touched is None:
        touched = pending.cases[t.case.id] = _Touched(t.case, t.before.get("state") if t.before else None)
    if t.action == "return":
        touched.returns += 1
    if t.action in ("complete", "return") and t.task is not None:
        pending.tasks[t.task.id] = t.task
    elif t.action == "report":
        pending.reported.update(f["task_id"] for f in t.data.get("reported", ()) if f.get("task_id"))


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if pending is not None:
        apply(session, pending)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_KEY, None)


def apply(session: Session, pending: _Pending) -> None:
    calendar = None
    cases: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(CASE_SUMS, 0))
    for touched in pending.cases.values():
        c = touched.case
        try:
            state = c.state  # a case received in a rolled-back savepoint is gone
        except ObjectDeletedError:
            continue
        if is_internal(session, c):
            continue
        row = cases[case_key(c)]
        if touched.before is None:
            row["cases"] += 1
            row["open"] += state in OPEN
        elif touched.before in OPEN and state not in OPEN:
            row["open"] -= 1
        if state == "finished" and (touched.before is None or touched.before in OPEN):
            calendar = calendar or load_calendar(session)
            for name, value in finished_figures(c, calendar).items():
                row[name] += value
        if touched.returns:
            returns = session.scalar(select(func.count()).select_from(CaseEvent).where(
                CaseEvent.case_id == c.id, CaseEvent.action == "return"))
            row["returned"] += 1 <= returns <= touched.returns  # its first return was in this transaction
    tasks = list(pending.tasks.values())
    if pending.reported:
        tasks += session.scalars(select(CaseTask).where(CaseTask.id.in_(pending.reported)))
    steps: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(STEP_SUMS, 0))
    for task in tasks:
        try:
            if task.state not in DONE_TASK or task.completed_at is None:
                continue
        except ObjectDeletedError:
            continue
        c = session.get(Case, task.case_id)
        if is_internal(session, c):
            continue
        calendar = calendar or load_calendar(session)
        key = step_key(task, c)
        for name, value in step_figures(task, calendar).items():
            steps[key][name] += value
    _upsert(session, StatCaseMonth, ("month", "department_id", "item_id", "external"),
            [dict(zip(("month", "department_id", "item_id", "external"), k), **v) for k, v in cases.items()
             if any(v.values())], CASE_SUMS)
    step_keys = ("month", "item_id", "step_id", "department_id", "post_code", "external", "step_name")
    _upsert(session, StatStepMonth, step_keys, [dict(zip(step_keys, k), **v) for k, v in steps.items()], STEP_SUMS)


def _upsert(session: Session, model, keys: tuple, rows: list[dict], sums: tuple) -> None:
    if rows:
        session.execute(_upsert_statement(session.get_bind().dialect.name, model, keys, sums), rows)


@functools.cache
def _upsert_statement(dialect: str, model, keys: tuple, sums: tuple):
    """Built once: a statement SQLAlchemy compiles once and reuses (``values`` lists would compile each time)."""
    table = model.__table__
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={name: table.c[name] + stmt.excluded[name] for name in sums})


# --- full recompute -------------------------------------------------------------------------------

def _positive(expr):
    return case((expr > 0, expr), else_=0)


def _flag(condition):
    return func.sum(case((condition, 1), else_=0))


def _workday_numbers(session: Session) -> Table:
    """A temporary table numbering the working days (day → working days up to and including it), so
    that the working days after ``a`` up to ``b`` are number(b) − number(a), as the calendar counts them."""
    c, t = Case.__table__, CaseTask.__table__
    bounds = [session.execute(select(func.min(col), func.max(col))).one()
              for col in (c.c.received_at, c.c.accepted_at, c.c.finished_at, t.c.created_at, t.c.completed_at)]
    moments = [m for pair in bounds for m in pair if m is not None]
    table = Table("stat_workday", MetaData(), Column("day", Date, primary_key=True), Column("n", Integer),
                  prefixes=["TEMPORARY"])
    table.create(session.connection(), checkfirst=True)
    session.execute(delete(table))
    if not moments:
        return table
    calendar = load_calendar(session)
    first = min(clock.local_date(m) for m in moments) - timedelta(days=1)
    last = max(clock.local_date(m) for m in moments)
    rows, n, day = [], 0, first
    while day <= last:
        n += calendar.is_workday(day) and day != first
        rows.append({"day": day, "n": n})
        day += timedelta(days=1)
    session.execute(insert(table), rows)
    return table


def rebuild(session: Session) -> dict:
    """Recompute both rollups from the cases and steps, in SQL; returns the rows written."""
    internal = internal_definitions(session)
    days = _workday_numbers(session)
    session.execute(delete(StatCaseMonth))
    session.execute(delete(StatStepMonth))
    c, t, e = Case.__table__, CaseTask.__table__, CaseEvent.__table__
    done, acc = days.alias("done"), days.alias("acc")
    finished = c.c.state == "finished"
    done_day, deadline = local_date(c.c.finished_at), c.c.deadline
    cases = (select(local_month(c.c.received_at), c.c.department_id, c.c.item_id, c.c.source.is_not(None),
                    func.count(), _flag(c.c.state.in_(OPEN)), _flag(finished),
                    _flag(and_(finished, or_(deadline.is_(None), done_day <= deadline))),
                    _flag(and_(finished, deadline.is_not(None), done_day < deadline)),
                    _flag(and_(finished, deadline.is_not(None), done_day > deadline)),
                    _flag(c.c.id.in_(select(e.c.case_id).where(e.c.action == "return"))),
                    _flag(and_(finished, or_(c.c.result.like("准予%"), c.c.result.like("不予%")))),
                    _flag(and_(finished, c.c.result.like("不予%"))),
                    func.coalesce(func.sum(case((and_(finished, c.c.accepted_at.is_not(None)),
                                                 _positive(_positive(done.c.n - acc.c.n) - c.c.paused_days)),
                                                else_=0)), 0),
                    _flag(and_(finished, c.c.accepted_at.is_not(None))))
             .select_from(c).outerjoin(done, done.c.day == done_day)
             .outerjoin(acc, acc.c.day == local_date(c.c.accepted_at)))
    if internal:
        cases = cases.where(c.c.definition_id.not_in(internal))
    cases = cases.group_by(local_month(c.c.received_at), c.c.department_id, c.c.item_id, c.c.source.is_not(None))
    case_columns = ["month", "department_id", "item_id", "external", *CASE_SUMS]
    session.execute(insert(StatCaseMonth.__table__).from_select(case_columns, cases))
    created = days.alias("created")
    completed_day, due = local_date(t.c.completed_at), t.c.due_date
    external = c.c.source.is_not(None)
    steps = (select(local_month(t.c.completed_at), c.c.item_id, t.c.step_id, t.c.department_id, t.c.post_code,
                    external, t.c.step_name, func.count(), _flag(t.c.state == "returned"),
                    _flag(or_(due.is_(None), completed_day <= due)), _flag(and_(due.is_not(None), completed_day < due)),
                    _flag(and_(due.is_not(None), completed_day > due)), _flag(t.c.approved.is_not(None)),
                    _flag(t.c.approved == literal(False)),
                    func.coalesce(func.sum(_positive(done.c.n - created.c.n)), 0))
             .select_from(t).join(c, c.c.id == t.c.case_id)
             .outerjoin(done, done.c.day == completed_day).outerjoin(created, created.c.day == local_date(t.c.created_at))
             .where(t.c.state.in_(DONE_TASK), t.c.completed_at.is_not(None)))
    if internal:
        steps = steps.where(c.c.definition_id.not_in(internal))
    steps = steps.group_by(local_month(t.c.completed_at), c.c.item_id, t.c.step_id, t.c.department_id,
                           t.c.post_code, external, t.c.step_name)
    step_columns = ["month", "item_id", "step_id", "department_id", "post_code", "external", "step_name", *STEP_SUMS]
    session.execute(insert(StatStepMonth.__table__).from_select(step_columns, steps))
    days.drop(session.connection())
    return {"case_rows": session.scalar(select(func.count()).select_from(StatCaseMonth)),
            "step_rows": session.scalar(select(func.count()).select_from(StatStepMonth))}
