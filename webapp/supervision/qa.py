"""在线解答 in the supervision console: every question with its turns and the reasons of each
forwarding (evidence for supervision, 《云南省政务信息查询在线解答管理办法》第四条), one question in
full, and the quarterly 通报 (第九条) on screen, in Excel and as a printable document. Supervisors only."""

from __future__ import annotations

import io

from flask import g, render_template, request, send_file
from sqlalchemy import select

from engine import clock
from engine.errors import InvalidInput
from engine.models import Department, User
from engine.models.qa import QUESTION_CHANNELS, QUESTION_STATES, TURN_KINDS, TURN_OUTCOMES
from engine.qa import faq
from engine.qa import service as qa
from engine.qa import turns as qa_turns
from rules import complaints, qa_report
from rules import qa_questions as question_list

from ..db import db_session
from ..paging import cursor, links, shown_total
from . import bp, me, supervisor_only


@bp.context_processor
def _quarter_panel():
    """The dashboard's 在线解答 panel asks for its figures only when it is drawn."""
    return {"qa_quarter_figures": lambda: qa_report.dashboard_figures(db_session())}


@bp.get("/qa")
@supervisor_only
def qa_questions():
    session = db_session()
    errors: dict[str, str] = {}
    try:
        page, total = question_list.find_questions(session, question_list.parse_filter(session, request.args),
                                                   **cursor())
        rows, total, pages = page.rows, shown_total(total), links(page)
    except InvalidInput as exc:  # a filter or a cursor that is not one of ours: the message on its field
        g.db_rollback = True
        errors = dict(exc.details.get("errors") or {exc.details.get("field") or "_form": exc.message})
        rows, total, pages = [], "0", {}
    return render_template("supervision/qa_list.html", rows=rows, total=total, pages=pages,
                           args=request.args, errors=errors, states=QUESTION_STATES, kinds=TURN_KINDS,
                           outcomes=TURN_OUTCOMES, channels=QUESTION_CHANNELS, today=clock.today(),
                           overdue=qa_turns.overdue,
                           departments=list(session.scalars(select(Department).order_by(Department.id)))), \
        (422 if errors else 200)


@bp.get("/qa/<int:question_id>")
@supervisor_only
def qa_question(question_id: int):
    session = db_session()
    question = qa.get(session, question_id)
    qa.require_read(session, question, me())
    staff = {u.id: u.name for u in session.scalars(select(User))}
    category = " / ".join(c.name for c in faq.path(session, question.category_id)) if question.category_id else ""
    return render_template("supervision/qa_question.html", q=question, timeline=qa.timeline(question, staff=True),
                           turns=question.turns, category=category,
                           replies=qa.replies(question), explanations=qa.explanations(question),
                           complaints=complaints.about_question(session, question), staff=staff,
                           states=QUESTION_STATES, kinds=TURN_KINDS, outcomes=TURN_OUTCOMES,
                           channels=QUESTION_CHANNELS, complaint_states=complaints.STATES,
                           complaint_channels=complaints.CHANNELS, today=clock.today(), overdue=qa_turns.overdue,
                           asked_department=session.get(Department, question.asked_department_id)
                           if question.asked_department_id else None)


def _report():
    """The quarter asked for (none: the current one) and its figures; refused as a Chinese message."""
    year, quarter = qa_report.quarter_from_args(request.args.get("year"), request.args.get("quarter"))
    return qa_report.quarter_report(db_session(), year, quarter)


@bp.get("/qa/report")
@supervisor_only
def qa_report_page():
    errors: dict[str, str] = {}
    report = None
    try:
        report = _report()
    except InvalidInput as exc:
        g.db_rollback = True
        errors = dict(exc.details.get("errors") or {exc.details.get("field") or "_form": exc.message})
    year, quarter = qa_report.current_quarter(clock.today())
    values = {"year": request.args.get("year", str(report.year if report else year)),
              "quarter": request.args.get("quarter", str(report.quarter if report else quarter))}
    return render_template("supervision/qa_report.html", report=report, errors=errors, values=values,
                           definitions=qa_report.DEFINITIONS, display=qa_report.display,
                           summary=qa_report.summary(report) if report else "",
                           article=qa_report.ARTICLE_9), (422 if errors else 200)


@bp.get("/qa/report.xlsx")
@supervisor_only
def qa_report_xlsx():
    report = _report()
    buffer = io.BytesIO()
    qa_report.to_excel(report, buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"{report.label}在线解答情况通报.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/qa/report/print")
@supervisor_only
def qa_report_print():
    """The 通报 to print (A4), issued by the supervisor's department and dated today."""
    report = _report()
    return render_template("supervision/qa_report_print.html", report=report, issuer=me().department.name,
                           issued=qa_report.chinese_date(clock.today()), title=qa_report.title(report),
                           intro=qa_report.intro(report), summary=qa_report.summary(report),
                           accountability=qa_report.accountability(report), definitions=qa_report.DEFINITIONS,
                           display=qa_report.display)


@bp.get("/qa/report.docx")
@supervisor_only
def qa_report_docx():
    """The same 通报 as a Word document, to edit and issue."""
    report = _report()
    buffer = io.BytesIO()
    qa_report.to_docx(report, me().department.name, clock.today(), buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"{qa_report.title(report)}.docx",
                     mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
