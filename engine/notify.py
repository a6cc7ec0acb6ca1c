"""Notifications to askers and complainants: queued in the command's own transaction, sent after it
commits by the adapter of the channel (SMS to a phone, email to an address).

The adapters now write each message to the log (``sunhall.notify``); an SMS gateway or an SMTP
adapter plugs in with :func:`register_adapter` without changing a caller. A message whose adapter
fails stays queued with the error and is retried by the scheduler's tick, at most
:data:`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .models import Notification

log = logging.getLogger("sunhall.notify")
MAX_ATTEMPTS = 5
CHANNELS = {"sms": "短信", "email": "电子邮件"}

Adapter = Callable[[Notification], None]


def log_adapter(message: Notification) -> None:
    log.info("%s to %s [%s] %s: %s", message.channel, message.recipient, message.ref, message.subject, message.body)


_adapters: dict[str, Adapter] = {"sms": log_adapter, "email": log_adapter}


def register_adapter(channel: str, adapter: Adapter) -> None:
    _adapters[channel] = adapter


def queue(session: Session, *, phone: str | None, email: str | None, subject: str, body: str, ref: str) -> list[Notification]:
    """Queue the message for every contact given (an email and an SMS when both are known); it
    goes out once the command commits, never for a command that rolls back."""
    now = clock.now()
    messages = [Notification(channel=channel, recipient=to, subject=subject[:200], body=body, ref=ref[:60],
                             state="queued", attempts=0, created_at=now)
                for channel, to in (("email", email), ("sms", phone)) if to]
    session.add_all(messages)
    if messages:
        session.info["sunhall_notify"] = True
    return messages


def after_close(session: Session, committed: bool) -> None:
    """Called by whoever ends the transaction (engine.db, the web request), once the session is
    closed: send what the committed command queued. A failed delivery never fails the command;
    the tick retries."""
    if not session.info.pop("sunhall_notify", False) or not committed:
        return
    try:
        with Session(session.get_bind()) as fresh, fresh.begin():
            deliver(fresh)
    except Exception:
        log.warning("delivering notifications after commit failed", exc_info=True)


def deliver(session: Session, limit: int = 200) -> int:
    """Send what is queued (oldest first); returns how many went out."""
    sent = 0
    for message in session.scalars(select(Notification).where(
            Notification.state == "queued").order_by(Notification.id).limit(limit).with_for_update(skip_locked=True)):
        message.attempts += 1
        try:
            _adapters[message.channel](message)
        except Exception as exc:  # noqa: BLE001 - any adapter failure is recorded and retried
            message.error = f"{type(exc).__name__}: {exc}"[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = "failed"
            continue
        message.state, message.sent_at, message.error = "sent", clock.now(), None
        sent += 1
    return sent


def tick(db) -> int:
    """The scheduler's retry of what could not be sent after commit."""
    with db.transaction() as session:
        return deliver(session)


tick.label = "发送咨询和投诉的答复通知"
