"""The system log (系统日志): logins, logouts, unlocks and administrative changes, hash-chained.

Case things go to each case's own chain (``case_event``); everything else goes here. One head
row holds the newest sequence number and hash: appending locks it, so rows written by several
processes still form one chain, and a deleted last row is detected against it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, UTCDateTime


class SystemEvent(Base):
    """系统日志的一条记录. ``actor_id`` is deliberately no foreign key: the row never changes."""

    __tablename__ = "system_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SystemLogHead(Base):
    """The chain's end: one row (id 1), locked by every append."""

    __tablename__ = "system_log_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
