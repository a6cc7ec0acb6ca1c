"""主动公开 (seed 001 制度 arts. 7, 10, 12): an information a body made or changed is published in the
政府信息公开专栏 within 15 working days, after secrecy review and, where a third party is
concerned, its opinion. Each publication runs as a case of ``proactive_publication`` whose
period counts from the day the information was made or changed (``clock_basis = made``), so the
supervision rules watch the 15 days like any case deadline.

An entry is never edited in place once published: a change (变更) is a new version through the
same flow, a withdrawal (撤回) or an abolition (废止) a new version with its reason; the earlier
versions stay readable with their 索引号.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, legaltime, search
from ..calendar import load_calendar
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from ..listeners import Transition
from ..models import CaseTask, Department, InfoEntry, Item
from ..service import common
from ..service.authority import is_staff
from ..service.intake import Applicant, check_text, next_in_series, start_case
from ..service.tasks import complete_task
from ..validation import parse_row_id, sentences
from .codes import CATEGORIES, DOC_KINDS, PUBLISH_CHANNELS, THEMES, index_number

PROCESS_KEY = "proactive_publication"
LIMIT_DAYS = 15  # seed 001 制度 art. 12
TITLE_MAX, BODY_MAX, REASON_MAX = 200, 50000, 1000
BACKDATE_DAYS = 366  # an information made earlier may still be published late (and shows as late)


def _service():
    from . import service
    return service


def publication_item(session: Session) -> Item:
    item = session.scalars(select(Item).join(Item.current_version).where(
        Item.status == "active", Item.current_version.has(process_key=PROCESS_KEY))).first()
    if item is None:
        raise InvalidState("主动公开事项尚未发布，暂不能发起主动公开。")
    return item


def get(session: Session, entry_id) -> InfoEntry:
    entry_id = parse_row_id(entry_id)
    entry = session.get(InfoEntry, entry_id) if entry_id is not None else None
    if entry is None:
        raise NotFound("政府信息不存在。")
    return entry


def versions(session: Session, entry: InfoEntry) -> list[InfoEntry]:
    return list(session.scalars(select(InfoEntry).where(InfoEntry.series == entry.series).order_by(InfoEntry.version)))


def current_of(session: Session, series: str) -> InfoEntry | None:
    return session.scalars(select(InfoEntry).where(InfoEntry.series == series, InfoEntry.current.is_(True))).first()


def by_index(session: Session, index_no: str) -> InfoEntry | None:
    """The version the column shows for a 索引号 (the latest published, withdrawn or abolished one)."""
    if not isinstance(index_no, str) or len(index_no) > 60 or not index_no.isprintable():
        return None  # never reaches SQL (PostgreSQL refuses a NUL)
    return session.scalars(select(InfoEntry).where(InfoEntry.index_no == index_no.strip(), InfoEntry.current.is_(True))).first()


def public_entries(department_id: int | None = None, category: str | None = None, theme: str | None = None):
    """The column's list: the current version of every published entry, newest first (a select to page)."""
    query = select(InfoEntry).where(InfoEntry.current.is_(True), InfoEntry.state == "published")
    if department_id is not None:
        query = query.where(InfoEntry.department_id == department_id)
    if category is not None:
        query = query.where(InfoEntry.category == category)
    if theme is not None:
        query = query.where(InfoEntry.theme == theme)
    return query.order_by(InfoEntry.published_at.desc(), InfoEntry.id.desc())


# --- drafting ----------------------------------------------------------------------------------------

@dataclass
class Drafting:
    """What a body publishes (the column's fields): 标题, 主题分类, 公开类别, 文种, 文号, 成文日期,
    正文, the channels besides the column, and the third party whose opinion is needed, if any."""

    department_id: int | str | None
    title: str
    category: str
    theme: str
    written_on: date | str | None
    body: str
    doc_kind: str = "other"
    doc_number: str | None = None
    channels: list = field(default_factory=list)
    third_party: str | None = None

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}

        def attempt(name, check):
            try:
                check()
            except InvalidInput as exc:
                found.setdefault(name, exc.message)

        attempt("title", lambda: setattr(self, "title", check_text(self.title, "信息标题", "title", TITLE_MAX,
                                                                   required=True)))
        attempt("body", lambda: setattr(self, "body", check_text(self.body, "正文", "body", BODY_MAX, required=True,
                                                                 multiline=True)))
        attempt("doc_number", lambda: setattr(self, "doc_number", check_text(self.doc_number, "文号", "doc_number", 60)))
        attempt("third_party", lambda: setattr(self, "third_party", check_text(
            self.third_party, "涉及的第三方", "third_party", 200)))
        if self.category not in CATEGORIES:
            found["category"] = "请选择公开类别。"
        if self.theme not in THEMES:
            found["theme"] = "请选择主题分类。"
        if self.doc_kind not in DOC_KINDS:
            found["doc_kind"] = "请选择文种。"
        channels = self.channels if isinstance(self.channels, (list, tuple)) else [self.channels]
        if any(c not in PUBLISH_CHANNELS for c in channels if c not in (None, "")):
            found["channels"] = "公开渠道选择有误。"
        self.channels = sorted({c for c in channels if c in PUBLISH_CHANNELS})
        written = self.written_on
        if isinstance(written, str):
            try:
                written = date.fromisoformat(written.strip())
            except ValueError:
                written = None
        today = clock.today()
        if not isinstance(written, date):
            found["written_on"] = "请填写成文（或变更）日期，格式 YYYY-MM-DD。"
        elif written > today or written < today - timedelta(days=BACKDATE_DAYS):
            found["written_on"] = "成文（或变更）日期不能晚于今天，也不能早于一年前。"
        else:
            self.written_on = written
        return found


def _body_of(session: Session, actor, department_id) -> Department:
    dept_id = parse_row_id(department_id)
    dept = session.get(Department, dept_id) if dept_id is not None else None
    if dept is None:
        raise InvalidInput("请选择发布机关。", field="department_id")
    if not (actor.department_id == dept.id and actor.holds("handle", dept.id)):
        raise PermissionDenied(f"只有{dept.name}的承办人员可以起草该机关主动公开的信息。")
    return dept


def _validated(session: Session, actor, drafting: Drafting) -> Department:
    if not is_staff(actor):
        raise PermissionDenied("请登录后办理。")
    found = drafting.problems()
    dept = None
    try:
        dept = _body_of(session, actor, drafting.department_id)
    except InvalidInput as exc:
        found.setdefault("department_id", exc.message)
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    return dept


def _fill(entry: InfoEntry, drafting: Drafting) -> None:
    entry.title, entry.category, entry.theme, entry.doc_kind = (drafting.title, drafting.category, drafting.theme,
                                                               drafting.doc_kind)
    entry.doc_number, entry.written_on, entry.body = drafting.doc_number, drafting.written_on, drafting.body
    entry.channels, entry.third_party = drafting.channels, drafting.third_party


def _start_case(session: Session, actor, dept: Department, entry: InfoEntry) -> None:
    """The publication's flow, its period counted from the day the information was made or changed."""
    item = publication_item(session)
    applicant = Applicant(name=dept.name, cert_type="001", cert_number=dept.credit_code or dept.code, type="6")
    data = {"body_department": dept.code, "third_party": entry.third_party or "", "may_publish": None,
            "withhold": None, "approved": None}
    what = "变更" if entry.version > 1 else "主动公开"
    case = start_case(session, item.code, applicant, actor, data=data, validate_applicant=False,
                      subject=f"{what}：{entry.title}"[:300])
    case.department_id = dept.id
    case.state, case.accepted_at, case.accepted_by_id = "accepted", case.received_at, actor.id  # drafting is its start
    case.limit_days, case.limit_unit = LIMIT_DAYS, "workday"
    legaltime.start_clock(case, entry.written_on, "made")
    legaltime.refresh_case(session, load_calendar(session), case)
    entry.case_id = case.id
    # the rules plan the case's warning and alarm (A003/A004) from the deadline just set
    common.emit(common.open_case(session, case.id), actor, "retime",
                reason=f"公开期限自成文（变更）日期 {entry.written_on} 起计算 {LIMIT_DAYS} 个工作日")


def start(session: Session, actor, drafting: Drafting) -> InfoEntry:
    """拟稿: a new information to publish. Its 15 working days count from 成文 (the date entered)."""
    dept = _validated(session, actor, drafting)
    now = clock.now()
    entry = InfoEntry(series=uuid.uuid4().hex[:20], version=1, current=False, department_id=dept.id, state="draft",
                      created_at=now, created_by_id=actor.id, attachments=[])
    _fill(entry, drafting)
    session.add(entry)
    session.flush()
    _start_case(session, actor, dept, entry)
    return entry


def change(session: Session, entry: InfoEntry, actor, drafting: Drafting, reason) -> InfoEntry:
    """变更: a new version of a published entry through the same flow; its 15 days count from the
    change. The published version stays what the column shows until the new one is published."""
    if not is_staff(actor):
        raise PermissionDenied("请登录后办理。")
    _body_of(session, actor, entry.department_id)  # who may, before the entry's state
    if not (entry.current and entry.state == "published"):
        raise InvalidState("只能变更已公开的现行版本。")
    if any(v.state in ("draft", "reviewing") for v in versions(session, entry)):
        raise InvalidState("此信息已有一个变更版本在办理中。")
    reason = check_text(reason, "变更理由", "change_reason", REASON_MAX, required=True, multiline=True)
    drafting.department_id = entry.department_id
    dept = _validated(session, actor, drafting)
    now = clock.now()
    new = InfoEntry(series=entry.series, version=_next_version(session, entry), current=False, department_id=dept.id,
                    state="draft", created_at=now, created_by_id=actor.id, index_no=entry.index_no,
                    attachments=list(entry.attachments or []), change_reason=reason)
    _fill(new, drafting)
    session.add(new)
    session.flush()
    _start_case(session, actor, dept, new)
    return new


def _next_version(session: Session, entry: InfoEntry) -> int:
    return max(v.version for v in versions(session, entry)) + 1


def _may_decide(actor, entry: InfoEntry) -> bool:
    return is_staff(actor) and actor.department_id == entry.department_id and (
        actor.holds("approve", entry.department_id) or actor.has_role("leader"))


def withdraw(session: Session, entry: InfoEntry, actor, reason) -> InfoEntry:
    """撤回: the head of the body takes a published entry out of the column, saying why; the column
    keeps a notice under the same 索引号 and the versions before stay in the record."""
    return _tombstone(session, entry, actor, reason, "withdrawn", None)


def abolish(session: Session, entry: InfoEntry, actor, reason, abolished_on=None) -> InfoEntry:
    """废止 (a 规章 or 规范性文件 no longer in force): a new version marked abolished from that day; it
    stays in the column, marked 已废止 (the annual report counts it)."""
    if not _may_decide(actor, entry):
        raise PermissionDenied("只有发布机关的负责人或审批岗位人员可以撤回或废止已公开的信息。")
    day = abolished_on
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            day = None
    day = day or clock.today()
    if not isinstance(day, date) or day > clock.today() or day < entry.written_on:
        raise InvalidInput("废止日期不能晚于今天，也不能早于成文日期。", field="abolished_on")
    if entry.doc_kind not in ("rule", "normative"):
        raise InvalidState("只有规章和行政规范性文件需要登记废止。")
    if entry.abolished_on is not None:
        raise InvalidState("此文件已经废止。")
    return _tombstone(session, entry, actor, reason, "published", day)


def _tombstone(session: Session, entry: InfoEntry, actor, reason, state: str, abolished_on) -> InfoEntry:
    if not _may_decide(actor, entry):
        raise PermissionDenied("只有发布机关的负责人或审批岗位人员可以撤回或废止已公开的信息。")
    if not (entry.current and entry.state == "published"):
        raise InvalidState("只能撤回或废止已公开的现行版本。")
    what = "撤回理由" if state == "withdrawn" else "废止说明"
    reason = check_text(reason, what, "change_reason", REASON_MAX, required=True, multiline=True)
    now = clock.now()
    new = InfoEntry(series=entry.series, version=_next_version(session, entry), current=True,
                    department_id=entry.department_id, state=state, created_at=now, created_by_id=actor.id,
                    index_no=entry.index_no, category=entry.category, theme=entry.theme, doc_kind=entry.doc_kind,
                    title=entry.title, doc_number=entry.doc_number, written_on=entry.written_on, body=entry.body,
                    attachments=list(entry.attachments or []), channels=list(entry.channels or []),
                    third_party=entry.third_party, change_reason=reason, abolished_on=abolished_on,
                    published_at=entry.published_at)  # 发布日期 stays; the change is dated by created_at
    entry.current, entry.state = False, "superseded"
    session.add(new)
    session.flush()
    index(session, new)
    return new


# --- the steps ---------------------------------------------------------------------------------------

def open_task(session: Session, entry: InfoEntry, actor, step_ids: tuple[str, ...]) -> CaseTask:
    if not is_staff(actor):
        raise PermissionDenied("请登录后办理。")
    if entry.case_id is not None:
        for task in session.scalars(select(CaseTask).where(CaseTask.case_id == entry.case_id,
                                                           CaseTask.state == "ready").order_by(CaseTask.id)):
            if task.step_id in step_ids and common.can_work(actor, task):
                return task
    raise PermissionDenied("此信息当前没有您可以办理的环节。")


def _complete(session: Session, task: CaseTask, actor, **kw) -> CaseTask:
    with _service()._command(session):
        return complete_task(session, task.id, actor, **kw)


def submit(session: Session, entry: InfoEntry, actor, drafting: Drafting) -> CaseTask:
    """拟稿完成: the text as it will be published goes to secrecy review."""
    task = open_task(session, entry, actor, ("draft",))
    drafting.department_id = entry.department_id
    _validated(session, actor, drafting)
    _fill(entry, drafting)
    entry.state = "reviewing"
    return _complete(session, task, actor, data={"third_party": entry.third_party or ""}, opinion="拟稿完成")


def review_secrecy(session: Session, entry: InfoEntry, actor, *, may_publish, opinion) -> CaseTask:
    """保密审查 (制度 arts. 7(一)(二), 10): a secret or otherwise exempt information is not published."""
    task = open_task(session, entry, actor, ("secrecy",))
    drafted_by = session.scalar(select(CaseTask.completed_by_id).where(
        CaseTask.case_id == entry.case_id, CaseTask.step_id == "draft", CaseTask.state == "completed")
        .order_by(CaseTask.id.desc()).limit(1))
    if drafted_by == actor.id:
        raise PermissionDenied("保密审查须由拟稿人以外的审核人员进行，您不能审查自己起草的信息。")
    if not isinstance(may_publish, bool):
        raise InvalidInput("请选择保密审查结论。", field="may_publish")
    opinion = check_text(opinion, "保密审查意见", "opinion", REASON_MAX, required=True, multiline=True)
    return _complete(session, task, actor, data={"may_publish": may_publish}, opinion=opinion)


def record_third_party(session: Session, entry: InfoEntry, actor, *, agrees, opinion, publish_anyway_reason=None):
    """第三方意见 (制度 art. 7(三)): an objection withholds the information unless withholding would
    seriously harm the public interest; then it is published and the third party told in writing why."""
    task = open_task(session, entry, actor, ("third_party",))
    if not isinstance(agrees, bool):
        raise InvalidInput("请选择第三方是否同意公开。", field="agrees")
    opinion = check_text(opinion, "第三方意见", "opinion", REASON_MAX, required=True, multiline=True)
    overrule = check_text(publish_anyway_reason, "决定公开的理由", "publish_anyway_reason", REASON_MAX, multiline=True)
    withhold = not agrees and not overrule
    text = f"第三方{'同意' if agrees else '不同意'}公开：{opinion}" + (f"；因公共利益决定公开：{overrule}" if overrule else "")
    return _complete(session, task, actor, data={"withhold": withhold}, opinion=text)


def decide(session: Session, entry: InfoEntry, actor, *, approved, reason=None) -> CaseTask:
    """审核发布: the head publishes it (it gets its 索引号 and enters the column and its search) or
    sends it back to be redrafted."""
    task = open_task(session, entry, actor, ("publish",))
    if not isinstance(approved, bool):
        raise InvalidInput("请选择是否同意发布。", field="approved")
    reason = check_text(reason, "退回理由", "reason", REASON_MAX, required=not approved, multiline=True)
    return _complete(session, task, actor, data={"approved": approved}, approved=approved,
                     reason=None if approved else reason, opinion="同意发布" if approved else None)


def of_case(session: Session, case_id: int) -> InfoEntry | None:
    return session.scalars(select(InfoEntry).where(InfoEntry.case_id == case_id)).first()


def on_transition(t: Transition) -> None:
    """The flow's end publishes the entry (or records that it was not published)."""
    entry = of_case(t.session, t.case.id)
    if entry is None:
        return
    if t.action == "complete" and t.task is not None and t.task.step_id == "publish" and t.task.approved is False:
        entry.state = "draft"
    if t.action != "finish":
        return
    now = clock.now()
    if t.case.result == "已公开":
        _publish(t.session, entry, now)
    else:
        entry.state = "abandoned"


def _publish(session: Session, entry: InfoEntry, now) -> None:
    dept = session.get(Department, entry.department_id)
    previous = current_of(session, entry.series)
    if previous is not None and previous.id != entry.id:
        previous.current, previous.state = False, "superseded"
    if entry.index_no is None:
        year = clock.local_date(now).year
        serial = next_in_series(session, f"gk:{dept.code}"[:20], year)
        entry.index_no = index_number(dept.credit_code or dept.code.upper(), entry.category, year, serial)
    entry.state, entry.current, entry.published_at = "published", True, now
    session.flush()
    index(session, entry)


def index(session: Session, entry: InfoEntry) -> None:
    """The column's search holds the current version of every published entry."""
    if not entry.current or entry.state != "published":
        search.withdraw(session, "disclosure", entry.series)
        return
    dept = entry.department
    search.publish(session, "disclosure", entry.series, title=entry.title,
                   body="\n".join(x for x in (entry.doc_number, entry.body) if x),
                   url=f"/gk/info/{entry.index_no}",
                   keywords=[CATEGORIES[entry.category], THEMES[entry.theme], entry.index_no, entry.doc_number or ""],
                   department_id=dept.id, department=dept.name, category=CATEGORIES[entry.category])


def reindex(session: Session) -> None:
    search.withdraw_source(session, "disclosure")
    for entry in session.scalars(public_entries()):
        index(session, entry)


def late(session: Session, entry: InfoEntry) -> bool:
    """Whether the entry was (or, still unpublished, already is) past its 15 working days."""
    case = entry.case
    if case is None or case.deadline is None or entry.state == "abandoned":
        return False
    day = clock.local_date(entry.published_at) if entry.published_at else clock.today()
    return day > case.deadline
