"""Case replay (过程回放): everything a supervisor needs to judge a case without the database, in
words: step names, actions, form values as a person writes them (2026年11月28日, 是/否, 甲、乙)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.certificates import CERT_TYPES
from engine.exchange.report import ACTIONS as EXTERNAL_ACTIONS
from engine.exchange.report import system_label
from engine.models import Case, CaseEvent, CasePause, CaseTask, Department, Post, User
from engine.service.common import specs_for
from forms.documents import ACTIONS
from forms.models import CaseMaterial
from forms.service import step_form

from .models import Alert


@dataclass
class StepLine:
    task: CaseTask
    post: str
    department: str
    actor: str
    used: int | None
    late: bool
    fields: list  # (label, value as text)


@dataclass
class EventLine:
    event: CaseEvent
    text: str  # 办理（材料审查）：同意 → 审核


def step_names(session: Session, case: Case) -> dict[str, str]:
    """The name of every step of the case's flow version (not only those that have run), by id; an
    external case's steps are the ones its system reported (it runs no flow chart here)."""
    if case.source:
        return {t.step_id: t.step_name for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id))}
    spec, subprocesses = specs_for(session, case.definition_id)
    names = {}
    for process in (spec, *subprocesses.values()):
        for task_spec in process.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id:
                names[bpmn_id] = getattr(task_spec, "bpmn_name", None) or names.get(bpmn_id) or "未命名环节"
    return names


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_text(value) -> str:
    if isinstance(value, str) and _ISO_DATE.match(value):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = clock.local_date(value)
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def value_text(spec: dict | None, value, files: dict[str, str] | None = None) -> str:
    """A form value as a person writes it; never a Python repr."""
    kind = (spec or {}).get("type")
    if value is None or value == "" or value == [] or value == {}:
        return "（未填写）"
    if isinstance(value, bool) or kind == "boolean":
        return "是" if value in (True, "true", "1", "是") else "否"
    if kind == "money" and isinstance(value, (int, float)):
        return f"{value:,.2f} 元"
    if kind == "date" or (isinstance(value, str) and _ISO_DATE.match(value)):
        return date_text(value)
    if kind == "date_range" and isinstance(value, dict):
        return f"{date_text(value.get('start'))}至{date_text(value.get('end'))}"
    if kind == "certificate" and isinstance(value, dict):
        return f"{CERT_TYPES.get(value.get('type'), '证件')} {value.get('number', '')}".strip()
    if kind == "file":
        return (files or {}).get(str(value), "已上传的附件")
    if kind == "group" or (isinstance(value, list) and value and isinstance(value[0], dict)):
        subs = {f["name"]: f for f in (spec or {}).get("fields", [])}
        rows = value if isinstance(value, list) else [value]
        return "；".join("，".join(f"{subs.get(k, {}).get('label', k)}：{value_text(subs.get(k), v, files)}"
                                  for k, v in row.items()) for row in rows if isinstance(row, dict))
    if isinstance(value, (list, tuple, set)):
        return "、".join(value_text(None, v, files) for v in value)
    if isinstance(value, dict):
        return "，".join(value_text(None, v, files) for v in value.values())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def event_text(event: CaseEvent, names: dict[str, str]) -> str:
    """One line of the case log in words: the action, its step, what it decided, where it went."""
    detail = event.detail or {}
    text = ACTIONS.get(event.action) or EXTERNAL_ACTIONS.get(event.action, "其他操作")
    if event.step_id:
        text += f"（{names.get(event.step_id, '未命名环节')}）"
    said = []
    if detail.get("approved") is False:
        said.append("不同意")
    if detail.get("opinion"):
        said.append(f"意见：{detail['opinion']}")
    if detail.get("to_step_name"):
        said.append(f"退回至“{detail['to_step_name']}”")
    for key, label in (("assignee", "分派给"), ("to", "转交给"), ("procedure", "程序"), ("pause", "暂停事由"),
                       ("approver", "批准人"), ("result", "结果")):
        if isinstance(detail.get(key), str) and detail[key]:
            said.append(f"{label}：{detail[key]}")
    if isinstance(detail.get("days"), int):
        said.append(f"{detail['days']} 日")
    if isinstance(detail.get("paused_days"), int):
        said.append(f"暂停 {detail['paused_days']} 个工作日")
    if detail.get("answer_by"):
        said.append(f"答复期限：{date_text(detail['answer_by'])}")
    if event.action in EXTERNAL_ACTIONS:
        said.extend(_reported(detail))
    if said:  # a part followed by another loses its own full stop (never 。，); the last keeps what was typed
        text += "：" + "，".join([part.rstrip("。；，.;, ") for part in said[:-1]] + said[-1:])
    steps = (event.after or {}).get("steps") or []
    if steps and event.action not in ("claim", "unclaim", "assign"):
        text += " → " + "、".join(names.get(s, "未命名环节") for s in steps)
    return text


def _moment(value) -> str:
    try:
        moment = datetime.fromisoformat(str(value)).astimezone(clock.LOCAL_TZ)
    except ValueError:
        return str(value)
    return f"{date_text(moment.date())} {moment:%H:%M}"


def _reported(detail: dict) -> list[str]:
    """What an external report said beyond the usual: who, when it happened and when it reached us."""
    out = []
    for key, label in (("handler", "办理人"), ("accepted_by", "受理人"), ("document_number", "证照或文书编号")):
        if isinstance(detail.get(key), str) and detail[key]:
            out.append(f"{label}：{detail[key]}")
    if detail.get("reason"):
        out.append(f"理由：{detail['reason']}")
    if detail.get("happened_at"):
        out.append(f"发生于 {_moment(detail['happened_at'])}")
    if detail.get("reported_at"):
        out.append(f"报送于 {_moment(detail['reported_at'])}")
    return out


def post_names(session: Session) -> dict[tuple[int, str], str]:
    """Every post's name by (department id, code)."""
    return {(p.department_id, p.code): p.name for p in session.scalars(select(Post))}


def replay(session: Session, case: Case) -> dict:
    calendar = load_calendar(session)
    users = {u.id: u.name for u in session.scalars(select(User))}
    depts = {d.id: d.name for d in session.scalars(select(Department))}
    posts = post_names(session)
    files = {str(m.id): m.file_name or m.name for m in session.scalars(select(CaseMaterial)
                                                                      .where(CaseMaterial.case_id == case.id))}
    names = step_names(session, case)
    view = step_form(session, case, None)
    form = view.form
    lines = []
    for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.created_at, CaseTask.id)):
        end = clock.local_date(t.completed_at) if t.completed_at else clock.today()
        used = calendar.workdays_between(clock.local_date(t.created_at), end)
        late = t.due_date is not None and end > t.due_date
        shown = []
        if form is not None:
            for name, value in (t.form_data or {}).items():
                if name in form.names and view.access.get(name) != "hidden":
                    spec = form.spec(name)
                    shown.append((spec.get("label", name), value_text(spec, value, files)))
        actor = users.get(t.completed_by_id or t.assignee_id, "") or (t.form_data or {}).get("handler", "")
        lines.append(StepLine(t, posts.get((t.department_id, t.post_code), t.post_code), depts.get(t.department_id, ""),
                              actor, used, late, shown))
    events = list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))
    return {
        "steps": lines,
        "pauses": list(session.scalars(select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id))),
        "alerts": list(session.scalars(select(Alert).where(Alert.case_id == case.id).order_by(Alert.created_at))),
        "events": [EventLine(e, event_text(e, names)) for e in events],
        "form": form, "users": users, "step_names": names,
        "external": {**((case.data or {}).get("external") or {}), "system": case.source, "label": system_label(case),
                     "external_id": case.external_id, "reported_at": case.reported_at} if case.source else None,
    }


__all__ = ["date_text", "event_text", "post_names", "replay", "step_names", "value_text"]
