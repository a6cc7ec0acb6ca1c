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

import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, listeners, querycode
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound
from engine.models import Case, CasePause, Item
from engine.querycode import CODE_LENGTH, normalize_number
from engine.service import Applicant, authority, public
from engine.service.common import open_pause, specs_for
from engine.service.intake import WEB_APPLICANT, current_definition, next_in_series, start_case
from engine.service.operations import supplied_online
from engine.validation import sentences

from . import documents, materials
from .intake import DUPLICATE_WINDOW
from .models import CaseDocument, CaseMaterial, CaseMaterialVersion
from .plugin import documents_dir
from .registry import Form, get_form, validate_step_data

APPLICATION_NUMBER = re.compile(r"WS\d{6}\d{8}\d{5}")
CASE_NUMBER = re.compile(r"\d{6}\d{8}\d{5}")
MAX_FILES = 20  # files of one submission
NOT_FOUND = "申请编号或查询码不正确，请核对后重新输入（查询码不区分大小写）。"
CASE_NUMBER_GIVEN = ("这是办件编号。打开网上申请请输入以 WS 开头的申请编号和查询码；"
                     "只查询办理进度的，请到“结果反馈”输入办件编号和证件号码。")

# (the 补正材料告知书 and the 不予受理决定书 are produced for every channel: forms/plugin.py NOTICE_ON)
DECISIONS = ("grant_decision", "registration_notice", "denial_decision")


def next_application_number(session: Session, region_code: str) -> str:
    """申请编号: WS + division code + date + a daily serial, e.g. WS5309302026112800003."""
    today = clock.today()
    return f"WS{region_code[:6]}{today:%Y%m%d}{next_in_series(session, f'web{today:%m%d}', today.year):05d}"


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


# form fields that repeat the applicant block, by type: left empty, they are filled from it
REPEATS = {"uscc": lambda a: a.cert_number if a.cert_type == "001" else None, "phone": lambda a: a.phone}


def _from_applicant(app_form: ApplicationForm, applicant: Applicant, data: dict) -> dict:
    """Nobody types the same credit code or phone twice: an empty field of those types takes the
    applicant's (as typed; the form's own check then judges it)."""
    if app_form.form is None:
        return data
    filled = dict(data)
    for spec in app_form.form.fields:
        if spec["name"] in app_form.fields and spec["type"] in REPEATS and not str(filled.get(spec["name"]) or "").strip():
            value = REPEATS[spec["type"]](applicant)
            if isinstance(value, str) and value.strip():
                filled[spec["name"]] = value.strip()
    return filled


def _check(applicant: Applicant, app_form: ApplicationForm, data: dict, files: dict[int, tuple[str, BinaryIO]]) -> dict:
    """Every problem at once, by field; else the form's values as the form keeps them (numbers as
    numbers, full-width digits made half-width)."""
    errors = {f"applicant.{name}": message for name, message in applicant.problems().items()}
    clean = {}
    if app_form.form is not None and app_form.fields:
        access = {name: ("write" if name in app_form.fields else "hidden") for name in app_form.form.names}
        try:
            clean = validate_step_data(app_form.form, access, {}, data)
        except InvalidInput as exc:
            errors.update(exc.details.get("errors") or {exc.details.get("field") or "form": exc.message})
    unknown = set(files) - set(range(len(app_form.materials)))
    if unknown or len(files) > MAX_FILES:
        errors["materials"] = "上传的材料不在本事项的材料清单中。"
    if errors:
        raise InvalidInput(sentences(errors.values()), field=next(iter(errors)), errors=errors)
    return clean


DUPLICATE = ("同一证件号码在 30 分钟内已在网上申请过此事项。如果只是重复提交，请用已经得到的申请编号和查询码查看；"
             "如确为另一份申请，请勾选“确认这是另一份申请”后重新提交（已选择的文件需要重新选择）。")


def _require_not_duplicate(session: Session, item: Item, applicant: Applicant) -> None:
    """The back button restores a submitted form with everything typed: the applicant confirms
    before a second application of the same item is made. The message names no number, so typing
    someone's certificate number confirms nothing but a recent submission."""
    since = clock.now() - DUPLICATE_WINDOW
    earlier = session.scalars(select(Case.id).where(
        Case.item_id == item.id, Case.channel == "web", Case.cert_number == applicant.cert_number,
        Case.received_at >= since)).first()
    if earlier is not None:
        raise Conflict(DUPLICATE, field="confirm_duplicate", errors={"confirm_duplicate": DUPLICATE})


def submit(session: Session, item_code: str, applicant: Applicant, data: dict,
           files: dict[int, tuple[str, BinaryIO]], upload_dir: Path, *, confirmed: bool = True) -> tuple[Case, str]:
    """网上申请: check everything, receive the case (channel 网上), store the uploaded materials
    (``files`` by their index in the item's list, from 0) and give the 申请编号 and the 查询码 (returned once,
    never stored). A required material not uploaded is left for 预审 to ask for."""
    item = public_item_or_404(session, item_code)
    app_form = application_form(session, item)
    data = _from_applicant(app_form, applicant, {k: v for k, v in (data or {}).items() if k in app_form.fields})
    data = _check(applicant, app_form, data, files)
    if not confirmed:
        _require_not_duplicate(session, item, applicant)
    case = start_case(session, item.code, applicant, WEB_APPLICANT, channel="web", data=data)
    code = querycode.new_code()
    case.application_number = next_application_number(session, item.department.region.code)
    case.query_code_hash = querycode.digest(code)
    rows = dict(enumerate(sorted(materials.init_materials(session, case), key=lambda row: row.position)))
    problems = {}
    for position, (name, stream) in sorted(files.items()):
        try:
            materials.attach(session, rows[position].id, name, stream, WEB_APPLICANT, upload_dir)
        except InvalidInput as exc:
            problems[f"material-{position}"] = f"{rows[position].name}：{exc.message}"
    if problems:  # the caller's transaction rolls the whole application back
        raise InvalidInput(sentences(problems.values()), field=next(iter(problems)), errors=problems)
    session.flush()
    return case, code


# --- the applicant's access ------------------------------------------------------------------------

def find_by_code(session: Session, application_number, query_code) -> Case:
    """The application these two open; one message for every failure (no number is confirmed)."""
    number, code = normalize_number(application_number), querycode.normalize(query_code)
    if not number or not code:
        raise NotFound("请输入申请编号和查询码。")
    if CASE_NUMBER.fullmatch(number):
        raise NotFound(CASE_NUMBER_GIVEN)  # says only what kind of number it is, never whether it exists
    case = None
    if APPLICATION_NUMBER.fullmatch(number) and len(code) == CODE_LENGTH:
        case = session.scalars(select(Case).where(Case.application_number == number)).first()
    expected = case.query_code_hash if case is not None and case.query_code_hash else "0" * 64
    if not hmac.compare_digest(expected, querycode.digest(code)) or case is None:
        raise NotFound(NOT_FOUND)
    return case


def find_for_progress(session: Session, number, cert_number) -> Case:
    """结果反馈: a case by its 办件编号 or 申请编号 and the applicant's certificate number; one
    message for every failure."""
    number, cert = normalize_number(number), normalize_number(cert_number)
    message = "没有找到与该编号和证件号码相符的办件，请核对后重新输入。"
    if not number or not cert:
        raise NotFound("请输入办件编号（或申请编号）和申请人证件号码。")
    if not (APPLICATION_NUMBER.fullmatch(number) or CASE_NUMBER.fullmatch(number)):
        raise NotFound(message)
    column = Case.application_number if number.startswith("WS") else Case.number
    case = session.scalars(select(Case).where(column == number)).first()
    if case is None or not hmac.compare_digest(case.cert_number.upper().encode(), cert.encode()):
        raise NotFound(message)
    if authority.is_internal(session, case):
        raise NotFound(message)  # internal flows (督办) are no one's application
    return case


def open_correction(session: Session, case: Case) -> CasePause | None:
    pause = open_pause(session, case)
    return pause if pause is not None and pause.kind == "correction" else None


@dataclass(frozen=True)
class Slot:
    """One thing a 补正 asks for, as the applicant answers it: a material of the checklist, or a
    line the window wrote itself (营业执照复印件请加盖公章), answered with a file of its own."""

    key: str  # the upload's input name
    name: str
    material_id: int | None


def correction_slots(session: Session, case: Case, pause: CasePause) -> list[Slot]:
    rows = {row.name: row for row in materials.materials_of(session, case.id)}
    slots = []
    for index, name in enumerate(pause.missing_materials or []):
        row = rows.get(name)
        slots.append(Slot(f"material-{row.id}", name, row.id) if row is not None and row.position <= _listed(case)
                      else Slot(f"extra-{index}", name, row.id if row is not None else None))
    return slots


def _listed(case: Case) -> int:
    return len(case.item_version.materials or [])


def supply(session: Session, case: Case, files: dict[str, tuple[str, BinaryIO]], upload_dir: Path,
           note: str | None = None) -> list[CaseMaterial]:
    """网上补正: the applicant uploads a file for what the 补正 asks (``files`` by the slot's key);
    a line outside the checklist gets a material of its own. When nothing the notice lists is
    missing any more, the 补正 ends and 预审 goes on."""
    if case.channel != "web" or not case.is_open:
        raise InvalidState("此申请已结束，不能再上传材料。")
    pause = open_correction(session, case)
    if pause is None:
        raise InvalidState("此申请目前不需要补正材料。")
    slots = {slot.key: slot for slot in correction_slots(session, case, pause)}
    if not files:
        raise InvalidInput("请选择要上传的补正材料。", field="files")
    if set(files) - set(slots) or len(files) > MAX_FILES:
        raise InvalidInput("上传的材料不属于此次补正。", field="files")
    problems, done = {}, []
    for key, (file_name, stream) in files.items():
        slot = slots[key]
        material_id = slot.material_id or _extra_material(session, case, slot.name).id
        try:
            done.append(materials.attach(session, material_id, file_name, stream, WEB_APPLICANT, upload_dir))
        except InvalidInput as exc:
            problems[key] = f"{slot.name}：{exc.message}"
    if problems:
        raise InvalidInput(sentences(problems.values()), field=next(iter(problems)), errors=problems)
    if not still_missing(session, case, pause):
        supplied_online(session, case.id, WEB_APPLICANT, note or "申请人已在网上提交补正材料。")
    return done


def _extra_material(session: Session, case: Case, name: str) -> CaseMaterial:
    """A material for a 补正 line outside the checklist, after the listed ones."""
    rows = materials.materials_of(session, case.id)
    row = next((r for r in rows if r.name == name[:200]), None)
    if row is None:
        row = CaseMaterial(case_id=case.id, position=max((r.position for r in rows), default=0) + 1, name=name[:200],
                           required=False, original="补正材料", count=1)
        session.add(row)
        session.flush()
    return row


def still_missing(session: Session, case: Case, pause: CasePause) -> list[str]:
    """What the 补正 names that has had no file since it was asked for."""
    fresh = set(session.scalars(
        select(CaseMaterial.name).join(CaseMaterialVersion, CaseMaterialVersion.material_id == CaseMaterial.id)
        .where(CaseMaterial.case_id == case.id, CaseMaterialVersion.uploaded_at >= pause.started_at)))
    return [name for name in (pause.missing_materials or []) if name[:200] not in fresh]


def documents_for_applicant(session: Session, case: Case) -> list[CaseDocument]:
    """The documents the applicant receives (not the internal 全案卷宗 or 送达回证, nor a letter to a
    third party); for a 政府信息公开申请 its 补正 and 延期 notices and the 答复书, never a licence's notices."""
    hidden = documents.NOT_FOR_APPLICANT | (documents.NOT_FOR_INFORMATION if documents.for_information(case) else set())
    return [d for d in documents.documents_of(session, case.id) if d.kind not in hidden]


# --- notices produced for the online applicant ------------------------------------------------------

def notices_for_online_applicant(transition: listeners.Transition) -> None:
    """An online applicant cannot collect paper at the window: what the window would hand over is
    produced in the same transaction and shown with the 查询码."""
    case = transition.case
    if case.channel != "web" or not case.application_number or documents.for_information(case):
        return  # a request for information gets the 条例's own documents (forms/plugin.py)
    kinds = []
    if transition.action == "complete" and transition.before.get("state") == "received" \
            and case.state in ("accepted", "finished") and case.case_type != "instant":
        kinds.append("acceptance_notice")
    if transition.action in ("complete", "finish") and case.state == "finished":
        kinds.append("denial_decision" if (case.result or "").startswith("不予") else "grant_decision")
    issued = {d.kind for d in documents.documents_of(transition.session, case.id)}
    for kind in (documents.effective_kind(transition.session, case, k) for k in kinds):
        if kind in documents.ONCE and kind in issued:
            continue
        if kind in DECISIONS and not documents.producing_steps(transition.session, case, kind):
            continue  # the flow chart names no such decision
        try:
            documents.produce(transition.session, case, kind, transition.actor, documents_dir(transition.session))
        except InvalidState:
            if kind not in DECISIONS:
                raise  # what the applicant is owed must not be silently missing


def install() -> None:
    listeners.register(notices_for_online_applicant)
