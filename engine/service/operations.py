"""Case operations with a reason (domain.md §4): 特别程序 suspend/resume, 补正, 退回申请人,
不予受理, 撤回, 延期 (requested, then decided by the approver) and the lapse of an unanswered 补正.
Pauses stop the clock; resuming recomputes every deadline from the case's facts (engine.legaltime)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from ..models import CaseExtension, CasePause, User
from ..models.cases import PAUSE_KINDS
from . import authority, common

# 行政许可法 art. 45: the kinds of special procedure whose time is not counted; an item may name
# others its own law provides (ItemVersion.extra["special_procedures"]).
SPECIAL_PROCEDURES = ("听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审")
MAX_SPECIAL_DAYS = 120
MAX_EXTENSION_DAYS = 365


def special_procedures_of(version) -> list[str]:
    extra = [str(p) for p in (version.extra or {}).get("special_procedures", []) if str(p).strip()]
    return list(SPECIAL_PROCEDURES) + [p for p in extra if p not in SPECIAL_PROCEDURES]


def suspend(session: Session, case_id: int, actor: User, reason: str, expected_days: int,
            procedure: str | None = None, expected_version: int | None = None):
    """特别程序 (行政许可法 art. 45): one of the statutory kinds, with a bounded expected length; the
    clock stops and the applicant is told in writing how long it takes (特别程序告知书)."""
    loaded = common.open_case(session, case_id, expected_version)
    authority.require_operation(session, loaded.case, "suspend")
    task = common.require_handler(loaded, actor)
    common.require_running(loaded.case)
    reason = common.require_reason(reason, "特别程序")
    allowed = special_procedures_of(loaded.case.item_version)
    if procedure not in allowed:
        raise InvalidInput("请选择特别程序的种类：" + "、".join(allowed) + "。", field="procedure")
    if isinstance(expected_days, bool) or not isinstance(expected_days, int) or not 0 < expected_days <= MAX_SPECIAL_DAYS:
        raise InvalidInput(f"特别程序预计所需天数应为 1 至 {MAX_SPECIAL_DAYS} 之间的整数。", field="expected_days")
    now = clock.now()
    text = f"{procedure}：{reason}"
    pause = common.start_pause(loaded, "special", text, actor, now, expected_days=expected_days, step_id=task.step_id)
    common.emit(loaded, actor, "suspend", task=task, reason=text,
                detail={"procedure": procedure, "expected_days": expected_days}, now=now)
    return pause


def request_correction(session: Session, case_id: int, actor: User, missing: list[str], reason: str | None = None,
                       expected_version: int | None = None, answer_days: int | None = None):
    """补正: tell the applicant once, listing every missing material. Before acceptance the office
    has N working days from receipt (行政许可法 art. 32; 政府信息公开条例 art. 30: 7) and the clock
    stops; after acceptance a licence clock stops only where the item's own law says so (the
    article is kept on the item). Where the item sets an answer period, an unanswered 补正 lapses."""
    loaded = common.open_case(session, case_id, expected_version)
    case = loaded.case
    authority.require_operation(session, case, "correction")
    task = common.require_handler(loaded, actor)
    common.require_running(case)
    missing = [m.strip() for m in (missing or []) if m and m.strip()]
    if not missing:
        raise InvalidInput("补正告知必须列出需要补正的材料。", field="missing")
    if len(missing) > 50 or any(len(m) > 200 for m in missing):
        raise InvalidInput("补正材料最多 50 项，每项不超过 200 字。", field="missing")
    now = clock.now()
    version = case.item_version
    stops_clock = True
    if case.accepted_at is None:
        limit = version.correction_notice_limit
        late = loaded.calendar.workdays_between(clock.local_date(case.received_at), clock.local_date(now))
        if late > limit:
            raise InvalidState(
                f"收件已 {late} 个工作日，超过法定的 {limit} 个工作日一次性补正告知期限；逾期不告知的，"
                "自收到申请材料之日起即为受理，请直接受理办理。")
    elif case.clock_basis not in ("receipt", "corrected_receipt"):
        stops_clock = bool(version.correction_stops_clock_basis)
    text = reason or "申请材料不齐全，请补正：" + "、".join(missing)
    if not stops_clock:
        text += "（受理后补正，依法不停止计算办理期限）"
    due = None
    answer_days = answer_days or version.correction_answer_days
    if answer_days > 0:
        due = loaded.calendar.add_workdays(clock.local_date(now), answer_days)
    pause = common.start_pause(loaded, "correction", text, actor, now, missing=missing, step_id=task.step_id,
                               stops_clock=stops_clock, due_date=due)
    common.emit(loaded, actor, "correction", task=task, reason=text, now=now,
                detail={"missing": missing, "stops_clock": stops_clock, "answer_by": due,
                        "basis": version.correction_stops_clock_basis if case.accepted_at and stops_clock else None})
    return pause


def return_to_applicant(session: Session, case_id: int, actor: User, reason: str, expected_version: int | None = None):
    """退回申请人: the application goes back to the applicant to revise; the clock stops until resubmitted."""
    loaded = common.open_case(session, case_id, expected_version)
    authority.require_operation(session, loaded.case, "return_to_applicant")
    task = common.require_handler(loaded, actor)
    common.require_running(loaded.case)
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
    common.require_handler(loaded, actor)
    pause = common.open_pause(session, case)
    if pause is None:
        raise InvalidState("办件没有处于暂停状态。")
    if pause.kind == "special" and pause.expected_days is None:
        raise InvalidState("此特别程序是流程中的一个环节，办完该环节后自动恢复计时。")
    if not pause.stops_clock:
        common.require_running(case)
    kind = pause.kind
    now = clock.now()
    pause = common.end_pause(loaded, actor, now)
    if kind in ("consultation", "fee"):
        raise InvalidState("征求第三方意见和缴纳信息处理费请在政府信息公开申请页面记录。")
    action = {"correction": "correction_supplied", "returned": "resubmitted", "special": "resume"}[kind]
    common.emit(loaded, actor, action, reason=note, now=now,
                detail={"pause": PAUSE_KINDS[kind], "paused_days": pause.paused_days})
    return pause


def supplied_online(session: Session, case_id: int, actor, note: str) -> CasePause:
    """补正完成 by the applicant online (网上补正): the 补正 ends when the materials arrive, and the
    clock restarts where the law says (common.end_pause). Only a 补正 of an online application."""
    loaded = common.open_case(session, case_id)
    case = loaded.case
    common.require_open(case)
    pause = common.open_pause(session, case)
    if pause is None or pause.kind != "correction":
        raise InvalidState("此申请目前不需要补正材料。")
    now = clock.now()
    pause = common.end_pause(loaded, actor, now)
    common.emit(loaded, actor, "correction_supplied", reason=note, now=now,
                detail={"pause": PAUSE_KINDS["correction"], "paused_days": pause.paused_days, "channel": "web"})
    return pause


def _end(session: Session, case_id: int, actor: User, state: str, reason: str, what: str,
         expected_version: int | None, *, require_not_accepted: bool = False):
    operation = {"rejected": "reject", "withdrawn": "withdraw"}[state]
    loaded = common.open_case(session, case_id, expected_version)
    case = loaded.case
    authority.require_operation(session, case, operation)
    common.require_open(case)
    if loaded.open_tasks:
        task = common.require_handler(loaded, actor)
    else:
        task = None
        authority.require_may_close_without_step(actor, case)
    reason = common.require_reason(reason, what)
    if require_not_accepted and case.accepted_at is not None:
        raise InvalidState("办件已经受理，不能再作不予受理；请在审查后作出不予许可决定。")
    now = clock.now()
    if common.open_pause(session, case) is not None:
        common.end_pause(loaded, actor, now)
    close(loaded, actor, state, what, now)
    common.emit(loaded, actor, operation, task=task, reason=reason, now=now)
    return case


def reject(session: Session, case_id: int, actor: User, reason: str, expected_version: int | None = None):
    """不予受理: refused at intake, with the reason the decision letter will state."""
    return _end(session, case_id, actor, "rejected", reason, "不予受理", expected_version, require_not_accepted=True)


def withdraw(session: Session, case_id: int, actor: User, reason: str, expected_version: int | None = None):
    """撤回: the applicant withdraws the application."""
    return _end(session, case_id, actor, "withdrawn", reason, "撤回", expected_version)


def request_extension(session: Session, case_id: int, actor: User, days: int, approver_id: int, reason: str,
                      collective_record: str | None = None, expected_version: int | None = None) -> CaseExtension:
    """延期申请: the handler asks the named approver (the department's head or a holder of the
    approve post) for more time, with the reason the applicant will be told. Nothing moves until
    the approver approves (行政许可法 art. 42). Beyond the item's limit only where its law allows a
    collective decision (行政处罚: 集体讨论决定), with that decision's record."""
    loaded = common.open_case(session, case_id, expected_version)
    case = loaded.case
    authority.require_operation(session, case, "extend")
    common.require_handler(loaded, actor)
    common.require_running(case)
    reason = common.require_reason(reason, "延期")
    if len(reason) > 1000:
        raise InvalidInput("延期理由不能超过 1000 字。", field="reason")
    if case.clock_start is None:
        raise InvalidState("办件尚未受理（立案），没有办理期限可以延长。")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_EXTENSION_DAYS:
        raise InvalidInput("延期天数必须是 1 至 365 之间的整数。", field="days")
    pending = session.scalars(select(CaseExtension).where(CaseExtension.case_id == case.id,
                                                          CaseExtension.state == "requested")).first()
    if pending is not None:
        raise InvalidState("已有一项延期申请等待审批，请待审批后再申请。")
    version = case.item_version
    limit = version.extension_limit
    used = sum(e.days for e in session.scalars(select(CaseExtension).where(
        CaseExtension.case_id == case.id, CaseExtension.state == "approved")))
    collective = False
    if used + days > limit:
        record = (collective_record or "").strip()
        if version.category == "02" and record:
            collective = True  # 市场监管行政处罚程序规定 art. 64: longer only by the heads' collective decision
        else:
            left = max(limit - used, 0)
            more = "；行政处罚案件超出的，须附负责人集体讨论决定的记录" if version.category == "02" else ""
            raise InvalidInput(f"延期超出法定上限：本事项最多可延长 {limit} 天，还可延长 {left} 天{more}。", field="days")
    approver = session.get(User, approver_id) if isinstance(approver_id, int) else None
    if approver is None or not approver.active:
        raise InvalidInput("请选择批准延期的负责人。", field="approver")
    if approver.id == actor.id:
        raise PermissionDenied("延期须由负责人批准，不能自己批准自己的申请。")
    if not may_approve_extension(approver, case):
        raise PermissionDenied(f"{approver.name}不是本部门负责人，也不在审批岗位，不能批准延期。")
    now = clock.now()
    extension = CaseExtension(case_id=case.id, days=days, reason=reason, collective=collective,
                              collective_record=(collective_record or "").strip() or None, state="requested",
                              requested_at=now, requested_by_id=actor.id, approver_id=approver.id)
    session.add(extension)
    session.flush()
    common.emit(loaded, actor, "extension_requested", reason=reason, now=now,
                detail={"days": days, "approver": approver.name, "collective": collective, "extension": extension.id})
    return extension


def may_approve_extension(user: User, case) -> bool:
    return (user.has_role("leader") and user.department_id == case.department_id
            or user.holds("approve", case.department_id))


def decide_extension(session: Session, extension_id: int, actor: User, approve: bool, note: str | None = None,
                     expected_version: int | None = None) -> CaseExtension:
    """延期审批: only the named approver decides; an approval recomputes the deadline (the applicant
    then receives the 延期告知书), a refusal needs a reason and changes nothing."""
    extension = session.get(CaseExtension, extension_id) if isinstance(extension_id, int) else None
    if extension is None:
        raise NotFound("延期申请不存在。")
    loaded = common.open_case(session, extension.case_id, expected_version)
    case = loaded.case
    common.require_open(case)
    if extension.state != "requested":
        raise InvalidState("该延期申请已经审批过。")
    if actor.id != extension.approver_id:
        raise PermissionDenied("只有申请中指定的批准人可以审批此项延期。")
    if not may_approve_extension(actor, case):
        raise PermissionDenied("您已不是本部门负责人或审批岗位人员，不能审批延期。")
    note = (note or "").strip() or None
    if not approve and not note:
        raise InvalidInput("不批准延期必须说明理由。", field="note")
    now = clock.now()
    extension.decided_at, extension.decision_note = now, note
    extension.deadline_before = case.deadline
    if approve:
        extension.state = "approved"
        case.extended_days += extension.days
        common.refresh_deadlines(loaded)
        extension.deadline_after = case.deadline
        common.emit(loaded, actor, "extend", reason=extension.reason, now=now,
                    detail={"days": extension.days, "approver": actor.name, "reason": extension.reason,
                            "from": extension.deadline_before, "to": case.deadline, "extension": extension.id,
                            "collective": extension.collective, "provisional": case.deadline_provisional})
    else:
        extension.state = "refused"
        common.emit(loaded, actor, "extension_refused", reason=note, now=now,
                    detail={"days": extension.days, "extension": extension.id})
    return extension


def lapse_correction(session: Session, case_id: int, now=None) -> bool:
    """An unanswered 补正 whose answer period ran out ends the case as 视为放弃申请 (政府信息公开条例
    art. 30; for other items the period the item sets). The scheduler runs this; the applicant is
    sent the notice (视为放弃申请告知书) produced on the "lapse" transition."""
    loaded = common.open_case(session, case_id)
    case = loaded.case
    now = now or clock.now()
    pause = common.open_pause(session, case)
    if not case.is_open or pause is None or pause.kind != "correction" or pause.due_date is None:
        return False
    if clock.local_date(now) <= pause.due_date:
        return False
    basis = ("《中华人民共和国政府信息公开条例》第三十条" if case.clock_basis in ("receipt", "corrected_receipt")
             else "本事项规定的补正期限")
    text = f"申请人未在补正期限（{pause.due_date}）内补正，视为放弃申请（{basis}）。"
    common.end_pause(loaded, None, now)
    close(loaded, None, "withdrawn", "视为放弃申请", now)
    common.emit(loaded, None, "lapse", reason=text, now=now, detail={"answer_by": pause.due_date, "basis": basis})
    return True


def close(loaded, actor, state: str, result: str, now) -> None:
    case = loaded.case
    loaded.workflow.cancel()
    for row in loaded.open_tasks:
        row.state = "cancelled"
    loaded.open_tasks = []
    case.state, case.finished_at, case.result = state, now, result
    common.save_state(loaded)
    case.next_timer_at = None
