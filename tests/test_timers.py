"""BPMN timers fire from the scheduler's tick (time travel through engine.clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine import clock, scheduler
from engine.models import Case, CaseEvent
from engine.service import start_case

from .conftest import As
from .helpers import do, events, get_case, open_steps

FOOD = "015309300002"


def test_review_reminder_fires_on_the_tick_and_only_when_due(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    c = get_case(database, case.id)
    assert c.next_timer_at == clock.now() + timedelta(days=3)  # P3D reminder on 材料审查
    assert scheduler.tick(database) == 0  # nothing due yet: nothing happens
    clock.travel(clock.now() + timedelta(days=3, minutes=1))
    assert scheduler.tick(database) == 1
    c = get_case(database, case.id)
    assert c.next_timer_at is None and events(database, case.id)[-1] == "timer"
    assert open_steps(database, case.id) == ["review"]  # non-interrupting: the step is still there
    assert scheduler.tick(database) == 0  # fired once, not again
    do(run, database, case.id, As("sc003"), "review")
    assert open_steps(database, case.id) == ["inspect"]


def test_only_one_scheduler_holds_the_lease(database, frozen_clock):
    now = scheduler.wall_now()  # the lease is kept in real time, not the engine's (frozen) clock
    assert scheduler.acquire_lease(database, "host-a:1", now=now)
    assert not scheduler.acquire_lease(database, "host-b:2", now=now)
    assert scheduler.acquire_lease(database, "host-a:1", now=now)  # renew
    now += timedelta(minutes=5)  # host-a died: its lease ran out
    assert scheduler.acquire_lease(database, "host-b:2", now=now)
    scheduler.release_lease(database, "host-b:2")
    assert scheduler.acquire_lease(database, "host-a:1", now=now)


def test_tick_reads_only_due_cases(run, database, frozen_clock, company):
    first = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, first.id, As("sc001"), "accept")
    clock.travel(datetime(2026, 9, 29, 9, 0, tzinfo=clock.LOCAL_TZ))
    second = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, second.id, As("sc001"), "accept")
    clock.travel(datetime(2026, 10, 1, 9, 30, tzinfo=clock.LOCAL_TZ))  # only the first is due
    assert scheduler.tick(database) == 1
    with database.transaction(write=False) as s:
        fired = set(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "timer")))
        assert fired == {first.id}
        assert s.get(Case, second.id).next_timer_at is not None
