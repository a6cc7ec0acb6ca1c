"""在线解答 (云南省政务信息查询在线解答管理办法): questions from the public, each department's turn
with its own clock, the FAQ library with its unified category tree, and the notifications queued
for askers and complainants."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime
from .cases import Case
from .org import Department

QUESTION_CHANNELS = {"web": "网上", "phone": "96128 电话", "window": "窗口", "library": "图书馆", "archive": "档案馆",
                     "mail": "信函"}
QUESTION_STATES = {"received": "已受理", "forwarded": "转办中", "answered": "已答复", "closed": "已办结"}
TURN_KINDS = {"answer": "答复", "dispatch": "政府办转发"}
TURN_OUTCOMES = {"answered": "已答复", "passed": "答复并移交下一部门", "forwarded": "转政府办", "dispatched": "已转发"}


class Question(Base):
    """A question from the public (咨询). It runs as a case of the 在线解答 flow; this row keeps
    what the asker and the public read."""

    __tablename__ = "question"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # 咨询编号, ZX + region + year + serial
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    asker_name: Mapped[str] = mapped_column(String(60))
    asker_phone: Mapped[str | None] = mapped_column(String(40))
    asker_email: Mapped[str | None] = mapped_column(String(120))
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))  # None: 不清楚
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # where it is (or was answered)
    state: Mapped[str] = mapped_column(String(20), default="received")
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # decided by the department
    category_id: Mapped[int | None] = mapped_column(ForeignKey("faq_category.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # staff, for phone or window

    case: Mapped[Case] = relationship()
    department: Mapped[Department] = relationship(foreign_keys=[department_id])
    turns: Mapped[list[QuestionTurn]] = relationship(order_by="QuestionTurn.id", back_populates="question")

    __table_args__ = (Index("ix_question_public_answered", "public", "answered_at"),)


class QuestionTurn(Base):
    """One department's turn with a question, on its own clock (art. 7): 5 working days to answer
    (10 when important or complex, 20 with the head's approval), 5 for each forwarding level."""

    __tablename__ = "question_turn"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # answer / dispatch
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_on: Mapped[date] = mapped_column(Date, index=True)  # the day the period counts from (excluded); quarter reports
    limit_days: Mapped[int] = mapped_column(Integer)
    complex: Mapped[bool] = mapped_column(Boolean, default=False)
    complex_reason: Mapped[str | None] = mapped_column(Text)
    complex_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_approver_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))  # answered / passed / forwarded / dispatched
    reason: Mapped[str | None] = mapped_column(Text)  # 转发理由 or 移交理由: evidence for supervision (art. 4)
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str | None] = mapped_column(Text)  # 逾期说明, public (art. 7)
    explained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    explained_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    question: Mapped[Question] = relationship(back_populates="turns")
    department: Mapped[Department] = relationship(foreign_keys=[department_id])
    to_department: Mapped[Department | None] = relationship(foreign_keys=[to_department_id])


class FaqCategory(Base):
    """统一分类: one tree kept centrally; questions and FAQ entries are filed under its nodes."""

    __tablename__ = "faq_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("faq_category.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)


class FaqEntry(Base):
    """常见问题解答 in the library: title, question, answer, category, department, item and the
    question it came from; shown while valid."""

    __tablename__ = "faq_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("faq_category.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    source_question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="SET NULL"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    category: Mapped[FaqCategory] = relationship()
    department: Mapped[Department] = relationship()


class Notification(Base):
    """A message queued for an asker or complainant; sent after the command commits by the adapter
    of its channel (a log adapter now; SMS and email later)."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms / email
    recipient: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    ref: Mapped[str] = mapped_column(String(60))  # question:ZX… / complaint:TS… / case:…
    kind: Mapped[str | None] = mapped_column(String(30))  # the notice's template (受理, 补正, 办结, …)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)  # queued / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
