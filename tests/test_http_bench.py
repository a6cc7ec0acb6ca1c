"""bench/http.py for a few seconds on the test database: the production server (gunicorn, two
workers) with two staff, a supervisor and two public visitors. No request may fail, the server may
log no error, and every page kind of the mix must have been exercised (each person's tour: every
worklist tab, intake of a 即办件 and a 承诺件, completing a step, issuing, printing and downloading
a document, the supervision pages, the public column and a 结果反馈 look-up)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from engine.service import start_case

from .conftest import PG_URL, As

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="the server's worker processes share one database: PostgreSQL only (SUNHALL_TEST_DATABASE_URL)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_http_bench_runs_every_page_kind_without_an_error(database, run, person, tmp_path):
    run(start_case, "015309300002", person, As("sc001"))  # one case for the public 结果反馈 look-up
    out = tmp_path / "http.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "http.py"), "--use-existing", PG_URL, "--instance-dir", str(tmp_path),
         "--staff", "2", "--public", "2", "--supervisors", "1", "--workers", "2", "--port", str(_free_port()),
         "--duration", "3", "--warm-up", "0", "--floor-duration", "2", "--finish-tours", "--slow-sql-ms", "-1",
         "--label", "smoke", "--out", str(out)],
        capture_output=True, text=True, timeout=240)
    assert out.exists(), done.stdout + done.stderr
    report = json.loads(out.read_text())["runs"]["smoke"]
    assert report["run"]["errors"] == 0, report["run"]["error_samples"]
    assert report["server_problems"] == [] and report["failures"] == [], done.stdout
    assert report["not_exercised"] == [], done.stdout
    assert report["floor"]["requests"] > 0 and report["run"]["server_cpu_ms_per_request"] > 0
    assert report["run"]["worker_rss_mb"]["max"] > 0
    assert done.returncode == 0, done.stdout + done.stderr
