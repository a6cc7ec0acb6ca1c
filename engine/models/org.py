"""Organisation: regions, departments, posts and users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONType, UTCDateTime

REGION_LEVELS = ("province", "city", "county", "township", "village")

#: 角色 and the names people see (the codes are stored in ``User.roles``).
ROLE_NAMES = {
    "admin": "系统管理员", "designer": "流程设计", "clerk": "窗口受理", "handler": "承办",
    "leader": "领导", "supervisor": "监察", "legal": "法制审核",
}


class Region(Base):
    """行政区划: 省/市/县/乡/村 with its division code."""

    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))


class Department(Base):
    """部门 (a tree): an office or one of its sections (科室)."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())  # 撤销的部门: kept for history

    region: Mapped[Region] = relationship()
    parent: Mapped[Department | None] = relationship(remote_side="Department.id")


user_post = Table(
    "user_post",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("post_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
)


class Post(Base):
    """岗位: a position in a department (窗口受理, 承办, 审核, 批准, 监察 …).

    BPMN user tasks name the post by ``code`` (``camunda:candidateGroups``); the task's
    department picks which department's post it is.
    """

    __tablename__ = "post"
    __table_args__ = (UniqueConstraint("department_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))

    department: Mapped[Department] = relationship()


class User(Base):
    """工作人员: a staff member with a 工号, a department and posts."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    roles: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # a wrong password too many times locks the account until then (never for ever)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # stored in the session at login; logout, a password change, an unlock or deactivation bumps it,
    # so every copy of an earlier session cookie stops working
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # 统一身份认证: the OpenID provider's ``sub`` for this person (single sign-on maps it to the account)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    # a password set by an administrator (new account, reset): the person must choose their own at next login
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    department: Mapped[Department] = relationship()
    posts: Mapped[list[Post]] = relationship(secondary=user_post, lazy="selectin")

    # the session-login protocol (is_active, is_authenticated, get_id), without importing Flask
    @property
    def is_active(self) -> bool:
        return bool(self.active)

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def holds(self, post_code: str, department_id: int) -> bool:
        return any(p.code == post_code and p.department_id == department_id for p in self.posts)

    def has_role(self, role: str) -> bool:
        return role in (self.roles or []) or "admin" in (self.roles or [])
