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

from sqlalchemy import insert, select
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


def _digest(event: CaseEvent) -> str:
    body = {
        "case_id": event.case_id, "seq": event.seq, "at": event.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id, "actor_name": event.actor_name, "action": event.action,
        "task_id": event.task_id, "step_id": event.step_id, "reason": event.reason,
        "before": event.before, "after": event.after, "detail": event.detail, "prev_hash": event.prev_hash,
    }
    text = json.dumps(canonical(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def verify(session: Session, batch: int = 500) -> list[AuditFinding]:
    """Check every case's chain; returns one finding per break."""
    findings: list[AuditFinding] = []
    last_id = 0
    while True:
        cases = session.scalars(select(Case).where(Case.id > last_id).order_by(Case.id).limit(batch)).all()
        if not cases:
            return findings
        last_id = cases[-1].id
        ids = [c.id for c in cases]
        events: dict[int, list[CaseEvent]] = {i: [] for i in ids}
        for ev in session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(ids))
                                  .order_by(CaseEvent.case_id, CaseEvent.seq)):
            events[ev.case_id].append(ev)
        for case in cases:
            findings.extend(_verify_case(case, events[case.id]))
        session.expunge_all()


def _verify_case(case: Case, events: list[CaseEvent]) -> list[AuditFinding]:
    out, prev, expected_seq = [], "", 1
    for ev in events:
        if ev.seq != expected_seq:
            out.append(AuditFinding(case.number, expected_seq, f"缺少第 {expected_seq} 至 {ev.seq - 1} 条记录（已被删除）。"))
        if ev.prev_hash != prev:
            out.append(AuditFinding(case.number, ev.seq, "与前一条记录的链接断开（前一条被删除或篡改）。"))
        if _digest(ev) != ev.hash:
            out.append(AuditFinding(case.number, ev.seq, f"内容与哈希不符（记录已被修改）：{ev.action}。"))
        prev, expected_seq = ev.hash, ev.seq + 1
    if case.event_count != len(events) or (events and case.last_event_hash != events[-1].hash):
        if case.event_count > (events[-1].seq if events else 0):
            out.append(AuditFinding(case.number, case.event_count, "末尾的记录已被删除。"))
        elif case.last_event_hash != (events[-1].hash if events else ""):
            out.append(AuditFinding(case.number, None, "日志链末端与办件记录不符。"))
    return out
