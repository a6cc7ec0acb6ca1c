"""Statistics for supervision: the dashboard, performance by department, post, step and period,
random sampling, and the quarterly report with its grades."""

from __future__ import annotations

import math
import random
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.errors import InvalidInput
from engine.models import Case, CaseEvent, CaseTask, Department, Item, ItemVersion, Post
from engine.models.stats import StatCaseMonth, StatStepMonth
from engine.service.authority import internal_definitions
from engine.validation import normalize

from .models import LEVELS, Alert, Complaint


def finite(value: float | None) -> float | None:
    """A statistic as stored and shown: NaN and Infinity become None (shown "—")."""
    return value if value is None or math.isfinite(value) else None


GRADES = ((0.95, "优秀"), (0.90, "良好"), (0.80, "合格"), (0.0, "不合格"))


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, clock.LOCAL_TZ)


def quarter_of(day: date) -> tuple[date, date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + (first_month == 10), (first_month + 3 - 1) % 12 + 1, 1)
    return start, end


def parse_period(text: str | None) -> tuple[date, date, str]:
    """``2026Q3`` / ``2026-09`` / ``2026`` / empty (the current quarter) → [start, end) and a label.
    Full-width digits are accepted; anything else is refused with the formats to use."""
    today = clock.today()
    text = normalize(text or "").strip().upper()
    if not text:
        start, end = quarter_of(today)
        return start, end, f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    if not re.match(r"(19|20|21)\d\d", text):  # years the calendar and the clock can reach
        raise InvalidInput("统计期格式应为 2026Q3、2026-09 或 2026（年份 1900–2199）。", field="period")
    if match := re.fullmatch(r"(\d{4})Q([1-4])", text):
        year, q = int(match[1]), int(match[2])
        start = date(year, (q - 1) * 3 + 1, 1)
        return start, quarter_of(start)[1], f"{year}年第{q}季度"
    if (match := re.fullmatch(r"(\d{4})-(\d{1,2})", text)) and 1 <= int(match[2]) <= 12:
        year, month = int(match[1]), int(match[2])
        start = date(year, month, 1)
        return start, (start + timedelta(days=32)).replace(day=1), f"{year}年{month}月"
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text) + 1, 1, 1), f"{int(text)}年"
    raise InvalidInput("统计期格式应为 2026Q3、2026-09 或 2026。", field="period")


@dataclass
class Row:
    key: str
    label: str
    cases: int = 0
    finished: int = 0
    on_time: int = 0
    overdue: int = 0
    early: int = 0
    returned: int = 0
    denied: int = 0
    decided: int = 0
    complaints: int = 0
    external: int = 0  # of ``cases``, reported by departments' own systems (外部)
    days: list = field(default_factory=list)
    days_total: int = 0  # working days summed in a rollup, beside those listed in ``days``
    days_count: int = 0

    def rate(self, part: int, whole: int) -> float | None:
        """A share, or None ("—") when there is nothing to divide by: never Infinity or NaN."""
        return finite(round(part / whole, 4)) if whole > 0 else None

    @property
    def on_time_rate(self):
        return self.rate(self.on_time, self.finished)

    @property
    def overdue_rate(self):
        return self.rate(self.overdue, self.cases)

    @property
    def early_rate(self):
        return self.rate(self.early, self.finished)

    @property
    def return_rate(self):
        return self.rate(self.returned, self.cases)

    @property
    def denial_rate(self):
        return self.rate(self.denied, self.decided)

    @property
    def average_days(self):
        days = [d for d in self.days if math.isfinite(d)]
        count = len(days) + self.days_count
        return finite(round((sum(days) + self.days_total) / count, 1)) if count else None

    @property
    def grade(self) -> str:
        if self.on_time_rate is None:
            return "—"
        return next(label for bound, label in GRADES if self.on_time_rate >= bound)


COLUMNS = [("cases", "办件量"), ("finished", "办结量"), ("on_time_rate", "按时办结率"), ("overdue_rate", "超期率"),
           ("average_days", "平均用时（工作日）"), ("early_rate", "提前办结率"), ("return_rate", "退回率"),
           ("denial_rate", "不予许可率"), ("complaints", "投诉件数"), ("grade", "等级"), ("external", "其中外部报送")]


def _citizens(session: Session):
    """Statistics grade the handling of applications: internal flows (督办, 法制审核) are not counted."""
    return Case.definition_id.not_in(internal_definitions(session))


ORIGINS = {"all": "全部办件", "own": "本平台办件", "external": "外部系统报送"}


def origin_filter(origin: str | None):
    """Own cases, external ones (reported by departments' own systems), or both (``all``/None)."""
    if origin in (None, "", "all"):
        return True
    if origin == "own":
        return Case.source.is_(None)
    if origin == "external":
        return Case.source.is_not(None)
    raise InvalidInput("办件来源只能是全部、本平台办件或外部系统报送。", field="origin")


def _whole_months(start: date, end: date) -> tuple[date, date]:
    """The whole months inside [start, end): the rollups' part of a period (empty when lo >= hi)."""
    lo = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return lo, end.replace(day=1)


def _edges(start: date, end: date) -> tuple[tuple[date, date], list[tuple[date, date]]]:
    """A period as its whole months (from the rollups) and the days around them (read directly)."""
    lo, hi = _whole_months(start, end)
    if lo >= hi:
        return (lo, lo), [(start, end)]
    return (lo, hi), [(a, b) for a, b in ((start, lo), (hi, end)) if a < b]


def _external(origin: str | None, column):
    """The rollups' origin: ``external`` is a key column there."""
    origin_filter(origin)  # refuses an unknown origin in Chinese
    return {"own": column.is_(False), "external": column.is_(True)}.get(origin, True)


def performance_by_department(session: Session, start: date, end: date, origin: str | None = None,
                              direct: bool = False) -> list[Row]:
    """Cases received in [start, end) by the department handling them (own and external ones alike,
    or only one ``origin``). 投诉件数 follows the origin too: with ``external`` only complaints about
    an external case, with ``own`` the others (also those about no case in particular); a department
    with neither cases nor complaints of that origin is left out.

    Whole months come from the rollups (rules/rollups.py) with the open cases' lateness counted
    today; days outside them (and everything, ``direct``) from the cases themselves."""
    today = clock.today()
    depts = {i: (code, name) for i, code, name in session.execute(
        select(Department.id, Department.code, Department.name).order_by(Department.id))}
    rows = {i: Row(code, name) for i, (code, name) in depts.items()}
    (lo, hi), edges = ((start, start), [(start, end)]) if direct else _edges(start, end)
    for a, b in edges:
        _department_direct(session, rows, a, b, origin, today)
    if lo < hi:
        s = StatCaseMonth
        external = func.sum(case((s.external.is_(True), s.cases), else_=0))
        sums = session.execute(select(s.department_id, *[external if n == "external" else func.sum(getattr(s, n))
                                                         for n in _CASE_COLUMNS],
                                      func.sum(s.days_total), func.sum(s.days_count)).where(s.month >= lo, s.month < hi, _external(origin, s.external))
            .group_by(s.department_id))
        for dept_id, *values, days_total, days_count in sums:
            row = rows[dept_id]
            for name, value in zip(_CASE_COLUMNS, values):
                setattr(row, name, getattr(row, name) + value)
            row.days_total += days_total
            row.days_count += days_count
        late = session.execute(select(Case.department_id, func.count()).where(
            Case.state.in_(("received", "accepted")), Case.deadline < today, Case.received_at >= _at(lo),
            Case.received_at < _at(hi), _citizens(session), origin_filter(origin)).group_by(Case.department_id))
        for dept_id, count in late:
            rows[dept_id].overdue += count
    complained = select(Complaint.department_id, func.count()).where(
        Complaint.received_at >= _at(start), Complaint.received_at < _at(end))
    if origin == "external":  # only complaints about an external case
        complained = complained.join(Case, Case.id == Complaint.case_id).where(Case.source.is_not(None))
    elif origin == "own":  # complaints about our own cases and those about no case in particular
        complained = complained.outerjoin(Case, Case.id == Complaint.case_id).where(
            or_(Complaint.case_id.is_(None), Case.source.is_(None)))
    for dept_id, count in session.execute(complained.group_by(Complaint.department_id)):
        rows[dept_id].complaints += count
    return [r for r in rows.values() if r.cases or r.complaints]


_CASE_COLUMNS = ("cases", "external", "finished", "on_time", "early", "overdue", "returned", "decided", "denied")


def _department_direct(session: Session, rows: dict, start: date, end: date, origin: str | None, today: date) -> None:
    """Cases received in [start, end), read one by one."""
    calendar = load_calendar(session)
    cases = session.execute(select(Case.id, Case.department_id, Case.state, Case.result, Case.deadline, Case.accepted_at,
                                   Case.finished_at, Case.paused_days, Case.source).where(
        Case.received_at >= _at(start), Case.received_at < _at(end), _citizens(session), origin_filter(origin))).all()
    returned = set(session.scalars(select(CaseEvent.case_id).join(Case, Case.id == CaseEvent.case_id).where(
        CaseEvent.action == "return", Case.received_at >= _at(start), Case.received_at < _at(end))))
    for c in cases:
        row = rows[c.department_id]
        row.cases += 1
        row.external += c.source is not None
        row.returned += c.id in returned
        if c.state == "finished":
            row.finished += 1
            done = clock.local_date(c.finished_at)
            if c.deadline is None or done <= c.deadline:
                row.on_time += 1
                row.early += c.deadline is not None and done < c.deadline
            else:
                row.overdue += 1
            if c.accepted_at is not None:
                row.days.append(max(0, calendar.workdays_between(clock.local_date(c.accepted_at), done) - c.paused_days))
            if c.result and (c.result.startswith("准予") or c.result.startswith("不予")):
                row.decided += 1
                row.denied += c.result.startswith("不予")
        elif c.state in ("received", "accepted") and c.deadline is not None and c.deadline < today:
            row.overdue += 1


_STEP_COLUMNS = ("cases", "returned", "on_time", "early", "overdue", "decided", "denied")


def performance_by_step(session: Session, start: date, end: date, by: str = "step",
                        origin: str | None = None, direct: bool = False) -> list[Row]:
    """Steps completed in [start, end), grouped by step (item:step) or by post (department:post);
    an external case's reported steps count like our own (or only one ``origin``); a step renamed
    meanwhile is labelled by its least name. Whole months come
    from the rollups, the days around them (and everything, ``direct``) from the steps themselves."""
    posts = {(d, code): name for d, code, name in session.execute(select(Post.department_id, Post.code, Post.name))}
    depts = dict(session.execute(select(Department.id, Department.name)).all())
    names = dict(session.execute(select(Item.id, ItemVersion.name).join(
        ItemVersion, ItemVersion.id == Item.current_version_id)).all())
    rows: dict[str, Row] = {}

    def row_of(item_id, step_id, step_name, department_id, post_code) -> Row:
        if by == "post":
            key = f"{department_id}:{post_code}"
            label = f"{depts[department_id]}·{posts.get((department_id, post_code), post_code)}"
        else:
            key, label = f"{item_id}:{step_id}", f"{names[item_id]}·{step_name}"
            if key in rows and label < rows[key].label:  # a renamed step is labelled by its least name
                rows[key].label = label
        return rows.setdefault(key, Row(key, label))

    (lo, hi), edges = ((start, start), [(start, end)]) if direct else _edges(start, end)
    if lo < hi:
        s = StatStepMonth
        sums = session.execute(select(s.item_id, s.step_id, s.step_name, s.department_id, s.post_code, s.tasks,
                                      s.external, *[getattr(s, n) for n in _STEP_COLUMNS if n != "cases"], s.days_total)
                               .where(s.month >= lo, s.month < hi, _external(origin, s.external)))
        for item_id, step_id, step_name, department_id, post_code, tasks, external, *values, days in sums:
            row = row_of(item_id, step_id, step_name, department_id, post_code)
            row.cases += tasks
            row.finished += tasks
            row.external += tasks if external else 0
            for name, value in zip(_STEP_COLUMNS[1:], values):
                setattr(row, name, getattr(row, name) + value)
            row.days_total += days
            row.days_count += tasks
    calendar = load_calendar(session) if edges else None
    for a, b in edges:
        tasks = session.execute(select(CaseTask, Case.item_id, Case.source).join(Case, Case.id == CaseTask.case_id).where(
            CaseTask.completed_at >= _at(a), CaseTask.completed_at < _at(b),
            CaseTask.state.in_(("completed", "returned")), _citizens(session), origin_filter(origin))).all()
        for task, item_id, source in tasks:
            row = row_of(item_id, task.step_id, task.step_name, task.department_id, task.post_code)
            row.cases += 1
            row.external += source is not None
            row.finished += 1
            row.returned += task.state == "returned"
            done = clock.local_date(task.completed_at)
            if task.due_date is None or done <= task.due_date:
                row.on_time += 1
                row.early += task.due_date is not None and done < task.due_date
            else:
                row.overdue += 1
            row.days.append(calendar.workdays_between(clock.local_date(task.created_at), done))
            if task.approved is not None:
                row.decided += 1
                row.denied += task.approved is False
    return sorted(rows.values(), key=lambda r: r.label)


OPEN_ALERTS = ("open", "acknowledged", "supervising")
CATCH_UP_LIMIT = 5000  # more new alerts than this (a bulk load) and the past is counted afresh


class AlertTrend:
    """Alerts created per level in spans of days wholly before today. Those never change, so a
    process counts each span once; alerts committed since (ids above the highest seen) are added to
    the spans they fall in, and a table that shrank (alerts deleted) is counted afresh. Only today's
    alerts are read on every request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._spans: dict[tuple[datetime, datetime], Counter] = {}
        self._high = 0  # the highest alert id the spans include

    def counts(self, session: Session, spans: list[tuple[datetime, datetime]]) -> list[Counter]:
        with self._lock:
            high = session.scalar(select(func.max(Alert.id))) or 0
            if high < self._high or high - self._high > CATCH_UP_LIMIT:
                self._spans.clear()
            elif high > self._high and self._spans:
                new = session.execute(select(Alert.created_at, Alert.level).where(
                    Alert.id > self._high, Alert.id <= high)).all()
                for created, level in new:
                    for (start, end), counter in self._spans.items():
                        if start <= created < end:
                            counter[level] += 1
            self._high = high
            missing = [s for s in spans if s not in self._spans]
            if missing:
                for span, counter in zip(missing, _alerts_by_level(session, missing, Alert.id <= high)):
                    self._spans[span] = counter
            self._spans = {s: self._spans[s] for s in spans}  # yesterday's part of this month goes
            return [self._spans[s] for s in spans]


def _alerts_by_level(session: Session, spans: list[tuple[datetime, datetime]], *where) -> list[Counter]:
    """Alerts created in each of the disjoint ``spans``, by level: one range scan of the creation index."""
    counters = [Counter() for _ in spans]
    if not spans:
        return counters
    index = case(*[(and_(Alert.created_at >= a, Alert.created_at < b), i) for i, (a, b) in enumerate(spans)])
    created = select(index.label("span"), Alert.level).where(
        Alert.created_at >= min(a for a, _ in spans), Alert.created_at < max(b for _, b in spans), *where).subquery()
    for i, level, count in session.execute(select(created.c.span, created.c.level, func.count())
                                           .where(created.c.span.is_not(None)).group_by(created.c.span, created.c.level)):
        counters[i][level] += count
    return counters


def dashboard(session: Session, trend: AlertTrend | None = None) -> dict:
    """The counts come from indexes (open alerts by state, department and level), from ``trend``
    (the months before today, counted once per process: see :class:`AlertTrend`) and from the
    rollups (open cases), never from reading history."""
    depts = dict(session.execute(select(Department.id, Department.name)).all())
    per_dept: dict[int, Counter] = defaultdict(Counter)
    by_level: Counter = Counter()
    for dept_id, level, count in session.execute(select(Alert.department_id, Alert.level, func.count()).where(
            Alert.state.in_(OPEN_ALERTS)).group_by(Alert.department_id, Alert.level)):
        per_dept[dept_id][level] += count
        by_level[level] += count
    colours = []
    for dept_id, name in depts.items():
        c = per_dept.get(dept_id, Counter())
        colour = "red" if c["alarm"] else ("yellow" if c["warning"] else "green")
        colours.append({"department": name, "colour": colour, "alarm": c["alarm"], "warning": c["warning"],
                        "remind": c["remind"]})
    by_item = session.execute(select(Alert.item_id, func.count()).where(Alert.state.in_(OPEN_ALERTS), Alert.item_id.is_not(None))
                              .group_by(Alert.item_id).order_by(func.count().desc()).limit(10)).all()
    items = dict(session.execute(select(Item.id, ItemVersion.name).join(
        ItemVersion, ItemVersion.id == Item.current_version_id).where(Item.id.in_([i for i, _ in by_item]))).all())
    today = clock.today()
    months = []
    day = today.replace(day=1)
    for _ in range(12):
        months.append(day)
        day = (day - timedelta(days=1)).replace(day=1)
    months.reverse()
    ends = months[1:] + [(months[-1] + timedelta(days=32)).replace(day=1)]
    past = [(_at(m), _at(e)) for m, e in zip(months[:-1], ends)] + [(_at(months[-1]), _at(today))]
    live = _alerts_by_level(session, [(_at(today), _at(ends[-1]))])[0]
    counted = (trend or AlertTrend()).counts(session, [s for s in past if s[0] < s[1]])
    if len(counted) < 12:  # the first of the month: nothing of it is past yet
        counted.append(Counter())
    counted[-1] = counted[-1] + live
    s = StatCaseMonth
    open_cases, open_external = session.execute(select(
        func.coalesce(func.sum(s.open), 0), func.coalesce(func.sum(case((s.external.is_(True), s.open), else_=0)), 0))).one()
    return {
        "levels": [(LEVELS[k], by_level[k]) for k in LEVELS],
        "departments": sorted(colours, key=lambda r: (-r["alarm"], -r["warning"], r["department"])),
        "top_items": [(items[i], n) for i, n in by_item],
        "trend": {"labels": [f"{m:%Y-%m}" for m in months],
                  "series": [{"name": LEVELS[k], "values": [c[k] for c in counted]} for k in LEVELS]},
        "open_cases": open_cases,
        "open_external": open_external,
    }


def sample_finished(session: Session, count: int, start: date, end: date, item_id: int | None = None,
                    seed: int | None = None) -> list[Case]:
    """随机抽查: ``count`` finished cases of the period, drawn at random."""
    if count <= 0 or count > 200:
        raise InvalidInput("抽查件数应在 1 到 200 之间。", field="count")
    q = select(Case.id).where(Case.state == "finished", Case.finished_at >= _at(start), Case.finished_at < _at(end),
                              _citizens(session))
    if item_id:
        q = q.where(Case.item_id == item_id)
    ids = list(session.scalars(q))
    chosen = random.Random(seed).sample(ids, min(count, len(ids)))
    return list(session.scalars(select(Case).where(Case.id.in_(chosen)).order_by(Case.number))) if chosen else []


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
EXCEL_MAX_TEXT = 32767


def safe_cell(value):
    """A value as a spreadsheet cell may safely hold, for every export (xlsx or csv): text that a
    spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return) gets a
    leading apostrophe, characters the xlsx format forbids are dropped, and overlong text is cut
    to a cell's limit; NaN and Infinity become empty cells. Numbers, dates and None pass as they are."""
    if isinstance(value, float):
        return finite(value)
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text[:EXCEL_MAX_TEXT]


def to_excel(rows: list[Row], title: str, path_or_buffer) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "绩效统计"
    ws.append([safe_cell(title)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["单位/环节"] + [label for _, label in COLUMNS])
    for r in rows:
        ws.append([safe_cell(v) for v in [r.label] + [getattr(r, key) for key, _ in COLUMNS]])
    for col in ws.iter_cols(min_row=3, min_col=2, max_col=len(COLUMNS) + 1):
        for cell in col:
            if isinstance(cell.value, float) and COLUMNS[cell.column - 2][0].endswith("rate"):
                cell.number_format = "0.0%"
    ws.column_dimensions["A"].width = 36
    wb.save(path_or_buffer)
