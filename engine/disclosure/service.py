"""依申请公开 (政府信息公开条例 2019; seed 001 规程): receiving a request, 补正, handing it to the
bodies that hold the information, secrecy review, third-party consultation, the answer of one of
the types of arts. 35–39 with its legal ground, the bodies' comments, the head's approval and the
delivery, each as a command here.

A request is a case of the item that runs ``government_information_request``. The case's period
is 20 working days from receipt (art. 33, ``clock_start = receipt`` on the item), restarted at the
corrected request (art. 30), paused while a third party is consulted (arts. 32–33), extended by at
most 20 with the office head's approval (art. 33). The steps are worked only through this module
(:mod:`.flow` refuses a generic completion): each writes what the flow routes on and what the
答复书 and the annual report read.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from .. import clock, legaltime, querycode
from ..calendar import load_calendar
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from ..models import (
    Case,
    CaseEvent,
    CasePause,
    CaseTask,
    Department,
    InfoAssignment,
    InfoConsultation,
    InfoRequest,
    Item,
    Post,
)
from ..models.cases import PAUSE_KINDS
from ..qa.service import EMAIL  # one pattern for a contact's mailbox
from ..service import common, operations
from ..service.authority import is_staff, sees_all
from ..service.intake import WEB_APPLICANT, Applicant, check_text, next_in_series, start_case
from ..service.tasks import complete_task
from ..validation import parse_id, parse_row_id, sentences
from .codes import (
    ANSWER_TYPES,
    CASE_CHANNEL,
    CHANNELS,
    DELIVERIES,
    FIELD_LABELS,
    LAW,
    MEDIA,
    REQUESTER_KINDS,
    WITHHOLD_GROUNDS,
)

PROCESS_KEY = "government_information_request"
NUMBER = re.compile(r"GK\d{6}\d{4}\d{6}")
NOT_FOUND = "申请编号或查询码不正确，请核对后重新输入（查询码不区分大小写）。"
DESCRIPTION_MAX, PURPOSE_MAX, TEXT_MAX, NOTE_MAX = 2000, 500, 4000, 1000
MAX_BODIES = 10
CONSULTATION_DAYS = 15  # art. 32: the third party answers within 15 working days
CORRECTION_DAYS = (5, 30)  # art. 30: "合理的补正期限"; the office chooses within these bounds
DEFAULT_CORRECTION_DAYS = 15
POINT_MARKS = re.compile(r"^\s*(?:[（(]?\d{1,2}[)）.、．]|[一二三四五六七八九十]{1,2}、)\s*")
BACKDATE_DAYS = 30  # a letter or fax registered late: its day of receipt at most this far back
OFFICE_POSTS = ("window", "handle", "review", "approve")
# 按件计收 of 《政府信息公开信息处理费管理办法》 (国办函〔2020〕109号) art. 6: one applicant, one month
FREE_REQUESTS_A_MONTH = 10
FREE_PAGES = 30
MAX_FEE = Decimal("100000")


# --- who may do what -------------------------------------------------------------------------------

def may_read(session: Session, request: InfoRequest, actor) -> bool:
    """The office of the body asked, the bodies it was handed to, supervisors and administrators."""
    if sees_all(actor):
        return True
    if not is_staff(actor):
        return False
    return actor.department_id == request.department_id or any(
        a.department_id == actor.department_id for a in request.assignments)


def require_read(session: Session, request: InfoRequest, actor) -> None:
    if not may_read(session, request, actor):
        raise PermissionDenied("此政府信息公开申请不在本单位办理范围内，您不能查看。")


def staff_scope(actor):
    """The requests a staff member's lists show (a condition on InfoRequest)."""
    if sees_all(actor):
        return True
    return or_(InfoRequest.department_id == actor.department_id,
               exists().where(InfoAssignment.request_id == InfoRequest.id,
                              InfoAssignment.department_id == actor.department_id))


# --- the item and the bodies ----------------------------------------------------------------------

def request_item(session: Session) -> Item:
    item = session.scalars(select(Item).join(Item.current_version).where(
        Item.status == "active", Item.current_version.has(process_key=PROCESS_KEY))).first()
    if item is None:
        raise InvalidState("政府信息公开申请事项尚未发布，暂不能受理申请。")
    return item


def bodies(session: Session) -> list[Department]:
    """The bodies one may ask and hand a request to: those with a disclosure office, i.e. every
    post the flow needs (登记送达、承办、审核、审定)."""
    depts = list(session.scalars(select(Department).order_by(Department.id)))
    have = {}
    for dept_id, code in session.execute(select(Post.department_id, Post.code).where(Post.code.in_(OFFICE_POSTS))):
        have.setdefault(dept_id, set()).add(code)
    return [d for d in depts if have.get(d.id, set()) >= set(OFFICE_POSTS)]


def _body(session: Session, value, field_name: str, label: str, allowed: list[Department] | None = None) -> Department:
    dept_id = parse_row_id(value)
    dept = session.get(Department, dept_id) if dept_id is not None else None
    if dept is None or dept not in (bodies(session) if allowed is None else allowed):
        raise InvalidInput(f"请选择{label}。", field=field_name)
    return dept


def of_case(session: Session, case_id: int) -> InfoRequest | None:
    return session.scalars(select(InfoRequest).where(InfoRequest.case_id == case_id)).first()


def get(session: Session, request_id) -> InfoRequest:
    request_id = parse_row_id(request_id)
    request = session.get(InfoRequest, request_id) if request_id is not None else None
    if request is None:
        raise NotFound("政府信息公开申请不存在。")
    return request


# --- receiving ---------------------------------------------------------------------------------------

@dataclass
class Requesting:
    """What an applicant writes (art. 29): who asks and how to reach them, a description of the
    information, the medium and the way of delivery. The purpose is never required."""

    name: str
    requester_kind: str  # natural / business / research / nonprofit / legal_service / other
    cert_type: str
    cert_number: str
    phone: str | None
    description: str
    medium: str = "electronic"
    delivery: str = "email"
    email: str | None = None
    address: str | None = None
    postcode: str | None = None
    contact_name: str | None = None  # a 法人或其他组织's contact person
    purpose: str | None = None
    department_id: int | str | None = None  # the body asked
    channel: str = "web"
    received_on: date | str | None = None  # a letter or fax: the day it was signed for (art. 31)

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}

        def attempt(name, check):
            try:
                check()
            except InvalidInput as exc:
                found.setdefault(name, exc.message)

        if self.requester_kind not in REQUESTER_KINDS:
            found["requester_kind"] = "请选择申请人类型（公民或法人、其他组织）。"
        natural = self.requester_kind == "natural"
        applicant = Applicant(name=self.name, cert_type=self.cert_type if isinstance(self.cert_type, str) else "",
                              cert_number=self.cert_number if isinstance(self.cert_number, str) else "",
                              type="1" if natural else "9", phone=self.phone, address=self.address,
                              contact_name=self.contact_name)
        for key, message in applicant.problems().items():
            found.setdefault({"type": "requester_kind"}.get(key, key), message)
        self.name, self.cert_number, self.phone = applicant.name, applicant.cert_number, applicant.phone
        self.address, self.contact_name = applicant.address, applicant.contact_name
        if not natural and self.requester_kind in REQUESTER_KINDS and not self.contact_name and "contact_name" not in found:
            found["contact_name"] = "法人或者其他组织申请的，请填写联系人。"
        if not self.phone and "phone" not in found:
            found["phone"] = "请填写联系电话（条例第二十九条：申请人的联系方式）。"
        attempt("email", self._email)
        attempt("postcode", self._postcode)
        attempt("description", lambda: setattr(self, "description", check_text(
            self.description, "所需政府信息的内容描述", "description", DESCRIPTION_MAX, required=True, multiline=True)))
        attempt("purpose", lambda: setattr(self, "purpose", check_text(
            self.purpose, "用途", "purpose", PURPOSE_MAX, multiline=True)))
        if self.medium not in MEDIA:
            found["medium"] = "请选择获取信息的载体形式（纸质或电子文档）。"
        if self.delivery not in DELIVERIES:
            found["delivery"] = "请选择获取信息的方式。"
        elif self.delivery == "email" and not self.email and "email" not in found:
            found["email"] = "选择通过电子邮件获取的，请填写电子邮箱。"
        elif self.delivery == "post" and not self.address and "address" not in found:
            found["address"] = "选择邮寄的，请填写通信地址。"
        if self.channel not in CHANNELS:
            found["channel"] = "请选择申请方式。"
        return found

    def _email(self):
        email = check_text(self.email, "电子邮箱", "email", 120)
        if email is not None and not EMAIL.fullmatch(email):
            raise InvalidInput("电子邮箱格式不正确，应如 name@example.com。", field="email")
        self.email = email

    def _postcode(self):
        code = check_text(self.postcode, "邮政编码", "postcode", 10)
        if code is not None and not re.fullmatch(r"\d{6}", code, re.ASCII):
            raise InvalidInput("邮政编码应为 6 位数字。", field="postcode")
        self.postcode = code


def _received_on(value, found: dict) -> date:
    """Art. 31: the day of receipt — today for a request in person or online; for a letter the day
    it was signed for, which staff may enter up to a month back."""
    today = clock.today()
    if value in (None, ""):
        return today
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            found.setdefault("received_on", "收到申请日期格式应为 YYYY-MM-DD。")
            return today
    if not isinstance(value, date) or value > today or value < today - timedelta(days=BACKDATE_DAYS):
        found.setdefault("received_on", f"收到申请日期不能晚于今天，也不能早于 {BACKDATE_DAYS} 天前。")
        return today
    return value


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=clock.LOCAL_TZ).astimezone(timezone.utc)


def next_number(session: Session, region_code: str) -> str:
    """申请编号: GK + division code + year + a yearly serial, e.g. GK5309302026000042."""
    year = clock.today().year
    return f"GK{region_code[:6]}{year}{next_in_series(session, 'info_request', year):06d}"


def file_request(session: Session, req: Requesting, actor=WEB_APPLICANT) -> tuple[InfoRequest, str]:
    """Receive a request (online by the applicant, or registered by staff of the body asked from a
    visit, letter, fax or email). The clock starts at receipt (art. 33). Returns the request and its
    查询码 (given once, stored only as a digest)."""
    staff = actor is not WEB_APPLICANT
    if staff and not is_staff(actor):
        raise PermissionDenied("请登录后登记申请。")
    if not staff and req.channel != "web":
        raise InvalidInput("网上申请的方式只能是“网站”。", field="channel")
    found = req.problems()
    dept = None
    try:
        dept = _body(session, req.department_id, "department_id", "受理申请的机关")
    except InvalidInput as exc:
        found.setdefault("department_id", exc.message)
    if staff and dept is not None and not (actor.department_id == dept.id and actor.holds("window", dept.id)):
        raise PermissionDenied(f"只有{dept.name}的窗口受理人员可以登记向该机关提出的申请。")
    received = _received_on(req.received_on if staff else None, found)
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    item = request_item(session)
    applicant = Applicant(name=req.name, cert_type=req.cert_type, cert_number=req.cert_number,
                          type="1" if req.requester_kind == "natural" else "9", phone=req.phone,
                          address=req.address, contact_name=req.contact_name)
    data = {"office": dept.code, "route": "", "bodies": [], "approved": None}
    case = start_case(session, item.code, applicant, actor if staff else WEB_APPLICANT,
                      channel=CASE_CHANNEL[req.channel], data=data, validate_applicant=False,
                      subject=f"政府信息公开申请：{req.description[:60]}"[:300])
    case.department_id = dept.id  # the body asked handles it (谁制作谁公开、谁保存谁公开)
    if received != clock.local_date(case.received_at):  # a letter signed for earlier (art. 31(二))
        case.received_at = _noon(received)
        legaltime.start_clock(case, received, "receipt")
        legaltime.refresh_case(session, load_calendar(session), case)
        for task in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)):
            task.period_start = received
            legaltime.refresh_task(load_calendar(session), task, [])
        common.emit(common.open_case(session, case.id), actor, "retime",
                    reason=f"收到申请之日为 {received}（条例第三十一条）")
    code = querycode.new_code()
    request = InfoRequest(
        number=next_number(session, dept.region.code), case_id=case.id, query_code_hash=querycode.digest(code),
        department_id=dept.id, requester_kind=req.requester_kind, channel=req.channel, description=req.description,
        purpose=req.purpose, medium=req.medium, delivery=req.delivery, email=req.email, postcode=req.postcode,
        corrections=[], bodies=[], received_at=case.received_at,
        registered_by_id=actor.id if staff else None)
    session.add(request)
    session.flush()
    case.application_number = request.number
    return request, code


# --- reading by the applicant -------------------------------------------------------------------

def find_by_code(session: Session, number, code) -> InfoRequest:
    number = querycode.normalize_number(number)
    if not NUMBER.fullmatch(number):
        raise NotFound(NOT_FOUND)
    request = session.scalars(select(InfoRequest).where(InfoRequest.number == number)).first()
    if request is None or not querycode.matches(request.query_code_hash, code):
        raise NotFound(NOT_FOUND)
    return request


def open_correction(session: Session, request: InfoRequest) -> CasePause | None:
    pause = common.open_pause(session, request.case)
    return pause if pause is not None and pause.kind == "correction" else None


def open_consultation(request: InfoRequest) -> InfoConsultation | None:
    return next((c for c in request.consultations if c.replied_at is None), None)


PUBLIC_STEPS = {"review": "审查", "body_answer": "承办部门答复", "secrecy": "保密审查", "draft": "拟定答复书",
                "comment": "承办部门会签", "approve": "审定答复书", "deliver": "送达"}


def stage(session: Session, request: InfoRequest) -> str:
    """Where the request is, as the applicant reads it."""
    case = request.case
    if not case.is_open:
        if case.state == "finished":
            return "已答复"
        return case.result or "已终止"
    if case.pause_kind == "correction":
        return "待申请人补正"
    if case.pause_kind == "consultation":
        return "征求第三方意见中（不计入答复期限）"
    if case.pause_kind == "fee":
        return "待缴纳信息处理费（不计入答复期限）"
    steps = [t.step_id for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id,
                                                                       CaseTask.state == "ready"))]
    names = list(dict.fromkeys(PUBLIC_STEPS.get(s, s) for s in steps))
    return "办理中：" + "、".join(names) if names else "办理中"


def timeline(session: Session, request: InfoRequest) -> list[tuple]:
    """What happened, as the applicant reads it (no staff names, no internal opinions)."""
    words = {"receive": "收到申请", "correction": "补正告知", "correction_supplied": "申请人已补正，答复期限自收到补正之日起重新计算",
             "lapse": "逾期未补正，视为放弃申请", "extend": "延长答复期限", "info_consult": "征求第三方意见（所需时间不计入答复期限）",
             "info_consulted": "第三方意见征询结束", "withdraw": "申请已撤回", "finish": "已答复并送达",
             "info_fee_notice": "出具收费通知（自通知之日至缴费之日不计入答复期限）", "info_fee_paid": "已缴纳信息处理费",
             "info_fee_lapsed": "逾期未缴纳信息处理费，视为放弃申请"}
    rows = []
    for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == request.case_id).order_by(CaseEvent.seq)):
        if e.action in words:
            rows.append((e.at, words[e.action]))
        elif e.action == "complete" and e.step_id == "review":
            rows.append((e.at, "审查完毕，" + ("交有关单位办理" if (e.detail or {}).get("data", {}).get("route") == "assign"
                                          else "进入答复")))
        elif e.action == "complete" and e.step_id == "approve" and (e.detail or {}).get("approved"):
            rows.append((e.at, "答复书已审定"))
    return rows


# --- working the steps -----------------------------------------------------------------------------

@contextmanager
def _command(session: Session):
    """The steps are worked here, never by the generic case commands (see :mod:`.flow`)."""
    session.info["disclosure_command"] = True
    try:
        yield
    finally:
        session.info.pop("disclosure_command", None)


def open_task(session: Session, request: InfoRequest, actor, step_ids: tuple[str, ...]) -> CaseTask:
    """The request's ready step the actor may work (its post in its department)."""
    if not is_staff(actor):
        raise PermissionDenied("请登录后办理。")
    for task in session.scalars(select(CaseTask).where(CaseTask.case_id == request.case_id,
                                                       CaseTask.state == "ready").order_by(CaseTask.id)):
        if task.step_id in step_ids and common.can_work(actor, task):
            return task
    raise PermissionDenied("此申请当前没有您可以办理的环节。")


OFFICE_STEPS = ("review", "secrecy", "draft", "approve", "deliver")


def require_office_worker(session: Session, request: InfoRequest, actor) -> CaseTask:
    """Who may ask for more time (延期, art. 33) or record a withdrawal: the office working a step now."""
    return open_task(session, request, actor, OFFICE_STEPS)


def _complete(session: Session, task: CaseTask, actor, **kw) -> CaseTask:
    with _command(session):
        return complete_task(session, task.id, actor, **kw)


def _text(value, label: str, name: str, limit: int = TEXT_MAX, required: bool = True) -> str | None:
    return check_text(value, label, name, limit, required=required, multiline=True)


def review(session: Session, request: InfoRequest, actor, *, route, body_ids=None, note=None) -> CaseTask:
    """审查并交办 (规程 arts. 6–7): hand the request to the bodies holding the information (each
    answers in writing within 5 working days), or answer it directly where no body needs asking
    (arts. 36(一)(五)(六)(七), 39, 35). 补正 is asked with :func:`request_correction` instead."""
    task = open_task(session, request, actor, ("review",))
    if common.open_pause(session, request.case) is not None:
        raise InvalidState("申请正在补正或征求意见中，请待其结束后再审查交办。")
    found: dict[str, str] = {}
    if route not in ("assign", "direct"):
        raise InvalidInput("请选择交办承办单位，或直接答复。", field="route")
    chosen: list[Department] = []
    if route == "assign":
        ids = body_ids if isinstance(body_ids, (list, tuple)) else [body_ids] if body_ids not in (None, "") else []
        allowed = bodies(session)
        for value in ids:
            try:
                dept = _body(session, value, "body_ids", "承办单位", allowed)
            except InvalidInput as exc:
                found.setdefault("body_ids", exc.message)
                continue
            if dept not in chosen:
                chosen.append(dept)
        if not chosen and "body_ids" not in found:
            found["body_ids"] = "请至少选择一个掌握该信息的承办单位。"
        if len(chosen) > MAX_BODIES:
            found["body_ids"] = f"一次最多交办 {MAX_BODIES} 个单位。"
    try:
        note = _text(note, "交办说明（处理单）", "note", NOTE_MAX, required=route == "assign")
    except InvalidInput as exc:
        found["note"] = exc.message
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    now = clock.now()
    for dept in chosen:
        session.add(InfoAssignment(request_id=request.id, department_id=dept.id, assigned_at=now, note=note))
    request.bodies = [d.code for d in chosen]
    return _complete(session, task, actor, data={"route": route, "bodies": request.bodies}, opinion=note)


def _assignment(request: InfoRequest, task: CaseTask) -> InfoAssignment:
    found = next((a for a in request.assignments if a.department_id == task.department_id), None)
    if found is None:
        raise InvalidState("没有找到本单位的交办记录。")
    return found


def body_answer(session: Session, request: InfoRequest, actor, *, proposed_type, opinion) -> InfoAssignment:
    """承办单位书面答复 (规程 art. 8): within 5 working days, what it holds and what may be disclosed;
    a proposal to withhold or disclose in part names its legal reason."""
    task = open_task(session, request, actor, ("body_answer",))
    found: dict[str, str] = {}
    if proposed_type not in ANSWER_TYPES:
        found["proposed_type"] = "请选择答复意见的类型。"
    try:
        opinion = _text(opinion, "书面答复意见", "opinion")
    except InvalidInput as exc:
        found["opinion"] = exc.message
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    assignment = _assignment(request, task)
    assignment.proposed_type, assignment.opinion = proposed_type, opinion
    assignment.answered_at, assignment.answered_by_id = clock.now(), actor.id
    _complete(session, task, actor, data={"proposed_type": proposed_type}, opinion=opinion)
    return assignment


def secrecy_review(session: Session, request: InfoRequest, actor, *, opinion) -> CaseTask:
    """保密审查 (seed 001 制度 art. 10; 条例 art. 17): no information leaves before it."""
    task = open_task(session, request, actor, ("secrecy",))
    opinion = _text(opinion, "保密审查意见", "opinion", NOTE_MAX)
    return _complete(session, task, actor, data={"secrecy_reviewed": True}, opinion=opinion)


# --- 补正 (art. 30) ---------------------------------------------------------------------------------

def request_correction(session: Session, request: InfoRequest, actor, *, points, days=DEFAULT_CORRECTION_DAYS):
    """补正 (art. 30): once, within 7 working days of receipt, saying what to make clear and a
    reasonable period; the answer period restarts when the corrected request arrives, and an
    unanswered one is 视为放弃申请 when the period ends (the scheduler closes it)."""
    open_task(session, request, actor, ("review",))
    if isinstance(points, str):
        points = re.split(r"[\r\n]+", points)
    if not isinstance(points, (list, tuple)):
        raise InvalidInput("请写明需要补正的事项。", field="points")
    # one point a line, as the notice numbers them: a number typed by staff and a closing mark go
    points = [POINT_MARKS.sub("", str(p)).strip().rstrip("；;。") for p in points]
    points = [p for p in points if p]
    if not points:
        raise InvalidInput("请写明需要补正的事项（条例第三十条：说明需要补正的事项）。", field="points")
    days = parse_id(days) if not isinstance(days, int) or isinstance(days, bool) else days
    if days is None or not CORRECTION_DAYS[0] <= days <= CORRECTION_DAYS[1]:
        raise InvalidInput(f"补正期限应为 {CORRECTION_DAYS[0]} 至 {CORRECTION_DAYS[1]} 个工作日。", field="days")
    if any(e.action == "correction" for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == request.case_id))):
        raise InvalidState("条例第三十条规定补正应当一次性告知，此申请已经告知过补正。")
    reason = "申请内容不明确，请补正：" + "；".join(points)
    return operations.request_correction(session, request.case_id, actor, points, reason=reason[:2000],
                                         answer_days=days)


def supply_correction(session: Session, request: InfoRequest, text, actor=WEB_APPLICANT) -> CasePause:
    """The applicant's corrected request (online, or registered by the office from a letter): the
    description is replaced, the original kept, and the period restarts (art. 30)."""
    if actor is not WEB_APPLICANT and not (is_staff(actor) and actor.department_id == request.department_id):
        raise PermissionDenied("只有申请人或受理机关可以提交补正。")
    pause = open_correction(session, request)
    if pause is None:
        raise InvalidState("此申请目前不需要补正。")
    text = _text(text, "补正后的内容描述", "description", DESCRIPTION_MAX)
    now = clock.now()
    request.corrections = [*(request.corrections or []), {"at": now.astimezone(clock.LOCAL_TZ).isoformat(),
                                                          "before": request.description,
                                                          "after": text}]
    request.description = text
    loaded = common.open_case(session, request.case_id)
    pause = common.end_pause(loaded, actor, now)
    common.emit(loaded, actor, "correction_supplied", reason="申请人补正了申请内容。",
                now=now, detail={"pause": PAUSE_KINDS["correction"], "paused_days": pause.paused_days,
                                 "channel": "web" if actor is WEB_APPLICANT else "staff"})
    return pause


# --- 征求第三方意见 (arts. 32–33) ---------------------------------------------------------------------

def consult(session: Session, request: InfoRequest, actor, *, party, matter, contact=None) -> InfoConsultation:
    """Ask a third party whose rights disclosure may harm (art. 32). It has 15 working days; the
    time is not counted in the answer period (art. 33), so the case pauses until the reply or the
    lapse. Asked by the office while it reviews secrecy or drafts the answer."""
    task = open_task(session, request, actor, ("secrecy", "draft"))
    found: dict[str, str] = {}
    values = {}
    for name, value, label, limit, required in (("party", party, "第三方名称", 100, True),
                                                ("matter", matter, "征求意见的事项", NOTE_MAX, True),
                                                ("contact", contact, "第三方联系方式", 200, False)):
        try:
            values[name] = check_text(value, label, name, limit, required=required, multiline=name == "matter")
        except InvalidInput as exc:
            found[name] = exc.message
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    party, matter, contact = values["party"], values["matter"], values["contact"]
    loaded = common.open_case(session, request.case_id)
    common.require_running(loaded.case)
    now = clock.now()
    due = loaded.calendar.add_workdays(clock.local_date(now), CONSULTATION_DAYS)
    consultation = InfoConsultation(request_id=request.id, party=party, contact=contact, matter=matter, sent_at=now,
                                    due_date=due, recorded_by_id=actor.id)
    session.add(consultation)
    text = f"征求第三方（{party}）意见：{matter}"
    common.start_pause(loaded, "consultation", text, actor, now, step_id=task.step_id, due_date=due)
    session.flush()
    common.emit(loaded, actor, "info_consult", task=task, reason=text, now=now,
                detail={"party": party, "answer_by": due, "consultation": consultation.id,
                        "basis": f"{LAW}第三十二条、第三十三条第三款"})
    return consultation


CONSULTATION_OUTCOMES = {"agreed": "同意公开", "objected": "不同意公开", "no_reply": "逾期未提出意见"}


def record_reply(session: Session, request: InfoRequest, actor, *, outcome, reply=None, now=None) -> InfoConsultation:
    """The third party answered (or, ``actor`` None, the scheduler found its 15 days over): the
    pause ends and the answer period runs again. An objection decides nothing by itself: the office
    may still disclose where withholding would harm the public interest, saying so (art. 32)."""
    consultation = open_consultation(request)
    if consultation is None:
        raise InvalidState("此申请没有等待答复的第三方意见征询。")
    if actor is not None:
        open_task(session, request, actor, ("secrecy", "draft"))
    if outcome not in CONSULTATION_OUTCOMES:
        raise InvalidInput("请选择第三方的意见。", field="outcome")
    reply = _text(reply, "第三方意见", "reply", NOTE_MAX, required=outcome != "no_reply")
    now = now or clock.now()
    if outcome == "no_reply" and actor is not None and clock.local_date(now) <= consultation.due_date:
        raise InvalidState(f"第三方的答复期限到 {consultation.due_date} 届满，届满前不能按逾期未提出意见处理。")
    consultation.outcome, consultation.reply, consultation.replied_at = outcome, reply, now
    loaded = common.open_case(session, request.case_id)
    pause = common.open_pause(session, loaded.case)
    if pause is not None and pause.kind == "consultation":
        common.end_pause(loaded, actor, now)
    common.emit(loaded, actor, "info_consulted", reason=f"{consultation.party}：{CONSULTATION_OUTCOMES[outcome]}"
                + (f"（{reply}）" if reply else ""), now=now,
                detail={"party": consultation.party, "outcome": outcome, "consultation": consultation.id})
    return consultation


# --- the answer ---------------------------------------------------------------------------------------

@dataclass
class Answer:
    """答复 (arts. 36–39): the type, the fields it needs, the text of the 答复书, and the fee."""

    answer_type: str
    answer_text: str | None = None
    ground: str | None = None
    ground_detail: str | None = None
    published_where: str | None = None
    competent_body: str | None = None
    competent_contact: str | None = None
    disclosed_items: str | None = None
    pages: int | str | None = 0  # pages provided (按量计收)
    fee_waived: str | Decimal | None = None  # 减免 (seed 001 制度 art. 19)
    fee_basis: str | None = None  # why reduced or waived


def allowed_fee(session: Session, request: InfoRequest, pages: int) -> tuple[Decimal, str]:
    """信息处理费 the rules allow (《政府信息公开信息处理费管理办法》 art. 6): none for the first 10
    requests of one applicant in a month and for the first 30 pages of one request; beyond that,
    按件 100 元/件 for the 11th–30th request (each further 10 requests +100 元/件), 按量 10 元/页 for pages
    31–100, 20 元/页 for 101–200, 40 元/页 above. Returns the amount and how it was computed."""
    start = request.received_at.astimezone(clock.LOCAL_TZ).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    earlier = session.scalar(select(func.count()).select_from(InfoRequest).join(InfoRequest.case).where(
        InfoRequest.department_id == request.department_id, InfoRequest.received_at >= start,
        InfoRequest.received_at <= request.received_at, InfoRequest.id != request.id,
        Case.cert_number == request.case.cert_number))
    nth = earlier + 1
    by_count = Decimal(0)
    if nth > FREE_REQUESTS_A_MONTH:
        by_count = Decimal(100 if nth <= 30 else 100 * (2 + (nth - 31) // 10))
    by_pages = Decimal(0)
    for low, high, price in ((31, 100, 10), (101, 200, 20), (201, None, 40)):
        if pages >= low:
            top = pages if high is None else min(pages, high)
            by_pages += Decimal(price * (top - low + 1))
    fee = max(by_count, by_pages)  # art. 6: either by count or by amount, whichever the office applies — the larger is the ceiling
    how = []
    if by_count:
        how.append(f"本月第 {nth} 件申请，按件计收 {by_count} 元")
    if by_pages:
        how.append(f"提供 {pages} 页，按量计收 {by_pages} 元")
    return fee, "；".join(how) or "申请数量和页数均未超过免费范围，不收费"


def _money(value, label: str, name: str) -> Decimal:
    if value in (None, ""):
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{label}应为金额数字。", field=name) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_FEE or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{label}应为 0 至 {MAX_FEE} 之间、最多两位小数的金额。", field=name)
    return amount


def _fee_terms(session: Session, request: InfoRequest, pages_value, waived_value, basis_value, found: dict, *,
               disclosing: bool = True) -> tuple[Decimal, Decimal, str] | None:
    """The fee the rules allow for the pages provided, the waiver (减免, seed 001 制度 art. 19: on
    the applicant's request, with the reason) and how it was computed; None with ``found`` filled."""
    pages = pages_value if isinstance(pages_value, int) and not isinstance(pages_value, bool) else parse_id(
        pages_value) if pages_value not in (None, "", "0", 0) else 0
    if pages is None or not 0 <= pages <= 100000:
        found["pages"] = "提供的页数应为 0 至 100000 之间的整数。"
    try:
        waived = _money(waived_value, "减免金额", "fee_waived")
    except InvalidInput as exc:
        found["fee_waived"] = exc.message
    if found:
        return None
    fee, how = allowed_fee(session, request, pages if disclosing else 0)
    if waived > fee:
        found["fee_waived"] = f"减免金额不能超过应收的信息处理费（{fee} 元）。"
        return None
    try:
        basis = check_text(basis_value, "减免理由", "fee_basis", NOTE_MAX, required=waived > 0, multiline=True)
    except InvalidInput as exc:
        found["fee_basis"] = exc.message
        return None
    return fee, waived, "；".join(x for x in (how, f"减免 {waived} 元：{basis}" if waived else None) if x)


def draft(session: Session, request: InfoRequest, actor, answer: Answer) -> CaseTask:
    """拟定答复书 (规程 art. 9): one answer type with its legal ground and the fields it needs. A
    request answered without asking a body may only get an answer that discloses nothing; an
    answer that discloses information follows the secrecy review."""
    task = open_task(session, request, actor, ("draft",))
    if common.open_pause(session, request.case) is not None:
        raise InvalidState("此申请正在暂停中（征求第三方意见或等待缴纳信息处理费），请在暂停结束后再拟定答复。")
    found: dict[str, str] = {}
    kind = ANSWER_TYPES.get(answer.answer_type) if isinstance(answer.answer_type, str) else None
    if kind is None:
        raise InvalidInput("请选择答复类型。", field="answer_type")
    if answer.answer_type == "unclear" and not any(e.action == "correction" for e in session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == request.case_id))):
        raise InvalidInput("“补正后申请内容仍不明确”只能用于已经告知补正的申请（条例第三十条）；内容不明确的，请先告知补正。",
                           field="answer_type")
    route = (request.case.data or {}).get("route")
    if route != "assign" and kind.assign:
        raise InvalidInput(f"“{kind.label}”须先交承办单位答复并经保密审查，不能直接答复。", field="answer_type")
    values = {}
    for name in ("answer_text", "ground_detail", "published_where", "competent_body", "competent_contact",
                 "disclosed_items"):
        label = FIELD_LABELS.get(name, "答复书正文")
        limit = 100 if name == "competent_body" else 200 if name == "competent_contact" else TEXT_MAX
        try:
            values[name] = check_text(getattr(answer, name), label, name, limit, required=name in kind.needs,
                                      multiline=limit > 200)
        except InvalidInput as exc:
            found[name] = exc.message
    ground = answer.ground if kind.ground_from else None
    if kind.ground_from and ground not in kind.ground_from:
        found["ground"] = "请选择不予公开的法定理由。"
    if kind.ground_from is None and answer.ground not in (None, ""):
        found["ground"] = f"“{kind.label}”不需要选择不予公开的理由。"
    if answer.answer_type == "not_ours" and not values.get("competent_contact") and values.get("competent_body"):
        values["competent_contact"] = None  # art. 36(五): the contact where it is known
    noticed = fee_noticed(session, request)  # a fee notice fixed the fee; the draft does not change it
    terms = None if noticed else _fee_terms(session, request, answer.pages, answer.fee_waived, answer.fee_basis, found,
                                            disclosing=kind.row in ("disclosed", "partial"))
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    if answer.answer_type == "disclosed" and any(c.outcome == "objected" for c in request.consultations) \
            and not values.get("ground_detail"):
        raise InvalidInput("第三方不同意公开而决定予以公开的，请在理由说明中写明不公开会对公共利益造成重大影响的理由"
                           "（条例第三十二条），并书面告知第三方。", field="ground_detail")
    request.answer_type, request.ground = answer.answer_type, ground
    for name, value in values.items():
        setattr(request, name, value)
    if terms is not None and terms[0] - terms[1] > 0:
        raise InvalidInput(f"按规定应收取信息处理费 {terms[0] - terms[1]} 元（{terms[2]}）：请先出具收费通知，申请人缴费后再拟定"
                           "答复书；全部减免的，填写减免金额和理由。", field="pages")
    if terms is not None:
        request.fee, request.fee_waived, request.fee_basis = terms
    return _complete(session, task, actor, data={"answer_type": answer.answer_type, "ground": ground or ""},
                     opinion=f"拟{kind.label}")


# --- 信息处理费 (《政府信息公开信息处理费管理办法》, 国办函〔2020〕109号) ------------------------------------

FEE_PAY_DAYS = 20  # the applicant pays within 20 working days of the notice; the time is not counted
FEE_LAPSED = "逾期未缴纳信息处理费，不再处理"


def open_fee(session: Session, request: InfoRequest) -> CasePause | None:
    pause = common.open_pause(session, request.case)
    return pause if pause is not None and pause.kind == "fee" else None


def fee_noticed(session: Session, request: InfoRequest) -> bool:
    return session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == request.case_id,
                                                     CaseEvent.action == "info_fee_notice").limit(1)) is not None


def notify_fee(session: Session, request: InfoRequest, actor, *, pages, fee_waived=None, fee_basis=None) -> CasePause:
    """收费通知: where the rules allow a fee (beyond 10 requests a month or 30 pages), the office
    tells the applicant in writing the basis, the amount and how to pay, before providing the
    information. From the notice to the payment the answer period does not run; no payment within
    20 working days is 视为放弃申请 (管理办法 arts. 8–9). Given while the answer is drafted."""
    task = open_task(session, request, actor, ("draft",))
    if common.open_pause(session, request.case) is not None:
        raise InvalidState("此申请正在暂停中（补正、征求意见或待缴费），不能出具收费通知。")
    if fee_noticed(session, request):
        raise InvalidState("此申请已经出具过收费通知。")
    found: dict[str, str] = {}
    terms = _fee_terms(session, request, pages, fee_waived, fee_basis, found)
    if terms is None:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    fee, waived, how = terms
    if fee - waived <= 0:
        raise InvalidState(f"按规定无需收费（{how}），不需要出具收费通知。" if fee == 0
                           else "信息处理费已全部减免，不需要出具收费通知。")
    request.fee, request.fee_waived, request.fee_basis = fee, waived, how
    loaded = common.open_case(session, request.case_id)
    now = clock.now()
    due = loaded.calendar.add_workdays(clock.local_date(now), FEE_PAY_DAYS)
    text = f"收费通知：应缴纳信息处理费 {fee - waived} 元（{how}），请于 {due} 前缴纳"
    common.start_pause(loaded, "fee", text, actor, now, step_id=task.step_id, due_date=due)
    common.emit(loaded, actor, "info_fee_notice", task=task, reason=text, now=now,
                detail={"fee": str(fee), "waived": str(waived), "payable": str(fee - waived), "answer_by": due,
                        "basis": "《政府信息公开信息处理费管理办法》"})
    return common.open_pause(session, loaded.case)


def record_payment(session: Session, request: InfoRequest, actor, *, note=None) -> CasePause:
    """缴费: the office records the payment; the answer period runs again."""
    open_task(session, request, actor, ("draft",))
    loaded = common.open_case(session, request.case_id)
    pause = common.open_pause(session, loaded.case)
    if pause is None or pause.kind != "fee":
        raise InvalidState("此申请没有等待缴纳的信息处理费。")
    note = _text(note, "缴费说明", "note", NOTE_MAX, required=False)
    now = clock.now()
    pause = common.end_pause(loaded, actor, now)
    common.emit(loaded, actor, "info_fee_paid", reason=note or f"申请人已缴纳信息处理费 {request.fee - request.fee_waived} 元",
                now=now, detail={"paused_days": pause.paused_days})
    return pause


def lapse_fee(session: Session, request: InfoRequest, now=None) -> bool:
    """The scheduler: a fee not paid within its 20 working days ends the request (other:unpaid)."""
    now = now or clock.now()
    loaded = common.open_case(session, request.case_id)
    pause = common.open_pause(session, loaded.case)
    if not loaded.case.is_open or pause is None or pause.kind != "fee" or clock.local_date(now) <= pause.due_date:
        return False
    common.end_pause(loaded, None, now)
    operations.close(loaded, None, "withdrawn", FEE_LAPSED, now)
    common.emit(loaded, None, "info_fee_lapsed", now=now,
                reason=f"申请人未在 {pause.due_date} 前缴纳信息处理费，视为放弃申请（《政府信息公开信息处理费管理办法》）。",
                detail={"answer_by": pause.due_date})
    return True


def comment(session: Session, request: InfoRequest, actor, *, agrees, text=None) -> InfoAssignment:
    """承办单位会签 (规程 art. 10): within 2 working days; a disagreement says why."""
    task = open_task(session, request, actor, ("comment",))
    if not isinstance(agrees, bool):
        raise InvalidInput("请选择是否同意答复书。", field="agrees")
    text = _text(text, "会签意见", "text", NOTE_MAX, required=not agrees)
    assignment = _assignment(request, task)
    assignment.agrees, assignment.comment = agrees, text
    assignment.commented_at, assignment.commented_by_id = clock.now(), actor.id
    _complete(session, task, actor, data={"agrees": agrees}, opinion=text or "同意")
    return assignment


def approve(session: Session, request: InfoRequest, actor, *, approved, reason=None) -> CaseTask:
    """审定答复书 (规程 art. 11): the head approves it (the 答复书 is then numbered and issued) or sends
    it back to be redrafted, with the reason."""
    task = open_task(session, request, actor, ("approve",))
    if not isinstance(approved, bool):
        raise InvalidInput("请选择是否同意答复书。", field="approved")
    reason = _text(reason, "退回理由", "reason", NOTE_MAX, required=not approved)
    if approved:
        request.answered_at = clock.now()
    return _complete(session, task, actor, data={"approved": approved}, approved=approved,
                     reason=None if approved else reason, opinion="同意" if approved else None)


def deliver(session: Session, request: InfoRequest, actor, *, method, note=None) -> CaseTask:
    """送达 (规程 arts. 12–13): in the way the applicant asked where possible; the 送达回证 records it."""
    task = open_task(session, request, actor, ("deliver",))
    if method not in DELIVERIES:
        raise InvalidInput("请选择送达方式。", field="method")
    note = _text(note, "送达说明", "note", NOTE_MAX, required=False)
    request.delivered_at, request.delivered_by = clock.now(), DELIVERIES[method]
    return _complete(session, task, actor, data={"delivered_by": method}, opinion=note or f"已{DELIVERIES[method]}送达")


def answer_summary(request: InfoRequest) -> str | None:
    if request.answer_type is None:
        return None
    kind = ANSWER_TYPES[request.answer_type]
    text = f"{kind.label}（{kind.cite}）"
    if request.ground:
        g = WITHHOLD_GROUNDS[request.ground]
        text += f"；理由：{g.label}（{LAW}{g.article}）"
    return text
