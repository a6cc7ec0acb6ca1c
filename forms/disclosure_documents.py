"""The documents of 依申请公开 (政府信息公开条例 2019): what each one must say, filled from the
request (InfoRequest) and its case. :mod:`.documents` numbers, renders and stores them; this module
only says what goes in.

- 政府信息公开申请答复书: one per request, its text depending on the answer type (arts. 35–39), with
  the legal ground of what is withheld, the fee and the remedies (art. 51);
- 补正政府信息公开申请通知书 (art. 30): what to make clear, the reasonable period, the restart of the
  answer period, 视为放弃申请;
- 延期答复告知书 (art. 33(2)): the disclosure office head's consent, at most 20 working days;
- 第三方意见征询函 (art. 32): 15 working days, and what happens without an answer;
- 收费通知 (《政府信息公开信息处理费管理办法》): the amount, waiver, basis and pay-by date;
- 视为放弃申请告知书 (art. 30): an unanswered 补正 ends the request; a new request remains possible;
- the 送达回证 of the answer, produced once when the delivery is registered (seed 001 规程 art. 13)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.disclosure.codes import ANSWER_TYPES, DELIVERIES, LAW, MEDIA, WITHHOLD_GROUNDS
from engine.disclosure.service import CONSULTATION_DAYS, CONSULTATION_OUTCOMES, of_case
from engine.errors import InvalidState
from engine.models import (
    Case,
    CaseEvent,
    CaseExtension,
    CasePause,
    Department,
    InfoConsultation,
    InfoGuide,
    InfoRequest,
)

FEE_RULES = "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"
EXTENSION_MAX = 20  # art. 33(2): 延长的期限最长不得超过20个工作日
# art. 51 with 行政复议法 (2023) art. 24: the review of a county department's act lies with the county
# government (the "上一级主管部门" option ended on 2024-01-01); the complaint lies with the body above
RELIEF = ("你（单位）如对本答复不服，可以自收到本答复书之日起六十日内向{county}人民政府申请行政复议，"
          "也可以自收到本答复书之日起六个月内依法向人民法院提起行政诉讼；认为本机关在政府信息公开工作中侵犯"
          "你（单位）合法权益的，也可以向上一级行政机关或者政府信息公开工作主管部门投诉、举报"
          f"（{LAW}第五十一条）。")

# what the 答复书 says for each answer type: {law} {article} and the request's fields
DECISIONS = {
    "published": "你（单位）申请获取的政府信息，本机关已经主动公开。根据{law}{article}的规定，现告知获取该政府信息的"
                 "方式和途径：{published_where}",
    "disclosed": "经审查，你（单位）申请获取的政府信息可以公开。根据{law}{article}的规定，本机关决定予以公开，"
                 "向你（单位）提供以下政府信息：{disclosed_items}",
    "partial": "经审查，你（单位）申请获取的政府信息中含有不应当公开的内容，但能够作区分处理。根据{law}{article}"
               "的规定，本机关向你（单位）提供可以公开的信息内容：{disclosed_items}",
    "withheld": "经审查，根据{law}{article}的规定，本机关决定对你（单位）申请获取的政府信息不予公开",
    "not_exist": "经检索，本机关没有你（单位）所申请公开的政府信息。根据{law}{article}的规定，告知你（单位）"
                 "该政府信息不存在",
    "not_ours": "你（单位）所申请公开的政府信息不属于本机关负责公开。根据{law}{article}的规定，告知你（单位）："
                "该政府信息由{competent_body}负责公开{contact}，你（单位）可以向该机关提出申请",
    "needs_making": "你（单位）申请获取的信息需要本机关对现有政府信息进行加工、分析或者另行制作。根据{law}{article}"
                    "的规定，本机关不予提供",
    "unclear": "本机关已依照{law}{article}的规定告知你（单位）补正，补正后申请内容仍不明确，本机关无法确定你（单位）"
               "所需的政府信息，无法提供",
    "repeated": "本机关已就你（单位）此前提出的相同政府信息公开申请作出答复。根据{law}{article}的规定，对你（单位）"
                "重复申请公开相同政府信息，不予重复处理",
    "special_register": "你（单位）所申请公开的信息属于工商、不动产登记资料等信息，有关法律、行政法规对其获取有特别规定。"
                        "根据{law}{article}的规定，请你（单位）依照有关法律、行政法规的规定办理",
    "complaint": "你（单位）以政府信息公开申请的形式提出的是信访、投诉、举报等诉求。根据{law}{article}的规定，"
                 "本机关不作为政府信息公开申请处理，你（单位）可以通过相应渠道提出",
    "publication": "你（单位）申请的内容为要求提供政府公报、报刊、书籍等公开出版物。根据{law}{article}的规定，"
                   "告知你（单位）获取的途径",
    "confirm": "你（单位）申请的内容为要求本机关确认或者重新出具已获取的信息。根据{law}{article}的规定，本机关"
               "不作为政府信息公开申请处理",
    "abusive": "你（单位）申请公开政府信息的数量、频次明显超过合理范围，且未能说明正当理由。根据{law}{article}"
               "的规定，本机关不予处理",
}
PROVIDES = ("disclosed", "partial")  # information is provided: say in which medium and how
# the 送达回证 records the delivery the `deliver` step registers: never printed on request
BY_DELIVERY = "政府信息公开申请的送达回证在登记送达时生成。"
DELIVERY_WORDS = {"pickup": "请凭本答复书到本机关领取", "inspect": "请凭本答复书到本机关当场查阅、抄录"}


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.local_date(value)
    return f"{value.year}年{value.month}月{value.day}日"


def _sentence(text: str | None) -> str:
    text = (text or "").strip()
    return text if not text or text[-1] in "。！？；…）)”" else text + "。"


def request_of(session: Session, case: Case) -> InfoRequest:
    request = of_case(session, case.id)
    if request is None:
        raise InvalidState("此办件没有政府信息公开申请登记，无法出具政府信息公开文书。")
    return request


def _last(session: Session, case: Case, action: str) -> CaseEvent | None:
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == action)
                           .order_by(CaseEvent.seq.desc())).first()


def office_context(session: Session, case: Case) -> dict:
    """The body's disclosure office as its 指南 gives it (art. 12), else the department's phone."""
    dept = session.get(Department, case.department_id)
    guide = session.get(InfoGuide, dept.id)
    phone = (guide.phone if guide else None) or dept.phone or ""
    return {"office_name": guide.office if guide else dept.name,
            "office_phone": phone, "office_address": (guide.address if guide else None) or ""}


def _number_of(session: Session, case: Case) -> str:
    request = of_case(session, case.id)
    return request.number if request is not None else (case.application_number or case.number)


def _corrected(request: InfoRequest) -> date | None:
    if not request.corrections:
        return None
    try:
        return clock.local_date(datetime.fromisoformat(request.corrections[-1]["at"]))
    except (KeyError, TypeError, ValueError):
        return None


# --- 政府信息公开申请答复书 --------------------------------------------------------------------------------

def _delivery(request: InfoRequest) -> str:
    medium = MEDIA.get(request.medium, request.medium)
    if request.delivery in DELIVERY_WORDS:
        return f"以{medium}形式提供，{DELIVERY_WORDS[request.delivery]}。"
    to = {"email": request.email, "post": request.case.address}.get(request.delivery)
    return f"以{medium}形式，通过{DELIVERIES.get(request.delivery, request.delivery)}提供" + (f"（{to}）" if to else "") + "。"


def fee_line(session: Session, case: Case, request: InfoRequest) -> str:
    """The fee as the 答复书 states it: none, waived, or charged after its 收费通知 was paid (a fee is
    only charged once the applicant was notified in writing and paid, 信息处理费管理办法)."""
    fee, waived = Decimal(request.fee or 0), Decimal(request.fee_waived or 0)
    if fee <= 0:
        return "本次答复不收取信息处理费。"
    basis = _sentence(request.fee_basis).rstrip("。")
    if fee - waived <= 0:
        return f"依照{FEE_RULES}，本次应收取信息处理费{fee:.2f}元（{basis}），经减免，不收取信息处理费。"
    line = f"依照{FEE_RULES}，本次收取信息处理费{fee:.2f}元（{basis}），实际应缴纳{fee - waived:.2f}元"
    notice, paid = _last(session, case, "info_fee_notice"), _last(session, case, "info_fee_paid")
    if notice is None:
        return line + "。"
    line += f"。本机关已于{_date(notice.at)}向你（单位）出具收费通知"
    if paid is None or paid.seq < notice.seq:
        return line + "。"
    return line + f"，你（单位）已于{_date(paid.at)}缴纳。"


def _consultations(request: InfoRequest) -> str | None:
    answered = [CONSULTATION_OUTCOMES.get(c.outcome, "") for c in request.consultations if c.outcome]
    if not answered:
        return None
    return f"本机关依照{LAW}第三十二条书面征求了第三方的意见（{'；'.join(answered)}）。"


def reply_context(session: Session, case: Case) -> dict:
    """政府信息公开申请答复书: what was asked, the answer with its article and ground, what is provided
    and how, the fee and the remedies."""
    request = request_of(session, case)
    kind = ANSWER_TYPES.get(request.answer_type or "")
    if kind is None:
        raise InvalidState("答复书尚未拟定答复类型，无法出具政府信息公开申请答复书。")
    ground = WITHHOLD_GROUNDS.get(request.ground or "")
    contact = f"（联系方式：{request.competent_contact}）" if request.competent_contact else ""
    decision = [_sentence(DECISIONS[request.answer_type].format(
        law=kind.law, article=kind.article, published_where=request.published_where or "",
        disclosed_items=request.disclosed_items or "", competent_body=request.competent_body or "",
        contact=contact))]
    if ground is not None:
        what = "其余内容不予公开，理由" if request.answer_type == "partial" else "不予公开的理由"
        decision.append(f"{what}：{ground.label}（{LAW}{ground.article}）。")
    if request.ground_detail:
        decision.append("说明：" + _sentence(request.ground_detail))
    consulted = _consultations(request) if request.answer_type in ("disclosed", "partial", "withheld") else None
    if consulted:
        decision.insert(0, consulted)
    if request.answer_type in PROVIDES:
        decision.append("提供方式：" + _delivery(request))
    corrected = _corrected(request)
    county = session.get(Department, case.department_id).region.name
    return {
        "request_number": request.number, "description": _sentence(request.description).rstrip("。"),
        "received_date": _date(request.received_at),
        "corrected": f"你（单位）于{_date(corrected)}补正了申请内容，答复期限自本机关收到补正的申请之日起计算。"
        if corrected else "",
        "answer_type": request.answer_type, "answer_label": kind.label, "answer_article": kind.article,
        "answer_cite": kind.cite,
        "ground_label": ground.label if ground else "", "ground_article": ground.article if ground else "",
        "ground_detail": request.ground_detail or "", "answer_text": (request.answer_text or "").strip(),
        "decision": decision, "fee_line": fee_line(session, case, request), "relief": RELIEF.format(county=county),
        "law": LAW, **office_context(session, case),
    }


# --- 补正政府信息公开申请通知书 (art. 30) ------------------------------------------------------------------

def correction_context(session: Session, case: Case, points: list[str]) -> dict:
    """What must be made clear, the period and its end, the restart and 视为放弃申请 (art. 30)."""
    pause = session.scalars(select(CasePause).where(CasePause.case_id == case.id, CasePause.kind == "correction")
                            .order_by(CasePause.id.desc())).first()
    event = _last(session, case, "correction")
    answer_by = pause.due_date if pause and pause.due_date else _day((event.detail or {}).get("answer_by")
                                                                    if event else None)
    if answer_by is None:
        raise InvalidState("补正告知没有设定补正期限，无法出具补正政府信息公开申请通知书（条例第三十条：合理的补正期限）。")
    told = clock.local_date(pause.started_at) if pause else clock.today()
    request = of_case(session, case.id)
    return {"points": points, "answer_by": _date(answer_by), "told_date": _date(told),
            "answer_days": load_calendar(session).workdays_between(told, answer_by),
            "request_number": _number_of(session, case),
            "description": _sentence(request.description if request else case.subject).rstrip("。"),
            "law": LAW, **office_context(session, case)}


def _day(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# --- 延期答复告知书 (art. 33(2)) -----------------------------------------------------------------------

def extension_context(session: Session, case: Case, granted: dict) -> dict:
    """``granted``: the approved 延期 as :func:`forms.documents.extension_context` reads it."""
    if (granted.get("days") or 0) > EXTENSION_MAX:
        raise InvalidState(f"延长答复期限最长不得超过{EXTENSION_MAX}个工作日（条例第三十三条第二款）。")
    basis = "收到补正的申请" if case.clock_basis == "corrected_receipt" else "收到申请"
    ext = session.scalars(select(CaseExtension).where(CaseExtension.case_id == case.id, CaseExtension.state == "approved")
                          .order_by(CaseExtension.decided_at.desc(), CaseExtension.id.desc())).first()
    return {"request_number": _number_of(session, case),
            "period_from": f"自本机关{basis}之日（{_date(case.clock_start)}）起计算",
            "consented": _date(ext.decided_at) if ext else "", "law": LAW, **office_context(session, case)}


# --- 第三方意见征询函 (art. 32) -------------------------------------------------------------------------

def consultation_context(session: Session, case: Case, consultation_id=None) -> dict:
    """To the third party: what is asked, 15 working days, no answer → the office decides by law.
    The applicant is not named (the letter is about the information, not who asks)."""
    request = request_of(session, case)
    if consultation_id is None:
        event = _last(session, case, "info_consult")
        consultation_id = (event.detail or {}).get("consultation") if event else None
    consultation = session.get(InfoConsultation, consultation_id) if consultation_id else None
    if consultation is None or consultation.request_id != request.id:
        raise InvalidState("此申请没有征求第三方意见的记录，无法出具第三方意见征询函。")
    return {"party": consultation.party, "matter": _sentence(consultation.matter).rstrip("。"),
            "contact": consultation.contact or "", "sent_date": _date(consultation.sent_at),
            "due_date": _date(consultation.due_date), "consultation_days": CONSULTATION_DAYS,
            "request_number": request.number, "received_date": _date(request.received_at),
            "description": _sentence(request.description).rstrip("。"), "law": LAW, **office_context(session, case)}


def _amount(value) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except ArithmeticError:
        return ""


def fee_notice_context(session: Session, case: Case) -> dict:
    """收费通知 (《政府信息公开信息处理费管理办法》): the basis, the amount after any waiver, how and by
    when to pay, that the period does not run meanwhile and that no payment is 视为放弃申请."""
    request = request_of(session, case)
    event = _last(session, case, "info_fee_notice")
    if event is None:
        raise InvalidState("此申请没有出具收费通知的记录。")
    detail = event.detail or {}
    fee, payable, pay_by = _amount(detail.get("fee")), _amount(detail.get("payable")), _day(detail.get("answer_by"))
    if not fee or not payable or pay_by is None:
        raise InvalidState("收费通知缺少收费金额或缴费期限，无法出具。")
    waived = _amount(detail.get("waived") or 0)
    return {"request_number": request.number, "received_date": _date(request.received_at),
            "description": _sentence(request.description).rstrip("。"), "fee": fee,
            "waived": "" if Decimal(waived or 0) == 0 else waived, "payable": payable,
            "fee_basis": _sentence(request.fee_basis).rstrip("。"), "pay_by": _date(pay_by),
            "notice_date": _date(event.at), "fee_rules": FEE_RULES, **office_context(session, case)}


# --- 视为放弃申请告知书 (art. 30) -------------------------------------------------------------------------

def lapse_context(session: Session, case: Case) -> dict:
    """What the 条例's 视为放弃申请告知书 adds to the general one (forms.documents.lapse_context): the
    申请编号, what was asked and the points to make clear, one by one, and the office to contact."""
    request = request_of(session, case)
    pause = session.scalars(select(CasePause).where(CasePause.case_id == case.id, CasePause.kind == "correction")
                            .order_by(CasePause.id.desc())).first()
    points = [str(p).strip() for p in ((pause.missing_materials or []) if pause else []) if str(p).strip()]
    return {"request_number": request.number, "received_date": _date(request.received_at),
            "description": _sentence(request.description).rstrip("。"), "points": points, "law": LAW,
            **office_context(session, case)}


# --- 送达回证 --------------------------------------------------------------------------------------------

def _delivery_place(session: Session, case: Case, request: InfoRequest, method: str | None) -> str:
    """Where it was delivered, by the way it was delivered (not the way asked for)."""
    if method == "email":
        return request.email or ""
    if method == "post":
        address = case.address or ""
        return f"{address}（邮编：{request.postcode}）" if address and request.postcode else address
    if method in ("pickup", "inspect"):
        office = office_context(session, case)
        return office["office_name"] + (f"（{office['office_address']}）" if office["office_address"] else "")
    return case.address or ""


def receipt_context(session: Session, case: Case, documents: list) -> dict:
    """The 送达回证 of the answer, produced once when the delivery is registered: the 答复书 with its
    文号 first, every other document sent to the applicant, the information provided with it, and
    the way, place and day of the delivery."""
    request = request_of(session, case)
    if request.delivered_at is None or not request.delivered_by:
        raise InvalidState(BY_DELIVERY)
    replies = [d for d in documents if d.kind == "info_reply"]
    if not replies:
        raise InvalidState("答复书尚未出具，不能登记送达政府信息公开申请。")
    delivered = [f"{d.title} {d.number}" for d in replies + [d for d in documents if d.kind != "info_reply"]]
    if request.answer_type in PROVIDES and request.disclosed_items:
        delivered.append(f"所提供的政府信息：{request.disclosed_items}")
    method = next((k for k, label in DELIVERIES.items() if label == request.delivered_by), None)
    return {"delivered": "；".join(delivered), "delivery_method": request.delivered_by,
            "delivery_place": _delivery_place(session, case, request, method),
            "delivery_date": _date(request.delivered_at), "request_number": request.number}
