"""Documents (文书): numbered, filled from case data, written as .docx (docxtpl) for printing
and archiving; the same context renders the printable page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docxtpl import DocxTemplate
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import audit, clock, legaltime
from engine.calendar import load_calendar
from engine.certificates import CERT_TYPES
from engine.errors import InvalidInput, InvalidState, NotFound, PermissionDenied, SunhallError
from engine.models import (
    Case,
    CaseEvent,
    CaseExtension,
    CasePause,
    CaseTask,
    Department,
    Item,
    ItemVersion,
    Region,
    User,
)
from engine.service import authority
from engine.service.common import can_work, lock_case, require_own, specs_for, step_config

from . import disclosure_documents as disclosure
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
    "registration_notice": Kind("准予设立登记通知书", "登"),
    "penalty_notice": Kind("行政处罚事先告知书", "罚告"),
    "hearing_notice": Kind("听证通知书", "听"),
    "penalty_decision": Kind("行政处罚决定书", "罚"),
    "extension_notice": Kind("延期告知书", "延"),
    "special_procedure_notice": Kind("特别程序告知书", "特"),
    "lapse_notice": Kind("视为放弃申请告知书", "弃"),
    # 依申请公开 (政府信息公开条例 2019)
    "info_reply": Kind("政府信息公开申请答复书", "公开答"),
    "info_correction_notice": Kind("补正政府信息公开申请通知书", "公开补"),
    "info_extension_notice": Kind("延期答复告知书", "公开延"),
    "info_consultation_letter": Kind("第三方意见征询函", "公开征"),
    "info_fee_notice": Kind("政府信息公开信息处理费收费通知", "公开费"),
    "info_lapse_notice": Kind("视为放弃申请告知书", "公开弃"),
}
# a 政府信息公开申请 is told under the 条例, not the 行政许可法: these kinds stand in for the general ones
INFO_KINDS = {"correction_notice": "info_correction_notice", "extension_notice": "info_extension_notice",
              "lapse_notice": "info_lapse_notice"}
# what the applicant does not receive: the internal file, the office's receipts, letters to third parties
NOT_FOR_APPLICANT = frozenset({"case_file", "delivery_receipt", "info_consultation_letter"})
# what the period of a case counts from, as a notice says it (ItemVersion.clock_start)
CLOCK_START_WORDS = {"acceptance": "受理", "receipt": "收到申请", "filing": "立案"}
DEPARTMENT_ABBR = {"scjgj": "市监", "wsjkj": "卫健", "zjj": "住建", "zrzyj": "自然资源", "rsj": "人社", "zfb": "政办",
                   "xzfwzx": "政务", "jwjw": "纪监", "sfj": "司法"}
ACTIONS = {
    "receive": "收件", "complete": "办理", "finish": "办结", "claim": "签收", "unclaim": "退签", "assign": "分派",
    "transfer": "转办", "return": "退回", "return_to_applicant": "退回申请人", "resubmitted": "重新提交",
    "suspend": "特别程序开始", "resume": "特别程序结束", "correction": "补正告知", "correction_supplied": "补正完成",
    "reject": "不予受理", "withdraw": "撤回", "extend": "延期", "timer": "定时提醒", "document": "出具文书",
    "material_upload": "上传材料", "material_replace": "更换材料（新版本）",
    "extension_requested": "申请延期", "extension_refused": "不批准延期", "lapse": "视为放弃申请",
    "recompute_deadlines": "重新计算期限", "retime": "调整期限", "qa_explained": "逾期说明",
    "info_consult": "征求第三方意见", "info_consulted": "第三方意见答复", "material_remove": "删除附件",
    "info_fee_notice": "出具收费通知", "info_fee_paid": "缴纳信息处理费", "info_fee_lapsed": "逾期未缴费，不再处理",
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


def _unit(unit: str) -> str:
    return "日" if unit == "day" else "个工作日"


def deadline_text(case: Case, version: ItemVersion) -> str:
    """The deadline as a notice prints it: the date, marked 预计 with its reason when the calendar
    lacks the year's holiday arrangement; before the period starts, how it will run."""
    if case.deadline is not None:
        text = _fmt_date(case.deadline)
        provisional = getattr(case, "deadline_provisional", None)
        return f"{text}（预计：{provisional}）" if provisional else text
    start = CLOCK_START_WORDS.get(getattr(version, "clock_start", None) or "acceptance", "受理")
    return f"自{start}之日起{case.limit_days or version.legal_limit}{_unit(case.limit_unit)}届满之日"


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
        "deadline": deadline_text(case, version), "phone": version.phone or dept.phone or "",
        "supervision_phone": version.supervision_phone, "place": version.place, "legal_basis": basis,
        "today": _fmt_date(clock.now()), "result": case.result or "办理中",
        "license_no": (case.data or {}).get("license_no") or (case.data or {}).get("permit_no") or "",
        "subject": case.subject or version.name,
        "application_number": case.application_number or "",  # 网上申请: where the applicant answers online
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


# --- who may issue which document, in which state ---------------------------------------------------

# documents a person asks for on the case page (the others come with the command that needs them)
ON_REQUEST = ("acceptance_notice", "grant_decision", "denial_decision", "delivery_receipt", "case_file")
# documents of a closed case that the person who closed it prints and delivers
CLOSING = frozenset({"rejection_decision", "grant_decision", "registration_notice", "denial_decision",
                     "delivery_receipt", "case_file", "lapse_notice", "info_lapse_notice"})
CLOSING_ACTIONS = ("finish", "reject", "withdraw", "lapse")
# documents that certify one fact of the case: issued once, with one 文号
ONCE = frozenset({"acceptance_notice", "rejection_decision", "grant_decision", "registration_notice",
                  "denial_decision", "info_reply"})
# what a 政府信息公开申请 is not answered with: the 答复书 says what the office decided (arts. 36–39)
NOT_FOR_INFORMATION = frozenset({"acceptance_notice", "grant_decision", "registration_notice", "denial_decision"})
# what a 政府信息公开申请 gets only from the command that records the fact, never on a person's request:
# the 送达回证 records the delivery the `deliver` step registers (seed 001 规程 art. 13), once
BY_COMMAND_FOR_INFORMATION = {"delivery_receipt": disclosure.BY_DELIVERY}


def for_information(case: Case) -> bool:
    """A 政府信息公开申请: its period runs from receipt (条例 art. 33), not from acceptance."""
    return case.clock_basis in ("receipt", "corrected_receipt")


def effective_kind(session: Session, case: Case, kind: str) -> str:
    if kind == "grant_decision" and session.get(ItemVersion, case.item_version_id).category == "07":
        return "registration_notice"  # a registration (行政确认) is notified, not a licence decision
    if kind in INFO_KINDS and for_information(case):
        if kind == "lapse_notice" and disclosure.of_case(session, case.id) is None:
            return kind  # a case of the item started without a registered request has no 申请编号 to cite
        return INFO_KINDS[kind]
    return kind


def _names_kind(title: str, kind: str) -> bool:
    """Whether a document named in a flow chart (``sunhall:documents``) is this kind: designers
    write "准予许可决定书" for 准予行政许可决定书 and "补正告知书" for 补正材料告知书."""
    def plain(text: str) -> str:
        return text.replace("行政许可", "许可").replace("材料", "").strip()
    if kind == "registration_notice":
        return title.startswith("准予") and title.endswith("登记通知书")
    return plain(title) == plain(KINDS[kind].title)


def producing_steps(session: Session, case: Case, kind: str) -> set[str]:
    """The steps of the case's flow chart that produce this kind of document."""
    spec, _ = specs_for(session, case.definition_id)
    return {name for name, task_spec in spec.task_specs.items()
            if getattr(task_spec, "step", None) is not None
            and any(_names_kind(title, kind) for title in task_spec.step.documents)}


def _certifies(session: Session, case: Case, kind: str) -> str | None:
    """Why the case's state does not (yet) support what the document certifies, or None."""
    title = KINDS[kind].title
    result = case.result or ""
    if kind in NOT_FOR_INFORMATION and for_information(case):
        return f"政府信息公开申请以政府信息公开申请答复书答复，不出具{title}。"
    if kind == "info_reply" and getattr(disclosure.of_case(session, case.id), "answered_at", None) is None:
        return "答复书尚未审定，不能出具政府信息公开申请答复书。"
    if kind == "acceptance_notice":
        if case.accepted_at is None or case.state == "rejected":
            return "办件尚未受理，不能出具受理通知书。"
        if case.case_type == "instant":
            return "即办件当场办结，不出具受理通知书。"
    elif kind == "rejection_decision" and case.state != "rejected":
        return "办件没有作出不予受理决定，不能出具不予受理决定书。"
    elif kind in ("grant_decision", "registration_notice") and not (case.state == "finished" and result.startswith("准予")):
        return f"办件尚未作出准予决定并办结，不能出具{title}。"
    elif kind == "denial_decision" and not (case.state == "finished" and result.startswith("不予")):
        return "办件尚未作出不予许可决定并办结，不能出具不予行政许可决定书。"
    elif kind == "delivery_receipt" and not any(d.kind != "delivery_receipt" for d in documents_of(session, case.id)):
        return "办件还没有需要送达的文书，不能出具送达回证。"
    return None


def _tasks(session: Session, case: Case) -> list[CaseTask]:
    return list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)))


def _handles(session: Session, case: Case, kind: str, actor: User, tasks: list[CaseTask]) -> bool:
    """The actor handles (or handled) a step that produces the document; a flow naming no step for
    it leaves it to the case's handlers; the person who closed a case prints its closing documents."""
    steps = producing_steps(session, case, kind) or {t.step_id for t in tasks}
    if any(t.state == "ready" and t.step_id in steps and can_work(actor, t) for t in tasks):
        return True
    if any(t.state == "completed" and t.step_id in steps and t.completed_by_id == actor.id for t in tasks):
        return True
    if not case.is_open and kind in CLOSING:
        closing = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.action.in_(CLOSING_ACTIONS))
                                  .order_by(CaseEvent.seq.desc())).first()
        return closing is not None and closing.actor_id == actor.id
    return False


def refusal(session: Session, case: Case, kind: str, actor: User,
            tasks: list[CaseTask] | None = None) -> SunhallError | None:
    """Why the actor may not issue this document now (the error to raise), or None."""
    if kind not in KINDS:
        return NotFound("文书类型不存在。")
    if not authority.offers(session, case, "document"):
        return InvalidState(f"“{case.subject or case.number}”是内部流程，不出具{KINDS[kind].title}。")
    kind = effective_kind(session, case, kind)
    if kind in BY_COMMAND_FOR_INFORMATION and for_information(case):
        return InvalidState(BY_COMMAND_FOR_INFORMATION[kind])
    if not _handles(session, case, kind, actor, _tasks(session, case) if tasks is None else tasks):
        return PermissionDenied(f"只有办理出具{KINDS[kind].title}环节的工作人员可以出具此文书。")
    reason = _certifies(session, case, kind)
    return InvalidState(reason) if reason else None


def offered(session: Session, case: Case, actor: User) -> list[str]:
    """The documents the case page offers this actor now."""
    tasks = _tasks(session, case)  # one query for the whole list, not one per document
    return [kind for kind in ON_REQUEST if refusal(session, case, kind, actor, tasks) is None]


def issue(session: Session, case: Case, kind: str, actor: User, out_dir: Path) -> CaseDocument:
    """A person asks for a document: only the handler of the step that produces it, only in the
    state the document certifies. Nothing is numbered or stored when refused. An external case's
    documents are its own system's."""
    require_own(case)
    error = refusal(session, case, kind, actor)
    if error is not None:
        raise error
    effective = effective_kind(session, case, kind)
    if effective in ONCE:  # one decision, one number: asking again prints the same document
        issued = next((d for d in documents_of(session, case.id) if d.kind == effective), None)
        if issued is not None:
            return issued
    return produce(session, case, kind, actor, out_dir)


def produce(session: Session, case: Case, kind: str, actor: User | None, out_dir: Path, **extra) -> CaseDocument:
    """Fill, number and store one document of a case, and record it in the case's log. Callers are
    commands that already checked their authority (``issue`` for a person's request)."""
    if kind not in KINDS:
        raise InvalidInput(f"文书类型 {kind} 不存在。")
    case = lock_case(session, case.id)  # one writer at a time numbers it and appends to the case's chain
    kind = effective_kind(session, case, kind)
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
                       context=context, created_at=clock.now(), created_by_id=actor.id if actor else None)
    session.add(doc)
    session.flush()
    audit.record(session, case, actor, "document", detail={"kind": kind, "title": title, "number": number,
                                                           "document": doc.id})
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
        if for_information(case):  # one receipt, at delivery: the answer and all else sent to the applicant
            issued = next((d for d in docs if d.kind == "delivery_receipt"), None)
            if issued is not None:
                raise InvalidState(f"此申请已出具送达回证（{issued.number}），不再重复出具。")
            sent = [d for d in docs if d.kind not in NOT_FOR_APPLICANT | NOT_FOR_INFORMATION]
            return {"actor_name": actor.name if actor else "", **disclosure.receipt_context(session, case, sent)}
        return {"actor_name": actor.name,
                "delivered": "；".join(f"{d.title} {d.number}" for d in docs if d.kind != "delivery_receipt") or "（无）"}
    if kind == "case_file":
        return case_file_context(session, case)
    if kind == "registration_notice":
        return {"decision_title": f"准予{session.get(ItemVersion, case.item_version_id).name}通知书"}
    if kind in PENALTY_KINDS:
        return PENALTY_KINDS[kind](session, case)
    if kind == "extension_notice":
        return extension_context(session, case)
    if kind == "special_procedure_notice":
        return special_procedure_context(session, case)
    if kind == "lapse_notice":
        return lapse_context(session, case)
    if kind == "info_lapse_notice":
        return {**lapse_context(session, case), **disclosure.lapse_context(session, case)}
    if kind == "info_reply":
        return disclosure.reply_context(session, case)
    if kind == "info_correction_notice":
        points = extra.get("missing") or _last_reason_detail(session, case, "correction", "missing")
        if not points:
            raise InvalidState("此申请没有补正告知记录，无法出具补正政府信息公开申请通知书。")
        return disclosure.correction_context(session, case, list(points))
    if kind == "info_extension_notice":
        granted = extension_context(session, case)
        return {**granted, **disclosure.extension_context(session, case, granted)}
    if kind == "info_consultation_letter":
        return disclosure.consultation_context(session, case, extra.get("consultation"))
    if kind == "info_fee_notice":
        return disclosure.fee_notice_context(session, case)
    return {}


# --- 行政处罚 (行政处罚法 2021) ------------------------------------------------------------------

PENALTY_LAW = "《中华人民共和国行政处罚法》"
PAYMENT = ("当事人应当自收到本决定书之日起十五日内，到指定的银行或者通过电子支付系统缴纳罚没款"
           f"（{PENALTY_LAW}第六十七条第三款）；到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款"
           f"（{PENALTY_LAW}第七十二条第一款第一项）。")


def _text(data: dict, name: str, what: str) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise InvalidState(f"办件中没有填写“{what}”，不能出具文书。")
    return value


def _money(value) -> str:
    return f"人民币{float(value):,.2f}元"


def _completed(session: Session, case: Case, step_id: str) -> CaseTask | None:
    return session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.step_id == step_id,
                                                  CaseTask.state == "completed").order_by(CaseTask.id.desc())).first()


def _filed_date(case: Case) -> str:
    return _fmt_date(case.accepted_at or case.received_at)


def penalty_notice_context(session: Session, case: Case) -> dict:
    data = case.data or {}
    notice = _completed(session, case, "notify")
    served = clock.local_date(notice.completed_at) if notice else clock.today()
    until = _fmt_date(load_calendar(session).add_workdays(served, 5))
    return {"filed_date": _filed_date(case), "facts": _text(data, "facts", "违法事实"),
            "evidence": _text(data, "evidence", "证据"),
            "violated_provision": _text(data, "violated_provision", "违反的法律、法规、规章条款"),
            "penalty_basis": _text(data, "penalty_basis", "处罚依据"),
            "intended_penalty": _text(data, "intended_penalty", "拟作出的行政处罚"), "statement_until": until}


def hearing_notice_context(session: Session, case: Case) -> dict:
    data = case.data or {}
    day = _text(data, "hearing_date", "听证日期")
    try:
        day = _fmt_date(date.fromisoformat(day[:10]))
    except ValueError:
        raise InvalidState(f"听证日期“{day}”不是有效日期。") from None
    return {"hearing_date": day, "hearing_time": data.get("hearing_time") or "",
            "hearing_place": _text(data, "hearing_place", "听证地点"),
            "hearing_officer": _text(data, "hearing_officer", "听证主持人")}


def penalty_decision_context(session: Session, case: Case) -> dict:
    """Everything 行政处罚法 art. 59 requires of a 行政处罚决定书."""
    data = case.data or {}
    kinds = data.get("penalty_kind") or []
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if not kinds:
        raise InvalidState("办件中没有填写“处罚种类”，不能出具行政处罚决定书。")
    penalties = []
    for k in kinds:
        if k == "罚款":
            penalties.append(f"罚款{_money(_text(data, 'fine_amount', '罚款金额'))}")
        elif k == "没收违法所得":
            penalties.append(f"没收违法所得{_money(_text(data, 'confiscated_amount', '没收违法所得金额'))}")
        else:
            penalties.append(str(k))
    notice = _completed(session, case, "notify")
    statement = _completed(session, case, "statement")
    answer = (statement.form_data or {}) if statement else {}
    review = str(data.get("defence_review") or "").strip()
    if _completed(session, case, "hearing") is not None:
        said = "当事人要求举行听证，本机关依法举行了听证。"
    elif answer.get("waived"):
        said = "当事人书面明确放弃陈述、申辩和要求听证的权利。"
    elif str(answer.get("defence_statement") or "").strip():
        said = f"当事人在法定期限内提出了陈述、申辩：{answer['defence_statement'].strip()}。"
    else:
        said = "当事人在法定期限内未提出陈述、申辩，也未要求听证。"
    if review:
        said += f"经复核，{review}"
    return {"filed_date": _filed_date(case), "notified_date": _fmt_date(notice.completed_at) if notice else "（未告知）",
            "statement": said, "facts": _text(data, "facts", "违法事实"), "evidence": _text(data, "evidence", "证据"),
            "violated_provision": _text(data, "violated_provision", "违反的法律、法规、规章条款"),
            "penalty_basis": _text(data, "penalty_basis", "处罚依据"), "severity": data.get("severity") or "",
            "penalties": penalties, "performance": str(data.get("performance") or "").strip() or PAYMENT}


PENALTY_KINDS = {"penalty_notice": penalty_notice_context, "hearing_notice": hearing_notice_context,
                 "penalty_decision": penalty_decision_context}


# --- 延期, 特别程序, 视为放弃申请 (行政许可法 arts. 42, 45; 政府信息公开条例 arts. 30, 33) ------------

def _day(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _case_phrase(case: Case, version: ItemVersion) -> str:
    if version.category == "02":
        return f"涉嫌违法一案（{case.subject or version.name}）"
    return f"于{_fmt_date(case.received_at)}提出的{version.name}申请"


EXTENSION_BASIS = {
    "01": "《中华人民共和国行政许可法》第四十二条第一款",
    "02": "《中华人民共和国行政处罚法》第六十条、《市场监督管理行政处罚程序规定》第六十四条",
    "20": "《中华人民共和国政府信息公开条例》第三十三条第二款",
}


def extension_context(session: Session, case: Case) -> dict:
    """From the latest approved 延期 (the approver's decision), else the latest "extend" event."""
    version = session.get(ItemVersion, case.item_version_id)
    ext = session.scalars(select(CaseExtension).where(CaseExtension.case_id == case.id, CaseExtension.state == "approved")
                          .order_by(CaseExtension.decided_at.desc(), CaseExtension.id.desc())).first()
    if ext is not None:
        approver = ext.approver.name if ext.approver else ""
        days, reason, before, after = ext.days, ext.reason, ext.deadline_before, ext.deadline_after
        collective, decided = ext.collective, ext.decided_at
    else:
        event = _last_event(session, case, "extend")
        if event is None:
            raise InvalidState("此办件没有经批准的延期，无法出具延期告知书。")
        d = event.detail or {}
        approver, days, reason = d.get("approver", ""), d.get("days"), d.get("reason") or event.reason
        before, after, collective, decided = _day(d.get("from")), _day(d.get("to")), bool(d.get("collective")), event.at
    after_text = _fmt_date(after) if after else "（未能计算）"
    provisional = getattr(case, "deadline_provisional", None)
    if after and provisional and after == case.deadline:
        after_text += f"（预计：{provisional}）"
    who = "本机关负责人集体讨论决定" if collective else f"本机关负责人{approver}批准"
    return {"case_phrase": _case_phrase(case, version), "reason": str(reason or "").rstrip("。"), "days": days,
            "unit": _unit(case.limit_unit), "deadline_before": _fmt_date(before) if before else "（未能计算）",
            "deadline_after": after_text, "approver": approver, "approval": f"{who}（{_fmt_date(decided)}）",
            "basis": EXTENSION_BASIS.get(version.category, "有关法律、法规的规定")}


def special_procedure_context(session: Session, case: Case) -> dict:
    """From the case's latest special-procedure pause (行政许可法 art. 45: the applicant is told in
    writing how long it takes; the time is not counted)."""
    version = session.get(ItemVersion, case.item_version_id)
    pause = session.scalars(select(CasePause).where(CasePause.case_id == case.id, CasePause.kind == "special")
                            .order_by(CasePause.id.desc())).first()
    if pause is None:
        raise InvalidState("此办件没有特别程序记录，无法出具特别程序告知书。")
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "suspend",
                                                    CaseEvent.at >= pause.started_at)
                            .order_by(CaseEvent.seq.desc())).first()
    procedure = ((event.detail or {}).get("procedure") if event else None) or ""
    reason = pause.reason or ""
    if procedure and reason.startswith(f"{procedure}："):
        reason = reason[len(procedure) + 1:]
    if not procedure:  # a step of the flow that is itself a special procedure, e.g. 卫生检测
        try:
            procedure = step_config(session, case, pause.step_id).special_procedure or ""
        except (KeyError, AttributeError):
            procedure = ""
        reason = f"办理中需要{procedure or '特别程序'}"
    procedure = procedure or "特别程序"
    if pause.expected_days:
        expected = f"{procedure}预计需要{pause.expected_days}{_unit(case.limit_unit)}。"
    else:
        expected = f"{procedure}所需时间以实际进行的时间为准，本机关将在{procedure}结束后及时告知。"
    basis = ("《中华人民共和国行政许可法》第四十五条" if version.category == "01" else
             "《市场监督管理行政处罚程序规定》第六十四条" if version.category == "02" else "有关法律、法规的规定")
    return {"case_phrase": _case_phrase(case, version), "reason": reason.rstrip("。"), "procedure": procedure,
            "started_date": _fmt_date(pause.started_at), "expected": expected, "basis": basis,
            "expected_days": pause.expected_days}


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def lapse_context(session: Session, case: Case) -> dict:
    """From the latest "lapse" event: an unanswered 补正 ended the case as 视为放弃申请."""
    event = _last_event(session, case, "lapse")
    if event is None:
        raise InvalidState("此办件没有逾期未补正的记录，无法出具视为放弃申请告知书。")
    pause = session.scalars(select(CasePause).where(CasePause.case_id == case.id, CasePause.kind == "correction")
                            .order_by(CasePause.id.desc())).first()
    answer_by = _day((event.detail or {}).get("answer_by")) or (pause.due_date if pause else None)
    # a 政府信息公开申请 reads "提出的政府信息公开申请", not "提出的政府信息公开申请申请"
    named = {"item_name": "政府信息公开"} if for_information(case) else {}
    return {**named, "correction_date": _fmt_date(pause.started_at) if pause else "",
            "missing": "、".join(pause.missing_materials or []) if pause else "",
            "answer_by": _fmt_date(answer_by) if answer_by else "（未设定）",
            "reason": ISO_DAY.sub(lambda m: _fmt_date(date.fromisoformat(m.group(0))), event.reason or "视为放弃申请。"),
            "lapsed_date": _fmt_date(event.at)}


def _last_event(session: Session, case: Case, action: str) -> CaseEvent | None:
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == action)
                           .order_by(CaseEvent.seq.desc())).first()


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
    explained = legaltime.explain(session, load_calendar(session), case)
    deadline_lines = explained.lines() if explained else ["办理期限尚未开始计算（尚未受理或立案）。"]
    return {"steps": steps, "events": events, "materials": materials, "documents": documents,
            "form_fields": form_fields, "deadline_lines": deadline_lines, "received_at": _fmt_time(case.received_at),
            "accepted_at": _fmt_time(case.accepted_at), "finished_at": _fmt_time(case.finished_at)}
