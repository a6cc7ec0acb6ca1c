"""在线解答 (seed 000, 云南省政务信息查询在线解答管理办法): asking, answering as the 在线解答 flow,
reading with the 查询码, and each department's clock.

A question is a case of the item that runs the ``online_question`` flow; the department holding
that item is the 政府办 (or the department designated, art. 3) that forwards questions with no
clear department. Every step is worked through the engine (post and department checked there);
this module says what each step writes and keeps what the asker and the public read in
:class:`~engine.models.Question` and its turns.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from .. import clock, querycode
from ..calendar import load_calendar
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from ..models import CaseTask, Department, FaqCategory, Item, Post, Question, QuestionTurn
from ..models.qa import QUESTION_CHANNELS
from ..service import common
from ..service.authority import is_staff, sees_all  # noqa: F401  (art. 3: 监察 reads every reply)
from ..service.intake import (
    WEB_APPLICANT,
    Applicant,
    check_text,
    next_in_series,
    normalize_phone,
    personal_phone_problem,
    start_case,
)
from ..service.public import ITEM_CODE
from ..service.tasks import complete_task
from ..validation import parse_id, sentences
from . import turns

PROCESS_KEY = "online_question"
NUMBER = re.compile(r"ZX\d{6}\d{4}\d{6}")
EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
NOT_FOUND = "咨询编号或查询码不正确，请核对后重新输入（查询码不区分大小写）。"
CASE_CHANNELS = {"web": "web", "phone": "phone", "mail": "mail", "window": "window", "library": "window",
                 "archive": "window"}  # the case's channel (a library's or archive's terminal is a counter)
TITLE_MAX, CONTENT_MAX, ANSWER_MAX, REASON_MAX = 60, 2000, 4000, 500


# --- who may do what -------------------------------------------------------------------------------

def may_read(session: Session, question: Question, actor) -> bool:
    """Staff read a question once it has reached their department; supervisors read every one."""
    if sees_all(actor):
        return True
    if not is_staff(actor):
        return False
    return actor.department_id == question.department_id or any(
        t.department_id == actor.department_id for t in question.turns)


def require_read(session: Session, question: Question, actor) -> None:
    if not may_read(session, question, actor):
        raise PermissionDenied("此咨询不在本部门办理范围内，您不能查看。")


def staff_scope(actor):
    """The questions a staff member's lists show (a condition on Question)."""
    if sees_all(actor):
        return True
    return or_(Question.department_id == actor.department_id,
               exists().where(QuestionTurn.question_id == Question.id, QuestionTurn.department_id == actor.department_id))


# --- the flow's item and the departments one may ask -----------------------------------------------

def hub_item(session: Session) -> Item:
    """The item that runs 在线解答; its department is the 政府办 that forwards (art. 3)."""
    item = session.scalars(select(Item).join(Item.current_version).where(
        Item.status == "active", Item.current_version.has(process_key=PROCESS_KEY))).first()
    if item is None:
        raise InvalidState("在线解答事项尚未发布，暂不能受理咨询。")
    return item


def answering_departments(session: Session) -> list[Department]:
    """Departments that answer questions: those with an 承办 post (the 政府办 among them)."""
    return list(session.scalars(select(Department).where(
        exists().where(Post.department_id == Department.id, Post.code == "handle")).order_by(Department.id)))


def _department(session: Session, department_id, field: str, label: str) -> Department:
    department_id = parse_id(department_id)
    if department_id is None:
        raise InvalidInput(f"请选择{label}。", field=field)
    dept = session.get(Department, department_id)
    if dept is None or dept not in answering_departments(session):
        raise InvalidInput(f"所选{label}不受理咨询，请重新选择。", field=field)
    return dept


# --- asking ----------------------------------------------------------------------------------------

@dataclass
class Asking:
    """What an asker writes (网上咨询), or what staff register from a call or a visit."""

    title: str
    content: str
    name: str
    phone: str | None = None
    email: str | None = None
    consent_public: bool = False
    department_id: int | str | None = None  # None or "": 不清楚
    item_code: str | None = None
    channel: str = "web"

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}

        def attempt(field, check):
            try:
                check()
            except InvalidInput as exc:
                found.setdefault(field, exc.message)

        attempt("title", lambda: setattr(self, "title", check_text(self.title, "咨询标题", "title", TITLE_MAX,
                                                                   required=True)))
        attempt("content", lambda: setattr(self, "content", check_text(
            self.content, "咨询内容", "content", CONTENT_MAX, required=True, multiline=True)))
        attempt("name", lambda: setattr(self, "name", check_text(self.name, "姓名或称呼", "name", 60, required=True)))
        attempt("phone", self._phone)
        attempt("email", self._email)
        if "phone" not in found and "email" not in found and not self.phone and not self.email:
            found["phone"] = "请至少留下联系电话或电子邮箱中的一项，以便告知答复。"
        if not isinstance(self.consent_public, bool):
            found["consent_public"] = "请选择是否同意公开。"
        if self.channel not in QUESTION_CHANNELS:
            found["channel"] = "请选择咨询渠道。"
        return found

    def _phone(self):
        phone = check_text(self.phone, "联系电话", "phone", 40)
        if phone is not None:
            phone = normalize_phone(phone)
            if problem := personal_phone_problem(phone):
                raise InvalidInput(f"联系电话：{problem}。", field="phone")
        self.phone = phone

    def _email(self):
        email = check_text(self.email, "电子邮箱", "email", 120)
        if email is not None and not EMAIL.fullmatch(email):
            raise InvalidInput("电子邮箱格式不正确，应如 name@example.com。", field="email")
        self.email = email


def item_by_code(session: Session, code) -> Item | None:
    """The item of a 事项编码 as typed (anything not shaped like a code finds nothing, never reaches SQL)."""
    if not isinstance(code, str) or not ITEM_CODE.fullmatch(code.strip()):
        return None
    return session.scalars(select(Item).where(Item.code == code.strip())).first()


def next_number(session: Session, region_code: str) -> str:
    """咨询编号: ZX + division code + year + a yearly serial, e.g. ZX5309302026000042."""
    year = clock.today().year
    return f"ZX{region_code[:6]}{year}{next_in_series(session, 'question', year):06d}"


def ask(session: Session, asking: Asking, actor=WEB_APPLICANT) -> tuple[Question, str]:
    """Take a question (online, or registered by staff from another channel): it goes to the
    department asked, to the item's department, or — 不清楚 — to the 政府办 to forward (art. 4(二)).
    Returns the question and its 查询码 (given once, never stored)."""
    if actor is not WEB_APPLICANT and not is_staff(actor):
        raise PermissionDenied("请登录后登记咨询。")
    if actor is WEB_APPLICANT and asking.channel != "web":
        raise InvalidInput("网上咨询的渠道只能是“网上”。", field="channel")
    found = asking.problems()
    item = None
    if asking.item_code:
        item = item_by_code(session, asking.item_code)
        if item is None or item.status != "active" or item.current_version is None:
            found.setdefault("item_code", "所咨询的事项不存在或已停止办理。")
    dept = None
    if item is not None:
        dept = item.department
    elif asking.department_id not in (None, ""):
        try:
            dept = _department(session, asking.department_id, "department_id", "咨询对象")
        except InvalidInput as exc:
            found.setdefault("department_id", exc.message)
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    hub = hub_item(session)
    applicant = Applicant(name=asking.name, cert_type="", cert_number="", type="1", phone=asking.phone)
    data = {"unassigned": dept is None, "hub_department": hub.department.code,
            "at_department": dept.code if dept else hub.department.code, "route": "", "next_department": "",
            "target_department": ""}
    case = start_case(session, hub.code, applicant, actor, channel=CASE_CHANNELS[asking.channel],
                      data=data, subject=f"咨询：{asking.title}"[:300], validate_applicant=False)
    code = querycode.new_code()
    question = Question(number=next_number(session, hub.department.region.code), case_id=case.id,
                        query_code_hash=querycode.digest(code), channel=asking.channel, title=asking.title,
                        content=asking.content, asker_name=asking.name, asker_phone=asking.phone,
                        asker_email=asking.email, consent_public=asking.consent_public,
                        asked_department_id=dept.id if dept else None, item_id=item.id if item else None,
                        department_id=dept.id if dept else hub.department_id, state="received", public=False,
                        asked_at=case.received_at, registered_by_id=None if actor is WEB_APPLICANT else actor.id)
    session.add(question)
    session.flush()
    turns.sync(session, question, load_calendar(session), case.received_at)
    session.flush()
    return question, code


# --- finding ---------------------------------------------------------------------------------------

def get(session: Session, question_id) -> Question:
    question_id = parse_id(question_id)
    question = session.get(Question, question_id) if question_id is not None else None
    if question is None:
        raise NotFound("咨询不存在。")
    return question


def of_case(session: Session, case_id: int) -> Question | None:
    return session.scalars(select(Question).where(Question.case_id == case_id)).first()


def find_by_code(session: Session, number, code) -> Question:
    """The question these two open, public or not (art. 6); one message for every failure."""
    number, code = querycode.normalize_number(number), querycode.normalize(code)
    if not number or not code:
        raise NotFound("请输入咨询编号和查询码。")
    question = None
    if NUMBER.fullmatch(number) and len(code) == querycode.CODE_LENGTH:
        question = session.scalars(select(Question).where(Question.number == number)).first()
    if question is None or not querycode.matches(question.query_code_hash, code):
        querycode.matches("0" * 64, code)  # the same work whether or not the number exists
        raise NotFound(NOT_FOUND)
    return question


def public_question(session: Session, number) -> Question:
    """A question the public may read: answered, and published by its department (art. 6)."""
    number = querycode.normalize_number(number)
    question = session.scalars(select(Question).where(Question.number == number)).first() \
        if NUMBER.fullmatch(number) else None
    if question is None or not question.public or question.state != "closed":
        raise NotFound("没有找到该咨询。不公开的咨询只能由提问人凭查询码查看。")
    return question


def public_questions(session: Session):
    """The published questions, newest answer first (a select to page)."""
    return select(Question).where(Question.public.is_(True), Question.state == "closed") \
        .order_by(Question.answered_at.desc(), Question.id.desc())


# --- working the steps -----------------------------------------------------------------------------

def open_task(session: Session, question: Question, actor, step_ids: tuple[str, ...] | None = None) -> CaseTask:
    """The question's ready step the actor may work (its post in its department)."""
    for task in session.scalars(select(CaseTask).where(CaseTask.case_id == question.case_id,
                                                       CaseTask.state == "ready").order_by(CaseTask.id)):
        if (step_ids is None or task.step_id in step_ids) and common.can_work(actor, task):
            return task
    raise PermissionDenied("此咨询当前没有您可以办理的环节。")


def _category(session: Session, category_id) -> int:
    category_id = parse_id(category_id)
    if category_id is None or session.get(FaqCategory, category_id) is None:
        raise InvalidInput("请选择问题所属分类。", field="category_id")
    return category_id


def _reason(value, label: str, field: str) -> str:
    return check_text(value, label, field, REASON_MAX, required=True, multiline=True)


@contextmanager
def _command(session: Session):
    """The steps of 在线解答 are worked here, never by the generic case commands: each step writes
    what the flow routes on (the flow listener refuses a completion that did not come this way)."""
    session.info["qa_command"] = True
    try:
        yield
    finally:
        session.info.pop("qa_command", None)


def _complete(session: Session, task: CaseTask, actor, **kw) -> CaseTask:
    with _command(session):
        return complete_task(session, task.id, actor, **kw)


def answer(session: Session, question: Question, actor, *, text, public, category_id,
           next_department_id=None, pass_reason=None) -> CaseTask:
    """办理答复 (art. 4(一)): the department's reply, the question's category and whether the reply
    is public; for a joint question the next department and why (art. 4(三)). A question whose
    asker did not agree to publication stays private."""
    task = open_task(session, question, actor, ("handle",))
    found: dict[str, str] = {}
    payload = {"route": "answer", "next_department": "", "pass_reason": ""}
    try:
        payload["answer"] = check_text(text, "答复内容", "answer", ANSWER_MAX, required=True, multiline=True)
    except InvalidInput as exc:
        found["answer"] = exc.message
    try:
        payload["category_id"] = _category(session, category_id)
    except InvalidInput as exc:
        found["category_id"] = exc.message
    if not isinstance(public, bool):
        found["public"] = "请选择是否公开答复。"
    elif public and not question.consent_public:
        found["public"] = "提问人不同意公开，此咨询只能不公开答复。"
    payload["public"] = bool(public) and question.consent_public
    if next_department_id not in (None, ""):
        try:
            nxt = _department(session, next_department_id, "next_department_id", "下一答复部门")
            if nxt.id == task.department_id:
                raise InvalidInput("下一答复部门不能是本部门。", field="next_department_id")
            payload["next_department"] = nxt.code
            payload["pass_reason"] = _reason(pass_reason, "移交理由", "pass_reason")
        except InvalidInput as exc:
            found[exc.details.get("field") or "next_department_id"] = exc.message
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    return _complete(session, task, actor, data=payload, opinion=payload["answer"][:200])


def forward(session: Session, question: Question, actor, *, reason) -> CaseTask:
    """Not this department's remit (art. 4(二)): to the 政府办 with a written reason, after review."""
    task = open_task(session, question, actor, ("handle",))
    reason = _reason(reason, "转发理由", "reason")
    return _complete(session, task, actor, data={"route": "forward", "forward_reason": reason, "next_department": ""},
                     opinion=reason[:200])


def dispatch(session: Session, question: Question, actor, *, department_id, reason) -> CaseTask:
    """政府办转发: to the department that answers, with a written reason (reviewed next)."""
    task = open_task(session, question, actor, ("dispatch",))
    found = {}
    target = None
    try:
        target = _department(session, department_id, "department_id", "受理部门")
    except InvalidInput as exc:
        found["department_id"] = exc.message
    try:
        reason = _reason(reason, "转发理由", "reason")
    except InvalidInput as exc:
        found["reason"] = exc.message
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    return _complete(session, task, actor, data={"target_department": target.code, "dispatch_reason": reason},
                     opinion=reason[:200])


REVIEW_STEPS = ("review", "forward_review", "dispatch_review")


def review(session: Session, question: Question, actor, *, approved, reason=None) -> CaseTask:
    """审核 of a reply, a forwarding or the 政府办's forwarding; a refusal sends it back with a reason."""
    task = open_task(session, question, actor, REVIEW_STEPS)
    reviewed = session.scalars(select(CaseTask).where(
        CaseTask.case_id == question.case_id, CaseTask.state == "completed",
        CaseTask.step_id == ("dispatch" if task.step_id == "dispatch_review" else "handle"))
        .order_by(CaseTask.id.desc())).first()
    if reviewed is not None and reviewed.completed_by_id == actor.id:
        raise PermissionDenied("答复或转发须由另一名审核人员审核，您不能审核自己办理的内容（第五条：明确管理人员和审核人员）。")
    if not isinstance(approved, bool):
        raise InvalidInput("请选择审核意见。", field="approved")
    data = dict(question.case.data or {})
    payload: dict = {}
    if approved and task.step_id == "review" and data.get("next_department"):
        payload["at_department"] = data["next_department"]
    if approved and task.step_id == "dispatch_review":
        payload["at_department"] = data.get("target_department")
    if not approved:
        reason = _reason(reason, "退回理由", "reason")
    else:
        reason = check_text(reason, "审核意见", "reason", REASON_MAX, multiline=True)
    return _complete(session, task, actor, data=payload, approved=approved, reason=reason if not approved else None,
                     opinion=reason or "同意。")


# --- the clock: 重要复杂, 延期, 逾期说明 (art. 7) --------------------------------------------------

def current_turn(question: Question, department_id: int | None = None) -> QuestionTurn:
    for turn in reversed(question.turns):
        if turn.finished_at is None and (department_id is None or turn.department_id == department_id):
            return turn
    raise InvalidState("此咨询当前不在答复期限内，不能进行此操作。")


def _retime(session: Session, question: Question, turn: QuestionTurn, actor, what: str) -> None:
    calendar = load_calendar(session)
    turns.set_due(turn, calendar)
    loaded = common.open_case(session, question.case_id)
    mine = [t for t in loaded.open_tasks if t.department_id == turn.department_id and turns.kind_of(t) == turn.kind]
    turns.retime_tasks(calendar, turn, mine)
    common.emit(loaded, actor, "retime", reason=what,
                detail={"due": turn.due_date.isoformat(), "limit_days": turn.limit_days})


def _of_department(actor, turn: QuestionTurn, roles=("handle", "review")) -> bool:
    return is_staff(actor) and (any(actor.holds(p, turn.department_id) for p in roles)
                                or actor.has_role("leader") and actor.department_id == turn.department_id)


def _before_due(turn: QuestionTurn, what: str) -> None:
    """A limit is set while it runs: once the turn is overdue, neither 认定 nor 延期 can make the
    answer on time; the department explains the delay instead (art. 7: 逾期说明)."""
    if turns.overdue(turn):
        raise InvalidState(f"答复期限已于 {turn.due_date} 届满，不能再{what}；不能按期答复的，请作出逾期说明。")


def mark_complex(session: Session, question: Question, actor, reason) -> QuestionTurn:
    """重要复杂问题: 10 working days from the question's arrival in the department."""
    turn = current_turn(question)
    if turn.kind != "answer" or not _of_department(actor, turn):
        raise PermissionDenied("只有答复部门的承办、审核人员或负责人可以认定重要复杂问题。")
    _before_due(turn, "认定为重要复杂问题")
    if turn.complex or turn.extended:
        raise InvalidState("此咨询已认定为重要复杂问题或已延期。")
    turn.complex, turn.complex_reason, turn.complex_at = True, _reason(reason, "认定理由", "reason"), clock.now()
    turn.limit_days = turns.COMPLEX_DAYS
    _retime(session, question, turn, actor, f"认定为重要复杂问题，答复期限 {turns.COMPLEX_DAYS} 个工作日：{turn.complex_reason}")
    return turn


def extend(session: Session, question: Question, actor, reason) -> QuestionTurn:
    """情况特殊: 20 working days with the approval of the department's head (负责人), who does it."""
    turn = current_turn(question)
    if turn.kind != "answer" or not (is_staff(actor) and actor.has_role("leader")
                                     and actor.department_id == turn.department_id):
        raise PermissionDenied("延长答复期限须经本单位负责人同意，只有答复部门的负责人可以批准。")
    if turn.extended:
        raise InvalidState("答复期限已经延长过一次。")
    _before_due(turn, "延长答复期限")
    turn.extended, turn.extension_reason = True, _reason(reason, "延期理由", "reason")
    turn.extension_approver_id, turn.extended_at, turn.limit_days = actor.id, clock.now(), turns.EXTENDED_DAYS
    _retime(session, question, turn, actor, f"经负责人同意延长答复期限至 {turns.EXTENDED_DAYS} 个工作日：{turn.extension_reason}")
    return turn


def explain_late(session: Session, question: Question, turn_id, actor, text) -> QuestionTurn:
    """逾期说明 (art. 7): the department explains publicly why it could not answer on time — for a
    turn late or open (a delay it foresees)."""
    turn = next((t for t in question.turns if t.id == turn_id), None)
    if turn is None:
        raise NotFound("没有这一办理记录。")
    if not _of_department(actor, turn, ("handle", "review", "approve")):
        raise PermissionDenied("只有负责答复的部门可以作出逾期说明。")
    if turn.finished_at is not None and not turn.late:
        raise InvalidState("该部门已按期办理，无需逾期说明。")
    turn.explanation = check_text(text, "逾期说明", "explanation", REASON_MAX, required=True, multiline=True)
    turn.explained_at, turn.explained_by_id = clock.now(), actor.id
    loaded = common.open_case(session, question.case_id)
    common.emit(loaded, actor, "qa_explained", reason=turn.explanation)
    return turn


# --- what happened, in order ------------------------------------------------------------------------

@dataclass
class Line:
    when: object  # datetime
    what: str
    detail: str = ""


def timeline(question: Question, staff: bool = False) -> list[Line]:
    """收到提问, each forwarding, each reply, 办结 — with the dates (art. 4(三): recorded and visible).
    Staff also see the reasons of forwarding (evidence for supervision)."""
    lines = [Line(question.asked_at, "收到提问", f"渠道：{QUESTION_CHANNELS.get(question.channel, question.channel)}")]
    for turn in question.turns:
        dept = turn.department.name
        if turn.kind == "dispatch":
            lines.append(Line(turn.started_at, f"转至{dept}分发"))
        if turn.complex:
            lines.append(Line(turn.complex_at or turn.started_at, f"{dept}认定为重要复杂问题",
                              f"答复期限 {turns.COMPLEX_DAYS} 个工作日"))
        if turn.extended:
            lines.append(Line(turn.extended_at, f"{dept}经负责人同意延长答复期限", f"至 {turn.due_date}"))
        if turn.finished_at is None:
            continue
        to = turn.to_department.name if turn.to_department else ""
        why = f"理由：{turn.reason}" if staff and turn.reason else ""
        if turn.outcome == "forwarded":
            lines.append(Line(turn.finished_at, f"{dept}转政府办", why))
        elif turn.outcome == "dispatched":
            lines.append(Line(turn.finished_at, f"{dept}转至{to}", why))
        elif turn.outcome == "passed":
            lines.append(Line(turn.finished_at, f"{dept}答复，并移交{to}继续答复", why))
        elif turn.outcome == "answered":
            lines.append(Line(turn.finished_at, f"{dept}答复"))
    if question.closed_at:
        lines.append(Line(question.closed_at, "办结"))
    return sorted(lines, key=lambda line: line.when)


def replies(question: Question) -> list[QuestionTurn]:
    """The departments' approved replies, in order (a joint question has several)."""
    return [t for t in question.turns if t.answer and t.outcome in ("answered", "passed")]


def explanations(question: Question) -> list[QuestionTurn]:
    return [t for t in question.turns if t.explanation]


def counts_by_state(session: Session, scope) -> dict[str, int]:
    return dict(session.execute(select(Question.state, func.count()).where(scope).group_by(Question.state)).all())


__all__ = ["Asking", "ask", "answer", "forward", "dispatch", "review", "mark_complex", "extend", "explain_late",
           "find_by_code", "public_question", "public_questions", "timeline", "replies", "explanations", "hub_item",
           "answering_departments", "may_read", "require_read", "staff_scope", "open_task", "current_turn", "of_case"]
