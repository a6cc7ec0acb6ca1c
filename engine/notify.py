"""Notifications (短信、电子邮件; seed 002 §8.4): queued in the command's own transaction, sent after it
commits by the adapter of the channel, retried by the scheduler's tick.

The adapter of a channel comes from the settings of the database the message is delivered
through: email through SMTP when ``smtp_host`` is set, SMS through the county's HTTP gateway when
``sms_gateway_url`` is set (the contract is in docs/notices.md), otherwise the log adapter, which
writes the message to the log ``sunhall.notify``. Nothing is read or connected at import time.

No network call runs inside a database transaction: the messages are read, sent, and their outcome
recorded in a second short transaction (a conditional update, so that a message is recorded once).
After commit the request's own messages are tried once with a short timeout; whatever fails stays
queued with its error, in words an administrator can read, and the tick retries it with a growing
delay until :data:`MAX_ATTEMPTS` attempts, after which it is ``failed`` and waits for an
administrator to send it again (:func:`requeue`). Delivery is at least once: a message carries a
stable id (the email's Message-ID, the gateway's ``id``) by which a receiver can drop a repeat.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from . import clock
from .config import Settings
from .errors import InvalidState, NotFound
from .models import Notification
from .notify_adapters import AdapterFailure, adapters_for

log = logging.getLogger("sunhall.notify")
MAX_ATTEMPTS = 5
CHANNELS = {"sms": "短信", "email": "电子邮件"}
STATES = {"queued": "待发送", "sent": "已发送", "failed": "发送失败"}
AFTER_COMMIT_TIMEOUT = 3.0  # seconds per network operation while a request or command waits
AFTER_COMMIT_BUDGET = 5.0  # seconds in all after a commit; the rest is left to the tick
TICK_TIMEOUT = 10.0
# when attempt n+1 is due, counted from the message's creation: the first goes right after commit
# (the tick waits a minute before it tries one the committing process did not), then 2 min, 10 min,
# 1 h, 4 h
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1),
               timedelta(hours=4))
SESSION_KEY = "sunhall_notify"

def queue(session: Session, *, phone: str | None, email: str | None, subject: str, body: str, ref: str,
          kind: str | None = None, case_id: int | None = None, sms_body: str | None = None) -> list[Notification]:
    """Queue the message for every contact given (an email and an SMS when both are known); it
    goes out once the command commits, never for a command that rolls back."""
    now = clock.now()
    messages = [Notification(channel=channel, recipient=to[:120], subject=subject[:200], body=text, ref=ref[:60],
                             kind=kind, case_id=case_id, state="queued", attempts=0, created_at=now)
                for channel, to, text in (("email", email, body), ("sms", phone, sms_body or body)) if to]
    session.add_all(messages)
    if messages:
        session.info.setdefault(SESSION_KEY, []).extend(messages)
    return messages


def queue_notice(session: Session, notice, *, phone: str | None, email: str | None, ref: str,
                 case_id: int | None = None) -> list[Notification]:
    """Queue a notice of engine.notice_texts (its kind, subject, email text and SMS text)."""
    return queue(session, phone=phone, email=email, subject=notice.subject, body=notice.body, ref=ref,
                 kind=notice.kind, case_id=case_id, sms_body=notice.sms)


def withdraw(session: Session, messages: list[Notification]) -> None:
    """Take back messages queued earlier in the same transaction (a later event of the command
    says it better, e.g. a case accepted and finished at once gets the 办结 notice only)."""
    pending = session.info.get(SESSION_KEY, [])
    for message in messages:
        if message in pending:
            pending.remove(message)
        if message in session.new:
            session.expunge(message)
        else:
            session.delete(message)


def after_close(session: Session, committed: bool) -> None:
    """Called by whoever ends the transaction (engine.db, the web request), once the session is
    closed: send what the committed command queued, within a short time. A failed delivery never
    fails the command; the tick retries."""
    messages = session.info.pop(SESSION_KEY, None)
    if not messages or not committed:
        return
    ids = [m.id for m in messages if m.id is not None]
    if not ids:
        return
    try:
        bind = session.get_bind()
        deliver(_transactions(bind), _settings(session), ids=ids, timeout=AFTER_COMMIT_TIMEOUT,
                budget=AFTER_COMMIT_BUDGET)
    except Exception:  # noqa: BLE001 - the command committed; the tick sends what is still queued
        log.warning("delivering notifications after commit failed", exc_info=True)


def _settings(session: Session) -> Settings:
    return session.info.get("settings") or Settings.from_env()


def _transactions(bind) -> Callable[[], contextlib.AbstractContextManager[Session]]:
    @contextlib.contextmanager
    def transaction():
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session
    return transaction


def due_clause(now):
    """Queued messages whose next attempt is due (see :data:`RETRY_AFTER`)."""
    return and_(Notification.state == "queued", or_(*(
        and_(Notification.attempts == n, Notification.created_at <= now - RETRY_AFTER[min(n, len(RETRY_AFTER) - 1)])
        for n in range(MAX_ATTEMPTS))))


def deliver(transaction, settings: Settings, *, ids: list[int] | None = None, timeout: float = TICK_TIMEOUT,
            budget: float | None = None, limit: int = 200) -> int:
    """Send queued messages — the given ones, or those due — and record each outcome; returns how
    many went out. A channel found unreachable is not tried again in this round (its other
    messages wait, their attempts not counted), so a dead server costs one timeout, not one each."""
    with transaction() as session:
        query = select(Notification).order_by(Notification.id).limit(limit)
        if ids is not None:
            query = query.where(Notification.id.in_(ids), Notification.state == "queued")
        else:
            query = query.where(due_clause(clock.now()))
        messages = list(session.scalars(query))
        session.expunge_all()
    if not messages:
        return 0
    adapters = adapters_for(settings, timeout)
    outcomes: list[tuple[Notification, str | None]] = []
    down: set[str] = set()
    started = time.monotonic()
    try:
        for message in messages:
            if message.channel in down or (budget is not None and time.monotonic() - started > budget):
                continue
            try:
                adapters[message.channel].send(message)
            except AdapterFailure as exc:
                outcomes.append((message, exc.message))
                if exc.channel_down:
                    down.add(message.channel)
            except Exception as exc:  # noqa: BLE001 - any adapter failure is recorded and retried
                log.warning("notification %s failed", message.id, exc_info=True)
                outcomes.append((message, f"发送失败：{type(exc).__name__}: {exc}"))
            else:
                outcomes.append((message, None))
    finally:
        for adapter in adapters.values():
            adapter.close()
    return _record(transaction, outcomes)


def _record(transaction, outcomes) -> int:
    sent = 0
    now = clock.now()
    with transaction() as session:
        for message, error in outcomes:
            attempts = message.attempts + 1
            values = dict(attempts=attempts, error=error[:500] if error else None)
            if error is None:
                values.update(state="sent", sent_at=now)
            elif attempts >= MAX_ATTEMPTS:
                values.update(state="failed")
            done = session.execute(update(Notification).where(
                Notification.id == message.id, Notification.state == "queued",
                Notification.attempts == message.attempts).values(**values))
            if error is None and done.rowcount:
                sent += 1
            if error is not None:
                log.warning("%s to %s (%s, attempt %d): %s", message.channel, message.recipient, message.ref,
                            attempts, error)
    return sent


def requeue(session: Session, notification_id: int) -> Notification:
    """An administrator sends a failed message again: it is queued with its attempts counted from
    zero, and the next tick sends it. (The caller records notify.requeued in the system log.)"""
    message = session.get(Notification, notification_id, with_for_update=True)
    if message is None:
        raise NotFound("通知不存在。")
    if message.state != "failed":
        raise InvalidState(f"只能重新发送“发送失败”的通知（此通知{STATES.get(message.state, message.state)}）。")
    message.state, message.attempts = "queued", 0
    return message


def tick(db) -> int:
    """The scheduler's retry of what could not be sent after commit."""
    return deliver(_transactions(db.WriteSession.kw["bind"]), db.settings, timeout=TICK_TIMEOUT)


tick.label = "发送通知（短信、电子邮件）并重试失败的通知"
