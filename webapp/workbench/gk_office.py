"""What a body's disclosure office keeps on the workbench beside the flows: its 政府信息公开指南
(条例 art. 12), the 行政复议 and 行政诉讼 about its disclosure work, and the words and fee figure of
its annual report, per year. Staff of the body read them; its approve-post holder or leader writes
them — engine/disclosure/admin.py decides, the pages only offer."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from engine import clock
from engine.disclosure import admin
from engine.disclosure import service as gk
from engine.disclosure.codes import APPEAL_KINDS, APPEAL_OUTCOMES
from engine.errors import InvalidInput, InvalidState, PermissionDenied
from engine.models import Department, InfoRequest, User

from ..db import db_session
from . import bp
from .common import me


def _body() -> Department:
    """The user's own body (a department with a disclosure office)."""
    session, user = db_session(), me()
    body = session.get(Department, user.department_id) if user.department_id else None
    if body is None or body not in gk.bodies(session):
        raise PermissionDenied("本单位没有政府信息公开工作机构。")
    return body


def _errors(exc) -> dict[str, str]:
    errors = exc.details.get("errors")
    if isinstance(errors, dict):
        return dict(errors)
    field = exc.details.get("field")
    return {field: exc.message} if field else {}


def _rerender(template: str, exc, form: str, **context):
    g.db_rollback = True
    db_session().rollback()
    errors = _errors(exc)
    return render_template(template, values=request.form, field_errors=errors, form=form, error=exc.message,
                           errors=[(f"{form}-{k}", v) for k, v in errors.items()], **context), exc.status


# --- 指南 ------------------------------------------------------------------------------------------------

GUIDE_FIELDS = ("office", "address", "hours", "phone", "fax", "email", "postcode", "text")


@bp.route("/workbench/gk/guide", methods=["GET", "POST"])
@login_required
def gk_guide():
    session, user, body = db_session(), me(), _body()
    guide = admin.guide_of(session, body.id)
    context = dict(body=body, guide=guide, may_keep=admin.may_keep(user, body.id),
                   editor=session.get(User, guide.updated_by_id) if guide and guide.updated_by_id else None)
    if request.method == "GET":
        values = {name: getattr(guide, name) or "" for name in GUIDE_FIELDS} if guide else {}
        return render_template("workbench/gk_guide.html", values=values, field_errors={}, errors=[], form="guide",
                               **context)
    f = request.form
    try:
        admin.save_guide(session, user, body.id, admin.GuideInput(**{name: f.get(name) for name in GUIDE_FIELDS}))
    except InvalidInput as exc:
        return _rerender("workbench/gk_guide.html", exc, "guide", **context)
    flash("政府信息公开指南已保存，专栏即时显示。")
    return redirect(url_for("workbench.gk_guide"))


# --- 行政复议、行政诉讼 ------------------------------------------------------------------------------------

def _appeal_input(f) -> admin.AppealInput:
    return admin.AppealInput(kind=f.get("kind", ""), filed_on=f.get("filed_on") or None, outcome=f.get("outcome", ""),
                             reference=f.get("reference") or None, note=f.get("note") or None,
                             request_number=f.get("request_number") or None)


def _year(value) -> int | None:
    try:
        return admin.report_year(value) if value else None
    except InvalidInput:
        return None


def _appeal_context(session, body, year):
    rows = admin.appeals_of(session, body.id, year)
    numbers = {i: n for i, n in session.execute(select(InfoRequest.id, InfoRequest.number).where(
        InfoRequest.id.in_({a.request_id for a in rows if a.request_id})))} if rows else {}
    return dict(body=body, rows=rows, numbers=numbers, year=year, kinds=APPEAL_KINDS, outcomes=APPEAL_OUTCOMES,
                may_keep=admin.may_keep(me(), body.id), years=range(clock.today().year, admin.FIRST_YEAR - 1, -1))


@bp.route("/workbench/gk/appeals", methods=["GET", "POST"])
@login_required
def gk_appeals():
    session, body = db_session(), _body()
    year = _year(request.args.get("year"))
    context = _appeal_context(session, body, year)
    if request.method == "GET":
        return render_template("workbench/gk_appeals.html", values={"outcome": "pending"}, field_errors={}, errors=[],
                               form="appeal", **context)
    try:
        row = admin.add_appeal(session, me(), body.id, _appeal_input(request.form))
    except InvalidInput as exc:
        return _rerender("workbench/gk_appeals.html", exc, "appeal", **context)
    flash(f"已登记{APPEAL_KINDS[row.kind]}（{row.filed_on}）。")
    return redirect(url_for("workbench.gk_appeals", year=row.filed_on.year))


@bp.route("/workbench/gk/appeals/<int:appeal_id>", methods=["GET", "POST"])
@login_required
def gk_appeal(appeal_id: int):
    session, user = db_session(), me()
    row = admin.get_appeal(session, appeal_id)
    body = admin.kept_body(session, user, row.department_id)  # only its keepers open the form
    number = session.get(InfoRequest, row.request_id).number if row.request_id else ""
    context = dict(body=body, row=row, kinds=APPEAL_KINDS, outcomes=APPEAL_OUTCOMES)
    if request.method == "GET":
        values = {"kind": row.kind, "filed_on": row.filed_on.isoformat(), "outcome": row.outcome,
                  "reference": row.reference or "", "note": row.note or "", "request_number": number}
        return render_template("workbench/gk_appeal.html", values=values, field_errors={}, errors=[], form="appeal",
                               **context)
    try:
        admin.update_appeal(session, user, row.id, _appeal_input(request.form))
    except InvalidInput as exc:
        return _rerender("workbench/gk_appeal.html", exc, "appeal", **context)
    flash("已保存。")
    return redirect(url_for("workbench.gk_appeals", year=row.filed_on.year))


# --- the annual report's words ------------------------------------------------------------------------

@bp.route("/workbench/gk/report-text", methods=["GET", "POST"])
@login_required
def gk_report_text():
    session, user, body = db_session(), me(), _body()
    raw = request.values.get("year") or str(clock.today().year)
    year = _year(raw)
    if year is None:
        raise InvalidInput(f"年度应为 {admin.FIRST_YEAR} 至 {clock.today().year} 年。", field="year")
    row = admin.report_text(session, body.id, year)
    context = dict(body=body, year=year, row=row, may_keep=admin.may_keep(user, body.id),
                   years=range(clock.today().year, admin.FIRST_YEAR - 1, -1))
    if request.method == "GET":
        values = {"overview": row.overview, "problems": row.problems, "other": row.other,
                  "charges_amount": str(row.charges_amount) if row.charges_amount is not None else ""} if row else {}
        return render_template("workbench/gk_report_text.html", values=values, field_errors={}, errors=[],
                               form="report", **context)
    f = request.form
    try:
        admin.save_report_text(session, user, body.id, year, overview=f.get("overview"), problems=f.get("problems"),
                               other=f.get("other"), charges_amount=f.get("charges_amount"))
    except (InvalidInput, InvalidState) as exc:
        return _rerender("workbench/gk_report_text.html", exc, "report", **context)
    flash(f"{year} 年度报告的文字部分已保存。")
    return redirect(url_for("workbench.gk_report_text", year=year))
