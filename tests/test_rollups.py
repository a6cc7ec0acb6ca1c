"""Statistics rollups (rules/rollups.py): kept on each transition of the demo history (corrections,
returns, refusals, withdrawals, external reports), the reports read from them give exactly what the
direct computation over the cases gives, and a rebuild in SQL finds the same rows."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from engine import clock
from engine.models.stats import StatCaseMonth, StatStepMonth
from rules import reports, rollups
from webapp.demo.history import load_history


@pytest.fixture
def history(database):
    with database.transaction() as s:  # rollups another test left behind with its cases
        s.execute(delete(StatCaseMonth))
        s.execute(delete(StatStepMonth))
    made = load_history(database, count=60, seed=5)
    yield made
    with database.transaction() as s:
        s.execute(delete(StatCaseMonth))
        s.execute(delete(StatStepMonth))


def _figures(rows):
    return [(dataclasses.asdict(r) | {"days": None, "days_total": None, "days_count": None,
                                      "average_days": r.average_days, "grade": r.grade}) for r in rows]


def _periods():
    today = clock.today()
    year = today.year
    yield date(year - 1, 1, 1), date(year + 1, 1, 1)
    yield from ((reports.parse_period(p)[:2]) for p in (str(year), f"{year}Q{(today.month - 1) // 3 + 1}",
                                                          f"{today:%Y-%m}", str(year - 1)))
    yield today - timedelta(days=200), today - timedelta(days=17)  # ragged edges: read directly
    yield today - timedelta(days=10), today + timedelta(days=3)  # inside one month


def _rows(session, model):
    columns = [c for c in model.__table__.columns]
    return sorted(tuple(r) for r in session.execute(select(*columns)) if any(
        v for k, v in zip(columns, r) if k.name not in ("month", "department_id", "item_id", "external", "step_id",
                                                          "post_code", "step_name")))


def test_reports_from_rollups_equal_the_direct_computation(database, history):
    assert history > 30
    with database.transaction(write=False) as s:
        assert s.scalar(select(StatCaseMonth.cases).limit(1)) is not None, "no rollups were kept"
        for start, end in _periods():
            for origin in ("all", "own", "external"):
                assert _figures(reports.performance_by_department(s, start, end, origin)) == _figures(
                    reports.performance_by_department(s, start, end, origin, direct=True)), (start, end, origin)
                for by in ("step", "post"):
                    assert _figures(reports.performance_by_step(s, start, end, by, origin)) == _figures(
                        reports.performance_by_step(s, start, end, by, origin, direct=True)), (start, end, by, origin)
        summary = reports.performance_by_department(s, date(2000, 1, 1), date(2100, 1, 1))
        assert sum(r.returned for r in summary) and sum(r.finished for r in summary) and sum(r.external for r in summary)


def test_rebuild_finds_the_rows_the_transitions_kept(database, history):
    with database.transaction(write=False) as s:
        kept = {m: _rows(s, m) for m in (StatCaseMonth, StatStepMonth)}
        dashboard = reports.dashboard(s)
    assert kept[StatCaseMonth] and kept[StatStepMonth]
    with database.transaction() as s:
        s.execute(delete(StatCaseMonth))
        written = rollups.rebuild(s)
    assert written["case_rows"] and written["step_rows"]
    with database.transaction(write=False) as s:
        assert {m: _rows(s, m) for m in (StatCaseMonth, StatStepMonth)} == kept
        assert reports.dashboard(s) == dashboard and dashboard["open_cases"] > 0
