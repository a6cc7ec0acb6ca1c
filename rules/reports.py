"""Statistics for supervision: the dashboard, performance by department, post, step and period,
random sampling, and the quarterly report with its grades."""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.errors import InvalidInput
from engine.models import Case, CaseEvent, CaseTask, Department, Item, Post
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
        return finite(round(sum(days) / len(days), 1)) if days else None

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


def performance_by_department(session: Session, start: date, end: date, origin: str | None = None) -> list[Row]:
    """Cases received in [start, end) by the department handling them (own and external ones alike,
    or only one ``origin``). 投诉件数 follows the origin too: with ``external`` only complaints about
    an external case, with ``own`` the others (also those about no case in particular); a department
    with neither cases nor complaints of that origin is left out."""
    today = clock.today()
    calendar = load_calendar(session)
    depts = {d.id: d for d in session.scalars(select(Department).order_by(Department.id))}
    rows = {d.id: Row(d.code, d.name) for d in depts.values()}
    returned = set(session.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "return")))
    cases = session.execute(select(Case.id, Case.department_id, Case.state, Case.result, Case.deadline, Case.accepted_at,
                                   Case.finished_at, Case.paused_days, Case.source).where(
        Case.received_at >= _at(start), Case.received_at < _at(end), _citizens(session), origin_filter(origin))).all()
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


def performance_by_step(session: Session, start: date, end: date, by: str = "step",
                        origin: str | None = None) -> list[Row]:
    """Steps completed in [start, end), grouped by step (item:step) or by post (department:post);
    an external case's reported steps count like our own (or only one ``origin``)."""
    calendar = load_calendar(session)
    posts = {(p.department_id, p.code): p.name for p in session.scalars(select(Post))}
    depts = {d.id: d.name for d in session.scalars(select(Department))}
    names = {i.id: i.current_version.name for i in session.scalars(select(Item))}
    rows: dict[str, Row] = {}
    tasks = session.execute(select(CaseTask, Case.item_id, Case.source).join(Case, Case.id == CaseTask.case_id).where(
        CaseTask.completed_at >= _at(start), CaseTask.completed_at < _at(end),
        CaseTask.state.in_(("completed", "returned")), _citizens(session), origin_filter(origin))).all()
    for task, item_id, source in tasks:
        if by == "post":
            key = f"{task.department_id}:{task.post_code}"
            label = f"{depts[task.department_id]}·{posts.get((task.department_id, task.post_code), task.post_code)}"
        else:
            key, label = f"{item_id}:{task.step_id}", f"{names[item_id]}·{task.step_name}"
        row = rows.setdefault(key, Row(key, label))
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


def dashboard(session: Session) -> dict:
    open_states = ("open", "acknowledged", "supervising")
    by_level = dict(session.execute(select(Alert.level, func.count()).where(Alert.state.in_(open_states))
                                    .group_by(Alert.level)).all())
    depts = {d.id: d.name for d in session.scalars(select(Department))}
    per_dept: dict[int, Counter] = defaultdict(Counter)
    for dept_id, level, count in session.execute(select(Alert.department_id, Alert.level, func.count()).where(
            Alert.state.in_(open_states)).group_by(Alert.department_id, Alert.level)):
        per_dept[dept_id][level] += count
    colours = []
    for dept_id, name in depts.items():
        c = per_dept.get(dept_id, Counter())
        colour = "red" if c["alarm"] else ("yellow" if c["warning"] else "green")
        colours.append({"department": name, "colour": colour, "alarm": c["alarm"], "warning": c["warning"],
                        "remind": c["remind"]})
    items = {i.id: i.current_version.name for i in session.scalars(select(Item))}
    by_item = session.execute(select(Alert.item_id, func.count()).where(Alert.state.in_(open_states), Alert.item_id.is_not(None))
                              .group_by(Alert.item_id).order_by(func.count().desc()).limit(10)).all()
    today = clock.today()
    months = []
    day = today.replace(day=1)
    for _ in range(12):
        months.append(day)
        day = (day - timedelta(days=1)).replace(day=1)
    months.reverse()
    trend = {level: [0] * 12 for level in LEVELS}
    since = _at(months[0])
    for created, level in session.execute(select(Alert.created_at, Alert.level).where(Alert.created_at >= since)):
        local = clock.local_date(created)
        index = (local.year - months[0].year) * 12 + local.month - months[0].month
        if 0 <= index < 12:
            trend[level][index] += 1
    return {
        "levels": [(LEVELS[k], by_level.get(k, 0)) for k in LEVELS],
        "departments": sorted(colours, key=lambda r: (-r["alarm"], -r["warning"], r["department"])),
        "top_items": [(items[i], n) for i, n in by_item],
        "trend": {"labels": [f"{m:%Y-%m}" for m in months],
                  "series": [{"name": LEVELS[k], "values": v} for k, v in trend.items()]},
        "open_cases": session.scalar(select(func.count()).select_from(Case).where(Case.state.in_(("received", "accepted")),
                                                                                  _citizens(session))),
        "open_external": session.scalar(select(func.count()).select_from(Case).where(
            Case.state.in_(("received", "accepted")), Case.source.is_not(None))),
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
