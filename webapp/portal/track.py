"""结果反馈 (外网反馈): a case's progress by its 办件编号 or 申请编号 and the applicant's certificate
number; the applicant's own page with the 查询码 (documents, 补正 online)."""

from __future__ import annotations

from pathlib import Path

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask import session as cookie
from sqlalchemy import select

from engine import legaltime
from engine.calendar import load_calendar
from engine.errors import SunhallError
from engine.models import Case, CaseTask
from forms import materials, online
from forms.models import CaseDocument

from ..db import db_session
from ..instance import upload_dir
from . import bp, item_or_404
from .apply import GRANTS, grant, granted
from .downloads import attachment

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def progress_of(session, case: Case) -> dict:
    """What 结果反馈 shows of a case (seed 002 §7.3 rule 9): never the applicant's certificate number,
    phone or a natural person's full name."""
    ready = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")
                                 .order_by(CaseTask.id)))
    calendar = load_calendar(session)
    deadline = legaltime.explain(session, calendar, case) if case.clock_start else None
    pause = online.open_correction(session, case)
    return dict(case=case, steps=ready, deadline=deadline, deadline_lines=deadline.lines(public=True) if deadline else [],
                correction=pause, item_name=case.item_version.name)


@bp.route("/progress", methods=["GET", "POST"])
def progress():
    """结果反馈: 办件编号 or 申请编号 with the certificate number (posted, so that neither is in an address)."""
    if request.method == "GET":
        return render_template("portal/progress.html", values={}, error=None, found=None)
    session = db_session()
    try:
        case = online.find_for_progress(session, request.form.get("number", ""), request.form.get("cert_number", ""))
    except SunhallError as exc:
        return render_template("portal/progress.html", values=request.form, error=exc.message, found=None), 404
    return render_template("portal/progress.html", values={}, error=None, found=progress_of(session, case))


@bp.get("/items/<code>/results")
def item_results(code: str):
    """The item's 结果反馈 sub-column: the progress look-up, and its 结果公示 where the law makes results public."""
    item = item_or_404(code)
    v = item.current_version
    return render_template("portal/item_results.html", item=item, v=v, tab="results",
                           public_results=v.category == "01" or v.results_public)


@bp.route("/application", methods=["GET", "POST"])
def my_application():
    """我的申请: the 申请编号 and the 查询码 open the application in this browser."""
    if request.method == "GET":
        return render_template("portal/application_open.html", values={}, error=None)
    session = db_session()
    try:
        case = online.find_by_code(session, request.form.get("number", ""), request.form.get("query_code", ""))
    except SunhallError as exc:
        return render_template("portal/application_open.html", values=request.form, error=exc.message), 404
    grant(case.id)
    return redirect(url_for("portal.my_application_page", number=case.application_number))


def _application_page(session, case: Case, field_errors: dict | None = None, status: int = 200):
    info = progress_of(session, case)
    rows = materials.materials_of(session, case.id)
    missing, slots = [], []
    if info["correction"] is not None:
        missing = online.still_missing(session, case, info["correction"])
        slots = online.correction_slots(session, case, info["correction"])
    return render_template("portal/application.html", **info, materials=rows, missing=missing, slots=slots,
                           allowed=materials.ALLOWED, max_mb=materials.MAX_BYTES // 1024 // 1024,
                           documents=online.documents_for_applicant(session, case),
                           field_errors=field_errors or {}), status


def _granted_case(number: str) -> Case:
    number = online.normalize_number(number)
    case = None
    if online.APPLICATION_NUMBER.fullmatch(number):
        case = db_session().scalars(select(Case).where(Case.application_number == number)).first()
    if case is None or not granted(case.id):
        abort(redirect(url_for("portal.my_application")))
    return case


@bp.get("/application/<number>")
def my_application_page(number: str):
    return _application_page(db_session(), _granted_case(number))


@bp.post("/application/<number>/correction")
def supply_correction(number: str):
    """网上补正: the files the 补正 asks for, against the same 申请编号 (the 查询码 opened it)."""
    session = db_session()
    case = _granted_case(number)
    files = {key: (upload.filename, upload.stream) for key, upload in request.files.items()
             if upload.filename and len(key) <= 40}
    try:
        online.supply(session, case, files, upload_dir())
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        errors = exc.details.get("errors") or {exc.details.get("field") or "files": exc.message}
        return _application_page(session, _granted_case(number), errors, 400)
    if online.open_correction(session, case) is None:
        flash("补正材料已提交，窗口将继续审查您的申请。")
    else:
        flash("已上传。还有材料需要补正，请继续上传。")
    return redirect(url_for("portal.my_application_page", number=case.application_number))


@bp.get("/application/<number>/documents/<int:document_id>")
def application_document(number: str, document_id: int):
    """A document the applicant received (受理通知书, 补正材料告知书, decisions), as .docx."""
    case = _granted_case(number)
    doc = db_session().get(CaseDocument, document_id)
    if doc is None or doc.case_id != case.id or doc not in online.documents_for_applicant(db_session(), case):
        abort(404)
    path = Path(doc.stored_path)
    if not path.is_file():
        abort(404)
    name = f"{doc.title}（{doc.number}）.docx"
    response = send_file(path, mimetype=DOCX, as_attachment=True, download_name=name)
    # the Chinese name for every current browser; a plain one (not Werkzeug's stripped "(2026).docx") for the rest
    response.headers["Content-Disposition"] = attachment(name, f"{doc.kind}-{doc.id}.docx")
    return response


@bp.post("/application/leave")
def leave_application():
    """Close the applications opened in this browser (a shared computer)."""
    cookie.pop(GRANTS, None)
    cookie.pop("receipt", None)
    flash("已退出。再次查看请输入申请编号和查询码。")
    return redirect(url_for("portal.my_application"))
