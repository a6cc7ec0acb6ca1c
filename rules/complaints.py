"""Complaints (投诉): by phone, at the window or online, about a case, a department or the answer to
a question; accepted or not within 5 working days, handled within 15 (30 with approval); the
complainant gets the answer (云南省政务信息查询在线解答管理办法 art. 7–8).

Online, a complainant names what the complaint is about with proof of standing: a question's
咨询编号 and 查询码 (art. 8), a case's 办件编号 and the applicant's certificate number, or just a
department. Every complaint gets a 投诉编号 and a 查询码 of its own to follow the answer with; one
about a question also shows on the question's page to whoever opens it with its 查询码."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, notice_texts, notify, querycode
from engine.calendar import load_calendar, provisional_text
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.models import Case, Department, Question, User
from engine.qa import service as qa
from engine.qa import turns
from engine.service.deadlines import Move
from engine.service.intake import check_text, next_in_series, normalize_phone, personal_phone_problem
from engine.validation import parse_id, sentences

from .models import Complaint
from .service import require_supervisor

CHANNELS = {"phone": "电话", "window": "窗口", "online": "网上"}
STAFF_CHANNELS = ("phone", "window")
NUMBER = re.compile(r"TS\d{8}\d{4,}")
NOT_FOUND = "投诉编号或查询码不正确，请核对后重新输入（查询码不区分大小写）。"
STATES = {"received": "待受理", "accepted": "处理中", "not_accepted": "不予受理", "answered": "已答复"}


ACCEPT_DAYS, HANDLE_DAYS, EXTENDED_DAYS = 5, 15, 30  # 在线解答管理办法 art. 7–8


def set_dues(complaint: Complaint, calendar) -> None:
    """Accept within 5 working days of receipt, handle within 15 (30 when extended); 预计 while a
    year they run into is not entered."""
    received = clock.local_date(complaint.received_at)
    complaint.accept_due = calendar.add_workdays(received, ACCEPT_DAYS)
    complaint.handle_due = calendar.add_workdays(received, EXTENDED_DAYS if complaint.extended else HANDLE_DAYS)
    years = calendar.provisional_years(received, complaint.handle_due)
    complaint.due_provisional = provisional_text(years) if years else None


def recompute(session: Session, calendar, dry_run: bool) -> list[Move]:
    """After a year is entered: make the open complaints' provisional due dates definite."""
    moves = []
    for c in session.scalars(select(Complaint).where(Complaint.due_provisional.is_not(None),
                                                     Complaint.state.in_(("received", "accepted")))):
        before = (c.accept_due, c.handle_due)
        probe = Complaint(received_at=c.received_at, extended=c.extended)
        set_dues(probe, calendar)
        for what, old, new in (("投诉受理期限", before[0], probe.accept_due), ("投诉处理期限", before[1], probe.handle_due)):
            if old != new:
                moves.append(Move(c.case_id, c.number, what, old, new))
        if not dry_run:
            c.accept_due, c.handle_due, c.due_provisional = probe.accept_due, probe.handle_due, probe.due_provisional
    return moves


def receive(session: Session, actor: User, *, channel: str, complainant: str, contact: str, content: str,
            department_id: int | None = None, case_number: str | None = None) -> Complaint:
    require_supervisor(actor)
    if channel not in STAFF_CHANNELS:  # online complaints come from the public themselves (file_online)
        raise InvalidInput("请选择投诉渠道（电话或窗口）。", field="channel")
    for value, label, name in ((complainant, "投诉人", "complainant"), (contact, "联系方式", "contact"),
                               (content, "投诉内容", "content")):
        if not (value or "").strip():
            raise InvalidInput(f"{label}不能为空。", field=name)
    case = None
    if case_number:
        case = session.scalars(select(Case).where(Case.number == case_number.strip())).first()
        if case is None:
            raise InvalidInput(f"办件编号 {case_number} 不存在。", field="case_number")
        department_id = case.department_id
    if department_id is None or session.get(Department, department_id) is None:
        raise InvalidInput("请选择被投诉单位或填写办件编号。", field="department_id")
    complaint = Complaint(number=_next_number(session), channel=channel, complainant=complainant.strip(),
                          contact=contact.strip(), case_id=case.id if case else None, department_id=department_id,
                          content=content.strip(), state="received", received_at=clock.now())
    set_dues(complaint, load_calendar(session))
    session.add(complaint)
    session.flush()
    return complaint


def _get(session: Session, complaint_id: int, actor: User, states: tuple[str, ...]) -> Complaint:
    require_supervisor(actor)
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("投诉不存在。")
    if complaint.state not in states:
        raise InvalidState(f"投诉当前状态为“{STATES[complaint.state]}”，不能进行此操作。")
    return complaint


def accept(session: Session, complaint_id: int, actor: User) -> Complaint:
    c = _get(session, complaint_id, actor, ("received",))
    c.state, c.decided_at, c.handled_by_id = "accepted", clock.now(), actor.id
    return c


def refuse(session: Session, complaint_id: int, actor: User, reason: str) -> Complaint:
    c = _get(session, complaint_id, actor, ("received",))
    if not (reason or "").strip():
        raise InvalidInput("不予受理必须说明理由，理由将告知投诉人。", field="reason")
    c.state, c.decided_at, c.handled_by_id, c.not_accepted_reason = "not_accepted", clock.now(), actor.id, reason.strip()
    c.answer, c.answered_at = f"您的投诉不予受理，理由：{reason.strip()}", clock.now()
    _tell(session, c)
    return c


def extend(session: Session, complaint_id: int, actor: User, approver_id: int) -> Complaint:
    """Handled within 30 working days instead of 15, with a head's approval."""
    c = _get(session, complaint_id, actor, ("accepted",))
    approver = session.get(User, approver_id) if isinstance(approver_id, int) else None
    if approver is None or approver.id == actor.id or not approver.has_role("leader") \
            or approver.department_id != actor.department_id:
        raise InvalidInput("延期须经本监察机关负责人（另一人）批准，请选择本单位负责人。", field="approver")
    if c.extended:
        raise InvalidState("投诉处理期限已经延长过一次。")
    if c.handle_due is not None and clock.today() > c.handle_due:
        raise InvalidState(f"投诉处理期限已于 {c.handle_due} 届满，不能再延期。")
    c.extended = True
    set_dues(c, load_calendar(session))
    return c


def answer(session: Session, complaint_id: int, actor: User, text: str) -> Complaint:
    c = _get(session, complaint_id, actor, ("accepted",))
    if not (text or "").strip():
        raise InvalidInput("答复内容不能为空。", field="answer")
    c.state, c.answer, c.answered_at = "answered", text.strip(), clock.now()
    _tell(session, c)
    return c


def _tell(session: Session, c: Complaint) -> None:
    """The complainant is told the answer is ready (a message queued for the contact left)."""
    contact = (c.contact or "").strip()
    is_email = "@" in contact
    notice = notice_texts.complaint_answered(number=c.number, complainant=c.complainant, state=STATES[c.state])
    notify.queue_notice(session, notice, phone=None if is_email else contact, email=contact if is_email else None,
                        ref=f"complaint:{c.number}")


# --- online (政务服务专栏) ---------------------------------------------------------------------------

@dataclass
class Filing:
    """What a complainant writes online."""

    complainant: str
    contact: str
    content: str
    question_number: str | None = None
    question_code: str | None = None
    case_number: str | None = None
    cert_number: str | None = None
    department_id: int | str | None = None


def _next_number(session: Session) -> str:
    """投诉编号: TS + date + a daily serial (one series for staff and online complaints)."""
    today = clock.today()
    return f"TS{today:%Y%m%d}{next_in_series(session, f'complaint{today:%m%d}', today.year):04d}"


def _contact(value: str) -> str:
    """A phone number of the complainant's own or an email address: the answer must reach them."""
    if "@" in value:
        if not qa.EMAIL.fullmatch(value):
            raise InvalidInput("联系方式：电子邮箱格式不正确，应如 name@example.com。", field="contact")
        return value
    phone = normalize_phone(value)
    if problem := personal_phone_problem(phone):
        raise InvalidInput(f"联系方式：{problem}；也可以填写电子邮箱。", field="contact")
    return phone


def file_online(session: Session, filing: Filing) -> tuple[Complaint, str]:
    """投诉 from the public: about a question (its 咨询编号 and 查询码), a case (办件编号 and the
    applicant's certificate number) or a department. Returns the complaint and its 查询码."""
    found: dict[str, str] = {}
    values = {}
    for name, label, length in (("complainant", "投诉人", 100), ("contact", "联系方式", 60), ("content", "投诉内容", 2000)):
        try:
            values[name] = check_text(getattr(filing, name), label, name, length, required=True, multiline=name == "content")
        except InvalidInput as exc:
            found[name] = exc.message
    if "contact" in values and values["contact"] is not None:
        try:
            values["contact"] = _contact(values["contact"])
        except InvalidInput as exc:
            found["contact"] = exc.message
    question = case = None
    department_id = None
    if filing.question_number or filing.question_code:
        try:
            question = qa.find_by_code(session, filing.question_number, filing.question_code)
            department_id = question.department_id
            overdue = any(turns.overdue(t) for t in question.turns)
            if question.state not in ("answered", "closed") and not overdue:
                # art. 8: once the department has replied; art. 7, 10: or when it is late (逾期未办)
                found["question_number"] = "该咨询尚未答复，也未超过答复期限；答复后如不满意，或逾期未答复的，可以凭查询码投诉。"
        except NotFound as exc:
            found["question_number"] = exc.message
    elif filing.case_number or filing.cert_number:
        from forms.online import find_for_progress  # noqa: PLC0415 - the one check of 办件编号 and 证件号码

        try:
            case = find_for_progress(session, filing.case_number, filing.cert_number)
            department_id = case.department_id
        except NotFound as exc:
            found["case_number"] = exc.message
    else:
        dept = parse_id(filing.department_id)
        if dept is None or session.get(Department, dept) is None:
            found["department_id"] = "请填写咨询编号和查询码、办件编号和证件号码，或者选择被投诉单位。"
        else:
            department_id = dept
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    code = querycode.new_code()
    complaint = Complaint(number=_next_number(session), channel="online", complainant=values["complainant"],
                          contact=values["contact"], case_id=case.id if case else None, department_id=department_id,
                          question_id=question.id if question else None, content=values["content"], state="received",
                          received_at=clock.now(), query_code_hash=querycode.digest(code))
    set_dues(complaint, load_calendar(session))
    session.add(complaint)
    session.flush()
    return complaint, code


def find_by_code(session: Session, number, code) -> Complaint:
    number, code = querycode.normalize_number(number), querycode.normalize(code)
    if not number or not code:
        raise NotFound("请输入投诉编号和查询码。")
    complaint = session.scalars(select(Complaint).where(Complaint.number == number)).first() \
        if NUMBER.fullmatch(number) else None
    if complaint is None or not querycode.matches(complaint.query_code_hash, code):
        querycode.matches("0" * 64, code)  # the same work whether or not the number exists
        raise NotFound(NOT_FOUND)
    return complaint


def about_question(session: Session, question: Question) -> list[Complaint]:
    return list(session.scalars(select(Complaint).where(Complaint.question_id == question.id).order_by(Complaint.id)))
