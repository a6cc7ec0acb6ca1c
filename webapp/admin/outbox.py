"""报送与通知: the upward feed's outbox and the notification outbox, counted by state, filtered and
paged, with 重新报送 / 重新发送 for a message that failed (:mod:`engine.outbox`)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from engine import outbox as service
from engine.errors import InvalidInput
from engine.exchange import report
from engine.exchange.report import ACTIONS as EXTERNAL_ACTIONS
from forms.documents import ACTIONS

from ..db import db_session
from . import admin_only, bp, me, page_number

#: a feed message's kind is the case log's action: the same names as the case log shows
KIND_NAMES = {**ACTIONS, **EXTERNAL_ACTIONS, "report": report.SOURCE_LABEL}


def _delivery() -> dict[str, str | None]:
    return service.delivery(current_app.extensions["sunhall_settings"])


def _state(name: str, states: dict) -> str | None:
    raw = request.args.get(name, "").strip()
    if raw and raw not in states:
        raise InvalidInput("状态筛选无效，请从列表中选择。")
    return raw or None


@bp.get("/outbox")
@admin_only
def outbox():
    session = db_session()
    feed_state, note_state = _state("feed", service.FEED_STATES), _state("notify", service.NOTIFY_STATES)
    feed_page, note_page = page_number("feed_page"), page_number("notify_page")
    feed, feed_total, feed_counts = service.feed_page(session, me(), state=feed_state, page=feed_page)
    notes, note_total, note_counts = service.notification_page(session, me(), state=note_state, page=note_page)
    size = service.PAGE_SIZE
    return render_template("admin/outbox.html", feed=feed, feed_total=feed_total, feed_counts=feed_counts,
                           notes=notes, note_total=note_total, note_counts=note_counts, feed_state=feed_state or "",
                           note_state=note_state or "", feed_page=feed_page, note_page=note_page,
                           feed_pages=max(1, -(-feed_total // size)), note_pages=max(1, -(-note_total // size)),
                           feed_states=service.FEED_STATES, note_states=service.NOTIFY_STATES, channels=service.CHANNELS,
                           kinds=KIND_NAMES, ref_label=service.ref_label, delivery=_delivery())


@bp.post("/outbox/feed/<int:message_id>/requeue")
@admin_only
def feed_requeue(message_id: int):
    message = service.requeue_feed(db_session(), me(), message_id, KIND_NAMES)
    why = _delivery()["feed"]
    flash(f"已重新排队报送 {message.case_number} 的消息（{message.delivery_id}），"
          + (f"但{why}，不会发出。" if why else "发送程序将在下一轮立即重试。"))
    return redirect(url_for("admin.outbox", feed=request.args.get("feed") or None) + "#feed")


@bp.post("/outbox/notifications/<int:note_id>/requeue")
@admin_only
def notification_requeue(note_id: int):
    note = service.requeue_notification(db_session(), me(), note_id)
    why = _delivery().get(note.channel) if note.channel in ("sms", "email") else "日志渠道只写入日志，未实际发送"
    flash(f"已重新排队发送通知“{note.subject}”" + (f"，但{why}。" if why else "，发送程序将在下一轮发送。"))
    return redirect(url_for("admin.outbox", notify=request.args.get("notify") or None) + "#notifications")
