"""主动公开 on the workbench: a body's publications in every state and version, 新建 (拟稿), the entry
page with its current step (拟稿 with edits and attachments, 保密审查, 第三方意见, 审核发布), the
15-working-day limit from 成文 (seed 001 制度 art. 12), and for a published entry 变更 (a new version
through the same flow), 撤回 and 废止. The service (engine/disclosure/publish.py) decides who may do
what; attachments are checked like case materials and kept by checksum."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import select

from engine import clock, legaltime
from engine.calendar import load_calendar
from engine.disclosure import admin, publish
from engine.disclosure import service as gk
from engine.disclosure.codes import CATEGORIES, DOC_KINDS, ENTRY_STATES, INDEX_RULE, PUBLISH_CHANNELS, THEMES
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied, SunhallError
from engine.models import CaseEvent, CaseTask, Department, InfoEntry, User
from engine.paging import Order, capped_count, fetch
from engine.service.authority import sees_all
from engine.validation import INT_MAX
from forms import documents, materials
from rules import replay

from ..db import db_session
from ..instance import upload_dir
from ..paging import cursor, links, shown_total
from . import bp
from .common import me

PAGE = 20
NEWEST_FIRST = (Order(InfoEntry.created_at, desc=True), Order(InfoEntry.id, desc=True))
STEPS = ("draft", "secrecy", "third_party", "publish")
FILE_TYPES = (".pdf", ".docx", ".xlsx", ".jpg", ".jpeg", ".png")
FILE_FOLDER = "gk"  # under the instance's uploads; an entry's ``stored`` is relative to the instance folder
# ("uploads/gk/<sha256><suffix>"), as the column's file route reads it (webapp/portal/disclosure.py)
SLACK = 64 * 1024  # the multipart envelope around the file
STATE_FILTERS = {"open": "办理中", "published": "已公开", "withdrawn": "已撤回", "abandoned": "未发布", "superseded": "历史版本"}


def _field_errors(exc: SunhallError) -> dict[str, str]:
    errors = exc.details.get("errors")
    if isinstance(errors, dict):
        return dict(errors)
    field = exc.details.get("field")
    return {field: exc.message} if field else {}


def _drafting(f, department_id=None) -> publish.Drafting:
    return publish.Drafting(
        department_id=department_id, title=f.get("title", ""), category=f.get("category", ""),
        theme=f.get("theme", ""), written_on=f.get("written_on") or None, body=f.get("body", ""),
        doc_kind=f.get("doc_kind", ""), doc_number=f.get("doc_number") or None, channels=f.getlist("channels"),
        third_party=f.get("third_party") or None)


def _entry_values(entry: InfoEntry) -> dict:
    return {"title": entry.title, "category": entry.category, "theme": entry.theme, "doc_kind": entry.doc_kind,
            "doc_number": entry.doc_number or "", "written_on": entry.written_on.isoformat(), "body": entry.body,
            "channels": list(entry.channels or []), "third_party": entry.third_party or ""}


CHOICES = dict(categories=CATEGORIES, themes=THEMES, doc_kinds=DOC_KINDS, publish_channels=PUBLISH_CHANNELS)


@bp.get("/workbench/gk/publications")
@login_required
def gk_publications():
    session, user, args = db_session(), me(), request.args
    stmt = select(InfoEntry)
    bodies = gk.bodies(session)
    department = args.get("department", type=int) if sees_all(user) else user.department_id
    if department:
        stmt = stmt.where(InfoEntry.department_id == department)
    elif not sees_all(user):
        stmt = stmt.where(InfoEntry.id.is_(None))
    state = args.get("state") or ""
    if state == "open":
        stmt = stmt.where(InfoEntry.state.in_(("draft", "reviewing")))
    elif state in STATE_FILTERS:
        stmt = stmt.where(InfoEntry.state == state)
    else:
        state = ""
    total = capped_count(session, stmt.with_only_columns(InfoEntry.id))
    page = fetch(session, stmt, NEWEST_FIRST, lambda e: [e.created_at, e.id], size=PAGE, scalars=True, **cursor())
    rows = page.rows
    body = session.get(Department, user.department_id) if user.department_id else None
    return render_template(
        "workbench/gk_publications.html", rows=rows, total=shown_total(total), pages=links(page), state=state,
        filters=STATE_FILTERS, states=ENTRY_STATES, categories=CATEGORIES, late=lambda e: publish.late(session, e),
        sees_all=sees_all(user), bodies=bodies, department=department, body=body if body in bodies else None,
        may_draft=body in bodies and user.holds("handle", body.id) if body else False,
        may_keep=admin.may_keep(user, body.id) if body in bodies else False, index_rule=INDEX_RULE)


@bp.route("/workbench/gk/publications/new", methods=["GET", "POST"])
@login_required
def gk_publication_new():
    """拟稿: the body's handler starts a publication; its 15 working days count from 成文."""
    session, user = db_session(), me()
    body = session.get(Department, user.department_id) if user.department_id else None
    if body is None or body not in gk.bodies(session) or not user.holds("handle", body.id):
        raise PermissionDenied("只有设有政府信息公开工作机构的机关的承办人员可以起草主动公开的信息。")
    context = dict(body=body, form="new", today=clock.today(), **CHOICES)
    if request.method == "GET":
        return render_template("workbench/gk_publication_new.html", values={"doc_kind": "other",
                                                                            "written_on": clock.today().isoformat()},
                               field_errors={}, errors=[], **context)
    try:
        entry = publish.start(session, user, _drafting(request.form, body.id))
    except InvalidInput as exc:
        g.db_rollback = True
        session.rollback()
        errors = _field_errors(exc)
        return render_template("workbench/gk_publication_new.html", values=request.form, field_errors=errors,
                               errors=[(f"new-{k}", v) for k, v in errors.items()], error=exc.message,
                               **context), exc.status
    flash(f"已起草“{entry.title}”，应于 {entry.case.deadline} 前公开（自成文之日起 15 个工作日）。可上传附件后提交保密审查。")
    return redirect(url_for("workbench.gk_publication", publication_id=entry.id))


# --- the entry page ------------------------------------------------------------------------------------

def _entry(publication_id: int) -> InfoEntry:
    if publication_id > INT_MAX:  # no row has it (and PostgreSQL refuses to compare it with an integer column)
        raise NotFound("政府信息不存在。")
    entry = publish.get(db_session(), publication_id)
    admin.require_read_entry(me(), entry)
    return entry


def _open_task(session, entry, user) -> CaseTask | None:
    try:
        return publish.open_task(session, entry, user, STEPS)
    except PermissionDenied:
        return None


def _page(entry: InfoEntry, error: str | None = None, values=None, status: int = 200, field_errors=None,
          form: str | None = None):
    session, user = db_session(), me()
    case = entry.case
    task = _open_task(session, entry, user)
    ready, done, events = [], [], []
    if case is not None:
        ready = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")
                                     .order_by(CaseTask.id)))
        done = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "completed")
                                    .order_by(CaseTask.completed_at, CaseTask.id)))
        events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))
    versions = publish.versions(session, entry)
    published = entry.current and entry.state == "published"
    pending = any(v.state in ("draft", "reviewing") for v in versions)
    values = values if values is not None else {}
    sent_back = done[-1] if task is not None and task.step_id == "draft" and done and done[-1].step_id == "publish" \
        and done[-1].approved is False else None
    return render_template(
        "workbench/gk_publication.html", entry=entry, case=case, task=task, ready=ready, done=done, events=events,
        versions=versions, entry_values=_entry_values(entry), states=ENTRY_STATES, late=publish.late(session, entry), sent_back=sent_back,
        deadline=legaltime.explain(session, load_calendar(session), case) if case is not None else None,
        users={u.id: u for u in session.scalars(select(User))},
        departments={d.id: d for d in session.scalars(select(Department))},
        actions=documents.ACTIONS, step_names=replay.step_names(session, case) if case is not None else {},
        may_change=published and not pending and user.department_id == entry.department_id
        and user.holds("handle", entry.department_id),
        may_withdraw=published and admin.may_keep(user, entry.department_id),
        may_abolish=published and entry.doc_kind in ("rule", "normative") and entry.abolished_on is None
        and admin.may_keep(user, entry.department_id),
        file_types="、".join(t.lstrip(".").upper() for t in FILE_TYPES if t != ".jpeg"),
        max_mb=materials.MAX_BYTES // 1024 // 1024, today=clock.today(), **CHOICES,
        error=error, form=form, values=values, field_errors=field_errors or {},
        summary=[(f"{form}-{name}", message) for name, message in (field_errors or {}).items()]), status


@bp.get("/workbench/gk/publications/<int:publication_id>")
@login_required
def gk_publication(publication_id: int):
    return _page(_entry(publication_id))


def _act(publication_id: int, form: str, action, success: str):
    entry = _entry(publication_id)
    session = db_session()
    try:
        said = action(session, entry)
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        return _page(_entry(publication_id), exc.message, request.form, exc.status, _field_errors(exc), form)
    if isinstance(said, InfoEntry):  # a new version: its own page
        flash(success)
        return redirect(url_for("workbench.gk_publication", publication_id=said.id))
    flash(said if isinstance(said, str) else success)
    return redirect(url_for("workbench.gk_publication", publication_id=publication_id))


def _step(session, entry, steps) -> CaseTask:
    task = publish.open_task(session, entry, me(), steps)
    shown = request.form.get("task", "")
    if shown.isdigit() and int(shown) != task.id:
        raise Conflict("此信息已有新的办理进展，页面上的内容已过期，请刷新后查看最新内容再办理。")
    return task


def _yes_no(name: str):
    return {"1": True, "0": False}.get(request.form.get(name, ""))


@bp.post("/workbench/gk/publications/<int:publication_id>/submit")
@login_required
def gk_publication_submit(publication_id: int):
    def go(session, entry):
        _step(session, entry, ("draft",))
        publish.submit(session, entry, me(), _drafting(request.form))
    return _act(publication_id, "draft", go, "已提交保密审查。")


@bp.post("/workbench/gk/publications/<int:publication_id>/secrecy")
@login_required
def gk_publication_secrecy(publication_id: int):
    def go(session, entry):
        _step(session, entry, ("secrecy",))
        publish.review_secrecy(session, entry, me(), may_publish=_yes_no("may_publish"),
                               opinion=request.form.get("opinion"))
        if _yes_no("may_publish") is False:
            return "保密审查认为不予公开，此信息不发布。"
    return _act(publication_id, "secrecy", go, "保密审查意见已提交。")


@bp.post("/workbench/gk/publications/<int:publication_id>/third-party")
@login_required
def gk_publication_third_party(publication_id: int):
    def go(session, entry):
        _step(session, entry, ("third_party",))
        publish.record_third_party(session, entry, me(), agrees=_yes_no("agrees"), opinion=request.form.get("opinion"),
                                   publish_anyway_reason=request.form.get("publish_anyway_reason"))
    return _act(publication_id, "third_party", go, "第三方意见已登记。")


@bp.post("/workbench/gk/publications/<int:publication_id>/decide")
@login_required
def gk_publication_decide(publication_id: int):
    decision = request.form.get("decision", "")

    def go(session, entry):
        _step(session, entry, ("publish",))
        publish.decide(session, entry, me(), approved={"approve": True, "refuse": False}.get(decision),
                       reason=request.form.get("reason"))
        if decision == "approve":
            return f"已发布，索引号 {entry.index_no}。"
        return "已退回拟稿人修改。"
    return _act(publication_id, "decide", go, "已审核。")


@bp.route("/workbench/gk/publications/<int:publication_id>/change", methods=["GET", "POST"])
@login_required
def gk_publication_change(publication_id: int):
    """变更: the published text, prefilled, with the reason; a new version through the flow."""
    entry = _entry(publication_id)
    session = db_session()
    context = dict(entry=entry, form="change", today=clock.today(), **CHOICES)
    if request.method == "GET":
        if not (entry.current and entry.state == "published"):
            raise NotFound("只能变更已公开的现行版本。")
        return render_template("workbench/gk_publication_change.html", values=_entry_values(entry), field_errors={},
                               errors=[], **context)
    try:
        new = publish.change(session, entry, me(), _drafting(request.form), request.form.get("change_reason"))
    except (InvalidInput, InvalidState) as exc:
        g.db_rollback = True
        session.rollback()
        errors = _field_errors(exc)
        return render_template("workbench/gk_publication_change.html", values=request.form, field_errors=errors,
                               errors=[(f"change-{k}", v) for k, v in errors.items()], error=exc.message,
                               **context), exc.status
    flash(f"已起草第 {new.version} 版，应于 {new.case.deadline} 前公开（自变更之日起 15 个工作日）；公开前专栏仍显示第 "
          f"{entry.version} 版。")
    return redirect(url_for("workbench.gk_publication", publication_id=new.id))


@bp.post("/workbench/gk/publications/<int:publication_id>/withdraw")
@login_required
def gk_publication_withdraw(publication_id: int):
    return _act(publication_id, "withdraw", lambda s, e: publish.withdraw(s, e, me(), request.form.get("change_reason")),
                "已撤回，专栏在同一索引号下显示撤回说明。")


@bp.post("/workbench/gk/publications/<int:publication_id>/abolish")
@login_required
def gk_publication_abolish(publication_id: int):
    return _act(publication_id, "abolish", lambda s, e: publish.abolish(s, e, me(), request.form.get("change_reason"),
                                                                  request.form.get("abolished_on") or None),
                "已登记废止，专栏标注“已废止”。")


# --- attachments of a draft ----------------------------------------------------------------------------

def _instance() -> Path:
    return Path(current_app.extensions["sunhall_settings"].instance_dir)


def _store(upload) -> dict:
    """Stream the upload to the instance's files with a cap, check it is what its name says (as
    case materials are checked), keep it by checksum."""
    name = materials.clean_file_name(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in FILE_TYPES:
        raise InvalidInput(f"“{name}”的文件类型不允许；请上传 PDF、DOCX、XLSX、JPG 或 PNG 文件。", field="file")
    folder = upload_dir() / FILE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".upload-{os.getpid()}-{os.urandom(8).hex()}.part"
    try:
        sha, size = hashlib.sha256(), 0
        with part.open("wb") as out:
            while chunk := upload.stream.read(materials.CHUNK):
                size += len(chunk)
                if size > materials.MAX_BYTES:
                    raise InvalidInput(f"“{name}”超过 {materials.MAX_BYTES // 1024 // 1024} MB 的上传限制。", field="file")
                sha.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput(f"“{name}”是空文件。", field="file")
        materials.inspect(part, materials.KINDS[suffix], name)
        digest = sha.hexdigest()
        path = folder / f"{digest}{suffix}"
        if path.exists():
            part.unlink()
        else:
            part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return {"name": name, "stored": path.relative_to(_instance()).as_posix(), "size": size, "sha256": digest}


@bp.post("/workbench/gk/publications/<int:publication_id>/attachments")
@login_required
def gk_publication_attach(publication_id: int):
    def go(session, entry):
        publish.open_task(session, entry, me(), ("draft",))  # who may, before the file is read
        if (request.content_length or 0) > materials.MAX_BYTES + SLACK:
            raise InvalidInput(f"文件超过 {materials.MAX_BYTES // 1024 // 1024} MB 的上传限制。", field="file")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput("请选择要上传的文件。", field="file")
        record = admin.add_attachment(session, entry, me(), **_store(upload))
        return f"已上传附件“{record['name']}”。"
    return _act(publication_id, "attach", go, "已上传附件。")


@bp.post("/workbench/gk/publications/<int:publication_id>/attachments/<sha256>/delete")
@login_required
def gk_publication_detach(publication_id: int, sha256: str):
    def go(session, entry):
        record = admin.remove_attachment(session, entry, me(), sha256)
        return f"已删除附件“{record['name']}”。"
    return _act(publication_id, "attach", go, "已删除附件。")


@bp.get("/workbench/gk/publications/<int:publication_id>/attachments/<sha256>")
@login_required
def gk_publication_file(publication_id: int, sha256: str):
    entry = _entry(publication_id)
    record = next((f for f in entry.attachments or [] if f.get("sha256") == sha256), None)
    if record is None:
        abort(404)
    root = _instance().resolve()
    path = (root / str(record.get("stored") or "")).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    mime = materials.MIME.get(path.suffix.lower(), "application/octet-stream")
    response = send_file(path, mimetype=mime, as_attachment=True, download_name=record["name"], max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
