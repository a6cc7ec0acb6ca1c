"""BPMN timers: the engine has no clock of its own; the scheduler calls these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, runtime
from ..models import Case
from . import common


def due_timer_cases(session: Session, now: datetime, limit: int = 200) -> list[int]:
    return list(session.scalars(select(Case.id).where(Case.next_timer_at <= now, Case.state.in_(("received", "accepted")))
                                .order_by(Case.next_timer_at).limit(limit)))


def fire_due_timers(session: Session, case_id: int) -> bool:
    """Refresh one case's timers; returns True when something fired."""
    loaded = common.open_case(session, case_id)
    case = loaded.case
    now = clock.now()
    if not case.is_open or case.next_timer_at is None or case.next_timer_at > now:
        return False
    before = runtime.dump_state(loaded.workflow)
    loaded.workflow.refresh_timers()
    runtime.run_engine(loaded.workflow, common.settings_of(session).max_loops)
    new_tasks = common.sync(loaded, None, now)
    finished = common.finish_if_done(loaded, None, now)
    if case.workflow_state == before and not new_tasks:
        return False
    common.emit(loaded, None, "timer", new_tasks=new_tasks, now=now,
                detail={"new_steps": [t.step_name for t in new_tasks]})
    if finished:
        common.emit(loaded, None, "finish", detail={"result": case.result}, now=now)
    return True
