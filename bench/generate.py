"""Fill a database with realistic cases quickly: 1,000,000 over three years in minutes.

Every case is a copy of a real one. First each demo item's cases are driven through the case service
with the clock travelling (steps on time, some late, a refusal, 不予受理, 补正 then 撤回; the scheduler
ticking in between, so watches and alerts are the rules' own), and every state they pass through is
kept as a template: the case row with its serialized workflow, its task rows (one per step visited),
pauses, hash-chained events, supervision watches and alerts. Each generated case takes a template,
moved in time by whole weeks (the weekday stays, so working-day deadlines stay true) plus a few
minutes, with a new 办件编号 (region, day and that day's serial, as intake numbers them), a new
applicant, new row ids and its event chain hashed again with engine.audit's digest, so
``sunhall audit verify`` passes. Open cases (``--open-per-department`` for each department that has
items) stop at a step with its READY task, due date and watches, some overdue, some paused; the
engine resumes them like any other. The template cases themselves are deleted afterwards.

PostgreSQL is written with COPY by several processes; SQLite (small counts, for tests) with
executemany. Then the statistics rollups are rebuilt (rules.rollups) and VACUUM ANALYZE runs.

    .venv/bin/python bench/generate.py --cases 1000000 --open-per-department 10000 \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/sunhall_million
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path

from sqlalchemy import JSON, Date, delete, func, select, text
from sqlalchemy.engine import make_url

# the project on the path, and not this folder: bench/http.py would shadow the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import audit, clock, migrate, runtime, scheduler  # noqa: E402
from engine.calendar import load_calendar  # noqa: E402
from engine.certificates import id_check_char, uscc_check_char  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.errors import SunhallError  # noqa: E402
from engine.models import Case, CaseCounter, CaseEvent, CasePause, CaseTask, Item, User  # noqa: E402
from engine.models.base import UTCDateTime  # noqa: E402
from engine.service import complete_task, reject, request_correction, start_case, withdraw  # noqa: E402
from rules import rollups  # noqa: E402
from rules.models import Alert, Watch  # noqa: E402
from webapp import plugins  # noqa: E402
from webapp.demo import load_demo  # noqa: E402
from webapp.demo.history import (  # noqa: E402
    DATA,
    GIVEN,
    PENALTY,
    SHOPS,
    SURNAMES,
    WEIGHTS,
    _at,
    _penalty_case,
    _step_data,
)

#: the tables a case's rows live in, in the order they are written (foreign keys)
TABLES = {"case": Case.__table__, "task": CaseTask.__table__, "pause": CasePause.__table__,
          "event": CaseEvent.__table__, "watch": Watch.__table__, "alert": Alert.__table__}
CLOSED = ("finished", "rejected", "withdrawn")
SHOP = "075309300001"  # 个体工商户设立登记: the applicant is always a person
YEARS = 3  # the online retention
CHUNK = 5000  # cases per transaction
# how the templates run: on time, some steps late, refused at the decision, 不予受理, 补正 then 撤回
VARIANTS = ("ok", "late", "refused", "reject", "correction")
TOWNS = ["城关", "临江", "青山", "石桥", "河西", "凤凰", "南屏", "北坡", "东岭", "新村"]
_DATE_IN_JSON = re.compile(r'"(\d{4}-\d{2}-\d{2})(T[0-9:.]+(?:[+-]\d{2}:\d{2})?)?"')
_S_CASE, _S_AT, _S_PREV, _S_TASK = "@@case@@", "@@at@@", "@@prev@@", "@@task@@"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- templates: real cases driven through the service --------------------------------------------

def _holder(users: dict, post: str, department_id: int) -> User | None:
    return next((u for u in users.values() if u.holds(post, department_id)), None)


def _applicant(r: random.Random, person: bool):
    from engine.service import Applicant

    if person:
        first17 = f"530930{r.randint(1960, 2000)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(100, 999)}"
        return Applicant(name=r.choice(SURNAMES) + r.choice(GIVEN), type="1", cert_type="111",
                         cert_number=first17 + id_check_char(first17), phone=f"139{r.randint(10000000, 99999999)}")
    body = f"91530930MA{r.randint(1000000, 9999999)}"
    return Applicant(name=f"阳光县{r.choice(TOWNS)}{r.choice(SHOPS)}有限公司", type="2", cert_type="001",
                     cert_number=body + uscc_check_char(body), contact_name=r.choice(SURNAMES) + r.choice(GIVEN),
                     phone=f"138{r.randint(10000000, 99999999)}")


def _snapshot(db: Database, case_id: int) -> dict:
    with db.transaction(write=False) as s:
        out = {}
        for key, table in TABLES.items():
            column = table.c.id if key == "case" else table.c.case_id
            out[key] = [dict(row) for row in s.execute(select(table).where(column == case_id).order_by(table.c.id)).mappings()]
        return out


def _run(db: Database, code: str, variant: str, r: random.Random, users: dict, calendar, start: datetime,
         made: list[int]) -> list[dict]:
    """One template case of ``code`` worked the ``variant`` way (its id added to ``made``); returns its
    state after each transition."""
    person = code == SHOP or r.random() < 0.2
    applicant = _applicant(r, person)
    subject, data = _penalty_case(r, applicant, clock.local_date(start)) if code == PENALTY \
        else (None, DATA.get(code, lambda _: {})(r))
    if code == "015309300004":
        data = {"contract_amount": 1500000, "floor_area": 1200}  # above the thresholds: the whole procedure
    with clock.frozen(start), db.transaction() as s:
        item = s.scalars(select(Item).where(Item.code == code)).one()
        clerk = _holder(users, "window", item.department_id) or _holder(users, "approve", item.department_id)
        case_id = start_case(s, code, applicant, clerk, subject=subject, data=data).id
    made.append(case_id)
    snaps, moment = [_snapshot(db, case_id)], start
    for _ in range(30):
        with db.transaction(write=False) as s:
            task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")
                             .order_by(CaseTask.id)).first()
            hearing_date = (s.get(Case, case_id).data or {}).get("hearing_date")
        if task is None:
            break
        late = variant == "late" and r.random() < 0.5
        used = task.time_limit + r.randint(1, 3) if late else r.randint(0, max(0, task.time_limit - 1))
        day = calendar.add_period(clock.local_date(moment), used, task.limit_unit)
        if task.step_id == "hearing" and hearing_date:
            day = max(day, date.fromisoformat(hearing_date))
        moment = max(moment + timedelta(minutes=20), _at(day, r))
        actor = _holder(users, task.post_code, task.department_id)
        with clock.frozen(moment):
            scheduler.tick(db)
            with db.transaction() as s:
                if variant == "reject":
                    reject(s, case_id, actor, "申请事项不属于本机关职权范围")
                elif variant == "correction" and len(snaps) == 1:
                    request_correction(s, case_id, actor, ["申请书签字页"])
                else:
                    refuse = variant == "refused" and task.step_id == "decide" and code != PENALTY
                    complete_task(s, task.id, actor, data=_step_data(code, task.step_id, moment, r, calendar),
                                  opinion="不同意。" if refuse else "同意。", approved=not refuse,
                                  reason="不符合法定条件" if refuse else None)
        snaps.append(_snapshot(db, case_id))
        if variant == "correction":
            moment += timedelta(days=r.randint(15, 30))
            with clock.frozen(moment), db.transaction() as s:
                withdraw(s, case_id, actor, "申请人未能补齐材料，书面申请撤回申请")
            snaps.append(_snapshot(db, case_id))
            break
        if variant == "reject":
            break
    with clock.frozen(moment + timedelta(days=1)):
        scheduler.tick(db)  # what the next tick settles (reminders of steps done) is part of the end state
    snaps[-1] = _snapshot(db, case_id)
    return snaps


def harvest(db: Database, seed: int) -> tuple[list[dict], list[int]]:
    """Template states of every item, every variant; returns them and the template case ids."""
    r = random.Random(seed)
    with db.transaction(write=False) as s:
        users = {u.staff_no: u for u in s.scalars(select(User))}
        calendar = load_calendar(s)
        items = {i.code: i.department_id for i in s.scalars(select(Item).where(Item.code.in_([c for c, _ in WEIGHTS])))}
    start_day = calendar.add_workdays(clock.today() - timedelta(days=150), 0)
    states, case_ids = [], []
    for code, _ in WEIGHTS:
        for variant in VARIANTS:
            try:
                snaps = _run(db, code, variant, r, users, calendar, _at(start_day, r), case_ids)
            except SunhallError:
                continue  # a variant the item's procedure does not have (a penalty case has no 不予受理)
            _handled(snaps[-1], users.get("jw001"))
            for snap in snaps:
                snap.update(code=code, variant=variant, department_id=items[code])
                states.append(snap)
    return states, case_ids


def _handled(snap: dict, supervisor: User | None) -> None:
    """The supervision office has dealt with a closed case's alerts (an open state keeps them open)."""
    if snap["case"][0]["state"] not in CLOSED:
        return
    for alert in snap["alert"]:
        if alert["state"] in ("open", "acknowledged", "supervising"):
            alert.update(state="resolved", handled_at=alert["created_at"] + timedelta(days=2),
                         handled_by_id=supervisor.id if supervisor else None, handling_note="已核实，督促承办单位整改到位。")


def drop_templates(db: Database, case_ids: list[int]) -> None:
    with db.transaction() as s:
        for key in ("alert", "watch", "event", "pause", "task"):
            table = TABLES[key]
            s.execute(delete(table).where(table.c.case_id.in_(case_ids)))
        s.execute(delete(Case.__table__).where(Case.__table__.c.id.in_(case_ids)))
    runtime.live_workflows.clear()


# --- compiled templates: constants, and what each copy changes -------------------------------------

def _json_pieces(value) -> list:
    """JSON text split where a date or a date-time is (those move with the case)."""
    return _text_pieces(json.dumps(value, ensure_ascii=False))


def _text_pieces(body: str) -> list:
    pieces, pos = [], 0
    for m in _DATE_IN_JSON.finditer(body):
        day, rest = m.group(1), m.group(2)
        try:
            moment = datetime.fromisoformat(day + rest) if rest else date.fromisoformat(day)
        except ValueError:
            continue
        if moment.isoformat() != day + (rest or ""):
            continue
        pieces += [body[pos:m.start()], ("dt" if rest else "date", moment)]
        pos = m.end()
    pieces.append(body[pos:])
    return pieces


def _split(pieces: list, token: str, kind: str) -> list:
    out = []
    for p in pieces:
        if isinstance(p, str) and token in p:
            parts = p.split(token)
            for i, part in enumerate(parts):
                if i:
                    out.append((kind, None))
                out.append(part)
        else:
            out.append(p)
    return out


@dataclass
class Template:
    code: str
    variant: str
    department_id: int
    state: str
    received: datetime  # naive UTC
    last: datetime  # naive UTC: the state's latest event
    due: date | None  # the earliest due date of its READY tasks
    instant: bool  # a READY step to be done on the spot (即办): not left open
    rows: dict  # table key -> list of (values, ops)
    digests: list  # per event: pieces of the digest text
    counts: dict
    subject: list  # the subject around the applicant's name


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def compile_state(snap: dict) -> Template:
    """A state's rows as constants plus what each copy changes (ids, times, applicant, hashes); the
    digest text of each event as engine.audit builds it, split where a copy's values go."""
    case = snap["case"][0]
    task_index = {t["id"]: i for i, t in enumerate(snap["task"])}
    fields = {"number", "subject", "applicant_type", "applicant_name", "cert_type", "cert_number", "contact_name",
              "contact_phone"}
    rows = {}
    for key, table in TABLES.items():
        compiled = []
        for local, row in enumerate(snap[key]):
            values, ops = [], []
            for i, col in enumerate(table.columns):
                v = row[col.name]
                values.append(v)
                name = col.name
                if name == "id":
                    ops.append((i, "id", local))
                elif name == "case_id":
                    ops.append((i, "case", None))
                elif name == "order_case_id":
                    values[i] = None
                elif name == "task_id" and v is not None:
                    ops.append((i, "task", task_index[v]))
                elif key == "case" and name in fields:
                    ops.append((i, "field", name))
                elif key == "case" and name == "last_event_hash":
                    ops.append((i, "last", None))
                elif key == "event" and name in ("hash", "prev_hash"):
                    ops.append((i, name, None))
                elif key == "alert" and name == "message":
                    ops.append((i, "message", v.split(case["number"])))
                elif v is None:
                    continue
                elif isinstance(col.type, UTCDateTime):
                    values[i] = _naive(v)
                    ops.append((i, "dt", values[i]))
                elif isinstance(col.type, Date):
                    ops.append((i, "date", v))
                elif isinstance(col.type, JSON):
                    pieces = _json_pieces(v)
                    if len(pieces) == 1:
                        values[i] = pieces[0]
                    else:
                        ops.append((i, "json", pieces))
            compiled.append((values, ops))
        rows[key] = compiled
    digests = []
    for ev in snap["event"]:
        body = {"case_id": _S_CASE, "seq": ev["seq"], "at": _S_AT, "actor_id": ev["actor_id"],
                "actor_name": ev["actor_name"], "action": ev["action"],
                "task_id": _S_TASK if ev["task_id"] is not None else None, "step_id": ev["step_id"],
                "reason": ev["reason"], "before": ev["before"], "after": ev["after"], "detail": ev["detail"],
                "prev_hash": _S_PREV}
        pieces = _text_pieces(audit._ENCODE(audit.canonical(body)))
        for token, kind in ((_S_CASE, "case"), (_S_AT, "at"), (_S_PREV, "prev"), (_S_TASK, "task")):
            pieces = _split(pieces, json.dumps(token), kind)
        task = task_index[ev["task_id"]] if ev["task_id"] is not None else None
        digests.append(_bind(pieces, task, _naive(ev["at"])))
    return Template(code=snap["code"], variant=snap["variant"], department_id=snap["department_id"], state=case["state"],
                    received=_naive(case["received_at"]), last=max(_naive(ev["at"]) for ev in snap["event"]),
                    instant=any(t["state"] == "ready" and t["time_limit"] == 0 for t in snap["task"]),
                    due=min((t["due_date"] for t in snap["task"] if t["state"] == "ready" and t["due_date"]), default=None), rows=rows, digests=digests,
                    counts={key: len(snap[key]) for key in TABLES},
                    subject=case["subject"].split(case["applicant_name"]))


def _bind(pieces: list, task: int | None, at: datetime) -> list:
    """Fill in what each piece stands for: the event's own task and moment."""
    return [(kind, task if kind == "task" else at if kind == "at" else value) if isinstance(p, tuple) else p
            for p in pieces for kind, value in [p if isinstance(p, tuple) else (None, None)]]


# --- copies ------------------------------------------------------------------------------------------

def _sqlite_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _render_text(pieces: list, delta: timedelta, shift: timedelta) -> str:
    return "".join(p if p.__class__ is str else
                   '"' + ((p[1] + shift) if p[0] == "date" else (p[1] + delta)).isoformat() + '"' for p in pieces)


def render(t: Template, case_id: int, bases: dict, delta: timedelta, shift: timedelta, fields: dict,
           sqlite: bool) -> dict:
    """The rows of one copy of ``t``: ids from ``bases``, moved by ``delta`` (dates by ``shift``)."""
    task_base, chain, prev = bases["task"], [], ""
    for pieces in t.digests:
        parts = []
        for p in pieces:
            if p.__class__ is str:
                parts.append(p)
                continue
            kind, value = p
            if kind == "case":
                parts.append(str(case_id))
            elif kind == "at":
                parts.append('"' + (value + delta).isoformat(timespec="microseconds") + '+00:00"')
            elif kind == "prev":
                parts.append('"' + prev + '"')
            elif kind == "task":
                parts.append(str(task_base + value))
            elif kind == "date":
                parts.append('"' + (value + shift).isoformat() + '"')
            else:
                parts.append('"' + (value + delta).isoformat() + '"')
        digest = hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()
        chain.append((prev, digest))
        prev = digest
    out = {}
    for key, compiled in t.rows.items():
        base, rows = bases[key], []
        for local, (values, ops) in enumerate(compiled):
            row = values.copy()
            for i, kind, arg in ops:
                if kind == "dt":
                    row[i] = _sqlite_time(arg + delta) if sqlite else arg + delta
                elif kind == "date":
                    row[i] = arg + shift
                elif kind == "id":
                    row[i] = base + arg
                elif kind == "case":
                    row[i] = case_id
                elif kind == "task":
                    row[i] = task_base + arg
                elif kind == "json":
                    row[i] = _render_text(arg, delta, shift)
                elif kind == "field":
                    row[i] = fields[arg]
                elif kind == "hash":
                    row[i] = chain[local][1]
                elif kind == "prev_hash":
                    row[i] = chain[local][0]
                elif kind == "last":
                    row[i] = prev
                else:  # message
                    row[i] = fields["number"].join(arg)
            rows.append(row)
        out[key] = rows
    return out


def _pools(r: random.Random, size: int = 5000) -> tuple[list, list]:
    people = [_applicant(r, True) for _ in range(size)]
    companies = [_applicant(r, False) for _ in range(size)]
    return people, companies


def _weights(templates: list[Template], shares: dict, open_: bool) -> list[float]:
    """Items as the demo history weighs them; within an item, variants by ``shares``; a variant's
    states (its steps, for open cases) equally."""
    item_weight = dict(WEIGHTS)
    states = Counter((t.code, t.variant) for t in templates if (t.state not in CLOSED) == open_)
    return [item_weight[t.code] * shares.get(t.variant, 0) / states[(t.code, t.variant)]
            if (t.state not in CLOSED) == open_ and not (open_ and t.instant) else 0 for t in templates]


CLOSED_SHARES = {"ok": 0.55, "late": 0.30, "refused": 0.08, "reject": 0.04, "correction": 0.03}
OPEN_SHARES = {"ok": 0.45, "late": 0.25, "refused": 0.20, "correction": 0.10}
OVERDUE = 0.12  # open cases whose step is meant to be past its due date


def _open_shift(t: Template, r: random.Random, now: datetime, today: date, calendar) -> int:
    """Days to move an open state by: its last step before now, OVERDUE of them past the step's due
    date and the others within it, the step's first and due days on working days."""
    latest = (now - timedelta(minutes=61) - t.last).days
    ready_day = (t.last + timedelta(hours=8)).date()
    if t.due is None:
        days = range(latest - 28, latest + 1)
    else:
        in_time = (today - t.due).days  # the least shift that keeps the step within its time
        days = range(in_time, latest + 1)
        if r.random() < OVERDUE or not days:
            days = range(min(latest, in_time - 1) - 30, min(latest, in_time - 1) + 1)

    def workdays(d: int) -> bool:
        return calendar.is_workday(ready_day + timedelta(days=d)) and (t.due is None or calendar.is_workday(t.due + timedelta(days=d)))

    return r.choice([d for d in days if workdays(d)] or [latest])


def plan(templates: list[Template], cases: int, open_per_department: int, now: datetime, seed: int, calendar) -> list[tuple]:
    """(received_at, template, days, minutes, person, pool index) per case, in order of receipt: the
    template's times move by days and minutes, its dates by the days."""
    r = random.Random(seed)
    week, today = timedelta(days=7), (now + timedelta(hours=8)).date()
    departments = sorted({t.department_id for t in templates})
    entries = []
    for dept in departments:
        weights = [w if t.department_id == dept else 0 for w, t in zip(_weights(templates, OPEN_SHARES, True), templates)]
        for ti in r.choices(range(len(templates)), weights, k=open_per_department):
            t = templates[ti]
            days, minutes = _open_shift(t, r, now, today, calendar), r.randint(-60, 60)
            entries.append((t.received + timedelta(days=days, minutes=minutes), ti, days, minutes))
    closed = max(0, cases - len(entries))
    earliest = now - timedelta(days=365 * YEARS)
    for ti in r.choices(range(len(templates)), _weights(templates, CLOSED_SHARES, False), k=closed):
        t = templates[ti]
        target = earliest + (now - (t.last - t.received) - earliest) * r.random()
        weeks, minutes = (target - t.received) // week, r.randint(-60, 60)
        if t.last + timedelta(days=7 * weeks, minutes=minutes) > now:
            weeks -= 1  # whole weeks: the weekday stays, so working-day dates stay working days
        entries.append((t.received + timedelta(days=7 * weeks, minutes=minutes), ti, 7 * weeks, minutes))
    entries.sort()
    return [(*e, templates[e[1]].code == SHOP or r.random() < 0.2, r.randrange(5000)) for e in entries]


def numbers(entries: list[tuple], region: str, counters: dict) -> tuple[list[str], dict]:
    """办件编号 as intake makes them: region, the local day of receipt and that day's serial."""
    serials, out = dict(counters), []
    local = timedelta(hours=8)  # Asia/Shanghai
    for received, *_ in entries:
        day = (received + local).date()
        serial = serials.get(day, 0) + 1
        serials[day] = serial
        out.append(f"{region}{day:%Y%m%d}{serial:05d}")
    return out, serials


_JOB: dict = {}  # what the writer processes need, inherited when they fork


def _chunk_rows(j: int) -> dict:
    job = _JOB
    templates, entries, nums = job["templates"], job["entries"], job["numbers"]
    people, companies = job["pools"]
    bases = dict(job["bases"][j])
    rows = {key: [] for key in TABLES}
    for n in range(j * CHUNK, min(len(entries), (j + 1) * CHUNK)):
        _received, ti, days, minutes, person, pick = entries[n]
        t = templates[ti]
        a = people[pick] if person else companies[pick]
        fields = {"number": nums[n], "subject": a.name.join(t.subject), "applicant_type": a.type,
                  "applicant_name": a.name, "cert_type": a.cert_type, "cert_number": a.cert_number,
                  "contact_name": a.contact_name, "contact_phone": a.phone}
        shift = timedelta(days=days)
        made = render(t, job["case_base"] + n, bases, shift + timedelta(minutes=minutes), shift, fields, job["sqlite"])
        for key, part in made.items():
            rows[key].extend(part)
            bases[key] += len(part)
    return rows


def _copy_chunk(j: int) -> int:
    import psycopg

    conn = _JOB.get("conn")
    if conn is None:
        conn = _JOB["conn"] = psycopg.connect(_JOB["dsn"])
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET session_replication_role = replica")
    rows = _chunk_rows(j)
    with conn.cursor() as cur:
        for key, table in TABLES.items():
            if rows[key]:
                columns = ", ".join(f'"{c.name}"' for c in table.columns)
                with cur.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                    for row in rows[key]:
                        copy.write_row(row)
    conn.commit()
    return len(rows["case"])


def _insert_chunk(db: Database, j: int) -> int:
    rows = _chunk_rows(j)
    with db.transaction() as s:
        conn = s.connection()
        for key, table in TABLES.items():
            if rows[key]:
                columns = ", ".join(f'"{c.name}"' for c in table.columns)
                marks = ", ".join("?" for _ in table.columns)
                conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', [tuple(r) for r in rows[key]])
    return len(rows["case"])


def _next_ids(db: Database) -> dict:
    with db.transaction(write=False) as s:
        return {key: (s.scalar(select(func.max(table.c.id))) or 0) + 1 for key, table in TABLES.items()}


def generate(db: Database, cases: int, open_per_department: int, seed: int = 2026, workers: int = 2) -> dict:
    """Write ``cases`` cases (``open_per_department`` of them open in each department with items)."""
    started = time.perf_counter()
    with db.transaction(write=False) as s:
        if s.scalar(select(func.count()).select_from(Case.__table__)):
            raise SystemExit("数据库中已有办件：请在新建并载入演示县的数据库上生成。")
    say("用真实流程办理模板办件（各事项、各种办理情形）……")
    states, template_ids = harvest(db, seed)
    templates = [compile_state(s) for s in states]
    region = states[0]["case"][0]["number"][:6]
    first = _next_ids(db)  # above the templates' ids: no id is used twice, not even in the live-workflow cache
    drop_templates(db, template_ids)
    say(f"模板 {len(templates)} 个（{len(template_ids)} 件模板办件的各个状态），用时 {time.perf_counter() - started:.1f} 秒。")
    now = _naive(clock.now())
    with db.transaction(write=False) as s:
        calendar = load_calendar(s)
    entries = plan(templates, cases, open_per_department, now, seed, calendar)
    with db.transaction(write=False) as s:
        counters = {row.day: row.last for row in s.execute(select(CaseCounter.day, CaseCounter.last))}
    nums, serials = numbers(entries, region, counters)
    chunks = (len(entries) + CHUNK - 1) // CHUNK
    per_chunk = [{key: 0 for key in TABLES} for _ in range(chunks)]
    for n, entry in enumerate(entries):
        for key, count in templates[entry[1]].counts.items():
            per_chunk[n // CHUNK][key] += count
    bases = []
    for key in TABLES:
        for j, start in enumerate(accumulate([first[key]] + [c[key] for c in per_chunk[:-1]])):
            if key == "case":
                bases.append({})
            bases[j][key] = start
    sqlite = db.is_sqlite
    _JOB.clear()
    _JOB.update(templates=templates, entries=entries, numbers=nums, pools=_pools(random.Random(seed + 7)),
                bases=bases, case_base=first["case"], sqlite=sqlite,
                dsn=db.url.set(drivername="postgresql").render_as_string(hide_password=False))
    say(f"计划就绪：共 {len(entries):,} 件，分 {chunks} 批写入（每批 {CHUNK:,} 件）。")
    written, t0 = 0, time.perf_counter()

    def progress(count: int) -> None:
        nonlocal written
        written += count
        rate = written / max(time.perf_counter() - t0, 1e-6)
        say(f"已写入 {written:,}/{len(entries):,} 件（每秒 {rate:,.0f} 件，预计还需 {(len(entries) - written) / rate:,.0f} 秒）")

    if sqlite or workers <= 1:
        for j in range(chunks):
            progress(_insert_chunk(db, j) if sqlite else _copy_chunk(j))
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for count in pool.imap_unordered(_copy_chunk, range(chunks)):
                progress(count)
    if "conn" in _JOB:
        _JOB.pop("conn").close()
    write_s = time.perf_counter() - t0
    finish(db, {day: last for day, last in serials.items() if last != counters.get(day)})
    total_s = time.perf_counter() - started
    stats = summary(db)
    stats.update(seconds_total=round(total_s, 1), seconds_writing=round(write_s, 1), templates=len(templates))
    say(f"完成：共 {stats['cases']:,} 件办件、{stats['tasks']:,} 个环节、{stats['events']:,} 条办件日志，"
        f"在办 {stats['open']:,} 件（其中超期 {stats['overdue_tasks']:,} 个环节、暂停 {stats['paused']:,} 件），"
        f"预警 {stats['alerts']:,} 条；总用时 {total_s:.0f} 秒（写入 {write_s:.0f} 秒）。")
    return stats


def finish(db: Database, serials: dict) -> None:
    """Day counters past the generated serials, sequences past the ids, rollups, statistics."""
    with db.transaction() as s:
        s.execute(text("INSERT INTO case_counter (day, last) VALUES (:day, :last) ON CONFLICT (day) DO UPDATE SET "
                       "last = CASE WHEN case_counter.last > excluded.last THEN case_counter.last ELSE excluded.last END"),
                  [{"day": day, "last": last} for day, last in serials.items()])
        if not db.is_sqlite:
            for table in TABLES.values():
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM \"{table.name}\"))"))
    say("重建统计汇总（rules.rollups.rebuild）……")
    with db.transaction() as s:
        rollups.rebuild(s)
    # VACUUM too on PostgreSQL: it marks the loaded pages all-visible, without which the index-only
    # scans of the dashboard's counts fetch every row from the table (as autovacuum would, later)
    say("整理数据表并更新查询统计信息（VACUUM ANALYZE）……")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if db.is_sqlite else "VACUUM (ANALYZE)")


def summary(db: Database) -> dict:
    today = clock.today()
    with db.transaction(write=False) as s:
        def count(table, *where):
            return s.scalar(select(func.count()).select_from(table).where(*where))

        c, t = Case.__table__.c, CaseTask.__table__.c
        return {"cases": count(Case.__table__), "tasks": count(CaseTask.__table__), "events": count(CaseEvent.__table__),
                "open": count(Case.__table__, c.state.not_in(CLOSED)),
                "paused": count(Case.__table__, c.state.not_in(CLOSED), c.pause_kind.is_not(None)),
                "ready_tasks": count(CaseTask.__table__, t.state == "ready"),
                "overdue_tasks": count(CaseTask.__table__, t.state == "ready", t.due_date < today),
                "watches": count(Watch.__table__), "alerts": count(Alert.__table__),
                "states": dict(s.execute(select(c.state, func.count()).group_by(c.state)).all())}


def setup(url: str) -> Database:
    migrate.upgrade(url)
    db = Database(settings=Settings(database_url=url, instance_dir=Path(tempfile.gettempdir())))
    with db.transaction() as s:
        load_demo(s)
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description="生成大量真实的办件、环节和办件日志（用于规模测试）")
    ap.add_argument("--cases", type=int, default=1_000_000, help="办件总数")
    ap.add_argument("--open-per-department", type=int, default=10_000, help="每个有事项的部门的在办件数")
    ap.add_argument("--database", "--postgres", dest="database", required=True, help="数据库地址（新建的数据库）")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="PostgreSQL 写入进程数")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=None, help="把统计结果另存为 JSON")
    args = ap.parse_args()
    say(f"升级数据库结构并载入演示县：{make_url(args.database).render_as_string(hide_password=True)}")
    plugins.install()  # the rules plan watches and raise alerts on the templates' transitions
    db = setup(args.database)
    stats = generate(db, args.cases, args.open_per_department, args.seed, args.workers)
    db.dispose()
    if args.out:
        Path(args.out).write_text(json.dumps({"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                              "cases_asked": args.cases, "workers": args.workers, **stats},
                                             ensure_ascii=False, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
