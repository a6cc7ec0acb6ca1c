"""Working a step: claim, unclaim, assign, transfer (转办), complete, and 退回 to an earlier step."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, legaltime, runtime
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied, StaleCase
from ..models import CaseTask, User
from . import authority, common


def _open_task(session: Session, task_id: int, expected_version: int | None, operation: str | None = None):
    case = common.lock_case_of_task(session, task_id)
    if case is None:
        raise NotFound(f"环节 {task_id} 不存在。")
    if operation is not None:
        authority.require_operation(session, case, operation)
    loaded = common.open_case(session, case.id, expected_version, case)
    return loaded, loaded.task_for(task_id)


def complete_task(session: Session, task_id: int, actor: User, *, data: dict | None = None, opinion: str | None = None,
                  approved: bool | None = None, reason: str | None = None,
                  expected_version: int | None = None) -> CaseTask:
    """办理: finish a step with its form data and opinion; a negative opinion needs a reason."""
    loaded, task = _open_task(session, task_id, expected_version, "complete")
    case = loaded.case
    common.require_can_work(actor, task)
    common.require_running(case, loaded, task)
    if approved is False:
        reason = common.require_reason(reason, "不同意的意见")
    spiff_task = loaded.workflow.get_task_from_id(UUID(task.spiff_id))
    now = clock.now()
    payload = dict(data or {})
    if approved is not None:
        payload["approved"] = approved
    spiff_task.data.update(payload)
    runtime.run_task(spiff_task)
    runtime.run_engine(loaded.workflow, common.settings_of(session).max_loops)
    task.state, task.completed_at, task.completed_by_id = "completed", now, actor.id
    task.opinion, task.approved, task.reason, task.form_data = opinion, approved, reason, payload
    if data:
        case.data = {**(case.data or {}), **data}
    if task.assignee_id is None:
        task.assignee_id = actor.id
    step = spiff_task.task_spec.step
    if step.stage == "accept" and case.accepted_at is None:
        accept(loaded, actor, now)
    common.end_special_pause(loaded, task, actor, now)
    new_tasks = common.sync(loaded, actor, now)
    finished = common.finish_if_done(loaded, actor, now)
    common.emit(loaded, actor, "complete", task=task, reason=reason, new_tasks=new_tasks, data=payload, now=now,
                detail={"opinion": opinion, "approved": approved, "data": payload})
    if finished:
        common.emit(loaded, actor, "finish", detail={"result": case.result}, now=now)
    return task


def accept(loaded: common.Loaded, actor: User, now) -> None:
    """受理 (or 立案): the period starts where the item's law says. A licence application not told
    to correct within the notice period counts as accepted from receipt (行政许可法 art. 32(四));
    a request whose period runs from receipt (政府信息公开条例 art. 33) keeps the clock it has."""
    case = loaded.case
    case.state, case.accepted_at, case.accepted_by_id = "accepted", now, actor.id
    version = case.item_version
    if case.clock_start is None:
        received, today = clock.local_date(case.received_at), clock.local_date(now)
        corrected = any(p.kind == "correction" for p in common.pauses_of(loaded.session, case))
        late = loaded.calendar.workdays_between(received, today) > version.correction_notice_limit
        if version.clock_start == "acceptance" and late and not corrected:
            legaltime.start_clock(case, received, "deemed_receipt")
        else:
            legaltime.start_clock(case, today, "filing" if version.clock_start == "filing" else "acceptance")
    common.refresh_deadlines(loaded)


def claim(session: Session, task_id: int, actor: User, expected_version: int | None = None) -> CaseTask:
    """签收."""
    loaded, task = _open_task(session, task_id, expected_version, "claim")
    common.require_open(loaded.case)
    if task.assignee_id == actor.id:
        return task
    if task.assignee_id is not None:
        raise StaleCase(f"“{task.step_name}”已被其他人签收。")
    if not actor.holds(task.post_code, task.department_id):
        raise PermissionDenied(f"您没有“{task.step_name}”所需的岗位，不能签收。")
    task.assignee_id, task.claimed_at = actor.id, clock.now()
    common.emit(loaded, actor, "claim", task=task)
    return task


def unclaim(session: Session, task_id: int, actor: User, expected_version: int | None = None) -> CaseTask:
    """退签: give the step back to everyone holding the post."""
    loaded, task = _open_task(session, task_id, expected_version)
    if task.assignee_id != actor.id and not actor.has_role("leader"):
        raise PermissionDenied("只有签收人或负责人可以退签。")
    task.assignee_id, task.claimed_at = None, None
    common.emit(loaded, actor, "unclaim", task=task)
    return task


def _eligible(session: Session, task: CaseTask, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("指定的人员不存在或已停用。")
    if not user.holds(task.post_code, task.department_id):
        raise InvalidInput(f"{user.name}没有“{task.step_name}”所需的岗位。", field="assignee")
    return user


def assign(session: Session, task_id: int, actor: User, assignee_id: int, expected_version: int | None = None) -> CaseTask:
    """分派: a department head gives the step to one post holder."""
    loaded, task = _open_task(session, task_id, expected_version)
    common.require_open(loaded.case)
    if not actor.has_role("leader") or actor.department_id != task.department_id and not actor.has_role("admin"):
        raise PermissionDenied("只有本部门负责人可以分派任务。")
    user = _eligible(session, task, assignee_id)
    task.assignee_id, task.claimed_at = user.id, clock.now()
    common.emit(loaded, actor, "assign", task=task, detail={"assignee": user.name})
    return task


def transfer(session: Session, task_id: int, actor: User, assignee_id: int, reason: str,
             expected_version: int | None = None) -> CaseTask:
    """转办: the holder passes the step to a colleague with the same post, with a reason."""
    loaded, task = _open_task(session, task_id, expected_version, "transfer")
    common.require_open(loaded.case)
    common.require_can_work(actor, task)
    reason = common.require_reason(reason, "转办")
    user = _eligible(session, task, assignee_id)
    if user.id == actor.id:
        raise InvalidInput("不能转办给自己。", field="assignee")
    task.assignee_id, task.claimed_at = user.id, clock.now()
    common.emit(loaded, actor, "transfer", task=task, reason=reason, detail={"to": user.name})
    return task


def return_to_step(session: Session, task_id: int, actor: User, target_step: str, reason: str,
                   expected_version: int | None = None) -> list[CaseTask]:
    """退回: send the case back to an earlier step it has passed, with a reason."""
    loaded, task = _open_task(session, task_id, expected_version, "return")
    common.require_can_work(actor, task)
    common.require_running(loaded.case)
    reason = common.require_reason(reason, "退回")
    earlier = session.scalars(select(CaseTask).where(
        CaseTask.case_id == loaded.case.id, CaseTask.step_id == target_step, CaseTask.state == "completed")
        .order_by(CaseTask.id.desc())).first()
    if earlier is None:
        raise InvalidState(f"办件没有办理过环节 {target_step}，不能退回到该环节。")
    wf = loaded.workflow
    try:
        spiff_earlier = wf.get_task_from_id(UUID(earlier.spiff_id))
    except Exception:
        raise InvalidState(f"环节“{earlier.step_name}”已不在当前流程路径上，不能退回。") from None
    now = clock.now()
    wf.reset_from_task_id(spiff_earlier.id)
    runtime.prune_event_manager(wf)
    runtime.run_engine(wf, common.settings_of(session).max_loops)
    task.state, task.completed_at, task.completed_by_id, task.reason = "returned", now, actor.id, reason
    common.end_special_pause(loaded, task, actor, now)
    new_tasks = common.sync(loaded, actor, now)
    common.emit(loaded, actor, "return", task=task, reason=reason, new_tasks=new_tasks,
                detail={"to_step": target_step, "to_step_name": earlier.step_name})
    return new_tasks


__all__ = ["complete_task", "claim", "unclaim", "assign", "transfer", "return_to_step", "accept", "InvalidState"]
