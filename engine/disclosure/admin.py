"""What a body's disclosure office keeps by hand beside the flows: its 政府信息公开指南 (条例 art. 12),
the 行政复议 and 行政诉讼 about its disclosure work and the words and fee figure of its annual report
(条例 art. 50; 国办公开办函〔2021〕30号), and the attachments of an information being drafted for
publication.

Who may write is decided here, not only by the pages: the 指南, the appeals and the report texts by
the body's approve-post holder or its leader (the person who signs for the office); attachments by
whoever holds the publication's 拟稿 step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from .. import audit, clock
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from ..models import Department, InfoAppeal, InfoEntry, InfoGuide, InfoReportText, InfoRequest
from ..service.authority import is_staff, sees_all
from ..service.intake import check_text
from ..validation import INT_MAX, half_width, parse_id, parse_row_id, sentences
from .codes import APPEAL_KINDS, APPEAL_OUTCOMES
from .publish import open_task as publication_task
from .service import EMAIL, NUMBER, bodies

GUIDE_TEXT_MAX, REPORT_TEXT_MAX, NOTE_MAX = 20000, 20000, 1000
FIRST_YEAR = 2008  # the 条例 took effect on 2008-05-01; no body reports on a year before it
MAX_CHARGES = Decimal("10000000")  # 万元
MAX_ATTACHMENTS = 20
PHONE = re.compile(r"[0-9][0-9\- ]{4,30}(转[0-9]{1,6})?")


# --- who keeps a body's records -----------------------------------------------------------------------

def may_keep(actor, department_id: int | None) -> bool:
    """The body's approve-post holder or its leader (who signs the 指南 and the annual report)."""
    return (is_staff(actor) and department_id is not None and actor.department_id == department_id
            and (actor.holds("approve", department_id) or actor.has_role("leader")))


def kept_body(session: Session, actor, department_id) -> Department:
    """The body whose records the actor keeps; PermissionDenied for anybody else."""
    dept_id = parse_row_id(department_id)
    dept = session.get(Department, dept_id) if dept_id is not None and dept_id <= INT_MAX else None
    if dept is None or dept not in bodies(session):
        raise NotFound("没有这个政府信息公开机关。")
    if not may_keep(actor, dept.id):
        raise PermissionDenied(f"只有{dept.name}的负责人或审批岗位人员可以维护本机关的政府信息公开指南、复议诉讼和年度报告。")
    return dept


def _collect(found: dict, name: str, check):
    try:
        return check()
    except InvalidInput as exc:
        found.setdefault(name, exc.message)
        return None


def _raise(found: dict) -> None:
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)


def _date(value, label: str, name: str) -> date | None:
    if isinstance(value, date):
        return value
    text = half_width(value or "").strip() if isinstance(value, str) else ""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{label}格式应为 YYYY-MM-DD，如 {clock.today().isoformat()}。", field=name) from None


# --- 政府信息公开指南 (art. 12) ---------------------------------------------------------------------------

@dataclass
class GuideInput:
    """The 指南's fixed facts (the office, where and when it receives requests, how to reach it) and
    the rest of its text (what is published where, how to ask, how to complain)."""

    office: str
    address: str
    hours: str
    phone: str
    text: str
    fax: str | None = None
    email: str | None = None
    postcode: str | None = None

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, label, limit, required in (("office", "政府信息公开工作机构", 100, True),
                                             ("address", "办公地址", 200, True), ("hours", "办公时间", 200, True),
                                             ("phone", "联系电话", 40, True), ("fax", "传真", 40, False),
                                             ("email", "电子邮箱", 120, False), ("postcode", "邮政编码", 10, False)):
            setattr(self, name, _collect(found, name, lambda n=name, lb=label, lm=limit, r=required: check_text(
                getattr(self, n), lb, n, lm, required=r)))
        for name, label in (("phone", "联系电话"), ("fax", "传真")):
            value = getattr(self, name)
            if value is not None:
                value = half_width(value).replace("－", "-").replace("—", "-")
                if not PHONE.fullmatch(value):
                    found.setdefault(name, f"{label}应为号码，如 0883-6120100。")
                setattr(self, name, value)
        if self.email is not None and not EMAIL.fullmatch(self.email):
            found.setdefault("email", "电子邮箱格式不正确，应如 gk@example.gov.cn。")
        if self.postcode is not None and not re.fullmatch(r"\d{6}", half_width(self.postcode), re.ASCII):
            found.setdefault("postcode", "邮政编码应为 6 位数字。")
        self.text = _collect(found, "text", lambda: check_text(self.text, "指南正文", "text", GUIDE_TEXT_MAX,
                                                               required=True, multiline=True))
        return found


def guide_of(session: Session, department_id: int) -> InfoGuide | None:
    return session.get(InfoGuide, department_id)


def save_guide(session: Session, actor, department_id, guide: GuideInput) -> InfoGuide:
    """Write the body's 指南 (the column shows it at once); the last writer and time are kept."""
    dept = kept_body(session, actor, department_id)
    _raise(guide.problems())
    row = session.get(InfoGuide, dept.id)
    if row is None:
        row = InfoGuide(department_id=dept.id)
        session.add(row)
    for name in ("office", "address", "hours", "phone", "fax", "email", "postcode", "text"):
        setattr(row, name, getattr(guide, name))
    row.updated_at, row.updated_by_id = clock.now(), actor.id
    session.flush()
    return row


# --- 行政复议、行政诉讼 (the annual report's part 四) -------------------------------------------------------

@dataclass
class AppealInput:
    kind: str
    filed_on: date | str | None
    outcome: str
    reference: str | None = None
    note: str | None = None
    request_number: str | None = None  # the 申请编号 the appeal is about, where there is one

    def problems(self, session: Session, dept: Department) -> tuple[dict[str, str], int | None]:
        found: dict[str, str] = {}
        if self.kind not in APPEAL_KINDS:
            found["kind"] = "请选择类别（行政复议或行政诉讼）。"
        filed = _collect(found, "filed_on", lambda: _date(self.filed_on, "提起日期", "filed_on"))
        if filed is None:
            found.setdefault("filed_on", "请填写申请复议或提起诉讼的日期。")
        elif not date(FIRST_YEAR, 1, 1) <= filed <= clock.today():
            found["filed_on"] = f"提起日期不能晚于今天，也不能早于 {FIRST_YEAR} 年。"
        else:
            self.filed_on = filed
        if self.outcome not in APPEAL_OUTCOMES:
            found["outcome"] = "请选择结果（维持、纠正、其他或尚未审结）。"
        self.reference = _collect(found, "reference", lambda: check_text(self.reference, "决定书或判决书文号",
                                                                         "reference", 100))
        self.note = _collect(found, "note", lambda: check_text(self.note, "说明", "note", NOTE_MAX, multiline=True))
        number = _collect(found, "request_number", lambda: check_text(self.request_number, "申请编号",
                                                                      "request_number", 30))
        request_id = None
        if number is not None:
            number = half_width(number).strip().upper()
            request = session.scalars(select(InfoRequest).where(InfoRequest.number == number)).first() \
                if NUMBER.fullmatch(number) else None
            if request is None or request.department_id != dept.id:
                found.setdefault("request_number", f"没有向{dept.name}提出的、编号为 {number} 的政府信息公开申请。")
            else:
                request_id = request.id
        return found, request_id


def appeals_of(session: Session, department_id: int, year: int | None = None) -> list[InfoAppeal]:
    query = select(InfoAppeal).where(InfoAppeal.department_id == department_id)
    if year is not None:
        query = query.where(extract("year", InfoAppeal.filed_on) == year)
    return list(session.scalars(query.order_by(InfoAppeal.filed_on.desc(), InfoAppeal.id.desc())))


def _write_appeal(row: InfoAppeal, appeal: AppealInput, request_id: int | None) -> None:
    row.kind, row.filed_on, row.outcome = appeal.kind, appeal.filed_on, appeal.outcome
    row.reference, row.note, row.request_id = appeal.reference, appeal.note, request_id


def add_appeal(session: Session, actor, department_id, appeal: AppealInput) -> InfoAppeal:
    """A 行政复议 or 行政诉讼 about the body's disclosure work, counted in the year it was filed."""
    dept = kept_body(session, actor, department_id)
    found, request_id = appeal.problems(session, dept)
    _raise(found)
    row = InfoAppeal(department_id=dept.id, created_at=clock.now(), created_by_id=actor.id)
    _write_appeal(row, appeal, request_id)
    session.add(row)
    session.flush()
    return row


def get_appeal(session: Session, appeal_id) -> InfoAppeal:
    appeal_id = parse_row_id(appeal_id)
    row = session.get(InfoAppeal, appeal_id) if appeal_id is not None and appeal_id <= INT_MAX else None
    if row is None:
        raise NotFound("复议或诉讼记录不存在。")
    return row


def update_appeal(session: Session, actor, appeal_id, appeal: AppealInput) -> InfoAppeal:
    """Its outcome when decided, or a correction; kept by the same body."""
    row = get_appeal(session, appeal_id)
    dept = kept_body(session, actor, row.department_id)
    found, request_id = appeal.problems(session, dept)
    _raise(found)
    _write_appeal(row, appeal, request_id)
    row.updated_at = clock.now()
    session.flush()
    return row


# --- the annual report's words and the fee figure ------------------------------------------------------

def report_text(session: Session, department_id: int, year: int) -> InfoReportText | None:
    return session.get(InfoReportText, (department_id, year))


def report_year(value) -> int:
    year = parse_id(value)
    if year is None or not FIRST_YEAR <= year <= clock.today().year:
        raise InvalidInput(f"年度应为 {FIRST_YEAR} 至 {clock.today().year} 年。", field="year")
    return year


def _charges(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(half_width(str(value)).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput("行政事业性收费金额应为数字（单位：万元）。", field="charges_amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_CHARGES or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"行政事业性收费金额应为 0 至 {MAX_CHARGES} 万元之间、最多两位小数的数字。",
                           field="charges_amount")
    return amount


def save_report_text(session: Session, actor, department_id, year, *, overview, problems, other,
                     charges_amount) -> InfoReportText:
    """总体情况, 存在的主要问题及改进情况, 其他需要报告的事项 and 行政事业性收费 (万元) of one body's
    report for one year. A report already published is not rewritten silently."""
    dept = kept_body(session, actor, department_id)
    found: dict[str, str] = {}
    year = _collect(found, "year", lambda: report_year(year))
    given, texts = {"overview": overview, "problems": problems, "other": other}, {}
    for name, label in (("overview", "总体情况"), ("problems", "存在的主要问题及改进情况"), ("other", "其他需要报告的事项")):
        texts[name] = _collect(found, name, lambda n=name, lb=label: check_text(
            given[n], lb, n, REPORT_TEXT_MAX, multiline=True)) or ""
    amount = _collect(found, "charges_amount", lambda: _charges(charges_amount))
    _raise(found)
    row = session.get(InfoReportText, (dept.id, year))
    if row is not None and row.published_at is not None:
        raise InvalidState(f"{dept.name} {year} 年度报告已于 {clock.local_date(row.published_at)} 公布，不能再修改。")
    if row is None:
        row = InfoReportText(department_id=dept.id, year=year)
        session.add(row)
    row.overview, row.problems, row.other = texts["overview"], texts["problems"], texts["other"]
    row.charges_amount = amount
    row.updated_at, row.updated_by_id = clock.now(), actor.id
    session.flush()
    return row


# --- attachments of a draft publication ---------------------------------------------------------------

def add_attachment(session: Session, entry: InfoEntry, actor, *, name: str, stored: str, size: int,
                   sha256: str) -> dict:
    """A file (already checked and stored by its checksum) joins the draft; recorded in the
    publication's log. Only the holder of the 拟稿 step adds one: once submitted, the text and its
    files are what the secrecy review saw."""
    task = publication_task(session, entry, actor, ("draft",))
    files = list(entry.attachments or [])
    if len(files) >= MAX_ATTACHMENTS:
        raise InvalidInput(f"每条信息最多 {MAX_ATTACHMENTS} 个附件。", field="file")
    if any(f.get("sha256") == sha256 for f in files):
        raise InvalidInput(f"“{name}”与已有附件内容相同，无需重复上传。", field="file")
    record = {"name": name, "stored": stored, "size": size, "sha256": sha256}
    entry.attachments = [*files, record]
    audit.record(session, entry.case, actor, "material_upload", task=task, after={"file_name": name, "sha256": sha256},
                 detail={"material": "附件", "size": size})
    session.flush()
    return record


def remove_attachment(session: Session, entry: InfoEntry, actor, sha256) -> dict:
    """Take a file off the draft (the stored file stays: an earlier version may show it)."""
    task = publication_task(session, entry, actor, ("draft",))
    files = list(entry.attachments or [])
    found = next((f for f in files if f.get("sha256") == sha256), None)
    if found is None:
        raise NotFound("附件不存在。")
    entry.attachments = [f for f in files if f is not found]
    audit.record(session, entry.case, actor, "material_remove", task=task,
                 before={"file_name": found["name"], "sha256": found["sha256"]}, detail={"material": "附件"})
    session.flush()
    return found


def may_read_entry(actor, entry: InfoEntry) -> bool:
    """The workbench shows a body's publications (drafts included) to its own staff, and to
    supervisors and administrators; the public reads only what the column shows."""
    return sees_all(actor) or (is_staff(actor) and actor.department_id == entry.department_id)


def require_read_entry(actor, entry: InfoEntry) -> None:
    if not may_read_entry(actor, entry):
        raise PermissionDenied("此信息不是本机关发布的，您不能查看其办理情况。")
