"""常见问题库 on the workbench: a department keeps its entries (add, edit, 停止展示), administrators
all of them and the unified category tree (统一分类). The library's service (engine/qa/faq.py)
decides who may do what; these pages only offer it."""

from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import func, or_, select

from engine import clock
from engine.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.models import Department, FaqCategory, FaqEntry, Item
from engine.paging import Order, fetch
from engine.qa import faq as library
from engine.qa import service as qa
from engine.validation import half_width

from ..db import db_session
from ..paging import cursor, links
from . import bp
from .common import form_int, me

PAGE = 20
NEWEST_FIRST = (Order(FaqEntry.valid_from, desc=True), Order(FaqEntry.id, desc=True))  # engine.qa.faq.NEWEST_FIRST
STATES = {"shown": "展示中", "pending": "未到展示日期", "withdrawn": "已停止展示"}
KEYWORD_MAX = 50


def may_edit(user, department_id: int | None) -> bool:
    """Who keeps a department's entries: the library's own rule (engine.qa.faq.may_edit)."""
    return library.may_edit(user, department_id) if department_id is not None else user.has_role("admin")


def row_id(value):
    """A chosen option's id as the services read it (they take digits as the id): one no row can
    have — a number past the database's integers, or digits of another script — becomes 0, which
    the service refuses with its own message instead of the database failing on it."""
    if not isinstance(value, str) or not value.isdigit():
        return value
    text = half_width(value)
    return text if text.isascii() and len(text) <= 10 and int(text) <= 2**31 - 1 else "0"


def _sees_all(user) -> bool:
    return user.has_role("admin") or user.has_role("supervisor")


def state_of(entry: FaqEntry, today: date) -> str:
    if entry.valid_to is not None and entry.valid_to < today:
        return "withdrawn"
    return "pending" if entry.valid_from > today else "shown"


def _arg_id(name: str) -> int | None:
    value = row_id(request.args.get(name) or "")
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None


@bp.get("/workbench/faq")
@login_required
def faq_entries():
    session, user, today = db_session(), me(), clock.today()
    args = request.args
    stmt = select(FaqEntry)
    department = _arg_id("department") if _sees_all(user) else user.department_id
    if department:
        stmt = stmt.where(FaqEntry.department_id == department)
    category = _arg_id("category")
    if category and session.get(FaqCategory, category) is not None:
        stmt = stmt.where(FaqEntry.category_id.in_(library.descendants(session, category)))
    state = args.get("state") or ""
    if state == "shown":
        stmt = stmt.where(library.valid_on(today))
    elif state == "pending":
        stmt = stmt.where(FaqEntry.valid_from > today)
    elif state == "withdrawn":
        stmt = stmt.where(FaqEntry.valid_to < today)
    else:
        state = ""
    keyword = (args.get("q") or "").strip()[:KEYWORD_MAX]
    if keyword:
        like = "%" + keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(FaqEntry.title.like(like, escape="\\"), FaqEntry.question.like(like, escape="\\")))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = fetch(session, stmt, NEWEST_FIRST, lambda e: [e.valid_from, e.id], size=PAGE, scalars=True, **cursor())
    rows = page.rows
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_({r.item_id for r in rows if r.item_id})))}
    return render_template("workbench/faq_list.html", rows=rows, total=total, pages=links(page), state=state,
                           states=STATES, state_of=lambda e: state_of(e, today), keyword=keyword, category=category,
                           department=department, tree=library.tree(session), items=items,
                           paths={r.id: library.path(session, r.category_id) for r in rows},
                           departments=qa.answering_departments(session) if _sees_all(user) else [],
                           sees_all=_sees_all(user), may_edit=lambda e: may_edit(user, e.department_id),
                           may_add=may_edit(user, user.department_id) or user.has_role("admin"))


# --- one entry: add, edit, 停止展示 ---------------------------------------------------------------

def _date(value: str, field: str, label: str, errors: dict) -> date | None:
    text = half_width(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = f"{label}应为日期，如 {clock.today().isoformat()}。"
        return None


def _entry_input(form, errors: dict) -> library.EntryInput:
    return library.EntryInput(
        title=form.get("title", ""), question=form.get("question", ""), answer=form.get("answer", ""),
        category_id=row_id(form.get("category_id")) or None, item_code=(form.get("item_code") or "").strip() or None,
        valid_from=_date(form.get("valid_from"), "valid_from", "有效期起", errors),
        valid_to=_date(form.get("valid_to"), "valid_to", "有效期止", errors))


def _form(entry: FaqEntry | None, values, errors: dict | None = None, status: int = 200):
    session = db_session()
    return render_template("workbench/faq_form.html", entry=entry, values=values, field_errors=errors or {},
                           errors=list((errors or {}).items()), tree=library.tree(session),
                           departments=qa.answering_departments(session) if me().has_role("admin") else [],
                           today=clock.today()), status


def _save(entry: FaqEntry | None, write):
    """Validate, then write; every problem (a mistyped date and the service's own) shown at once,
    what was typed kept. A refusal of who may write is the error page's (403)."""
    session = db_session()
    errors: dict[str, str] = {}
    data = _entry_input(request.form, errors)
    try:
        saved = write(session, data)
        if errors:  # a date was not what was typed: keep nothing
            raise InvalidInput("；".join(errors.values()), errors={})
    except InvalidInput as exc:
        g.db_rollback = True
        session.rollback()
        found = exc.details.get("errors")
        if isinstance(found, dict):
            errors.update(found)
        else:
            errors[exc.details.get("field") or "title"] = exc.message
        entry = session.get(FaqEntry, entry.id) if entry is not None else None
        return _form(entry, request.form, errors, 422)
    shown = state_of(saved, clock.today())
    flash(f"已保存常见问题“{saved.title}”。" + ("" if shown == "shown" else f"（{STATES[shown]}）"))
    return redirect(url_for("workbench.faq_entries"))


@bp.route("/workbench/faq/new", methods=["GET", "POST"])
@login_required
def faq_new():
    user = me()
    if not (may_edit(user, user.department_id) or user.has_role("admin")):
        raise PermissionDenied("只有本部门的承办、审核人员、负责人或系统管理员可以编写常见问题。")
    if request.method == "GET":
        return _form(None, {"valid_from": clock.today().isoformat()})

    def write(session, data):
        department = None
        if user.has_role("admin") and request.form.get("department_id"):
            department = form_int(request.form.get("department_id"), "department_id", "负责部门", minimum=1)
            if session.get(Department, department) is None:
                raise InvalidInput("所选负责部门不存在。", field="department_id")
        return library.add_entry(session, user, data, department_id=department)
    return _save(None, write)


def _entry(entry_id: int) -> FaqEntry:
    entry = db_session().get(FaqEntry, entry_id)
    if entry is None:
        raise NotFound("常见问题不存在。")
    if not may_edit(me(), entry.department_id):
        raise PermissionDenied("只有编写部门或系统管理员可以修改此常见问题。")
    return entry


@bp.route("/workbench/faq/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def faq_edit(entry_id: int):
    entry = _entry(entry_id)
    if request.method == "GET":
        item = db_session().get(Item, entry.item_id) if entry.item_id else None
        return _form(entry, {"title": entry.title, "question": entry.question, "answer": entry.answer,
                             "category_id": str(entry.category_id), "item_code": item.code if item else "",
                             "valid_from": entry.valid_from.isoformat(),
                             "valid_to": entry.valid_to.isoformat() if entry.valid_to else ""})
    return _save(entry, lambda session, data: library.update_entry(session, me(), entry.id, data))


@bp.post("/workbench/faq/<int:entry_id>/withdraw")
@login_required
def faq_withdraw(entry_id: int):
    entry = library.withdraw_entry(db_session(), me(), entry_id)
    flash(f"“{entry.title}”已停止展示（记录保留，可修改展示日期后重新展示）。")
    return redirect(url_for("workbench.faq_entries"))


# --- the unified category tree (统一分类), administrators only --------------------------------------

def _admin() -> None:
    if not me().has_role("admin"):
        raise PermissionDenied("统一分类由系统管理员维护。")


def _categories(form: str | None = None, values=None, errors: dict | None = None, status: int = 200,
                error: str | None = None):
    session = db_session()
    return render_template("workbench/faq_categories.html", tree=library.tree(session, library.counts_by_category(session)),
                           max_depth=library.MAX_DEPTH, form=form, values=values or {}, field_errors=errors or {},
                           summary=[(f"{form}-{k}", v) for k, v in (errors or {}).items()], error=error), status


@bp.get("/workbench/faq/categories")
@login_required
def faq_categories():
    _admin()
    return _categories()


def _category_act(form: str, action, success):
    _admin()
    session = db_session()
    try:
        category = action(session)
    except InvalidInput as exc:
        g.db_rollback = True
        session.rollback()
        return _categories(form, request.form, {"name": exc.message}, exc.status)
    flash(success(category))
    return redirect(url_for("workbench.faq_categories", _anchor=f"category-{category.id}"))


@bp.post("/workbench/faq/categories")
@login_required
def faq_category_add():
    raw = request.form.get("parent_id") or ""
    form = f"add-{raw}" if raw.isascii() and raw.isdigit() and len(raw) < 12 else "add-root"

    def go(session):
        parent = form_int(raw, "parent_id", "上级分类", minimum=1) if raw else None
        return library.add_category(session, me(), request.form.get("name", ""), parent)
    return _category_act(form, go, lambda c: f"已添加分类“{c.name}”。")


@bp.post("/workbench/faq/categories/<int:category_id>")
@login_required
def faq_category_rename(category_id: int):
    return _category_act(f"rename-{category_id}",
                         lambda session: library.rename_category(session, me(), category_id, request.form.get("name", "")),
                         lambda c: f"分类已改名为“{c.name}”。")


@bp.post("/workbench/faq/categories/<int:category_id>/delete")
@login_required
def faq_category_delete(category_id: int):
    """删除 an empty category; one with sub-categories, entries or questions stays, with the reason."""
    _admin()
    session = db_session()
    try:
        category = library.delete_category(session, me(), category_id)
    except InvalidState as exc:
        g.db_rollback = True
        session.rollback()
        return _categories(f"delete-{category_id}", status=exc.status, error=exc.message)
    flash(f"已删除分类“{category.name}”。")
    return redirect(url_for("workbench.faq_categories"))
