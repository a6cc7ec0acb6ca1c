"""Scheduler incidents (定时任务故障): one due timer, watch, lapse or tick hook that failed.

The failed item's own transaction is rolled back; the incident is written in a transaction of
its own so that it survives, shown to administrators and supervisors, and the item is retried on
later ticks. When the same item later succeeds its incident is resolved.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from . import clock
from .db import Database
from .errors import SunhallError
from .models import SchedulerIncident
from .validation import is_chinese

log = logging.getLogger(__name__)
_TABLE = SchedulerIncident.__table__
_sinks: list[list[str]] = []  # keys recorded while a ``counting()`` block is open (the tick's report)


KINDS = {"timer": "流程定时器", "lapse": "补正期满", "hook": "定时任务", "watch": "监察预警到期检查", "rule": "监察规则"}


def describe(exc: BaseException) -> str:
    """The error as an administrator sees it: our own errors by their (Chinese) message, others by
    their type and, when it is Chinese, their text: a library's English stays in the server log,
    with the traceback."""
    if isinstance(exc, SunhallError):
        text = exc.message
    elif is_chinese(str(exc)):
        text = f"内部错误（{type(exc).__name__}：{exc}）"
    else:
        text = f"内部错误（{type(exc).__name__}），详见服务器日志。"
    return text[:4000]


def record(target: Database | Session, key: str, kind: str, what: str, case_id: int | None,
           error: BaseException | str) -> None:
    """Record (or count again) an incident. Given a :class:`Database` it commits in its own
    transaction; given a session it only adds to that session's transaction."""
    message = describe(error) if isinstance(error, BaseException) else str(error)
    if isinstance(target, Database):
        with target.transaction() as session:
            _upsert(session, key, kind, what, case_id, message)
    else:
        _upsert(target, key, kind, what, case_id, message)
    for sink in _sinks:
        sink.append(key)


def _upsert(session: Session, key: str, kind: str, what: str, case_id: int | None, message: str) -> None:
    now = clock.now()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_TABLE).values(key=key[:100], kind=kind, what=what[:300], case_id=case_id, error=message,
                                         first_seen=now, last_seen=now, count=1, resolved_at=None)
    reopened = _TABLE.c.resolved_at.is_not(None)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=[_TABLE.c.key], set_={
        # a resolved incident that happens again starts a new episode
        "count": case((reopened, 1), else_=_TABLE.c.count + 1),
        "first_seen": case((reopened, excluded.first_seen), else_=_TABLE.c.first_seen),
        "last_seen": excluded.last_seen, "error": excluded.error, "what": excluded.what,
        "case_id": excluded.case_id, "kind": excluded.kind, "resolved_at": None})
    session.execute(stmt)


def resolve(target: Database | Session, key: str) -> bool:
    """The item succeeded: close its open incident. Returns True when there was one."""
    stmt = (update(_TABLE).where(_TABLE.c.key == key, _TABLE.c.resolved_at.is_(None))
            .values(resolved_at=clock.now()))
    if isinstance(target, Database):
        with target.transaction() as session:
            return session.execute(stmt).rowcount > 0
    return target.execute(stmt).rowcount > 0


def open_keys(target: Database | Session, kind: str | None = None) -> set[str]:
    """Keys of the open incidents (of one kind): read once per tick, so that a success resolves only
    what is open and the normal tick pays nothing per item."""
    stmt = select(_TABLE.c.key).where(_TABLE.c.resolved_at.is_(None))
    if kind is not None:
        stmt = stmt.where(_TABLE.c.kind == kind)
    if isinstance(target, Database):
        with target.transaction(write=False) as session:
            return set(session.scalars(stmt))
    return set(target.scalars(stmt))


def open_incidents(session: Session, limit: int = 500) -> list[SchedulerIncident]:
    return list(session.scalars(select(SchedulerIncident).where(SchedulerIncident.resolved_at.is_(None))
                                .order_by(SchedulerIncident.last_seen.desc()).limit(limit)))


def open_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_TABLE).where(_TABLE.c.resolved_at.is_(None))) or 0


@contextlib.contextmanager
def counting():
    """Collect the keys of incidents recorded inside the block (a tick's report)."""
    sink: list[str] = []
    _sinks.append(sink)
    try:
        yield sink
    finally:
        _sinks.remove(sink)


def guarded(db: Database, key: str, kind: str, what: str, case_id: int | None, fn, *args, resolve_keys=None):
    """Run ``fn(*args)``; on any exception log it, record an incident and return None instead of
    raising. On success resolve the key when it is among ``resolve_keys`` (open incidents)."""
    try:
        result = fn(*args)
    except Exception as exc:
        log.error("%s failed (%s): %s", key, what, describe(exc), exc_info=not isinstance(exc, SunhallError))
        try:
            record(db, key, kind, what, case_id, exc)
        except Exception:  # the database itself is failing: the log above is all we can do
            log.exception("could not record incident %s", key)
        return None
    if resolve_keys is not None and key in resolve_keys:
        resolve(db, key)
    return result
