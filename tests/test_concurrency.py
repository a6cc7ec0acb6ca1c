"""Two completions of the same task at the same moment: one wins, the other gets a conflict."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from engine.errors import Conflict
from engine.models import CaseEvent, CaseTask, User
from engine.service import complete_task, start_case

from .conftest import As
from .helpers import get_case, task_id


def test_same_task_completed_twice_at_once(run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"))
    version = get_case(database, case.id).version
    tid = task_id(database, case.id, "accept")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(staff_no):
        try:
            barrier.wait(10)  # both start together; on SQLite the second waits for the writer lock
            with database.transaction() as s:
                actor = s.scalars(select(User).where(User.staff_no == staff_no)).one()
                complete_task(s, tid, actor, opinion="同意受理", approved=True, expected_version=version)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(f"conflict:{exc.code}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("sc001", "sc002")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes)[0] == "conflict:stale_case" and sorted(outcomes)[1] == "ok", outcomes
    with database.transaction(write=False) as s:
        completions = s.scalar(select(func.count()).select_from(CaseTask)
                               .where(CaseTask.case_id == case.id, CaseTask.state == "completed"))
        events = s.scalar(select(func.count()).select_from(CaseEvent)
                          .where(CaseEvent.case_id == case.id, CaseEvent.action == "complete"))
    assert completions == 1 and events == 1
