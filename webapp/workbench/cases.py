"""The case page: diagram, timeline, materials, documents, the current step's form, and every
action the step allows, each asking for its reason where the law or domain.md says so."""

from __future__ import annotations

from docx import Document
from flask import (
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from engine import legaltime
from engine.calendar import load_calendar
from engine.certificates import CERT_TYPES
from engine.disclosure import publish as gk_publish
from engine.disclosure import service as gk
from engine.errors import InvalidInput, PermissionDenied, StaleCase, SunhallError
from engine.exchange import report
from engine.models import (
    Case,
    CaseEvent,
    CaseExtension,
    CasePause,
    CaseTask,
    Department,
    Post,
    ProcessDefinition,
    User,
)
from engine.models.cases import APPLICANT_TYPES, CASE_STATES, CHANNELS, PAUSE_KINDS, TASK_STATES
from engine.models.org import user_post
from engine.qa import service as qa
from engine.service import (
    authority,
    claim,
    decide_extension,
    reject,
    request_correction,
    request_extension,
    resume,
    return_to_applicant,
    return_to_step,
    suspend,
    transfer,
    withdraw,
)
from engine.service.common import STEP_GONE, can_work, require_can_work, running_for
from engine.service.operations import MAX_SPECIAL_DAYS, may_approve_extension, special_procedures_of
from forms import documents, materials
from forms.models import CaseDocument, CaseMaterial
from forms.service import field_history, step_form, submit_step
from rules import replay

from ..db import db_session
from ..instance import document_dir
from . import bp
from .common import form_int, me, purged_to_archive, visible_case
from .formdata import parse


def _open_tasks(session, case):
    return list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")
                                .order_by(CaseTask.id)))


def _page(case, error: str | None = None, values=None, status: int = 200, field_errors: dict | None = None):
    session = db_session()
    user = me()
    tasks = _open_tasks(session, case)
    mine = next((t for t in tasks if can_work(user, t)), None)
    claimable = next((t for t in tasks if t.assignee_id is None and user.holds(t.post_code, t.department_id)), None)
    sf = step_form(session, case, mine)
    # the steps one may return to: each completed step once, in the order first completed
    earlier: dict[str, str] = {}
    for step_id, name in session.execute(
            select(CaseTask.step_id, CaseTask.step_name).where(CaseTask.case_id == case.id, CaseTask.state == "completed")
            .group_by(CaseTask.step_id, CaseTask.step_name)
            .order_by(func.min(CaseTask.completed_at), func.min(CaseTask.id))):
        if mine is None or step_id != mine.step_id:
            earlier.setdefault(step_id, name)  # a step renamed between versions: its first name
    extensions = list(session.scalars(select(CaseExtension).where(CaseExtension.case_id == case.id)
                                      .order_by(CaseExtension.id)))
    files = list(session.scalars(select(CaseMaterial).options(selectinload(CaseMaterial.versions))
                                 .where(CaseMaterial.case_id == case.id).order_by(CaseMaterial.position)))
    history = [h for h in field_history(session, case.id) if sf.access.get(h.field, "hidden") != "hidden"]
    named = ({x.requested_by_id for x in extensions} | {x.approver_id for x in extensions}
             | {v.uploaded_by_id for m in files for v in m.versions} | {h.changed_by_id for h in history}) - {None}
    return render_template(
        "workbench/case.html", case=case, tasks=tasks, mine=mine, claimable=claimable, sf=sf,
        visible=sf.visible(case.data or {}), names=_user_names(session, named), earlier=list(earlier.items()),
        colleagues=_colleagues(session, user, mine), approvers=_approvers(session, user, case),
        events=list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))),
        pauses=list(session.scalars(select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id))),
        materials=files, missing=materials.missing(session, case.id),
        documents=documents.documents_of(session, case.id), kinds=documents.KINDS, actions=documents.ACTIONS,
        offer=documents.offered(session, case, user), operations=authority.flow_kind(session, case.definition_id),
        workable=mine is not None and running_for(session, case, mine),
        stuck=not tasks and case.is_open and authority.may_close_without_step(user, case),
        states=CASE_STATES, pause_names=PAUSE_KINDS, channels=CHANNELS, cert_types=CERT_TYPES,
        applicant_types=APPLICANT_TYPES, special=special_procedures_of(case.item_version),
        max_special_days=MAX_SPECIAL_DAYS, extensions=extensions,
        deadline=legaltime.explain(session, load_calendar(session), case), history=history,
        labels={f["name"]: f["label"] for f in (sf.form.fields if sf.form else [])}, error=error, values=values or {},
        field_errors=field_errors or {},
        step_names=replay.step_names(session, case), own_page=_own_page(session, case)), status


def _user_names(session, ids: set[int]) -> dict[int, str]:
    """The names the page shows, and only those."""
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def _colleagues(session, user, mine) -> list:
    """Whom the step may be transferred to: the others holding its post in its department (id and name)."""
    if mine is None:
        return []
    holders = (select(user_post.c.user_id).join(Post, Post.id == user_post.c.post_id)
               .where(Post.code == mine.post_code, Post.department_id == mine.department_id))
    return list(session.execute(select(User.id, User.name).where(User.id.in_(holders), User.id != user.id)
                                .order_by(User.id)))


def _approvers(session, user, case) -> list[User]:
    """Who may approve an extension (may_approve_extension): found among the case department's
    staff and the holders of its approval post, not among every account."""
    approve = (select(user_post.c.user_id).join(Post, Post.id == user_post.c.post_id)
               .where(Post.code == "approve", Post.department_id == case.department_id))
    candidates = session.scalars(select(User).where(
        User.active, User.id != user.id, or_(User.department_id == case.department_id, User.id.in_(approve)))
        .order_by(User.id))
    return [u for u in candidates if may_approve_extension(u, case)]


def _own_page(session, case) -> str | None:
    """政府信息公开 is worked on its own pages (each step has its required content); the case page
    keeps the record, the diagram and the replay and links there."""
    request = gk.of_case(session, case.id)
    if request is not None:
        return url_for("workbench.gk_request", request_id=request.id)
    entry = gk_publish.of_case(session, case.id)
    return url_for("workbench.gk_publication", publication_id=entry.id) if entry is not None else None


@bp.get("/cases/<int:case_id>")
@login_required
def case_page(case_id: int):
    question = qa.of_case(db_session(), case_id)
    if question is not None:  # 在线解答 is worked on the question's own page (its service checks each step)
        qa.require_read(db_session(), question, me())
        return redirect(url_for("workbench.question_page", question_id=question.id))
    case = visible_case(case_id)
    archived = purged_to_archive(case)
    if archived is not None:
        return archived
    if case.source:
        return _external_page(case)
    return _page(case)


def _external_page(case):
    """外部系统报送: a case worked in its department's own system. It is shown as reported — no flow
    chart, no step form, no action (every command refuses it) — with the same deadlines and log."""
    session = db_session()
    tasks = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)
                                 .order_by(CaseTask.created_at, CaseTask.id)))
    departments = {t.department_id for t in tasks}
    posts = {(d, code): name for d, code, name in session.execute(
        select(Post.department_id, Post.code, Post.name).where(Post.department_id.in_(departments)))
        if (d, code) in {(t.department_id, t.post_code) for t in tasks}} if tasks else {}
    return render_template(
        "workbench/case.html", case=case, external=(case.data or {}).get("external") or {}, steps=tasks,
        system=report.system_label(case), posts=posts, departments=_department_names(session, departments),
        events=list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))),
        actions={**documents.ACTIONS, **report.ACTIONS}, states=CASE_STATES, channels=CHANNELS, cert_types=CERT_TYPES,
        applicant_types=APPLICANT_TYPES, task_states=TASK_STATES,
        deadline=legaltime.explain(session, load_calendar(session), case))


def _department_names(session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all()) if ids else {}


def _act(case_id: int, action, success: str, case: Case | None = None):
    """Run one action in this request's transaction; on a refusal, show the page again with the
    message and what was typed, and keep nothing."""
    case = case or visible_case(case_id)
    try:
        said = action(db_session(), case)
    except SunhallError as exc:
        g.db_rollback = True
        db_session().rollback()
        errors = exc.details.get("errors")
        return _page(visible_case(case_id), exc.message, request.form, exc.status,
                     errors if isinstance(errors, dict) else None)
    flash(said if isinstance(said, str) else success)  # an action may say more precisely what happened
    return redirect(url_for("workbench.case_page", case_id=case_id))


def _must_handle(session, case, task_id: int | None = None) -> None:
    """Who may act is settled before what they typed is read (the service checks again): someone
    off the step hears "not yours", not that a number was badly written."""
    user = me()
    task = session.get(CaseTask, task_id) if task_id is not None else None
    if task is not None and task.case_id == case.id:
        if task.state == "ready":
            require_can_work(user, task)
            return
        if user.holds(task.post_code, task.department_id):  # a colleague at the same post was quicker
            raise StaleCase(STEP_GONE)  # what the service says of it
    tasks = _open_tasks(session, case)
    task = next((t for t in tasks if t.id == task_id), None)
    if task is not None:
        require_can_work(user, task)
    elif tasks and not any(can_work(user, t) for t in tasks):
        raise PermissionDenied("您不是此办件当前环节的办理人，不能进行此操作。")


def _version() -> int | None:
    value = request.form.get("version")
    return int(value) if value and value.isdigit() else None


def _case_of_workable(case_id: int, task_id: int) -> Case | None:
    """The case of a ready step the user may work, or None: whoever may work one of its steps may
    see the case, so the department scope need not be asked."""
    found = db_session().execute(select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id)
                                 .where(CaseTask.id == task_id, CaseTask.case_id == case_id)).first()
    if found is None or found.CaseTask.state != "ready" or not can_work(me(), found.CaseTask):
        return None
    return found.Case


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>/complete")
@login_required
def complete(case_id: int, task_id: int):
    def go(session, case):
        task = session.get(CaseTask, task_id)
        if task is None or task.case_id != case.id:
            abort(404)
        _must_handle(session, case, task_id)
        sf = step_form(session, case, task)  # resolved once: the post is read and validated with it
        raw = parse(list(sf.form.fields), sf.writable, request.form) if sf.form else {}
        for name in request.form:  # a field the page did not offer as writable: refuse by name
            base = name.split(".")[0].split("[")[0]
            if sf.form and base in sf.access and sf.access[base] != "write":
                raw[base] = request.form.get(name)
        decision = request.form.get("decision", "agree")
        submit_step(session, task_id, me(), raw, opinion=request.form.get("opinion") or None,
                    approved=decision != "disagree", reason=request.form.get("reason") or None,
                    expected_version=_version(), sf=sf)
    return _act(case_id, go, "已办理，办件已转入下一环节。", _case_of_workable(case_id, task_id))


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>/claim")
@login_required
def claim_task(case_id: int, task_id: int):
    return _act(case_id, lambda s, c: claim(s, task_id, me(), _version()), "已签收。")


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>/return")
@login_required
def return_task(case_id: int, task_id: int):
    def go(session, case):
        target = request.form.get("target") or ""
        if target == "__applicant__":
            return_to_applicant(session, case.id, me(), request.form.get("reason", ""), _version())
        else:
            return_to_step(session, task_id, me(), target, request.form.get("reason", ""), _version())
    return _act(case_id, go, "已退回。")


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>/transfer")
@login_required
def transfer_task(case_id: int, task_id: int):
    def go(session, case):
        _must_handle(session, case, task_id)
        transfer(session, task_id, me(), form_int(request.form.get("assignee"), "assignee", "转办对象"),
                 request.form.get("reason", ""), _version())
    return _act(case_id, go, "已转办。")


@bp.post("/cases/<int:case_id>/correction")
@login_required
def correction(case_id: int):
    def go(session, case):
        lines = [m for m in request.form.getlist("missing") if m.strip()]
        lines += [m for m in (request.form.get("missing_other") or "").splitlines() if m.strip()]
        request_correction(session, case.id, me(), lines, None, _version())  # the notice comes with it (forms/plugin.py)
        if case.channel == "web":
            return "已发出补正告知，办理时限暂停；补正材料告知书已送达申请人的网上申请页面，申请人可在网上上传补正材料。"
    return _act(case_id, go, "已发出补正告知，办理时限暂停；补正告知书已生成，请打印交申请人。")


@bp.post("/cases/<int:case_id>/suspend")
@login_required
def suspend_case(case_id: int):
    def go(session, case):
        _must_handle(session, case)
        suspend(session, case.id, me(), request.form.get("reason", ""), form_int(request.form.get("days"), "days", "预计天数"),
                request.form.get("procedure") or None, _version())
    return _act(case_id, go, "特别程序已开始，办理时限暂停。")


@bp.post("/cases/<int:case_id>/resume")
@login_required
def resume_case(case_id: int):
    def go(session, case):
        if case.pause_kind == "correction":
            materials.check_in(session, case, {int(m) for m in request.form.getlist("received") if m.isdigit()}
                               | {m.id for m in materials.materials_of(session, case.id) if m.submitted}, me())
        resume(session, case.id, me(), request.form.get("note") or None, _version())
    return _act(case_id, go, "已恢复办理，期限已顺延。")


@bp.post("/cases/<int:case_id>/extend")
@login_required
def extend_case(case_id: int):
    def go(session, case):
        _must_handle(session, case)
        request_extension(
            session, case.id, me(), form_int(request.form.get("days"), "days", "延期天数"),
            form_int(request.form.get("approver"), "approver", "批准人"), request.form.get("reason", ""),
            request.form.get("collective_record") or None, _version())
    return _act(case_id, go, "延期申请已提交，待批准人审批；批准前办理期限不变。")


@bp.post("/cases/<int:case_id>/extensions/<int:extension_id>")
@login_required
def decide_extension_view(case_id: int, extension_id: int):
    def go(session, case):
        row = session.get(CaseExtension, extension_id)
        if row is None or row.case_id != case.id:
            raise InvalidInput("延期申请不属于本办件。")
        decision = request.form.get("decision")
        if decision not in ("approve", "refuse"):
            raise InvalidInput("请选择批准或不批准。", field="decision")
        decide_extension(session, extension_id, me(), decision == "approve", request.form.get("note"), _version())
    return _act(case_id, go, "已审批延期申请。")


@bp.get("/cases/<int:case_id>/deadline.json")
@login_required
def deadline_json(case_id: int):
    """The case deadline explained: start and why, unit, holidays crossed, pauses, extensions, article."""
    session = db_session()
    case = visible_case(case_id)
    result = legaltime.explain(session, load_calendar(session), case)
    return jsonify(case_number=case.number, deadline=result.as_dict() if result else None,
                   pending="办件尚未受理（立案），办理期限自受理（立案）之日起计算。" if result is None else None)


@bp.post("/cases/<int:case_id>/reject")
@login_required
def reject_case(case_id: int):
    def go(session, case):
        reject(session, case.id, me(), request.form.get("reason", ""), _version())  # the decision comes with it
        if case.channel == "web":
            return "已作出不予受理决定，决定书已送达申请人的网上申请页面。"
    return _act(case_id, go, "已作出不予受理决定，决定书已生成，请打印送达。")


@bp.post("/cases/<int:case_id>/withdraw")
@login_required
def withdraw_case(case_id: int):
    return _act(case_id, lambda s, c: withdraw(s, c.id, me(), request.form.get("reason", ""), _version()),
                "申请已撤回。")


@bp.post("/cases/<int:case_id>/documents/<kind>")
@login_required
def make_document(case_id: int, kind: str):
    holder = {}

    def go(session, case):
        holder["doc"] = documents.issue(session, case, kind, me(), document_dir())
    response = _act(case_id, go, "文书已生成。")
    if "doc" in holder and not getattr(g, "db_rollback", False):
        return redirect(url_for("workbench.print_document", doc_id=holder["doc"].id))
    return response


def _owned_document(doc_id: int) -> CaseDocument:
    doc = db_session().get(CaseDocument, doc_id)
    if doc is None:
        abort(404)
    visible_case(doc.case_id)
    return doc


@bp.get("/documents/<int:doc_id>.docx")
@login_required
def download_document(doc_id: int):
    doc = _owned_document(doc_id)
    archived = purged_to_archive(visible_case(doc.case_id))
    if archived is not None:
        return archived
    return send_file(doc.stored_path, as_attachment=True, download_name=f"{doc.title}-{doc.number}.docx")


@bp.get("/documents/<int:doc_id>/print")
@login_required
def print_document(doc_id: int):
    doc = _owned_document(doc_id)
    archived = purged_to_archive(visible_case(doc.case_id))
    if archived is not None:
        return archived
    body = []
    document = Document(doc.stored_path)
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in block.iter() if t.tag.endswith("}t"))
            body.append(("p", text))
        elif tag == "tbl":
            rows = []
            for tr in block.iter():
                if tr.tag.endswith("}tr"):
                    rows.append(["".join(t.text or "" for t in tc.iter() if t.tag.endswith("}t"))
                                 for tc in tr if tc.tag.endswith("}tc")])
            body.append(("table", rows))
    return render_template("workbench/print.html", doc=doc, body=body)


@bp.get("/cases/<int:case_id>/diagram")
@login_required
def diagram(case_id: int):
    session = db_session()
    case = visible_case(case_id)
    definition = session.get(ProcessDefinition, case.definition_id)
    tasks = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)))
    done = sorted({t.step_id for t in tasks if t.state == "completed"})
    current = sorted({t.step_id for t in tasks if t.state == "ready"})
    return jsonify(xml=definition.bpmn_xml, done=done, current=current, flows=[])


