"""The feed upward (报送省级平台): every change of a case — a transition of our own cases and every
report of an external one — is offered to the provincial platform as one message of the outbox
(``feed_outbox``), written by a transition listener in the change's own transaction: a command that
rolls back leaves no message. A sender, run by the scheduler's tick (or ``sunhall feed send``),
POSTs the due messages after commit, in order per case, with retries and exponential backoff;
after ``MAX_ATTEMPTS`` a message is dead (the dead-letter list an administrator sees and requeues).
The format is documented in docs/exchange.md (FORMAT names its version)."""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import inspect as inspect_row
from sqlalchemy.orm import Session, aliased

from .. import clock, rawsql, systemlog
from ..config import Settings
from ..errors import InvalidInput, NotFound
from ..listeners import Transition
from ..models import Case, CaseTask, Department, FeedMessage, Item, ItemVersion, User
from ..models.cases import CASE_STATES, TASK_STATES
from ..service import authority

FORMAT = "sunhall.case-feed/1"
STATES = {"pending": "待发送", "sent": "已发送", "dead": "已停止重试"}
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 60  # the first retry after a minute, then 2, 4, 8 … minutes
MAX_BACKOFF = timedelta(hours=6)
CLAIM = timedelta(minutes=5)  # a message being sent is not picked up by another sender meanwhile
TIMEOUT_SECONDS = 10
BATCH = 50
log = logging.getLogger(__name__)


# --- writing: one message per case change, in the change's transaction ------------------------------
# The message is the case as it stands at the change (a later change must not rewrite an earlier
# message), so it is built here; from the case row the listener is given and two statements built
# once (the case's names; its steps with their handlers and departments), written on the cursor.

_FEED = FeedMessage.__table__
_NAMES = select(
    select(Item.code).where(Item.id == bindparam("item_id")).scalar_subquery(),
    select(ItemVersion.name).where(ItemVersion.id == bindparam("version_id")).scalar_subquery(),
    select(ItemVersion.version).where(ItemVersion.id == bindparam("version_id")).scalar_subquery(),
    select(Department.code).where(Department.id == bindparam("department_id")).scalar_subquery(),
    select(Department.name).where(Department.id == bindparam("department_id")).scalar_subquery(),
    select(User.name).where(User.id == bindparam("accepted_by_id")).scalar_subquery())
_STEP_COLUMNS = ("id", "step_id", "step_name", "post_code", "department_id", "state", "created_at", "time_limit",
                 "due_date", "completed_at", "completed_by_id", "form_data", "opinion", "approved", "reason")
_handler, _department = aliased(User), aliased(Department)
_STEPS = (select(*(getattr(CaseTask, c) for c in _STEP_COLUMNS), _handler.name, _department.code)
          .outerjoin(_handler, _handler.id == CaseTask.completed_by_id)
          .outerjoin(_department, _department.id == CaseTask.department_id)
          .where(CaseTask.case_id == bindparam("case_id")).order_by(CaseTask.created_at, CaseTask.id))


def on_transition(t: Transition) -> None:
    """The listener: an internal flow (督办, 法制审核) is work between offices, not a case to report."""
    case = t.case
    if authority.flow_kind(t.session, case.definition_id).internal:
        return
    now = clock.now()
    rawsql.insert_rows(t.session, _FEED, [dict(
        delivery_id=uuid.uuid4().hex, case_id=case.id, case_number=case.number, event_seq=case.event_count,
        kind=t.action, payload=payload(t.session, case, t.action), state="pending", attempts=0, next_attempt_at=now,
        created_at=now)])


def _time(value) -> str | None:
    return value.astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds") if value is not None else None


def _steps(session: Session, case_id: int) -> list:
    """The case's task rows (with the handler's name and the department's code) as the database has
    them, or as this session holds them when a listener changed one and it is not flushed yet."""
    rows = []
    held = session.identity_map
    for row in session.connection().execute(_STEPS, {"case_id": case_id}):
        task = held.get((CaseTask, (row.id,), None))
        if task is not None and inspect_row(task).modified:
            row = SimpleNamespace(**{c: getattr(task, c) for c in _STEP_COLUMNS}, name=row.name, code=row.code)
        rows.append(row)
    return rows


def payload(session: Session, case: Case, kind: str) -> dict:
    """The case's process and result data as the provincial platform receives them (docs/exchange.md)."""
    item_code, version_name, version, dept_code, dept_name, accepted_by = session.connection().execute(_NAMES, dict(
        item_id=case.item_id, version_id=case.item_version_id, department_id=case.department_id,
        accepted_by_id=case.accepted_by_id)).one()
    tasks = _steps(session, case.id)
    external = (case.data or {}).get("external") or {}
    return {
        "format": FORMAT, "kind": kind, "event_seq": case.event_count,
        "case": {
            "number": case.number, "source": case.source or "sunhall", "external_id": case.external_id,
            "item": {"code": item_code, "name": version_name, "version": version},
            "department": {"code": dept_code, "name": dept_name}, "subject": case.subject,
            "case_type": case.case_type, "channel": case.channel,
            "applicant": {"type": case.applicant_type, "name": case.applicant_name, "cert_type": case.cert_type,
                          "cert_number": case.cert_number, "contact_name": case.contact_name,
                          "phone": case.contact_phone, "address": case.address},
            "received_at": _time(case.received_at), "accepted_at": _time(case.accepted_at),
            "accepted_by": external.get("accepted_by") or accepted_by,
            "promised_limit": {"days": case.limit_days, "unit": case.limit_unit},
            "deadline": case.deadline.isoformat() if case.deadline else None,
            "paused": case.pause_kind, "paused_days": case.paused_days, "extended_days": case.extended_days,
            "state": case.state, "state_name": CASE_STATES.get(case.state, case.state),
            "result": {"decision": case.result, "finished_at": _time(case.finished_at),
                       **{k: v for k, v in (case.result_detail or {}).items()
                          if k in ("document_number", "detail", "figures")}} if case.finished_at else None,
        },
        "materials": external.get("materials") or [],
        "steps": [{
            "step_id": t.step_id, "name": t.step_name, "post": t.post_code, "department": t.code,
            "state": t.state, "state_name": TASK_STATES.get(t.state, t.state), "started_at": _time(t.created_at),
            "time_limit": t.time_limit, "due_date": t.due_date.isoformat() if t.due_date else None,
            "completed_at": _time(t.completed_at),
            "handler": t.name or (t.form_data or {}).get("handler") if t.completed_at else None,
            "opinion": t.opinion, "approved": t.approved, "reason": t.reason,
        } for t in tasks if t.state != "cancelled"],
    }


# --- sending: after commit, by the scheduler's tick or `sunhall feed send` ---------------------------

def backoff(attempts: int) -> timedelta:
    """How long after the ``attempts``-th failure the message is tried again."""
    return min(timedelta(seconds=BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def send_due(db, settings: Settings | None = None, limit: int = 500) -> int:
    """Deliver the due messages (at most ``limit``); returns how many were delivered. Without a
    feed_url nothing is sent: the messages stay pending, and the administrator sees them waiting.
    Each case's messages go in order: a case's later message waits while an earlier one is pending."""
    settings = settings or db.settings
    if not settings.feed_url:
        return 0
    sent = 0
    while sent < limit:
        with db.transaction() as session:
            batch = _claim(session, min(BATCH, limit - sent))
        if not batch:
            return sent
        for message_id, delivery_id, body in batch:
            error = _post(settings, delivery_id, body)
            with db.transaction() as session:
                _settle(session, message_id, error)
            sent += error is None
    return sent


send_due.label = "向省级平台报送办件数据"  # shown when the hook fails (engine.scheduler.run_tick)


def _claim(session: Session, limit: int) -> list[tuple[int, str, bytes]]:
    """The due messages that are first of their case among the pending ones, each claimed for CLAIM."""
    now = clock.now()
    due = session.execute(select(FeedMessage.id, FeedMessage.case_id).where(
        FeedMessage.state == "pending", FeedMessage.next_attempt_at <= now).order_by(FeedMessage.id).limit(limit)).all()
    if not due:
        return []
    case_ids = {c for _, c in due if c is not None}
    first = dict(session.execute(select(FeedMessage.case_id, func.min(FeedMessage.id)).where(
        FeedMessage.state == "pending", FeedMessage.case_id.in_(case_ids)).group_by(FeedMessage.case_id)).all()) \
        if case_ids else {}
    out = []
    for message_id, case_id in due:
        if case_id is not None and first.get(case_id) != message_id:
            continue  # an earlier message of the case is waiting for its retry: keep the order
        claimed = session.execute(update(FeedMessage).where(
            FeedMessage.id == message_id, FeedMessage.state == "pending", FeedMessage.next_attempt_at <= now)
            .values(next_attempt_at=now + CLAIM)).rowcount
        if claimed:
            message = session.get(FeedMessage, message_id)
            body = {**message.payload, "delivery_id": message.delivery_id}
            out.append((message_id, message.delivery_id, json.dumps(body, ensure_ascii=False).encode("utf-8")))
    return out


def _post(settings: Settings, delivery_id: str, body: bytes) -> str | None:
    """POST one message; None when the platform took it (2xx), else why not, in Chinese."""
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": delivery_id,
               "User-Agent": "Sunhall-feed/1"}
    if settings.feed_token:
        headers["Authorization"] = f"Bearer {settings.feed_token}"
    request = urllib.request.Request(settings.feed_url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (configured URL)
            response.read(65536)
            return None if 200 <= response.status < 300 else f"省级平台返回 HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"省级平台返回 HTTP {exc.code}"
    except (TimeoutError, socket.timeout):
        return f"省级平台 {TIMEOUT_SECONDS} 秒内没有响应（超时）"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return f"省级平台 {TIMEOUT_SECONDS} 秒内没有响应（超时）"
        return f"无法连接省级平台：{reason}"[:500]


def _settle(session: Session, message_id: int, error: str | None) -> None:
    message = session.get(FeedMessage, message_id)
    if message is None or message.state != "pending":
        return
    now = clock.now()
    message.attempts += 1
    if error is None:
        message.state, message.sent_at, message.last_error = "sent", now, None
        return
    message.last_error = error
    if message.attempts >= MAX_ATTEMPTS:
        message.state = "dead"
        log.warning("feed message %s is dead after %s attempts: %s", message.delivery_id, message.attempts, error)
    else:
        message.next_attempt_at = now + backoff(message.attempts)


# --- the administrator's view and commands -----------------------------------------------------------

def status(session: Session) -> dict:
    """Counts by state and the oldest pending message's time (``sunhall feed status``, the admin page)."""
    counts = dict(session.execute(select(FeedMessage.state, func.count()).group_by(FeedMessage.state)).all())
    oldest = session.scalar(select(func.min(FeedMessage.created_at)).where(FeedMessage.state == "pending"))
    return {"counts": {state: counts.get(state, 0) for state in STATES}, "oldest_pending": oldest}


def requeue(session: Session, actor: User | None, message_id: int | None = None, dead: bool = False,
            now: datetime | None = None) -> int:
    """Put a dead (or still pending) message, or every dead one, back in the queue to be sent now;
    recorded in the system log (feed.requeued). Returns how many."""
    now = now or clock.now()
    if message_id is None and not dead:
        raise InvalidInput("请指定要重新发送的消息编号，或选择全部已停止重试的消息。", field="id")
    query = select(FeedMessage).where(FeedMessage.state == "dead") if message_id is None else \
        select(FeedMessage).where(FeedMessage.id == message_id)
    rows = list(session.scalars(query.with_for_update()))
    if message_id is not None:
        if not rows:
            raise NotFound(f"报送消息 {message_id} 不存在。")
        if rows[0].state == "sent":
            raise InvalidInput(f"报送消息 {message_id} 已发送成功，无需重新发送。", field="id")
    for row in rows:
        row.state, row.attempts, row.next_attempt_at = "pending", 0, now
    if rows:
        systemlog.record(session, actor=actor, action="feed.requeued",
                         target=f"feed_outbox:{message_id}" if message_id else "feed_outbox:dead",
                         detail={"count": len(rows), "delivery_ids": [r.delivery_id for r in rows[:50]]})
    return len(rows)
