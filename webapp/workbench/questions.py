"""在线解答 on the workbench: the department's questions (待办 first), registering a question taken
by phone, at a window or in a library, and the question page with the one step the user may work
(办理答复 or 转政府办, 审核, 政府办转发) and the clock's actions (重要复杂, 延期, 逾期说明), then 入库.
Every command is the service's (engine/qa), which checks who may do it; the page only helps."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import login_required
from sqlalchemy import case as when
from sqlalchemy import select

from engine import clock
from engine.errors import Conflict, PermissionDenied, SunhallError
from engine.models import CaseTask, Department, FaqEntry, Question, User
from engine.models.qa import QUESTION_CHANNELS, QUESTION_STATES, TURN_KINDS, TURN_OUTCOMES
from engine.paging import Order, capped_count, fetch
from engine.qa import faq
from engine.qa import service as qa
from engine.qa import turns as clocks
from rules import qa_questions

from ..db import db_session
from ..paging import cursor, links, shown_total
from . import bp
from .common import me, workable
from .faq import may_edit, row_id

PAGE = 20
STAFF_CHANNELS = {k: v for k, v in QUESTION_CHANNELS.items() if k != "web"}  # web questions come from the column
HANDLE, REVIEWS, DISPATCH = ("handle",), qa.REVIEW_STEPS, ("dispatch",)
REGISTERED = "registered_question"  # the registration to show once: {"id", "code"} (the signed session)


def _question(question_id: int) -> Question:
    session = db_session()
    question = qa.get(session, question_id)
    qa.require_read(session, question, me())
    return question


def turn_of(question: Question, user) -> object | None:
    """The turn whose deadline the user's lists show: their department's (the open one first);
    for supervisors, the question's current turn or its last."""
    mine = [t for t in question.turns if qa.sees_all(user) or t.department_id == user.department_id]
    return next((t for t in reversed(mine) if t.finished_at is None), mine[-1] if mine else None)


@bp.get("/workbench/questions")
@login_required
def questions():
    session, user = db_session(), me()
    state = request.args.get("state") or ""
    if state not in QUESTION_STATES:
        state = ""
    keyword = (request.args.get("q") or "").strip()[:qa_questions.KEYWORD_MAX]
    stmt = select(Question)
    scope = qa.staff_scope(user)
    if scope is not True:
        stmt = stmt.where(scope)
    if state:
        stmt = stmt.where(Question.state == state)
    if keyword:
        stmt = stmt.where(qa_questions.matching(keyword))
    todo = workable(session, user, Question)
    visible_todo = set(session.scalars(stmt.with_only_columns(Question.id).where(Question.id.in_(list(todo))))) \
        if todo else set()
    total = capped_count(session, stmt.with_only_columns(Question.id))
    order = (Order(when((Question.id.in_(list(todo)), 1), else_=0), desc=True),  # 待我办理 first
             Order(Question.asked_at, desc=True), Order(Question.id, desc=True))
    page = fetch(session, stmt, order, lambda q: [int(q.id in todo), q.asked_at, q.id], size=PAGE, scalars=True,
                 **cursor())
    return render_template("workbench/questions.html", rows=page.rows, todo=todo, todo_count=len(visible_todo),
                           total=shown_total(total), pages=links(page), state=state, states=QUESTION_STATES, keyword=keyword,
                           channels=QUESTION_CHANNELS, turn_of=lambda q: turn_of(q, user), overdue=clocks.overdue,
                           today=clock.today())


# --- registering a question taken by phone, at a window, in a library or an archive -----------------

def _yes_no(value) -> bool | None:
    return {"1": True, "0": False}.get(value)


@bp.route("/workbench/questions/new", methods=["GET", "POST"])
@login_required
def question_new():
    session = db_session()
    context = dict(channels=STAFF_CHANNELS, departments=qa.answering_departments(session))
    if request.method == "GET":
        return render_template("workbench/question_new.html", values={}, field_errors={}, errors=[], **context)
    f = request.form
    channel = f.get("channel", "")
    asking = qa.Asking(
        title=f.get("title", ""), content=f.get("content", ""), name=f.get("name", ""),
        phone=f.get("phone") or None, email=f.get("email") or None, consent_public=_yes_no(f.get("consent_public")),
        department_id=row_id(f.get("department_id")) or None, item_code=(f.get("item_code") or "").strip() or None,
        channel=channel if channel in STAFF_CHANNELS else "")  # 网上 is the asker's own channel
    try:
        question, code = qa.ask(session, asking, me())
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        errors = _field_errors(exc)
        return render_template("workbench/question_new.html", values=f, field_errors=errors, error=exc.message,
                               errors=[(name, message) for name, message in errors.items()], **context), exc.status
    # Post/Redirect/Get: reloading the result page shows it again, it never registers the question twice
    cookie[REGISTERED] = {"id": question.id, "code": code}
    return redirect(url_for("workbench.question_registered"))


@bp.get("/workbench/questions/registered")
@login_required
def question_registered():
    """登记结果: the 咨询编号 and, this once, the 查询码; a reload shows the number only."""
    shown = cookie.get(REGISTERED)
    if not isinstance(shown, dict) or not isinstance(shown.get("id"), int):
        return redirect(url_for("workbench.questions"))
    session = db_session()
    question = qa.get(session, shown["id"])
    code = shown.get("code")
    if code:
        cookie[REGISTERED] = {"id": question.id}  # the 查询码 is shown once
    response = make_response(render_template("workbench/question_registered.html", question=question, code=code,
                                              channels=QUESTION_CHANNELS,
                                              readable=qa.may_read(session, question, me())))
    response.headers["Cache-Control"] = "no-store"  # a 后退 does not show the 查询码 again
    return response


def _field_errors(exc: SunhallError) -> dict[str, str]:
    errors = exc.details.get("errors")
    if isinstance(errors, dict):
        return dict(errors)
    field = exc.details.get("field")
    return {field: exc.message} if field else {}


# --- the question page ----------------------------------------------------------------------------

def _open_task(session, question, user, steps=None) -> CaseTask | None:
    try:
        return qa.open_task(session, question, user, steps)
    except PermissionDenied:
        return None


def _sent_back(done: list[CaseTask], task: CaseTask | None) -> CaseTask | None:
    """The review that sent the current step back (the latest step done, refused, same department)."""
    if task is None or task.step_id not in HANDLE + DISPATCH or not done:
        return None
    last = done[-1]
    return last if last.step_id in REVIEWS and last.approved is False and last.department_id == task.department_id \
        else None


def _own_work(done: list[CaseTask], task: CaseTask | None, user) -> bool:
    """Whether the step under review is the user's own (the service refuses it; the page says so)."""
    if task is None or task.step_id not in REVIEWS:
        return False
    step = "dispatch" if task.step_id == "dispatch_review" else "handle"
    reviewed = max((t for t in done if t.step_id == step), key=lambda t: t.id, default=None)
    return reviewed is not None and reviewed.completed_by_id == user.id


def _reply_department(question: Question) -> int:
    """The department whose reply the library would keep (the last to answer), as faq.promote takes it."""
    parts = qa.replies(question)
    return parts[-1].department_id if parts else question.department_id


def _of_department(user, department_id: int, posts=("handle", "review")) -> bool:
    """Mirrors the service's test of who speaks for a department's turn (it decides again)."""
    return any(user.holds(p, department_id) for p in posts) or \
        (user.has_role("leader") and user.department_id == department_id)


def _page(question: Question, error: str | None = None, values=None, status: int = 200,
          field_errors: dict | None = None, form: str | None = None):
    session, user = db_session(), me()
    task = _open_task(session, question, user)
    ready = list(session.scalars(select(CaseTask).where(CaseTask.case_id == question.case_id,
                                                        CaseTask.state == "ready").order_by(CaseTask.id)))
    done = list(session.scalars(select(CaseTask).where(CaseTask.case_id == question.case_id,
                                                       CaseTask.state == "completed")
                                .order_by(CaseTask.completed_at, CaseTask.id)))
    departments = {d.id: d for d in session.scalars(select(Department))}
    by_code = {d.code: d for d in departments.values()}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(
        {t.completed_by_id for t in done if t.completed_by_id} | {question.registered_by_id or 0})))}
    data = dict(question.case.data or {})
    sent_back = _sent_back(done, task)
    hub = by_code.get(data.get("hub_department"))
    try:
        current = qa.current_turn(question)
    except SunhallError:
        current = None
    answering = qa.answering_departments(session)
    promoted = session.scalars(select(FaqEntry.id).where(FaqEntry.source_question_id == question.id)).first()
    parts = qa.replies(question)
    may_promote = question.state == "closed" and question.public and promoted is None \
        and may_edit(user, _reply_department(question))
    explainable = [t for t in question.turns
                   if clocks.overdue(t) and _of_department(user, t.department_id, ("handle", "review", "approve"))]
    values = values or {}
    return render_template(
        "workbench/question.html", question=question, task=task, ready=ready, done=done, users=users,
        departments=departments, by_code=by_code, data=data, sent_back=sent_back, hub=hub, current=current,
        own_work=_own_work(done, task, user),
        answering=answering, tree=faq.tree(session), category_path=faq.path(session, question.category_id),
        draft_category=faq.path(session, data.get("category_id")) if isinstance(data.get("category_id"), int) else [],
        timeline=qa.timeline(question, staff=True), replies=parts, channels=QUESTION_CHANNELS, states=QUESTION_STATES,
        kinds=TURN_KINDS, outcomes=TURN_OUTCOMES, overdue=clocks.overdue, today=clock.today(),
        may_complex=current is not None and current.kind == "answer" and not (current.complex or current.extended)
        and _of_department(user, current.department_id),
        may_extend=current is not None and current.kind == "answer" and not current.extended
        and user.has_role("leader") and not user.has_role("admin") and user.department_id == current.department_id,
        explainable=explainable, may_promote=may_promote, promoted=promoted, limits=clocks,
        error=error, form=form, values=values, field_errors=field_errors or {},
        summary=[(f"{form}-{name}", message) for name, message in (field_errors or {}).items()]), status


@bp.get("/workbench/questions/<int:question_id>")
@login_required
def question_page(question_id: int):
    return _page(_question(question_id))


def _act(question_id: int, form: str, action, success: str, to=None):
    """Run one command in this request's transaction; refused, the page again with the message
    beside the form's fields, what was typed kept, nothing saved."""
    question = _question(question_id)
    session = db_session()
    try:
        said = action(session, question)
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        return _page(_question(question_id), exc.message, request.form, exc.status, _field_errors(exc), form)
    flash(said if isinstance(said, str) else success)
    return redirect(to() if to else url_for("workbench.question_page", question_id=question_id))


def _step(session, question, steps) -> CaseTask:
    """The step the user works, the one the page showed: a page left open while the question moved
    on is refused rather than acted on unseen."""
    task = qa.open_task(session, question, me(), steps)
    shown = request.form.get("task", "")
    if shown.isdigit() and int(shown) != task.id:
        raise Conflict("此咨询已有新的办理进展，页面上的内容已过期，请刷新后查看最新内容再办理。")
    return task


@bp.post("/workbench/questions/<int:question_id>/answer")
@login_required
def question_answer(question_id: int):
    f = request.form

    def go(session, question):
        _step(session, question, HANDLE)
        qa.answer(session, question, me(), text=f.get("answer", ""), public=_yes_no(f.get("public")),
                  category_id=row_id(f.get("category_id")) or None,
                  next_department_id=row_id(f.get("next_department_id")) or None,
                  pass_reason=f.get("pass_reason"))
        if f.get("next_department_id"):
            return "答复已提交审核；审核通过后，咨询将移交下一答复部门继续答复。"
    return _act(question_id, "answer", go, "答复已提交审核。")


@bp.post("/workbench/questions/<int:question_id>/forward")
@login_required
def question_forward(question_id: int):
    def go(session, question):
        _step(session, question, HANDLE)
        qa.forward(session, question, me(), reason=request.form.get("reason", ""))
    return _act(question_id, "forward", go, "已提交转发审核；审核通过后转政府办分发。")


@bp.post("/workbench/questions/<int:question_id>/review")
@login_required
def question_review(question_id: int):
    decision = request.form.get("decision")

    def go(session, question):
        _step(session, question, REVIEWS)
        qa.review(session, question, me(), approved={"approve": True, "refuse": False}.get(decision),
                  reason=request.form.get("reason", ""))
        if decision == "refuse":
            return "已退回，退回理由已告知办理人。"
    return _act(question_id, "review", go, "已审核同意。")


@bp.post("/workbench/questions/<int:question_id>/dispatch")
@login_required
def question_dispatch(question_id: int):
    def go(session, question):
        _step(session, question, DISPATCH)
        qa.dispatch(session, question, me(), department_id=row_id(request.form.get("department_id")) or None,
                    reason=request.form.get("reason", ""))
    return _act(question_id, "dispatch", go, "已提交转发审核；审核通过后转至所选部门答复。")


@bp.post("/workbench/questions/<int:question_id>/complex")
@login_required
def question_complex(question_id: int):
    def go(session, question):
        turn = qa.mark_complex(session, question, me(), request.form.get("reason", ""))
        return f"已认定为重要复杂问题，本部门答复期限为 {turn.limit_days} 个工作日，至 {turn.due_date}。"
    return _act(question_id, "complex", go, "已认定为重要复杂问题。")


@bp.post("/workbench/questions/<int:question_id>/extend")
@login_required
def question_extend(question_id: int):
    def go(session, question):
        turn = qa.extend(session, question, me(), request.form.get("reason", ""))
        return f"已延长答复期限至 {turn.limit_days} 个工作日，至 {turn.due_date}。"
    return _act(question_id, "extend", go, "已延长答复期限。")


@bp.post("/workbench/questions/<int:question_id>/turns/<int:turn_id>/explain")
@login_required
def question_explain(question_id: int, turn_id: int):
    def go(session, question):
        qa.explain_late(session, question, turn_id, me(), request.form.get("explanation", ""))
    return _act(question_id, f"explain-{turn_id}", go, "逾期说明已公开。")


@bp.post("/workbench/questions/<int:question_id>/promote")
@login_required
def question_promote(question_id: int):
    made = {}

    def go(session, question):
        if not may_edit(me(), _reply_department(question)):  # who may, before whether it can be done
            raise PermissionDenied("只有答复部门的承办、审核人员、负责人或系统管理员可以将答复收入常见问题库。")
        made["entry"] = faq.promote(session, me(), question, category_id=row_id(request.form.get("category_id")) or None)
        return f"已收入常见问题库：“{made['entry'].title}”。可在下方修改后保存。"
    return _act(question_id, "promote", go, "已收入常见问题库。",
                to=lambda: url_for("workbench.faq_edit", entry_id=made["entry"].id))
