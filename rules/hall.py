"""办事大厅 figures (seed 004 §3.1: 公示各部门办件数量、办结时间): what was received and finished today
and this month, overall, by department and by item, with the on-time rate and the average handling
time, from live data of the citizens' flows only (internal flows such as 督办 are never counted).

The definitions are those of the supervision statistics (rules/reports.py), so that the public hall
and the supervisor's report never disagree:

- 按时办结: a finished case whose local finishing day is on or before its deadline, or that has no
  deadline; 按时办结率 = on time / finished (``Row.on_time_rate``);
- 办理时长: working days from acceptance (or receipt, for a case finished without an acceptance) to
  the finishing day, less the days its clock stood still (``paused_days``).

Two GROUP BY queries over the month's range; the figures are cached per process for at most
``TTL_SECONDS`` (the page says "数据每分钟更新")."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable

from sqlalchemy import Date, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.functions import FunctionElement

from engine import clock
from engine.calendar import load_calendar
from engine.models import Case, Department, Item
from engine.service import public

from .reports import _citizens, finite  # one meaning of "the citizens' cases" for every statistic

TTL_SECONDS = 60
CACHE_SIZE = 8  # keys are (database, day): a few at most, and never more than this


class local_day(FunctionElement):  # noqa: N801  (an SQL function, named like one)
    """The office's calendar day (Asia/Shanghai) of a UTC timestamp column, in SQL, so that days can
    be grouped and compared with a ``deadline`` date without reading every row."""

    type = Date()
    inherit_cache = True
    name = "local_day"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    # UTCDateTime stores naive UTC text; Asia/Shanghai has kept UTC+8 without daylight saving since 1991
    offset = int(clock.LOCAL_TZ.utcoffset(datetime(2000, 1, 1)).total_seconds())
    return f"date({compiler.process(element.clauses, **kw)}, '{offset:+d} seconds')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw):
    return (f"CAST(timezone('{clock.LOCAL_TZ.key}', timezone('UTC', {compiler.process(element.clauses, **kw)}))"
            " AS DATE)")


@dataclass
class Figures:
    """收件, 办结, 按时办结 and the working days of the finished cases, for one group and one period."""

    received: int = 0
    finished: int = 0
    on_time: int = 0
    workdays: int = 0  # total over the finished cases

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率 as a share (0.9512), or None ("—") when nothing was finished."""
        return finite(round(self.on_time / self.finished, 4)) if self.finished else None

    @property
    def average_days(self) -> float | None:
        """平均办理时长 in working days, one decimal, or None when nothing was finished."""
        return finite(round(self.workdays / self.finished, 1)) if self.finished else None


@dataclass
class HallRow:
    """One department or item of the hall: its figures today and this month."""

    code: str
    name: str
    department: str = ""  # an item's department
    today: Figures = field(default_factory=Figures)
    month: Figures = field(default_factory=Figures)


@dataclass
class HallFigures:
    day: date  # 今日
    month_start: date  # 本月 runs from here to the end of ``day``
    computed_at: datetime  # 统计时间 (aware UTC)
    today: Figures
    month: Figures
    departments: list[HallRow]
    items: list[HallRow]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, clock.LOCAL_TZ)


def compute_figures(session: Session, day: date) -> HallFigures:
    """The figures of ``day`` and of its month up to the end of that day, read from the database."""
    month_start, end = day.replace(day=1), _midnight(day + timedelta(days=1))
    since = _midnight(month_start)
    citizens = _citizens(session)
    received_on = local_day(Case.received_at)
    received = session.execute(
        select(Case.department_id, Case.item_id, received_on, func.count())
        .where(Case.received_at >= since, Case.received_at < end, citizens)
        .group_by(Case.department_id, Case.item_id, received_on)).all()
    # finished cases by (department, item, finishing day, starting day): the working days of a group
    # are counted once, and today's share is the groups finished on ``day``
    done_on = local_day(Case.finished_at)
    started_on = local_day(Case.accepted_at)  # a finished case always has it (engine: finish_if_done), as in reports
    in_time = case((Case.deadline.is_(None) | (done_on <= Case.deadline), 1), else_=0)
    finished = session.execute(
        select(Case.department_id, Case.item_id, done_on, started_on, func.count(), func.sum(in_time),
               func.sum(Case.paused_days))
        .where(Case.state == "finished", Case.finished_at >= since, Case.finished_at < end, citizens)
        .group_by(Case.department_id, Case.item_id, done_on, started_on)).all()

    number = _workday_numbers(session, [r[2] for r in finished] + [r[3] for r in finished])
    totals = (Figures(), Figures())  # (today, this month)
    by_dept: dict[int, tuple[Figures, Figures]] = {}
    by_item: dict[int, tuple[Figures, Figures]] = {}

    def groups(dept_id: int, item_id: int, on: date):
        for today, month in (totals, by_dept.setdefault(dept_id, (Figures(), Figures())),
                             by_item.setdefault(item_id, (Figures(), Figures()))):
            yield month
            if on == day:
                yield today

    for dept_id, item_id, on, count in received:
        for figures in groups(dept_id, item_id, on):
            figures.received += count
    for dept_id, item_id, done, started, count, on_time, paused in finished:
        workdays = max(0, (number[done] - number[started]) * count - (paused or 0)) if started < done else 0
        for figures in groups(dept_id, item_id, done):
            figures.finished += count
            figures.on_time += on_time or 0
            figures.workdays += workdays
    return HallFigures(day, month_start, clock.now(), *totals, *_rows(session, by_dept, by_item))


def _workday_numbers(session: Session, days: list[date]) -> dict[date, int]:
    """Each day's number of working days since the earliest of them, from the working-day calendar
    (holidays and 调休 included): the working days between two of them are a subtraction."""
    if not days:
        return {}
    calendar = load_calendar(session)
    first, last = min(days), max(days)
    numbers, n, current = {}, 0, first
    while current <= last:
        n += calendar.is_workday(current) and current != first
        numbers[current] = n
        current += timedelta(days=1)
    return numbers


def _rows(session: Session, by_dept: dict, by_item: dict) -> tuple[list[HallRow], list[HallRow]]:
    """Every department with public items or with cases this month (by department id, the
    directory's order); every item with cases this month (by code)."""
    with_items = select(public.public_items_query(session).subquery().c.department_id)
    departments = session.scalars(select(Department).where(
        Department.id.in_(with_items) | Department.id.in_(list(by_dept))).order_by(Department.id))
    items = session.scalars(select(Item).where(Item.id.in_(list(by_item))).order_by(Item.code)
                            .options(joinedload(Item.current_version), joinedload(Item.department)))
    return ([HallRow(d.code, d.name, "", *by_dept.get(d.id, (Figures(), Figures()))) for d in departments],
            [HallRow(i.code, i.current_version.name if i.current_version else i.code, i.department.name,
                     *by_item[i.id]) for i in items])


class TTLCache:
    """A few values kept for at most ``ttl`` seconds of ``now()`` (the engine's clock, so tests move
    time instead of sleeping); a clock that went backwards also expires them. Thread-safe."""

    def __init__(self, ttl: float, size: int, now: Callable[[], datetime] = clock.now):
        self.ttl, self.size, self.now = ttl, size, now
        self._lock = threading.Lock()
        self._values: dict[object, tuple[datetime, object]] = {}

    def get(self, key):
        with self._lock:
            hit = self._values.get(key)
            if hit is None:
                return None
            age = (self.now() - hit[0]).total_seconds()
            if 0 <= age < self.ttl:
                return hit[1]
            del self._values[key]
            return None

    def put(self, key, value) -> None:
        with self._lock:
            self._values[key] = (self.now(), value)
            while len(self._values) > self.size:
                del self._values[min(self._values, key=lambda k: self._values[k][0])]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


cache = TTLCache(TTL_SECONDS, CACHE_SIZE)


def hall_figures(session: Session, today: date | None = None) -> HallFigures:
    """The hall's figures for ``today`` (default: the office's today), at most a minute old."""
    day = today or clock.today()
    key = (str(session.get_bind().url), day)
    figures = cache.get(key)
    if figures is None:
        figures = compute_figures(session, day)
        cache.put(key, figures)
    return figures
