"""Legal time (法定期限): every case deadline computed by one rule from the facts the law names —
the start day and why, the period and its unit, the paused intervals that do not count, the
approved extensions — and explained in those terms.

The deadline is never patched in place: each command that changes a fact recomputes it with
:func:`refresh_case`, so a later holiday declaration, a pause ending in a new year or an approved
extension all give the same answer as computing from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .calendar import ROLL_OVER_BASIS, WorkCalendar, provisional_text
from .models import Case, CaseExtension, CasePause, CaseTask, ItemVersion, User

START_EXCLUDED = "《中华人民共和国民法典》第二百零一条"  # 开始的当日不计入，自下一日开始计算
WORKDAYS_BASIS = "《中华人民共和国行政许可法》第八十二条"  # 期限以工作日计算，不含法定节假日
UNITS = {"workday": "个工作日", "day": "日（自然日）"}
PAUSE_NAMES = {"correction": "补正", "special": "特别程序", "returned": "退回申请人", "consultation": "征求第三方意见",
               "fee": "待缴纳信息处理费"}

# why the period starts when it does: (label, article)
BASES = {
    "acceptance": ("受理之日", "《中华人民共和国行政许可法》第四十二条第一款"),
    "deemed_receipt": ("收到申请材料之日（逾期未告知补正，视为受理）",
                       "《中华人民共和国行政许可法》第三十二条第一款第（四）项"),
    "receipt": ("收到申请之日", "《中华人民共和国政府信息公开条例》第三十一条、第三十三条第二款"),
    "corrected_receipt": ("收到补正后申请之日", "《中华人民共和国政府信息公开条例》第三十条"),
    "filing": ("立案之日", "《中华人民共和国行政处罚法》第六十条"),
    # 主动公开: 15 working days from the information's making or change (seed 001, stricter than the
    # 条例's 20 of art. 26, which it may be: "法律、法规对政府信息公开的期限另有规定的，从其规定")
    "made": ("政府信息形成或者变更之日", "《德宏州政府信息主动公开和依申请公开制度（试行）》第十二条"),
}
EXTENSION_BASIS = {
    "01": "《中华人民共和国行政许可法》第四十二条第一款（经本行政机关负责人批准，可以延长十日，并将延长期限的理由告知申请人）",
    "02": "《市场监督管理行政处罚程序规定》第六十四条（经负责人批准可延长三十日；仍需延长的，由负责人集体讨论决定）",
    "receipt": "《中华人民共和国政府信息公开条例》第三十三条第二款（经政府信息公开工作机构负责人同意，延长不得超过二十个工作日）",
}
SPECIAL_BASIS = "《中华人民共和国行政许可法》第四十五条"
CORRECTION_RESTART = "《中华人民共和国政府信息公开条例》第三十条"
# 主动公开 within 15 working days: a local rule stricter than the 条例's 20 (art. 26), not a statutory period
MADE_PERIOD = ("《德宏州政府信息主动公开和依申请公开制度（试行）》第十二条规定的公开时限（严于《中华人民共和国政府信息公开条例》"
               "第二十六条规定的20个工作日）")


@dataclass
class PauseLine:
    kind: str
    reason: str
    start: date
    end: date | None
    days: int  # counted days (0 while open or when the pause does not stop the clock)
    stops_clock: bool
    provisional: bool
    unit: str = "day"
    restarts: bool = False  # a 补正 after which the period starts again (政府信息公开条例 art. 30)

    @property
    def text(self) -> str:
        return self.said(public=False)

    def said(self, public: bool) -> str:
        """The line; as the applicant reads it, a third party consulted is not named (条例 art. 32)."""
        name = PAUSE_NAMES.get(self.kind, self.kind)
        why = "" if public and self.kind == "consultation" else f"（{self.reason}）"
        if self.end is None:
            if self.restarts:
                return f"{name}：自 {self.start} 起等待补正，收到补正后的申请之日起重新计算期限（{CORRECTION_RESTART}）{why}"
            return f"{name}：自 {self.start} 起暂停中，恢复后顺延{why}"
        if not self.stops_clock:
            return f"{name}：{self.start} 至 {self.end}，依法不停止计时{why}"
        mark = "（预计）" if self.provisional else ""
        return f"{name}：{self.start} 至 {self.end}，不计入期限，顺延 {self.days} {UNITS.get(self.unit, '天')}{mark}{why}"


@dataclass
class ExtensionLine:
    days: int
    reason: str
    approver: str
    state: str
    decided_at: datetime | None
    collective: bool
    unit: str = "day"

    @property
    def _period(self) -> str:
        return f"延期 {self.days} {UNITS.get(self.unit, '天')}"

    @property
    def _why(self) -> str:
        return f"（{self.reason.rstrip('。')}）"

    @property
    def text(self) -> str:
        who = f"{self.approver}{'（集体讨论决定）' if self.collective else ''}"
        if self.state == "approved":
            return f"{self._period}：{who}于 {clock.local_date(self.decided_at)} 批准{self._why}"
        if self.state == "requested":
            return f"{self._period}：待 {who} 审批，批准前不改变期限{self._why}"
        return f"{self._period}：{who} 未批准{self._why}"

    @property
    def public_text(self) -> str | None:
        """As the applicant reads it (结果反馈): an approved extension, without who approved it."""
        if self.state != "approved":
            return None
        return f"{self._period}：经批准于 {clock.local_date(self.decided_at)} 延长{self._why}"


@dataclass
class Deadline:
    """A case deadline and everything that explains it."""

    due: date
    start: date
    basis: str
    days: int
    unit: str
    article: str
    pauses: list[PauseLine] = field(default_factory=list)
    extensions: list[ExtensionLine] = field(default_factory=list)
    crossed: list[tuple[date, str, bool]] = field(default_factory=list)
    rolled_from: date | None = None
    provisional: str | None = None
    extension_basis: str | None = None
    workdays_basis: str | None = None  # the article that says the period's days are working days

    @property
    def counted_days(self) -> int:
        return self.days + sum(e.days for e in self.extensions if e.state == "approved")

    def lines(self, public: bool = False) -> list[str]:
        """The explanation line by line; ``public``: as the applicant reads it (no staff names, no
        extension that was asked for and not granted)."""
        label, start_article = BASES.get(self.basis, (self.basis, ""))
        out = [f"起算：{label} {self.start}（{start_article}），当日不计入，自次日起算（{START_EXCLUDED}）。",
               f"期限：{self.days} {UNITS.get(self.unit, self.unit)}（{self.article}）"
               + (f"，不含法定节假日（{self.workdays_basis}）。" if self.unit == "workday" and self.workdays_basis
                  else "。")]
        for line in self.extensions:
            text = line.public_text if public else line.text
            if text is not None:
                out.append(text + (f"；依据{self.extension_basis}。" if self.extension_basis and line.state == "approved"
                                   else "。"))
        for line in self.pauses:
            out.append(line.said(public) + "。")
        for day, name, workday in self.crossed:
            said = ("计入" if "调休" in name else "调休上班，计入") if workday else "休息，不计入"
            out.append(f"经过 {day}（{name}，{said}）。" if self.unit == "workday" else f"经过 {day}（{name}）。")
        if self.rolled_from:
            out.append(f"期间最后一日 {self.rolled_from} 为休息日，顺延至其后第一个工作日（{ROLL_OVER_BASIS}）。")
        if any(p.restarts and p.end is None for p in self.pauses):
            out.append(f"届满：自收到补正后的申请之日起重新计算 {self.days} {UNITS.get(self.unit, '天')}（{CORRECTION_RESTART}）。")
        else:
            out.append(f"届满：{self.due}" + (f"（预计：{self.provisional}）。" if self.provisional else "。"))
        return out

    def as_dict(self) -> dict:
        label, start_article = BASES.get(self.basis, (self.basis, ""))
        return {
            "due": self.due.isoformat(), "provisional": self.provisional,
            "start": {"day": self.start.isoformat(), "basis": self.basis, "label": label, "article": start_article},
            "period": {"days": self.days, "unit": self.unit, "article": self.article},
            "extensions": [{"days": e.days, "reason": e.reason, "approver": e.approver, "state": e.state,
                            "collective": e.collective,
                            "decided_on": clock.local_date(e.decided_at).isoformat() if e.decided_at else None}
                           for e in self.extensions],
            "pauses": [{"kind": p.kind, "reason": p.reason, "from": p.start.isoformat(),
                        "to": p.end.isoformat() if p.end else None, "days": p.days, "stops_clock": p.stops_clock,
                        "provisional": p.provisional} for p in self.pauses],
            "crossed": [{"day": d.isoformat(), "name": n, "workday": w} for d, n, w in self.crossed],
            "rolled_from": self.rolled_from.isoformat() if self.rolled_from else None,
            "lines": self.lines(),
        }


def period_article(version: ItemVersion, basis: str) -> str:
    """The article that sets the period: the item's own legal basis first, then the law of the start."""
    for entry in version.legal_basis or []:
        if entry.get("title") and entry.get("article"):
            unit = UNITS.get(version.limit_unit, "天").replace("（自然日）", "")
            return f"《{entry['title'].strip('《》')}》{entry['article']}；法定期限 {version.legal_limit} {unit}"
    return BASES.get(basis, ("", "事项设定的承诺期限"))[1]


def counted_pauses(calendar: WorkCalendar, pauses: list[CasePause], start: date, unit: str) -> list[PauseLine]:
    """The pauses inside the period: each counts its true length in the period's unit (a pause in a
    year not yet entered counts provisionally)."""
    lines = []
    for p in sorted(pauses, key=lambda p: p.started_at):
        begin = clock.local_date(p.started_at)
        end = clock.local_date(p.ended_at) if p.ended_at else None
        if end is not None and end <= start:
            continue  # before the period began (e.g. 补正 before acceptance)
        begin = max(begin, start)
        days = calendar.period_between(begin, end, unit) if end is not None and p.stops_clock else 0
        provisional = bool(end and calendar.provisional_years(begin, end))
        lines.append(PauseLine(p.kind, p.reason, begin, end, days, p.stops_clock, provisional, unit))
    return lines


def compute(calendar: WorkCalendar, case: Case, version: ItemVersion, pauses: list[CasePause],
            extensions: list[CaseExtension], users: dict[int, str]) -> Deadline | None:
    """The case deadline from its facts, or None while the period has not started."""
    if case.clock_start is None:
        return None
    unit, start = case.limit_unit, case.clock_start
    pause_lines = counted_pauses(calendar, pauses, start, unit)
    if case.clock_basis in ("receipt", "corrected_receipt"):
        for line in pause_lines:
            line.restarts = line.kind == "correction"
    ext_lines = [ExtensionLine(e.days, e.reason, users.get(e.approver_id, ""), e.state, e.decided_at, e.collective, unit)
                 for e in sorted(extensions, key=lambda e: e.requested_at)]
    total = case.limit_days + sum(e.days for e in ext_lines if e.state == "approved") + sum(p.days for p in pause_lines)
    due = calendar.add_period(start, total, unit)
    rolled = None
    if unit == "day" and total > 0:
        raw = date.fromordinal(start.toordinal() + total)
        rolled = raw if raw != due else None
    years = set(calendar.provisional_years(start, due))
    years.update(y for p in pause_lines if p.provisional and p.end for y in calendar.provisional_years(p.start, p.end))
    ext_basis = EXTENSION_BASIS.get("receipt" if case.clock_basis in ("receipt", "corrected_receipt")
                                    else version.category)
    article = (MADE_PERIOD if case.clock_basis == "made" else period_article(version, case.clock_basis or "acceptance"))
    return Deadline(due=due, start=start, basis=case.clock_basis or "acceptance", days=case.limit_days, unit=unit,
                    article=article, pauses=pause_lines,
                    extensions=ext_lines, crossed=calendar.crossed(start, due), rolled_from=rolled,
                    provisional=provisional_text(years) if years else None, extension_basis=ext_basis,
                    workdays_basis=WORKDAYS_BASIS if version.category == "01" else None)


def explain(session: Session, calendar: WorkCalendar, case: Case) -> Deadline | None:
    if case.clock_start is None:
        return None
    with session.no_autoflush:  # called mid-command: the facts changed in it are in the identity map
        pauses = list(session.scalars(select(CasePause).where(CasePause.case_id == case.id)))
        extensions = list(session.scalars(select(CaseExtension).where(CaseExtension.case_id == case.id)))
        ids = {e.approver_id for e in extensions}
        users = {i: n for i, n in session.execute(select(User.id, User.name).where(User.id.in_(ids)))} if ids else {}
    return compute(calendar, case, session.get(ItemVersion, case.item_version_id), pauses, extensions, users)


def refresh_case(session: Session, calendar: WorkCalendar, case: Case) -> Deadline | None:
    """Recompute and store the case deadline and whether it is provisional."""
    result = explain(session, calendar, case)
    if result is None:
        case.deadline, case.deadline_provisional = None, None
    else:
        case.deadline, case.deadline_provisional = result.due, result.provisional
    return result


def start_clock(case: Case, day: date, basis: str) -> None:
    case.clock_start, case.clock_basis = day, basis


def task_due(calendar: WorkCalendar, task: CaseTask, pauses: list[CasePause]) -> tuple[date, bool]:
    """A step's due date: its time limit from the day it began (or from the day its period began,
    when a layer set one: a question's turn in a department counts from its arrival, whatever step
    it is at), moved on by the clock-stopping pauses that ended while it was open (a 0-working-day
    step begun on a rest day is due on the next working day); and whether that is provisional."""
    begin = task.period_start or clock.local_date(task.created_at)
    lines = [p for p in counted_pauses(calendar, pauses, begin, task.limit_unit)
             if p.end is not None and p.start >= begin]
    days = task.time_limit + sum(p.days for p in lines)
    if days == 0 and task.limit_unit == "workday" and not calendar.is_workday(begin):
        days = 1  # 当场办结 of something that arrived on a rest day (an online application): the next working day
    due = calendar.add_period(begin, days, task.limit_unit)
    provisional = bool(calendar.provisional_years(begin, due)) or any(p.provisional for p in lines)
    return due, provisional


def refresh_task(calendar: WorkCalendar, task: CaseTask, pauses: list[CasePause]) -> None:
    task.due_date, task.due_provisional = task_due(calendar, task, pauses)
