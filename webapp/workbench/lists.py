"""待办 / 已办 / 即将超期 / 已超期 / 已暂停, with filters and paging."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_login import login_required
from sqlalchemy import select

from engine import clock
from engine.calendar import load_calendar
from engine.errors import InvalidInput
from engine.models import Case, CaseExtension, Item
from engine.models.cases import CASE_STATES, PAUSE_KINDS
from engine.service.worklist import TABS, Filters, task_list

from ..db import db_session
from . import bp
from .common import me

PAGE = 20


def _date(name: str) -> date | None:
    value = request.args.get(name) or ""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("日期格式应为 YYYY-MM-DD。", field=name) from None


@bp.get("/workbench")
@login_required
def index():
    session = db_session()
    tab = request.args.get("tab", "todo")
    if tab not in TABS:
        tab = "todo"
    page = max(1, request.args.get("page", 1, type=int))
    filters = Filters(item_id=request.args.get("item", type=int), number=request.args.get("number"),
                      applicant=request.args.get("applicant"), received_from=_date("from"), received_to=_date("to"))
    rows, total = task_list(session, me(), tab, filters, load_calendar(session), PAGE, (page - 1) * PAGE)
    items = session.execute(select(Item.id, Item.code).order_by(Item.code)).all()
    names = {i.id: i.current_version.name for i in session.scalars(select(Item))}
    approvals = session.execute(select(CaseExtension, Case).join(Case, Case.id == CaseExtension.case_id).where(
        CaseExtension.approver_id == me().id, CaseExtension.state == "requested").order_by(CaseExtension.id)).all()
    return render_template("workbench/list.html", approvals=approvals, rows=rows, total=total, tab=tab, tabs=TABS, page=page,
                           pages=max(1, -(-total // PAGE)), items=items, item_names=names, states=CASE_STATES,
                           pauses=PAUSE_KINDS, args=request.args, today=clock.today())
