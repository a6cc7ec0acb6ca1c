"""The State Council's holiday notice (国务院办公厅关于××年部分节假日安排的通知), read into a year of the
working-day calendar, and the administrator's services that preview and save it.

An administrator pastes the notice text; :func:`parse` turns it into holidays (放假) and make-up
working days (调休上班) and checks it against itself: the stated total (共N天) against the range, the
weekday written beside each date (（周四）) against the real weekday, the statutory holidays
(:mod:`engine.statutory`) against the rest days. Every mismatch is a problem in Chinese; a notice with
problems is never saved. Dates of another year (《2012年通知》: 2011年12月31日上班) change that year one day
at a time, and only when that year is already maintained.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import calendar as workcal
from . import clock, statutory, systemlog
from .errors import InvalidInput, PermissionDenied
from .models import CalendarYear, User
from .service.deadlines import Move, recompute_all

MAX_TEXT = 20_000  # characters; a real notice is under 1,500
FIRST_YEAR, LAST_YEAR = 2000, statutory.LAST_YEAR
REMIND_FROM = (10, 1)  # the notice usually appears in November; remind from 1 October
WEEKDAYS = "一二三四五六日"

_TITLE = re.compile(r"关于\s*(\d{4})\s*年[^\n]{0,10}节假日安排")
_SECTION = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.]\s*([^:\n]{1,30}?)\s*:\s*(.*)$", re.M)
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日\s*(?:\(([^)]*)\))?")
_RANGE = re.compile(r"^\s*(?:至|到|-|~|—|–|－)+\s*$")
_TOTAL = re.compile(r"共\s*(\d+)\s*天")
_SINGLE_TOTAL = re.compile(r"放假\s*(\d+)\s*天")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")


@dataclass
class Notice:
    """What a notice says about one year; ``problems`` empty means it may be saved."""

    year: int | None
    holidays: dict[date, str] = field(default_factory=dict)
    makeup_workdays: list[date] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    other_days: dict[date, tuple[bool, str]] = field(default_factory=dict)  # another year: (is_workday, name)
    sections: list[tuple[str, list[date], list[date]]] = field(default_factory=list)  # name, rest days, work days


def normalize(text: str) -> str:
    """Full-width digits and punctuation to half-width (NFKC: （周四）→ (周四), ２０２７ → 2027), one kind of line end."""
    text = unicodedata.normalize("NFKC", text or "")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")


def parse(text: str, year: int | None = None) -> Notice:
    text = normalize(text)
    notice = Notice(year=None)
    if len(text) > MAX_TEXT:
        notice.problems.append(f"通知正文过长（{len(text)} 字），不能超过 {MAX_TEXT} 字。")
        return notice
    # sections pasted on one line: each "二、春节：" starts its own line
    text = re.sub(r"(?<=。)\s*(?=[一二三四五六七八九十]{1,2}、[^:\n。]{1,12}:)", "\n", text)
    sections = _SECTION.findall(text)
    if not sections:
        notice.problems.append("没有找到放假安排：请粘贴国务院办公厅通知的正文，"
                               "每个节日一行，如“一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。”")
        return notice
    notice.year = _year(text, year, notice.problems)
    if notice.year is None:
        return notice
    for name, body in sections:
        _section(notice, name.strip(), body)
    _check_whole(notice)
    return notice


def _year(text: str, given: int | None, problems: list[str]) -> int | None:
    titled = {int(y) for y in _TITLE.findall(text)}
    if given is not None and not FIRST_YEAR <= given <= LAST_YEAR:
        problems.append(f"年份 {given} 超出范围，应在 {FIRST_YEAR}–{LAST_YEAR} 之间。")
        return None
    if len(titled) > 1:
        problems.append("标题中出现了多个年份（" + "、".join(map(str, sorted(titled))) + "），请只粘贴一份通知。")
        return None
    found = next(iter(titled), None)
    if given is not None and found is not None and found != given:
        problems.append(f"指定的年份 {given} 与通知标题中的 {found} 年不一致。")
        return None
    chosen = given if given is not None else found
    if chosen is None:
        problems.append("没有找到通知的年份：请一并粘贴标题（如“国务院办公厅关于2026年部分节假日安排的通知”），或另行填写年份。")
    elif not FIRST_YEAR <= chosen <= LAST_YEAR:
        problems.append(f"年份 {chosen} 超出范围，应在 {FIRST_YEAR}–{LAST_YEAR} 之间。")
        return None
    return chosen


def _section(notice: Notice, name: str, body: str) -> None:
    rest: list[date] = []
    work: list[date] = []
    last: list[date] = []  # the holiday a following "共N天" counts
    month = [None]  # carried from one date to the next ("1月1日至3日")
    for clause in filter(None, (c.strip() for c in re.split(r"[。;,]", body))):
        has_date = _DATE.search(clause) is not None
        if "放假" in clause and has_date:
            last = _holiday_clause(notice, name, clause, month)
            rest += last
            for day in last:
                _put(notice, name, day, False, name)
        elif "上班" in clause and has_date:
            for day in _dates(notice, name, clause.split("上班")[0], month):
                work.append(day)
                if day.weekday() < 5:
                    notice.problems.append(f"{name}：{_cn(day)}是{_weekday(day)}，本来就是工作日，不需要调休上班，请核对。")
                _put(notice, name, day, True, "调休上班")
        elif _TOTAL.search(clause) and not has_date:
            _check_total(notice, name, last, _TOTAL.search(clause).group(1))
        elif has_date:
            notice.problems.append(f"{name}：无法识别“{clause}”，请按“×月×日至×日放假”或“×月×日上班”的写法改正。")
    if not rest:
        notice.problems.append(f"{name}：没有找到放假日期。")
    notice.sections.append((name, rest, work))


def _holiday_clause(notice: Notice, name: str, clause: str, month: list) -> list[date]:
    head = clause.partition("放假")[0]
    context = {"year": notice.year, "month": month}
    parts = [(m, _date(notice, name, m, context)) for m in _DATE.finditer(head)]
    if not parts or any(day is None for _, day in parts):
        return []
    if len(parts) == 2 and _RANGE.match(head[parts[0][0].end():parts[1][0].start()]):
        start, end = parts[0][1], parts[1][1]
        if end < start:
            notice.problems.append(f"{name}：放假结束日 {_cn(end)} 早于开始日 {_cn(start)}。")
            return []
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    else:
        days = [day for _, day in parts]
    stated = _TOTAL.search(clause) or _SINGLE_TOTAL.search(clause)
    if stated:
        _check_total(notice, name, days, stated.group(1))
    return days


def _check_total(notice: Notice, name: str, days: list[date], stated: str) -> None:
    if days and int(stated) != len(days):
        span = _cn(days[0]) if len(days) == 1 else f"{_cn(days[0])}至{_cn(days[-1])}"
        notice.problems.append(f"{name}：{span}共 {len(days)} 天，通知写的是共{stated}天，请核对。")


def _dates(notice: Notice, name: str, text: str, month: list) -> list[date]:
    context = {"year": notice.year, "month": month}
    days = [_date(notice, name, m, context) for m in _DATE.finditer(text)]
    return [d for d in days if d is not None]


def _date(notice: Notice, name: str, match: re.Match, context: dict) -> date | None:
    """One date; the year (another year's, written out) holds for the rest of its clause, the month
    for the rest of the section."""
    year_text, month_text, day_text, note = match.groups()
    if year_text:
        context["year"] = int(year_text)
    if month_text:
        context["month"][0] = int(month_text)
    month = context["month"][0]
    if month is None:
        notice.problems.append(f"{name}：“{match.group(0).strip()}”缺少月份。")
        return None
    try:
        day = date(context["year"], month, int(day_text))
    except ValueError:
        notice.problems.append(f"{name}：{context['year']}年{month}月{int(day_text)}日不是有效日期。")
        return None
    written = _WEEKDAY.search(note or "")
    if written and WEEKDAYS.index(written.group(1).replace("天", "日")) != day.weekday():
        notice.problems.append(f"{name}：{_cn(day)}标注为{written.group(0)}，但 {day.year}年{_cn(day)}是{_weekday(day)}，请核对。")
    return day


def _put(notice: Notice, section: str, day: date, is_workday: bool, name: str) -> None:
    if day.year != notice.year:
        earlier = notice.other_days.get(day)
        if earlier and earlier[0] != is_workday:
            notice.problems.append(f"{section}：{day.year}年{_cn(day)}既是放假日又是上班日。")
        notice.other_days[day] = (is_workday, name)
        return
    if is_workday:
        if day in notice.holidays:
            notice.problems.append(f"{section}：{_cn(day)}既是放假日又是调休上班日。")
        elif day not in notice.makeup_workdays:
            notice.makeup_workdays.append(day)
    else:
        if day in notice.makeup_workdays:
            notice.problems.append(f"{section}：{_cn(day)}既是放假日又是调休上班日。")
        elif day in notice.holidays and notice.holidays[day] != name:
            notice.problems.append(f"{section}：{_cn(day)}已是{notice.holidays[day]}的放假日。")
        else:
            notice.holidays[day] = name


def _check_whole(notice: Notice) -> None:
    """Every statutory holiday of the year rests (the notice moves days around, never the holidays)."""
    notice.makeup_workdays.sort()
    notice.holidays = dict(sorted(notice.holidays.items()))
    if notice.year < 2025:  # the statute as amended in 2024 applies from 2025
        return
    for day, name in statutory.rest_days(notice.year).items():
        if not name.endswith("补假") and day not in notice.holidays:
            notice.problems.append(f"法定节假日{_cn(day)}（{name}）不在通知的放假日期内，请核对是否粘贴完整。")


def _cn(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _weekday(day: date) -> str:
    return "星期" + WEEKDAYS[day.weekday()]


def other_year_problems(notice: Notice, calendar: workcal.WorkCalendar) -> list[str]:
    """A date of another year changes that year only if it is maintained (else it cannot be applied)."""
    return [f"{day.year}年{_cn(day)}（{name}）属于 {day.year} 年，该年的放假安排尚未录入，无法应用；请先录入 {day.year} 年。"
            for day, (_, name) in sorted(notice.other_days.items()) if not calendar.is_maintained(day.year)]


def year_with_notice(calendar: workcal.WorkCalendar, notice: Notice) -> workcal.WorkCalendar:
    """The calendar as it would be once the notice is saved (for the preview and the dry run)."""
    result = calendar.with_year(notice.year, notice.holidays, notice.makeup_workdays)
    for year in sorted({d.year for d in notice.other_days}):
        days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        changed = {d: v for d, v in notice.other_days.items() if d.year == year}
        work = {d: changed[d][0] if d in changed else calendar.is_workday(d) for d in days}
        names = {d: changed[d][1] if d in changed else calendar.day_name(d) for d in days}
        holidays = {d: names[d] or "休息" for d in days if not work[d] and (d.weekday() < 5 or names[d])}
        result = result.with_year(year, holidays, [d for d in days if work[d] and d.weekday() >= 5])
    return result


# ---------------------------------------------------------------- saving (no permission: the CLI)

def save_notice(session: Session, notice: Notice, actor: User | None = None) -> list[Move]:
    """Maintain the notice's year, apply its other-year days, recompute every provisional date."""
    if notice.year is None or notice.problems:
        raise InvalidInput("通知有问题，未保存：" + "；".join(notice.problems or ["没有年份"]))
    problems = other_year_problems(notice, workcal.load_calendar(session))
    if problems:
        raise InvalidInput("通知有问题，未保存：" + "；".join(problems))
    actor_id = actor.id if actor else None
    workcal.declare_year(session, notice.year, notice.holidays, notice.makeup_workdays, actor_id)
    for day, (is_workday, name) in sorted(notice.other_days.items()):
        workcal.set_day(session, day, is_workday, name, actor_id)
    moves = recompute_all(session, actor=actor)
    systemlog.record(session, actor=actor, action="calendar.notice_imported", target=f"{notice.year} 年放假安排",
                     detail={"holidays": len(notice.holidays), "makeup_workdays": len(notice.makeup_workdays),
                             "moved_cases": len(moves)})
    return moves


# ---------------------------------------------------------------- the administrator's services

def require_admin(actor: User | None) -> None:
    if actor is None or "admin" not in (actor.roles or []):
        raise PermissionDenied("工作日历只能由系统管理员维护。")


@dataclass
class Preview:
    notice: Notice
    problems: list[str]
    moves: list[Move]
    before: workcal.WorkCalendar  # the calendar as it is (the year provisional or as entered)
    after: workcal.WorkCalendar | None  # with the notice (None when the notice cannot be applied)
    replaces: str | None  # the source of the year already entered, when saving would replace it


def preview_notice(session: Session, actor: User | None, text: str, year: int | None = None) -> Preview:
    """What saving the notice would do: nothing is written."""
    require_admin(actor)
    notice = parse(text, year)
    calendar = workcal.load_calendar(session)
    problems = list(notice.problems) + other_year_problems(notice, calendar)
    after, moves, replaces = None, [], None
    if notice.year is not None and notice.holidays:
        try:
            after = year_with_notice(calendar, notice)
        except InvalidInput as exc:
            problems.append(exc.message)
        else:
            moves = recompute_all(session, calendar=after, actor=actor, dry_run=True)
        year_row = session.get(CalendarYear, notice.year)
        replaces = year_row.source if year_row is not None and year_row.complete else None
    return Preview(notice, problems, moves, calendar, after, replaces)


def import_notice(session: Session, actor: User | None, text: str, year: int | None = None) -> list[Move]:
    require_admin(actor)
    return save_notice(session, parse(text, year), actor)


MAX_NAME = 20


def change_day(session: Session, actor: User | None, day: date, is_workday: bool, name: str | None) -> list[Move]:
    """One date of a maintained year (上班 or 休息, with an optional name), then every provisional date again."""
    require_admin(actor)
    name = (name or "").strip() or None
    if name is not None and len(name) > MAX_NAME:
        raise InvalidInput(f"名称不能超过 {MAX_NAME} 个字。")
    workcal.set_day(session, day, is_workday, name, actor.id)
    moves = recompute_all(session, actor=actor, since=day)
    systemlog.record(session, actor=actor, action="calendar.day_changed", target=day.isoformat(),
                     detail={"day_kind": "上班" if is_workday else "休息", "name": name or "", "moved_cases": len(moves)})
    return moves


def entered_years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).where(CalendarYear.complete).order_by(CalendarYear.year.desc())))


def missing_next_year_reminder(session: Session) -> str | None:
    """From 1 October, a reminder that next year's arrangement is not entered (else None)."""
    today = clock.today()
    if (today.month, today.day) < REMIND_FROM:
        return None
    following = today.year + 1
    if workcal.load_calendar(session).is_maintained(following):
        return None
    return (f"{following} 年的放假安排尚未录入：在录入国务院办公厅的通知之前，{following} 年的期限按法定节假日"
            f"和周末预计，显示为“预计”。通知发布后请管理员在“工作日历”中导入。")
