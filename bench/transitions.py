"""Durable task completions per second through the case service, against the bare floor.

Engine: one transaction per completion (load the case, run SpiffWorkflow, save the state, task
rows and the hash-chained event, commit), with no transition listener; engine + listeners: the
same with every listener the product installs (rules, statistics, forms, notices, feed …);
workbench POST: the same completion through the Flask app (bench/post.py). Floor: the same BPMN
parsed once, the workflow kept in memory, run with SpiffWorkflow, serialized to JSON with
SpiffWorkflow's own serializer and written to the same database, one transaction per transition.
All run in the same process, on the same database, interleaved in rounds in the same run; then
again with 100,000 finished cases in the database.

    .venv/bin/python bench/transitions.py [--cases 200] [--backends sqlite,postgresql] [--history 100000]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import undefer

HERE = Path(__file__).resolve().parent
# run as a script, this folder comes first on the path, where bench/http.py would hide the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from engine import listeners, migrate  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.models import Case, CaseEvent, CaseTask, Item, User  # noqa: E402
from engine.organisation import publish_item  # noqa: E402
from engine.service import Applicant, complete_task, deploy_process, start_case  # noqa: E402
from webapp.demo import load_demo  # noqa: E402

BPMN = HERE / "five_steps.bpmn"
ITEM_CODE = "015309309999"
POSTS = {"s1": "sc001", "s2": "sc003", "s3": "sc005", "s4": "sc006", "s5": "sc001"}
APPLICANT = Applicant(name="基准测试有限公司", type="2", cert_type="001", cert_number="91530930MA6N8X0Q31")


def setup(url: str) -> Database:
    migrate.upgrade(url)
    db = Database(settings=Settings(database_url=url, instance_dir=Path(tempfile.gettempdir())))
    with db.transaction() as s:
        load_demo(s)
        dept = s.scalars(select(Item).where(Item.code == "015309300002")).one().department
        publish_item(s, ITEM_CODE, dept, dict(
            name="基准测试事项", category="01", case_type="promised", legal_limit=20, promised_limit=15,
            limit_unit="workday", process_key="bench_five_steps", legal_basis=[{"title": "基准", "text": "-"}],
            materials=[{"name": "申请书", "required": True}]))
        deploy_process(s, BPMN.read_bytes(), "bench/five_steps.bpmn", item_code=ITEM_CODE)
    return db


def bench_platform(db: Database, cases: int) -> list[float]:
    # the actor is the service's input (the web app has it from the login session): loaded once, outside the timing
    with db.transaction(write=False) as s:
        users = {staff: s.scalars(select(User).where(User.staff_no == staff)).one() for staff in set(POSTS.values())}
    case_ids = []
    for _ in range(cases):
        with db.transaction() as s:
            case_ids.append(start_case(s, ITEM_CODE, APPLICANT, users["sc001"]).id)
    latencies = []
    for case_id in case_ids:
        for step in ("s1", "s2", "s3", "s4", "s5"):
            with db.transaction(write=False) as s:
                task_id = s.scalars(select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
            t0 = time.perf_counter()
            with db.transaction() as s:
                complete_task(s, task_id, users[POSTS[step]], opinion="同意", approved=True)
            latencies.append(time.perf_counter() - t0)
    return latencies


def bench_floor(db: Database, cases: int) -> list[float]:
    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("bench_five_steps")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    table = Table("bench_floor", MetaData(), Column("id", Integer, primary_key=True), Column("state", Text))
    table.create(db.engine, checkfirst=True)
    latencies = []
    for _ in range(cases):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        with db.transaction() as s:
            row_id = s.execute(insert(table).values(state=serializer.serialize_json(wf))).inserted_primary_key[0]
        while not wf.is_completed():
            t0 = time.perf_counter()
            task = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual][0]
            task.data["approved"] = True
            task.run()
            wf.do_engine_steps()
            state = serializer.serialize_json(wf)
            with db.transaction() as s:
                s.execute(update(table).where(table.c.id == row_id).values(state=state))
            latencies.append(time.perf_counter() - t0)
    return latencies


def add_history(db: Database, count: int) -> int:
    """Bulk-insert finished cases (with their task and event rows) until ``count`` are present."""
    with db.transaction(write=False) as s:
        have = s.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0
        template = s.scalars(select(Case).options(undefer(Case.workflow_state)).where(Case.state == "finished")).first()
        if have >= count or template is None:
            return have
        base = {c.name: getattr(template, c.key) for c in Case.__table__.columns if c.name not in ("id", "number")}
    now = datetime.now(timezone.utc)
    batch = 5000
    for start in range(have + 1, count + 1, batch):
        stop = min(start + batch, count + 1)
        with db.transaction() as s:
            s.execute(insert(Case.__table__), [
                dict(base, number=f"H{n:017d}", received_at=now - timedelta(days=n % 365)) for n in range(start, stop)])
            ids = list(s.scalars(select(Case.id).where(Case.number >= f"H{start:017d}", Case.number < f"H{stop:017d}")))
            s.execute(insert(CaseTask.__table__), [
                dict(case_id=i, spiff_id="00000000-0000-0000-0000-000000000000", step_id=step, step_name=step,
                     post_code="window", department_id=template.department_id, state="completed", created_at=now,
                     time_limit=1, limit_unit="workday", form_data={})
                for i in ids for step in ("s1", "s2", "s3", "s4", "s5")])
            s.execute(insert(CaseEvent.__table__), [
                dict(case_id=i, seq=q, at=now, actor_name="历史", action="complete", before={}, after={}, detail={},
                     prev_hash="", hash="0" * 64) for i in ids for q in range(1, 8)])
    return count


def summarise(backend: str, platform_lat: list[float], floor_lat: list[float], cases_in_db: int) -> dict:
    def pct(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    platform_tps = len(platform_lat) / sum(platform_lat)
    floor_tps = len(floor_lat) / sum(floor_lat)
    return {
        "backend": backend, "cases_in_db": cases_in_db, "transitions": len(platform_lat),
        "platform_tps": round(platform_tps, 1), "floor_tps": round(floor_tps, 1),
        "ratio": round(platform_tps / floor_tps, 3),
        "p50_ms": round(pct(platform_lat, 0.50), 2), "p99_ms": round(pct(platform_lat, 0.99), 2),
        "mean_ms": round(statistics.mean(platform_lat) * 1000, 2),
        "floor_p50_ms": round(pct(floor_lat, 0.50), 2), "floor_p99_ms": round(pct(floor_lat, 0.99), 2),
    }


def post_module():
    """bench/post.py (the workbench POST), loaded from its file; None when it is not there."""
    path = HERE / "post.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("bench_post", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(db: Database, url: str, cases: int, post, rounds: int = 4) -> dict[str, list[float]]:
    """Seconds per completion of each path, interleaved in ``rounds`` so that the machine's drift
    falls on all of them alike. The product's listeners stay installed; the engine runs without them."""
    lat = {"floor": [], "engine": [], "listeners": [], "post": []}
    per = max(1, cases // rounds)
    for _ in range(rounds):
        lat["floor"] += bench_floor(db, per)
        with listeners.suspended():
            lat["engine"] += bench_platform(db, per)
        lat["listeners"] += bench_platform(db, per)
        if post is not None:
            lat["post"] += post.bench_workbench_post(url, per)
    return lat


def rows(backend: str, lat: dict[str, list[float]], cases_in_db: int) -> list[dict]:
    return [dict(summarise(backend, lat[path], lat["floor"], cases_in_db), path=path)
            for path in ("engine", "listeners", "post") if lat[path]]


def fresh_url(backend: str, pg_url: str, workdir: Path, database: str = "sunhall_bench") -> str:
    if backend == "sqlite":
        path = workdir / "bench.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=200, help="cases per path and measurement (5 transitions each)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--history", type=int, default=100_000, help="finished cases for the second measurement (0: none)")
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", default="sunhall_bench", help="the PostgreSQL database made afresh for the run")
    ap.add_argument("--no-post", action="store_true", help="leave out the workbench POST")
    ap.add_argument("--out", default=str(HERE / "results" / "transitions.json"))
    args = ap.parse_args()
    from rules.service import sync_catalogue
    from webapp import plugins

    plugins.install()
    post = None if args.no_post else post_module()
    workdir = Path(tempfile.mkdtemp(prefix="sunhall-bench-"))
    results = []
    for backend in args.backends.split(","):
        url = fresh_url(backend, args.postgres, workdir, args.database)
        db = setup(url)
        with db.transaction() as s:
            sync_catalogue(s)
        measure(db, url, 8, post, rounds=2)  # warm caches and connections
        for history in (0, args.history) if args.history else (0,):
            if history:
                add_history(db, history)
            with db.transaction(write=False) as s:
                in_db = s.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0
            for row in rows(backend, measure(db, url, args.cases, post), in_db):
                results.append(row)
                print(json.dumps(row, ensure_ascii=False))
        db.dispose()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"platform": f"{platform.python_implementation()} {platform.python_version()}, "
                                           f"{platform.machine()}, {platform.system()}",
                               "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "results": results}, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
