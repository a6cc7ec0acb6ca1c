"""The real thing: `sunhall up` on a fresh SQLite database serves with gunicorn's workers, which
are replaced when killed or stuck; every response carries the security headers; and the command
line prints what it is given literally, in Chinese, without a traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from webapp.cli import main

from .bpmn_samples import LINEAR

ROOT = Path(__file__).resolve().parents[1]
SUNHALL = [str(Path(sys.executable).parent / "sunhall")]  # the installed console script, as an operator runs it
WORKERS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.add(int(stat.parent.name))
    return found


def _get(url: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"gave up waiting: {what}")


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNHALL_")}
    return env | {"SUNHALL_INSTANCE_DIR": str(tmp), "SUNHALL_MAX_REQUEST_MB": "1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`sunhall up` (migrate, demo, accounts, serve) on its own SQLite file and a free port."""
    tmp = tmp_path_factory.mktemp("serve")
    port = _free_port()
    out = open(tmp / "out.txt", "w")
    proc = subprocess.Popen([*SUNHALL, "up", "--port", str(port), "--workers", str(WORKERS)],
                            cwd=tmp, env=_env(tmp), stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def answering():
        assert proc.poll() is None, (tmp / "out.txt").read_text()
        try:
            return _get(base + "/healthz")[0] == 200
        except OSError:
            return False

    try:
        _wait(answering, 180, "sunhall up to answer /healthz")
        _wait(lambda: len(_children(proc.pid)) == WORKERS, 30, "all workers to start")
        yield proc, base, tmp
    finally:
        _stop(proc, out)


def _stop(proc: subprocess.Popen, out) -> None:
    """SIGTERM (gunicorn's graceful stop), a kill if it hangs, and the output file closed."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    out.close()


def _health(base) -> dict:
    status, _, body = _get(base + "/healthz")
    assert status == 200
    return json.loads(body)


def test_up_prints_the_accounts_and_serves_with_several_workers(server):
    proc, base, tmp = server
    output = (tmp / "out.txt").read_text()
    assert "演示账号" in output and "sc001" in output and f"{WORKERS} 个工作进程" in output
    assert len(_children(proc.pid)) == WORKERS
    assert all(_health(base)["database"] == "ok" for _ in range(10))


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page", "/static/sunhall.css"])
def test_responses_carry_the_security_headers(server, path):
    _, base, _ = server
    status, headers, body = _get(base + path)
    assert status == (404 if path == "/no-such-page" else 200)
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Permissions-Policy"]
    if path == "/no-such-page":
        assert "页面不存在" in body


def test_a_body_over_the_limit_gets_the_chinese_page(server):
    _, base, _ = server
    status, headers, body = _get(base + "/login", data=b"staff_no=sc001&password=" + b"x" * (2 * 1024 * 1024),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413 and "不能超过 1 MB" in body and "Too Large" not in body
    assert headers["X-Frame-Options"] == "DENY"


def test_a_killed_worker_is_replaced_and_the_others_answer_meanwhile(server):
    proc, base, _ = server
    victim = min(_children(proc.pid))
    os.kill(victim, signal.SIGKILL)
    assert all(_health(base)["status"] == "ok" for _ in range(5))
    _wait(lambda: victim not in _children(proc.pid) and len(_children(proc.pid)) == WORKERS, 30,
          "the killed worker to be replaced")


def test_a_stuck_worker_is_recycled_after_the_timeout(tmp_path):
    """--timeout 5: a worker that stops answering its master (here: stopped) is killed and replaced."""
    port = _free_port()
    env = _env(tmp_path)
    subprocess.run([*SUNHALL, "init"], env=env, cwd=tmp_path, check=True, capture_output=True)
    proc = subprocess.Popen([*SUNHALL, "serve", "--port", str(port), "--workers", "2", "--timeout", "5"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: len(_children(proc.pid)) == 2, 60, "two workers")
        _wait(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 60, "the first answer")
        # gunicorn judges a worker by its heartbeat, which an idle worker beats every timeout/2 seconds once
        # booted; one stopped before its first beat is never judged (a limit of gunicorn, not ours)
        time.sleep(4)
        stuck = min(_children(proc.pid))
        os.kill(stuck, signal.SIGSTOP)
        _wait(lambda: stuck not in _children(proc.pid) and len(_children(proc.pid)) == 2, 90,
              "the stuck worker to be recycled")
        _wait(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 20, "an answer")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def test_a_port_in_use_is_said_in_chinese(server):
    _, base, tmp = server
    port = base.rsplit(":", 1)[1]
    result = subprocess.run([*SUNHALL, "serve", "--port", port], cwd=tmp, env=_env(tmp), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "端口已被占用" in result.stderr and "Traceback" not in result.stderr + result.stdout


# ------------------------------------------------------------------ the command line prints literally

def test_validation_prints_names_and_element_ids_literally(tmp_path):
    broken = (LINEAR.replace(' camunda:candidateGroups="handle"', "")  # a task without a post: one problem
              .replace('name="审查"', 'name="审查[/bold] [red]红"').replace('name="测试"', 'name="[/bold]流程[red]"'))
    path = tmp_path / "[red]broken[bold].bpmn"
    path.write_text(broken, encoding="utf-8")
    good = tmp_path / "[bold]good.bpmn"
    good.write_text(LINEAR, encoding="utf-8")
    result = CliRunner().invoke(main, ["processes", "validate", str(good), str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{good}: 通过（流程 p）" in result.output
    assert f"{path}:" in result.output and "[t] 用户任务“审查[/bold] [red]红”没有指定办理岗位" in result.output
    assert "Traceback" not in result.output and "MarkupError" not in result.output


def test_command_line_mistakes_are_said_in_chinese():
    runner = CliRunner()
    for args, expected in ((["serve", "--port", "abc"], "参数 --port 的值无效：应为 1–65535 之间的整数"),
                           (["serve", "--workers", "0"], "参数 --workers 的值无效"),
                           (["users", "unlock"], "缺少参数 STAFF_NO"),
                           (["no-such"], "没有这个命令：no-such")):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output and "Error:" not in result.output and "Traceback" not in result.output


def test_unlock_on_the_command_line(database, monkeypatch):
    """`sunhall users unlock` needs --as like every other subcommand, and only a locked account is unlocked."""
    from datetime import timedelta

    from sqlalchemy import select

    from engine import clock
    from engine.models import User
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    assert CliRunner().invoke(main, ["users", "unlock", "sc001"]).exit_code == 2  # no --as
    with database.transaction() as s:
        s.scalars(select(User).where(User.staff_no == "sc001")).one().locked_until = clock.now() + timedelta(minutes=9)
    result = CliRunner().invoke(main, ["users", "unlock", "sc001", "--as", "admin"])
    assert result.exit_code == 0 and "已解锁 李娜（sc001）的账号" in result.output
    missing = CliRunner().invoke(main, ["users", "unlock", "[/bold]nobody", "--as", "admin"])
    assert missing.exit_code == 1 and "没有工号为“[/bold]nobody”的工作人员" in missing.output


def test_a_bad_setting_stops_with_one_chinese_line(monkeypatch, tmp_path):
    monkeypatch.setenv("SUNHALL_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("SUNHALL_LOGIN_LOCK_MINUTES", "ever")
    result = CliRunner().invoke(main, ["serve", "--port", str(_free_port())])
    assert result.exit_code == 2 and "环境变量 SUNHALL_LOGIN_LOCK_MINUTES 的值“ever”无效" in result.output


def test_the_public_process_serves_the_column_and_nothing_of_the_inside(server):
    """`sunhall serve --public` beside the full server, on the same database: the column answers;
    the staff login, the workbench, the designer, supervision and administration do not exist."""
    _, base, tmp = server
    port = _free_port()
    out = open(tmp / "public.txt", "w")
    proc = subprocess.Popen([*SUNHALL, "serve", "--public", "--port", str(port), "--workers", "1"],
                            cwd=tmp, env=_env(tmp), stdout=out, stderr=subprocess.STDOUT)
    public = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: proc.poll() is None and _reachable(public + "/healthz"), 60, "the public process")
        status, headers, body = _get(public + "/")
        assert status == 200 and "阳光县政务服务专栏" in body and headers["Content-Security-Policy"]
        assert _get(public + "/items/015309300002")[0] == 200
        for path in ("/login", "/workbench", "/designer", "/supervision", "/admin", "/catalogue", "/intake",
                     "/cases/1", "/workbench/online"):
            assert _get(public + path)[0] == 404, path
        assert "政务服务专栏" in (tmp / "public.txt").read_text() and "/login" not in (tmp / "public.txt").read_text()
    finally:
        _stop(proc, out)


def _reachable(url: str) -> bool:
    try:
        return _get(url)[0] == 200
    except OSError:
        return False
