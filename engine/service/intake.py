"""Intake (收件): start a case of an item, and 即办件 handled on the spot in one command."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import clock, legaltime, runtime
from ..calendar import load_calendar
from ..certificates import CERT_TYPES, check_certificate
from ..errors import InvalidInput, InvalidState, NotFound
from ..models import Case, CaseCounter, CaseTask, Item, ProcessDefinition, SeriesCounter, User
from ..models.cases import APPLICANT_TYPES, CHANNELS
from ..validation import half_width, sentences, unwanted_character
from . import authority, common
from .tasks import complete_task

# --- what a person types: one set of rules for every edge (the window, the API, the CLI) ---------

_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_PHONES = (
    _MOBILE,
    re.compile(r"0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?", re.ASCII),  # 区号-号码[-分机]
    re.compile(r"[2-9]\d{6,7}", re.ASCII),  # 本地号码
    re.compile(r"[48]00-?\d{3}-?\d{4}", re.ASCII),  # 400 / 800
    re.compile(r"1\d{4}|9[56]\d{3,6}", re.ASCII),  # 12345, 12315, 95xxx, 96xxx
)


def control_problem(text: str, multiline: bool = False) -> str | None:
    """What is wrong when the text holds a character no one types (engine.validation's one rule)."""
    found = unwanted_character(text, multiline)
    if found is None:
        return None
    return f"第 {found[0]} 个字符是不可见的控制字符（U+{ord(found[1]):04X}），请删除后重新填写"


def check_text(value, label: str, field: str, max_length: int, *, required: bool = False,
               multiline: bool = False) -> str | None:
    """The text stripped, or None when blank; refused (naming the field) when it is not text,
    is too long for its column, or holds control characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{label}应为文字。", field=field)
    value = value.strip()
    if not value:
        if required:
            raise InvalidInput(f"{label}不能为空。", field=field)
        return None
    if len(value) > max_length:
        raise InvalidInput(f"{label}不能超过 {max_length} 个字（现有 {len(value)} 个）。", field=field)
    problem = control_problem(value, multiline)
    if problem:
        raise InvalidInput(f"{label}：{problem}。", field=field)
    return value


def normalize_phone(value: str) -> str:
    """The number as it is kept: half-width, without spaces, a mobile's +86 prefix dropped."""
    n = re.sub(r"[\s()（）]", "", half_width(value)).replace("—", "-").replace("－", "-")
    m = re.fullmatch(r"(?:\+?86-?)(1\d{10})", n)
    return m.group(1) if m else n


def personal_phone_problem(value: str) -> str | None:
    """As :func:`phone_problem`, for a person's own number to be called or texted back on: a public
    service number (12345, 96128 …) reaches an office, not the person."""
    problem = phone_problem(value)
    if problem is None and re.fullmatch(r"1\d{4}|9[56]\d{3,6}|[48]00-?\d{3}-?\d{4}", value):
        return "这是公共服务号码，请填写您本人的手机号码或固定电话"
    return problem


def phone_problem(value: str) -> str | None:
    """None when the (normalized) number is a mobile, a landline with or without its area code and
    extension, a 400/800 number or a public service number; else what a valid one looks like."""
    if any(p.fullmatch(value) for p in _PHONES):
        return None
    if value.startswith("1") and value.isdigit():
        return "手机号码应为 11 位数字，以 13–19 开头"
    return "应为 11 位手机号码，或“区号-号码”形式的固定电话（如 0883-6120315）"


class WebApplicant:
    """Who acts when an applicant applies or supplies materials online (网上申请): no account, no
    post, no role; the case's log names them "申请人（网上）"."""

    id = None
    name = "申请人（网上）"
    roles: tuple = ()
    posts: tuple = ()
    is_authenticated = False

    def has_role(self, role: str) -> bool:
        return False

    def holds(self, post_code, department_id) -> bool:
        return False


WEB_APPLICANT = WebApplicant()


@dataclass
class Applicant:
    """申请人 (or 当事人 in a penalty case)."""

    name: str
    cert_type: str  # 111 居民身份证, 001 统一社会信用代码, 414 护照, 516 港澳居民来往内地通行证 …
    cert_number: str
    type: str = "1"
    contact_name: str | None = None
    phone: str | None = None
    address: str | None = None
    agent_name: str | None = None
    agent_cert_type: str | None = None
    agent_cert_number: str | None = None

    # field -> (label, column length): the lengths of the case table's columns
    TEXTS = {"name": ("申请人名称", 200), "contact_name": ("联系人", 60), "address": ("地址", 300),
             "agent_name": ("代理人", 60)}

    def problems(self) -> dict[str, str]:
        """Every problem, by the field it belongs to (the form shows each beside its field).
        Normalizes in place what passes: text stripped, certificate numbers and phones half-width."""
        found: dict[str, str] = {}

        def attempt(field: str, check):
            try:
                check()
            except InvalidInput as exc:
                found.setdefault(field, exc.message)

        for name, (label, length) in self.TEXTS.items():
            attempt(name, lambda n=name, lb=label, ln=length: setattr(
                self, n, check_text(getattr(self, n), lb, n, ln, required=n == "name")))
        if not isinstance(self.type, str) or self.type not in APPLICANT_TYPES:
            found["type"] = "请选择申请人类型。"
        attempt("cert_number", lambda: self._certificate("cert_type", "cert_number", "申请人证件号码"))
        attempt("phone", self._phone)
        if self.agent_name or self.agent_cert_number:
            if not self.agent_name:
                found.setdefault("agent_name", "填写了代理人证件号码，请同时填写代理人姓名。")
            self.agent_cert_type = self.agent_cert_type or "111"
            attempt("agent_cert_number", lambda: self._certificate("agent_cert_type", "agent_cert_number",
                                                                   "代理人证件号码"))
        return found

    def _certificate(self, type_attr: str, number_attr: str, label: str) -> None:
        cert_type, number = getattr(self, type_attr), getattr(self, number_attr)
        if not isinstance(cert_type, str) or cert_type not in CERT_TYPES:
            raise InvalidInput(f"{label}：请选择证件类型。", field=number_attr)
        number = check_text(number, label, number_attr, 40, required=True)
        number = re.sub(r"\s", "", half_width(number)).upper()
        try:
            check_certificate(cert_type, number, label)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=number_attr) from None
        setattr(self, number_attr, number)

    def _phone(self) -> None:
        phone = check_text(self.phone, "联系电话", "phone", 40)
        if phone is not None:
            phone = normalize_phone(phone)
            problem = phone_problem(phone)
            if problem:
                raise InvalidInput(f"联系电话：{problem}。", field="phone")
        self.phone = phone

    def validate(self) -> None:
        """Refuse the applicant with every problem named by field (the first one in the message)."""
        found = self.problems()
        if found:
            raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)


def next_case_number(session: Session, region_code: str) -> str:
    today = clock.today()
    table = CaseCounter.__table__
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(day=today, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
    serial = session.execute(stmt.returning(table.c.last)).scalar_one()
    return f"{region_code[:6]}{today:%Y%m%d}{serial:05d}"


def next_in_series(session: Session, series: str, year: int) -> int:
    """The next serial of a numbered series (one row per series and year, incremented in the
    caller's transaction: concurrent writers get distinct serials)."""
    table = SeriesCounter.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(series=series, year=year, last=1).on_conflict_do_update(
        index_elements=[table.c.series, table.c.year], set_={"last": table.c.last + 1})
    return session.execute(stmt.returning(table.c.last)).scalar_one()


def next_internal_number(session: Session, region_code: str) -> str:
    """内部编号 of an internal flow (督办, 法制审核): its own yearly series, e.g. NB5309302026000012."""
    year = clock.today().year
    return f"NB{region_code[:6]}{year}{next_in_series(session, 'internal', year):06d}"


def current_definition(session: Session, item: Item) -> ProcessDefinition:
    version = item.current_version
    if version is None or not version.process_key:
        raise InvalidState(f"事项“{item.code}”还没有发布的流程图，不能收件。")
    definition = session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == version.process_key)
                                 .order_by(ProcessDefinition.version.desc())).first()
    if definition is None:
        raise InvalidState(f"事项“{version.name}”的流程图 {version.process_key} 尚未部署。")
    return definition


def start_case(session: Session, item_code: str, applicant: Applicant, actor: User, *, subject: str | None = None,
               channel: str = "window", data: dict | None = None, case_type: str | None = None,
               validate_applicant: bool = True) -> Case:
    """收件: register an application and run its flow to the first step. (``validate_applicant``
    False: a caller that checked who is asking its own way, as 在线解答 checks an asker's contact.)"""
    item = session.scalars(select(Item).where(Item.code == item_code)).first()
    if item is None:
        raise NotFound(f"事项编码 {item_code} 不存在。")
    if item.status != "active":
        raise InvalidState(f"事项“{item.current_version.name if item.current_version else item_code}”已暂停或取消，不能收件。")
    if not isinstance(channel, str) or channel not in CHANNELS:
        raise InvalidInput(f"申请渠道 {channel} 无效。", field="channel")
    if validate_applicant:
        applicant.validate()
    subject = check_text(subject, "办件名称", "subject", 300)
    version = item.current_version
    definition = current_definition(session, item)
    now = clock.now()
    region = item.department.region.code
    internal = authority.flow_kind(session, definition.id).internal
    case = Case(
        number=next_internal_number(session, region) if internal else next_case_number(session, region),
        item_id=item.id, item_version_id=version.id,
        definition_id=definition.id, department_id=item.department_id, case_type=case_type or version.case_type,
        subject=subject or f"{applicant.name}申请{version.name}"[:300], applicant_type=applicant.type,
        applicant_name=applicant.name.strip(), cert_type=applicant.cert_type, cert_number=applicant.cert_number.strip().upper(),
        contact_name=applicant.contact_name, contact_phone=applicant.phone, address=applicant.address,
        agent_name=applicant.agent_name, agent_cert_type=applicant.agent_cert_type,
        agent_cert_number=applicant.agent_cert_number, channel=channel, state="received", received_at=now,
        received_by_id=actor.id, limit_days=version.promised_limit, limit_unit=version.limit_unit,
        workflow_state="", serializer_version=runtime.SERIALIZER_VERSION, data=dict(data or {}),
    )
    if version.clock_start == "receipt":  # 政府信息公开条例 art. 33: the period runs from receipt
        legaltime.start_clock(case, clock.local_date(now), "receipt")
    session.add(case)
    session.flush()
    calendar = load_calendar(session)
    workflow = runtime.new_workflow(common.specs_for(session, definition.id), common.script_engine(session, calendar))
    workflow.data.update({"case_number": case.number, "item_code": item.code, **(data or {})})
    workflow.get_tasks(spec_name="Start")[0].data.update(workflow.data)
    runtime.run_engine(workflow, common.settings_of(session).max_loops)
    loaded = common.Loaded(session, case, workflow, calendar, [])
    common.remember_after_commit(session, case, workflow)
    loaded.snapshot = {}
    new_tasks = common.sync(loaded, actor, now)
    if case.clock_start is not None:
        legaltime.refresh_case(session, calendar, case)
    common.finish_if_done(loaded, actor, now)
    common.emit(loaded, actor, "receive", detail={"item": item.code, "item_version": version.version,
                                                  "definition": f"{definition.process_key} v{definition.version}",
                                                  "channel": channel}, new_tasks=new_tasks, now=now)
    return case


def handle_on_the_spot(session: Session, item_code: str, applicant: Applicant, actor: User, *,
                       data: dict | None = None, opinion: str | None = None, subject: str | None = None) -> Case:
    """即办件: receive, handle every step and finish in one command. Every step must be one the
    window clerk may do; otherwise nothing is kept and the clerk is told to accept it as 承诺件."""
    case = start_case(session, item_code, applicant, actor, subject=subject, data=data, case_type="instant")
    return finish_on_the_spot(session, case, actor, lambda task: complete_task(
        session, task.id, actor, data=data, opinion=opinion or "符合条件，当场办结。", approved=True))


def finish_on_the_spot(session: Session, case: Case, actor: User, complete) -> Case:
    """Work the case's steps with ``complete(task)`` until it ends; every step must be one the
    actor may do (the caller's transaction rolls back otherwise)."""
    for _ in range(100):
        if case.state == "finished":
            return case
        ready = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")
                                .order_by(CaseTask.id))
        workable = [t for t in ready if common.can_work(actor, t)]
        if not workable:
            steps = "、".join(t.step_name for t in session.scalars(
                select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready"))) or "（无）"
            raise InvalidState(f"此办件还需要其他岗位办理（{steps}），不能作为即办件当场办结，请按承诺件受理。")
        complete(workable[0])
    raise InvalidState("即办件的环节过多，无法当场办结。")
