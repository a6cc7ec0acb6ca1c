"""报送与通知 for administrators: the upward feed's outbox (``feed_outbox``) and the notification
outbox (``notification``) with their counts by state, one page of either, and requeueing a message
that failed. Read straight from the tables the senders work on; every requeue is in the system log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, notify, systemlog
from .errors import InvalidState, NotFound
from .models import FeedMessage, Notification, User
from .orgadmin import require_admin
from .paging import Order, Page, capped_count, fetch
from .validation import INT_MAX

FEED_STATES = {"pending": "待报送", "sent": "已报送", "dead": "失败（不再重试）"}
NOTIFY_STATES = notify.STATES
CHANNELS = {"sms": "短信", "email": "电子邮件", "log": "日志"}
PAGE_SIZE = 50
#: what a notification's ``ref`` prefix stands for (``case:530930…`` → 办件 530930…)
REF_KINDS = {"case": "办件", "info_request": "信息公开申请", "question": "咨询投诉"}


def ref_label(ref: str | None) -> str:
    """A notification's reference as people read it."""
    kind, sep, number = (ref or "").partition(":")
    if sep and kind in REF_KINDS:
        return f"{REF_KINDS[kind]} {number}"
    return ref or "—"


def delivery(settings) -> dict[str, str | None]:
    """Per channel (sms, email, feed): None when it really sends, else why nothing leaves the building."""
    return {
        "sms": None if settings.sms_gateway_url else "未配置短信网关（SUNHALL_SMS_GATEWAY_URL），只写入日志，未实际发送",
        "email": None if settings.smtp_host else "未配置邮件服务器（SUNHALL_SMTP_HOST），只写入日志，未实际发送",
        "feed": None if settings.feed_url else "未配置省级平台地址（SUNHALL_FEED_URL），消息保留在发件箱",
    }


def _id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT_MAX


def _counts(session: Session, model, states: dict) -> dict[str, int]:
    """Each state's count, capped (engine.paging.capped_count): both outboxes grow with the cases."""
    return {s: capped_count(session, select(model.id).where(model.state == s)) for s in states}


def _page(session: Session, model, state: str | None, states: dict, cursor: dict,
          size: int) -> tuple[Page, dict[str, int]]:
    query = select(model)
    if state in states:
        query = query.where(model.state == state)
    page = fetch(session, query, (Order(model.id, desc=True),), lambda m: [m.id], size=size, scalars=True, **cursor)
    return page, _counts(session, model, states)


def feed_page(session: Session, actor: User, *, state: str | None = None, after: str | None = None,
              before: str | None = None, size: int = PAGE_SIZE) -> tuple[Page, dict[str, int]]:
    """(a page of messages newest first, after or before a cursor; the counts by state)."""
    require_admin(actor)
    return _page(session, FeedMessage, state, FEED_STATES, {"after": after, "before": before}, size)


def notification_page(session: Session, actor: User, *, state: str | None = None, after: str | None = None,
                      before: str | None = None, size: int = PAGE_SIZE) -> tuple[Page, dict[str, int]]:
    require_admin(actor)
    return _page(session, Notification, state, NOTIFY_STATES, {"after": after, "before": before}, size)


def requeue_feed(session: Session, actor: User, message_id: int, kind_names: dict | None = None) -> FeedMessage:
    """重新报送: a dead (or waiting) message goes back to pending, due now; its delivery id stays the
    same, so the receiver still drops a duplicate. ``kind_names``: the case log's names of the actions
    (forms.documents.ACTIONS, which engine/ may not import), for the system log."""
    require_admin(actor)
    message = session.get(FeedMessage, message_id, with_for_update=True) if _id(message_id) else None
    if message is None:
        raise NotFound("报送消息不存在。")
    if message.state == "sent":
        raise InvalidState(f"报送消息 {message.delivery_id} 已报送成功，无需重新报送。")
    before = FEED_STATES.get(message.state, message.state)
    message.state, message.next_attempt_at = "pending", clock.now()
    session.flush()
    systemlog.record(session, actor=actor, action="feed.requeued", target=f"{message.case_number}：{message.delivery_id}",
                     detail={"kind": (kind_names or {}).get(message.kind, message.kind), "reason": f"原状态：{before}，已尝试 {message.attempts} 次"})
    return message


def requeue_notification(session: Session, actor: User, notification_id: int) -> Notification:
    """重新发送 a failed notification: queued again with its attempts counted from zero."""
    require_admin(actor)
    if not _id(notification_id):
        raise NotFound("通知不存在。")
    note = notify.requeue(session, notification_id)
    session.flush()
    systemlog.record(session, actor=actor, action="notify.requeued", target=f"{note.ref}：{note.subject}"[:200],
                     detail={"kind": CHANNELS.get(note.channel, note.channel), "reason": (note.error or "")[:200]})
    return note
