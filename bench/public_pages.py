"""Public pages with 100,000 cases in the database: p50/p95 of GET through the Flask test client,
against a floor measured in the same run (GET /healthz: the whole Flask stack, a session and SELECT 1).

The cases are bulk-inserted with SQLAlchemy Core into the migrated demo county: a year of
applications spread over the public items as the demo history weighs them (licences, the 即办件
registration, information requests, penalties) and a few internal 督办 orders, each with realistic
receipt, acceptance, deadline, finish and result, natural and legal persons as applicants, and a
serialized workflow of the size real ones have. Each page is measured twice in one run: on the schema
as migrated, then with the indexes the pages' queries want (PROPOSED_INDEXES) created.

    .venv/bin/python bench/public_pages.py [--cases 100000] [--samples 30] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

# not this folder first: bench/http.py would hide the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import clock, migrate  # noqa: E402
from engine.calendar import load_calendar  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.models import Case, Item, ProcessDefinition  # noqa: E402
from rules import hall  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.demo import load_demo  # noqa: E402

HERE = Path(__file__).parent
FOOD, SHOP, HYGIENE, BUILD, PENALTY, INFO, SUPERVISE = ("015309300002", "075309300001", "015309300003", "015309300004",
                                                        "025309300005", "205309300006", "105309300099")
# share of the year's cases, whether the applicant is always a person, results (granted, refused), and
# the size of the serialized workflow a finished case of the item keeps (measured on the demo history:
# it makes a row span several SQLite pages, so a query that reads rows instead of an index pays for it)
MIX = {SHOP: (30, True, ("准予登记", "不予登记"), 3200), FOOD: (25, False, ("准予许可", "不予许可"), 6800),
       HYGIENE: (12, False, ("准予许可", "不予许可"), 4600), BUILD: (10, False, ("准予许可", "不予许可"), 3800),
       INFO: (12, True, ("予以公开", "不予公开"), 5000), PENALTY: (10, False, ("罚款 60000 元", "不予行政处罚"), 7800),
       SUPERVISE: (1, False, ("督办完成", "督办完成"), 3000)}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "丽娟", "志强", "秀英", "伟", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]
SHOPS = ["好味道餐饮", "云岭茶叶", "阳光超市", "福满楼酒店", "康乐足浴", "青松宾馆", "百味面馆", "临翔建材", "丰收农资",
         "锦绣美发", "金色年华歌舞厅", "绿源食品"]


def setup(url: str) -> Database:
    migrate.upgrade(url)
    db = Database(settings=Settings(database_url=url, instance_dir=Path(tempfile.gettempdir())))
    with db.transaction() as s:
        load_demo(s)
    return db


def _workflow_state(r: random.Random, pool: str, size: int) -> str:
    """JSON of about ``size`` characters that compresses about as badly as a real one."""
    start = r.randrange(len(pool) - size)
    return json.dumps({"data": pool[start:start + size]})


def add_cases(db: Database, count: int, seed: int = 2026) -> dict:
    """``count`` cases received over the year up to now, in batches of 10,000 rows."""
    r = random.Random(seed)
    now = clock.now()
    with db.transaction(write=False) as s:
        calendar = load_calendar(s)
        items = {i.code: i for i in s.scalars(select(Item).where(Item.code.in_(list(MIX))))}
        definitions = {code: s.scalar(select(ProcessDefinition.id).where(
            ProcessDefinition.process_key == items[code].current_version.process_key)
            .order_by(ProcessDefinition.version.desc()).limit(1)) for code in MIX}
    codes, weights = list(MIX), [mix[0] for mix in MIX.values()]
    pool = "".join(r.choices("0123456789abcdef", k=200_000))
    serials: dict[str, int] = defaultdict(int)
    states: dict[str, int] = defaultdict(int)
    rows = []
    for _ in range(count):
        code = r.choices(codes, weights)[0]
        item, (_, persons_only, results, state_size) = items[code], MIX[code]
        version = item.current_version
        received = now - timedelta(seconds=r.uniform(0, 365 * 86400))
        day = clock.local_date(received)
        prefix = ("NB" if code == SUPERVISE else "530930") + f"{day:%Y%m%d}"
        serials[prefix] += 1
        person = persons_only or r.random() < 0.2
        name = r.choice(SURNAMES) + r.choice(GIVEN) if person else f"阳光县{r.choice(SHOPS)}有限公司"
        row = dict(number=f"{prefix}{serials[prefix]:05d}", item_id=item.id, item_version_id=version.id,
                   definition_id=definitions[code], department_id=item.department_id, case_type=version.case_type,
                   subject=f"{name}申请{version.name}", applicant_type="1" if person else "2", applicant_name=name,
                   cert_type="111" if person else "001", cert_number=f"530930{r.randint(10**11, 10**12 - 1)}",
                   contact_name=None if person else r.choice(SURNAMES) + r.choice(GIVEN),
                   contact_phone=f"139{r.randint(10**7, 10**8 - 1)}", channel=r.choice(["window", "window", "web"]),
                   received_at=received, limit_days=version.promised_limit, limit_unit=version.limit_unit,
                   workflow_state=_workflow_state(r, pool, state_size), serializer_version="bench", version=1, data={}, result_detail={},
                   step_visits={}, accepted_at=None, deadline=None, finished_at=None, result=None, paused_days=0,
                   state="received")
        fate = r.random()
        if fate < 0.04:
            row.update(state="rejected")
        elif fate < 0.07:
            row.update(state="withdrawn")
        else:
            accepted = received + timedelta(hours=r.uniform(0, 30)) if version.case_type != "instant" else received
            if accepted <= now:
                start = clock.local_date(accepted)
                deadline = calendar.add_workdays(start, version.promised_limit) if version.promised_limit else None
                took = 0 if not version.promised_limit else max(0, round(r.gauss(version.promised_limit * 0.7,
                                                                                  version.promised_limit * 0.3)))
                finished = accepted + timedelta(days=took * 1.4, hours=r.uniform(0, 6))
                paused = r.choice([0] * 9 + [r.randint(1, 5)]) if took > 5 else 0
                row.update(state="accepted", accepted_at=accepted, deadline=deadline, paused_days=paused)
                if finished <= now:
                    row.update(state="finished", finished_at=finished,
                               result=results[0] if r.random() < 0.93 else results[1])
        states[row["state"]] += 1
        rows.append(row)
    table = Case.__table__
    for start in range(0, len(rows), 10_000):
        with db.transaction() as s:
            s.execute(insert(table), rows[start:start + 10_000])
    with db.transaction(write=False) as s:
        total = s.scalar(select(func.count()).select_from(table))
    return {"cases": total, "states": dict(states)}


def measure(client, path: str, samples: int, before=None) -> list[float]:
    for _ in range(3):  # warm the connection pool, template and statement caches
        if before:
            before()
        client.get(path).close()
    times = []
    for _ in range(samples):
        if before:
            before()
        t0 = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append(time.perf_counter() - t0)
        status = response.status_code
        response.close()
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


#: what the public pages' queries need beyond the migrated schema (see bench/README.md); the second pass
#: of a run creates them, so that one run shows the pages with and without them
PROPOSED_INDEXES = {
    "ix_case_received_at": ("received_at",),  # 办事大厅: this month's receipts
    "ix_case_state_finished_at": ("state", "finished_at", "item_version_id"),  # 办事大厅, 结果公示 (index-only)
    "ix_case_applicant": ("applicant_type", "applicant_name"),  # 结果公示: keyword over legal persons' names
}


def create_proposed_indexes(db: Database) -> list[str]:
    made = []
    with db.transaction() as s:
        for name, columns in PROPOSED_INDEXES.items():
            s.execute(text(f'CREATE INDEX IF NOT EXISTS {name} ON "case" ({", ".join(columns)})'))
            made.append(f"{name} ({', '.join(columns)})")
    vacuum_analyze(db)
    return made


def vacuum_analyze(db: Database) -> None:
    """PostgreSQL: what autovacuum does soon after a bulk load (statistics, the visibility map that
    index-only scans need). SQLite is left as a deployment leaves it, without ANALYZE."""
    if db.is_sqlite:
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text('VACUUM ANALYZE "case"'))


def pages_to_measure(db: Database) -> list[tuple[str, str, object]]:
    with db.transaction(write=False) as s:
        number = s.scalar(select(Case.number).where(Case.state == "finished", Case.item_id == s.scalar(
            select(Item.id).where(Item.code == FOOD))).order_by(Case.finished_at).limit(1))
    return [("/healthz (floor)", "/healthz", None), ("/", "/", None), ("/items", "/items", None),
            (f"/items/{FOOD}", f"/items/{FOOD}", None), ("/results", "/results", None),
            (f"/results?item={FOOD}", f"/results?item={FOOD}", None),
            ("/results?q=<办件编号>", f"/results?q={number}", None),
            ("/results?q=好味道 (legal person's name)", "/results?q=好味道", None),
            ("/results?page=2000 (deep page)", "/results?page=2000", None),
            ("/hall (cache cold)", "/hall", hall.cache.clear), ("/hall (cache warm)", "/hall", None)]


def measure_pages(client, pages, samples: int) -> list[dict]:
    rows, floor = [], None
    for label, path, before in pages:
        times = measure(client, path, samples, before)
        row = {"page": label, "p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95),
               "mean_ms": round(statistics.mean(times) * 1000, 2), "samples": len(times)}
        if floor is None:
            floor = row
        else:
            row["p95_over_floor_ms"] = round(row["p95_ms"] - floor["p95_ms"], 2)
            row["target_p95_200ms"] = "met" if row["p95_ms"] < 200 else "not met"
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return rows


def bench(url: str, count: int, samples: int, proposed: bool, workdir: Path) -> dict:
    t0 = time.perf_counter()
    db = setup(url)
    inserted = add_cases(db, count)
    vacuum_analyze(db)
    build_s = round(time.perf_counter() - t0, 1)
    app = create_app({"database_url": url, "instance_dir": str(workdir), "secret_key": "bench"})
    client = app.test_client()
    pages = pages_to_measure(db)
    passes = [{"indexes": "as migrated", "pages": measure_pages(client, pages, samples)}]
    if proposed:
        made = create_proposed_indexes(db)
        print(f"# with the proposed indexes: {', '.join(made)}", flush=True)
        passes.append({"indexes": "as migrated + proposed: " + "; ".join(made),
                       "pages": measure_pages(client, pages, samples)})
    app.extensions["sunhall_db"].dispose()
    db.dispose()
    return {"backend": make_url(url).get_backend_name(), "build_seconds": build_s, **inserted, "passes": passes}


def fresh_url(backend: str, pg_url: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'public-pages.sqlite'}"
    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "sunhall_bench_public" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "sunhall_bench_public"'))
    admin.dispose()
    return url.set(database="sunhall_bench_public").render_as_string(hide_password=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--samples", type=int, default=30, help="timed requests per page")
    ap.add_argument("--no-proposed", action="store_true", help="skip the second pass with the proposed indexes")
    ap.add_argument("--backends", default="sqlite")
    ap.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--out", default=str(HERE / "results" / "public_pages.json"))
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sunhall-bench-public-"))
    results = []
    try:
        for backend in args.backends.split(","):
            print(f"# {backend}: {args.cases} cases", flush=True)
            results.append(bench(fresh_url(backend, args.postgres, workdir), args.cases, args.samples, not args.no_proposed,
                                 workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the SQLite file is about 600 MB
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"platform": f"{platform.python_implementation()} {platform.python_version()}, "
                                           f"{platform.machine()}, {platform.system()}",
                               "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "results": results}, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
