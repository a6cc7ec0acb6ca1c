"""`sunhall audit verify` finds edited and deleted event rows."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import delete, select, update

from engine import audit
from engine.models import CaseEvent
from engine.service import start_case
from webapp.cli import main

from .conftest import As
from .helpers import do


def _findings(database):
    with database.transaction(write=False) as s:
        return [str(f) for f in audit.verify(s)]


def test_intact_chain_verifies(run, database, frozen_clock, company, monkeypatch):
    case = run(start_case, "015309300002", company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    assert _findings(database) == []
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    out = CliRunner().invoke(main, ["audit", "verify"])
    assert out.exit_code == 0, out.output


def test_edited_and_deleted_rows_are_reported(run, database, frozen_clock, company, monkeypatch):
    case = run(start_case, "015309300002", company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    do(run, database, case.id, As("sc003"), "review")
    with database.transaction() as s:
        s.execute(update(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == 3)
                  .values(reason="改过的意见"))
    findings = _findings(database)
    assert any("第 3 条" in f and "修改" in f for f in findings), findings
    with database.transaction() as s:
        s.execute(delete(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == 2))
    findings = _findings(database)
    assert any("缺少第 2" in f for f in findings), findings
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    out = CliRunner().invoke(main, ["audit", "verify"])
    assert out.exit_code == 1 and "修改" in out.output and "删除" in out.output


def test_deleting_the_last_row_is_reported(run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    with database.transaction() as s:
        last = s.scalar(select(CaseEvent.seq).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc()))
        s.execute(delete(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == last))
    assert any("末尾" in f for f in _findings(database))
