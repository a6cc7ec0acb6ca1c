"""Working days (工作日): the calendar table, seeded from ``chinesecalendar`` and editable.

Periods count from the day after the start date (民法典 art. 201; 行政许可法 art. 82: working days,
statutory holidays excluded): 20 working days from 2026-09-28 end on 2026-10-30. A calendar-day
period whose last day is a rest day ends on the next working day (民法典 art. 203).

A year the table lacks (the State Council publishes next year's arrangement in the autumn) is
never a failure and never guessed silently: its days follow the statutory holidays and weekends
(:mod:`engine.statutory`), and every date reached through it is *provisional* (预计), with the
reason :meth:`WorkCalendar.provisional_reason` gives.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock, statutory
from .errors import CalendarMissing, InvalidInput
from .models import CalendarDay, CalendarYear

SEED_YEARS = range(2004, 2027)
MAX_PERIOD = 3660  # no legal period is longer than ten years of days
ROLL_OVER_BASIS = "《中华人民共和国民法典》第二百零三条"


def provisional_text(years) -> str:
    listed = "、".join(str(y) for y in sorted(years))
    return f"{listed} 年放假安排尚未录入，按法定节假日和周末预计"


class WorkCalendar:
    """An in-memory view of the calendar table."""

    def __init__(self, workdays: dict[int, frozenset[date]], names: dict[date, str] | None = None):
        self._workdays = workdays  # year -> set of working days, only for maintained years
        self._names = names or {}  # holidays and make-up working days of maintained years

    @property
    def years(self) -> list[int]:
        return sorted(self._workdays)

    def is_maintained(self, year: int) -> bool:
        return year in self._workdays

    def is_workday(self, day: date) -> bool:
        days = self._workdays.get(day.year)
        if days is None:
            return statutory.is_workday(day)
        return day in days

    def day_name(self, day: date) -> str | None:
        """元旦, 春节, 调休上班 … (a provisional year's holidays come from the statute)."""
        if day.year in self._workdays:
            return self._names.get(day)
        return statutory.rest_days(day.year).get(day)

    def provisional_years(self, start: date, end: date) -> list[int]:
        return [y for y in range(min(start, end).year, max(start, end).year + 1) if y not in self._workdays]

    def provisional_reason(self, start: date, end: date) -> str | None:
        """Why a period from ``start`` to ``end`` is only 预计, or None when every year in it is entered."""
        years = self.provisional_years(start, end)
        return provisional_text(years) if years else None

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (n >= 0; 0 gives ``start``)."""
        _check_period(n)
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def sub_workdays(self, end: date, n: int) -> date:
        """The day n working days before ``end`` (so that add_workdays(result, n) == end for a working day)."""
        _check_period(n)
        day = end
        while n > 0:
            day -= timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        _check_period((end - start).days)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def roll_over(self, day: date) -> date:
        """A period ending on a rest day ends on the next working day (民法典 art. 203)."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_period(self, start: date, n: int, unit: str) -> date:
        if unit == "day":
            _check_period(n)
            return self.roll_over(start + timedelta(days=n)) if n > 0 else start
        return self.add_workdays(start, n)

    def period_between(self, start: date, end: date, unit: str) -> int:
        if unit == "day":
            return max(0, (end - start).days)
        return self.workdays_between(start, end)

    def with_year(self, year: int, holidays: dict[date, str], makeup_workdays) -> "WorkCalendar":
        """This calendar with ``year`` as a notice would declare it (for previews before saving)."""
        is_workday, name_of = _year_rule(year, holidays, makeup_workdays)
        days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        workdays = dict(self._workdays)
        workdays[year] = frozenset(d for d in days if is_workday(d))
        names = {d: n for d, n in self._names.items() if d.year != year}
        names.update({d: name_of(d) for d in days if name_of(d)})
        return WorkCalendar(workdays, names)

    def crossed(self, start: date, end: date) -> list[tuple[date, str, bool]]:
        """Holidays, 补假 and make-up working days after ``start`` up to ``end``: (day, name, is_workday)."""
        found, day = [], start
        while day < end:
            day += timedelta(days=1)
            name = self.day_name(day)
            if name:
                found.append((day, name, self.is_workday(day)))
        return found


def _check_period(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool):
        raise InvalidInput("期限天数必须是整数。")
    if n < 0:
        raise InvalidInput("期限天数不能为负数。")
    if n > MAX_PERIOD:
        raise InvalidInput(f"期限天数不能超过 {MAX_PERIOD} 天。")


_cache_lock = threading.Lock()
_cache: dict[str, tuple[object, WorkCalendar, float]] = {}
RECHECK_SECONDS = 5.0  # how stale another process's calendar edit may be seen here


def invalidate_cache() -> None:
    with _cache_lock:
        _cache.clear()


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar of this database, cached; edits made here are seen at once, edits made by
    another process within RECHECK_SECONDS."""
    key = str(session.get_bind().url)
    with _cache_lock:
        hit = _cache.get(key)
        if hit and time.monotonic() - hit[2] < RECHECK_SECONDS:
            return hit[1]
    stamp = session.execute(
        select(func.count(CalendarYear.year), func.max(CalendarYear.updated_at))).one()
    with _cache_lock:
        if hit and hit[0] == tuple(stamp):
            _cache[key] = (hit[0], hit[1], time.monotonic())
            return hit[1]
    complete = set(session.scalars(select(CalendarYear.year).where(CalendarYear.complete)))
    workdays: dict[int, set[date]] = {year: set() for year in complete}
    names: dict[date, str] = {}
    for day, is_workday, name in session.execute(select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.name)):
        if day.year in workdays:
            if is_workday:
                workdays[day.year].add(day)
            if name:
                names[day] = name
    calendar = WorkCalendar({y: frozenset(d) for y, d in workdays.items()}, names)
    with _cache_lock:
        _cache[key] = (tuple(stamp), calendar, time.monotonic())
    return calendar


def _put_year(session: Session, year: int, is_workday, name_of, source: str, actor_id=None) -> None:
    now = clock.now()
    existing = {d.day: d for d in session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))}
    day = date(year, 1, 1)
    while day.year == year:
        row = existing.get(day)
        if row is None:
            row = CalendarDay(day=day)
            session.add(row)
        row.is_workday, row.name, row.source = is_workday(day), name_of(day), source
        row.updated_at, row.updated_by_id = now, actor_id
        day += timedelta(days=1)
    year_row = session.get(CalendarYear, year) or CalendarYear(year=year)
    year_row.source, year_row.complete, year_row.updated_at = source, True, now
    session.add(year_row)
    session.flush()
    invalidate_cache()


def seed_from_package(session: Session, years=SEED_YEARS) -> list[int]:
    """Load the years ``chinesecalendar`` knows; years already in the table are left alone."""
    import chinese_calendar

    present = set(session.scalars(select(CalendarYear.year)))
    added = []
    for year in years:
        if year in present:
            continue

        def name_of(day):
            on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
            if holiday is not None:
                label = str(getattr(holiday, "value", holiday))
                return _HOLIDAY_NAMES.get(label, label) + ("" if on_holiday else "调休上班")
            return None

        _put_year(session, year, chinese_calendar.is_workday, name_of, "chinesecalendar")
        added.append(year)
    return added


def declare_year(session: Session, year: int, holidays: dict[date, str], makeup_workdays: list[date],
                 actor_id: int | None = None) -> None:
    """Maintain a year by hand from the State Council's notice: weekdays work, weekends rest,
    then the listed holidays rest and the listed make-up days (调休) work."""
    is_workday, name_of = _year_rule(year, holidays, makeup_workdays)
    _put_year(session, year, is_workday, name_of, "manual", actor_id)


def _year_rule(year: int, holidays: dict[date, str], makeup_workdays):
    """Weekdays work, weekends rest, then the listed holidays rest and the make-up days (调休) work."""
    for day in list(holidays) + list(makeup_workdays):
        if day.year != year:
            raise InvalidInput(f"日期 {day} 不属于 {year} 年。")
    makeup = set(makeup_workdays)
    clash = makeup & set(holidays)
    if clash:
        raise InvalidInput(f"{min(clash)} 不能既是放假日又是调休上班日。")

    def is_workday(day):
        if day in holidays:
            return False
        return day in makeup or day.weekday() < 5

    def name_of(day):
        if day in holidays:
            return holidays[day]
        return "调休上班" if day in makeup else None

    return is_workday, name_of


def set_day(session: Session, day: date, is_workday: bool, name: str | None, actor_id: int | None = None) -> None:
    """Change one date of a maintained year."""
    row = session.get(CalendarDay, day)
    year = session.get(CalendarYear, day.year)
    if row is None or year is None:
        raise CalendarMissing(day.year)
    row.is_workday, row.name, row.source = is_workday, name, "manual"
    row.updated_at = year.updated_at = clock.now()
    row.updated_by_id = actor_id
    session.flush()
    invalidate_cache()


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
