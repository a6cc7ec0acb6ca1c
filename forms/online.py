"""网上申请 (外网受理、内网办理、外网反馈, seed 004 §1; seed 002 §7.3 rules 8 and 9).

An applicant needs no account. Submitting an application online is receiving it (行政许可法 art.
29: an application may be made by 数据电文; art. 32: the office then has five working days to ask,
once, for everything missing, or the application counts as accepted from receipt): the case starts
at once with channel 网上, its receipt is the moment of submission, and the department's window post
works it as 预审 — 受理, 补正 or 不予受理 — on the case's first step, whose time limit the rules
watch like every other step's.

The applicant gets a 申请编号 and a private 查询码 (random, kept only as a SHA-256 digest, compared
in constant time). The 办件编号 or 申请编号 with the certificate number shows the case's progress (结果反馈);
the 申请编号 with the 查询码 opens its documents and takes the materials a 补正 asks for. Every
notice the applicant is owed online (补正材料告知书, 受理通知书, 不予受理决定书, the decision) is
produced when the transition happens, so the applicant can download it at once."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import clock, listeners
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.models import Case, CasePause, Item, SeriesCounter
from engine.service import Applicant, public
from engine.service.common import open_pause, settings_of, specs_for
from engine.service.intake import WEB_APPLICANT, current_definition, start_case
from engine.service.operations import supplied_online
from engine.validation import half_width

from . import documents, materials
from .models import CaseDocument, CaseMaterial, CaseMaterialVersion
from .registry import Form, get_form, validate_step_data

#: 查询码: 10 characters from 32 that cannot be confused (no 0/O, 1/I/L): 50 bits of chance
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
APPLICATION_NUMBER = re.compile(r"WS\d{6}\d{8}\d{5}")
CASE_NUMBER = re.compile(r"\d{6}\d{8}\d{5}")
MAX_FILES = 20  # files of one submission
NOT_FOUND = "申请编号或查询码不正确，请核对后重新输入（查询码区分字母和数字，不区分大小写）。"

# the documents an online applicant receives, by what happened (the window hands paper over instead)
# (the 补正材料告知书 is produced for every 补正, whatever the channel: forms/plugin.py)
ON_TRANSITION = {"reject": "rejection_decision"}
DECISIONS = ("grant_decision", "registration_notice", "denial_decision")


def new_query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value) -> str:
    """As typed: full-width characters, spaces, dashes and lower case are forgiven."""
    if not isinstance(value, str):
        return ""
    return re.sub(r"[\s\-]", "", half_width(value)).upper()[:40]


def code_digest(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("ascii", "ignore")).hexdigest()


def normalize_number(value) -> str:
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s", "", half_width(value)).upper()[:40]


def next_application_number(session: Session, region_code: str) -> str:
    """申请编号: WS + division code + date + a daily serial, e.g. WS5309302026112800003."""
    today = clock.today()
    table = SeriesCounter.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(series=f"web{today:%m%d}", year=today.year, last=1).on_conflict_do_update(
        index_elements=[table.c.series, table.c.year], set_={"last": table.c.last + 1})
    serial = session.execute(stmt.returning(table.c.last)).scalar_one()
    return f"WS{region_code[:6]}{today:%Y%m%d}{serial:05d}"


# --- what the applicant fills in -------------------------------------------------------------------

@dataclass
class ApplicationForm:
    """The item's online application: the form of its first step and the fields that step writes."""

    item: Item
    form: Form | None
    fields: list[str]

    @property
    def materials(self) -> list[dict]:
        return list(self.item.current_version.materials or [])


def public_item_or_404(session: Session, code: str) -> Item:
    item = public.public_item(session, code)
    if item is None:
        raise NotFound("事项不存在或未公开。")
    return item


#: powers the office exercises on its own initiative (依职权): no one applies for a penalty, a
#: coercive measure, a levy or an inspection
EX_OFFICIO = {"02": "行政处罚", "03": "行政强制", "04": "行政征收", "06": "行政检查"}


def application_form(session: Session, item: Item) -> ApplicationForm:
    """The first step's form (the step of stage 受理, else the first user step) and what it writes."""
    version = item.current_version
    if version.category in EX_OFFICIO:
        raise InvalidState(f"“{version.name}”属于{EX_OFFICIO[version.category]}，由行政机关依职权实施，不接受网上申请。")
    definition = current_definition(session, item)
    spec, _ = specs_for(session, definition.id)
    steps = [t for t in spec.task_specs.values() if getattr(t, "step", None) is not None]
    first = next((t for t in steps if t.step.stage == "accept"), steps[0] if steps else None)
    if first is None or not first.step.form_key:
        return ApplicationForm(item, None, [])
    form = get_form(session, first.step.form_key)
    writable = [name for name, access in form.access(first.step.fields).items() if access == "write"]
    return ApplicationForm(item, form, [f["name"] for f in form.fields if f["name"] in writable])


def _check(applicant: Applicant, app_form: ApplicationForm, data: dict, files: dict[int, tuple[str, BinaryIO]]) -> None:
    errors = {f"applicant.{name}": message for name, message in applicant.problems().items()}
    if app_form.form is not None and app_form.fields:
        access = {name: ("write" if name in app_form.fields else "hidden") for name in app_form.form.names}
        try:
            validate_step_data(app_form.form, access, {}, data)
        except InvalidInput as exc:
            errors.update(exc.details.get("errors") or {exc.details.get("field") or "form": exc.message})
    unknown = set(files) - set(range(len(app_form.materials)))
    if unknown or len(files) > MAX_FILES:
        errors["materials"] = "上传的材料不在本事项的材料清单中。"
    if errors:
        raise InvalidInput("；".join(errors.values()), field=next(iter(errors)), errors=errors)


def submit(session: Session, item_code: str, applicant: Applicant, data: dict,
           files: dict[int, tuple[str, BinaryIO]], upload_dir: Path) -> tuple[Case, str]:
    """网上申请: check everything, receive the case (channel 网上), store the uploaded materials
    (``files`` by their index in the item's list, from 0) and give the 申请编号 and the 查询码 (returned once,
    never stored). A required material not uploaded is left for 预审 to ask for."""
    item = public_item_or_404(session, item_code)
    app_form = application_form(session, item)
    data = {k: v for k, v in (data or {}).items() if k in app_form.fields}
    _check(applicant, app_form, data, files)
    case = start_case(session, item.code, applicant, WEB_APPLICANT, channel="web", data=data)
    code = new_query_code()
    case.application_number = next_application_number(session, item.department.region.code)
    case.query_code_hash = code_digest(code)
    rows = dict(enumerate(sorted(materials.init_materials(session, case), key=lambda row: row.position)))
    problems = {}
    for position, (name, stream) in sorted(files.items()):
        try:
            materials.attach(session, rows[position].id, name, stream, WEB_APPLICANT, upload_dir)
        except InvalidInput as exc:
            problems[f"material-{position}"] = f"{rows[position].name}：{exc.message}"
    if problems:  # the caller's transaction rolls the whole application back
        raise InvalidInput("；".join(problems.values()), field=next(iter(problems)), errors=problems)
    session.flush()
    return case, code


# --- the applicant's access ------------------------------------------------------------------------

def find_by_code(session: Session, application_number, query_code) -> Case:
    """The application these two open; one message for every failure (no number is confirmed)."""
    number, code = normalize_number(application_number), normalize_code(query_code)
    case = None
    if APPLICATION_NUMBER.fullmatch(number) and len(code) == CODE_LENGTH:
        case = session.scalars(select(Case).where(Case.application_number == number)).first()
    expected = case.query_code_hash if case is not None and case.query_code_hash else "0" * 64
    if not hmac.compare_digest(expected, code_digest(code)) or case is None:
        raise NotFound(NOT_FOUND)
    return case


def find_for_progress(session: Session, number, cert_number) -> Case:
    """结果反馈: a case by its 办件编号 or 申请编号 and the applicant's certificate number; one
    message for every failure."""
    number, cert = normalize_number(number), normalize_number(cert_number)
    message = "没有找到与该编号和证件号码相符的办件，请核对后重新输入。"
    if not cert or not (APPLICATION_NUMBER.fullmatch(number) or CASE_NUMBER.fullmatch(number)):
        raise NotFound(message)
    column = Case.application_number if number.startswith("WS") else Case.number
    case = session.scalars(select(Case).where(column == number)).first()
    if case is None or not hmac.compare_digest(case.cert_number.upper().encode(), cert.encode()):
        raise NotFound(message)
    if case.item_id not in {i.id for i in session.scalars(public.public_items_query(session)).unique()}:
        raise NotFound(message)  # internal flows (督办) are no one's application
    return case


def open_correction(session: Session, case: Case) -> CasePause | None:
    pause = open_pause(session, case)
    return pause if pause is not None and pause.kind == "correction" else None


def supply(session: Session, case: Case, files: dict[int, tuple[str, BinaryIO]], upload_dir: Path,
           note: str | None = None) -> list[CaseMaterial]:
    """网上补正: the applicant uploads what the 补正 asks for (by material id); when nothing the
    notice lists is missing any more, the 补正 ends and 预审 goes on."""
    if case.channel != "web" or not case.is_open:
        raise InvalidState("此申请已结束，不能再上传材料。")
    pause = open_correction(session, case)
    if pause is None:
        raise InvalidState("此申请目前不需要补正材料。")
    rows = {row.id: row for row in materials.materials_of(session, case.id)}
    if not files:
        raise InvalidInput("请选择要上传的补正材料。", field="files")
    if set(files) - set(rows) or len(files) > MAX_FILES:
        raise InvalidInput("上传的材料不属于此申请。", field="files")
    problems = {}
    for material_id, (name, stream) in files.items():
        try:
            materials.attach(session, material_id, name, stream, WEB_APPLICANT, upload_dir)
        except InvalidInput as exc:
            problems[f"material-{material_id}"] = f"{rows[material_id].name}：{exc.message}"
    if problems:
        raise InvalidInput("；".join(problems.values()), field=next(iter(problems)), errors=problems)
    still = still_missing(session, case, pause)
    if not still:
        supplied_online(session, case.id, WEB_APPLICANT, note or "申请人已在网上提交补正材料。")
    return [rows[i] for i in files]


def still_missing(session: Session, case: Case, pause: CasePause) -> list[str]:
    """The materials the 补正 names that have had no file since it was asked for (all of them
    while nothing has been sent; a name outside the checklist is answered by any file sent)."""
    rows = materials.materials_of(session, case.id)
    fresh = set(session.scalars(
        select(CaseMaterial.name).join(CaseMaterialVersion, CaseMaterialVersion.material_id == CaseMaterial.id)
        .where(CaseMaterial.case_id == case.id, CaseMaterialVersion.uploaded_at >= pause.started_at)))
    named = list(pause.missing_materials or [])
    if not fresh:
        return named
    listed = {row.name for row in rows}
    return [name for name in named if name in listed and name not in fresh]


def documents_for_applicant(session: Session, case: Case) -> list[CaseDocument]:
    """The documents the applicant receives (not the internal 全案卷宗 or 送达回证)."""
    return [d for d in documents.documents_of(session, case.id) if d.kind not in ("case_file", "delivery_receipt")]


# --- notices produced for the online applicant ------------------------------------------------------

def _documents_dir(session: Session) -> Path:
    return Path(settings_of(session).instance_dir) / "documents"


def notices_for_online_applicant(transition: listeners.Transition) -> None:
    """An online applicant cannot collect paper at the window: what the window would hand over is
    produced in the same transaction and shown with the 查询码."""
    case = transition.case
    if case.channel != "web" or not case.application_number:
        return
    kinds = []
    if transition.action in ON_TRANSITION:
        kinds.append(ON_TRANSITION[transition.action])
    elif transition.action == "complete" and transition.before.get("state") == "received" \
            and case.state in ("accepted", "finished") and case.case_type != "instant":
        kinds.append("acceptance_notice")
    if transition.action in ("complete", "finish") and case.state == "finished":
        result = case.result or ""
        kinds.append("denial_decision" if result.startswith("不予") else
                     "registration_notice" if "登记" in result else "grant_decision")
    issued = {d.kind for d in documents.documents_of(transition.session, case.id)}
    for kind in kinds:
        if kind in documents.ONCE and kind in issued:
            continue
        if kind in DECISIONS and not documents.producing_steps(transition.session, case, kind):
            continue  # the flow chart names no such decision
        try:
            documents.produce(transition.session, case, kind, transition.actor, _documents_dir(transition.session))
        except InvalidState:
            if kind not in DECISIONS:
                raise  # what the applicant is owed must not be silently missing


def install() -> None:
    listeners.register(notices_for_online_applicant)
