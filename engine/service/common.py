"""What every case command shares: load a case with its running workflow (row-locked), keep the
task rows in step with the workflow, compute deadlines, record the event, notify listeners and
save — all inside the caller's transaction (services only flush)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, event, select
from sqlalchemy import inspect as inspect_row
from sqlalchemy.orm import Session, make_transient_to_detached

from .. import audit, clock, legaltime, listeners, rawsql, runtime
from ..calendar import WorkCalendar, load_calendar
from ..config import Settings
from ..errors import (
    InvalidInput,
    InvalidState,
    LoopLimitExceeded,
    NotFound,
    PermissionDenied,
    StaleCase,
)
from ..models import Case, CasePause, CaseTask, Department, ProcessDefinition, User
from ..models.cases import CASE_STATES, PAUSE_KINDS


def settings_of(session: Session) -> Settings:
    return session.info.get("settings") or Settings.from_env()


def script_engine(session: Session, calendar: WorkCalendar):
    return runtime.SunhallScriptEngine(calendar, settings_of(session).expression_timeout)


def specs_for(session: Session, definition_id: int):
    hit = runtime.spec_cache.peek(definition_id)
    if hit is not None:
        return hit
    definition = session.get(ProcessDefinition, definition_id)
    return runtime.spec_cache.get(definition.id, definition.process_key, definition.bpmn_xml,
                                  settings_of(session).bpmn_max_bytes)


_process_keys: dict[tuple[str, int], str] = {}


def process_key(session: Session, definition_id: int) -> str:
    """The process key of a definition version (a version never changes it): read once per version
    and database, so that a listener can tell its own flows' cases from the others without a query."""
    key = (str(session.get_bind().url), definition_id)
    hit = _process_keys.get(key)
    if hit is None:
        hit = _process_keys[key] = session.scalar(
            select(ProcessDefinition.process_key).where(ProcessDefinition.id == definition_id))
    return hit


@dataclass
class Loaded:
    """A case opened for one command."""

    session: Session
    case: Case
    workflow: object
    calendar: WorkCalendar
    open_tasks: list[CaseTask]
    snapshot: dict = field(default_factory=dict)
    rows: list[CaseTask] = field(default_factory=list)  # every task row the command may change (see write_rows)

    def __post_init__(self):
        self.rows = list(self.open_tasks)

    def task_for(self, task_id: int) -> CaseTask:
        require_open(self.case)
        for task in self.open_tasks:
            if task.id == task_id:
                return task
        raise StaleCase(STEP_GONE)


STEP_GONE = "该环节已办理或已被退回，请刷新后查看办件的最新状态。"


# statements of the hot path, built once: constructing SQLAlchemy expressions costs more than running them
_CASE = select(Case).where(Case.id == bindparam("case_id"))
_CASE_OF_TASK = select(Case).join(CaseTask, CaseTask.case_id == Case.id).where(CaseTask.id == bindparam("task_id"))
_OPEN_TASKS = (select(CaseTask).where(CaseTask.case_id == bindparam("case_id"), CaseTask.state == "ready")
               .order_by(CaseTask.id).execution_options(populate_existing=True))


def _locked(session: Session, stmt, of=None):
    """The statement row-locked on PostgreSQL, re-reading what the session may already hold."""
    pg = session.get_bind().dialect.name == "postgresql"
    if pg:
        stmt = stmt.with_for_update(of=of) if of is not None else stmt.with_for_update()
    if session.identity_map:
        stmt = stmt.execution_options(populate_existing=True)
    return stmt


def _lock_case(session: Session, case_id: int) -> Case | None:
    return session.scalars(_locked(session, _CASE), {"case_id": case_id}).first()


def lock_case(session: Session, case_id: int) -> Case | None:
    """The session's own row of a case, locked on PostgreSQL, after flushing what the session holds
    (so nothing unflushed is overwritten): for appending to the case's chain outside a command."""
    session.flush()
    return _lock_case(session, case_id)


def lock_case_of_task(session: Session, task_id: int) -> Case | None:
    """The case a task belongs to, locked like :func:`_lock_case`, in one query."""
    return session.scalars(_locked(session, _CASE_OF_TASK, Case), {"task_id": task_id}).first()


def open_case(session: Session, case_id: int, expected_version: int | None = None, case: Case | None = None) -> Loaded:
    case = case or _lock_case(session, case_id)
    if case is None:
        raise NotFound(f"办件 {case_id} 不存在。")
    require_own(case)
    if expected_version is not None and case.version != expected_version:
        raise StaleCase("办件已被他人更新（页面上的信息已过期），请刷新后重试。",
                        expected=expected_version, actual=case.version)
    calendar = load_calendar(session)
    engine = script_engine(session, calendar)
    workflow = runtime.live_workflows.take(case.id, case.version)
    if workflow is None:
        workflow = runtime.load_state(case.workflow_state, case.serializer_version,
                                      specs_for(session, case.definition_id), engine)
    else:
        workflow.script_engine = engine
    remember_after_commit(session, case, workflow)
    with session.no_autoflush:
        tasks = list(session.scalars(_OPEN_TASKS, {"case_id": case.id}))
    loaded = Loaded(session, case, workflow, calendar, tasks)
    loaded.snapshot = snapshot(case, tasks)
    return loaded


def require_own(case: Case) -> None:
    """An external case (外部系统报送) is worked in its department's own system and only changed by its
    reports (engine.exchange): every generic command refuses it here, in one place."""
    if case.source:
        from ..exchange.report import system_label  # the exchange builds on this module
        raise InvalidState(f"办件 {case.number} 由外部系统（{system_label(case)}）报送，只能由该系统报送更新，"
                           "不能在本平台办理。")


def remember_after_commit(session: Session, case: Case, workflow) -> None:
    session.info.setdefault("live_workflows", {})[case.id] = (case, workflow)


@event.listens_for(Session, "after_commit")
def _keep_live_workflows(session: Session) -> None:
    for case_id, (case, workflow) in session.info.pop("live_workflows", {}).items():
        runtime.live_workflows.put(case_id, case.version, workflow)


@event.listens_for(Session, "after_rollback")
def _drop_live_workflows(session: Session) -> None:
    session.info.pop("live_workflows", None)


def snapshot(case: Case, tasks: list[CaseTask]) -> dict:
    return {"state": case.state, "pause": case.pause_kind, "deadline": case.deadline,
            "steps": sorted(t.step_id for t in tasks if t.state == "ready")}


def require_open(case: Case) -> None:
    if not case.is_open:
        raise InvalidState(f"办件已{_state_name(case.state)}，不能再办理。")


def open_pause(session: Session, case: Case) -> CasePause | None:
    with session.no_autoflush:
        return session.scalars(select(CasePause).where(CasePause.case_id == case.id, CasePause.ended_at.is_(None))
                               .order_by(CasePause.id.desc())).first()


def require_running(case: Case, loaded: Loaded | None = None, task: CaseTask | None = None) -> None:
    """The case is open and its clock runs — except that a special-procedure step may be worked
    while its own automatic pause lasts."""
    require_open(case)
    if case.pause_kind and loaded is not None and task is not None and case.pause_kind == "special":
        pause = open_pause(loaded.session, case)
        if pause is not None and pause.expected_days is None and pause.step_id == task.step_id:
            return
    if case.pause_kind:
        raise InvalidState(f"办件处于“{PAUSE_KINDS[case.pause_kind]}”暂停中，请先恢复办理。")


def running_for(session: Session, case: Case, task: CaseTask) -> bool:
    """Whether the step can be completed now (the page offers 完成 only then)."""
    if not case.is_open:
        return False
    if not case.pause_kind:
        return True
    pause = open_pause(session, case) if case.pause_kind == "special" else None
    return pause is not None and pause.expected_days is None and pause.step_id == task.step_id


def _state_name(state: str) -> str:
    return CASE_STATES.get(state, state)


def require_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise InvalidInput(f"{what}必须填写理由。", field="reason")
    return reason.strip()


def can_work(actor: User, task: CaseTask) -> bool:
    if task.assignee_id is not None:
        return task.assignee_id == actor.id
    return actor.holds(task.post_code, task.department_id)


def require_can_work(actor: User, task: CaseTask) -> None:
    if task.assignee_id is not None and task.assignee_id != actor.id:
        raise PermissionDenied(f"“{task.step_name}”已由其他人签收，您不能办理。")
    if not actor.holds(task.post_code, task.department_id) and task.assignee_id != actor.id:
        raise PermissionDenied(f"您没有“{task.step_name}”所需的岗位，不能办理此环节。")


def require_handler(loaded: Loaded, actor: User) -> CaseTask:
    """The actor must be able to work one of the case's current steps; returns that step."""
    for task in loaded.open_tasks:
        if can_work(actor, task):
            return task
    raise PermissionDenied("您不是此办件当前环节的办理人，不能进行此操作。")


def step_config(session: Session, case: Case, step_id: str):
    """The flow chart's configuration of a step (post, form, field access …) for this case's version."""
    spec, _ = specs_for(session, case.definition_id)
    task_spec = spec.task_specs[step_id]
    if not hasattr(task_spec, "step") and hasattr(task_spec, "task_spec"):
        task_spec = spec.task_specs[task_spec.task_spec]  # a multi-instance step: its instances' spec
    return task_spec.step


# --- deadlines (one rule: engine.legaltime) --------------------------------------------------------

def pauses_of(session: Session, case: Case) -> list[CasePause]:
    with session.no_autoflush:
        return list(session.scalars(select(CasePause).where(CasePause.case_id == case.id)))


def refresh_deadlines(loaded: Loaded) -> None:
    """Recompute the case deadline and the open steps' due dates from the case's facts."""
    session, case = loaded.session, loaded.case
    legaltime.refresh_case(session, loaded.calendar, case)
    pauses = pauses_of(session, case)
    for task in loaded.open_tasks:
        legaltime.refresh_task(loaded.calendar, task, pauses)


# --- keeping task rows in step with the workflow -----------------------------------------------

def sync(loaded: Loaded, actor: User | None, now: datetime | None = None) -> list[CaseTask]:
    """Create rows for newly ready user tasks, cancel rows whose task vanished, save the state.
    Returns the new task rows."""
    session, case, wf = loaded.session, loaded.case, loaded.workflow
    now = now or clock.now()
    settings = settings_of(session)
    runtime.prune_event_manager(wf)
    ready = {str(t.id): t for t in runtime.ready_user_tasks(wf)}
    known = {t.spiff_id: t for t in loaded.open_tasks}
    for spiff_id, row in known.items():
        if spiff_id not in ready and row.state == "ready":
            row.state = "cancelled"
            end_special_pause(loaded, row, actor, now)
    new_rows = []
    fresh = [t for sid, t in ready.items() if sid not in known]
    if fresh:
        visits = dict(case.step_visits or {})
        names = {t.task_spec.bpmn_id: t.task_spec.bpmn_name for t in fresh}
        for step_id in names:  # the instances of a multi-instance step (会签, 交办) are one visit
            visits[step_id] = visits.get(step_id, 0) + 1
            if visits[step_id] - 1 > case.loop_count:  # how often the case came back to its most revisited step
                case.loop_count = visits[step_id] - 1
                if case.loop_count > settings.max_loops:
                    raise LoopLimitExceeded(
                        f"办件已第 {case.loop_count} 次回到“{names[step_id] or step_id}”，"
                        f"超过上限 {settings.max_loops} 次，已停止；请联系流程管理员处理。")
        for spiff_task in fresh:
            step = spiff_task.task_spec.step
            row = CaseTask(
                case_id=case.id, spiff_id=str(spiff_task.id), step_id=spiff_task.task_spec.bpmn_id,
                step_name=spiff_task.task_spec.bpmn_name or spiff_task.task_spec.bpmn_id,
                post_code=step.post, department_id=_department_for(session, case, step.department, spiff_task.data),
                state="ready", created_at=now, time_limit=step.time_limit or 0, limit_unit=step.time_unit,
            )
            legaltime.refresh_task(loaded.calendar, row, [])
            if step.assignee:
                assignee = session.scalars(select(User).where(User.staff_no == step.assignee)).first()
                if assignee is not None:
                    row.assignee_id, row.claimed_at = assignee.id, now
            session.add(row)
            new_rows.append(row)
        case.step_visits = visits
        loaded.open_tasks.extend(new_rows)
        loaded.rows.extend(new_rows)
        for row in new_rows:
            step = ready[row.spiff_id].task_spec.step
            if step.special_procedure and not case.pause_kind:
                start_pause(loaded, "special", f"{row.step_name}（{step.special_procedure}，时间不计入办理时限）",
                            actor, now, step_id=row.step_id)
    loaded.open_tasks = [t for t in loaded.open_tasks if t.state == "ready"]
    save_state(loaded)
    return new_rows


def save_state(loaded: Loaded) -> None:
    case, wf = loaded.case, loaded.workflow
    case.workflow_state = runtime.dump_state(wf)
    case.serializer_version = runtime.SERIALIZER_VERSION
    case.next_timer_at = runtime.next_timer_at(wf)


_dept_cache: dict[tuple[str, str], int] = {}


def _department_for(session: Session, case: Case, code: str | None, task_data: dict | None = None) -> int:
    """The department of a step: the item's, a fixed one, or one named by the case's data
    (``data:supervised_department``, as the 督办 flow routes 签收 to the supervised unit); an
    instance of a multi-instance step reads its own element first (``data:body``, one per body)."""
    if not code:
        return case.department_id
    if code.startswith("data:"):
        name = code[5:]
        code = str((task_data or {}).get(name) or (case.data or {}).get(name, ""))
        if not code:
            raise InvalidState("办件数据中没有指定办理部门，无法确定该环节的办理部门。")
    key = (str(session.get_bind().url), code)
    if key not in _dept_cache:
        dept_id = session.scalars(select(Department.id).where(Department.code == code)).first()
        if dept_id is None:
            raise InvalidState(f"流程图指定的办理部门 {code} 不存在。")
        _dept_cache[key] = dept_id
    return _dept_cache[key]


# --- pauses (the one mechanism for 补正, 特别程序 and 退回申请人) ---------------------------------

def start_pause(loaded: Loaded, kind: str, reason: str, actor: User | None, now: datetime, *,
                expected_days: int | None = None, missing: list | None = None, step_id: str | None = None,
                stops_clock: bool = True, due_date=None) -> CasePause:
    """Record a pause. One that stops the clock holds the case (``pause_kind``) until it ends; one
    that does not (补正 after acceptance without a legal basis) is only recorded, and work goes on."""
    case = loaded.case
    if case.pause_kind or open_pause(loaded.session, case) is not None:
        raise InvalidState("办件已处于暂停或补正状态。")
    pause = CasePause(case_id=case.id, kind=kind, reason=reason, expected_days=expected_days,
                      missing_materials=missing or [], step_id=step_id, started_at=now,
                      started_by_id=actor.id if actor else None, stops_clock=stops_clock, due_date=due_date,
                      provisional=bool(due_date and loaded.calendar.provisional_years(clock.local_date(now), due_date)))
    loaded.session.add(pause)
    if stops_clock:
        case.pause_kind = kind
    return pause


def end_pause(loaded: Loaded, actor: User | None, now: datetime) -> CasePause:
    """End the open pause. The paused days count in the case's unit, whatever the year (a year not
    yet entered counts provisionally); a 补正 of a request whose period runs from receipt restarts
    the period at the corrected request (政府信息公开条例 art. 30)."""
    session, case = loaded.session, loaded.case
    pause = open_pause(session, case)
    if pause is None:
        raise InvalidState("办件没有处于暂停状态。")
    pause.ended_at, pause.ended_by_id = now, actor.id if actor else None
    start_day, end_day = clock.local_date(pause.started_at), clock.local_date(now)
    restart = pause.kind == "correction" and case.clock_basis in ("receipt", "corrected_receipt")
    days = loaded.calendar.period_between(start_day, end_day, case.limit_unit) if pause.stops_clock else 0
    pause.paused_days = days
    pause.provisional = bool(loaded.calendar.provisional_years(start_day, end_day))
    if case.clock_start is not None and not restart:  # a pause before the period began does not move it
        case.paused_days += loaded.calendar.period_between(max(start_day, case.clock_start), end_day, case.limit_unit) \
            if pause.stops_clock and end_day > case.clock_start else 0
    if pause.stops_clock:
        case.pause_kind = None
    if restart:
        legaltime.start_clock(case, end_day, "corrected_receipt")
    refresh_deadlines(loaded)
    return pause


def end_special_pause(loaded: Loaded, row: CaseTask, actor: User | None, now: datetime) -> None:
    """A special-procedure step's pause ends when the step is done (or cancelled)."""
    if loaded.case.pause_kind != "special":
        return
    pause = open_pause(loaded.session, loaded.case)
    if pause is not None and pause.expected_days is None and pause.step_id == row.step_id:
        end_pause(loaded, actor, now)


# --- finishing and recording ---------------------------------------------------------------------

def finish_if_done(loaded: Loaded, actor: User | None, now: datetime) -> bool:
    wf, case = loaded.workflow, loaded.case
    if not wf.is_completed() or case.state == "finished":
        return False
    end_name = runtime.reached_end_name(wf)
    case.result = str(wf.data.get("result") or end_name or "办结")
    case.state, case.finished_at = "finished", now
    if case.accepted_at is None:
        case.accepted_at, case.accepted_by_id = now, actor.id if actor else None
    return True


def emit(loaded: Loaded, actor: User | None, action: str, *, task: CaseTask | None = None, reason: str | None = None,
         detail: dict | None = None, new_tasks: list[CaseTask] | None = None, data: dict | None = None,
         now: datetime | None = None) -> None:
    """Record the event, flush, then let listeners judge the transition (they may abort it)."""
    session, case = loaded.session, loaded.case
    after = snapshot(case, loaded.open_tasks)
    with session.no_autoflush:
        audit.record(session, case, actor, action, task=task, reason=reason, before=loaded.snapshot, after=after,
                     detail=detail, at=now)
    write_rows(loaded)
    session.flush()
    listeners.notify(listeners.Transition(session, case, action, actor, task, new_tasks or [], data or {}, reason,
                                          loaded.snapshot))
    loaded.snapshot = after


# --- writing a command's rows -------------------------------------------------------------------
# The ORM's unit of work costs more than the statements it issues (about 1 ms a flush): the case row
# and its task rows are written with UPDATEs and INSERTs of what changed on the DB-API cursor
# (engine.rawsql), and the ORM objects are then marked clean, so listeners keep working with them
# (anything they change later is flushed by the ORM as before).

_CASE_TABLE, _TASK_TABLE = Case.__table__, CaseTask.__table__
_CASE_COLUMNS = {a.key: a.columns[0].key for a in Case.__mapper__.column_attrs}
_TASK_COLUMNS = {a.key: a.columns[0].key for a in CaseTask.__mapper__.column_attrs}
_TASK_DEFAULTS = {a.key: a.columns[0].default for a in CaseTask.__mapper__.column_attrs if a.key != "id"}


def _task_default(key: str):
    default = _TASK_DEFAULTS[key]
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def _changes(state, columns: dict[str, str]) -> dict | None:
    """{column: value} of what changed on a persistent row, or None when only the ORM can write it
    (a relationship or the version changed by hand)."""
    changed = state.committed_state
    if any(key not in columns or key == "version" for key in changed):
        return None
    return {columns[key]: state.dict[key] for key in changed}


def _mark_clean(session: Session, state) -> None:
    """What the ORM does to an object after flushing it (SQLAlchemy's own, pinned by tests/test_write_path.py)."""
    state._commit_all(state.dict, session.identity_map)


def write_rows(loaded: Loaded) -> None:
    """Write the case row (checking and moving on its version: :class:`StaleCase` when another
    writer changed it) and the command's task rows, then mark them clean. A row that only the ORM
    can write (a case created in this command and not yet flushed, a changed relationship) is left to
    the flush."""
    session, case = loaded.session, loaded.case
    for row in loaded.rows:
        state = inspect_row(row)
        if state.pending and row.id is None:
            session.expunge(row)
            values = {col: row.__dict__[key] if key in row.__dict__ else _task_default(key)
                      for key, col in _TASK_COLUMNS.items() if key != "id"}
            row.id = rawsql.insert_row(session, _TASK_TABLE, values)
            for key, col in _TASK_COLUMNS.items():
                if key not in row.__dict__:
                    setattr(row, key, values[col])
            make_transient_to_detached(row)
            session.add(row)
        elif state.persistent and state.modified:
            values = _changes(state, _TASK_COLUMNS)
            if values is None:
                continue
            if values:
                rawsql.update_row(session, _TASK_TABLE, row.id, values)
            _mark_clean(session, state)
    state = inspect_row(case)
    if not (state.persistent and state.modified):
        return
    values = _changes(state, _CASE_COLUMNS)
    if values is None:
        return
    if values:
        version = case.version
        values["version"] = version + 1
        if rawsql.update_row(session, _CASE_TABLE, case.id, values, version) != 1:
            raise StaleCase("办件已被他人更新，请刷新后重试。")
        state.dict["version"] = version + 1
    _mark_clean(session, state)
