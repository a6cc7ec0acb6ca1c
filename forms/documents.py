"""Documents (文书): numbered, filled from case data, written as .docx (docxtpl) for printing
and archiving; the same context renders the printable page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docxtpl import DocxTemplate
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import clock
from engine.certificates import CERT_TYPES
from engine.errors import InvalidInput, InvalidState
from engine.models import Case, CaseEvent, CaseTask, Department, Item, ItemVersion, Region, User

from .materials import materials_of
from .models import CaseDocument, DocumentCounter
from .service import step_form

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Kind:
    title: str
    abbr: str  # the character of the 文号 that names the document type


KINDS = {
    "acceptance_notice": Kind("受理通知书", "受"),
    "correction_notice": Kind("补正材料告知书", "补"),
    "rejection_decision": Kind("不予受理决定书", "不受"),
    "grant_decision": Kind("准予行政许可决定书", "许"),
    "denial_decision": Kind("不予行政许可决定书", "不许"),
    "delivery_receipt": Kind("送达回证", "送"),
    "case_file": Kind("全案卷宗", "卷"),
}
DEPARTMENT_ABBR = {"scjgj": "市监", "wsjkj": "卫健", "zjj": "住建", "zrzyj": "自然资源", "rsj": "人社", "zfb": "政办",
                   "xzfwzx": "政务", "jwjw": "纪监", "sfj": "司法"}
ACTIONS = {
    "receive": "收件", "complete": "办理", "finish": "办结", "claim": "签收", "unclaim": "退签", "assign": "分派",
    "transfer": "转办", "return": "退回", "return_to_applicant": "退回申请人", "resubmitted": "重新提交",
    "suspend": "特别程序开始", "resume": "特别程序结束", "correction": "补正告知", "correction_supplied": "补正完成",
    "reject": "不予受理", "withdraw": "撤回", "extend": "延期", "timer": "定时提醒", "document": "出具文书",
}


def _fmt_date(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        value = clock.local_date(value)
    return f"{value.year}年{value.month}月{value.day}日"


def _fmt_time(value) -> str:
    if value is None:
        return ""
    local = value.astimezone(clock.LOCAL_TZ)
    return local.strftime("%Y-%m-%d %H:%M")


def _display(spec: dict, value) -> str:
    if value is None or value == "" or value == []:
        return "（未填写）"
    if spec["type"] == "boolean":
        return "是" if value else "否"
    if spec["type"] == "money":
        return f"{value:,.2f} 元"
    if spec["type"] == "multi_select":
        return "、".join(value)
    if spec["type"] == "date_range":
        return f"{value.get('start')} 至 {value.get('end')}"
    if spec["type"] == "certificate":
        return f"{CERT_TYPES.get(value.get('type'), '')} {value.get('number', '')}"
    if spec["type"] == "group":
        return "；".join("，".join(str(v) for v in row.values()) for row in value)
    return str(value)


def base_context(session: Session, case: Case) -> dict:
    version = session.get(ItemVersion, case.item_version_id)
    item = session.get(Item, case.item_id)
    dept = session.get(Department, case.department_id)
    region = session.get(Region, dept.region_id)
    basis = "、".join(f"《{b['title']}》{b.get('article', '')}" for b in (version.legal_basis or [])[:2]) or "有关法律法规"
    return {
        "county": region.name, "department": dept.name, "case_number": case.number, "item_name": version.name,
        "item_code": item.code, "applicant_name": case.applicant_name, "address": case.address or "",
        "cert_label": CERT_TYPES.get(case.cert_type, case.cert_type), "cert_number": case.cert_number,
        "received_date": _fmt_date(case.received_at), "accepted_date": _fmt_date(case.accepted_at),
        "deadline": _fmt_date(case.deadline) if case.deadline else "（期限待定）", "phone": version.phone or dept.phone or "",
        "supervision_phone": version.supervision_phone, "place": version.place, "legal_basis": basis,
        "today": _fmt_date(clock.now()), "result": case.result or "办理中",
        "license_no": (case.data or {}).get("license_no") or (case.data or {}).get("permit_no") or "",
    }


def next_number(session: Session, case: Case, kind: str) -> str:
    dept = session.get(Department, case.department_id)
    region = session.get(Region, dept.region_id)
    prefix = f"{region.name[0]}{DEPARTMENT_ABBR.get(dept.code, dept.name[3:5])}{KINDS[kind].abbr}"
    year = clock.today().year
    table = DocumentCounter.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(prefix=prefix, year=year, last=1).on_conflict_do_update(
        index_elements=[table.c.prefix, table.c.year], set_={"last": table.c.last + 1})
    serial = session.execute(stmt.returning(table.c.last)).scalar_one()
    return f"{prefix}〔{year}〕{serial}号"


def produce(session: Session, case: Case, kind: str, actor: User, out_dir: Path, **extra) -> CaseDocument:
    """Fill, number and store one document of a case."""
    if kind not in KINDS:
        raise InvalidInput(f"文书类型 {kind} 不存在。")
    context = base_context(session, case)
    context.update(_kind_context(session, case, kind, actor, extra))
    number = next_number(session, case, kind)
    context["number"] = number
    folder = Path(out_dir) / str(case.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{number}.docx"
    template = DocxTemplate(TEMPLATES / f"{kind}.docx")
    template.render(context, autoescape=True)
    template.save(path)
    title = context.get("decision_title") or KINDS[kind].title
    doc = CaseDocument(case_id=case.id, kind=kind, number=number, title=title, stored_path=str(path),
                       context=context, created_at=clock.now(), created_by_id=actor.id)
    session.add(doc)
    session.flush()
    return doc


def _kind_context(session: Session, case: Case, kind: str, actor: User, extra: dict) -> dict:
    if kind == "correction_notice":
        missing = extra.get("missing") or _last_reason_detail(session, case, "correction", "missing")
        if not missing:
            raise InvalidState("此办件没有补正告知记录，无法出具补正告知书。")
        return {"missing": missing}
    if kind in ("rejection_decision", "denial_decision"):
        reason = extra.get("reason") or _denial_reason(session, case, kind)
        if not reason:
            raise InvalidState("没有找到不予受理或不予许可的理由，无法出具决定书。")
        return {"reason": reason}
    if kind == "grant_decision":
        version = session.get(ItemVersion, case.item_version_id)
        return {"decision_title": "准予行政许可决定书" if version.category == "01" else f"{case.result or '准予'}通知书"}
    if kind == "delivery_receipt":
        docs = documents_of(session, case.id)
        return {"actor_name": actor.name,
                "delivered": "；".join(f"{d.title} {d.number}" for d in docs if d.kind != "delivery_receipt") or "（无）"}
    if kind == "case_file":
        return case_file_context(session, case)
    return {}


def _last_reason_detail(session: Session, case: Case, action: str, key: str):
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == action)
                            .order_by(CaseEvent.seq.desc())).first()
    return (event.detail or {}).get(key) if event else None


def _denial_reason(session: Session, case: Case, kind: str) -> str | None:
    if kind == "rejection_decision":
        event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "reject")).first()
        return event.reason if event else None
    task = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.approved.is_(False))
                           .order_by(CaseTask.id.desc())).first()
    return task.reason if task else None


def documents_of(session: Session, case_id: int) -> list[CaseDocument]:
    return list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id).order_by(CaseDocument.id)))


def case_file_context(session: Session, case: Case) -> dict:
    """Everything of the case in order: every step, opinion, form, event, material, document."""
    users = {u.id: u.name for u in session.scalars(select(User))}
    sf = step_form(session, case, None)
    specs = {f["name"]: f for f in (sf.form.fields if sf.form else [])}
    steps = []
    tasks = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state.in_(("completed", "returned")))
                            .order_by(CaseTask.completed_at, CaseTask.id))
    for i, t in enumerate(tasks, start=1):
        data = "；".join(f"{specs[k]['label']}：{_display(specs[k], v)}" for k, v in (t.form_data or {}).items()
                        if k in specs and sf.access.get(k) != "hidden")
        opinion = (t.opinion or "") + (f"（理由：{t.reason}）" if t.reason else "")
        if t.state == "returned":
            opinion = f"退回：{t.reason}"
        steps.append({"seq": i, "step": t.step_name, "actor": users.get(t.completed_by_id, ""),
                      "time": _fmt_time(t.completed_at), "opinion": opinion, "data": data})
    names = {t.step_id: t.step_name for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id))}
    events = [{"seq": e.seq, "at": _fmt_time(e.at), "actor": e.actor_name,
               "action": ACTIONS.get(e.action, e.action) + (f"（{names[e.step_id]}）" if e.step_id in names else ""),
               "reason": e.reason} for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                                            .order_by(CaseEvent.seq))]
    materials = [{"name": m.name, "original": m.original, "state": "已提交" if m.submitted else "未提交"}
                 for m in materials_of(session, case.id)]
    documents = [{"title": d.title, "number": d.number} for d in documents_of(session, case.id) if d.kind != "case_file"]
    form_fields = [{"label": spec["label"], "value": _display(spec, (case.data or {}).get(name))}
                   for name, spec in specs.items() if sf.access.get(name) != "hidden"]
    return {"steps": steps, "events": events, "materials": materials, "documents": documents,
            "form_fields": form_fields, "received_at": _fmt_time(case.received_at),
            "accepted_at": _fmt_time(case.accepted_at), "finished_at": _fmt_time(case.finished_at)}
