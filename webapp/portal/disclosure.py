"""政府信息公开专栏 (政府信息公开条例 2019; seed 001, seed 002 §6.1): each body's 指南 and 目录, the
entries with their 索引号 and versions, the published annual reports, and 依申请公开 online — the
request form, the receipt with the 申请编号 and the 查询码, and the applicant's own page opened with
the code (补正 online, the 答复书 to download).

As in 在线咨询 (webapp/portal/questions.py) the 查询码 never travels in an address: the look-up is
posted and what it opens is kept in this browser's signed session. No page but the applicant's own
shows anything of the applicant."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask import session as cookie
from sqlalchemy import func, select

from engine import legaltime
from engine.calendar import load_calendar
from engine.certificates import CERT_TYPES
from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.disclosure.codes import (
    CATEGORIES,
    CHANNELS,
    DELIVERIES,
    DOC_KINDS,
    INDEX_RULE,
    LAW,
    MEDIA,
    PUBLISH_CHANNELS,
    REQUESTER_KINDS,
    THEMES,
)
from engine.errors import NotFound, SunhallError
from engine.models import Department, InfoEntry, InfoGuide, InfoReportText
from engine.paging import Order, Page, fetch
from forms import materials, online
from forms.models import CaseDocument
from rules import disclosure_report as annual

from ..db import db_session
from ..paging import links
from . import PER_PAGE, bp
from .downloads import attachment
from .faq import checked_cursor
from .track import DOCX

GRANTS = "gk_requests"  # the requests this browser opened with their 查询码 (InfoRequest ids)
RECEIPT = "gk_receipt"  # the receipt to show once: {"id", "number", "code"}
TOKENS = "gk_tokens"  # one submission of the form makes one request: token -> request id
MAX_GRANTS = 10
LATEST = 10  # entries on the column's home
#: the request form's inputs in the order they are on the page (the service's field names are the inputs' names)
INPUTS = ("department_id", "requester_kind", "name", "cert_type", "cert_number", "contact_name", "phone", "email",
          "address", "postcode", "description", "purpose", "medium", "delivery", "form")
#: the certificate each kind of applicant has when the form leaves the type to it
DEFAULT_CERT = {"natural": "111"}
ORGANISATION_CERT = "001"


@bp.app_template_filter("gk_date")
def _gk_date(value) -> str:
    return value.strftime("%Y年%m月%d日") if value else "—"


@bp.app_template_filter("gk_size")
def _gk_size(size) -> str:
    if not isinstance(size, int) or size <= 0:
        return ""
    return f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _files(entry: InfoEntry) -> list[dict]:
    """An entry's attachments as the page numbers them (from 1)."""
    return [f for f in entry.attachments or [] if isinstance(f, dict) and f.get("name")]


def _context() -> dict:
    return {"GK_CATEGORIES": CATEGORIES, "GK_THEMES": THEMES, "DOC_KINDS": DOC_KINDS, "REQUESTER_KINDS": REQUESTER_KINDS,
            "MEDIA": MEDIA, "DELIVERIES": DELIVERIES, "PUBLISH_CHANNELS": PUBLISH_CHANNELS, "LAW": LAW, "GK_CHANNELS": CHANNELS}


#: the column's order, newest first (engine.disclosure.publish.public_entries); a published entry has its published_at
NEWEST_FIRST = (Order(func.coalesce(InfoEntry.published_at, InfoEntry.created_at), desc=True),
                Order(InfoEntry.id, desc=True))


def _page(session, stmt) -> tuple[Page, int]:
    stmt = stmt.order_by(None)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return fetch(session, stmt, NEWEST_FIRST, lambda e: [e.published_at or e.created_at, e.id], size=PER_PAGE,
                 scalars=True, **checked_cursor(NEWEST_FIRST)), total


def _counts(session, column, department_id: int | None = None) -> dict[str, int]:
    """How many current published entries each category or theme has (of one body, or all)."""
    listed = publish.public_entries(department_id).order_by(None).subquery()
    return {key: n for key, n in session.execute(select(getattr(listed.c, column), func.count())
                                                  .group_by(getattr(listed.c, column)))}


def _body_or_404(session, code: str) -> Department:
    body = next((d for d in gk.bodies(session) if d.code == code), None)
    if body is None:
        abort(404)
    return body


def _chosen() -> dict:
    """The 目录's filters as given, each checked against the codes (an unknown one is ignored)."""
    args = request.args
    return {k: args[k] for k, codes in (("category", CATEGORIES), ("theme", THEMES)) if args.get(k) in codes}


# --- the column -------------------------------------------------------------------------------------

@bp.get("/gk")
def gk_index():
    """政府信息公开专栏: the bodies, the newest entries, the themes, and the ways in."""
    session = db_session()
    latest = list(session.scalars(publish.public_entries().limit(LATEST)))
    return render_template("portal/gk_index.html", bodies=gk.bodies(session), latest=latest,
                           themes=_counts(session, "theme"), categories=_counts(session, "category"),
                           reports=_published_reports(session)[:5], **_context())


@bp.get("/gk/entries")
def gk_entries():
    """政府信息公开目录 of every body: by category and theme, newest first, paged."""
    session = db_session()
    chosen = _chosen()
    stmt = publish.public_entries(None, chosen.get("category"), chosen.get("theme"))
    page, total = _page(session, stmt)
    return render_template("portal/gk_entries.html", entries=page.rows, total=total, pages=links(page),
                           chosen=chosen, themes=_counts(session, "theme"), categories=_counts(session, "category"),
                           **_context())


@bp.get("/gk/<code>")
def gk_body(code: str):
    """A body's 政府信息公开指南 and 目录 (by category and theme, paged)."""
    session = db_session()
    body = _body_or_404(session, code)
    chosen = _chosen()
    page, total = _page(session, publish.public_entries(body.id, chosen.get("category"), chosen.get("theme")))
    return render_template("portal/gk_body.html", body=body, guide=session.get(InfoGuide, body.id), entries=page.rows,
                           total=total, pages=links(page), chosen=chosen,
                           categories=_counts(session, "category", body.id), themes=_counts(session, "theme", body.id),
                           **_context())


def _shown_entry(session, index_no: str) -> tuple[InfoEntry, list[InfoEntry]]:
    """The entry of a 索引号 as the column shows it and its published versions, newest first."""
    entry = publish.by_index(session, index_no) if index_no.isprintable() else None  # no NUL reaches PostgreSQL
    if entry is None or entry.published_at is None:
        raise NotFound("没有找到这条政府信息。索引号可能有误，或者该信息尚未公开。")
    published = [v for v in publish.versions(session, entry) if v.published_at is not None]
    return entry, sorted(published, key=lambda v: v.version, reverse=True)


def _version_asked(entry: InfoEntry, published: list[InfoEntry]) -> InfoEntry:
    """``?version=`` an earlier published version (its text stays readable, unless the entry was
    withdrawn: then no version's text is shown)."""
    raw = request.args.get("version", "")
    if not raw:
        return entry
    chosen = next((v for v in published if raw.isascii() and raw.isdigit() and str(v.version) == raw), None)
    if chosen is None or entry.state == "withdrawn" or chosen.state == "withdrawn":
        abort(404)
    return chosen


@bp.get("/gk/info/<index_no>")
def gk_entry(index_no: str):
    """One entry: 索引号, 信息标题, 发布日期, 发布机关, 主题分类, 公开类别, 文号, 成文日期, 文种, the text and
    the attachments; its versions (变更, 撤回, 废止) with their dates and reasons."""
    session = db_session()
    try:
        entry, published = _shown_entry(session, index_no)
    except NotFound as exc:
        return render_template("portal/gk_missing.html", message=exc.message), 404
    shown = _version_asked(entry, published)
    return render_template("portal/gk_entry.html", entry=entry, shown=shown, versions=published,
                           files=[] if entry.state == "withdrawn" else _files(shown), index_rule=INDEX_RULE,
                           **_context())


@bp.get("/gk/info/<index_no>/files/<int:n>")
def gk_entry_file(index_no: str, n: int):
    """The n-th attachment (from 1) of the shown version: PDF and images in the browser, the rest
    downloaded; only a file kept under the instance folder, never a withdrawn entry's."""
    session = db_session()
    try:
        entry, published = _shown_entry(session, index_no)
    except NotFound:
        abort(404)
    shown = _version_asked(entry, published)
    files = _files(shown)
    if entry.state == "withdrawn" or not 1 <= n <= len(files):
        abort(404)
    file = files[n - 1]
    root = Path(current_app.extensions["sunhall_settings"].instance_dir).resolve()
    stored = Path(str(file.get("stored") or ""))
    path = (stored if stored.is_absolute() else root / stored).resolve()
    if not str(file.get("stored") or "") or not path.is_relative_to(root) or not path.is_file():
        abort(404)
    name = materials.clean_file_name(file.get("name") or path.name)
    kind = materials.KINDS.get(Path(name).suffix.lower()) or materials.KINDS.get(path.suffix.lower())
    mime = kind.mime if kind else "application/octet-stream"
    inline = materials.is_inline(mime)
    response = send_file(path, mimetype=mime, as_attachment=not inline, download_name=name, conditional=True,
                         etag=file.get("sha256") or True, max_age=300)
    if not inline:
        response.headers["Content-Disposition"] = attachment(name, f"{entry.index_no}-{n}{Path(name).suffix}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    if mime.startswith("image/"):
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


# --- annual reports -----------------------------------------------------------------------------------

def _published_reports(session) -> list[tuple[InfoReportText, Department]]:
    return list(session.execute(select(InfoReportText, Department).join(
        Department, Department.id == InfoReportText.department_id).where(InfoReportText.published_at.is_not(None))
        .order_by(InfoReportText.year.desc(), Department.id)))


@bp.get("/gk/reports")
def gk_reports():
    """政府信息公开工作年度报告: every published report, by year and body."""
    return render_template("portal/gk_reports.html", reports=_published_reports(db_session()))


@bp.get("/gk/reports/<code>/<int:year>")
def gk_report(code: str, year: int):
    """One body's published annual report for a year, its figures computed from the cases."""
    session = db_session()
    body = _body_or_404(session, code)
    text = session.get(InfoReportText, (body.id, year)) if 2000 <= year <= 2999 else None
    if text is None or text.published_at is None:
        abort(404)
    report = annual.compute(session, body.id, year)
    return render_template("portal/gk_report.html", body=body, r=report, summary=annual.summary(report),
                           money=annual.money, doc_rows=annual.DOC_ROWS, doc_columns=annual.DOC_COLUMNS,
                           actions=annual.ACTIONS, columns=annual.COLUMNS, rows=annual.REPORT_ROWS,
                           pub_channels=annual.PUB_CHANNELS, appeal_kinds=list(annual.APPEAL_KINDS.items()),
                           appeal_columns=annual.APPEAL_COLUMNS, definitions=annual.DEFINITIONS,
                           template=annual.TEMPLATE, **_context())


# --- 依申请公开: applying -------------------------------------------------------------------------------

def grant(request_id: int) -> None:
    held = [i for i in cookie.get(GRANTS, []) if i != request_id]
    cookie[GRANTS] = (held + [request_id])[-MAX_GRANTS:]


def granted(request_id) -> bool:
    return request_id in cookie.get(GRANTS, [])


def _requesting(form) -> gk.Requesting:
    kind = form.get("requester_kind", "")
    cert_type = form.get("cert_type") or DEFAULT_CERT.get(kind, ORGANISATION_CERT if kind in REQUESTER_KINDS else "")
    natural = kind == "natural"
    return gk.Requesting(
        name=form.get("name", ""), requester_kind=kind, cert_type=cert_type, cert_number=form.get("cert_number", ""),
        phone=form.get("phone") or None, description=form.get("description", ""), medium=form.get("medium", ""),
        delivery=form.get("delivery", ""), email=form.get("email") or None, address=form.get("address") or None,
        postcode=form.get("postcode") or None, contact_name=None if natural else form.get("contact_name") or None,
        purpose=form.get("purpose") or None, department_id=form.get("department_id") or None, channel="web")


def _form_page(session, values, field_errors: dict, token: str, status: int = 200):
    return render_template("portal/gk_apply.html", bodies=gk.bodies(session), values=values,
                           field_errors=field_errors, errors=list(field_errors.items()), token=token,
                           cert_types=CERT_TYPES, **_context()), status


@bp.route("/gk/apply", methods=["GET", "POST"])
def gk_apply():
    """依申请公开 online (条例 art. 29): who asks and how to reach them, a description of the
    information, the form and the way to receive it; the purpose is not required."""
    session = db_session()
    if request.method == "GET":
        return _form_page(session, {"department_id": request.args.get("body", "")}, {}, secrets.token_urlsafe(16))
    f = request.form
    token = f.get("apply_token", "")
    done = cookie.get(TOKENS, {}).get(token) if len(token) < 64 else None
    if done and granted(done):  # the same page posted again (a double click, 后退 and 提交)
        return redirect(url_for("portal.gk_mine", number=gk.get(session, done).number))
    try:
        info, code = gk.file_request(session, _requesting(f))
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        errors = exc.details.get("errors") or {exc.details.get("field") or "form": exc.message}
        errors = {(k if k in INPUTS else "form"): v for k, v in errors.items()}
        errors = {k: errors[k] for k in INPUTS if k in errors}
        return _form_page(session, f, errors, token, exc.status)
    cookie[TOKENS] = dict(list({**cookie.get(TOKENS, {}), token: info.id}.items())[-MAX_GRANTS:])
    grant(info.id)
    cookie[RECEIPT] = {"id": info.id, "number": info.number, "code": code}
    return redirect(url_for("portal.gk_receipt"))


def _no_store(response):
    """A page with a 查询码 or an applicant's data stays out of caches (a 后退 does not show it again)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _deadline(session, info) -> tuple:
    case = info.case
    explained = legaltime.explain(session, load_calendar(session), case) if case.clock_start else None
    return case.deadline, explained.lines(public=True) if explained else []


@bp.get("/gk/receipt")
def gk_receipt():
    """申请回执: the 申请编号 and, this once, the 查询码; the period and the deadline with its explanation."""
    shown = cookie.get(RECEIPT)
    if not isinstance(shown, dict) or not granted(shown.get("id")):
        return redirect(url_for("portal.gk_lookup"))
    session = db_session()
    info = gk.get(session, shown["id"])
    code = shown.get("code")
    if code:
        cookie[RECEIPT] = {"id": info.id, "number": info.number}  # shown once
    due, lines = _deadline(session, info)
    return _no_store(make_response(render_template("portal/gk_receipt.html", info=info, code=code, due=due,
                                                   lines=lines, **_context())))


# --- 依申请公开: the applicant's page -----------------------------------------------------------------

@bp.route("/gk/lookup", methods=["GET", "POST"])
def gk_lookup():
    """查询我的申请: the 申请编号 and the 查询码 open the request in this browser."""
    if request.method == "GET":
        return render_template("portal/gk_lookup.html", values={}, error=None)
    try:
        info = gk.find_by_code(db_session(), request.form.get("number", ""), request.form.get("query_code", ""))
    except NotFound as exc:
        return render_template("portal/gk_lookup.html", values=request.form, error=exc.message), 404
    grant(info.id)
    return redirect(url_for("portal.gk_mine", number=info.number))


def _granted_request(number: str):
    """The request of this number if this browser opened it with its 查询码; else to the look-up."""
    for request_id in cookie.get(GRANTS, []):
        try:
            info = gk.get(db_session(), request_id)
        except NotFound:  # gone since
            continue
        if info.number == number:
            return info
    abort(redirect(url_for("portal.gk_lookup")))


def _mine_page(session, info, field_errors: dict | None = None, values=None, status: int = 200):
    due, lines = _deadline(session, info)
    field_errors = field_errors or {}
    response = make_response(render_template(
        "portal/gk_mine.html", info=info, stage=gk.stage(session, info), due=due, lines=lines,
        timeline=gk.timeline(session, info), correction=gk.open_correction(session, info),
        consultation=gk.open_consultation(info),
        summary=gk.answer_summary(info) if info.answered_at else None,  # a draft answer is not the answer
        documents=online.documents_for_applicant(session, info.case), field_errors=field_errors,
        errors=list(field_errors.items()), values=values or {}, **_context()), status)
    return _no_store(response)


@bp.get("/gk/mine/<number>")
def gk_mine(number: str):
    """The applicant's page: where the request is, until when and why, what happened, the 补正 asked,
    the answer and its documents."""
    session = db_session()
    return _mine_page(session, _granted_request(number))


@bp.post("/gk/mine/<number>/correction")
def gk_correction(number: str):
    """补正 online (条例 art. 30): the corrected description; the answer period restarts from it."""
    session = db_session()
    info = _granted_request(number)
    try:
        gk.supply_correction(session, info, request.form.get("description", ""))
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        return _mine_page(session, _granted_request(number), {"description": exc.message}, request.form, exc.status)
    flash("补正内容已提交，答复期限自今日起重新计算。")
    return redirect(url_for("portal.gk_mine", number=info.number))


@bp.get("/gk/mine/<number>/documents/<int:document_id>")
def gk_document(number: str, document_id: int):
    """A document the applicant received (补正告知书, 答复书, 延期答复告知书 …), as .docx."""
    session = db_session()
    info = _granted_request(number)
    doc = session.get(CaseDocument, document_id)
    if doc is None or doc.case_id != info.case_id or doc not in online.documents_for_applicant(session, info.case):
        abort(404)
    path = Path(doc.stored_path)
    if not path.is_file():
        abort(404)
    name = f"{doc.title}（{doc.number}）.docx"
    response = send_file(path, mimetype=DOCX, as_attachment=True, download_name=name)
    response.headers["Content-Disposition"] = attachment(name, f"{doc.kind}-{doc.id}.docx")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/gk/leave")
def gk_leave():
    """Close the requests opened in this browser (a shared computer)."""
    cookie.pop(GRANTS, None)
    cookie.pop(RECEIPT, None)
    flash("已退出。再次查看请输入申请编号和查询码。")
    return redirect(url_for("portal.gk_lookup"))
