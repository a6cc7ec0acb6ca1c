"""What each step of the 在线解答 flow means for the question: the listener that keeps the
question, its turns and their clocks in step with the case, in the command's own transaction."""

from __future__ import annotations

from sqlalchemy import select

from .. import clock, notice_texts, notify, search
from ..calendar import load_calendar
from ..errors import InvalidState
from ..listeners import Transition
from ..models import CaseTask, Department, Question, QuestionTurn
from ..service.common import process_key
from . import turns
from .service import PROCESS_KEY, of_case, replies


def _is_question(t: Transition) -> bool:
    return process_key(t.session, t.case.definition_id) == PROCESS_KEY


def _dept(session, code) -> Department | None:
    return session.scalars(select(Department).where(Department.code == code)).first() if code else None


def _turn(question: Question, department_id: int, kind: str) -> QuestionTurn | None:
    return next((t for t in reversed(question.turns)
                 if t.finished_at is None and t.department_id == department_id and t.kind == kind), None)


def _record(t: Transition, question: Question, now) -> None:
    """An approved review ends the department's part: its reply, its forwarding or the 政府办's."""
    task, data, session = t.task, t.case.data or {}, t.session
    if task.approved is not True:
        return
    if task.step_id == "review":
        turn = _turn(question, task.department_id, "answer")
        if turn is None:
            return
        handled = session.scalars(select(CaseTask).where(
            CaseTask.case_id == t.case.id, CaseTask.step_id == "handle", CaseTask.department_id == task.department_id,
            CaseTask.state == "completed").order_by(CaseTask.id.desc())).first()
        first = not replies(question)
        turn.answer, turn.reviewed_by_id = data.get("answer"), task.completed_by_id
        turn.answered_by_id = handled.completed_by_id if handled else None
        nxt = _dept(session, data.get("next_department"))
        turn.outcome, turn.reason = ("passed", data.get("pass_reason")) if nxt else ("answered", None)
        turn.to_department_id = nxt.id if nxt else None
        public = bool(data.get("public")) and question.consent_public
        question.public = public if first else (question.public and public)  # every department agrees
        question.category_id = data.get("category_id") or question.category_id
        question.answered_at, question.state = now, "answered"
    elif task.step_id == "forward_review":
        turn = _turn(question, task.department_id, "answer")
        if turn is not None:
            turn.outcome, turn.reason = "forwarded", data.get("forward_reason")
            turn.to_department_id = (_dept(session, data.get("hub_department")) or question.department).id
            question.state = "forwarded"
    elif task.step_id == "dispatch_review":
        turn = _turn(question, task.department_id, "dispatch")
        if turn is not None:
            target = _dept(session, data.get("target_department"))
            turn.outcome, turn.reason = "dispatched", data.get("dispatch_reason")
            turn.to_department_id = target.id if target else None
            question.state = "forwarded"


def publish(session, question: Question) -> None:
    """A public answer joins the column's search (在线咨询)."""
    if not question.public or question.state != "closed":
        search.withdraw(session, "qa", question.number)
        return
    body = "\n".join([question.content, *(f"{t.department.name}答复：{t.answer}" for t in replies(question))])
    dept = question.department
    search.publish(session, "qa", question.number, title=question.title, body=body,
                   url=f"/questions/{question.number}", department_id=dept.id, department=dept.name)


def _close(t: Transition, question: Question, now) -> None:
    question.state, question.closed_at = "closed", now
    publish(t.session, question)
    notice = notice_texts.question_answered(number=question.number, asker_name=question.asker_name,
                                            title=question.title, public=question.public)
    notify.queue_notice(t.session, notice, phone=question.asker_phone, email=question.asker_email,
                        ref=f"question:{question.number}", case_id=t.case.id)


def on_transition(t: Transition) -> None:
    if not _is_question(t):
        return
    question = of_case(t.session, t.case.id)
    if question is None:
        return  # the case is being started by ask(), which times its first turn itself
    if t.action in ("complete", "return") and not t.session.info.get("qa_command"):
        raise InvalidState("在线解答的环节请在咨询办理页面办理（答复、转发和审核各有其必填内容）。")
    now = clock.now()
    if t.action == "complete" and t.task is not None:
        _record(t, question, now)
    if t.action in ("receive", "complete", "return", "finish"):
        turns.sync(t.session, question, load_calendar(t.session), now)
    if t.action == "finish":
        _close(t, question, now)
