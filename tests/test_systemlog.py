"""The system log: one hash chain for logins, unlocks and administrative changes; an edited,
deleted (middle or end) or re-ordered row is found, also by `sunhall audit verify`; rows from
several processes at once still form one chain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from engine import systemlog
from engine.models import SystemEvent, SystemLogHead, User
from webapp.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def chain(database):
    """A fresh chain of five rows; the log is emptied again afterwards (tampering tests break it)."""
    _empty(database)
    with database.transaction() as s:
        admin = s.scalars(select(User).where(User.staff_no == "admin")).one()
        for i in range(1, 6):
            systemlog.record(s, actor=admin if i % 2 else None, action="account.unlocked", target=f"sc00{i}",
                             detail={"by": "测试", "n": i})
    yield database
    _empty(database)


def _empty(database):
    with database.transaction() as s:
        s.execute(delete(SystemEvent))
        s.execute(update(SystemLogHead).values(seq=0, last_hash=""))


def _findings(database) -> list[str]:
    with database.transaction(write=False) as s:
        return [str(f) for f in systemlog.verify(s)]


def test_an_intact_chain_verifies(chain):
    assert _findings(chain) == []
    with chain.transaction(write=False) as s:
        rows = s.scalars(select(SystemEvent).order_by(SystemEvent.seq)).all()
        head = s.get(SystemLogHead, 1)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    assert (head.seq, head.last_hash) == (5, rows[-1].hash)
    assert rows[0].actor_name == "王建国（admin）" and rows[1].actor_name == "系统"


def test_an_edited_row_is_found(chain):
    with chain.transaction() as s:
        s.execute(update(SystemEvent).where(SystemEvent.seq == 3).values(target="sc999"))
    findings = _findings(chain)
    assert findings == ["系统日志 第 3 条：内容与哈希不符（记录已被修改）：解锁账号。"]


def test_a_row_deleted_in_the_middle_is_found(chain):
    with chain.transaction() as s:
        s.execute(delete(SystemEvent).where(SystemEvent.seq == 2))
    findings = _findings(chain)
    assert any("缺少第 2 至 2 条" in f for f in findings) and any("第 3 条" in f and "链接断开" in f for f in findings)


def test_a_row_deleted_at_the_end_is_found(chain):
    with chain.transaction() as s:
        s.execute(delete(SystemEvent).where(SystemEvent.seq == 5))
    assert _findings(chain) == ["系统日志 第 5 条：末尾的第 5 至 5 条记录已被删除。"]


def test_reordered_rows_are_found(chain):
    with chain.transaction() as s:  # swap rows 2 and 4 by their sequence numbers
        s.execute(update(SystemEvent).where(SystemEvent.seq == 2).values(seq=-4))
        s.execute(update(SystemEvent).where(SystemEvent.seq == 4).values(seq=2))
        s.execute(update(SystemEvent).where(SystemEvent.seq == -4).values(seq=4))
    findings = _findings(chain)
    assert any("第 2 条" in f and "修改" in f for f in findings)
    assert any("第 4 条" in f and "修改" in f for f in findings)


def test_audit_verify_checks_the_system_chain_too(chain, monkeypatch):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", chain.settings.database_url)
    ok = CliRunner().invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "系统日志完整" in ok.output
    with chain.transaction() as s:
        s.execute(update(SystemEvent).where(SystemEvent.seq == 1).values(detail={"by": "改过"}))
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1 and "系统日志 第 1 条" in bad.output and "Traceback" not in bad.output


def test_an_unknown_action_is_refused(database):
    with database.transaction() as s, pytest.raises(ValueError, match="ACTIONS"):
        systemlog.record(s, actor=None, action="no.such.action")


def test_control_characters_do_not_reach_the_log(chain):
    with chain.transaction() as s:
        event = systemlog.record(s, actor=None, action="auth.login_failed", target="sc\x00001",
                                 detail={"address": "a\x01b"})
    assert event.target == "sc\ufffd001" and event.detail == {"address": "a\ufffdb"}
    assert _findings(chain) == []


def test_every_action_has_a_chinese_name():
    assert all(name and not name.isascii() for name in systemlog.ACTIONS.values())


WRITER = """
import sys
from engine.config import Settings
from engine.db import Database
from engine import systemlog
db = Database(settings=Settings(database_url=sys.argv[1], secret_key="x"))
for i in range(int(sys.argv[3])):
    with db.transaction() as s:
        systemlog.record(s, actor=None, action="auth.logout", target=f"{sys.argv[2]}-{i}")
db.dispose()
"""


def test_writers_in_several_processes_keep_one_chain(database):
    _empty(database)
    try:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, database.settings.database_url, f"p{n}", "25"],
                                    cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) for n in range(4)]
        for w in writers:
            _, stderr = w.communicate(timeout=120)
            assert w.returncode == 0, stderr
        with database.transaction(write=False) as s:
            rows = s.scalars(select(SystemEvent).order_by(SystemEvent.seq)).all()
        assert [r.seq for r in rows] == list(range(1, 101))
        assert {r.target.split("-")[0] for r in rows} == {"p0", "p1", "p2", "p3"}
        assert _findings(database) == []
    finally:
        _empty(database)
