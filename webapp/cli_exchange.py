"""`sunhall feed …`: the feed upward to the provincial platform (报送省级平台), registered on the main
command in webapp.cli."""

from __future__ import annotations

from contextlib import contextmanager

import click

from engine import clock
from engine.config import Settings
from engine.exchange import feed


@contextmanager
def _database():
    """The command's database, its connections closed when the command ends."""
    from .cli import _db

    db = _db()
    try:
        yield db
    finally:
        db.dispose()


@click.group("feed")
def group():
    """数据交换：向省级平台报送办件数据（发件箱）。"""


@group.command("status")
def status():
    """各状态的报送消息数量，以及最早的待发送消息。"""
    from .cli import console

    with _database() as db, db.transaction(write=False) as session:
        seen = feed.status(session)
    for state, label in feed.STATES.items():
        console.print(f"{label}：{seen['counts'][state]} 条")
    oldest = seen["oldest_pending"]
    if oldest is not None:
        console.print(f"最早的待发送消息：{oldest.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}")
    if not Settings.from_env().feed_url:
        console.print("尚未配置省级平台地址（SUNHALL_FEED_URL），消息保留在发件箱中，配置后自动发送。")


@group.command("send")
def send():
    """立即发送到期的报送消息（平时由定时任务发送）。"""
    from .cli import _fail, console

    if not Settings.from_env().feed_url:
        _fail("尚未配置省级平台地址（SUNHALL_FEED_URL），无法发送。")
    with _database() as db:
        sent = feed.send_due(db)
        with db.transaction(write=False) as session:
            seen = feed.status(session)
    console.print(f"已发送 {sent} 条；待发送 {seen['counts']['pending']} 条，已停止重试 {seen['counts']['dead']} 条。")


@group.command("requeue")
@click.argument("message_id", required=False)
@click.option("--dead", is_flag=True, help="重新发送全部已停止重试的消息。")
def requeue(message_id, dead):
    """把一条（或 --dead 全部已停止重试的）报送消息放回发件箱，立即重新发送；记入系统日志。"""
    from engine.errors import SunhallError
    from engine.validation import parse_row_id

    from .cli import _fail, console

    if message_id is None and not dead:
        _fail("请给出消息编号，或使用 --dead 重新发送全部已停止重试的消息。")
    if message_id is not None and dead:
        _fail("消息编号与 --dead 只能选择其一。")
    if message_id is not None:
        message_id = parse_row_id(message_id)
        if message_id is None:
            _fail("消息编号应为正整数。")
    try:
        with _database() as db, db.transaction() as session:
            count = feed.requeue(session, None, message_id=message_id, dead=dead)
    except SunhallError as exc:
        _fail(exc.message)
    console.print(f"已放回发件箱 {count} 条消息，将在下一次发送时重新发送。")
