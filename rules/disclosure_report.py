"""政府信息公开工作年度报告 (条例 art. 50; seed 001 年度报告制度 art. 5) of one body for one calendar
year, in the national template's structure (国办公开办函〔2021〕30号), computed from the records:

- 二、主动公开: 规章 and 行政规范性文件 — 本年制发 = series whose first publication (through the
  publication flow) falls in the year, 本年废止 = ``abolished_on`` in the year, 现行有效 = published
  before the year's end and neither abolished (by its last day) nor withdrawn before it; 行政许可 /
  行政处罚 / 行政强制 = cases of the body's items of that category finished in the year; 行政事业性收费
  = the amount staff entered (万元). Besides the template (seed 001 年度报告制度 art. 5(一)): the
  versions published in the year by 公开类别 and by channel, and how many after their 15 working days.
- 三、依申请公开: requests to the body by applicant kind. 本年新收 = received in the year (art. 31);
  上年结转 = received before it and not concluded before it; results = concluded in the year
  (approved answer: its answer type and ground; closed without answer: 视为放弃申请 → 逾期不补正,
  信息处理费 not paid → 逾期未缴费, any other withdrawal → 其他); 结转下年度 = received by the year's end
  and not concluded by then. So per column: 新收 + 上年结转 = 总计 + 结转下年度.
- 四、行政复议、行政诉讼: the appeals staff entered, by the year they were filed.
- 一、五、六: the texts staff wrote (InfoReportText), and the fees of the requests concluded in the year.

Dates are local (Asia/Shanghai). Every figure is the length of a list of records, and
:func:`cell_cases` returns that list, so each number can be recounted from its cases. The Word
report and the Excel tables are made by :mod:`rules.disclosure_documents`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.disclosure.codes import (
    ANSWER_TYPES,
    APPEAL_KINDS,
    APPEAL_OUTCOMES,
    CATEGORIES,
    CHANNELS,
    LAW,
    PUBLISH_CHANNELS,
    REPORT_ROWS,
    REQUESTER_KINDS,
    report_row,
)
from engine.errors import InvalidInput
from engine.models import (
    Case,
    CaseEvent,
    Department,
    InfoAppeal,
    InfoEntry,
    InfoReportText,
    InfoRequest,
    ItemVersion,
)
from engine.validation import half_width

TEMPLATE = "国办公开办函〔2021〕30号"
YEAR_MIN = 2000
COLUMNS = [*REQUESTER_KINDS.items(), ("total", "总计")]
ROW_LABELS = dict(REPORT_ROWS)
ROW_GROUPS = {"withheld": "（三）不予公开", "unavailable": "（四）无法提供", "not_processed": "（五）不予处理",
              "other": "（六）其他处理"}
RESULT_ROWS = [key for key, _ in REPORT_ROWS if key not in ("new", "carried_in", "total", "carried_out")]
DOC_ROWS = [("rule", "规章"), ("normative", "行政规范性文件")]
DOC_COLUMNS = [("made", "本年制发件数"), ("abolished", "本年废止件数"), ("in_force", "现行有效件数")]
ACTIONS = [("01", "行政许可"), ("02", "行政处罚"), ("03", "行政强制")]
ACTION_ARTICLES = {"01": "第二十条第（五）项", "02": "第二十条第（六）项", "03": "第二十条第（六）项"}
APPEAL_COLUMNS = [*APPEAL_OUTCOMES.items(), ("total", "总计")]
COLUMN_CHANNEL = ("column", "政府信息公开专栏")
PUB_CHANNELS = [COLUMN_CHANNEL, *PUBLISH_CHANNELS.items()]
LAPSED_RESULT = "视为放弃申请"
UNPAID_WORD = "信息处理费"
CLOSING_ACTIONS = ("withdraw", "lapse", "reject")

# what each drill-down row lists: requests, entries (主动公开), cases (许可、处罚、强制) or appeals
KIND_REQUEST, KIND_ENTRY, KIND_CASE, KIND_APPEAL = "request", "entry", "case", "appeal"

DEFINITIONS = [
    "统计期为公历年度1月1日至12月31日（北京时间）；当年的报告按制表时的情况统计。",
    "规章、行政规范性文件：本年制发件数按本年首次公开的文件计（同一文件的变更版本不重复计算）；本年废止件数按废止日期在本年的文件计；"
    "现行有效件数为年末已公开、未废止、未撤回的文件。",
    "行政许可、行政处罚、行政强制：本机关相应类别事项本年办结的办件数。行政事业性收费金额由工作人员填报。",
    "主动公开条数按本年经审核发布的信息计（含变更后重新发布的版本）；逾期公开指超过形成或者变更之日起15个工作日公开"
    "（《德宏州政府信息主动公开和依申请公开制度（试行）》第十二条）。",
    "本年新收：本年收到的申请（以收到申请之日为准，条例第三十一条）；上年结转：以前年度收到、本年初尚未办结的申请；"
    "办理结果：本年办结的申请（答复书审定之日在本年，或本年终止办理）；结转下年度继续办理：截至年末尚未办结的申请。"
    "各列均有：本年新收 + 上年结转 = 总计 + 结转下年度继续办理。",
    "申请人逾期未补正的（视为放弃申请）计入“其他处理 1”；逾期未缴纳信息处理费的计入“其他处理 2”；申请人撤回等其他终止计入“其他处理 3”。",
    "行政复议、行政诉讼按提起的年份统计，结果按工作人员登记的最新情况。",
]


# --- the year and the body --------------------------------------------------------------------------

def check_year(value, today: date | None = None) -> int:
    """A year the report can be made for: 2000 to the current year (text and full-width digits
    accepted); anything else is a Chinese message on ``year``."""
    today = today or clock.today()
    if isinstance(value, bool):
        value = None
    text = str(value) if isinstance(value, int) else half_width(str(value or "")).strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInput(f"年份应为 {YEAR_MIN} 至 {today.year} 之间的四位数字。", field="year")
    year = int(text)
    if year > today.year:
        raise InvalidInput(f"{year}年尚未开始，不能编制该年度的报告。", field="year")
    if year < YEAR_MIN:
        raise InvalidInput(f"年份应为 {YEAR_MIN} 至 {today.year} 之间的四位数字。", field="year")
    return year


def find_body(session: Session, code) -> Department:
    """A body with a disclosure office, by its department code (as the CLI and the pages name it)."""
    known = gk.bodies(session)
    text = code.strip() if isinstance(code, str) else ""
    found = next((d for d in known if d.code == text), None)
    if found is None:
        choices = "、".join(f"{d.code}（{d.name}）" for d in known)
        what = f"“{text[:40]}”" if text else ""
        raise InvalidInput(f"没有机关代码{what}，或该机关没有政府信息公开工作机构。可选：{choices}。", field="body")
    return found


def is_government(dept: Department) -> bool:
    """The office of a people's government (人民政府办公室) compiles the government's own report."""
    return dept.name.endswith("人民政府办公室")


def owner_name(dept: Department) -> str:
    """Whose report it is: the government for its office, otherwise the body itself."""
    return dept.name.removesuffix("办公室") if is_government(dept) else dept.name


def _bounds(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), time.min, clock.LOCAL_TZ)
    return start, datetime.combine(date(year + 1, 1, 1), time.min, clock.LOCAL_TZ)


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- counting: every cell a list of ids ----------------------------------------------------------------

@dataclass
class _Tally:
    cells: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    fee: Decimal = Decimal(0)
    waived: Decimal = Decimal(0)

    def add(self, row: str, column: str, record_id: int) -> None:
        self.cells[(row, column)].append(record_id)


def kind_of(row: str) -> str | None:
    """Which records a drill-down row lists."""
    if row in ROW_LABELS or row in ("channel", "fee"):
        return KIND_REQUEST
    if row in ("pub_category", "pub_channel", "pub_late") or row.startswith("doc_"):
        return KIND_ENTRY
    if row == "action":
        return KIND_CASE
    if row.startswith("appeal_"):
        return KIND_APPEAL
    return None


def concluded(request: InfoRequest, closing_reason: str | None = None) -> tuple[datetime | None, str | None]:
    """When the request was concluded and in which row of the results: the approved answer, or the
    case closed without one (视为放弃申请, 信息处理费 not paid, or another withdrawal)."""
    case = request.case
    if request.answered_at is not None:
        row = report_row(request.answer_type, request.ground) if request.answer_type in ANSWER_TYPES else "other:other"
        return request.answered_at, row
    if case.is_open or case.finished_at is None:
        return None, None
    if case.result == LAPSED_RESULT:
        return case.finished_at, "other:lapsed"
    if UNPAID_WORD in (case.result or "") or UNPAID_WORD in (closing_reason or ""):
        return case.finished_at, "other:unpaid"
    return case.finished_at, "other:other"


def _closing_reasons(session: Session, requests: list[InfoRequest]) -> dict[int, str]:
    closed = [r.case_id for r in requests if r.answered_at is None and not r.case.is_open]
    if not closed:
        return {}
    reasons: dict[int, str] = {}
    for case_id, reason in session.execute(select(CaseEvent.case_id, CaseEvent.reason).where(
            CaseEvent.case_id.in_(closed), CaseEvent.action.in_(CLOSING_ACTIONS)).order_by(CaseEvent.seq)):
        reasons[case_id] = reason or ""
    return reasons


def _count_requests(session: Session, t: _Tally, dept_id: int, start: datetime, end: datetime) -> None:
    requests = list(session.scalars(
        select(InfoRequest).join(InfoRequest.case).where(
            InfoRequest.department_id == dept_id, InfoRequest.received_at < end,
            or_(InfoRequest.answered_at >= start,
                and_(InfoRequest.answered_at.is_(None), or_(Case.finished_at.is_(None), Case.finished_at >= start))))
        .order_by(InfoRequest.received_at, InfoRequest.id)))
    reasons = _closing_reasons(session, requests)
    for r in requests:
        at, row = concluded(r, reasons.get(r.case_id))
        if at is not None and at < start:
            continue
        columns = (r.requester_kind if r.requester_kind in REQUESTER_KINDS else "other", "total")
        marks = []
        if r.received_at >= start:
            marks.append("new")
            t.add("channel", r.channel if r.channel in CHANNELS else "other", r.id)
        else:
            marks.append("carried_in")
        if at is not None and at < end:
            marks += [row, "total"]
            if r.fee:
                t.add("fee", "charged", r.id)
                t.fee += r.fee
            if r.fee_waived:
                t.add("fee", "waived", r.id)
                t.waived += r.fee_waived
        else:
            marks.append("carried_out")
        for mark in marks:
            for column in columns:
                t.add(mark, column, r.id)


def _count_entries(session: Session, t: _Tally, dept_id: int, year: int, start: datetime, end: datetime) -> None:
    last_day = date(year, 12, 31)
    versions = list(session.scalars(select(InfoEntry).where(
        InfoEntry.department_id == dept_id, InfoEntry.published_at.is_not(None),
        or_(InfoEntry.published_at < end, InfoEntry.abolished_on.is_not(None)))
        .order_by(InfoEntry.series, InfoEntry.version)))
    series: dict[str, list[InfoEntry]] = defaultdict(list)
    for v in versions:
        series[v.series].append(v)
    for vs in series.values():
        flow = sorted((v for v in vs if v.case_id is not None), key=lambda v: v.published_at)  # published by the flow
        for v in flow:
            if start <= v.published_at < end:
                t.add("pub_category", v.category if v.category in CATEGORIES else "14", v.id)
                t.add("pub_category", "total", v.id)
                t.add("pub_channel", COLUMN_CHANNEL[0], v.id)
                for channel in v.channels or []:
                    if channel in PUBLISH_CHANNELS:
                        t.add("pub_channel", channel, v.id)
                if publish.late(session, v):
                    t.add("pub_late", "total", v.id)
        if not flow:
            continue
        first = flow[0]
        if first.doc_kind in ("rule", "normative") and start <= first.published_at < end:
            t.add(f"doc_{first.doc_kind}", "made", first.id)
        abolished = next((v for v in vs if v.abolished_on is not None), None)
        if abolished is not None and abolished.doc_kind in ("rule", "normative") and abolished.abolished_on.year == year:
            t.add(f"doc_{abolished.doc_kind}", "abolished", abolished.id)
        before = [v for v in vs if v.published_at < end]
        if not before or first.published_at >= end:
            continue
        last = before[-1]
        withdrawn = any(v.case_id is None and v.abolished_on is None for v in before)  # a withdrawal (撤回) version
        gone = abolished is not None and abolished.abolished_on <= last_day
        if last.doc_kind in ("rule", "normative") and not withdrawn and not gone:
            t.add(f"doc_{last.doc_kind}", "in_force", last.id)


def _count_actions(session: Session, t: _Tally, dept_id: int, start: datetime, end: datetime) -> None:
    for case_id, category in session.execute(
            select(Case.id, ItemVersion.category).join(ItemVersion, ItemVersion.id == Case.item_version_id).where(
                Case.department_id == dept_id, Case.state == "finished", Case.finished_at >= start,
                Case.finished_at < end, ItemVersion.category.in_([c for c, _ in ACTIONS])).order_by(Case.id)):
        t.add("action", category, case_id)


def _count_appeals(session: Session, t: _Tally, dept_id: int, year: int) -> None:
    for appeal in session.scalars(select(InfoAppeal).where(
            InfoAppeal.department_id == dept_id, InfoAppeal.filed_on >= date(year, 1, 1),
            InfoAppeal.filed_on <= date(year, 12, 31)).order_by(InfoAppeal.filed_on, InfoAppeal.id)):
        if appeal.kind in APPEAL_KINDS and appeal.outcome in APPEAL_OUTCOMES:
            t.add(f"appeal_{appeal.kind}", appeal.outcome, appeal.id)
            t.add(f"appeal_{appeal.kind}", "total", appeal.id)


def _tally(session: Session, dept_id: int, year: int) -> _Tally:
    start, end = _bounds(year)
    t = _Tally()
    _count_requests(session, t, dept_id, start, end)
    _count_entries(session, t, dept_id, year, start, end)
    _count_actions(session, t, dept_id, start, end)
    _count_appeals(session, t, dept_id, year)
    return t


# --- the report ---------------------------------------------------------------------------------

@dataclass
class Report:
    body_id: int
    body_code: str
    body_name: str
    owner: str  # whose report: the government for its office
    year: int
    made_at: datetime
    cells: dict[tuple[str, str], int]
    fee: Decimal
    fee_waived: Decimal
    overview: str = ""
    problems: str = ""
    other: str = ""
    charges_amount: Decimal | None = None
    published_at: datetime | None = None

    def n(self, row: str, column: str = "total") -> int:
        return self.cells.get((row, column), 0)

    @property
    def ongoing(self) -> bool:
        return clock.local_date(self.made_at).year == self.year

    @property
    def cutoff(self) -> date:
        return clock.local_date(self.made_at) if self.ongoing else date(self.year, 12, 31)

    @property
    def note(self) -> str:
        return f"（截至{self.cutoff.month}月{self.cutoff.day}日，本年度尚未结束）" if self.ongoing else ""

    @property
    def title(self) -> str:
        return f"{self.owner}{self.year}年政府信息公开工作年度报告"

    @property
    def fee_net(self) -> Decimal:
        return self.fee - self.fee_waived

    @property
    def published(self) -> int:
        return self.n("pub_category")

    def identities(self) -> list[tuple[str, str, int, int]]:
        """Per column: (key, label, 本年新收 + 上年结转, 总计 + 结转下年度)."""
        return [(key, label, self.n("new", key) + self.n("carried_in", key),
                 self.n("total", key) + self.n("carried_out", key)) for key, label in COLUMNS]

    @property
    def balanced(self) -> bool:
        return all(a == b for _, _, a, b in self.identities())


def compute(session: Session, department_id: int, year) -> Report:
    """The annual report of one body (its department id) for one year."""
    year = check_year(year)
    dept = session.get(Department, department_id) if isinstance(department_id, int) else None
    if dept is None:
        raise InvalidInput("请选择机关。", field="body")
    t = _tally(session, dept.id, year)
    text = session.get(InfoReportText, (dept.id, year))
    report = Report(dept.id, dept.code, dept.name, owner_name(dept), year, clock.now(),
                    {key: len(ids) for key, ids in t.cells.items()}, t.fee, t.waived)
    if text is not None:
        report.overview, report.problems, report.other = text.overview or "", text.problems or "", text.other or ""
        report.charges_amount, report.published_at = text.charges_amount, text.published_at
    return report


def cell_cases(session: Session, department_id: int, year, row: str, column: str) -> list:
    """The records one cell counts (InfoRequest, InfoEntry, Case or InfoAppeal, by :func:`kind_of`)."""
    year = check_year(year)
    kind = kind_of(row) if isinstance(row, str) and len(row) <= 40 else None
    if kind is None or not isinstance(column, str) or len(column) > 30:
        raise InvalidInput("统计表中没有这一格。", field="row")
    ids = _tally(session, department_id, year).cells.get((row, column), [])
    model = {KIND_REQUEST: InfoRequest, KIND_ENTRY: InfoEntry, KIND_CASE: Case, KIND_APPEAL: InfoAppeal}[kind]
    if not ids:
        return []
    found = {r.id: r for r in session.scalars(select(model).where(model.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def row_label(row: str) -> str:
    """A row of the requests table named in full (“（三）不予公开 6.属于四类过程性信息”)."""
    label = ROW_LABELS.get(row, row)
    group = ROW_GROUPS.get(row.partition(":")[0])
    return f"{group} {label}" if group and not label.startswith(group) else label


def cell_label(row: str, column: str) -> str:
    """What a cell counts, in the report's words (for the drill-down page's title)."""
    if row in ROW_LABELS:
        return f"{row_label(row)} · {dict(COLUMNS).get(column, column)}"
    labels = {
        "channel": lambda: f"申请方式：{CHANNELS.get(column, column)}",
        "fee": lambda: {"charged": "收取信息处理费的申请", "waived": "减免信息处理费的申请"}.get(column, column),
        "pub_category": lambda: "本年主动公开" + ("（合计）" if column == "total" else f"：{CATEGORIES.get(column, column)}"),
        "pub_channel": lambda: f"公开渠道：{dict(PUB_CHANNELS).get(column, column)}",
        "pub_late": lambda: "超过15个工作日公开的信息",
        "action": lambda: f"{dict(ACTIONS).get(column, column)}本年处理决定",
    }
    if row in labels:
        return labels[row]()
    if row.startswith("doc_"):
        return f"{dict(DOC_ROWS).get(row[4:], row)}：{dict(DOC_COLUMNS).get(column, column)}"
    if row.startswith("appeal_"):
        return f"{APPEAL_KINDS.get(row[7:], row)}：{dict(APPEAL_COLUMNS).get(column, column)}"
    return f"{row} · {column}"


# --- words ----------------------------------------------------------------------------------------

def money(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{amount:,.2f}"


def summary(r: Report) -> str:
    """The figures of the year in one paragraph (一、总体情况)."""
    return (f"{r.year}年{r.note}，{r.owner}在政府信息公开专栏主动公开政府信息 {r.published} 条，其中超过15个工作日公开的 "
            f"{r.n('pub_late')} 条；制发规章 {r.n('doc_rule', 'made')} 件、行政规范性文件 {r.n('doc_normative', 'made')} 件。"
            f"本年新收政府信息公开申请 {r.n('new')} 件，上年结转 {r.n('carried_in')} 件，办结 {r.n('total')} 件"
            f"（予以公开 {r.n('disclosed')} 件、部分公开 {r.n('partial')} 件），结转下年度继续办理 {r.n('carried_out')} 件。"
            f"因政府信息公开被申请行政复议 {r.n('appeal_review')} 件、提起行政诉讼 "
            f"{r.n('appeal_lawsuit') + r.n('appeal_lawsuit_after_review')} 件。")


def fee_sentence(r: Report) -> str:
    return (f"本年办结的申请中，按照《政府信息公开信息处理费管理办法》收取信息处理费的 {r.n('fee', 'charged')} 件，"
            f"应收 {money(r.fee)} 元，减免 {money(r.fee_waived)} 元（{r.n('fee', 'waived')} 件），实收 {money(r.fee_net)} 元。")


def channel_sentence(r: Report) -> str:
    parts = "、".join(f"{label} {r.n('channel', key)} 件" for key, label in CHANNELS.items())
    return f"本年新收的申请中，{parts}。"


def intro(r: Report) -> str:
    return (f"本报告根据{LAW}（以下简称《条例》）第五十条和《德宏州政府信息公开工作年度报告制度（试行）》，"
            f"按照{TEMPLATE}规定的格式编制，由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
            f"政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项六部分组成。"
            f"统计期限为{r.year}年1月1日至12月31日{r.note}。")


def text_or(text: str, missing: str) -> str:
    return text.strip() or missing
