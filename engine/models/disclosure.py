"""政府信息公开 (seed 001; 政府信息公开条例 2019): requests for information and the bodies they are
handed to, third-party consultations, proactive publications with their versions, each body's
指南, and the 行政复议 / 行政诉讼 entered for the annual report.

A request runs as a case of the ``government_information_request`` flow and a publication as a
case of ``proactive_publication``; these rows keep what the law asks to be recorded and what the
applicant and the public read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, UTCDateTime
from .cases import Case
from .org import Department


class InfoRequest(Base):
    """政府信息公开申请: what the applicant asked and what the office answered."""

    __tablename__ = "info_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # 申请编号, GK + region + year + serial
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # the body asked (机关)
    # who asks (annual report columns): natural / business / research / nonprofit / legal_service / other
    requester_kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))  # counter / fax / web / email / mail / other (art. 29)
    description: Mapped[str] = mapped_column(Text)  # 所需政府信息的名称、文号或者便于查询的其他特征性描述
    purpose: Mapped[str | None] = mapped_column(Text)  # never required (art. 29 lists no purpose)
    medium: Mapped[str] = mapped_column(String(20))  # 载体形式: paper / electronic
    delivery: Mapped[str] = mapped_column(String(20))  # 获取方式: post / email / fax / pickup / inspect
    email: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(10))
    corrections: Mapped[list] = mapped_column(JSONType, default=list)  # [{at, before, after}] 补正 history
    bodies: Mapped[list] = mapped_column(JSONType, default=list)  # department codes it was handed to (交办)
    answer_type: Mapped[str | None] = mapped_column(String(30))
    ground: Mapped[str | None] = mapped_column(String(30))  # the legal ground of withholding / not processing
    ground_detail: Mapped[str | None] = mapped_column(Text)  # how the ground applies here
    published_where: Mapped[str | None] = mapped_column(Text)  # art. 36(一): where and how to get it
    competent_body: Mapped[str | None] = mapped_column(String(100))  # art. 36(五): the body that holds it
    competent_contact: Mapped[str | None] = mapped_column(String(200))
    answer_text: Mapped[str | None] = mapped_column(Text)  # the 答复书's body
    disclosed_items: Mapped[str | None] = mapped_column(Text)  # what is provided (公开/部分公开)
    fee: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)  # 信息处理费 charged
    fee_waived: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=0)  # 减免
    fee_basis: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # art. 31: the day of receipt
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # the 答复书 approved
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_by: Mapped[str | None] = mapped_column(String(60))  # how it was delivered (送达方式)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    department: Mapped[Department] = relationship()
    assignments: Mapped[list[InfoAssignment]] = relationship(order_by="InfoAssignment.id", back_populates="request")
    consultations: Mapped[list[InfoConsultation]] = relationship(order_by="InfoConsultation.id",
                                                                 back_populates="request")


class InfoAssignment(Base):
    """交办: a body holding the information answers in writing within 5 working days (seed 001 规程
    art. 8) and comments on the draft answer within 2 (art. 10)."""

    __tablename__ = "info_assignment"
    __table_args__ = (UniqueConstraint("request_id", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("info_request.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # what the office asks of it (处理单)
    proposed_type: Mapped[str | None] = mapped_column(String(30))
    opinion: Mapped[str | None] = mapped_column(Text)  # 书面答复意见
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment: Mapped[str | None] = mapped_column(Text)  # 对答复书的意见
    agrees: Mapped[bool | None] = mapped_column(Boolean)
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commented_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    request: Mapped[InfoRequest] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()


class InfoConsultation(Base):
    """征求第三方意见 (条例 art. 32): the third party has 15 working days; the time is not counted in
    the answer period (art. 33). The case is paused from the letter to the reply or the lapse."""

    __tablename__ = "info_consultation"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("info_request.id", ondelete="CASCADE"), index=True)
    party: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(200))
    matter: Mapped[str] = mapped_column(Text)  # what it is asked about
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    reply: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(20))  # agreed / objected / no_reply
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    request: Mapped[InfoRequest] = relationship(back_populates="consultations")


class InfoEntry(Base):
    """主动公开的政府信息: one version of an entry of the 政府信息公开专栏. A change or a withdrawal
    is a new version (same 索引号, next ``version``); the versions before stay as they were."""

    __tablename__ = "info_entry"
    __table_args__ = (
        UniqueConstraint("series", "version"),
        Index("ix_info_entry_current", "current", "department_id", "published_at"),
        Index("ix_info_entry_state", "state"),  # the dashboard's pending publications
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(40), index=True)  # the first version's key, shared by all versions
    version: Mapped[int] = mapped_column(Integer, default=1)
    current: Mapped[bool] = mapped_column(Boolean, default=False)  # the version the column shows
    index_no: Mapped[str | None] = mapped_column(String(60), index=True)  # 索引号, given on first publication
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)  # 发布机关
    category: Mapped[str] = mapped_column(String(10))  # 公开类别 (目录), codes in engine.disclosure.codes
    theme: Mapped[str] = mapped_column(String(10))  # 主题分类
    doc_kind: Mapped[str] = mapped_column(String(10), default="other")  # rule / normative / other (annual report)
    title: Mapped[str] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(60))  # 文号
    written_on: Mapped[date] = mapped_column(Date)  # 成文日期 (or the day of the change)
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSONType, default=list)  # [{name, stored, size, sha256}]
    channels: Mapped[list] = mapped_column(JSONType, default=list)  # 公开渠道 besides the column
    third_party: Mapped[str | None] = mapped_column(String(200))  # the party whose opinion is needed
    change_reason: Mapped[str | None] = mapped_column(Text)  # why this version (变更 / 撤回)
    state: Mapped[str] = mapped_column(String(20), default="draft")  # draft / reviewing / published / superseded / withdrawn / abandoned
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)  # its publication flow
    abolished_on: Mapped[date | None] = mapped_column(Date)  # 规范性文件 废止
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    department: Mapped[Department] = relationship()
    case: Mapped[Case | None] = relationship()


class InfoGuide(Base):
    """政府信息公开指南 of a body: who handles disclosure, where, when, how to ask (条例 art. 12)."""

    __tablename__ = "info_guide"
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)
    office: Mapped[str] = mapped_column(String(100))  # 政府信息公开工作机构
    address: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)  # the rest of the 指南
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    department: Mapped[Department] = relationship()


class InfoAppeal(Base):
    """A 行政复议 or 行政诉讼 about a body's disclosure work, entered by staff for the annual report."""

    __tablename__ = "info_appeal"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # review / lawsuit / lawsuit_after_review
    filed_on: Mapped[date] = mapped_column(Date, index=True)  # counted in the year it was filed
    outcome: Mapped[str] = mapped_column(String(20))  # upheld / corrected / other / pending
    request_id: Mapped[int | None] = mapped_column(ForeignKey("info_request.id"))
    reference: Mapped[str | None] = mapped_column(String(100))  # 复议决定书 / 判决书 文号
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InfoReportText(Base):
    """What the annual report says in words (总体情况, 存在的主要问题及改进情况, 其他需要报告的事项)
    and the figures no case records (行政事业性收费 amount), per body and year; and when it was
    published (seed 001 年度报告制度 art. 3)."""

    __tablename__ = "info_report_text"
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    overview: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    other: Mapped[str] = mapped_column(Text, default="")
    charges_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 行政事业性收费, 万元
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
