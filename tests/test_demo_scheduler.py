"""Issue "Legal time", done-when 2: the demo history up to a date, then one scheduler tick as of
that morning, with the real commands on a fresh database (SQLite; the PostgreSQL run covers the
scheduler's processes in tests/test_scheduler.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SUNHALL = Path(sys.executable).with_name("sunhall")


@pytest.mark.skipif(bool(os.environ.get("SUNHALL_TEST_DATABASE_URL")), reason="runs once, on a fresh SQLite file")
def test_demo_history_until_then_one_tick_at_that_morning(tmp_path):
    env = dict(os.environ, SUNHALL_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite'}",
               SUNHALL_INSTANCE_DIR=str(tmp_path))
    made = subprocess.run([str(SUNHALL), "demo", "--history", "--until", "2026-12-24"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    assert re.search(r"已生成截至2026年12月24日的办件 \d+ 件", made.stdout)
    tick = subprocess.run([str(SUNHALL), "scheduler", "--once", "--at", "2026-12-24T09:00"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert tick.returncode == 0, tick.stderr
    fired = re.search(r"生成监察预警 (\d+) 条", tick.stdout)
    assert fired and int(fired.group(1)) > 0, tick.stdout  # what fell due on 12/24 fires that morning
    assert "没有处理失败的项目" in tick.stdout
