"""待办 / 已办 / 即将超期 / 已超期 / 已暂停, with filters and keyset paging (首页 · 上一页 · 下一页)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_login import login_required
from sqlalchemy import select

from engine import clock
from engine.calendar import load_calendar
from engine.errors import InvalidInput
from engine.models import Case, CaseExtension, Item, ItemVersion
from engine.models.cases import CASE_STATES, PAUSE_KINDS
from engine.service.worklist import TAB_COUNT_CAP, TABS, Filters, task_count, task_page

from ..db import db_session
from ..paging import cursor, links, shown_total
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
    filters = Filters(item_id=request.args.get("item", type=int), number=request.args.get("number"),
                      applicant=request.args.get("applicant"), received_from=_date("from"), received_to=_date("to"))
    calendar = load_calendar(session)
    page = task_page(session, me(), tab, filters, calendar, size=PAGE, **cursor())
    total = task_count(session, me(), tab, filters, calendar)
    # the items' names for the filter and the rows: one query of the catalogue, never one per item
    items = session.execute(select(Item.id, ItemVersion.name).join(ItemVersion, ItemVersion.id == Item.current_version_id)
                            .order_by(Item.code)).all()
    approvals = session.execute(select(CaseExtension, Case).join(Case, Case.id == CaseExtension.case_id).where(
        CaseExtension.approver_id == me().id, CaseExtension.state == "requested").order_by(CaseExtension.id)).all()
    return render_template("workbench/list.html", approvals=approvals, rows=page.rows, total=shown_total(total, TAB_COUNT_CAP),
                           tab=tab, tabs=TABS, pages=links(page), items=items, item_names=dict(items),
                           states=CASE_STATES, pauses=PAUSE_KINDS, args=request.args, today=clock.today())
