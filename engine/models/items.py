"""The item catalogue (事项库) and process definitions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, UTCDateTime
from .org import Department

ITEM_CATEGORIES = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
    "06": "行政检查", "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力",
    "11": "非行政许可审批", "20": "公共服务",
}
CASE_TYPES = {"instant": "即办件", "promised": "承诺件", "supplement": "补办件",
              "report": "上报件", "joint": "联办件"}
LIMIT_UNITS = {"workday": "工作日", "day": "自然日"}
SUBJECT_NATURES = ("法定机关", "授权组织", "受委托单位")
#: 面向对象 of the public column (seed 004 §3.1: 个人办事, 法人办事) and the life events (主题) under each
AUDIENCES = {"person": "个人办事", "company": "法人办事"}
THEMES = {
    "person": ("生育收养", "户籍身份", "就业创业", "婚姻家庭", "教育培训", "住房建房", "社会保障",
               "医疗卫生", "交通出行", "退休养老", "公共信息"),
    "company": ("设立变更", "准营准办", "工程建设", "税费办理", "人力资源", "安全生产", "环境保护",
                "年检年报", "注销清算", "公共信息"),
}


class Item(Base):
    """事项: one administrative power or public service; its content lives in versions."""

    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active / suspended / cancelled
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_version.id", use_alter=True, name="fk_item_current_version_id_item_version"))

    department: Mapped[Department] = relationship()
    current_version: Mapped[ItemVersion | None] = relationship(foreign_keys=[current_version_id],
                                                               post_update=True)


class ItemVersion(Base):
    """事项版本: an immutable published snapshot of every field of an item (domain.md §2)."""

    __tablename__ = "item_version"
    __table_args__ = (
        UniqueConstraint("item_id", "version"),
        CheckConstraint("promised_limit <= legal_limit", name="promised_within_legal"),
        CheckConstraint("legal_limit >= 0 AND promised_limit >= 0", name="limits_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(2))
    case_type: Mapped[str] = mapped_column(String(20), default="promised")
    legal_basis: Mapped[list] = mapped_column(JSONType, default=list)  # [{title, article, text}] highest rank first
    subject_nature: Mapped[str] = mapped_column(String(20), default="法定机关")
    entrusting_unit: Mapped[str | None] = mapped_column(String(200))
    section: Mapped[str | None] = mapped_column(String(100))  # 办理科室
    conditions: Mapped[str] = mapped_column(Text, default="")  # 受理条件
    charges_fee: Mapped[bool] = mapped_column(default=False)
    fee_basis: Mapped[str] = mapped_column(Text, default="")
    fee_standard: Mapped[str] = mapped_column(Text, default="")
    legal_limit: Mapped[int] = mapped_column(Integer)
    promised_limit: Mapped[int] = mapped_column(Integer)
    limit_unit: Mapped[str] = mapped_column(String(10), default="workday")
    extension_limit: Mapped[int] = mapped_column(Integer, default=0)  # 延期上限 (e.g. +10 for a licence)
    correction_notice_limit: Mapped[int] = mapped_column(Integer, default=5)  # 补正告知期限 (工作日)
    # when the period starts: acceptance (行政许可法 art. 42), receipt (政府信息公开条例 art. 33), filing (立案)
    clock_start: Mapped[str] = mapped_column(String(20), default="acceptance", server_default="acceptance")
    # 补正 after acceptance stops the clock only where the item's own law says so, with the article cited
    correction_stops_clock_basis: Mapped[str | None] = mapped_column(String(300))
    correction_answer_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 补正答复期限; 0: none
    place: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    supervision_phone: Mapped[str] = mapped_column(String(40), default="")
    online_url: Mapped[str] = mapped_column(String(300), default="")
    materials: Mapped[list] = mapped_column(JSONType, default=list)  # [{name, format, original, count, required}]
    service_forms: Mapped[list] = mapped_column(JSONType, default=list)  # 服务表格 [{code, name, note}]
    faq: Mapped[list] = mapped_column(JSONType, default=list)
    aliases: Mapped[list] = mapped_column(JSONType, default=list, server_default="[]")  # 俗称: words people use
    audiences: Mapped[list] = mapped_column(JSONType, default=list, server_default="[]")  # AUDIENCES codes
    themes: Mapped[list] = mapped_column(JSONType, default=list, server_default="[]")  # THEMES names
    # 结果公示: a licence's results are public by law (行政许可法 art. 40); other items when marked here
    results_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    extra: Mapped[dict] = mapped_column(JSONType, default=dict)  # category-specific (处罚种类, 征收标准 …)
    process_key: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    item: Mapped[Item] = relationship(foreign_keys=[item_id])


class ProcessDefinition(Base):
    """流程定义: an immutable deployed version of a BPMN flow chart; cases pin the one they began on."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


CHANGE_KINDS = {"item": "事项信息变更", "flow": "流程图变更", "status": "事项状态变更"}
ITEM_STATUSES = {"active": "在用", "suspended": "暂停", "cancelled": "已注销"}


class ItemChange(Base):
    """事项变更申报: a proposed change, declared, reviewed by the legal office (a BPMN flow of its
    own) and only then applied. ``kind`` says what changes: the item's fields (a new item version),
    its flow chart (``bpmn_xml`` deployed as a new process version) or its status (暂停/恢复/注销,
    ``fields["status"]``)."""

    __tablename__ = "item_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    kind: Mapped[str] = mapped_column(String(10), default="item", server_default="item")
    fields: Mapped[dict] = mapped_column(JSONType)
    bpmn_xml: Mapped[str | None] = mapped_column(Text)
    process_key: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="declared")  # declared / published
    review_case_id: Mapped[int | None] = mapped_column(Integer)
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("item_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
