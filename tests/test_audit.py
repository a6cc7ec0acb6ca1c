"""`sunhall audit verify` finds edited and deleted event rows."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import delete, select, update

from engine import audit
from engine.models import Case, CaseEvent
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


def _two_cases(run, database, frozen_clock, company):
    """A 食品经营许可 (市场监督管理局) received in September and a 公共场所卫生许可 (卫生健康局)
    received in October, whose second event is then edited."""
    food = run(start_case, "015309300002", company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, food.id, As("sc001"), "accept")
    frozen_clock.travel(frozen_clock.now() + timedelta(days=14))
    hygiene = run(start_case, "015309300003", company, As("ws001"))
    do(run, database, hygiene.id, As("ws001"), "accept")
    with database.transaction() as s:
        s.execute(update(CaseEvent).where(CaseEvent.case_id == hygiene.id, CaseEvent.seq == 2).values(reason="改过"))
    return food, hygiene


def test_verify_one_department_or_period(run, database, frozen_clock, company, monkeypatch):
    food, hygiene = _two_cases(run, database, frozen_clock, company)
    with database.transaction(write=False) as s:
        market = s.scalar(select(Case.department_id).where(Case.id == food.id))
        assert audit.verify(s, department_ids=[market]) == []
        assert [f.case_number for f in audit.verify(s)] == [hygiene.number]
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    cli = CliRunner()
    for args, code, words in ((["--department", "scjgj"], 0, "阳光县市场监督管理局的 1 件"),
                              (["--department", "阳光县卫生健康局"], 1, "第 2 条"),
                              (["--from", "2026-09-01", "--to", "2026-09-30"], 0, "2026-09-01 至 2026-09-30 收件的 1 件"),
                              (["--from", "2026-10-01"], 1, "2026-10-01 至 今天 收件的 1 件"),
                              (["--to", "2026-09-28", "--department", "wsjkj"], 0, "的 0 件"),
                              (["--workers", "2"], 1, "第 2 条")):
        out = cli.invoke(main, ["audit", "verify", *args])
        assert out.exit_code == code and words in out.output, (args, out.output)
    for args, words in ((["--department", "nope"], "没有代码或名称为“nope”的部门"),
                        (["--from", "2026-02-30"], "日期格式错误"),
                        (["--from", "2026-10-01", "--to", "2026-09-01"], "不能晚于"),
                        (["--workers", "0"], "参数 --workers 的值无效")):
        out = cli.invoke(main, ["audit", "verify", *args])
        assert out.exit_code == 2 and words in out.output and "Traceback" not in out.output, (args, out.output)


def test_the_quick_digest_agrees_and_a_float_it_writes_otherwise_is_still_verified():
    """verify hashes with orjson and re-checks a mismatch with the standard library before reporting it."""
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from engine.audit import _digest, _quick_digest, _verify_case

    def event(seq, prev, after):
        ev = SimpleNamespace(case_id=7, seq=seq, at=datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc), actor_id=3,
                             actor_name="张三", action="complete", task_id=None, step_id="s1", reason=None,
                             before={}, after=after, detail={"意见": "同意", "列表": [1, None, True, "二"]}, prev_hash=prev)
        ev.hash = _digest(ev)
        return ev

    plain = event(1, "", {"金额": 12, "名称": "某某公司", "z": {"b": 1, "a": [False]}})
    assert _quick_digest(plain) == plain.hash
    odd = event(2, plain.hash, {"面积": 1e-7, "比例": 0.1})
    assert _quick_digest(odd) != odd.hash  # orjson writes 1e-7, the chain was written with 1e-07
    case = SimpleNamespace(number="530930202612310001", event_count=2, last_event_hash=odd.hash)
    assert _verify_case(case, [plain, odd]) == []
    odd.after = {"面积": 2e-7, "比例": 0.1}
    assert [f.seq for f in _verify_case(case, [plain, odd])] == [2]
