"""投诉 (在线解答管理办法 第七条、第八条): a complaint about an answer (咨询编号 and 查询码), a case
(办件编号 and the applicant's certificate number) or a department, filed online with a 投诉编号 and
a 查询码 of its own; and the look-up of its answer with them."""

from __future__ import annotations

import secrets

from flask import g, make_response, redirect, render_template, request, url_for
from flask import session as cookie

from engine.errors import NotFound, SunhallError
from engine.models import Case, Department, Question
from engine.qa import service as qa
from engine.service import public
from rules import complaints

from ..db import db_session
from . import _row_id, bp

#: what the complaint is about: the inputs that name it
ABOUT = {"question": ("question_number", "question_code"), "case": ("case_number", "cert_number"),
         "department": ("department_id",)}
#: the form's inputs in the order they are on the page (the error summary follows it)
INPUTS = ("form", "about", *(name for names in ABOUT.values() for name in names), "complainant", "contact", "content")
#: what is missing when the chosen kind's inputs are empty (the service only knows that nothing was named)
MISSING = {None: ("about", "请选择投诉对象：对咨询答复的投诉、对办件的投诉或对部门的投诉。"),
           "question": ("question_number", "请输入咨询编号和查询码。"),
           "case": ("case_number", "请输入办件编号（或申请编号）和申请人证件号码。"),
           "department": ("department_id", "请选择被投诉部门。")}
RECEIPT = "complaint_receipt"  # the receipt to show once: {"number", "code"}
TOKENS = "complaint_tokens"  # one submission makes one complaint: token -> 投诉编号
MAX_TOKENS = 10


def _departments(session) -> list:
    """Every department a complaint may name: those with public items and those answering questions."""
    found = {d.id: d for d, _ in public.department_tree(session)}
    found.update((d.id, d) for d in qa.answering_departments(session))
    return [found[i] for i in sorted(found)]


def _filing(form, about: str | None) -> complaints.Filing:
    """Only the inputs of the chosen kind are passed (a prefilled 咨询编号 does not count for a case)."""
    named = {name: form.get(name) or None for name in ABOUT.get(about, ())}
    if "department_id" in named:
        named["department_id"] = _row_id(named["department_id"])
    return complaints.Filing(complainant=form.get("complainant", ""), contact=form.get("contact", ""),
                             content=form.get("content", ""), **named)


@bp.route("/complaints/new", methods=["GET", "POST"])
def complaint_new():
    """我要投诉: about an answer, a case or a department."""
    session = db_session()
    context = dict(departments=_departments(session))
    if request.method == "GET":
        number = request.args.get("question", "")
        values = {"about": "question", "question_number": number} if number else {}
        return render_template("portal/complaint_new.html", values=values, field_errors={}, errors=[],
                               token=secrets.token_urlsafe(16), **context)
    f = request.form
    token = f.get("complaint_token", "")
    done = cookie.get(TOKENS, {}).get(token) if len(token) < 64 else None
    if done:  # the same page posted again: the receipt of the complaint it made
        return redirect(url_for("portal.complaint_receipt"))
    about = f.get("about") if f.get("about") in ABOUT else None
    try:
        complaint, code = complaints.file_online(session, _filing(f, about))
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        errors = exc.details.get("errors") or {exc.details.get("field") or "form": exc.message}
        if "department_id" in errors and not (about == "department" and f.get("department_id")):
            # nothing named at all: say what the chosen kind (or the choice itself) lacks, beside it
            field, message = MISSING[about]
            errors.pop("department_id")
            errors[field] = message
        errors = {(k if k in INPUTS else "form"): v for k, v in errors.items()}
        errors = {k: errors[k] for k in INPUTS if k in errors}
        return render_template("portal/complaint_new.html", values=f, field_errors=errors, errors=list(errors.items()),
                               token=token, **context), exc.status
    cookie[TOKENS] = dict(list({**cookie.get(TOKENS, {}), token: complaint.number}.items())[-MAX_TOKENS:])
    cookie[RECEIPT] = {"number": complaint.number, "code": code}
    return redirect(url_for("portal.complaint_receipt"))


def _about(session, complaint) -> dict:
    """What the complaint names, as its pages show it."""
    question = session.get(Question, complaint.question_id) if complaint.question_id else None
    case = session.get(Case, complaint.case_id) if complaint.case_id else None
    return dict(complaint=complaint, department=session.get(Department, complaint.department_id),
                question=question, case=case, STATES=complaints.STATES)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/complaints/receipt")
def complaint_receipt():
    """投诉回执: the 投诉编号 and, this once, the 查询码 (a reload shows the number only)."""
    shown = cookie.get(RECEIPT)
    if not isinstance(shown, dict) or not shown.get("number"):
        return redirect(url_for("portal.complaint_lookup"))
    if not shown.get("code"):
        return _no_store(make_response(render_template("portal/complaint_receipt.html", number=shown["number"],
                                                       code=None)))
    session = db_session()
    complaint = complaints.find_by_code(session, shown["number"], shown["code"])
    cookie[RECEIPT] = {"number": complaint.number}  # shown once
    return _no_store(make_response(render_template("portal/complaint_receipt.html", number=complaint.number,
                                                   code=shown["code"], **_about(session, complaint))))


@bp.route("/complaints/lookup", methods=["GET", "POST"])
def complaint_lookup():
    """查询投诉: the 投诉编号 and the 查询码 show where the complaint is and its answer."""
    if request.method == "GET":
        return render_template("portal/complaint_lookup.html", values={}, error=None, found=None)
    try:
        complaint = complaints.find_by_code(db_session(), request.form.get("number", ""),
                                            request.form.get("query_code", ""))
    except NotFound as exc:
        return render_template("portal/complaint_lookup.html", values=request.form, error=exc.message, found=None), 404
    return _no_store(make_response(render_template("portal/complaint_lookup.html", values={}, error=None,
                                                   found=_about(db_session(), complaint))))
