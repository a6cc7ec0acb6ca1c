"""政务公开 in the supervision console: the 政府信息公开工作年度报告 of any body and year on screen
(each figure a link to the records it counts), as Word and Excel; the 主动公开 checkpoint
(publications past or near their 15 working days, the A003/A004 alerts on them, late publications
per body) and the annual reports due, overdue or published (seed 001 年度报告制度 art. 3).
Supervisors only."""

from __future__ import annotations

import io

from flask import current_app, g, render_template, request, send_file, url_for
from sqlalchemy import select

from engine import clock
from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.disclosure.codes import (
    ANSWER_TYPES,
    APPEAL_KINDS,
    APPEAL_OUTCOMES,
    CATEGORIES,
    CHANNELS,
    ENTRY_STATES,
    REPORT_ROWS,
    REQUESTER_KINDS,
)
from engine.errors import InvalidInput
from engine.models import Department, InfoRequest
from rules import disclosure_checks as checks
from rules import disclosure_documents as documents
from rules import disclosure_report as annual
from rules.models import LEVELS

from ..db import db_session
from . import bp, supervisor_only

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _default_body(session) -> Department | None:
    bodies = gk.bodies(session)
    return next((d for d in bodies if annual.is_government(d)), bodies[0] if bodies else None)


def _chosen(session) -> tuple[Department, int]:
    """The body and year asked for (none: the government's office, this year); refused in Chinese."""
    errors: dict[str, str] = {}
    body = year = None
    code = request.args.get("body", "")
    try:
        body = annual.find_body(session, code) if code.strip() else _default_body(session)
    except InvalidInput as exc:
        errors["body"] = exc.message
    try:
        year = annual.check_year(request.args.get("year") or clock.today().year)
    except InvalidInput as exc:
        errors["year"] = exc.message
    if errors:
        raise InvalidInput("；".join(errors.values()), field=next(iter(errors)), errors=errors)
    if body is None:
        raise InvalidInput("没有设有政府信息公开工作机构的机关。", field="body")
    return body, year


def _report():
    session = db_session()
    body, year = _chosen(session)
    return annual.compute(session, body.id, year)


@bp.get("/gk/report")
@supervisor_only
def gk_report_page():
    session = db_session()
    errors: dict[str, str] = {}
    report = None
    try:
        report = _report()
    except InvalidInput as exc:
        g.db_rollback = True
        errors = dict(exc.details.get("errors") or {exc.details.get("field") or "_form": exc.message})
    default = _default_body(session)
    values = {"body": request.args.get("body", report.body_code if report else (default.code if default else "")),
              "year": request.args.get("year", str(report.year if report else clock.today().year))}
    return render_template("supervision/gk_report.html", r=report, errors=errors, values=values,
                           bodies=gk.bodies(session), columns=annual.COLUMNS, rows=REPORT_ROWS,
                           doc_rows=annual.DOC_ROWS, doc_columns=annual.DOC_COLUMNS, actions=annual.ACTIONS,
                           categories=CATEGORIES, pub_channels=annual.PUB_CHANNELS, channels=CHANNELS,
                           appeal_kinds=APPEAL_KINDS, appeal_columns=annual.APPEAL_COLUMNS,
                           kinds=REQUESTER_KINDS, definitions=annual.DEFINITIONS, money=annual.money,
                           summary=annual.summary(report) if report else "", template=annual.TEMPLATE), \
        (422 if errors else 200)


@bp.get("/gk/report.docx")
@supervisor_only
def gk_report_docx():
    report = _report()
    return send_file(_buffer(documents.to_docx(report)), as_attachment=True, download_name=f"{report.title}.docx",
                     mimetype=DOCX)


@bp.get("/gk/report.xlsx")
@supervisor_only
def gk_report_xlsx():
    report = _report()
    return send_file(_buffer(documents.to_xlsx(report)), as_attachment=True, download_name=f"{report.title}.xlsx",
                     mimetype=XLSX)


def _buffer(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _route(prefix: str) -> tuple[str, str] | None:
    """The endpoint (and its one argument) of a page whose URL starts with ``prefix`` followed by
    an id, if the app has one (the staff and public disclosure pages are built alongside)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(prefix) and rule.rule[len(prefix):].startswith("<") and rule.rule.endswith(">") \
                and len(rule.arguments) == 1 and "GET" in (rule.methods or ()):
            return rule.endpoint, next(iter(rule.arguments))
    return None


def _linker(prefix: str, fallback: str = "workbench.case_page"):
    """A record's page: the dedicated one where the app has it, else its case's page."""
    found = _route(prefix)

    def link(key, case_id):
        if found is not None and key is not None:
            return url_for(found[0], **{found[1]: key})
        return url_for(fallback, case_id=case_id) if case_id else None
    return link


@bp.get("/gk/report/cases")
@supervisor_only
def gk_report_cases():
    """The records one figure of the report counts."""
    session = db_session()
    body, year = _chosen(session)
    row, column = request.args.get("row", ""), request.args.get("col", "")
    records = annual.cell_cases(session, body.id, year, row, column)
    kind = annual.kind_of(row)
    request_url, entry_url = _linker("/workbench/gk/requests/"), _linker("/workbench/gk/publications/")
    concluded = {}
    if kind == annual.KIND_REQUEST:
        for r in records:
            concluded[r.id] = annual.concluded(r)
    requests = {}
    if kind == annual.KIND_APPEAL:
        ids = {a.request_id for a in records if a.request_id}
        requests = {r.id: r for r in session.scalars(select(InfoRequest).where(InfoRequest.id.in_(ids)))} if ids else {}
    return render_template("supervision/gk_cases.html", records=records, kind=kind, body=body, year=year, row=row,
                           column=column, label=annual.cell_label(row, column), request_url=request_url, entry_url=entry_url,
                           concluded=concluded, answer_types=ANSWER_TYPES, row_label=annual.row_label,
                           categories=CATEGORIES, entry_states=ENTRY_STATES, kinds=REQUESTER_KINDS,
                           channels=CHANNELS, appeal_kinds=APPEAL_KINDS, appeal_outcomes=APPEAL_OUTCOMES,
                           requests=requests, late=lambda e: publish.late(session, e))


@bp.get("/gk")
@supervisor_only
def gk_overview():
    """主动公开 within 15 working days, and the annual reports due (seed 001)."""
    session = db_session()
    errors: dict[str, str] = {}
    today = clock.today()
    try:
        year = annual.check_year(request.args.get("year") or today.year)
    except InvalidInput as exc:
        g.db_rollback = True
        errors["year"], year = exc.message, today.year
    try:
        report_year = annual.check_year(request.args.get("report_year") or today.year - 1)
    except InvalidInput as exc:
        g.db_rollback = True
        errors["report_year"], report_year = exc.message, today.year - 1
    return render_template("supervision/gk_overview.html", pending=checks.pending_publications(session),
                           alerts=checks.publication_alerts(session), late=checks.late_by_body(session, year),
                           reports=checks.report_deadlines(session, report_year), year=year, report_year=report_year,
                           errors=errors, values={"year": request.args.get("year", str(year)),
                                                  "report_year": request.args.get("report_year", str(report_year))},
                           levels=LEVELS, near=checks.NEAR_DAYS, entry_states=ENTRY_STATES,
                           publish_article=checks.PUBLISH_LIMIT_ARTICLE, report_article=checks.REPORT_ARTICLE,
                           filing_article=checks.FILING_ARTICLE,
                           dept_names={d.id: d.name for d in session.scalars(select(Department))}), \
        (422 if errors else 200)


@bp.context_processor
def _disclosure_panel():
    """The dashboard's 政务公开 panel asks for its figures only when it is drawn."""
    def figures():
        session = db_session()
        pending = checks.pending_publications(session)
        reports = checks.report_deadlines(session, clock.today().year - 1)
        return {"overdue": sum(p.overdue for p in pending), "near": sum(not p.overdue for p in pending),
                "alerts": checks.publication_alert_count(session),
                "reports_overdue": sum(r.state == "overdue" for r in reports),
                "reports_due": sum(r.state == "due" for r in reports), "report_year": clock.today().year - 1}
    return {"gk_figures": figures}
