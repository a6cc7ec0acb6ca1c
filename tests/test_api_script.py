"""Issue #14's check: "a script with a department token starts a case, completes its steps and reads
its documents through the API". docs/examples/api_walkthrough.py (standard library only) runs as a
separate process against a real HTTP server on the test database, with the tokens the administrator
issued to the 住建局's staff — one per person, as a department system holds them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import delete, select
from werkzeug.serving import make_server

from engine import apitokens
from engine.models import ApiToken, Case, CaseEvent, Department, Post, User
from tests.conftest import As
from webapp import create_app

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "examples" / "api_walkthrough.py"
STAFF = {"window": "zj001", "handle": "zj002", "approve": "zj003"}  # 住建局: 窗口受理, 承办, 批准


@pytest.fixture
def server(database, settings):
    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(10)
    app.extensions["sunhall_db"].dispose()


@pytest.fixture
def department_tokens(run, database, tmp_path):
    def issue(s, admin):
        zjj = s.scalars(select(Department.id).where(Department.code == "zjj")).one()
        secrets = {}
        for post, staff_no in STAFF.items():
            user = s.scalars(select(User).where(User.staff_no == staff_no)).one()
            secrets[post] = apitokens.issue(s, admin, name=f"住建局审批系统（{user.name}）", user_id=user.id,
                                            department_ids=[zjj], verbs=["read", "write"])[1]
        return secrets
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps(run(issue, As("admin"))), encoding="utf-8")
    yield path
    with database.transaction() as s:
        s.execute(delete(ApiToken))


def _walk(server, tokens: Path | str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    given = ["--token", tokens] if isinstance(tokens, str) else ["--tokens", str(tokens)]
    return subprocess.run([sys.executable, str(SCRIPT), "--url", server, *given, "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=300, cwd=out.parent)


def test_the_walkthrough_finishes_a_case_and_downloads_its_documents(server, department_tokens, database, tmp_path):
    out = tmp_path / "文书"
    done = _walk(server, department_tokens, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已办结：准予许可" in done.stdout and "朱琳" in done.stdout and "胡军" in done.stdout
    with database.transaction(write=False) as s:
        case = s.scalars(select(Case)).one()
        actors = list(s.scalars(select(CaseEvent.actor_name).where(CaseEvent.case_id == case.id,
                                                                   CaseEvent.action == "complete")
                                .order_by(CaseEvent.seq)))
    assert case.state == "finished" and case.result == "准予许可"
    assert actors == ["马超", "朱琳", "胡军", "马超"]  # each step in the name of the person whose token did it
    files = sorted(p.name for p in out.iterdir())
    assert any(name.startswith("受理通知书") for name in files), files
    assert any("准予" in name and "决定书" in name for name in files), files
    for path in out.iterdir():
        document = Document(path)
        text = "".join(p.text for p in document.paragraphs)
        text += "".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
        assert case.number in text or "阳光县第一中学" in text, path.name


def test_the_walkthrough_reports_a_refusal_in_chinese(server, department_tokens, tmp_path):
    tokens = json.loads(department_tokens.read_text(encoding="utf-8"))
    tokens["approve"] = "shk_00000000_" + "x" * 43  # a token nobody issued
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(tokens), encoding="utf-8")
    done = _walk(server, wrong, tmp_path / "文书")
    assert done.returncode == 1 and "大厅拒绝了请求：401 unauthenticated：令牌无效" in done.stdout, done.stdout
    unreachable = _walk("http://127.0.0.1:9", department_tokens, tmp_path / "文书")
    assert unreachable.returncode == 2 and "无法连接大厅" in unreachable.stdout


@pytest.fixture
def system_token(run, database):
    """One token of the department's system: an account the administrator created in 住建局 holding
    every post its flows name, as a department whose own system works every step would have."""
    from engine import orgadmin

    def issue(s, admin):
        zjj = s.scalars(select(Department).where(Department.code == "zjj")).one()
        posts = [p.id for p in s.scalars(select(Post).where(Post.department_id == zjj.id))]
        user = s.scalars(select(User).where(User.staff_no == "zjsys")).first()  # the log keeps it once made
        user = user or orgadmin.create_user(s, admin, {"staff_no": "zjsys", "name": "住建审批系统", "department": "zjj",
                                                          "post_ids": posts, "roles": ["clerk", "handler"],
                                                          "password": False})[0]
        return apitokens.issue(s, admin, name="住建审批系统", user_id=user.id, department_ids=[zjj.id],
                               verbs=["read", "write"])[1]
    secret = run(issue, As("admin"))
    yield secret
    with database.transaction() as s:
        s.execute(delete(ApiToken))


def test_one_department_system_token_works_a_case_to_its_end(server, system_token, database, tmp_path):
    """Done when: "a script with a department token starts a case, completes its steps and reads its
    documents through the API" — with the one token of the department's system account."""
    out = tmp_path / "文书"
    done = _walk(server, system_token, out)
    assert done.returncode == 0, done.stdout + done.stderr
    with database.transaction(write=False) as s:
        case = s.scalars(select(Case)).one()
        actors = set(s.scalars(select(CaseEvent.actor_name).where(CaseEvent.case_id == case.id,
                                                                  CaseEvent.action == "complete")))
    assert case.state == "finished" and case.result == "准予许可" and actors == {"住建审批系统"}
    assert any(p.name.startswith("受理通知书") for p in out.iterdir())
