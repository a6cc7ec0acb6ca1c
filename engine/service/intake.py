"""Intake (收件): start a case of an item, and 即办件 handled on the spot in one command."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .. import clock, legaltime, runtime
from ..calendar import load_calendar
from ..certificates import check_certificate
from ..errors import InvalidInput, InvalidState, NotFound
from ..models import Case, CaseCounter, CaseTask, Item, ProcessDefinition, User
from ..models.cases import APPLICANT_TYPES, CHANNELS
from . import common
from .tasks import complete_task


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

    def validate(self) -> None:
        if not (self.name or "").strip():
            raise InvalidInput("申请人名称不能为空。", field="applicant_name")
        if self.type not in APPLICANT_TYPES:
            raise InvalidInput(f"申请人类型 {self.type} 无效。", field="applicant_type")
        check_certificate(self.cert_type, self.cert_number, "申请人证件号码")
        if self.agent_name and self.agent_cert_number:
            check_certificate(self.agent_cert_type or "111", self.agent_cert_number, "代理人证件号码")


def next_case_number(session: Session, region_code: str) -> str:
    today = clock.today()
    table = CaseCounter.__table__
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(day=today, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + 1})
    serial = session.execute(stmt.returning(table.c.last)).scalar_one()
    return f"{region_code[:6]}{today:%Y%m%d}{serial:05d}"


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
               channel: str = "window", data: dict | None = None, case_type: str | None = None) -> Case:
    """收件: register an application and run its flow to the first step."""
    item = session.scalars(select(Item).where(Item.code == item_code)).first()
    if item is None:
        raise NotFound(f"事项编码 {item_code} 不存在。")
    if item.status != "active":
        raise InvalidState(f"事项“{item.current_version.name if item.current_version else item_code}”已暂停或取消，不能收件。")
    if channel not in CHANNELS:
        raise InvalidInput(f"申请渠道 {channel} 无效。", field="channel")
    applicant.validate()
    version = item.current_version
    definition = current_definition(session, item)
    now = clock.now()
    case = Case(
        number=next_case_number(session, item.department.region.code), item_id=item.id, item_version_id=version.id,
        definition_id=definition.id, department_id=item.department_id, case_type=case_type or version.case_type,
        subject=subject or f"{applicant.name}申请{version.name}", applicant_type=applicant.type,
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
