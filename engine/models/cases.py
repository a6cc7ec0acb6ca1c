"""Cases (办件), their task rows, pauses and the append-only event log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, UTCDateTime
from .items import Item, ItemVersion, ProcessDefinition

CASE_STATES = {
    "received": "已接件", "accepted": "已受理", "finished": "已办结",
    "rejected": "不予受理", "withdrawn": "已撤回",
}
PAUSE_KINDS = {"correction": "补正", "special": "特别程序", "returned": "退回申请人",
               "consultation": "征求第三方意见", "fee": "待缴纳信息处理费"}  # 政府信息公开条例 arts. 32–33: not counted
CHANNELS = {"window": "窗口", "web": "网上", "phone": "电话", "mail": "信函"}
APPLICANT_TYPES = {"1": "自然人", "2": "企业法人", "3": "事业法人", "4": "社会组织法人",
                   "5": "非法人企业", "6": "行政机关", "9": "其他组织"}
TASK_STATES = {"ready": "待办", "completed": "已办", "returned": "已退回", "cancelled": "已取消"}


class Case(Base):
    """办件: one application of an item, from intake to result."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_state_deadline", "state", "deadline"),
        Index("ix_case_next_timer_at", "next_timer_at"),
        Index("ix_case_received_at", "received_at"),  # 办事大厅: this month's 收件
        Index("ix_case_state_finished_at", "state", "finished_at", "item_version_id"),  # 办结, 结果公示
        Index("ix_case_applicant", "applicant_type", "applicant_name"),  # 结果公示 by a legal person's name
        Index("ix_case_pause_kind", "pause_kind"),  # 已暂停: the few cases paused at once
        UniqueConstraint("source", "external_id"),  # a department system's case is reported once, then updated
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # 办件编号
    # 网上申请: the 申请编号 the applicant was given, and the sha256 of the private 查询码
    application_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    query_code_hash: Mapped[str | None] = mapped_column(String(64))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    case_type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))  # 办件名称 / 摘要
    applicant_type: Mapped[str] = mapped_column(String(2))
    applicant_name: Mapped[str] = mapped_column(String(200))
    cert_type: Mapped[str] = mapped_column(String(10))  # 111 居民身份证, 001 统一社会信用代码, …
    cert_number: Mapped[str] = mapped_column(String(40), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    agent_name: Mapped[str | None] = mapped_column(String(60))
    agent_cert_type: Mapped[str | None] = mapped_column(String(10))
    agent_cert_number: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10), default="window")
    state: Mapped[str] = mapped_column(String(20), default="received")
    pause_kind: Mapped[str | None] = mapped_column(String(20))  # set while the clock is stopped
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    limit_days: Mapped[int] = mapped_column(Integer, default=0)
    limit_unit: Mapped[str] = mapped_column(String(10), default="workday")
    deadline: Mapped[date | None] = mapped_column(Date)  # 承诺办结日期 (after pauses and extensions)
    # 预计: why the deadline is provisional (a year whose holiday arrangement is not yet entered), else None
    deadline_provisional: Mapped[str | None] = mapped_column(String(200))
    clock_start: Mapped[date | None] = mapped_column(Date)  # the day the case's period counts from (excluded)
    clock_basis: Mapped[str | None] = mapped_column(String(30))  # acceptance / deemed_receipt / receipt / …
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    loop_count: Mapped[int] = mapped_column(Integer, default=0)
    step_visits: Mapped[dict] = mapped_column(JSONType, default=dict)  # step id -> times it became ready
    result: Mapped[str | None] = mapped_column(String(100))
    result_detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)  # current form values (表单数据)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    workflow_state: Mapped[str] = mapped_column(Text, deferred=True)  # read only when not cached in memory
    serializer_version: Mapped[str] = mapped_column(String(10))
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    # 外部办件: reported by a department's own system (ApiToken.system_code) under its own case id; such a
    # case has no workflow here (workflow_state ""), its steps are the reported ones
    source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(80))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last report received
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its archive package verified
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    item: Mapped[Item] = relationship()
    item_version: Mapped[ItemVersion] = relationship()
    definition: Mapped[ProcessDefinition] = relationship()

    @property
    def is_open(self) -> bool:
        return self.state in ("received", "accepted")


class CaseTask(Base):
    """办理环节: one activation of a user task of a case."""

    __tablename__ = "case_task"
    __table_args__ = (
        Index("ix_case_task_ready", "state", "department_id", "post_code"),
        Index("ix_case_task_due", "state", "due_date"),
        Index("ix_case_task_done", "completed_by_id", "completed_at", "id"),  # 已办, newest first
        # 待办 / 即将超期 / 已超期 of a department, by the step's period (a step without one last), as
        # engine/service/worklist.py DUE_LAST orders them
        Index("ix_case_task_queue", "state", "department_id", text("coalesce(due_date, '9999-12-31')"), "id"),
        Index("ix_case_task_claimed", "assignee_id", "state", text("coalesce(due_date, '9999-12-31')"), "id"),  # claimed
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    spiff_id: Mapped[str] = mapped_column(String(36))
    step_id: Mapped[str] = mapped_column(String(100))
    step_name: Mapped[str] = mapped_column(String(200))
    post_code: Mapped[str] = mapped_column(String(40))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="ready")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    time_limit: Mapped[int] = mapped_column(Integer, default=0)
    limit_unit: Mapped[str] = mapped_column(String(10), default="workday")
    due_date: Mapped[date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(default=False, server_default=false())  # 预计 (a year not yet entered)
    period_start: Mapped[date | None] = mapped_column(Date)  # the day its period counts from, when not the day it began
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opinion: Mapped[str | None] = mapped_column(Text)
    approved: Mapped[bool | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    form_data: Mapped[dict] = mapped_column(JSONType, default=dict)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 外部办件: when this step reached us

    case: Mapped[Case] = relationship()


class CasePause(Base):
    """暂停: an interval in which a case's clock stands still (补正, 特别程序, 退回申请人, 征求第三方意见)."""

    __tablename__ = "case_pause"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    expected_days: Mapped[int | None] = mapped_column(Integer)
    missing_materials: Mapped[list] = mapped_column(JSONType, default=list)
    step_id: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paused_days: Mapped[int | None] = mapped_column(Integer)
    stops_clock: Mapped[bool] = mapped_column(default=True, server_default=true())  # False: recorded, clock runs on
    due_date: Mapped[date | None] = mapped_column(Date)  # 补正: the applicant's period to answer
    provisional: Mapped[bool] = mapped_column(default=False, server_default=false())  # paused_days or due_date 预计


class CaseExtension(Base):
    """延期: a request for more time, decided by the named approver (行政许可法 art. 42, 行政处罚法 art. 60);
    only an approval moves the deadline."""

    __tablename__ = "case_extension"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    collective: Mapped[bool] = mapped_column(default=False)  # beyond the limit: 集体讨论决定
    collective_record: Mapped[str | None] = mapped_column(Text)  # the collective decision's record
    state: Mapped[str] = mapped_column(String(20), default="requested")  # requested / approved / refused
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    deadline_before: Mapped[date | None] = mapped_column(Date)
    deadline_after: Mapped[date | None] = mapped_column(Date)

    approver: Mapped["User"] = relationship(foreign_keys=[approver_id])  # noqa: F821
    requested_by: Mapped["User"] = relationship(foreign_keys=[requested_by_id])  # noqa: F821


class CaseEvent(Base):
    """办件日志: append-only audit of every command, hash-chained per case."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(Integer)
    step_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict] = mapped_column(JSONType, default=dict)
    after: Mapped[dict] = mapped_column(JSONType, default=dict)
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SeriesCounter(Base):
    """Yearly serial of a numbering series of its own (internal flows: 督办, 法制审核), so they never
    take numbers from the citizens' 办件编号."""

    __tablename__ = "series_counter"
    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CaseCounter(Base):
    """Daily serial for 办件编号."""

    __tablename__ = "case_counter"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
