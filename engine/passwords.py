"""Passwords and the account rules around them: argon2 hashing (argon2-cffi), login with a
lockout that expires, and the session epoch that ends every copy of a session.

A login says the same thing, after about the same work, whether the 工号 is unknown, the
password wrong, the account locked or deactivated: an unknown 工号 is checked against a dummy
hash, and a locked account's password is still checked (and ignored), so neither the message
nor the time tells an outsider which 工号 exist. Every outcome goes to the system log.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import clock, systemlog
from .errors import InvalidInput, NotFound, PermissionDenied
from .models import User
from .validation import control_character

_hasher = PasswordHasher()
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # argon2 takes anything; a limit keeps one request from being expensive
STAFF_NO_MAX = 40


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("sunhall-no-such-account")


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or clock.now())


def end_sessions(user: User) -> None:
    """Every session cookie issued to this user so far stops working (see ``User.session_epoch``)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def authenticate(session: Session, staff_no: str, password: str, *, address: str = "",
                 max_failures: int = 5, lock_minutes: int = 15) -> User | None:
    """The user when the 工号 and password are right and the account may log in; None otherwise.

    ``max_failures`` wrong passwords in a row lock the account for ``lock_minutes``; attempts
    while it is locked neither count nor extend the lock, so it always ends.
    """
    now, dummy = clock.now(), _dummy_hash()  # made on the first login of the process, whichever its outcome
    user = session.scalars(select(User).where(User.staff_no == staff_no).with_for_update()).first()
    detail = {"address": address}
    if user is None:
        verify_password(dummy, password)  # the same work as for a real account
        systemlog.record(session, actor=None, action="auth.login_failed", target=staff_no,
                         detail=detail | {"reason": "工号不存在"})
        return None
    right = verify_password(user.password_hash, password)
    if is_locked(user, now) or not user.active:
        reason = "账号已停用" if not user.active else "账号锁定中"
        systemlog.record(session, actor=user, action="auth.login_failed", target=staff_no, detail=detail | {"reason": reason})
        return None
    if not right:
        user.failed_logins = (user.failed_logins or 0) + 1
        systemlog.record(session, actor=user, action="auth.login_failed", target=staff_no,
                         detail=detail | {"reason": "密码错误", "failures": user.failed_logins})
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            systemlog.record(session, actor=user, action="account.locked", target=staff_no,
                             detail=detail | {"failures": user.failed_logins,
                                             "until": f"{user.locked_until.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}"})
            user.failed_logins = 0
        return None
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    systemlog.record(session, actor=user, action="auth.login", target=staff_no, detail=detail)
    return user


def logout(session: Session, user: User, *, address: str = "") -> None:
    end_sessions(user)
    systemlog.record(session, actor=user, action="auth.logout", target=user.staff_no, detail={"address": address})


def _require_admin(actor: User | None) -> None:
    if actor is None or "admin" not in (actor.roles or []):
        raise PermissionDenied("只有系统管理员可以管理账号。")


def _account(session: Session, staff_no: str) -> User:
    user = session.scalars(select(User).where(User.staff_no == staff_no).with_for_update()).first()
    if user is None:
        raise NotFound(f"没有工号为“{staff_no[:STAFF_NO_MAX]}”的工作人员。")
    return user


def _unlock(session: Session, actor: User | None, user: User, by: str) -> User:
    user.failed_logins, user.locked_until = 0, None
    end_sessions(user)
    systemlog.record(session, actor=actor, action="account.unlocked", target=user.staff_no, detail={"by": by})
    return user


def unlock(session: Session, actor: User, staff_no: str) -> User:
    """系统管理员解锁: clears the failures and the lock at once (page /admin/users)."""
    _require_admin(actor)
    return _unlock(session, actor, _account(session, staff_no), "系统管理页面")


def deactivate(session: Session, actor: User, staff_no: str) -> User:
    """停用账号: the person can no longer log in, and their open sessions end now."""
    _require_admin(actor)
    user = _account(session, staff_no)
    if user.id == actor.id:
        raise InvalidInput("不能停用自己的账号。")
    user.active = False
    end_sessions(user)
    systemlog.record(session, actor=actor, action="account.deactivated", target=user.staff_no)
    return user


def check_new_password(password: str) -> None:
    """Every password that is set or changed (change_password, set_password) passes here."""
    if not isinstance(password, str):
        raise InvalidInput("新密码格式不正确，应为文字。")
    bad = control_character(password)
    if bad:
        raise InvalidInput(f"新密码含有不可见的控制字符（{bad}），请重新输入。")
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(f"新密码至少 {PASSWORD_MIN} 个字符。")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(f"新密码不能超过 {PASSWORD_MAX} 个字符。")
    if password.isdigit() or password.isalpha():
        raise InvalidInput("新密码须同时包含字母和数字（或符号）。")


def change_password(session: Session, user: User, current: str, new: str) -> User:
    """修改密码: needs the current password; every other session of this person ends, and a password
    an administrator set (``must_change_password``) is the person's own from now on."""
    if not verify_password(user.password_hash, current):
        raise InvalidInput("当前密码不正确。")
    check_new_password(new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_sessions(user)
    systemlog.record(session, actor=user, action="account.password_changed", target=user.staff_no)
    return user


def accounts(session: Session, actor: User) -> list[User]:
    """Every account with its lock state, for the administrator's list."""
    _require_admin(actor)
    return list(session.scalars(select(User).options(selectinload(User.department)).order_by(User.staff_no)))


# --------------------------------------------------------- passwords an administrator sets (engine.orgadmin)

#: letters and digits a person can read off a slip of paper without mistaking one for another
_READABLE = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
#: the hash of an account that has no password yet (imported, or signs in through 统一身份认证 only):
#: argon2 cannot read it, so no password ever matches it
NO_PASSWORD = "!no-password"


def generate_password(length: int = 12) -> str:
    """A random initial password with letters and digits (it passes :func:`check_new_password`)."""
    while True:
        text = "".join(secrets.choice(_READABLE) for _ in range(length))
        if any(c.isdigit() for c in text) and any(c.isalpha() for c in text):
            return text


def set_password(user: User, password: str, *, must_change: bool = True) -> None:
    """An administrator sets the password (new account, reset): the person chooses their own at
    next login when ``must_change``; every session of theirs ends."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.failed_logins, user.locked_until = 0, None
    end_sessions(user)
