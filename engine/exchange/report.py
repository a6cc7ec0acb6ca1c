"""外部办件报送: a department that keeps its own business system reports each case, its steps and its
result here (seed 004 §4.3: the data each case must carry, reported within 24 hours), so that
supervision judges it beside Sunhall's own cases.

An external case is a row of ``case`` kept under the reporting system's code (``source``) and the
system's own case id (``external_id``). It has no workflow here: its steps are the reported ones
(``case_task`` rows, ``spiff_id`` holding the system's own step id), dated by the same calendar
service as our own cases. Reports are idempotent by (system, case id): the same report again
changes nothing, a later one adds what is new, and nothing reported can be moved backwards or
rewritten once done (a conflict). Every change is recorded in the case's hash-chained log and
offered to the transition listeners as one ``report`` transition (rules judge it, the feed
writes it upward)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit, clock, legaltime, listeners
from ..calendar import load_calendar
from ..errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied
from ..models import Case, CaseTask, Department, Item, User
from ..models.cases import CASE_STATES
from ..service import authority
from ..service.common import snapshot
from ..service.intake import Applicant, current_definition, next_case_number

CLOCK_SKEW = timedelta(minutes=5)  # a department system's clock may run this far ahead of ours
RESULT_STATES = {"finished": "办结", "rejected": "不予受理", "withdrawn": "撤回"}
_RANK = {"received": 0, "accepted": 1, "finished": 2, "rejected": 2, "withdrawn": 2}
# the case log's actions of a report, in words (the workbench timeline and the replay)
ACTIONS = {
    "external_receive": "外部系统报送收件", "external_accept": "外部系统报送受理",
    "external_step": "外部系统报送环节开始", "external_complete": "外部系统报送环节办理",
    "external_update": "外部系统更新办件信息", "external_finish": "外部系统报送办结",
}
SOURCE_LABEL = "外部系统报送"


@dataclass(frozen=True)
class Reporter:
    """Who reports: the token's system code and the departments it is narrowed to. The system's name
    (what a person reads: 住建审批系统) is the name of the account the token acts as, unless the
    caller names it here; it is recorded in the case when it is first reported."""

    system_code: str | None
    department_ids: tuple[int, ...] = ()
    system_name: str | None = None


@dataclass
class Outcome:
    case: Case
    created: bool
    changed: bool
    facts: list[dict] = field(default_factory=list)  # what this report recorded, each with when it happened


def is_external(case: Case) -> bool:
    return bool(case.source)


def system_name(case: Case) -> str:
    """The reporting system by name (住建审批系统), its code only when no name was recorded."""
    return ((case.data or {}).get("external") or {}).get("system_name") or case.source or ""


def system_label(case: Case) -> str:
    """The reporting system for a sentence: 住建审批系统（zjj-spxt）."""
    name = system_name(case)
    return f"{name}（{case.source}）" if name != case.source else name


def find(session: Session, reporter: Reporter, external_id: str) -> Case:
    """The case a system reported under its own id (NotFound otherwise, also for another system's)."""
    _require_reporter(reporter)
    case = session.scalars(select(Case).where(Case.source == reporter.system_code,
                                              Case.external_id == external_id)).first()
    if case is None:
        raise NotFound(f"本平台没有贵系统报送的办件 {external_id}。")
    if case.department_id not in reporter.department_ids:
        raise PermissionDenied("该令牌无权查看此办件。")
    return case


def _require_reporter(reporter: Reporter) -> None:
    if not reporter.system_code:
        raise PermissionDenied("该令牌没有登记报送系统代码，不能报送或查询外部办件。")


def report_case(session: Session, actor: User, reporter: Reporter, data: dict, now: datetime | None = None) -> Outcome:
    """Receive one report (a dict as the API's schema loads it: see docs/exchange.md)."""
    _require_reporter(reporter)
    now = now or clock.now()
    item = session.scalars(select(Item).where(Item.code == data["item_code"])).first()
    if item is None or item.current_version is None:
        raise InvalidInput(f"事项编码 {data['item_code']} 不在已发布的事项目录中。", field="item_code")
    if item.department_id not in reporter.department_ids:
        raise PermissionDenied(f"该令牌无权报送“{item.department.name}”的办件。")
    _check(session, reporter, data, now)
    existing = session.scalars(select(Case).where(Case.source == reporter.system_code,
                                                  Case.external_id == data["external_id"])
                               .with_for_update()).first()
    if existing is None:
        case = _create(session, item, reporter, data, now)
        created = True
    else:
        case, created = existing, False
        if case.item_id != item.id:
            raise Conflict(f"办件 {data['external_id']} 已按事项 {case.item.code} 报送，不能改为其他事项。")
    return _merge(session, case, actor, reporter, data, now, created)


# --- checking what no schema can: times against each other and against now, departments ----------

def _check(session: Session, reporter: Reporter, data: dict, now: datetime) -> None:
    applicant = Applicant(**data["applicant"])
    found = applicant.problems()
    if found:
        errors = {f"applicant.{k}": v for k, v in found.items()}
        raise InvalidInput(next(iter(errors.values())), field=next(iter(errors)), errors=errors)
    data["applicant"] = {k: getattr(applicant, k) for k in data["applicant"]}
    latest = now + CLOCK_SKEW

    def not_future(value, label, where):
        if value is not None and value > latest:
            raise InvalidInput(f"{label}（{_text(value)}）晚于当前时间，不能报送尚未发生的事。", field=where)

    received, accepted = data["received_at"], data.get("accepted_at")
    not_future(received, "收件时间", "received_at")
    not_future(accepted, "受理时间", "accepted_at")
    if accepted is not None and accepted < received:
        raise InvalidInput("受理时间不能早于收件时间。", field="accepted_at")
    result = data.get("result")
    if result is not None:
        not_future(result["finished_at"], "办结时间", "result.finished_at")
        if result["finished_at"] < received:
            raise InvalidInput("办结时间不能早于收件时间。", field="result.finished_at")
    seen: set[str] = set()
    for i, step in enumerate(data.get("steps") or []):
        where = f"steps.{i}"
        if step["id"] in seen:
            raise InvalidInput(f"环节标识 {step['id']} 重复。", field=f"{where}.id")
        seen.add(step["id"])
        not_future(step["started_at"], f"环节“{step['name']}”的开始时间", f"{where}.started_at")
        not_future(step.get("completed_at"), f"环节“{step['name']}”的办理时间", f"{where}.completed_at")
        if step["started_at"] < received:
            raise InvalidInput(f"环节“{step['name']}”的开始时间不能早于收件时间。", field=f"{where}.started_at")
        if step.get("completed_at") is not None and step["completed_at"] < step["started_at"]:
            raise InvalidInput(f"环节“{step['name']}”的办理时间不能早于开始时间。", field=f"{where}.completed_at")
        if step.get("approved") is False and not step.get("reason"):
            raise InvalidInput(f"环节“{step['name']}”持否定意见，须写明具体理由（seed 004 §4.3 第5项）。",
                               field=f"{where}.reason")
        if step.get("department"):
            dept = session.scalars(select(Department).where(Department.code == step["department"])).first()
            if dept is None:
                raise InvalidInput(f"环节“{step['name']}”的办理部门 {step['department']} 不存在。",
                                   field=f"{where}.department")
            if dept.id not in reporter.department_ids:
                raise PermissionDenied(f"该令牌无权报送“{dept.name}”办理的环节。")


def _text(moment: datetime) -> str:
    return moment.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


# --- creating and merging -------------------------------------------------------------------------

def _create(session: Session, item: Item, reporter: Reporter, data: dict, now: datetime) -> Case:
    if item.status != "active":
        raise InvalidState(f"事项“{item.current_version.name}”已暂停或取消，不能报送新的办件。")
    definition = current_definition(session, item)
    if authority.flow_kind(session, definition.id).internal:
        raise InvalidInput(f"事项 {item.code} 是内部流程，不接受外部报送。", field="item_code")
    version, applicant = item.current_version, data["applicant"]
    case = Case(
        number=next_case_number(session, item.department.region.code), item_id=item.id,
        item_version_id=version.id, definition_id=definition.id, department_id=item.department_id,
        case_type=version.case_type, subject=data.get("subject") or f"{applicant['name']}申请{version.name}"[:300],
        applicant_type=applicant["type"], applicant_name=applicant["name"], cert_type=applicant["cert_type"],
        cert_number=applicant["cert_number"], contact_name=applicant.get("contact_name"),
        contact_phone=applicant.get("phone"), address=applicant.get("address"),
        channel=data.get("channel") or "window", state="received", received_at=data["received_at"],
        limit_days=version.promised_limit, limit_unit=version.limit_unit, workflow_state="",
        serializer_version="external", source=reporter.system_code, external_id=data["external_id"],
        data={}, step_visits={},
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        raise Conflict(f"办件 {data['external_id']} 正由另一请求同时报送，请稍后重试。") from None
    return case


def _merge(session: Session, case: Case, actor: User, reporter: Reporter, data: dict, now: datetime,
           created: bool) -> Outcome:
    calendar = load_calendar(session)
    tasks = {t.spiff_id: t for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id))}
    before = {} if created else snapshot(case, [t for t in tasks.values() if t.state == "ready"])
    facts: list[dict] = []
    events: list[tuple[str, CaseTask | None, dict]] = []
    new_state = _reported_state(data)
    if _RANK[new_state] < _RANK[case.state]:
        raise Conflict(f"办件在本平台已是“{CASE_STATES[case.state]}”，报送的状态“{CASE_STATES[new_state]}”"
                       "早于此状态，不能回退。")
    if created or not (case.data or {}).get("external", {}).get("system_name"):
        case.data = {**(case.data or {}), "external": {**((case.data or {}).get("external") or {}),
                                                       "system_name": reporter.system_name or actor.name}}
    if created:
        events.append(("external_receive", None, {"system": reporter.system_code, "external_id": case.external_id,
                                                  "system_name": system_name(case), "happened_at": case.received_at}))
        facts.append({"what": "收件", "happened_at": case.received_at.isoformat(), "task_id": None})
    _header(case, data, events)
    accepted = data.get("accepted_at")
    if case.accepted_at is None and accepted is not None:
        case.accepted_at = accepted
        if case.state == "received":
            case.state = "accepted"
        events.append(("external_accept", None, {"accepted_by": data.get("accepted_by"), "happened_at": accepted}))
        facts.append({"what": "受理", "happened_at": accepted.isoformat(), "task_id": None})
    elif accepted is not None and case.accepted_at != accepted:
        raise Conflict(f"办件已于 {_text(case.accepted_at)} 受理，不能改写受理时间。")
    _clock(session, calendar, case, data)
    finished = case.state in RESULT_STATES
    for step in data.get("steps") or []:
        row = tasks.get(step["id"])
        if row is None:
            if finished:
                raise Conflict(f"办件已{CASE_STATES[case.state]}，不能再报送新的环节“{step['name']}”。")
            row = _new_task(session, case, step, calendar, now)
            tasks[row.spiff_id] = row
            session.flush()
            action = "external_complete" if row.state == "completed" else "external_step"
            happened = row.completed_at or row.created_at
        elif row.state == "completed":
            if step.get("completed_at") is None or _differs(row, step):
                raise Conflict(f"环节“{row.step_name}”已于 {_text(row.completed_at)} 办结，不能改写或回退。")
            continue
        elif step.get("completed_at") is not None and row.state == "ready":
            _complete(row, step, now)
            action, happened = "external_complete", row.completed_at
        else:
            continue
        events.append((action, row, _step_detail(row)))
        facts.append({"what": row.step_name, "happened_at": happened.isoformat(), "task_id": row.id})
    result = data.get("result")
    if result is not None:
        if finished:
            if (case.state, case.result, case.finished_at) != (result["state"], result["decision"],
                                                              result["finished_at"]):
                raise Conflict(f"办件已于 {_text(case.finished_at)} {CASE_STATES[case.state]}，不能改写结果。")
        else:
            case.state, case.result, case.finished_at = result["state"], result["decision"], result["finished_at"]
            case.result_detail = {k: result.get(k) for k in ("document_number", "detail", "figures")
                                  if result.get(k) not in (None, "", {})}
            for row in tasks.values():
                if row.state == "ready":
                    row.state = "cancelled"
            events.append(("external_finish", None, {"result": case.result, "state": case.state,
                                                     "happened_at": case.finished_at, **case.result_detail}))
            facts.append({"what": RESULT_STATES[case.state], "happened_at": case.finished_at.isoformat(),
                          "task_id": None})
    if not events:
        return Outcome(case, created, False)
    case.reported_at = now
    open_rows = [t for t in tasks.values() if t.state == "ready"]
    after = snapshot(case, open_rows)
    for i, (action, row, detail) in enumerate(events):
        audit.record(session, case, actor, action, task=row, before=before if i == 0 else {},
                     after=after if i == len(events) - 1 else {}, detail={**detail, "reported_at": now}, at=now)
    session.flush()
    new_ready = [t for t in open_rows if any(e[1] is t for e in events)]
    listeners.notify(listeners.Transition(session, case, "report", actor, None, new_ready,
                                          {"reported": facts, "system": reporter.system_code}, None, before))
    return Outcome(case, created, True, facts)


def _reported_state(data: dict) -> str:
    if data.get("result") is not None:
        return data["result"]["state"]
    return "accepted" if data.get("accepted_at") is not None else "received"


def _header(case: Case, data: dict, events: list) -> None:
    """What a later report may correct: the subject, contact details, 受理人, the materials list."""
    applicant = data["applicant"]
    if (applicant["cert_type"], applicant["cert_number"]) != (case.cert_type, case.cert_number):
        raise Conflict("报送的申请人证件与本平台已有的不一致，不能更换办件的申请人。")
    changed = {}
    wanted = {"subject": data.get("subject") or case.subject, "applicant_name": applicant["name"],
              "contact_name": applicant.get("contact_name"), "contact_phone": applicant.get("phone"),
              "address": applicant.get("address")}
    for name, value in wanted.items():
        if getattr(case, name) != value:
            changed[name] = value
            setattr(case, name, value)
    external = dict((case.data or {}).get("external") or {})
    extra = {"accepted_by": data.get("accepted_by"), "materials": data.get("materials") or [],
             "promised_days": data.get("promised_days")}
    for key, value in extra.items():
        if external.get(key) != value and value not in (None, []):
            changed[key] = value
            external[key] = value
    if changed:
        case.data = {**(case.data or {}), "external": external}
        if events:  # a new case: its first event says it all
            return
        events.append(("external_update", None, {"fields": sorted(changed)}))


def _clock(session: Session, calendar, case: Case, data: dict) -> None:
    """The case's period by the same rule as our own cases (engine.legaltime): from receipt when the
    item's law says so, else from acceptance; 承诺时限 as reported, else the item's."""
    promised = data.get("promised_days")
    if promised is not None:
        case.limit_days = promised
    version = case.item_version
    if version.clock_start == "receipt":
        legaltime.start_clock(case, clock.local_date(case.received_at), "receipt")
    elif case.accepted_at is not None:
        legaltime.start_clock(case, clock.local_date(case.accepted_at), "acceptance")
    legaltime.refresh_case(session, calendar, case)


def _new_task(session: Session, case: Case, step: dict, calendar, now: datetime) -> CaseTask:
    dept_id = case.department_id
    if step.get("department"):
        dept_id = session.scalars(select(Department.id).where(Department.code == step["department"])).first() or dept_id
    row = CaseTask(case_id=case.id, spiff_id=step["id"], step_id=step["code"], step_name=step["name"],
                   post_code=step.get("post") or "external", department_id=dept_id, state="ready",
                   created_at=step["started_at"], time_limit=step.get("time_limit") or 0, limit_unit=case.limit_unit,
                   form_data={"handler": step.get("handler")} if step.get("handler") else {}, reported_at=now)
    if step.get("time_limit") is not None:
        legaltime.refresh_task(calendar, row, [])
    if step.get("completed_at") is not None:
        _complete(row, step, now)
    session.add(row)
    return row


def _complete(row: CaseTask, step: dict, now: datetime) -> None:
    row.state, row.completed_at, row.reported_at = "completed", step["completed_at"], now
    row.opinion, row.approved, row.reason = step.get("opinion"), step.get("approved"), step.get("reason")
    if step.get("handler"):
        row.form_data = {**(row.form_data or {}), "handler": step["handler"]}


def _differs(row: CaseTask, step: dict) -> bool:
    return (row.completed_at != step["completed_at"] or (row.opinion or None) != (step.get("opinion") or None)
            or row.approved != step.get("approved") or (row.reason or None) != (step.get("reason") or None))


def _step_detail(row: CaseTask) -> dict:
    detail = {"step": row.step_name, "post": row.post_code, "started_at": row.created_at,
              "happened_at": row.completed_at or row.created_at}
    if row.form_data.get("handler"):
        detail["handler"] = row.form_data["handler"]
    if row.state == "completed":
        detail.update(opinion=row.opinion, approved=row.approved, completed_at=row.completed_at)
        if row.reason:
            detail["reason"] = row.reason
    return {k: v for k, v in detail.items() if v is not None}


def external_view(session: Session, case: Case) -> dict:
    """What Sunhall holds for an external case, as the API returns it."""
    tasks = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.created_at,
                                                                                           CaseTask.id))
    return {
        "number": case.number, "external_id": case.external_id, "system": case.source,
        "system_name": system_name(case), "item_code": case.item.code,
        "state": case.state, "state_name": CASE_STATES.get(case.state, case.state), "result": case.result,
        "received_at": case.received_at, "accepted_at": case.accepted_at, "finished_at": case.finished_at,
        "deadline": case.deadline, "reported_at": case.reported_at,
        "steps": [{"id": t.spiff_id, "code": t.step_id, "name": t.step_name, "state": t.state,
                   "started_at": t.created_at, "completed_at": t.completed_at, "due_date": t.due_date,
                   "reported_at": t.reported_at} for t in tasks],
    }
