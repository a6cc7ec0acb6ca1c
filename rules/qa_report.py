"""在线解答 for supervisors: the quarterly report (通报, 《云南省政务信息查询在线解答管理办法》第九条:
各行政机关受理提问及办结回复情况每季度通报一次) and the list of every question with its turns.

What is counted (the same definitions, in Chinese, are :data:`DEFINITIONS`, shown on the report
page, in the Excel note and in the printed 通报, so a reader can recount from the question list):

- The population is the turns (:class:`~engine.models.QuestionTurn`, one department's turn with a
  question) whose ``started_on`` — the local (Beijing) date the question reached the department —
  falls in the quarter. A joint question counts once in each department it reached; a question sent
  on through the 政府办 counts in the department that forwarded it, in the 政府办 (its dispatch turn)
  and in the department that answered. A question that reached a department in an earlier quarter
  is never counted again, whenever it is finished.
- 统计截止日 (cut-off) = the report date or the quarter's last day, whichever is earlier. Finished or
  not, and explained or not, is taken as it stands when the report is made.
- 受理: answer turns (kind ``answer``). 按时答复 / 逾期答复: of those, finished with outcome
  answered or passed (答复并移交下一部门) and not late / late. 转政府办: finished with outcome
  forwarded. 办理中: not finished; 其中已逾期: open and due before the cut-off.
  So 受理 = 按时答复 + 逾期答复 + 转政府办 + 办理中 (+ 其他结束, turns ended another way, shown only
  when there are any).
- 转发处理（政府办）: the 政府办's dispatch turns (kind ``dispatch``). 转发逾期: forwardings to the 政府办
  finished late, and dispatch turns finished late or open and due before the cut-off.
- 逾期已说明 / 逾期未说明: among 逾期答复, 其中已逾期 and 转发逾期, the turns with / without a 逾期说明
  (art. 7); their sum is 逾期答复 + 其中已逾期 + 转发逾期.
- 按时答复率 = 按时答复 ÷ (按时答复 + 逾期答复). 平均用时: working days (the platform's calendar) from the
  day the question reached the department to the local date of its approved reply, over answered
  and passed turns, one decimal.
- 投诉: complaints (:class:`~rules.models.Complaint`, every channel) received in the quarter naming the
  department; 其中涉及咨询: those about a question; by state: 已答复, 不予受理, 处理中 (待受理 or 处理中).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.errors import InvalidInput
from engine.models import Department, QuestionTurn
from engine.qa import service as qa
from engine.validation import half_width, sentences

from .models import Complaint
from .officialdoc import new_document, plain
from .reports import finite, safe_cell

ARTICLE_9 = "《云南省政务信息查询在线解答管理办法》第九条"
ACCOUNTABILITY = "对逾期未办又未说明情况的，由监察管理部门予以问责（《云南省政务信息查询在线解答管理办法》第七条、第十条）"
YEAR_MIN, YEAR_MAX = 2000, 2100
PER_PAGE = 20

DEFINITIONS = [
    "统计对象：本季度内开始的办理轮次，即咨询到达某一部门的日期（北京时间）在本季度内；联合答复的咨询在每个部门各计一次，"
    "经政府办转发的咨询在转出部门、政府办和答复部门各计一次；以前季度到达的不再计入。",
    "统计截止日：制表日与季度最后一天中较早的一天；是否办结、是否说明按制表时的情况计算。",
    "受理：到达本部门待其答复的咨询（政府办的转发另计）；受理 = 按时答复 + 逾期答复 + 转政府办 + 办理中。",
    "按时答复 / 逾期答复：经审核同意的答复（含答复后移交下一部门）在答复期限内 / 期限后作出。",
    "转政府办：不属于本部门职责、经审核转至政府办的咨询。",
    "办理中：尚未答复或转出；其中已逾期：答复期限早于统计截止日。",
    "转发处理（政府办）：政府办对不清楚受理部门或各部门转来的咨询进行的转发；"
    "转发逾期：逾期转至政府办的，以及政府办逾期转发或截至统计截止日仍未转发且已过期限的。",
    "逾期已说明 / 逾期未说明：逾期答复、已逾期和转发逾期中，已经 / 尚未公开逾期说明（第七条）的件数。",
    "按时答复率 = 按时答复 ÷（按时答复 + 逾期答复）。平均用时：从咨询到达本部门之日到答复审核同意之日的工作日数的平均值。",
    "投诉：本季度收到的、被投诉单位为本部门的投诉（各渠道）；其中涉及咨询：针对咨询答复的投诉；"
    "已答复、不予受理、处理中（含待受理）按制表时的状态。",
]


# --- the quarter --------------------------------------------------------------------------------

def current_quarter(today: date) -> tuple[int, int]:
    return today.year, (today.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """[first day, first day of the next quarter)."""
    start = date(year, (quarter - 1) * 3 + 1, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, quarter * 3 + 1, 1)
    return start, end


def _whole(value, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if low <= value <= high else None
    text = half_width(str(value or "")).strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


def check_quarter(year, quarter, today: date | None = None) -> tuple[int, int]:
    """A quarter the report can be made for: year 2000–2100, quarter 1–4, already begun. Text is
    accepted (full-width digits too); every problem is a Chinese message on its field."""
    errors: dict[str, str] = {}
    y = _whole(year, YEAR_MIN, YEAR_MAX)
    q = _whole(quarter, 1, 4)
    if y is None:
        errors["year"] = f"年份应为 {YEAR_MIN} 至 {YEAR_MAX} 之间的四位数字。"
    if q is None:
        errors["quarter"] = "季度应为 1、2、3 或 4。"
    if not errors and quarter_bounds(y, q)[0] > (today or clock.today()):
        errors["quarter"] = f"{y}年第{q}季度尚未开始，不能统计。"
    if errors:
        raise InvalidInput(sentences(errors.values()), field=next(iter(errors)), errors=errors)
    return y, q


def quarter_from_args(year, quarter, today: date | None = None) -> tuple[int, int]:
    """The quarter a request asks for; none given: the current quarter."""
    today = today or clock.today()
    if (year is None or str(year).strip() == "") and (quarter is None or str(quarter).strip() == ""):
        return current_quarter(today)
    return check_quarter(year, quarter, today)


# --- the figures --------------------------------------------------------------------------------

@dataclass
class QaRow:
    department_id: int | None
    label: str
    received: int = 0  # 受理
    on_time: int = 0  # 按时答复
    late: int = 0  # 逾期答复
    forwarded: int = 0  # 转政府办
    open: int = 0  # 办理中
    open_overdue: int = 0  # 其中已逾期
    other: int = 0  # 其他结束
    dispatched: int = 0  # 转发处理（政府办）
    forward_late: int = 0  # 转发逾期
    explained: int = 0  # 逾期已说明
    unexplained: int = 0  # 逾期未说明
    complaints: int = 0
    complaints_question: int = 0
    complaints_answered: int = 0
    complaints_refused: int = 0
    complaints_open: int = 0
    days: list[int] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        answered = self.on_time + self.late
        return finite(round(self.on_time / answered, 4)) if answered else None

    @property
    def average_days(self) -> float | None:
        return finite(round(sum(self.days) / len(self.days), 1)) if self.days else None

    def add(self, other: QaRow) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.days.extend(other.days)


COUNTS = ("received", "on_time", "late", "forwarded", "open", "open_overdue", "other", "dispatched", "forward_late",
          "explained", "unexplained", "complaints", "complaints_question", "complaints_answered",
          "complaints_refused", "complaints_open")
COLUMNS = [("received", "受理"), ("on_time", "按时答复"), ("late", "逾期答复"), ("forwarded", "转政府办"),
           ("open", "办理中"), ("open_overdue", "其中已逾期"), ("other", "其他结束"),
           ("dispatched", "转发处理（政府办）"), ("forward_late", "转发逾期"), ("explained", "逾期已说明"),
           ("unexplained", "逾期未说明"), ("on_time_rate", "按时答复率"), ("average_days", "平均用时（工作日）"),
           ("complaints", "投诉"), ("complaints_question", "其中涉及咨询"), ("complaints_answered", "投诉已答复"),
           ("complaints_refused", "投诉不予受理"), ("complaints_open", "投诉处理中")]


@dataclass
class QuarterReport:
    year: int
    quarter: int
    start: date
    end: date  # exclusive
    cutoff: date
    made_at: datetime
    rows: list[QaRow]
    total: QaRow

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.quarter}季度"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def ongoing(self) -> bool:
        """The quarter has not ended when the report is made: its figures are so far."""
        return clock.local_date(self.made_at) <= self.last_day

    @property
    def note(self) -> str:
        return f"（截至{self.cutoff.month}月{self.cutoff.day}日，本季度尚未结束）" if self.ongoing else ""

    @property
    def period(self) -> str:
        """The quarter as titles name it, with the note while it runs."""
        return self.label + self.note

    @property
    def columns(self) -> list[tuple[str, str]]:
        """其他结束 only when some turn ended another way."""
        return [(k, v) for k, v in COLUMNS if k != "other" or self.total.other]

    @property
    def unexplained_departments(self) -> list[tuple[str, int]]:
        return [(r.label, r.unexplained) for r in self.rows if r.unexplained]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, clock.LOCAL_TZ)


def _count_turn(row: QaRow, turn: QuestionTurn, cutoff: date, calendar) -> None:
    finished = turn.finished_at is not None
    overdue_open = not finished and turn.due_date < cutoff
    late = False  # counted in one of 逾期答复, 其中已逾期, 转发逾期
    if turn.kind == "dispatch":
        row.dispatched += 1
        late = (finished and turn.late) or overdue_open
        row.forward_late += late
    else:
        row.received += 1
        if not finished:
            row.open += 1
            row.open_overdue += overdue_open
            late = overdue_open
        elif turn.outcome in ("answered", "passed"):
            late = bool(turn.late)
            row.late += late
            row.on_time += not late
            row.days.append(calendar.workdays_between(turn.started_on, clock.local_date(turn.finished_at)))
        elif turn.outcome == "forwarded":
            late = bool(turn.late)
            row.forwarded += 1
            row.forward_late += late
        else:
            row.other += 1
    if late:
        if (turn.explanation or "").strip():
            row.explained += 1
        else:
            row.unexplained += 1


def quarter_report(session: Session, year, quarter) -> QuarterReport:
    """The figures of one quarter, per department and in total (definitions in the module docstring)."""
    year, quarter = check_quarter(year, quarter)
    start, end = quarter_bounds(year, quarter)
    cutoff = min(clock.today(), end - timedelta(days=1))
    calendar = load_calendar(session)
    departments = {d.id: d for d in session.scalars(select(Department).order_by(Department.id))}
    rows: dict[int, QaRow] = {d.id: QaRow(d.id, d.name) for d in qa.answering_departments(session)}

    def row_of(department_id: int) -> QaRow:
        if department_id not in rows:
            dept = departments.get(department_id)
            rows[department_id] = QaRow(department_id, dept.name if dept else "（未知单位）")
        return rows[department_id]

    for turn in session.scalars(select(QuestionTurn).where(QuestionTurn.started_on >= start,
                                                           QuestionTurn.started_on < end).order_by(QuestionTurn.id)):
        _count_turn(row_of(turn.department_id), turn, cutoff, calendar)
    for complaint in session.scalars(select(Complaint).where(Complaint.received_at >= _midnight(start),
                                                             Complaint.received_at < _midnight(end))):
        row = row_of(complaint.department_id)
        row.complaints += 1
        row.complaints_question += complaint.question_id is not None
        row.complaints_answered += complaint.state == "answered"
        row.complaints_refused += complaint.state == "not_accepted"
        row.complaints_open += complaint.state in ("received", "accepted")
    ordered = sorted(rows.values(), key=lambda r: r.department_id)
    total = QaRow(None, "合计")
    for row in ordered:
        total.add(row)
    return QuarterReport(year, quarter, start, end, cutoff, clock.now(), ordered, total)


def dashboard_figures(session: Session) -> dict:
    """The current quarter at a glance (电子监察总览)."""
    year, quarter = current_quarter(clock.today())
    report = quarter_report(session, year, quarter)
    t = report.total
    return {"year": year, "quarter": quarter, "label": report.label, "received": t.received, "on_time": t.on_time,
            "answered": t.on_time + t.late, "unexplained": t.unexplained, "open_overdue": t.open_overdue,
            "on_time_rate": t.on_time_rate, "rate": display(t, "on_time_rate")}


def display(row: QaRow, key: str) -> str:
    value = getattr(row, key)
    if value is None:
        return "—"
    if key == "on_time_rate":
        return f"{value * 100:.1f}%"
    if key == "average_days":
        return f"{value:.1f}"
    return str(value)


def summary(report: QuarterReport) -> str:
    """The 通报's paragraph on the totals."""
    t = report.total
    return (f"{report.label}，各单位共受理在线咨询 {t.received} 件，按时答复 {t.on_time} 件、逾期答复 {t.late} 件，"
            f"按时答复率 {display(t, 'on_time_rate')}；转政府办 {t.forwarded} 件，政府办转发处理 {t.dispatched} 件；"
            f"尚在办理 {t.open} 件，其中截至{report.cutoff.month}月{report.cutoff.day}日已逾期 {t.open_overdue} 件。"
            f"逾期（含逾期转发 {t.forward_late} 件）已作说明 {t.explained} 件、未作说明 {t.unexplained} 件。"
            f"收到投诉 {t.complaints} 件（其中涉及咨询答复 {t.complaints_question} 件），已答复 {t.complaints_answered} 件、"
            f"不予受理 {t.complaints_refused} 件、正在处理 {t.complaints_open} 件。")


def title(report: QuarterReport) -> str:
    return f"关于{report.period}在线解答工作情况的通报"


def intro(report: QuarterReport) -> str:
    so_far = f"；截至{chinese_date(report.cutoff)}，本季度尚未结束" if report.ongoing else ""
    return (f"根据{ARTICLE_9}“各行政机关受理提问及办结回复情况每季度通报一次”的规定，现将{report.label}"
            f"（{chinese_date(report.start)}至{chinese_date(report.last_day)}{so_far}）在线解答工作情况通报如下。")


def accountability(report: QuarterReport) -> str:
    names = report.unexplained_departments
    if not names:
        return ACCOUNTABILITY + "。本季度没有逾期未说明的情况。"
    listed = "、".join(f"{name}（{n} 件）" for name, n in names)
    return f"{ACCOUNTABILITY}。本季度逾期未说明的单位：{listed}，请于收到本通报后说明情况并整改。"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- the Excel export ---------------------------------------------------------------------------

def to_excel(report: QuarterReport, path_or_buffer) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "在线解答通报"
    columns = report.columns
    ws.append([safe_cell(f"{report.period}在线解答情况通报")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["单位"] + [label for _, label in columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in [*report.rows, report.total]:
        ws.append([safe_cell(v) for v in [row.label] + [getattr(row, key) for key, _ in columns]])
    last = ws.max_row
    for cell in ws[last]:
        cell.font = Font(bold=True)
    for index, (key, _) in enumerate(columns, start=2):
        for (cell,) in ws.iter_rows(min_row=3, max_row=last, min_col=index, max_col=index):
            if key == "on_time_rate" and isinstance(cell.value, float):
                cell.number_format = "0.0%"
            elif key == "average_days" and isinstance(cell.value, float):
                cell.number_format = "0.0"
    ws.append([])
    ws.append([safe_cell(f"统计期：{chinese_date(report.start)}至{chinese_date(report.last_day)}{report.note}；"
                         f"统计截止日：{chinese_date(report.cutoff)}；制表时间："
                         f"{report.made_at.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}。依据：{ARTICLE_9}。")])
    ws.append(["统计口径："])
    for line in DEFINITIONS:
        ws.append([safe_cell(line)])
    ws.column_dimensions["A"].width = 30
    wb.save(path_or_buffer)


# --- the 通报 as a Word document -----------------------------------------------------------------


def to_docx(report: QuarterReport, issuer: str, issued: date, path_or_buffer) -> None:
    """The printable 通报 as .docx (A4): the same texts and table as the HTML page."""
    doc, para = new_document(15)

    para(title(report), size=21, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para("各有关单位：", indent=False)
    para(intro(report))
    para(summary(report))
    para(f"{report.period}各单位在线解答情况统计表", size=12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    columns = report.columns
    grid = doc.add_table(rows=0, cols=len(columns) + 1)
    grid.style = "Table Grid"
    for values in [["单位"] + [label for _, label in columns],
                   *([row.label] + [display(row, key) for key, _ in columns] for row in [*report.rows, report.total])]:
        for i, (cell, text) in enumerate(zip(grid.add_row().cells, values)):
            cell.width = Mm(26) if i == 0 else Mm(148 / len(columns))
            cell.paragraphs[0].add_run(plain(text)).font.size = Pt(7.5)
    para(accountability(report))
    para("统计口径：", indent=False)
    for n, line in enumerate(DEFINITIONS, 1):
        para(f"{n}. {line}", size=10.5, indent=False)
    para(issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(chinese_date(issued), align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.core_properties.title, doc.core_properties.author = plain(title(report)), plain(issuer)
    doc.save(path_or_buffer)
