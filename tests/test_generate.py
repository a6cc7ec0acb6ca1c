"""bench/generate.py: its cases pass ``audit verify``, their open steps reach the clerks' worklists,
and the engine completes them like any other; ``audit verify`` narrows to a department or period."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import audit
from engine.models import Case, CaseEvent, CaseTask, Department, User
from engine.service import complete_task
from engine.service.worklist import Filters, task_list
from webapp.cli import main

from .conftest import clean_cases

GENERATOR = Path(__file__).resolve().parents[1] / "bench" / "generate.py"


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture
def generated(generate, database):
    stats = generate.generate(database, 300, 20, workers=1)
    yield stats
    clean_cases(database)
    try:
        from rules import rollups
    except ImportError:
        return
    with database.transaction() as s:
        rollups.rebuild(s)  # the rollups of no cases: none left for the next test


def test_generated_cases_verify_show_in_worklists_and_complete(generated, database, monkeypatch):
    assert generated["cases"] == 300
    with database.transaction(write=False) as s:
        departments = s.scalar(select(func.count(func.distinct(Case.department_id))))
        assert generated["open"] == 20 * departments == s.scalar(
            select(func.count()).where(Case.state.not_in(("finished", "rejected", "withdrawn"))))
        assert s.scalar(select(func.count()).where(Case.event_count != select(func.count()).where(
            CaseEvent.case_id == Case.id).scalar_subquery())) == 0
        numbers = list(s.scalars(select(Case.number)))
        assert len(set(numbers)) == 300 and all(len(n) == 19 and n.startswith("530930") for n in numbers)
        assert audit.verify(s) == []
        assert generated["ready_tasks"] >= generated["open"] - generated["paused"]

        clerk = s.scalars(select(User).where(User.staff_no == "sc001")).one()
        rows, total = task_list(s, clerk, "todo", Filters())
        ready = s.scalar(select(func.count()).select_from(CaseTask).where(
            CaseTask.state == "ready", CaseTask.post_code == "window", CaseTask.department_id == clerk.department_id,
            CaseTask.assignee_id.is_(None)))
        assert total == ready > 0 and rows

        task = s.scalars(select(CaseTask).join(Case, Case.id == CaseTask.case_id).where(
            CaseTask.state == "ready", CaseTask.step_id == "review", Case.pause_kind.is_(None)).order_by(CaseTask.id)).first()
        holder = next(u for u in s.scalars(select(User)) if u.holds(task.post_code, task.department_id))
        task_id, case_id, events = task.id, task.case_id, task.case.event_count
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 0

    with database.transaction() as s:
        complete_task(s, task_id, s.get(User, holder.id), opinion="同意。", approved=True)
    with database.transaction(write=False) as s:
        assert s.get(CaseTask, task_id).state == "completed"
        assert s.get(Case, case_id).event_count > events
        assert audit.verify(s) == []
        market = s.scalars(select(Department).where(Department.code == "scjgj")).one()
        assert s.scalar(select(func.count()).where(Case.department_id == market.id)) < 300
