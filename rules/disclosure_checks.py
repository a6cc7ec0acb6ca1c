"""政府信息公开 watched by the supervision office:

- 主动公开 within 15 working days of an information's making or change (seed 001 制度 art. 12).
  Each publication runs as a case whose deadline is that 15th working day, so the catalogue's case
  rules (A003 办件用时达到承诺时限比例预警, A004 办件超期报警) already watch it like any case; this
  module lists the publications still open that are past or near the day, those alerts, and the
  number of entries each body published late in a year.
- 年度报告 published in time (seed 001 《德宏州政府信息公开工作年度报告制度（试行）》第三条): a
  county government's report by 2月20日; its departments' by 1月31日, as the 条例 (2019) art. 49
  requires (stricter than the seed's end of February). Art. 4's 备案 is done on paper and not
  recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.models import Case, Department, InfoEntry, InfoReportText, ItemVersion

from .disclosure_report import is_government, owner_name
from .models import Alert

NEAR_DAYS = 3  # working days before the 15th: "near"
PUBLISH_LIMIT_ARTICLE = "《德宏州政府信息主动公开和依申请公开制度（试行）》第十二条"
REPORT_ARTICLE = "《德宏州政府信息公开工作年度报告制度（试行）》第三条"
FILING_ARTICLE = "《德宏州政府信息公开工作年度报告制度（试行）》第四条"
GOVERNMENT_DUE = (2, 20)  # 县市政府信息公开工作年度报告应当于每年2月20日前向社会公布
CASE_RULE_TYPES = ("case_warning", "case_overdue")  # A003, A004 in the shipped catalogue


# --- 主动公开 ---------------------------------------------------------------------------------------

@dataclass
class PendingPublication:
    entry: InfoEntry
    case: Case
    deadline: date
    days_left: int  # working days from today to the deadline; negative: that many past it

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def status(self) -> str:
        if self.overdue:
            return f"已超期 {-self.days_left} 个工作日"
        return "今天到期" if self.days_left == 0 else f"剩余 {self.days_left} 个工作日"


def pending_publications(session: Session, near: int = NEAR_DAYS) -> list[PendingPublication]:
    """Publications not yet published whose case is open and whose 15th working day is past or at
    most ``near`` working days away, the most urgent first."""
    today = clock.today()
    cal = load_calendar(session)
    horizon = cal.add_workdays(today, near)
    rows = session.execute(select(InfoEntry, Case).join(Case, Case.id == InfoEntry.case_id).where(
        InfoEntry.state.in_(("draft", "reviewing")), Case.state.in_(("received", "accepted")),
        Case.deadline.is_not(None), Case.deadline <= horizon).order_by(Case.deadline, InfoEntry.id)).all()
    found = []
    for entry, case in rows:
        if case.deadline >= today:
            left = cal.workdays_between(today, case.deadline)
        else:
            left = -cal.workdays_between(case.deadline, today)
        found.append(PendingPublication(entry, case, case.deadline, left))
    return found


@dataclass
class LateCount:
    department: Department
    published: int
    late: int


def _bounds(year: int) -> tuple[datetime, datetime]:
    return (datetime.combine(date(year, 1, 1), time.min, clock.LOCAL_TZ),
            datetime.combine(date(year + 1, 1, 1), time.min, clock.LOCAL_TZ))


def late_by_body(session: Session, year: int) -> list[LateCount]:
    """Per body: entries published through the flow in the year, and how many after their 15 days."""
    start, end = _bounds(year)
    counts = {d.id: LateCount(d, 0, 0) for d in gk.bodies(session)}
    for entry in session.scalars(select(InfoEntry).where(InfoEntry.case_id.is_not(None), InfoEntry.published_at >= start,
                                                         InfoEntry.published_at < end)):
        row = counts.get(entry.department_id)
        if row is None:
            continue
        row.published += 1
        row.late += publish.late(session, entry)
    return list(counts.values())


def _publication_alerts(stmt):
    """Open alerts of the case rules (A003 warning, A004 alarm …) on publication cases. An alert carries
    its case's item, so the publication items narrow it first: the open alerts of those items, from
    the (state, item_id) index, not a walk of every alert by date."""
    return (stmt.join(Case, Case.id == Alert.case_id).join(ItemVersion, ItemVersion.id == Case.item_version_id)
            .where(ItemVersion.process_key == publish.PROCESS_KEY, Alert.state.in_(("open", "acknowledged", "supervising")),
                   Alert.item_id.in_(select(ItemVersion.item_id).where(ItemVersion.process_key == publish.PROCESS_KEY))))


def publication_alerts(session: Session, limit: int = 100) -> list[Alert]:
    return list(session.scalars(_publication_alerts(select(Alert))
                                .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def publication_alert_count(session: Session) -> int:
    return session.scalar(_publication_alerts(select(func.count()).select_from(Alert)))


# --- the annual report's deadline -----------------------------------------------------------------

REPORT_STATES = {"published": "已按时公布", "published_late": "逾期公布", "due": "待公布", "overdue": "逾期未公布",
                 "running": "年度尚未结束"}


@dataclass
class ReportDue:
    department: Department
    owner: str
    year: int
    due: date
    published_at: datetime | None
    state: str
    rule: str  # the words of art. 3 that set the day

    @property
    def state_label(self) -> str:
        return REPORT_STATES[self.state]


def report_due_date(dept: Department, year: int) -> tuple[date, str]:
    """The day the report on ``year`` must be public (art. 3): 2月20日 for a county government, the
    end of February for its departments."""
    following = year + 1
    if is_government(dept):
        return date(following, *GOVERNMENT_DUE), "县市政府信息公开工作年度报告应当于每年2月20日前向社会公布"
    # seed 001 says the end of February; the 条例 (2019) art. 49 is stricter and governs: 1月31日
    return date(following, 1, 31), ("县级以上人民政府部门应当在每年1月31日前提交并向社会公布上一年度政府信息公开工作年度报告"
                                     "（《中华人民共和国政府信息公开条例》第四十九条，严于德宏州年度报告制度第三条的2月底）")


def report_deadlines(session: Session, year: int) -> list[ReportDue]:
    """Each body's report on ``year``: due, overdue or published (on time or late)."""
    today = clock.today()
    texts = {t.department_id: t for t in session.scalars(select(InfoReportText).where(InfoReportText.year == year))}
    rows = []
    for dept in gk.bodies(session):
        due, rule = report_due_date(dept, year)
        text = texts.get(dept.id)
        published = text.published_at if text is not None else None
        if published is not None:
            state = "published" if clock.local_date(published) <= due else "published_late"
        elif today <= date(year, 12, 31):
            state = "running"
        else:
            state = "due" if today <= due else "overdue"
        rows.append(ReportDue(dept, owner_name(dept), year, due, published, state, rule))
    return rows
