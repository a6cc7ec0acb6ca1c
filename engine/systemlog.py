"""The system log (系统日志): everything that is not a case thing, append-only and hash-chained.

Logins (successful and failed), logouts, locks and unlocks, and administrative changes (rules,
catalogue, calendar) are recorded with :func:`record` in the caller's transaction. Each row's
hash covers its content and the previous row's hash, as in the case log (:mod:`engine.audit`);
the head row keeps the newest sequence number and hash, so :func:`verify` finds an edited row,
a deleted one (in the middle or at the end) and a re-ordered chain.

Appending locks the head row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers
with ``BEGIN IMMEDIATE``), so rows written by several worker processes form one chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import clock
from .audit import canonical
from .models import SystemEvent, SystemLogHead, User

#: Every action the system log knows, with the name people see on the log page.
#: Add a line here before recording a new action: :func:`record` refuses unknown ones.
ACTIONS: dict[str, str] = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "account.locked": "账号锁定（连续输错密码）",
    "account.unlocked": "解锁账号",
    "account.password_changed": "修改密码",
    "account.deactivated": "停用账号",
    "calendar.notice_imported": "导入放假通知",
    "calendar.day_changed": "修改工作日历",
    "rules.changed": "修改监察规则",
    "catalogue.changed": "修改事项",
    "auth.sso_login": "统一身份认证登录",
    "auth.sso_refused": "统一身份认证登录被拒绝",
    "org.region_created": "新建行政区划",
    "org.region_changed": "修改行政区划",
    "org.department_created": "新建部门",
    "org.post_created": "新建岗位",
    "org.department_changed": "修改部门",
    "org.post_changed": "修改岗位",
    "account.created": "新建账号",
    "account.changed": "修改账号",
    "account.activated": "启用账号",
    "account.password_reset": "重置密码",
    "account.roles_changed": "修改角色",
    "import.loaded": "批量导入",
    "token.issued": "发放接口令牌",
    "token.revoked": "吊销接口令牌",
    "token.refused": "接口令牌被拒绝",
    "feed.requeued": "重新报送",
    "notify.requeued": "重新发送通知",
    "archive.exported": "导出归档包",
    "archive.purged": "清理已归档办件的在线数据",
}

#: Names of the ``detail`` keys for the log page.
DETAIL_LABELS: dict[str, str] = {
    "address": "来源地址",
    "failures": "连续失败次数",
    "until": "锁定至",
    "reason": "原因",
    "by": "操作方式",
    "holidays": "放假天数",
    "makeup_workdays": "调休上班天数",
    "moved_cases": "期限变化的办件数",
    "day_kind": "改为",
    "name": "名称",
    "version": "版本",
    "note": "修改说明",
    "change": "变更申报编号",
    "kind": "变更内容",
    "count": "条数",
    "delivery_ids": "投递编号",
    "subject": "统一身份认证用户标识",
    "bound": "本次绑定工号",
    "prefix": "令牌前缀",
    "user": "代表账号",
    "departments": "限于部门",
    "verbs": "权限",
    "system_code": "部门业务系统代码",
    "expires_at": "有效期至",
    "path": "请求地址",
    "package": "归档包",
    "manifest_sha256": "清单 SHA-256",
    "files": "文件数",
    "bytes": "字节数",
}

#: Known English values some callers record (e.g. forms/archive.py's kind), as people read them.
VALUE_LABELS: dict[str, str] = {
    "written": "写入", "verified": "复核", "read": "查询", "write": "办理", "report": "报送外部办件",
}
#: Keys whose empty value means "without end" rather than "none".
_OPEN_ENDED = {"expires_at", "until"}


def detail_value(key: str, value) -> str:
    """One detail value as a person reads it: lists joined with 、, None as （无） (or 长期 for an end
    date), booleans 是/否, timestamps in local time, known English words in Chinese. Used by the log page
    for rows already stored too, so nothing needs rewriting."""
    if value is None or value == "" or value == []:
        return "长期" if key in _OPEN_ENDED else "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(detail_value(key, v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{DETAIL_LABELS.get(k, k)}：{detail_value(k, v)}" for k, v in value.items())
    if isinstance(value, str):
        if value in VALUE_LABELS:
            return VALUE_LABELS[value]
        when = _timestamp(value)
        return when if when is not None else value
    return str(value)


def _timestamp(text: str) -> str | None:
    if len(text) < 16 or not text[:4].isdigit() or text[4] != "-" or "T" not in text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    if at.tzinfo is not None:
        at = at.astimezone(clock.LOCAL_TZ)
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def details(event: SystemEvent, departments: dict[int, str] | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs of a row's detail, in Chinese, for the log page. ``departments`` (id → name)
    names the department ids that rows written before names were recorded (token.issued) still hold."""
    out = []
    for key, value in (event.detail or {}).items():
        if key == "departments" and departments and isinstance(value, list):
            value = [departments.get(v, f"部门 {v}") if isinstance(v, int) else v for v in value]
        out.append((DETAIL_LABELS.get(key, key), detail_value(key, value)))
    return out

TARGET_MAX = 200
HEAD_ID = 1


def record(session: Session, *, actor: User | None, action: str, target: str = "",
           detail: dict | None = None) -> SystemEvent:
    """Append one row to the system chain, in the caller's transaction (which commits it)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown system log action {action!r}: add it to engine.systemlog.ACTIONS")
    head = _locked_head(session)
    event = SystemEvent(
        seq=head.seq + 1, at=clock.now(), actor_id=actor.id if actor is not None else None,
        actor_name=_actor_name(actor), action=action, target=_printable(target or "")[:TARGET_MAX],
        detail=canonical(_printable(detail or {})), prev_hash=head.last_hash,
    )
    event.hash = _digest(event)
    head.seq, head.last_hash = event.seq, event.hash
    # append-only: a plain INSERT, never an update through the identity map
    session.execute(insert(SystemEvent), [{c.key: getattr(event, c.key) for c in _COLUMNS}])
    session.flush()
    return event


_COLUMNS = [c for c in SystemEvent.__mapper__.column_attrs if c.key != "id"]


def _printable(value):
    """Control characters out of logged text: PostgreSQL refuses NUL, and nobody can read the rest."""
    if isinstance(value, str):
        return "".join(ch if ch >= " " or ch in "\t\n" else "\ufffd" for ch in value)
    if isinstance(value, dict):
        return {k: _printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(v) for v in value]
    return value


def _actor_name(actor: User | None) -> str:
    return f"{actor.name}（{actor.staff_no}）" if actor is not None else "系统"


def _locked_head(session: Session) -> SystemLogHead:
    """The head row, locked for the rest of the transaction; created (once) if a database lacks it."""
    query = (select(SystemLogHead).where(SystemLogHead.id == HEAD_ID).with_for_update()
             .execution_options(populate_existing=True))
    head = session.scalars(query).first()
    if head is None:
        try:
            with session.begin_nested():
                session.execute(insert(SystemLogHead).values(id=HEAD_ID, seq=0, last_hash=""))
        except IntegrityError:  # another process created it first: use theirs
            pass
        head = session.scalars(query).one()
    return head


def _digest(event: SystemEvent) -> str:
    body = {
        "seq": event.seq, "at": event.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id, "actor_name": event.actor_name, "action": event.action,
        "target": event.target, "detail": event.detail, "prev_hash": event.prev_hash,
    }
    text = json.dumps(canonical(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SystemLogFinding:
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"第 {self.seq} 条" if self.seq else "日志链"
        return f"系统日志 {where}：{self.message}"


def verify(session: Session, batch: int = 1000) -> list[SystemLogFinding]:
    """Walk the whole chain in order; one finding per break (empty: the log is intact)."""
    findings: list[SystemLogFinding] = []
    prev, expected, last_seq = "", 1, 0
    while True:
        rows = session.scalars(select(SystemEvent).where(SystemEvent.seq > last_seq)
                               .order_by(SystemEvent.seq).limit(batch)).all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected:
                findings.append(SystemLogFinding(expected, f"缺少第 {expected} 至 {ev.seq - 1} 条记录（已被删除）。"))
            if ev.prev_hash != prev:
                findings.append(SystemLogFinding(ev.seq, "与前一条记录的链接断开（前一条被删除、调换或篡改）。"))
            if _digest(ev) != ev.hash:
                findings.append(SystemLogFinding(ev.seq, f"内容与哈希不符（记录已被修改）：{ACTIONS.get(ev.action, ev.action)}。"))
            prev, expected, last_seq = ev.hash, ev.seq + 1, ev.seq
        session.expunge_all()
    head = session.get(SystemLogHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.last_hash) if head is not None else (0, "")
    if head_seq > last_seq:
        findings.append(SystemLogFinding(last_seq + 1, f"末尾的第 {last_seq + 1} 至 {head_seq} 条记录已被删除。"))
    elif head_seq != last_seq or head_hash != prev:
        findings.append(SystemLogFinding(None, "日志链末端与记录的链尾不符。"))
    return findings
