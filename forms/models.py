"""Tables of the forms layer: form versions, field history, countable facts, materials and their
versions, one-time intake tokens, documents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models import Base, JSONType, UTCDateTime


class FormVersion(Base):
    """表单版本: an immutable version of a form definition."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSONType)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseFieldChange(Base):
    """Who changed which field of a case's form, when, from what to what."""

    __tablename__ = "case_field_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_task.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(60))
    old: Mapped[dict | list | str | float | None] = mapped_column(JSONType, nullable=True)
    new: Mapped[dict | list | str | float | None] = mapped_column(JSONType, nullable=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseFact(Base):
    """关键数据: countable key facts of a case (area, amount, scale) as numbers."""

    __tablename__ = "case_fact"
    __table_args__ = (UniqueConstraint("case_id", "field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(60), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))


class CaseMaterial(Base):
    """申请材料: one line of the item's materials list for a case, and what was submitted."""

    __tablename__ = "case_material"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    original: Mapped[str] = mapped_column(String(20), default="原件")
    count: Mapped[int] = mapped_column(Integer, default=1)
    submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    file_name: Mapped[str | None] = mapped_column(String(255))
    stored_path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    mime: Mapped[str | None] = mapped_column(String(100))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # every uploaded file, newest first; the columns above describe the newest one
    versions: Mapped[list[CaseMaterialVersion]] = relationship(
        order_by="CaseMaterialVersion.version.desc()", viewonly=True)


class CaseMaterialVersion(Base):
    """材料版本: one uploaded file of a material. Replacing a file adds a version; none is ever
    overwritten, so what the case was decided on can always be shown again."""

    __tablename__ = "case_material_version"
    __table_args__ = (UniqueConstraint("material_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("case_material.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class IntakeToken(Base):
    """一次性收件令牌: one per intake form shown. The first submission claims it (the primary key
    makes a second, concurrent claim wait and then fail), so the same form posted twice makes
    one case, and the second post is shown that case."""

    __tablename__ = "intake_token"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseDocument(Base):
    """文书: a numbered document produced for a case."""

    __tablename__ = "case_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    stored_path: Mapped[str] = mapped_column(String(500))
    context: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class DocumentCounter(Base):
    """Yearly serial of 文号 per prefix (e.g. 阳市监食许〔2026〕15号)."""

    __tablename__ = "document_counter"
    prefix: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)
