"""站内搜索 (seed 002 §7.3 rule 11): the box on every page of the column searches items, their
guides and FAQ (later Q&A and disclosed information) through the one index, engine.search."""

from __future__ import annotations

from flask import render_template, request

from engine import search as index
from engine.models.items import ITEM_CATEGORIES
from engine.qa import service as qa
from engine.service import public

from ..db import db_session
from . import _page_number, bp

PER_PAGE = 10


def _departments(session) -> list[tuple[str, str, list[int]]]:
    """(code, label, ids) of the departments with public items; a bureau covers its sections; then
    the departments answering questions (在线咨询, 常见问题) that have no public item, the 政府办 among them."""
    choices = []
    for top, sections in public.department_tree(session):
        choices.append((top.code, top.name, [top.id, *(s.id for s in sections)]))
        choices += [(s.code, f"{top.name} · {s.name}", [s.id]) for s in sections]
    listed = {code for code, _, _ in choices}
    return choices + [(d.code, d.name, [d.id]) for d in qa.answering_departments(session) if d.code not in listed]


@bp.get("/search")
def search():
    session = db_session()
    args = request.args
    q = index.clean_query(args.get("q", ""))
    departments = _departments(session)
    department = next((d for d in departments if d[0] == args.get("department")), None)
    category = args.get("category") if args.get("category") in ITEM_CATEGORIES else None
    page = _page_number()
    results = index.query(session, q, department_id=department[2] if department else None, category=category,
                          page=page, per_page=PER_PAGE)
    chosen = {k: v for k, v in (("department", department and department[0]), ("category", category)) if v}
    return render_template("portal/search.html", q=q, results=results, departments=departments, chosen=chosen,
                           SOURCES=index.SOURCES)
