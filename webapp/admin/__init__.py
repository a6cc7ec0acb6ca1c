"""系统管理: the administrator's dashboard and the working-day calendar (工作日历): import the State
Council's holiday notice (paste → preview beside the provisional year → confirm) and change one day
of an entered year. For administrators only; every service called here checks the actor again."""

from __future__ import annotations

from datetime import date
from functools import wraps

from flask import Blueprint, g, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import calendar as workcal
from engine import calendar_notice as notices
from engine import systemlog
from engine.errors import CalendarMissing, InvalidInput, PermissionDenied
from engine.models import Department, SystemEvent, User
from engine.paging import Order, capped_count, fetch
from engine.validation import half_width

from ..db import db_session
from ..paging import cursor, links, shown_total
from .grid import months

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if "admin" not in (current_user.roles or []):
            raise PermissionDenied("系统管理仅对系统管理员开放。")
        return view(*args, **kwargs)
    return wrapper


def me() -> User:
    return current_user._get_current_object()


@bp.get("")
@admin_only
def dashboard():
    session = db_session()
    years = notices.entered_years(session)
    return render_template("admin/dashboard.html", years=years, spans=_spans(sorted(y.year for y in years)),
                           calendar_reminder=notices.missing_next_year_reminder(session))


def _spans(years: list[int]) -> str:
    """2004–2026、2028: consecutive years as one span."""
    spans: list[list[int]] = []
    for year in years:
        if spans and spans[-1][1] == year - 1:
            spans[-1][1] = year
        else:
            spans.append([year, year])
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


# ---------------------------------------------------------------- the calendar: paste, preview, confirm

def _notice_form(errors: list[tuple[str, str]] | None = None, text: str = "", year: str = "", status: int = 200):
    session = db_session()
    if errors:
        g.db_rollback = True
    return render_template("admin/calendar.html", years=notices.entered_years(session), errors=errors or [],
                           text=text, year=year, max_text=notices.MAX_TEXT,
                           calendar_reminder=notices.missing_next_year_reminder(session)), status


def _read_notice_form() -> tuple[str, str, int | None, list[tuple[str, str]]]:
    """The pasted text and the optional year, with (field id, message) for each mistake."""
    text = request.form.get("text", "")
    year_text = half_width(request.form.get("year", "")).strip()  # ２０２７ as an input method types it
    errors, year = [], None
    if not text.strip():
        errors.append(("text", "请粘贴国务院办公厅关于节假日安排的通知正文。"))
    elif len(text) > notices.MAX_TEXT:
        errors.append(("text", f"通知正文不能超过 {notices.MAX_TEXT} 字（现有 {len(text)} 字）。"))
    if year_text:
        if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
            errors.append(("year", "年份应为四位数字，如 2027；不填则按通知标题中的年份。"))
        else:
            year = int(year_text)
            if not notices.FIRST_YEAR <= year <= notices.LAST_YEAR:
                errors.append(("year", f"年份应在 {notices.FIRST_YEAR}–{notices.LAST_YEAR} 之间。"))
    return text, year_text, year, errors


@bp.get("/calendar")
@admin_only
def calendar():
    return _notice_form()


@bp.post("/calendar/preview")
@admin_only
def preview():
    text, year_text, year, errors = _read_notice_form()
    if errors:
        return _notice_form(errors, text, year_text, 422)
    g.db_rollback = True  # a preview writes nothing
    result = notices.preview_notice(db_session(), me(), text, year)
    notice = result.notice
    grid = months(notice.year, result.after, result.before) if result.after is not None else []
    status = 422 if result.problems else 200
    return render_template("admin/preview.html", p=result, notice=notice, grid=grid, text=text, year=year_text,
                           provisional=not result.before.is_maintained(notice.year or 0)), status


@bp.post("/calendar/confirm")
@admin_only
def confirm():
    text, year_text, year, errors = _read_notice_form()
    if errors:
        return _notice_form(errors, text, year_text, 422)
    try:
        moves = notices.import_notice(db_session(), me(), text, year)
    except InvalidInput as exc:
        return _notice_form([("text", exc.message)], text, year_text, 422)
    notice = notices.parse(text, year)
    return render_template("admin/result.html", title=f"{notice.year} 年放假安排已保存", moves=moves, year=notice.year)


# ---------------------------------------------------------------- one day of an entered year

def _year_page(year: int, errors=(), form=None, status: int = 200):
    session = db_session()
    calendar = workcal.load_calendar(session)
    if not calendar.is_maintained(year):
        g.db_rollback = True
        raise CalendarMissing(year)
    if errors:
        g.db_rollback = True
    return render_template("admin/year.html", year=year, grid=months(year, calendar), errors=list(errors),
                           f=form or {"status": "rest"}, max_name=notices.MAX_NAME), status


@bp.get("/calendar/<int:year>")
@admin_only
def year(year: int):
    return _year_page(year)


@bp.post("/calendar/<int:year>/day")
@admin_only
def change_day(year: int):
    form = {k: request.form.get(k, "") for k in ("day", "status", "name")}
    errors, day = [], None
    raw = form["day"].strip()
    if not raw:
        errors.append(("day", "请填写要修改的日期。"))
    else:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors.append(("day", f"日期“{raw}”无效，应写成 {year}-01-01 这样的格式。"))
        else:
            if day.year != year:
                errors.append(("day", f"日期 {day.isoformat()} 不在 {year} 年内。"))
    if form["status"] not in ("work", "rest"):
        errors.append(("status-work", "请选择这一天上班还是休息。"))
    if len(form["name"].strip()) > notices.MAX_NAME:
        errors.append(("name", f"名称不能超过 {notices.MAX_NAME} 个字（现有 {len(form['name'].strip())} 字）。"))
    if errors:
        return _year_page(year, errors, form, 422)
    try:
        moves = notices.change_day(db_session(), me(), day, form["status"] == "work", form["name"])
    except InvalidInput as exc:
        return _year_page(year, [("day", exc.message)], form, 422)
    what = "上班" if form["status"] == "work" else "休息"
    return render_template("admin/result.html", title=f"{day.month}月{day.day}日已改为{what}", moves=moves, year=year,
                           back=url_for("admin.year", year=year))


# ---------------------------------------------------------------- shared by the administration pages

def form_errors(exc: InvalidInput, field: str) -> list[tuple[str, str]]:
    """(field id, message) for the error summary: the service's per-field errors, or its one message."""
    errors = exc.details.get("errors")
    if errors:
        return list(errors.items())
    return [(exc.details.get("field") or field, exc.message)]


def form_text(*names: str) -> dict:
    """The submitted text fields as typed (kept for redisplay); anything else is empty."""
    return {n: request.form.get(n, "") for n in names}


# ---------------------------------------------------------------- the system log

LOG_PAGE = 100
NEWEST_FIRST = (Order(SystemEvent.seq, desc=True),)


@bp.get("/log")
@admin_only
def log():
    session = db_session()
    page = fetch(session, select(SystemEvent), NEWEST_FIRST, lambda e: [e.seq], size=LOG_PAGE, scalars=True,
                 **cursor())
    names = dict(session.execute(select(Department.id, Department.name)).all()) \
        if any("departments" in (e.detail or {}) for e in page.rows) else {}
    return render_template("admin/log.html", rows=page.rows, pages=links(page),
                           total=shown_total(capped_count(session, select(SystemEvent.id))),
                           actions=systemlog.ACTIONS, details=lambda e: systemlog.details(e, names))


from . import accounts, org, outbox, tokens, uploads  # noqa: E402,F401  (their routes, on this blueprint)
