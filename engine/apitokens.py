"""接口令牌: API tokens an administrator issues to a department system or a script.

A token acts as one account (``ApiToken.user``: its authority in the services is that person's),
narrowed to the departments and verbs it was issued for. Only the SHA-256 of the secret is stored;
the secret is shown once, at issue. The secret reads ``shk_<prefix>_<random>``: the prefix names
the token on pages and in the system log and finds its row; the random part is compared in
constant time. Issuing, revoking and refused tokens are written to the system log (seed 002 §8.1:
administrators set up who may do what)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock, systemlog
from .errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from .models import TOKEN_VERBS, ApiToken, Department, SystemEvent, User
from .validation import sentences, unwanted_character

SECRET = re.compile(r"shk_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})", re.ASCII)
SYSTEM_CODE = re.compile(r"[a-z0-9-]{2,40}", re.ASCII)
NAME_MAX = 100
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often
REFUSED_EVERY = timedelta(minutes=1)  # one token.refused row per token (or for all unknown ones) per minute
UNKNOWN = "未知令牌"


def _require_admin(actor) -> None:
    if not isinstance(actor, User) or not actor.active or not actor.has_role("admin"):
        raise PermissionDenied("只有系统管理员可以管理接口令牌。")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("请填写令牌名称（如“市场监管局审批系统”）。", field="name")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(f"令牌名称不能超过 {NAME_MAX} 个字（现有 {len(name)} 个）。", field="name")
    found = unwanted_character(name)
    if found:
        raise InvalidInput(f"令牌名称第 {found[0]} 个字符是不可见的控制字符（U+{ord(found[1]):04X}），请删除。",
                           field="name")
    return name


def _ints(values, field: str, label: str) -> list[int]:
    if not isinstance(values, (list, tuple, set)) or not values:
        raise InvalidInput(f"请至少选择一个{label}。", field=field)
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
            raise InvalidInput(f"{label}的编号无效。", field=field)
        if value not in out:
            out.append(value)
    return out


def issue(session: Session, actor, *, name: str, user_id: int, department_ids: list[int], verbs: list[str],
          system_code: str | None = None, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """发放令牌: the row and the secret, which is shown this once and never stored. Every problem
    of the request is named by its field."""
    _require_admin(actor)
    problems: dict[str, str] = {}

    def attempt(check):
        try:
            return check()
        except InvalidInput as exc:
            problems.setdefault(exc.details.get("field") or "name", exc.message)

    name = attempt(lambda: _check_name(name))
    now = clock.now()
    if name and _active_named(session, name, now) is not None:
        problems["name"] = f"已有一个名为“{name}”的有效令牌，请换一个名称，或先吊销原令牌。"
    user = None
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        problems["user_id"] = "请选择令牌代表的工作人员账号。"
    else:
        user = session.get(User, user_id)
        if user is None:
            problems["user_id"] = "令牌代表的工作人员账号不存在。"
        elif not user.active:
            problems["user_id"] = f"账号“{user.name}”已停用，不能为其发放令牌。"
    departments = attempt(lambda: _ints(department_ids, "department_ids", "部门"))
    if departments:
        known = set(session.scalars(select(Department.id).where(Department.id.in_(departments))))
        if set(departments) - known:
            problems["department_ids"] = "所选部门不存在。"
    if not isinstance(verbs, (list, tuple, set)) or not verbs or not all(isinstance(v, str) for v in verbs):
        problems["verbs"] = "请至少选择一项权限：" + "、".join(TOKEN_VERBS.values()) + "。"
        verbs = []
    elif set(verbs) - set(TOKEN_VERBS):
        problems["verbs"] = "权限只能是：" + "、".join(TOKEN_VERBS.values()) + "。"
    verbs = [v for v in TOKEN_VERBS if v in set(verbs)]
    if system_code is not None and not (isinstance(system_code, str) and system_code.strip()):
        system_code = None
    if system_code is not None:
        system_code = system_code.strip()
        if not SYSTEM_CODE.fullmatch(system_code):
            problems["system_code"] = "系统代码应为 2 至 40 位小写英文字母、数字或连字符。"
    if "report" in verbs and system_code is None and "system_code" not in problems:
        problems["system_code"] = "报送外部办件的令牌必须填写部门业务系统的代码。"
    if expires_at is not None and (not isinstance(expires_at, datetime) or expires_at.tzinfo is None):
        problems["expires_at"] = "有效期格式不正确。"
    elif expires_at is not None and expires_at <= now:
        problems["expires_at"] = "有效期必须晚于当前时间。"
    if problems:
        raise InvalidInput(sentences(problems.values()), field=next(iter(problems)), errors=problems)
    prefix = secrets.token_hex(4)
    while session.scalars(select(ApiToken.id).where(ApiToken.prefix == prefix)).first() is not None:
        prefix = secrets.token_hex(4)
    secret = f"shk_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(name=name, prefix=prefix, token_hash=digest(secret), user_id=user.id,
                     department_ids=departments, verbs=verbs, system_code=system_code, created_at=now,
                     created_by_id=actor.id, expires_at=expires_at)
    session.add(token)
    session.flush()
    systemlog.record(session, actor=actor, action="token.issued", target=f"{name}（{prefix}）",
                     detail={"name": name, "prefix": prefix, "user": f"{user.name}（{user.staff_no}）",
                             "departments": department_names(session, departments),
                             "verbs": [TOKEN_VERBS[v] for v in verbs], "system_code": system_code,
                             "expires_at": expires_at.isoformat() if expires_at else None})
    return token, secret


def _active_named(session: Session, name: str, now: datetime) -> ApiToken | None:
    """A token of this name that still works (not revoked, not expired)."""
    rows = session.scalars(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)))
    return next((t for t in rows if t.expires_at is None or t.expires_at > now), None)


def department_names(session: Session, department_ids) -> list[str]:
    """The names of these departments, in the given order (an unknown id as 部门 <id>)."""
    ids = [i for i in department_ids or [] if isinstance(i, int)]
    names = dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all()) \
        if ids else {}
    return [names.get(i, f"部门 {i}") for i in ids]


def beyond_account(session: Session, token: ApiToken) -> list[str]:
    """The token's departments where its account neither belongs nor holds a post (names). The token
    never adds authority: in those departments it can only do what the account's roles allow there
    (a supervisor reads everywhere; a handler works only on their posts), so the page warns rather than
    refuses — an account of a county-wide role is a legitimate choice."""
    user = token.user
    if user is None:
        return []
    own = {user.department_id, *(p.department_id for p in user.posts)}
    return department_names(session, [d for d in token.department_ids or [] if d not in own])


def revoke(session: Session, actor, token_id: int) -> ApiToken:
    """吊销令牌: it stops working at once; the row stays for the record."""
    _require_admin(actor)
    token = session.get(ApiToken, token_id) if isinstance(token_id, int) and not isinstance(token_id, bool) else None
    if token is None:
        raise NotFound("接口令牌不存在。")
    if token.revoked_at is not None:
        raise InvalidState(f"令牌“{token.name}”已于 {token.revoked_at.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M} 吊销。")
    token.revoked_at, token.revoked_by_id = clock.now(), actor.id
    session.flush()
    systemlog.record(session, actor=actor, action="token.revoked", target=f"{token.name}（{token.prefix}）",
                     detail={"name": token.name, "prefix": token.prefix})
    return token


def tokens(session: Session, actor) -> list[ApiToken]:
    """Every token, newest first (for the administrators' page)."""
    _require_admin(actor)
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def prefix_of(secret) -> str | None:
    """The prefix a presented secret claims (None when it is not shaped like one of ours)."""
    if not isinstance(secret, str):
        return None
    m = SECRET.fullmatch(secret.strip())
    return m.group(1) if m else None


def find(session: Session, secret) -> ApiToken | None:
    """The token whose secret this is, whatever its state (revoked, expired …); None otherwise.
    The row is found by its prefix; the secret is compared by digest in constant time."""
    prefix = prefix_of(secret)
    if prefix is None:
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest(secret.strip())):
        return None
    return token


def why_not(token: ApiToken | None, now: datetime | None = None) -> str | None:
    """Why the token does not work now (a Chinese reason), or None when it does."""
    now = now or clock.now()
    if token is None:
        return "令牌无效。"
    if token.revoked_at is not None:
        return "令牌已吊销。"
    if token.expires_at is not None and token.expires_at <= now:
        return "令牌已过期。"
    if token.user is None or not token.user.active:
        return "令牌代表的工作人员账号已停用。"
    return None


def authenticate(session: Session, secret: str, *, touch: bool = True) -> ApiToken | None:
    """The working token for a presented secret, or None (unknown, revoked, expired, or its
    account disabled). With ``touch``, ``last_used_at`` is brought up to date at most once a
    minute (a caller reading in a read-only transaction passes False and calls :func:`touch`)."""
    token = find(session, secret)
    now = clock.now()
    if why_not(token, now) is not None:
        return None
    if touch and needs_touch(token, now):
        token.last_used_at = now
        session.flush()
    return token


def needs_touch(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY


def mark_used(session: Session, token_id: int) -> None:
    """Record a use (in the caller's write transaction), at most once a minute."""
    token = session.get(ApiToken, token_id)
    if token is not None and needs_touch(token):
        token.last_used_at = clock.now()
        session.flush()


def covers(token: ApiToken, department_id: int | None) -> bool:
    """The token was issued for this department (a case, a task, an alert of it)."""
    return department_id is not None and department_id in (token.department_ids or [])


def allows(token: ApiToken, verb: str) -> bool:
    """The token was issued for this verb (``read``, ``write``, ``report``)."""
    return verb in (token.verbs or [])


def record_refusal(session: Session, secret, reason: str, address: str | None = None,
                   path: str | None = None) -> bool:
    """Write token.refused to the system log, unless this token (or, for secrets that name no
    token of ours, any unknown one) was already logged within the last minute: someone trying
    secrets cannot fill the log. True when a row was written."""
    token = find(session, secret)
    if token is None:
        prefix = prefix_of(secret)
        token = session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first() if prefix else None
    target = f"{token.name}（{token.prefix}）" if token is not None else UNKNOWN
    since = clock.now() - REFUSED_EVERY
    recent = session.scalar(select(func.count()).select_from(SystemEvent).where(
        SystemEvent.action == "token.refused", SystemEvent.target == target, SystemEvent.at >= since))
    if recent:
        return False
    systemlog.record(session, actor=None, action="token.refused", target=target,
                     detail={"reason": reason, "address": address, "path": (path or "")[:200]})
    return True


__all__ = ["issue", "revoke", "tokens", "authenticate", "covers", "allows", "find", "why_not", "record_refusal",
           "mark_used", "TOKEN_VERBS"]
