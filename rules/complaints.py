"""Complaints (投诉): by phone, at the window or online, about a case or a department; accepted
or not within 5 working days, handled within 15 (30 with approval); the complainant gets the answer."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar, provisional_text
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.models import Case, Department, User
from engine.service.deadlines import Move

from .models import Complaint
from .service import require_supervisor

CHANNELS = {"phone": "电话", "window": "窗口", "online": "网上"}
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
    if channel not in CHANNELS:
        raise InvalidInput("投诉渠道无效。", field="channel")
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
    count = session.scalar(select(func.count()).select_from(Complaint)) + 1
    complaint = Complaint(number=f"TS{clock.today():%Y%m%d}{count:04d}", channel=channel, complainant=complainant.strip(),
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
    return c


def extend(session: Session, complaint_id: int, actor: User, approver_id: int) -> Complaint:
    """Handled within 30 working days instead of 15, with a head's approval."""
    c = _get(session, complaint_id, actor, ("accepted",))
    approver = session.get(User, approver_id)
    if approver is None or approver.id == actor.id or not approver.has_role("leader"):
        raise InvalidInput("延期须由另一名负责人批准。", field="approver")
    if c.extended:
        raise InvalidState("投诉处理期限已经延长过一次。")
    c.extended = True
    set_dues(c, load_calendar(session))
    return c


def answer(session: Session, complaint_id: int, actor: User, text: str) -> Complaint:
    c = _get(session, complaint_id, actor, ("accepted",))
    if not (text or "").strip():
        raise InvalidInput("答复内容不能为空。", field="answer")
    c.state, c.answer, c.answered_at = "answered", text.strip(), clock.now()
    return c
