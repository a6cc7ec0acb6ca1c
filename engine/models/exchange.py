"""Sunhall among other systems: API tokens for department systems and scripts, the upward feed's
outbox (报送省级平台) and the archive packages of finished cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, UTCDateTime
from .org import User

#: What a token may do (``ApiToken.verbs``); a request needs the verb of its route.
TOKEN_VERBS = {"read": "查询", "write": "办理", "report": "报送外部办件"}


class ApiToken(Base):
    """接口令牌: issued by an administrator to a department system or a script. The token acts as
    ``user`` (its authority in the services is that account's), narrowed to ``department_ids`` and
    ``verbs``. Only the SHA-256 of the secret is kept; ``prefix`` names it on pages and in logs."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    department_ids: Mapped[list] = mapped_column(JSONType, default=list)
    verbs: Mapped[list] = mapped_column(JSONType, default=list)
    # a department system that reports its own cases: the code its cases are kept under (Case.source)
    system_code: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class FeedMessage(Base):
    """上报省级平台的消息: one case change offered upward, written in the change's own transaction;
    a sender delivers it with retries and ``delivery_id`` lets the receiver drop duplicates."""

    __tablename__ = "feed_outbox"
    __table_args__ = (Index("ix_feed_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"), index=True)
    case_number: Mapped[str] = mapped_column(String(40))
    event_seq: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending / sent / dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseArchive(Base):
    """归档: the package written for a finished case (全案卷宗, documents, materials, event chain,
    manifest with SHA-256 of every file). The case's online data may be removed only once its
    package has verified (``verified_at``); ``purged_at`` says it was."""

    __tablename__ = "case_archive"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), unique=True)
    case_number: Mapped[str] = mapped_column(String(40), index=True)
    package_path: Mapped[str] = mapped_column(String(500))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    files: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
