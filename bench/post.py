"""Task completions through the workbench POST, and the case page, against the bare floor.

The same 5-step item as ``bench/transitions.py`` (its ``setup``), worked through the real Flask app
(``create_app`` on that database): each staff member logged in with a password in their own
session, CSRF on, and every step completed by POSTing the case page's form to
``/cases/<id>/tasks/<tid>/complete`` — session, CSRF, login, form, rules and forms listeners,
commit. The redirect is not followed (the case page it leads to is measured on its own).

    .venv/bin/python bench/post.py [--cases 200] [--backends sqlite,postgresql]

``bench/transitions.py`` calls :func:`bench_workbench_post` and :func:`bench_case_page` in its own
run, beside the floor; run alone, this file measures the floor itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

HERE = Path(__file__).resolve().parent
# run as a script, this folder comes first on the path, where bench/http.py would hide the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from engine.db import Database  # noqa: E402
from engine.models import Case, CaseEvent, CaseTask, Item, User  # noqa: E402
from engine.service import start_case  # noqa: E402

PASSWORD = "Sunhall@2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _bench():
    """bench/transitions.py, loaded from its file when first needed (it imports this module too)."""
    for module in (sys.modules.get("__main__"), sys.modules.get("transitions"), sys.modules.get("bench_transitions")):
        if getattr(module, "__file__", None) and Path(module.__file__).resolve() == HERE / "transitions.py":
            return module
    spec = importlib.util.spec_from_file_location("bench_transitions", HERE / "transitions.py")
    module = sys.modules["bench_transitions"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _app(db_url: str):
    from webapp import create_app

    instance = Path(tempfile.mkdtemp(prefix="sunhall-bench-post-"))
    return create_app({"database_url": db_url, "instance_dir": instance, "RATELIMIT_ENABLED": False})


def _ensure_item(db_url: str) -> None:
    """The bench item, set up as transitions.py does when the database does not have it yet."""
    bench = _bench()
    db = Database(db_url)
    try:
        with db.transaction(write=False) as s:
            present = s.scalar(select(Item.id).where(Item.code == bench.ITEM_CODE)) is not None
    except Exception:  # not migrated yet
        present = False
    finally:
        db.dispose()
    if not present:
        bench.setup(db_url).dispose()


def _logged_in(app, staff_no: str):
    """A test client holding a password login and the CSRF token of its session."""
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"staff_no": staff_no, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"{staff_no} could not log in ({response.status_code})")
    token = CSRF.search(client.get("/workbench").get_data(as_text=True)).group(1)
    return client, token


def _start_cases(db: Database, count: int) -> list[int]:
    bench = _bench()
    with db.transaction(write=False) as s:
        clerk = s.scalars(select(User).where(User.staff_no == "sc001")).one()
    ids = []
    for _ in range(count):
        with db.transaction() as s:
            ids.append(start_case(s, bench.ITEM_CODE, bench.APPLICANT, clerk).id)
    return ids


def bench_workbench_post(db_url: str, cases: int) -> list[float]:
    """Seconds per completion through the workbench POST: ``cases`` new cases of the bench item,
    each worked through its 5 steps by the staff of transitions.POSTS."""
    _ensure_item(db_url)
    bench = _bench()
    app = _app(db_url)
    db = app.extensions["sunhall_db"]
    try:
        clients = {staff: _logged_in(app, staff) for staff in set(bench.POSTS.values())}
        latencies = []
        for case_id in _start_cases(db, cases):
            for step in ("s1", "s2", "s3", "s4", "s5"):
                with db.transaction(write=False) as s:
                    task_id, version = s.execute(
                        select(CaseTask.id, Case.version).join(Case, Case.id == CaseTask.case_id)
                        .where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
                client, token = clients[bench.POSTS[step]]
                form = {"csrf_token": token, "decision": "agree", "opinion": "同意", "version": str(version)}
                t0 = time.perf_counter()
                response = client.post(f"/cases/{case_id}/tasks/{task_id}/complete", data=form)
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 302 or not response.location.endswith(f"/cases/{case_id}"):
                    raise RuntimeError(f"step {step} of case {case_id} answered {response.status_code}")
        return latencies
    finally:
        db.dispose()


def _busy_case(db: Database, steps: int) -> int:
    """A case of the bench item worked through many steps and events (its first steps completed
    and returned to again), still open at its first step, so the page shows a long history."""
    from engine.service import complete_task, return_to_step

    bench = _bench()
    case_id = _start_cases(db, 1)[0]
    with db.transaction(write=False) as s:
        users = {u.staff_no: u for u in s.scalars(select(User).where(User.staff_no.in_(set(bench.POSTS.values()))))}
    for round_ in range(steps // 3):
        for step in ("s1", "s2"):
            with db.transaction() as s:
                task_id = s.scalars(select(CaseTask.id).where(CaseTask.case_id == case_id,
                                                              CaseTask.state == "ready")).one()
                complete_task(s, task_id, users[bench.POSTS[step]], opinion=f"第 {round_ + 1} 轮", approved=True)
        with db.transaction() as s:
            task_id = s.scalars(select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
            return_to_step(s, task_id, users[bench.POSTS["s3"]], "s1", "材料需补充说明")
    return case_id


def bench_case_page(db_url: str, samples: int, steps: int = 60) -> list[float]:
    """Seconds per GET of the case page, by the clerk who works its current step, for a case with
    about ``steps`` completed steps and their events (made on first use)."""
    _ensure_item(db_url)
    bench = _bench()
    app = _app(db_url)
    db = app.extensions["sunhall_db"]
    try:
        with db.transaction(write=False) as s:
            busy = s.scalars(select(CaseEvent.case_id).join(Case, Case.id == CaseEvent.case_id)
                             .join(Item, Item.id == Case.item_id)
                             .where(Item.code == bench.ITEM_CODE, Case.state != "finished")
                             .group_by(CaseEvent.case_id).having(func.max(CaseEvent.seq) >= steps).limit(1)).first()
        case_id = busy or _busy_case(db, steps)
        client, _ = _logged_in(app, "sc001")
        latencies = []
        for _ in range(samples):
            t0 = time.perf_counter()
            response = client.get(f"/cases/{case_id}")
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise RuntimeError(f"case page answered {response.status_code}")
        return latencies
    finally:
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200, help="cases per measurement (5 completions each)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--samples", type=int, default=200, help="case page requests")
    args = ap.parse_args()
    bench = _bench()
    workdir = Path(tempfile.mkdtemp(prefix="sunhall-bench-"))
    for backend in args.backends.split(","):
        url = bench.fresh_url(backend, args.postgres, workdir)
        db = bench.setup(url)
        bench_workbench_post(url, 10), bench.bench_floor(db, 10)  # warm caches and connections
        floor = bench.bench_floor(db, args.cases)
        post = bench_workbench_post(url, args.cases)
        row = bench.summarise(backend, post, floor, 0)
        page = sorted(bench_case_page(url, args.samples))
        row["case_page_p50_ms"] = round(page[len(page) // 2] * 1000, 2)
        row["case_page_p95_ms"] = round(page[int(len(page) * 0.95)] * 1000, 2)
        print(json.dumps(row, ensure_ascii=False))
        db.dispose()


if __name__ == "__main__":
    main()
