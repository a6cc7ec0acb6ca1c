"""The case event log (办件日志): append-only, hash-chained per case.

Each event's hash covers its content and the previous event's hash; the case row keeps the
count and the last hash, so an edited row, a deleted row (in the middle or at the end) and a
re-ordered chain are all detected by :func:`verify`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone

import orjson
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from . import clock
from .models import Case, CaseEvent, User


def canonical(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_DECODE = json.JSONDecoder().decode


def _digest(event) -> str:
    """The hash of an event (a CaseEvent or a row with its columns) and the hash before it. The JSON
    values are canonical already (:func:`record` stores them so), so they are encoded as they are."""
    body = {
        "case_id": event.case_id, "seq": event.seq, "at": event.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id, "actor_name": event.actor_name, "action": event.action,
        "task_id": event.task_id, "step_id": event.step_id, "reason": event.reason,
        "before": event.before, "after": event.after, "detail": event.detail, "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(_ENCODE(body).encode("utf-8")).hexdigest()


def _quick_digest(event) -> str:
    """:func:`_digest` by orjson: the same bytes for the texts, whole numbers and structures events hold,
    several times faster. It writes some floats differently (1e-7 for 1e-07), so a mismatch is checked again by
    :func:`_digest` before it is reported."""
    body = {
        "case_id": event.case_id, "seq": event.seq, "at": event.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id, "actor_name": event.actor_name, "action": event.action,
        "task_id": event.task_id, "step_id": event.step_id, "reason": event.reason,
        "before": event.before, "after": event.after, "detail": event.detail, "prev_hash": event.prev_hash,
    }
    try:
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except TypeError:  # orjson.JSONEncodeError: a number beyond 64 bits
        return ""


def record(session: Session, case: Case, actor: User | None, action: str, *, task=None, reason=None,
           before=None, after=None, detail=None, at: datetime | None = None) -> CaseEvent:
    """Append one event to the case's chain (in the caller's transaction)."""
    event = CaseEvent(
        case_id=case.id, seq=case.event_count + 1, at=at or clock.now(),
        actor_id=actor.id if actor else None, actor_name=actor.name if actor else "系统",
        action=action, task_id=task.id if task is not None else None,
        step_id=task.step_id if task is not None else None, reason=reason,
        before=canonical(before or {}), after=canonical(after or {}), detail=canonical(detail or {}),
        prev_hash=case.last_event_hash or "",
    )
    event.hash = _digest(event)
    case.event_count = event.seq
    case.last_event_hash = event.hash
    # append-only: a plain INSERT, no identity-map bookkeeping
    session.execute(insert(CaseEvent), [{c.key: getattr(event, c.key) for c in _EVENT_COLUMNS}])
    return event


_EVENT_COLUMNS = [c for c in CaseEvent.__mapper__.column_attrs if c.key != "id"]


@dataclass
class AuditFinding:
    case_number: str
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"第 {self.seq} 条" if self.seq else "日志链"
        return f"办件 {self.case_number} {where}：{self.message}"


def verify(session: Session, batch: int = 2000, *, department_ids=None, received_from: datetime | None = None,
           received_before: datetime | None = None, ids: tuple[int, int] | None = None, progress=None) -> list[AuditFinding]:
    """Check every case's chain (or those of ``department_ids``, received in [``received_from``,
    ``received_before``), with ids in the closed range ``ids``); returns one finding per break.

    Streamed: a batch of cases by keyset on the id, then their events as plain rows in chain
    order, so memory stays flat at any size. ``progress(n)`` is told of each batch's n cases."""
    findings: list[AuditFinding] = []
    where = _case_filter(department_ids, received_from, received_before, ids)
    # unfiltered, a batch's events are one range of the (case_id, seq) index; filtered, the batch's ids
    filtered = department_ids is not None or received_from is not None or received_before is not None
    last_id = ids[0] - 1 if ids else 0
    _fast_json(session)
    while True:
        cases = session.execute(select(*_CASE_COLUMNS).where(Case.id > last_id, *where)
                                .order_by(Case.id).limit(batch)).all()
        if not cases:
            return findings
        last_id = cases[-1].id
        span = (_EVENTS.c.case_id.in_([c.id for c in cases]) if filtered
                else _EVENTS.c.case_id.between(cases[0].id, last_id))
        events: dict[int, list] = {}
        for ev in session.execute(select(*_EVENT_COLUMNS).where(span).order_by(_EVENTS.c.case_id, _EVENTS.c.seq)).all():
            events.setdefault(ev.case_id, []).append(ev)
        for case in cases:
            findings.extend(_verify_case(case, events.get(case.id, ())))
        if progress is not None:
            progress(len(cases))


def _loads(data: bytes):
    """orjson reads the stored JSON into the same values as the standard library, five times faster; what
    it refuses (a number beyond 64 bits) the standard library reads."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _DECODE(data.decode("utf-8"))


def _fast_json(session: Session) -> None:
    """psycopg's JSON loader sniffs each value's encoding first; the database sends UTF-8."""
    if session.get_bind().dialect.name == "postgresql":
        from psycopg.types.json import set_json_loads

        set_json_loads(_loads, session.connection().connection.driver_connection)


_CASE_COLUMNS = (Case.id, Case.number, Case.event_count, Case.last_event_hash)
_EVENTS = CaseEvent.__table__
_EVENT_COLUMNS = [c for c in _EVENTS.columns if c.name != "id"]


def _case_filter(department_ids, received_from, received_before, ids) -> list:
    where = []
    if ids:
        where += [Case.id >= ids[0], Case.id <= ids[1]]
    if department_ids is not None:
        where.append(Case.department_id.in_(list(department_ids)))
    if received_from is not None:
        where.append(Case.received_at >= received_from)
    if received_before is not None:
        where.append(Case.received_at < received_before)
    return where


def case_span(session: Session, department_ids=None, received_from: datetime | None = None,
              received_before: datetime | None = None) -> tuple[int, int | None, int | None]:
    """How many cases a verification covers, and their lowest and highest id."""
    where = _case_filter(department_ids, received_from, received_before, None)
    return tuple(session.execute(select(func.count(), func.min(Case.id), func.max(Case.id)).where(*where)).one())


def _verify_slice(args) -> tuple[int, list[AuditFinding], int]:
    settings, lo, hi, filters = args
    from .db import Database

    db = Database(settings=settings)
    try:
        with db.transaction(write=False) as session:
            done = []
            found = verify(session, ids=(lo, hi), progress=done.append, **filters)
            return lo, found, sum(done)
    finally:
        db.dispose()


def verify_all(db, *, workers: int = 1, department_ids=None, received_from: datetime | None = None,
               received_before: datetime | None = None, progress=None, on_total=None) -> list[AuditFinding]:
    """:func:`verify` over the database, split by id range across ``workers`` processes (each with
    its own connection); findings in case order. ``on_total(n)`` is told the number of cases first."""
    filters = {"department_ids": department_ids, "received_from": received_from, "received_before": received_before}
    with db.transaction(write=False) as session:
        total, low, high = case_span(session, **filters)
    if on_total is not None:
        on_total(total)
    if not total:
        return []
    if workers <= 1:
        with db.transaction(write=False) as session:
            return verify(session, progress=progress, **filters)
    import multiprocessing

    slices = max(workers * 16, (high - low) // 20_000 + 1)
    step = (high - low) // slices + 1
    jobs = [(db.settings, lo, min(lo + step - 1, high), filters) for lo in range(low, high + 1, step)]
    found: dict[int, list[AuditFinding]] = {}
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for lo, part, count in pool.imap_unordered(_verify_slice, jobs):
            found[lo] = part
            if progress is not None:
                progress(count)
    return [f for lo in sorted(found) for f in found[lo]]


def _verify_case(case: Case, events: list[CaseEvent]) -> list[AuditFinding]:
    out, prev, expected_seq = [], "", 1
    for ev in events:
        if ev.seq != expected_seq:
            out.append(AuditFinding(case.number, expected_seq, f"缺少第 {expected_seq} 至 {ev.seq - 1} 条记录（已被删除）。"))
        if ev.prev_hash != prev:
            out.append(AuditFinding(case.number, ev.seq, "与前一条记录的链接断开（前一条被删除或篡改）。"))
        if _quick_digest(ev) != ev.hash and _digest(ev) != ev.hash:
            out.append(AuditFinding(case.number, ev.seq, f"内容与哈希不符（记录已被修改）：{ev.action}。"))
        prev, expected_seq = ev.hash, ev.seq + 1
    if case.event_count != len(events) or (events and case.last_event_hash != events[-1].hash):
        if case.event_count > (events[-1].seq if events else 0):
            out.append(AuditFinding(case.number, case.event_count, "末尾的记录已被删除。"))
        elif case.last_event_hash != (events[-1].hash if events else ""):
            out.append(AuditFinding(case.number, None, "日志链末端与办件记录不符。"))
    return out
