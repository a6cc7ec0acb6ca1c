"""The command write path (engine.service.common.write_rows): the case and task rows written on the
DB-API cursor, the ORM objects then clean. What it writes must be exactly what the database holds
afterwards: a case resumes from its row once the in-memory workflow is gone, the version guards
against a concurrent writer, and listeners read the new steps without a query."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from engine import audit, listeners, runtime
from engine.errors import StaleCase
from engine.models import Case, CaseTask
from engine.service import common, start_case

from .conftest import As
from .helpers import do, get_case, open_steps

FOOD = "015309300002"


def test_a_case_written_by_the_fast_path_resumes_from_the_database(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    with database.transaction(write=False) as s:
        row = s.scalars(select(Case).where(Case.id == case.id)).one()
        state, version = row.workflow_state, row.version
        ready = s.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")).one()
        done = s.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.step_id == "accept")).one()
    # the row holds what the live workflow holds, and the case's clock and steps
    live = runtime.live_workflows.take(case.id, version)
    assert live is not None and runtime.dump_state(live) == state
    assert row.state == "accepted" and row.deadline is not None and row.step_visits == {"accept": 1, "review": 1}
    assert done.state == "completed" and done.completed_by_id is not None and done.form_data == {"approved": True}
    assert ready.step_id == "review" and ready.due_date is not None and ready.spiff_id in state
    # without the in-memory workflow (another process, a restart) the case goes on from its row
    runtime.live_workflows.clear()
    do(run, database, case.id, As("sc003"), "review")
    assert open_steps(database, case.id) == ["inspect"]
    assert get_case(database, case.id).version > version
    with database.transaction(write=False) as s:
        assert audit.verify(s) == []


def test_a_concurrent_change_of_the_case_is_stale(database, frozen_clock, company, run):
    case = run(start_case, FOOD, company, As("sc001"))
    with pytest.raises(StaleCase):
        with database.transaction() as s:
            loaded = common.open_case(s, case.id)
            s.connection().execute(update(Case.__table__).where(Case.__table__.c.id == case.id)
                                   .values(version=Case.__table__.c.version + 1))
            loaded.case.subject = "另一个写入者之后"
            common.write_rows(loaded)
    assert get_case(database, case.id).subject != "另一个写入者之后"


def test_rows_are_clean_after_writing_and_listeners_read_new_steps_without_a_query(run, database, frozen_clock,
                                                                                   company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    seen = []

    def listener(t):
        statements = []
        record = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(t.session.get_bind(), "before_cursor_execute", record)
        try:
            for row in t.new_tasks:
                [getattr(row, c.key) for c in CaseTask.__mapper__.column_attrs]
            seen.append((t.action, [row.id for row in t.new_tasks], statements, set(t.session.dirty)))
        finally:
            event.remove(t.session.get_bind(), "before_cursor_execute", record)

    listeners.register(listener)
    try:
        do(run, database, case.id, As("sc001"), "accept")
    finally:
        listeners.unregister(listener)
    action, ids, statements, dirty = seen[0]
    assert action == "complete" and ids and all(ids) and statements == [] and dirty == set()
    with database.transaction(write=False) as s:
        assert s.get(CaseTask, ids[0]).step_id == "review"


def test_a_plain_completion_opens_no_savepoint_and_reads_no_flow_chart(run, database, frozen_clock, company):
    """With every listener installed, a step that moves no clock and trips no rule: the rules' checks
    and the new step's watches run without a savepoint, and the 在线解答 and 依申请公开 listeners tell
    the case is not theirs without reading its flow chart."""
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    statements = []
    record = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", record)
    try:
        do(run, database, case.id, As("sc003"), "review")
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert open_steps(database, case.id) == ["inspect"]
    assert statements and not [s for s in statements if "SAVEPOINT" in s.upper()]
    assert not [s for s in statements if "process_definition" in s]
