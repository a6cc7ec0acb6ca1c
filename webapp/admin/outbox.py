"""报送与通知: the upward feed's outbox and the notification outbox, counted by state, filtered and
paged, with 重新报送 / 重新发送 for a message that failed (:mod:`engine.outbox`)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from engine import outbox as service
from engine.errors import InvalidInput
from engine.exchange import report
from engine.exchange.report import ACTIONS as EXTERNAL_ACTIONS
from engine.paging import Page
from forms.documents import ACTIONS

from ..db import db_session
from ..paging import CURSOR_ARGS, shown_total
from . import admin_only, bp, me

#: a feed message's kind is the case log's action: the same names as the case log shows
KIND_NAMES = {**ACTIONS, **EXTERNAL_ACTIONS, "report": report.SOURCE_LABEL}


def _delivery() -> dict[str, str | None]:
    return service.delivery(current_app.extensions["sunhall_settings"])


def _state(name: str, states: dict) -> str | None:
    raw = request.args.get(name, "").strip()
    if raw and raw not in states:
        raise InvalidInput("状态筛选无效，请从列表中选择。")
    return raw or None


def _cursor(prefix: str) -> dict:
    """One list's cursor: the page has two lists, each paged by its own ``<prefix>_after`` / ``_before``."""
    return {n: request.args[f"{prefix}_{n}"] for n in CURSOR_ARGS if request.args.get(f"{prefix}_{n}")}


def _links(page: Page, prefix: str, anchor: str) -> dict:
    """首页 / 上一页 / 下一页 of one list, the other list's filter and cursor kept (templates/_pager.html)."""
    own = {f"{prefix}_{n}" for n in CURSOR_ARGS}
    args = {k: v for k, v in request.args.items() if k not in own and not k.endswith("_page")}

    def url(**cur):
        return url_for("admin.outbox", **args, **{f"{prefix}_{k}": v for k, v in cur.items()}) + anchor

    return {"first": url() if not page.first else None, "prev": url(before=page.prev) if page.prev else None,
            "next": url(after=page.next) if page.next else None}


@bp.get("/outbox")
@admin_only
def outbox():
    session = db_session()
    feed_state, note_state = _state("feed", service.FEED_STATES), _state("notify", service.NOTIFY_STATES)
    feed, feed_counts = service.feed_page(session, me(), state=feed_state, **_cursor("feed"))
    notes, note_counts = service.notification_page(session, me(), state=note_state, **_cursor("notify"))
    return render_template("admin/outbox.html", feed=feed.rows, feed_counts={s: shown_total(n) for s, n in feed_counts.items()},
                           notes=notes.rows, note_counts={s: shown_total(n) for s, n in note_counts.items()},
                           feed_state=feed_state or "", note_state=note_state or "",
                           feed_links=_links(feed, "feed", "#feed"), note_links=_links(notes, "notify", "#notifications"),
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
