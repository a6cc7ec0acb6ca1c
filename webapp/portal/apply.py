"""网上申请: the item's application online, and the receipt with the 申请编号 and the 查询码."""

from __future__ import annotations

import secrets

from flask import current_app, g, redirect, render_template, request, url_for
from flask import session as cookie

from engine.certificates import CERT_TYPES
from engine.disclosure import service as disclosure
from engine.errors import Conflict, NotFound, SunhallError
from engine.models.cases import APPLICANT_TYPES
from engine.service import Applicant
from forms import materials, online

from ..db import db_session
from ..instance import upload_dir
from ..workbench.formdata import parse
from . import bp, item_or_404

APPLICANT_INPUTS = {"name": "ap_name", "type": "ap_type", "cert_type": "ap_cert_type", "cert_number": "ap_cert_number",
                    "contact_name": "ap_contact_name", "phone": "ap_phone", "address": "ap_address",
                    "agent_name": "ap_agent_name", "agent_cert_number": "ap_agent_cert_number"}
GRANTS = "applications"  # the applications this browser opened with their 查询码 (case ids)
MAX_GRANTS = 10


def grant(case_id: int) -> None:
    """This browser may see the application until it closes (the session cookie)."""
    held = [i for i in cookie.get(GRANTS, []) if i != case_id]
    cookie[GRANTS] = (held + [case_id])[-MAX_GRANTS:]


def granted(case_id: int) -> bool:
    return case_id in cookie.get(GRANTS, [])


def _input_of(field: str | None) -> str:
    if field and field.startswith("applicant."):
        return APPLICANT_INPUTS.get(field.split(".", 1)[1], "ap_name")
    return field or "form"


def _files(app_form) -> dict[int, tuple]:
    """The uploaded file of each material (inputs ``material-0`` …), empty inputs ignored."""
    out = {}
    for position in range(len(app_form.materials)):
        upload = request.files.get(f"material-{position}")
        if upload is not None and upload.filename:
            out[position] = (upload.filename, upload.stream)
    return out


@bp.route("/items/<code>/apply", methods=["GET", "POST"])
def item_apply(code: str):
    """网上申请: the applicant, the first step's fields and the materials; one submission makes one
    application (a token kept in the browser's session answers a repeated post with the receipt)."""
    session = db_session()
    item = item_or_404(code)
    if item.current_version is not None and item.current_version.process_key == disclosure.PROCESS_KEY:
        return redirect("/gk/apply")  # a request for information is made in the 政府信息公开专栏 (its own form)
    try:
        app_form = online.application_form(session, item)
    except SunhallError as exc:
        return render_template("portal/apply.html", item=item, v=item.current_version, tab="apply", closed=exc.message)
    context = dict(item=item, v=item.current_version, tab="apply", app_form=app_form, cert_types=CERT_TYPES,
                   applicant_types=APPLICANT_TYPES, allowed=materials.ALLOWED, max_mb=materials.MAX_BYTES // 1024 // 1024,
                   max_total_mb=current_app.config["MAX_CONTENT_LENGTH"] // 1024 // 1024)
    if request.method == "GET":
        token = secrets.token_urlsafe(16)
        return render_template("portal/apply.html", values={}, field_errors={}, errors=[], token=token, **context)
    f = request.form
    token = f.get("apply_token", "")
    done = cookie.get("apply_tokens", {}).get(token) if isinstance(token, str) and len(token) < 64 else None
    if done:  # the same page posted again (a double click, 后退 and 提交)
        return redirect(url_for("portal.my_application_page", number=done))
    applicant = Applicant(
        name=f.get("ap_name", ""), type=f.get("ap_type", "1"), cert_type=f.get("ap_cert_type", "111"),
        cert_number=f.get("ap_cert_number", ""), contact_name=f.get("ap_contact_name"), phone=f.get("ap_phone"),
        address=f.get("ap_address"), agent_name=f.get("ap_agent_name") or None,
        agent_cert_type="111" if f.get("ap_agent_cert_number") else None,
        agent_cert_number=f.get("ap_agent_cert_number") or None)
    try:
        data = parse(app_form.form.fields, app_form.fields, f) if app_form.form else {}
        case, code_shown = online.submit(session, item.code, applicant, data, _files(app_form), upload_dir(),
                                         confirmed=f.get("confirm_duplicate") == "1")
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        found = exc.details.get("errors") or {exc.details.get("field") or "form": exc.message}
        errors = {_input_of(k): v for k, v in found.items()}
        if request.files and any(u.filename for u in request.files.values()):
            errors.setdefault("files-again", "出于安全原因，已选择的文件没有保留，请重新选择要上传的材料。")
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400
        summary = [(name if name.startswith(("ap_", "material", "files", "confirm")) else f"f-{name}", message)
                   for name, message in errors.items()]  # a form field's input is f-<name> (workbench/_fields.html)
        return render_template("portal/apply.html", values=f, field_errors=errors, errors=summary,
                               token=token, **context), status
    tokens = dict(cookie.get("apply_tokens", {}))
    tokens[token] = case.application_number
    cookie["apply_tokens"] = dict(list(tokens.items())[-MAX_GRANTS:])
    grant(case.id)
    cookie["receipt"] = {"number": case.application_number, "code": code_shown}
    return redirect(url_for("portal.receipt"))


@bp.get("/application/receipt")
def receipt():
    """网上申请回执: the 申请编号 and the 查询码. The office keeps only the code's digest; this browser
    keeps the receipt until it closes or leaves (退出), so a reload or a printer jam loses nothing."""
    shown = cookie.get("receipt")
    if not shown:
        return redirect(url_for("portal.my_application"))
    session = db_session()
    case = online.find_by_code(session, shown["number"], shown["code"])
    return render_template("portal/receipt.html", case=case, code=shown["code"],
                           missing=[m.name for m in materials.materials_of(session, case.id)
                                    if m.required and not m.submitted])
