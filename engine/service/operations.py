"""Case operations with a reason (domain.md §4): 特别程序 suspend/resume, 补正, 退回申请人,
不予受理, 撤回 and 延期. Pauses stop the clock; resuming moves every deadline on by the paused
working days."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import clock
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from ..models import User
from ..models.cases import PAUSE_KINDS
from . import common


def suspend(session: Session, case_id: int, actor: User, reason: str, expected_days: int,
            procedure: str | None = None, expected_version: int | None = None):
    """特别程序 (听证、检验、鉴定、专家评审 …): the clock stops; the applicant is told how long."""
    loaded = common.open_case(session, case_id, expected_version)
    common.require_running(loaded.case)
    task = common.require_handler(loaded, actor)
    reason = common.require_reason(reason, "特别程序")
    if not isinstance(expected_days, int) or expected_days <= 0:
        raise InvalidInput("请填写特别程序预计所需的天数。", field="expected_days")
    now = clock.now()
    text = f"{procedure}：{reason}" if procedure else reason
    pause = common.start_pause(loaded, "special", text, actor, now, expected_days=expected_days, step_id=task.step_id)
    common.emit(loaded, actor, "suspend", task=task, reason=text,
                detail={"procedure": procedure, "expected_days": expected_days}, now=now)
    return pause


def request_correction(session: Session, case_id: int, actor: User, missing: list[str], reason: str | None = None,
                       expected_version: int | None = None):
    """补正: tell the applicant once, listing every missing material; the clock stops until they come.
    Before acceptance the law gives the office N working days from receipt (行政许可法 art. 32)."""
    loaded = common.open_case(session, case_id, expected_version)
    case = loaded.case
    common.require_running(case)
    task = common.require_handler(loaded, actor)
    missing = [m.strip() for m in (missing or []) if m and m.strip()]
    if not missing:
        raise InvalidInput("补正告知必须列出需要补正的材料。", field="missing")
    now = clock.now()
    if case.accepted_at is None:
        limit = case.item_version.correction_notice_limit
        late = loaded.calendar.workdays_between(clock.local_date(case.received_at), clock.local_date(now))
        if late > limit:
            raise InvalidState(
                f"收件已 {late} 个工作日，超过法定的 {limit} 个工作日一次性补正告知期限；逾期不告知的，"
                "自收到申请材料之日起即为受理，请直接受理办理。")
    text = reason or "申请材料不齐全，请补正：" + "、".join(missing)
    pause = common.start_pause(loaded, "correction", text, actor, now, missing=missing, step_id=task.step_id)
    common.emit(loaded, actor, "correction", task=task, reason=text, detail={"missing": missing}, now=now)
    return pause


def return_to_applicant(session: Session, case_id: int, actor: User, reason: str, expected_version: int | None = None):
    """退回申请人: the application goes back to the applicant to revise; the clock stops until resubmitted."""
    loaded = common.open_case(session, case_id, expected_version)
    common.require_running(loaded.case)
    task = common.require_handler(loaded, actor)
    reason = common.require_reason(reason, "退回申请人")
    now = clock.now()
    pause = common.start_pause(loaded, "returned", reason, actor, now, step_id=task.step_id)
    common.emit(loaded, actor, "return_to_applicant", task=task, reason=reason, now=now)
    return pause


def resume(session: Session, case_id: int, actor: User, note: str | None = None, expected_version: int | None = None):
    """恢复办理: materials supplied, special procedure over, or the applicant resubmitted."""
    loaded = common.open_case(session, case_id, expected_version)
    case = loaded.case
    common.require_open(case)
    pause = common.open_pause(session, case)
    if pause is None:
        raise InvalidState("办件没有处于暂停状态。")
    if pause.kind == "special" and pause.expected_days is None:
        raise InvalidState("此特别程序是流程中的一个环节，办完该环节后自动恢复计时。")
    common.require_handler(loaded, actor)
    kind = pause.kind
    now = clock.now()
    pause = common.end_pause(loaded, actor, now)
    action = {"correction": "correction_supplied", "returned": "resubmitted", "special": "resume"}[kind]
    common.emit(loaded, actor, action, reason=note, now=now,
                detail={"pause": PAUSE_KINDS[kind], "paused_days": pause.paused_days})
    return pause


def _end(session: Session, case_id: int, actor: User, state: str, reason: str, what: str,
         expected_version: int | None, *, require_not_accepted: bool = False):
    loaded = common.open_case(session, case_id, expected_version)
    case = loaded.case
    common.require_open(case)
    task = common.require_handler(loaded, actor) if loaded.open_tasks else None
    reason = common.require_reason(reason, what)
    if require_not_accepted and case.accepted_at is not None:
        raise InvalidState("办件已经受理，不能再作不予受理；请在审查后作出不予许可决定。")
    now = clock.now()
    if case.pause_kind:
        common.end_pause(loaded, actor, now)
    loaded.workflow.cancel()
    for row in loaded.open_tasks:
        row.state = "cancelled"
    loaded.open_tasks = []
    case.state, case.finished_at, case.result = state, now, what
    common.save_state(loaded)
    case.next_timer_at = None
    common.emit(loaded, actor, {"rejected": "reject", "withdrawn": "withdraw"}[state], task=task, reason=reason, now=now)
    return case


def reject(session: Session, case_id: int, actor: User, reason: str, expected_version: int | None = None):
    """不予受理: refused at intake, with the reason the decision letter will state."""
    return _end(session, case_id, actor, "rejected", reason, "不予受理", expected_version, require_not_accepted=True)


def withdraw(session: Session, case_id: int, actor: User, reason: str, expected_version: int | None = None):
    """撤回: the applicant withdraws the application."""
    return _end(session, case_id, actor, "withdrawn", reason, "撤回", expected_version)


def extend(session: Session, case_id: int, actor: User, days: int, approver_id: int, reason: str,
           expected_version: int | None = None):
    """延期: the head approves more time, never beyond the item's extension limit (e.g. +10 for a licence)."""
    loaded = common.open_case(session, case_id, expected_version)
    case = loaded.case
    common.require_running(case)
    task = common.require_handler(loaded, actor)
    reason = common.require_reason(reason, "延期")
    if case.accepted_at is None:
        raise InvalidState("办件尚未受理，没有办结期限可以延长。")
    limit = case.item_version.extension_limit
    if not isinstance(days, int) or days <= 0:
        raise InvalidInput("延期天数必须是正整数。", field="days")
    if case.extended_days + days > limit:
        left = limit - case.extended_days
        raise InvalidInput(f"延期超出法定上限：本事项最多可延长 {limit} 个工作日，还可延长 {max(left, 0)} 个。", field="days")
    approver = session.get(User, approver_id)
    if approver is None:
        raise NotFound("审批人不存在。")
    if approver.id == actor.id:
        raise PermissionDenied("延期须由负责人批准，不能自己批准自己的申请。")
    if not (approver.has_role("leader") and approver.department_id == case.department_id
            or approver.holds("approve", case.department_id)):
        raise PermissionDenied(f"{approver.name}不是本部门负责人，不能批准延期。")
    before = case.deadline
    case.deadline = common.shift(loaded.calendar, case.deadline, days, case.limit_unit)
    case.extended_days += days
    common.emit(loaded, actor, "extend", task=task, reason=reason,
                detail={"days": days, "approver": approver.name, "from": before, "to": case.deadline})
    return case
