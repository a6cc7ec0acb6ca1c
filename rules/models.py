"""Tables of the supervision layer: the rule catalogue (监察规则信息库) and its history, alerts,
time-driven watches and complaints."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base, JSONType, UTCDateTime

LEVELS = {"remind": "提醒", "warning": "预警", "alarm": "报警"}
ALERT_STATES = {"open": "待处理", "acknowledged": "已确认", "supervising": "督办中", "resolved": "已办结",
                "dismissed": "已撤销"}


class Rule(Base):
    """监察规则: one checkpoint with its parameters, level and scope; every change is a new version."""

    __tablename__ = "supervision_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    type: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    level: Mapped[str] = mapped_column(String(10))
    blocking: Mapped[bool] = mapped_column(Boolean, default=False)
    scope_kind: Mapped[str] = mapped_column(String(10), default="all")  # all / category / item / step
    scope_value: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class RuleVersion(Base):
    """A rule as it was after each change, with who changed it and why."""

    __tablename__ = "supervision_rule_version"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("supervision_rule.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Alert(Base):
    """预警信息: what a checkpoint found, and what the supervision office did about it."""

    __tablename__ = "supervision_alert"
    __table_args__ = (Index("ix_supervision_alert_state_level", "state", "level"),
                      Index("ix_supervision_alert_created_id", "created_at", "id", "level"),  # alerts list by keyset; trend
                      Index("ix_supervision_alert_state_created", "state", "created_at", "id"),  # filtered by state
                      Index("ix_supervision_alert_state_department", "state", "department_id", "level"),  # dashboard lights
                      Index("ix_supervision_alert_state_item", "state", "item_id"))  # dashboard top items; publication alerts
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_rule.id"))
    rule_code: Mapped[str] = mapped_column(String(10), index=True)
    level: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_task.id", ondelete="SET NULL"))
    step_id: Mapped[str | None] = mapped_column(String(100))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    tags: Mapped[list] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    handling_note: Mapped[str | None] = mapped_column(Text)
    order_case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"))


class Watch(Base):
    """A time-driven check waiting for its moment; the scheduler reads only those that are due."""

    __tablename__ = "supervision_watch"
    __table_args__ = (Index("ix_supervision_watch_due", "fire_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_task.id", ondelete="CASCADE"), index=True)
    rule_code: Mapped[str] = mapped_column(String(10))
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # built on a 预计 date


class Complaint(Base):
    """投诉: by phone, at the window or online, about a case or a department."""

    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # phone / window / online
    complainant: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(60))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="received")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # quarter reports
    accept_due: Mapped[date | None] = mapped_column(Date)
    handle_due: Mapped[date | None] = mapped_column(Date)
    due_provisional: Mapped[str | None] = mapped_column(String(200))  # why accept_due/handle_due are 预计
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_accepted_reason: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    query_code_hash: Mapped[str | None] = mapped_column(String(64))  # the complainant follows the answer with it
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="SET NULL"), index=True)
