"""The demo county's 政府信息公开 (webapp/demo/disclosure.py): every body's 指南, and a year of
publications and requests driven through the real commands, such that the 2026 annual report of
the county government's office (县人民政府办公室) fills every row of the national template.

The history runs up to a fixed day (2026-11-30), so what it makes does not depend on the day the
tests run. Everything is loaded once and checked in one test: the other tests' clean-up empties
the case tables after each test."""

from __future__ import annotations

import importlib.util
from datetime import date, datetime

import pytest
from sqlalchemy import delete, select

from engine import clock
from engine.disclosure import codes, publish
from engine.disclosure import service as gk
from engine.models import (
    Case,
    CaseEvent,
    CaseExtension,
    CasePause,
    CaseTask,
    Department,
    InfoAppeal,
    InfoEntry,
    InfoGuide,
    InfoReportText,
    InfoRequest,
    User,
)
from webapp.demo.disclosure import DisclosureResult, load_disclosure, load_guides, report_year

UNTIL = date(2026, 11, 30)
YEAR = 2026


@pytest.fixture
def demo(database):
    """The guides and the history, loaded once; what the case clean-up leaves is removed after."""
    with database.transaction() as s:
        had_guides = set(s.scalars(select(InfoGuide.department_id)))
        had_texts = {tuple(row) for row in s.execute(select(InfoReportText.department_id, InfoReportText.year))}
        load_guides(s)
    result = load_disclosure(database, seed=2026, until=UNTIL)
    yield result
    with database.transaction() as s:
        s.execute(delete(InfoGuide).where(InfoGuide.department_id.not_in(had_guides)))
        for row in s.scalars(select(InfoReportText)):
            if (row.department_id, row.year) not in had_texts:
                s.delete(row)


def _local_year(moment) -> int | None:
    return clock.local_date(moment).year if moment is not None else None


def test_demo_disclosure_fills_the_annual_report(database, demo):
    assert report_year(date(2026, 11, 29)) == 2026 and report_year(date(2027, 3, 1)) == 2026
    assert demo.publications >= 55 and demo.published >= 50
    assert 40 <= demo.requests <= 60 and demo.answered >= 35 and demo.appeals >= 5
    with database.transaction(write=False) as s:
        codes_of = {d.id: d.code for d in s.scalars(select(Department))}
        zfb = next(i for i, c in codes_of.items() if c == "zfb")
        _guides(s)
        _requests(s, zfb, codes_of)
        _publications(s, codes_of)
        _appeals_and_texts(s, zfb, codes_of)
        _report(s, zfb)
    # once per database: a second run makes nothing
    assert load_disclosure(database, until=UNTIL) == DisclosureResult()
    with database.transaction() as s:
        assert load_guides(s) == 0


def _guides(s) -> None:
    """条例 art. 12: each body's 指南 says who receives requests, where, when, how, and the periods."""
    bodies = gk.bodies(s)
    assert {d.code for d in bodies} >= {"zfb", "scjgj", "wsjkj", "zjj", "zrzyj", "rsj"}
    for body in bodies:
        guide = s.get(InfoGuide, body.id)
        assert guide.phone == body.phone and guide.office.startswith(body.name)
        assert guide.email.endswith("@yangguang.example.cn") and guide.postcode == "677600"
        assert "8:30" in guide.hours and "法定节假日除外" in guide.hours
        for words in ("15个工作日", "20个工作日", "补正", "第三方", "不计算在答复期限内", "《政府信息公开信息处理费管理办法》",
                      "行政复议", "行政诉讼", "电子邮件", "信函", "传真", "网站"):
            assert words in guide.text, (body.code, words)


def _requests(s, zfb: int, codes_of: dict[int, str]) -> None:
    requests = list(s.scalars(select(InfoRequest)))
    closing = {e.case_id: e for e in s.scalars(select(CaseEvent).where(CaseEvent.action.in_(("withdraw", "lapse", "info_fee_lapsed"))))}
    # the office's requests concluded in the report year: every answer type, every ground of withholding
    answered = [r for r in requests if r.department_id == zfb and _local_year(r.answered_at) == YEAR
                and r.case.state == "finished"]
    assert {r.answer_type for r in answered} == set(codes.ANSWER_TYPES)
    assert {r.ground for r in answered if r.answer_type == "withheld"} == set(codes.WITHHOLD_GROUNDS)
    assert all(r.delivered_at is not None and r.answer_text for r in answered)
    closed = [r for r in requests if r.department_id == zfb and r.answered_at is None and not r.case.is_open
              and _local_year(r.case.finished_at) == YEAR]
    lapsed = [r for r in closed if r.case.result == "视为放弃申请"]
    assert lapsed and all(closing[r.case_id].action == "lapse" and closing[r.case_id].actor_id is None for r in lapsed)
    for r in lapsed:  # closed by the scheduler the day after the period, not before
        pause = s.scalars(select(CasePause).where(CasePause.case_id == r.case_id, CasePause.kind == "correction")).one()
        assert pause.due_date < clock.local_date(r.case.finished_at)
    unpaid = [r for r in closed if r.case.result == gk.FEE_LAPSED]  # 收费通知 not paid in 20 working days
    assert unpaid and all(closing[r.case_id].action == "info_fee_lapsed" and closing[r.case_id].actor_id is None
                          for r in unpaid)
    assert [r for r in closed if r not in lapsed and r not in unpaid and "撤回" in closing[r.case_id].reason]
    # 上年结转 and 结转下年度
    assert [r for r in answered if _local_year(r.received_at) == YEAR - 1]
    still_open = [r for r in requests if r.case.is_open]
    assert len(still_open) >= 3 and {r.case.pause_kind for r in still_open} >= {"correction", "consultation"}
    # how they came and who asked
    assert {r.channel for r in requests} == set(codes.CHANNELS)
    assert {r.requester_kind for r in requests} == set(codes.REQUESTER_KINDS)
    assert len({codes_of[r.department_id] for r in requests}) >= 4
    # 补正 supplied (period restarts), third parties (objected, agreed, silent), two bodies, +20, fees
    assert [r for r in requests if r.corrections and r.case.clock_basis == "corrected_receipt" and r.answered_at]
    outcomes = {c.outcome for r in requests for c in r.consultations}
    assert {"objected", "agreed", "no_reply"} <= outcomes
    overruled = [r for r in answered if r.answer_type == "disclosed" and any(c.outcome == "objected" for c in r.consultations)]
    assert overruled and "公共利益" in overruled[0].ground_detail
    assert [r for r in answered if len(r.bodies) >= 2 and len(r.assignments) == len(r.bodies)
            and all(a.agrees for a in r.assignments)]
    extended = s.scalars(select(CaseExtension).where(CaseExtension.state == "approved")).all()
    assert extended and all(e.days == 20 and s.get(User, e.approver_id).holds("approve", s.get(Case, e.case_id).department_id)
                            for e in extended)
    assert any(r.case_id == e.case_id for e in extended for r in answered)
    assert [r for r in requests if r.fee > 0 and r.fee_waived == r.fee and r.fee_basis]
    assert [r for r in requests if r.fee > 0 and r.fee_waived == 0]
    published = next(r for r in answered if r.answer_type == "published")
    assert "索引号" in published.published_where


def _publications(s, codes_of: dict[int, str]) -> None:
    entries = list(s.scalars(select(InfoEntry)))
    first = [e for e in entries if e.version == 1]
    assert len({codes_of[e.department_id] for e in first}) >= 4
    assert len({e.category for e in first}) >= 10 and len({e.theme for e in first}) >= 8
    out = [e for e in entries if e.state == "published" and e.current]
    assert len({e.index_no for e in out}) == len(out) and all(e.index_no for e in out)
    # 15 working days from 成文: most on time, some late
    late = [e for e in entries if e.published_at and publish.late(s, e)]
    assert late and len(late) < len([e for e in entries if e.published_at]) / 5
    # stopped at secrecy review, or by a third party's objection; published over one for the public interest
    stopped = [e for e in first if e.state == "abandoned"]
    assert any(not e.third_party for e in stopped) and any(e.third_party for e in stopped)
    opinions = {t.case_id: t.opinion for t in s.scalars(select(CaseTask).where(CaseTask.step_id == "third_party"))}
    assert any(e.state == "published" and "因公共利益决定公开" in opinions.get(e.case_id, "") for e in first)
    # versions: changed, withdrawn, a normative document abolished
    by_series: dict[str, list[InfoEntry]] = {}
    for e in entries:
        by_series.setdefault(e.series, []).append(e)
    changed = [vs for vs in by_series.values() if any(v.version == 2 and v.state == "published" and v.case_id for v in vs)]
    assert changed and all(v.change_reason for vs in changed for v in vs if v.version == 2)
    assert all(next(v for v in vs if v.version == 1).state == "superseded" for vs in changed)
    assert [e for e in entries if e.state == "withdrawn" and e.current and e.change_reason]
    abolished = [e for e in entries if e.abolished_on is not None]
    assert abolished and all(e.doc_kind == "normative" and e.current for e in abolished)
    normative = [e for e in first if e.doc_kind == "normative"]
    assert normative and all("〔" in e.doc_number and e.doc_number.endswith("号") for e in normative)


def _appeals_and_texts(s, zfb: int, codes_of: dict[int, str]) -> None:
    appeals = list(s.scalars(select(InfoAppeal)))
    mine = [a for a in appeals if a.department_id == zfb]
    assert {a.outcome for a in mine if a.kind == "review"} == {"upheld", "corrected", "pending"}
    assert any(a.kind.startswith("lawsuit") for a in mine)
    assert any(codes_of[a.department_id] != "zfb" for a in appeals)
    assert all(a.filed_on.year == YEAR and a.request_id and s.get(InfoRequest, a.request_id).department_id == a.department_id
               for a in appeals)
    assert all(a.reference for a in appeals if a.outcome != "pending")
    last, this = s.get(InfoReportText, (zfb, YEAR - 1)), s.get(InfoReportText, (zfb, YEAR))
    assert last.published_at is not None and this.published_at is None
    assert last.overview and last.problems and this.charges_amount is not None


def _report(s, zfb: int) -> None:
    """With the annual report in place (rules/disclosure_report.py): every result row non-zero."""
    if importlib.util.find_spec("rules.disclosure_report") is None:
        return
    from rules import disclosure_report

    with clock.frozen(datetime(2026, 11, 29, 18, tzinfo=clock.LOCAL_TZ)):  # the history's last day
        report = disclosure_report.compute(s, zfb, YEAR)
    for row, label in codes.REPORT_ROWS:
        assert report.n(row) > 0, label
    assert report.balanced
