"""Supervision costs: what the rule set adds to one transition, and one scheduler tick with a
million open tasks (their deadline watches) of which a thousand are due, and with none due.

    .venv/bin/python bench/supervision.py [--backends sqlite,postgresql] [--open 1000000] [--due 1000]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select

# not this folder first: bench/http.py would hide the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))

import transitions as T  # noqa: E402

from engine import clock, listeners  # noqa: E402
from engine.models import CaseTask, User  # noqa: E402
from engine.service import start_case  # noqa: E402
from rules.evaluate import on_transition  # noqa: E402
from rules.models import Alert, Watch  # noqa: E402
from rules.service import sync_catalogue  # noqa: E402
from rules.ticks import fire_due  # noqa: E402
from webapp import plugins  # noqa: E402

HERE = Path(__file__).parent


def transition_cost(db, cases: int) -> dict:
    """The same completions with and without the rule listener, interleaved in rounds."""
    with db.transaction() as s:
        sync_catalogue(s)
    with_rules, without = [], []
    for _ in range(4):
        listeners.unregister(on_transition)
        without += T.bench_platform(db, cases // 4)
        listeners.register(on_transition)
        with_rules += T.bench_platform(db, cases // 4)
    base, ruled = statistics.mean(without), statistics.mean(with_rules)
    return {"transition_ms": round(base * 1000, 3), "with_rules_ms": round(ruled * 1000, 3),
            "rules_share": round((ruled - base) / base, 3), "transitions": len(with_rules)}


def tick_cost(db, open_watches: int, due: int) -> dict:
    """Make ``due`` open cases whose step deadlines have passed, and ``open_watches`` future watches."""
    with db.transaction(write=False) as s:
        clerk = s.scalars(select(User).where(User.staff_no == "sc001")).one()
    past = datetime.now(timezone.utc) - timedelta(days=30)
    case_ids = []
    with clock.frozen(past):
        for _ in range(due):
            with db.transaction() as s:
                case_ids.append(start_case(s, T.ITEM_CODE, T.APPLICANT, clerk).id)
    with db.transaction() as s:
        tasks = dict(s.execute(select(CaseTask.case_id, CaseTask.id).where(CaseTask.case_id.in_(case_ids))).all())
        s.execute(delete(Watch))
        s.execute(delete(Alert))
    now = datetime.now(timezone.utc)
    batch = 20000
    for start in range(0, open_watches, batch):
        with db.transaction() as s:
            s.execute(insert(Watch), [dict(case_id=case_ids[i % len(case_ids)], task_id=tasks[case_ids[i % len(case_ids)]],
                                           rule_code="A002", fire_at=now + timedelta(days=1 + (i % 300), seconds=i))
                                      for i in range(start, min(start + batch, open_watches))])
    with db.transaction() as s:
        s.execute(insert(Watch), [dict(case_id=c, task_id=tasks[c], rule_code="A002",
                                       fire_at=now - timedelta(minutes=5)) for c in case_ids])
        total = s.query(Watch).count()
    t0 = time.perf_counter()
    fired = fire_due(db)
    due_s = time.perf_counter() - t0
    idle = []
    for _ in range(20):
        t0 = time.perf_counter()
        fire_due(db)
        idle.append(time.perf_counter() - t0)
    return {"open_watches": total, "due": due, "fired": fired, "tick_due_s": round(due_s, 3),
            "tick_idle_ms": round(statistics.median(idle) * 1000, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--open", type=int, default=1_000_000)
    ap.add_argument("--due", type=int, default=1000)
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--out", default=str(HERE / "results" / "supervision.json"))
    args = ap.parse_args()
    plugins.install()
    workdir = Path(tempfile.mkdtemp(prefix="sunhall-bench-"))
    results = []
    for backend in args.backends.split(","):
        db = T.setup(T.fresh_url(backend, args.postgres, workdir))
        T.bench_platform(db, 20)
        row = {"backend": backend, **transition_cost(db, args.cases), **tick_cost(db, args.open, args.due)}
        print(json.dumps(row, ensure_ascii=False))
        results.append(row)
        db.dispose()
    Path(args.out).write_text(json.dumps({
        "platform": f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "results": results},
        ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
