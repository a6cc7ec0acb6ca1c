"""Notices to applicants about their cases (受理, 补正, 办结, 不予受理, 视为放弃申请), queued in the
command's own transaction by a transition listener and sent after commit by engine.notify (seed
002 §8.4: SMS and other channels).

Who is told: the applicant of a case applied for (依申请), at the contacts the case carries — a
mobile number (a landline cannot receive a text) and an email address where the application form
has one. Nobody is told about:
- a case reported by a department's own system (Case.source set): that system tells its applicants;
- the flows that tell their people themselves (在线咨询, 政府信息公开申请) or have no applicant: the
  internal flows (电子监察督办, 事项变更法制审核: ``sunhall:internal``) and 主动公开;
- cases the authority opens on its own (行政处罚, 行政强制, 行政检查): the party is served the legal
  documents, not a text message;
- a case without a usable contact.
A case accepted and finished in one command (即办件) gets the 办结 notice only; a withdrawal (撤回)
gets none: the applicant asked for it.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from . import listeners, notice_texts, notify
from .disclosure import publish as disclosure_publish
from .disclosure import service as disclosure_service
from .listeners import Transition
from .models import CasePause, Department, ProcessDefinition
from .qa import service as qa_service
from .service import authority
from .service.common import settings_of

ACTIONS = ("complete", "finish", "correction", "reject", "lapse")
OWN_NOTICES = (qa_service.PROCESS_KEY, disclosure_service.PROCESS_KEY, disclosure_publish.PROCESS_KEY)
AUTHORITY_INITIATED = ("02", "03", "06")  # 行政处罚, 行政强制, 行政检查 (engine.models.items.ITEM_CATEGORIES)
MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
EMAIL_FIELDS = ("email", "contact_email")
PENDING = "sunhall_notices_accepted"  # case id -> the 受理 notices queued in this transaction


def install() -> None:
    """Registers the notices' transition listener."""
    listeners.register(on_transition)


def contacts(case) -> tuple[str | None, str | None]:
    """(mobile, email) of the case's applicant, or None for each it lacks."""
    phone = (case.contact_phone or "").strip()
    data = case.data or {}
    email = next((v.strip() for v in (data.get(f) for f in EMAIL_FIELDS) if isinstance(v, str) and v.strip()), None)
    return (phone if MOBILE.fullmatch(phone) else None,
            email if email and qa_service.EMAIL.fullmatch(email) and len(email) <= 120 else None)


def concerns_applicant(t: Transition) -> bool:
    case = t.case
    if case.source is not None or case.item_version.category in AUTHORITY_INITIATED:
        return False
    if authority.is_internal(t.session, case):
        return False  # 督办, 法制审核: work between offices, no applicant
    return t.session.get(ProcessDefinition, case.definition_id).process_key not in OWN_NOTICES


def facts_of(t: Transition) -> notice_texts.CaseFacts:
    case = t.case
    department = t.session.get(Department, case.department_id)
    return notice_texts.CaseFacts(
        number=case.number, application_number=case.application_number, item=case.item_version.name,
        applicant_name=case.applicant_name, applicant_type=case.applicant_type, department=department.name,
        department_phone=department.phone, online=case.query_code_hash is not None,
        public_url=settings_of(t.session).public_url)


def notice_for(t: Transition) -> notice_texts.Notice | None:
    """The notice this transition calls for, if any."""
    case = t.case
    if t.action == "complete":
        if t.before.get("state") != "received" or case.state != "accepted":
            return None  # only the step that accepts; one that also finishes the case is told by 办结
        return notice_texts.accepted(facts_of(t), received=case.received_at, accepted_at=case.accepted_at,
                                     deadline=case.deadline, provisional=bool(case.deadline_provisional))
    if t.action == "finish" and case.state == "finished":
        return notice_texts.finished(facts_of(t), finished_at=case.finished_at, result=case.result or "办结")
    if t.action == "reject":
        return notice_texts.rejected(facts_of(t), at=case.finished_at, reason=t.reason or "")
    if t.action == "correction":
        pause = _open_correction(t)
        if pause is None:
            return None
        return notice_texts.correction(facts_of(t), missing=list(pause.missing_materials or []), due=pause.due_date,
                                       stops_clock=pause.stops_clock)
    if t.action == "lapse":
        due = (t.before.get("pause") == "correction" and _last_correction(t)) or None
        return notice_texts.lapsed(facts_of(t), due=due.due_date if due else None, at=case.finished_at)
    return None


def _open_correction(t: Transition) -> CasePause | None:
    return t.session.scalars(select(CasePause).where(
        CasePause.case_id == t.case.id, CasePause.kind == "correction", CasePause.ended_at.is_(None))
        .order_by(CasePause.id.desc())).first()


def _last_correction(t: Transition) -> CasePause | None:
    return t.session.scalars(select(CasePause).where(CasePause.case_id == t.case.id, CasePause.kind == "correction")
                             .order_by(CasePause.id.desc())).first()


def may_call_for_notice(t: Transition) -> bool:
    """What :func:`notice_for` asks first, from the case row alone: most completions (every step
    but the accepting one) are settled here without a query."""
    if t.action == "complete":
        return t.before.get("state") == "received" and t.case.state == "accepted"
    return t.action != "finish" or t.case.state == "finished"


def on_transition(t: Transition) -> None:
    if t.action not in ACTIONS or not may_call_for_notice(t):
        return
    phone, email = contacts(t.case)
    if (phone is None and email is None) or not concerns_applicant(t):
        return
    notice = notice_for(t)
    if notice is None:
        return
    pending = t.session.info.setdefault(PENDING, {})
    if notice.kind == "finished" and t.case.id in pending:
        notify.withdraw(t.session, pending.pop(t.case.id))
    messages = notify.queue_notice(t.session, notice, phone=phone, email=email, ref=f"case:{t.case.number}",
                                   case_id=t.case.id)
    if notice.kind == "accepted":
        pending[t.case.id] = messages
