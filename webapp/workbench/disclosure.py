"""依申请公开 on the workbench: the requests an office or a body it asked may see (待我办理 first),
registering a request received at the counter or by letter, fax or email (条例 art. 29), and the
request page: everything of the request, the bodies' opinions, the consultations, the deadline
with its explanation, the record and the documents, and the one step the user may work now (审查
交办 or 补正, 承办部门答复, 保密审查, 征求第三方意见, 拟定答复书, 会签, 审定, 送达), with 延期 (art. 33)
and 撤回. Every command is the service's (engine/disclosure/service.py and the generic case
operations), which checks who may do it; the page only offers it."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import login_required
from sqlalchemy import case as when
from sqlalchemy import or_, select

from engine import clock, legaltime
from engine.calendar import load_calendar
from engine.certificates import CERT_TYPES
from engine.disclosure import service as gk
from engine.disclosure.codes import (
    ANSWER_TYPES,
    CHANNELS,
    DELIVERIES,
    FIELD_LABELS,
    LAW,
    MEDIA,
    REQUESTER_KINDS,
    WITHHOLD_GROUNDS,
)
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied, SunhallError
from engine.models import Case, CaseEvent, CaseExtension, CaseTask, Department, InfoRequest, User
from engine.models.cases import PAUSE_KINDS
from engine.paging import Order, capped_count, fetch
from engine.service import decide_extension, request_extension, withdraw
from engine.service.common import can_work
from engine.service.operations import may_approve_extension
from engine.validation import INT_MAX
from forms import documents
from rules import replay

from ..db import db_session
from ..paging import cursor, links, shown_total
from . import bp
from .common import form_int, me, workable
from .faq import row_id

PAGE = 20
KEYWORD_MAX = 50
STAFF_CHANNELS = {k: v for k, v in CHANNELS.items() if k != "web"}  # 网站 is the applicant's own channel
STEPS = ("review", "body_answer", "secrecy", "draft", "comment", "approve", "deliver")
FILTERS = {"todo": "待我办理", "open": "办理中", "answered": "已答复"}
REGISTERED = "registered_info_request"  # the registration to show once: {"id", "code"} (the signed session)
# which fields of the 答复书 belong to which answer types (the page hides the others; the service decides)
DRAFT_FIELDS = {
    "published_where": [k for k, t in ANSWER_TYPES.items() if "published_where" in t.needs],
    "disclosed_items": [k for k, t in ANSWER_TYPES.items() if "disclosed_items" in t.needs],
    "ground": [k for k, t in ANSWER_TYPES.items() if t.ground_from],
    "ground_detail": [k for k, t in ANSWER_TYPES.items() if "ground_detail" in t.needs] + ["disclosed"],
    "competent_body": [k for k, t in ANSWER_TYPES.items() if "competent_body" in t.needs],
    "fee": [k for k, t in ANSWER_TYPES.items() if t.row in ("disclosed", "partial") and t.assign],
}


def _field_errors(exc: SunhallError) -> dict[str, str]:
    errors = exc.details.get("errors")
    if isinstance(errors, dict):
        return dict(errors)
    field = exc.details.get("field")
    return {field: exc.message} if field else {}


def late(r: InfoRequest, today) -> bool:
    """Past its deadline: still unanswered after it, or answered after it."""
    case = r.case
    if case.deadline is None or case.state in ("withdrawn", "rejected"):
        return False
    answered = r.answered_at or case.finished_at
    return (clock.local_date(answered) if answered else today) > case.deadline


def _keyword(value: str):
    like = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(InfoRequest.number.like(like, escape="\\"), Case.applicant_name.like(like, escape="\\"))


@bp.get("/workbench/gk/requests")
@login_required
def gk_requests():
    session, user, args = db_session(), me(), request.args
    state = args.get("state") or ""
    state = state if state in FILTERS else ""
    channel = args.get("channel") if args.get("channel") in CHANNELS else ""
    answer = args.get("answer") if args.get("answer") in ANSWER_TYPES else ""
    keyword = (args.get("q") or "").strip()[:KEYWORD_MAX]
    stmt = select(InfoRequest).join(Case, Case.id == InfoRequest.case_id)
    scope = gk.staff_scope(user)
    if scope is not True:
        stmt = stmt.where(scope)
    todo = workable(session, user, InfoRequest)
    if state == "todo":
        stmt = stmt.where(InfoRequest.id.in_(list(todo)))
    elif state == "open":
        stmt = stmt.where(Case.state.in_(("received", "accepted")))
    elif state == "answered":
        stmt = stmt.where(Case.state == "finished")
    if channel:
        stmt = stmt.where(InfoRequest.channel == channel)
    if answer:
        stmt = stmt.where(InfoRequest.answer_type == answer)
    if keyword:
        stmt = stmt.where(_keyword(keyword))
    total = capped_count(session, stmt.with_only_columns(InfoRequest.id))
    order = (Order(when((InfoRequest.id.in_(list(todo)), 1), else_=0), desc=True),  # 待我办理 first
             Order(InfoRequest.received_at, desc=True), Order(InfoRequest.id, desc=True))
    page = fetch(session, stmt, order, lambda r: [int(r.id in todo), r.received_at, r.id], size=PAGE, scalars=True,
                 **cursor())
    rows = page.rows
    may_register = any(p.code == "window" and p.department_id == user.department_id for p in user.posts) \
        and any(d.id == user.department_id for d in gk.bodies(session))
    return render_template(
        "workbench/gk_requests.html", rows=rows, todo=todo, total=shown_total(total), pages=links(page), state=state,
        filters=FILTERS, channel=channel, channels=CHANNELS, answer=answer, answer_types=ANSWER_TYPES,
        keyword=keyword, stage=lambda r: gk.stage(session, r), late=late, today=clock.today(),
        may_register=may_register, todo_count=len(todo))


# --- registering a request received at the counter, by letter, fax or email ---------------------------

def _requesting(f, user) -> gk.Requesting:
    channel = f.get("channel", "")
    return gk.Requesting(
        name=f.get("name", ""), requester_kind=f.get("requester_kind", ""), cert_type=f.get("cert_type", ""),
        cert_number=f.get("cert_number", ""), phone=f.get("phone") or None, description=f.get("description", ""),
        medium=f.get("medium", ""), delivery=f.get("delivery", ""), email=f.get("email") or None,
        address=f.get("address") or None, postcode=f.get("postcode") or None,
        contact_name=f.get("contact_name") or None, purpose=f.get("purpose") or None,
        department_id=user.department_id, channel=channel if channel in STAFF_CHANNELS else "",
        received_on=f.get("received_on") or None)


@bp.route("/workbench/gk/requests/new", methods=["GET", "POST"])
@login_required
def gk_request_new():
    """登记: the window clerk of the body asked writes the request down (the service checks the post)."""
    session, user = db_session(), me()
    body = session.get(Department, user.department_id) if user.department_id else None
    context = dict(body=body, channels=STAFF_CHANNELS, kinds=REQUESTER_KINDS, cert_types=CERT_TYPES, media=MEDIA,
                   deliveries=DELIVERIES, today=clock.today(), backdate=gk.BACKDATE_DAYS, form="new")
    if body is None or body not in gk.bodies(session) or not user.holds("window", body.id):
        raise PermissionDenied("只有设有政府信息公开工作机构的机关的窗口受理人员可以登记政府信息公开申请。")
    if request.method == "GET":
        return render_template("workbench/gk_request_new.html", values={"channel": "counter", "medium": "paper",
                                                                        "delivery": "pickup",
                                                                        "requester_kind": "natural",
                                                                        "cert_type": "111"},
                               field_errors={}, errors=[], **context)
    try:
        r, code = gk.file_request(session, _requesting(request.form, user), user)
    except (InvalidInput, InvalidState) as exc:
        g.db_rollback = True
        session.rollback()
        errors = _field_errors(exc)
        return render_template("workbench/gk_request_new.html", values=request.form, field_errors=errors,
                               error=exc.message, errors=[(f"new-{k}", v) for k, v in errors.items()], **context), exc.status
    # Post/Redirect/Get: reloading the result shows it again, it never registers the request twice
    cookie[REGISTERED] = {"id": r.id, "code": code}
    return redirect(url_for("workbench.gk_request_registered"))


@bp.get("/workbench/gk/requests/registered")
@login_required
def gk_request_registered():
    """登记结果: the 申请编号 and, this once, the 查询码 to hand to the applicant."""
    shown = cookie.get(REGISTERED)
    if not isinstance(shown, dict) or not isinstance(shown.get("id"), int):
        return redirect(url_for("workbench.gk_requests"))
    session = db_session()
    r = gk.get(session, shown["id"])
    gk.require_read(session, r, me())
    code = shown.get("code")
    if code:
        cookie[REGISTERED] = {"id": r.id}  # the 查询码 is shown once
    response = make_response(render_template("workbench/gk_request_registered.html", r=r, code=code,
                                              channels=CHANNELS))
    response.headers["Cache-Control"] = "no-store"  # a 后退 does not show the 查询码 again
    return response


# --- the request page ----------------------------------------------------------------------------------

def _request(request_id: int) -> InfoRequest:
    session = db_session()
    if request_id > INT_MAX:  # no row has it (and PostgreSQL refuses to compare it with an integer column)
        raise NotFound("政府信息公开申请不存在。")
    r = gk.get(session, request_id)
    gk.require_read(session, r, me())
    return r


def _open_task(session, r, user) -> CaseTask | None:
    try:
        return gk.open_task(session, r, user, STEPS)
    except PermissionDenied:
        return None


def _draft_values(r: InfoRequest) -> dict:
    """The answer as drafted, to redraft it after a send-back."""
    if r.answer_type is None:
        return {}
    values = {name: getattr(r, name) or "" for name in ("answer_type", "answer_text", "ground", "ground_detail",
                                                         "published_where", "competent_body", "competent_contact",
                                                         "disclosed_items")}
    values["fee_waived"] = str(r.fee_waived) if r.fee_waived else ""
    return values


def _page(r: InfoRequest, error: str | None = None, values=None, status: int = 200, field_errors=None,
          form: str | None = None):
    session, user = db_session(), me()
    case = r.case
    task = _open_task(session, r, user)
    ready = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")
                                 .order_by(CaseTask.id)))
    done = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "completed")
                                .order_by(CaseTask.completed_at, CaseTask.id)))
    events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))
    departments = {d.id: d for d in session.scalars(select(Department))}
    users = {u.id: u for u in session.scalars(select(User))}
    extensions = list(session.scalars(select(CaseExtension).where(CaseExtension.case_id == case.id)
                                      .order_by(CaseExtension.id)))
    sent_back = done[-1] if task is not None and task.step_id == "draft" and done and done[-1].step_id == "approve" \
        and done[-1].approved is False else None
    handler = any(can_work(user, t) for t in ready)
    office = user.department_id == r.department_id
    consultation = gk.open_consultation(r)
    route = (case.data or {}).get("route")
    type_options = {k: f"{t.label}（{t.cite}）" for k, t in ANSWER_TYPES.items() if route == "assign" or not t.assign}
    values = values if values is not None else {}
    return render_template(
        "workbench/gk_request.html", r=r, case=case, task=task, ready=ready, done=done, events=events,
        departments=departments, users=users, extensions=extensions, sent_back=sent_back,
        stage=gk.stage(session, r), late=late(r, clock.today()), consultation=consultation,
        fee_pause=gk.open_fee(session, r), fee_noticed=gk.fee_noticed(session, r), fee_days=gk.FEE_PAY_DAYS,
        corrected=any(e.action == "correction" for e in events), correction=gk.open_correction(session, r),
        deadline=legaltime.explain(session, load_calendar(session), case),
        documents=documents.documents_of(session, case.id), offer=documents.offered(session, case, user),
        doc_kinds=documents.KINDS, actions=documents.ACTIONS,
        step_names=replay.step_names(session, case),
        answer_types=ANSWER_TYPES, type_options=type_options, route=route,
        proposal_options={k: t.label for k, t in ANSWER_TYPES.items()},
        ground_options={k: f"{x.label}（{x.article}）" for k, x in WITHHOLD_GROUNDS.items()},
        body_options={d.id: d.name for d in gk.bodies(session)}, grounds=WITHHOLD_GROUNDS, field_labels=FIELD_LABELS, draft_fields=DRAFT_FIELDS,
        channels=CHANNELS, kinds=REQUESTER_KINDS, cert_types=CERT_TYPES, media=MEDIA, deliveries=DELIVERIES,
        pause_names=PAUSE_KINDS, outcomes=gk.CONSULTATION_OUTCOMES, law=LAW, summary_of=gk.answer_summary,
        correction_days=gk.CORRECTION_DAYS, default_correction_days=gk.DEFAULT_CORRECTION_DAYS,
        may_supply=case.pause_kind == "correction" and office,
        may_extend=handler and office and case.is_open and not any(x.state == "requested" for x in extensions),
        extension_limit=case.item_version.extension_limit,
        approvers={u.id: u.name for u in users.values()
                   if u.id != user.id and u.active and may_approve_extension(u, case)},
        may_withdraw=handler and office and case.is_open,
        draft_defaults=_draft_values(r) if sent_back else {},
        error=error, form=form, values=values, field_errors=field_errors or {},
        summary=[(f"{form}-{name}", message) for name, message in (field_errors or {}).items()]), status


@bp.get("/workbench/gk/requests/<int:request_id>")
@login_required
def gk_request(request_id: int):
    return _page(_request(request_id))


def _act(request_id: int, form: str, action, success: str):
    """Run one command in this request's transaction; refused, the page again with the message beside
    the form's fields, what was typed kept, nothing saved."""
    r = _request(request_id)
    session = db_session()
    try:
        said = action(session, r)
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        return _page(_request(request_id), exc.message, request.form, exc.status, _field_errors(exc), form)
    flash(said if isinstance(said, str) else success)
    return redirect(url_for("workbench.gk_request", request_id=request_id))


def _step(session, r, steps) -> CaseTask:
    """The step the user works, the one the page showed: a page left open while the request moved on
    is refused rather than acted on unseen."""
    task = gk.open_task(session, r, me(), steps)
    shown = request.form.get("task", "")
    if shown.isdigit() and int(shown) != task.id:
        raise Conflict("此申请已有新的办理进展，页面上的内容已过期，请刷新后查看最新内容再办理。")
    return task


def _choice(name: str, choices: dict[str, bool]):
    """A yes/no radio: its value, or None (the service names the field)."""
    return choices.get(request.form.get(name, ""))


@bp.post("/workbench/gk/requests/<int:request_id>/review")
@login_required
def gk_review(request_id: int):
    f = request.form

    def go(session, r):
        _step(session, r, ("review",))
        route = f.get("route", "")
        gk.review(session, r, me(), route=route,
                  body_ids=[row_id(b) for b in f.getlist("body_ids")] if route == "assign" else None,
                  note=f.get("note"))
        if route == "assign":
            return f"已交办 {len(r.bodies)} 个承办单位，各单位应在 5 个工作日内书面答复。"
        return "审查完毕，进入拟定答复书。"
    return _act(request_id, "review", go, "已审查。")


@bp.post("/workbench/gk/requests/<int:request_id>/correction")
@login_required
def gk_correction(request_id: int):
    f = request.form

    def go(session, r):
        _step(session, r, ("review",))
        days = form_int(f.get("days"), "days", "补正期限", gk.CORRECTION_DAYS[0], gk.CORRECTION_DAYS[1])
        gk.request_correction(session, r, me(), points=f.get("points", ""), days=days)
    return _act(request_id, "correction", go, "已一次性告知补正，答复期限自收到补正后的申请之日起重新计算（条例第三十条）；"
                                              "补正告知书请打印送达申请人。")


@bp.post("/workbench/gk/requests/<int:request_id>/supply")
@login_required
def gk_supply(request_id: int):
    """The corrected request received by letter or at the counter, registered by the office."""
    return _act(request_id, "supply", lambda s, r: gk.supply_correction(s, r, request.form.get("description", ""),
                                                                        actor=me()),
                "已登记补正后的申请内容，答复期限自今日起重新计算（条例第三十条）。")


@bp.post("/workbench/gk/requests/<int:request_id>/body-answer")
@login_required
def gk_body_answer(request_id: int):
    def go(session, r):
        _step(session, r, ("body_answer",))
        gk.body_answer(session, r, me(), proposed_type=request.form.get("proposed_type", ""),
                       opinion=request.form.get("opinion"))
    return _act(request_id, "body_answer", go, "本单位书面答复意见已提交。")


@bp.post("/workbench/gk/requests/<int:request_id>/secrecy")
@login_required
def gk_secrecy(request_id: int):
    def go(session, r):
        _step(session, r, ("secrecy",))
        gk.secrecy_review(session, r, me(), opinion=request.form.get("opinion"))
    return _act(request_id, "secrecy", go, "保密审查意见已提交，进入拟定答复书。")


@bp.post("/workbench/gk/requests/<int:request_id>/consult")
@login_required
def gk_consult(request_id: int):
    f = request.form

    def go(session, r):
        _step(session, r, ("secrecy", "draft"))
        c = gk.consult(session, r, me(), party=f.get("party"), matter=f.get("matter"), contact=f.get("contact"))
        return (f"已征求{c.party}的意见，第三方应在 {c.due_date} 前答复；征求意见期间不计入答复期限"
                f"（条例第三十二条、第三十三条）。")
    return _act(request_id, "consult", go, "已征求第三方意见。")


@bp.post("/workbench/gk/requests/<int:request_id>/reply")
@login_required
def gk_reply(request_id: int):
    def go(session, r):
        _step(session, r, ("secrecy", "draft"))
        gk.record_reply(session, r, me(), outcome=request.form.get("outcome", ""), reply=request.form.get("reply"))
    return _act(request_id, "reply", go, "已登记第三方意见，答复期限恢复计算。")


@bp.post("/workbench/gk/requests/<int:request_id>/draft")
@login_required
def gk_draft(request_id: int):
    f = request.form

    def go(session, r):
        _step(session, r, ("draft",))
        kind = f.get("answer_type", "")
        shown = {name: kind in types for name, types in DRAFT_FIELDS.items()}

        def given(name):  # a field the chosen type does not use is not sent on, whatever the page held
            return (f.get(name) or None) if shown.get(name, True) else None
        gk.draft(session, r, me(), gk.Answer(
            answer_type=kind, answer_text=f.get("answer_text") or None, ground=given("ground"),
            ground_detail=given("ground_detail"), published_where=given("published_where"),
            competent_body=given("competent_body"),
            competent_contact=(f.get("competent_contact") or None) if shown["competent_body"] else None,
            disclosed_items=given("disclosed_items"), pages=(f.get("pages") or 0) if shown["fee"] else 0,
            fee_waived=(f.get("fee_waived") or None) if shown["fee"] else None,
            fee_basis=(f.get("fee_basis") or None) if shown["fee"] else None))
        fee = f"；信息处理费 {r.fee - r.fee_waived} 元（{r.fee_basis}）" if r.fee else ""
        return f"答复书已拟定：{gk.answer_summary(r)}{fee}。"
    return _act(request_id, "draft", go, "答复书已拟定。")


@bp.post("/workbench/gk/requests/<int:request_id>/fee-notice")
@login_required
def gk_fee_notice(request_id: int):
    f = request.form

    def go(session, r):
        _step(session, r, ("draft",))
        gk.notify_fee(session, r, me(), pages=f.get("pages") or 0, fee_waived=f.get("fee_waived") or None,
                      fee_basis=f.get("fee_basis") or None)
        return (f"已出具收费通知：应缴纳 {r.fee - r.fee_waived} 元，自通知之日至缴费之日不计入答复期限；"
                f"请将收费通知送达申请人。")
    return _act(request_id, "fee", go, "已出具收费通知。")


@bp.post("/workbench/gk/requests/<int:request_id>/fee-paid")
@login_required
def gk_fee_paid(request_id: int):
    def go(session, r):
        _step(session, r, ("draft",))
        gk.record_payment(session, r, me(), note=request.form.get("note"))
    return _act(request_id, "fee-paid", go, "已登记缴费，答复期限恢复计算。")


@bp.post("/workbench/gk/requests/<int:request_id>/comment")
@login_required
def gk_comment(request_id: int):
    def go(session, r):
        _step(session, r, ("comment",))
        gk.comment(session, r, me(), agrees=_choice("agrees", {"1": True, "0": False}), text=request.form.get("text"))
    return _act(request_id, "comment", go, "会签意见已提交。")


@bp.post("/workbench/gk/requests/<int:request_id>/approve")
@login_required
def gk_approve(request_id: int):
    decision = request.form.get("decision", "")

    def go(session, r):
        _step(session, r, ("approve",))
        gk.approve(session, r, me(), approved={"approve": True, "refuse": False}.get(decision),
                   reason=request.form.get("reason"))
        if decision == "refuse":
            return "答复书已退回重新拟定，退回理由已告知拟稿人。"
    return _act(request_id, "approve", go, "答复书已审定，请送达申请人。")


@bp.post("/workbench/gk/requests/<int:request_id>/deliver")
@login_required
def gk_deliver(request_id: int):
    def go(session, r):
        _step(session, r, ("deliver",))
        gk.deliver(session, r, me(), method=request.form.get("method", ""), note=request.form.get("note"))
    return _act(request_id, "deliver", go, "已送达，申请办结；送达回证请归入案卷。")


# --- 延期 (art. 33) and 撤回: the generic case operations, worked from this page ------------------------

def _version() -> int | None:
    value = request.form.get("version", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@bp.post("/workbench/gk/requests/<int:request_id>/extend")
@login_required
def gk_extend(request_id: int):
    f = request.form

    def go(session, r):
        gk.require_office_worker(session, r, me())  # who may, before what was typed
        request_extension(session, r.case_id, me(), form_int(f.get("days"), "days", "延长的工作日数", 1, 20),
                          form_int(f.get("approver"), "approver", "批准人", 1), f.get("reason", ""),
                          None, _version())
    return _act(request_id, "extend", go, "延期申请已提交，待批准人审批；批准前答复期限不变。")


@bp.post("/workbench/gk/requests/<int:request_id>/extensions/<int:extension_id>")
@login_required
def gk_extension_decide(request_id: int, extension_id: int):
    def go(session, r):
        row = session.get(CaseExtension, extension_id) if extension_id <= INT_MAX else None
        if row is None or row.case_id != r.case_id:
            raise NotFound("延期申请不属于此申请。")
        decision = request.form.get("decision")
        if decision not in ("approve", "refuse"):
            raise InvalidInput("请选择批准或不批准。", field="decision")
        decide_extension(session, extension_id, me(), decision == "approve", request.form.get("note"), _version())
        if decision == "approve":
            return f"已批准延期，答复期限延至 {r.case.deadline}；请向申请人送达延期答复告知书。"
    return _act(request_id, f"extension-{extension_id}", go, "已审批延期申请。")


@bp.post("/workbench/gk/requests/<int:request_id>/withdraw")
@login_required
def gk_withdraw(request_id: int):
    def go(session, r):
        gk.require_office_worker(session, r, me())  # the office records it, not a body handed the request
        withdraw(session, r.case_id, me(), request.form.get("reason", ""), _version())
    return _act(request_id, "withdraw", go, "申请人撤回了申请，办理终止。")
