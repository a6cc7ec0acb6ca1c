"""Does partitioning case_event by year pay? The same events in a plain table and in a table
partitioned by year (as migration 0016 would make it), measured in one run, alternating.

    python bench/partitions.py postgresql://postgres@127.0.0.1:5432/h6_bench --cases 300000

Every product query on case_event names a case (case page, replay, audit verify, archive, ticks),
never a time range; this measures those queries plus the one a partition helps (one year's events).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import time

import psycopg

COLUMNS = """id integer NOT NULL DEFAULT nextval('ev_id'), case_id integer NOT NULL, seq integer NOT NULL,
    at timestamp NOT NULL, actor_id integer, actor_name varchar(60) NOT NULL, action varchar(40) NOT NULL,
    task_id integer, step_id varchar(100), reason text, before jsonb NOT NULL, after jsonb NOT NULL,
    detail jsonb NOT NULL, prev_hash varchar(64) NOT NULL, hash varchar(64) NOT NULL"""
FIRST, YEARS, AHEAD = 2021, 6, 3
EVENTS = 10


def build(conn, cases: int) -> None:
    conn.execute("DROP TABLE IF EXISTS ev_plain, ev_part; DROP SEQUENCE IF EXISTS ev_id; CREATE SEQUENCE ev_id")
    conn.execute(f"CREATE TABLE ev_plain ({COLUMNS}, PRIMARY KEY (id), UNIQUE (case_id, seq))")
    conn.execute(f"CREATE TABLE ev_part ({COLUMNS}, PRIMARY KEY (id, at), UNIQUE (case_id, seq, at)) PARTITION BY RANGE (at)")
    for year in range(FIRST, FIRST + YEARS + AHEAD):
        conn.execute(f"CREATE TABLE ev_part_{year} PARTITION OF ev_part FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')")
    conn.execute("CREATE TABLE ev_part_default PARTITION OF ev_part DEFAULT")
    # case c opens at a point spread over the years; its events follow every two days
    conn.execute(f"""INSERT INTO ev_plain (case_id, seq, at, actor_id, actor_name, action, task_id, step_id, before, after,
        detail, prev_hash, hash)
        SELECT c, k, timestamp '{FIRST}-01-01' + (c::float / {cases} * {YEARS * 365} || ' days')::interval
                     + (k * 2 || ' days')::interval,
               (c % 50) + 1, '张伟', (ARRAY['open','accept','complete','complete','complete','return','complete',
               'complete','complete','finish'])[k], c * 10 + k, 'step_' || k, '{{"state": "a"}}', '{{"state": "b"}}',
               '{{"form": {{"field": "value", "amount": 12}}}}', md5(c::text || k), md5(k::text || c) || md5(c::text)
        FROM generate_series(1, {cases}) c, generate_series(1, {EVENTS}) k""")
    conn.execute("INSERT INTO ev_part SELECT * FROM ev_plain")
    conn.execute("VACUUM ANALYZE ev_plain")
    conn.execute("VACUUM ANALYZE ev_part")


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def measure(conn, cases: int, rounds: int) -> dict:
    rnd = random.Random(7)
    ids = [rnd.randint(1, cases) for _ in range(rounds)]
    results: dict[str, dict[str, list[float]]] = {}

    def add(name, table, samples):
        results.setdefault(name, {}).setdefault(table, []).extend(samples)

    def one_table(table: str, rep: int) -> None:
        it = iter(ids)
        add("case page: events of one case", table, timed(
            lambda: conn.execute(f"SELECT * FROM {table} WHERE case_id = %s ORDER BY seq", (next(it),)).fetchall(), rounds))
        it = iter(ids)
        add("ticks: last event of one case", table, timed(
            lambda: conn.execute(f"SELECT at FROM {table} WHERE case_id = %s ORDER BY seq DESC LIMIT 1",
                                 (next(it),)).fetchall(), rounds))
        starts = itertools.cycle(range(1, max(cases - 500, 2), 500))
        add("audit verify: 500 cases' events", table, timed(
            lambda: conn.execute(f"SELECT * FROM {table} WHERE case_id = ANY(%s) ORDER BY case_id, seq",
                                 (list(range(s := next(starts), s + 500)),)).fetchall(), 20))
        add("one year's events (count)", table, timed(
            lambda: conn.execute(f"SELECT count(*) FROM {table} WHERE at >= '2024-01-01' AND at < '2025-01-01'"
                                 ).fetchall(), 3))
        seq = iter(range(100 + rep * 1000 + (table == "ev_part") * 100000, 10 ** 9))

        def insert():
            with conn.transaction():
                conn.execute(f"""INSERT INTO {table} (case_id, seq, at, actor_name, action, before, after, detail,
                    prev_hash, hash) VALUES (%s, %s, now(), '张伟', 'complete', '{{}}', '{{}}', '{{}}', 'p', 'h')""",
                             (1, next(seq)))
        add("insert one event (own transaction)", table, timed(insert, rounds // 2))

    for rep in range(3):  # alternate the tables so both see the same machine
        for table in ("ev_plain", "ev_part"):
            one_table(table, rep)

    summary = {}
    for name, by_table in results.items():
        plain, part = (statistics.median(by_table[t]) for t in ("ev_plain", "ev_part"))
        p95 = {t: sorted(v)[int(len(v) * 0.95)] for t, v in by_table.items()}
        summary[name] = {"plain_ms": round(plain, 3), "partitioned_ms": round(part, 3),
                         "partitioned_over_plain": round(part / plain, 2),
                         "p95_plain_ms": round(p95["ev_plain"], 3), "p95_partitioned_ms": round(p95["ev_part"], 3)}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="keep the tables of an earlier run")
    args = parser.parse_args()
    with psycopg.connect(args.url, autocommit=True) as conn:
        if not args.reuse:
            t = time.perf_counter()
            build(conn, args.cases)
            print(f"built {args.cases * EVENTS:,} events twice in {time.perf_counter() - t:.0f} s", flush=True)
        sizes = {t: conn.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))" if t == "ev_plain" else
                                 "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits "
                                 "WHERE inhparent = %s::regclass", (t,)).fetchone()[0] for t in ("ev_plain", "ev_part")}
        print(json.dumps({"events": args.cases * EVENTS, "sizes": sizes, **measure(conn, args.cases, args.rounds)},
                         ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
