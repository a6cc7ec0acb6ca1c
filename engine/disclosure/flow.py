"""What the disclosure flows' transitions mean beyond the case: the steps of a request and of a
publication are worked only through their services; the applicant is told when the answer is
ready or a 补正 is asked; the scheduler ends third-party consultations whose 15 days are over."""

from __future__ import annotations

from sqlalchemy import select

from .. import clock, incidents, notice_texts, notify
from ..errors import InvalidState
from ..listeners import Transition
from ..models import CasePause, InfoConsultation, InfoRequest
from ..service.common import process_key
from . import publish, service

KEYS = {service.PROCESS_KEY: "政府信息公开申请的环节请在“依申请公开”办理页面办理（各环节有其必填内容）。",
        publish.PROCESS_KEY: "主动公开的环节请在“主动公开”页面办理（各环节有其必填内容）。"}


def _key(t: Transition) -> str:
    return process_key(t.session, t.case.definition_id)


def on_transition(t: Transition) -> None:
    key = _key(t)
    if key not in KEYS:
        return
    if t.action in ("complete", "return") and not t.session.info.get("disclosure_command"):
        raise InvalidState(KEYS[key])
    if key == publish.PROCESS_KEY:
        publish.on_transition(t)
        return
    request = service.of_case(t.session, t.case.id)
    if request is None:
        return  # being started by file_request
    if t.action == "finish":
        _tell(t.session, request, "info_answered")
    elif t.action == "correction":
        _tell(t.session, request, "info_correction")


def _tell(session, request: InfoRequest, kind: str) -> None:
    case = request.case
    notice = notice_texts.info_request(kind, number=request.number, applicant_name=case.applicant_name)
    notify.queue_notice(session, notice, phone=case.contact_phone, email=request.email,
                        ref=f"info_request:{request.number}", case_id=case.id)


def tick(db) -> int:
    """End, each in its own transaction, the consultations whose 15 working days are over (the
    clock runs again) and the requests whose fee was not paid within its 20 (视为放弃申请)."""
    today = clock.today()
    with db.transaction(write=False) as session:
        due = list(session.execute(select(InfoConsultation.id, InfoRequest.case_id).join(InfoConsultation.request).where(
            InfoConsultation.replied_at.is_(None), InfoConsultation.due_date < today)))
        unpaid = list(session.execute(select(InfoRequest.id, InfoRequest.case_id).join(
            CasePause, CasePause.case_id == InfoRequest.case_id).where(
            CasePause.kind == "fee", CasePause.ended_at.is_(None), CasePause.due_date < today)))
    done = 0
    for consultation_id, case_id in due:
        if incidents.guarded(db, f"consultation:{consultation_id}", "lapse", "第三方意见期满处理", case_id,
                             _lapse_one, db, consultation_id):
            done += 1
    for request_id, case_id in unpaid:
        if incidents.guarded(db, f"fee:case:{case_id}", "lapse", "信息处理费逾期未缴处理", case_id,
                             _lapse_fee, db, request_id):
            done += 1
    return done


tick.label = "第三方意见期满恢复计时、信息处理费逾期未缴处理"


def _lapse_fee(db, request_id: int) -> bool:
    with db.transaction() as session:
        return service.lapse_fee(session, session.get(InfoRequest, request_id))


def _lapse_one(db, consultation_id: int) -> bool:
    with db.transaction() as session:
        consultation = session.get(InfoConsultation, consultation_id)
        if consultation is None or consultation.replied_at is not None or not consultation.request.case.is_open:
            return False
        service.record_reply(session, consultation.request, None, outcome="no_reply")
        return True
