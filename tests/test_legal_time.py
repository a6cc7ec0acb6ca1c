"""Periods start and end where the law says (issue "Legal time", item 4), each pinned with its
article; dates computed by hand from the 2026 calendar (holidays 10/1–10/7, make-up day 10/10)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import delete, select

from engine import calendar as workcal
from engine import clock
from engine.errors import InvalidInput, PermissionDenied
from engine.models import CalendarDay, CalendarYear, Case, CaseEvent, ItemVersion, User
from engine.service import (
    decide_extension,
    request_correction,
    request_extension,
    resume,
    start_case,
)
from engine.service.deadlines import recompute_all
from engine.service.lapses import due_lapses, lapse_correction
from tests.conftest import As
from tests.helpers import do, get_case, info_request, open_steps, task_id

FOOD, INFO, PENALTY = "015309300002", "205309300006", "025309300005"



def at(day: str, hour: int = 10):
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def _user_id(database, staff_no):
    with database.transaction(write=False) as s:
        return s.scalars(select(User.id).where(User.staff_no == staff_no)).one()


def test_licence_deemed_accepted_counts_from_receipt_art_32_4(run, database, frozen_clock, company):
    """行政许可法 art. 32(四): no 补正 notice within 5 working days → accepted from receipt (9/28)."""
    late = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    on_time = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    at("2026-10-10")  # the 5th working day after 9/28 (9/29, 9/30, 10/8, 10/9, 10/10 make-up Saturday)
    do(run, database, on_time.id, As("sc001"), "accept")
    at("2026-10-12")  # the 6th: too late to ask for 补正, so acceptance is deemed from receipt
    do(run, database, late.id, As("sc001"), "accept")
    c = get_case(database, late.id)
    assert (c.clock_basis, c.clock_start, c.deadline) == ("deemed_receipt", date(2026, 9, 28), date(2026, 10, 23))
    c = get_case(database, on_time.id)
    assert (c.clock_basis, c.clock_start, c.deadline) == ("acceptance", date(2026, 10, 10), date(2026, 10, 30))


def test_information_request_counts_from_receipt_art_33(run, database, frozen_clock, person):
    """政府信息公开条例 art. 33: 20 working days from receipt, before any acceptance step."""
    case = info_request(run, person)
    c = get_case(database, case.id)
    assert (c.clock_basis, c.clock_start, c.deadline) == ("receipt", date(2026, 9, 28), date(2026, 10, 30))


def test_information_request_after_correction_counts_from_the_corrected_request_art_30(run, database,
                                                                                      frozen_clock, person):
    """政府信息公开条例 art. 30: the period restarts when the corrected request is received."""
    case = info_request(run, person)
    at("2026-09-29")
    run(request_correction, case.id, As("zf002"), ["所需政府信息的名称、文号或者便于查询的其他特征性描述"])
    at("2026-10-12")
    run(resume, case.id, As("zf002"), "申请人已补正")
    c = get_case(database, case.id)
    # 20 working days after 10/12: 10/13–16, 10/19–23, 10/26–30, 11/2–6, 11/9
    assert (c.clock_basis, c.clock_start, c.deadline, c.paused_days) == (
        "corrected_receipt", date(2026, 10, 12), date(2026, 11, 9), 0)


def test_unanswered_correction_lapses_as_abandoned_art_30(run, database, frozen_clock, person):
    """政府信息公开条例 art. 30: no correction within the period → 视为放弃申请, on the scheduler."""
    case = info_request(run, person)
    at("2026-09-29")
    run(request_correction, case.id, As("zf002"), ["申请人身份证明"])
    with database.transaction(write=False) as s:
        version = s.get(ItemVersion, get_case(database, case.id).item_version_id)
        days = version.correction_answer_days
        due = workcal.load_calendar(s).add_workdays(date(2026, 9, 29), days)
    assert days > 0
    at(due.isoformat())
    with database.transaction(write=False) as s:
        assert due_lapses(s, clock.now()) == []  # the last day of the period is still the applicant's
    at(date.fromordinal(due.toordinal() + 1).isoformat())
    with database.transaction(write=False) as s:
        assert due_lapses(s, clock.now()) == [case.id]
    assert run(lapse_correction, case.id) is True
    c = get_case(database, case.id)
    assert (c.state, c.result) == ("withdrawn", "视为放弃申请")
    with database.transaction(write=False) as s:
        event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "lapse")).one()
    assert "第三十条" in event.reason and str(due) in event.reason


def test_correction_after_acceptance_does_not_stop_a_licence_clock_art_32(run, database, frozen_clock, company):
    """行政许可法 arts. 32 and 42: 补正 belongs before acceptance; afterwards the clock runs on unless
    the item's own law says it stops (an item setting with its article)."""
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept")
    assert get_case(database, case.id).deadline == date(2026, 10, 23)
    at("2026-09-30")
    run(request_correction, case.id, As("sc003"), ["营业执照副本复印件"])
    c = get_case(database, case.id)
    assert c.pause_kind is None  # recorded, but the clock runs and the work goes on
    do(run, database, case.id, As("sc003"), "review")
    at("2026-10-12")
    run(resume, case.id, As("sc005"), "材料已补正")
    assert get_case(database, case.id).deadline == date(2026, 10, 23)


def test_correction_after_acceptance_stops_the_clock_where_the_item_law_says(run, database, frozen_clock,
                                                                            company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    version_id = get_case(database, case.id).item_version_id
    with database.transaction() as s:
        s.get(ItemVersion, version_id).correction_stops_clock_basis = "《食品经营许可管理办法》第十六条（测试）"
    try:
        do(run, database, case.id, As("sc001"), "accept")
        at("2026-09-30")
        run(request_correction, case.id, As("sc003"), ["营业执照副本复印件"])
        assert get_case(database, case.id).pause_kind == "correction"
        at("2026-10-12")  # 9/30 → 10/12: 10/8, 10/9, 10/10, 10/12 = 4 working days
        run(resume, case.id, As("sc003"), "材料已补正")
        c = get_case(database, case.id)
        assert (c.paused_days, c.deadline) == (4, date(2026, 10, 29))
    finally:
        with database.transaction() as s:
            s.get(ItemVersion, version_id).correction_stops_clock_basis = None


def test_extension_moves_nothing_until_the_named_approver_approves_art_42(run, database, frozen_clock, company):
    """行政许可法 art. 42: +10 with the head's approval, the applicant told the reason."""
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept")
    ext = run(request_extension, case.id, As("sc003"), 10, _user_id(database, "sc006"), "需组织专家论证布局")
    assert get_case(database, case.id).deadline == date(2026, 10, 23)
    for intruder in ("sc003", "sc005", "ws004"):  # the requester, a colleague, another department's head
        with pytest.raises(PermissionDenied):
            run(decide_extension, ext.id, As(intruder), True, "同意")
    assert get_case(database, case.id).deadline == date(2026, 10, 23)
    with pytest.raises(InvalidInput, match="理由"):
        run(decide_extension, ext.id, As("sc006"), False, "")
    run(decide_extension, ext.id, As("sc006"), True, "同意延长")
    c = get_case(database, case.id)
    assert (c.extended_days, c.deadline) == (10, date(2026, 11, 6))  # 25 working days from 9/28
    with database.transaction(write=False) as s:
        event = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "extend")).one()
    assert event.detail["approver"] == "杨帆" and event.detail["to"] == "2026-11-06"


def test_penalty_extension_30_days_then_only_by_collective_decision(run, database, frozen_clock):
    """行政处罚法 art. 60 (90 days from 立案); 市场监管行政处罚程序规定 art. 64: +30 with the head's
    approval, longer only by the heads' collective decision, with its record."""
    from engine.service import Applicant

    party = Applicant(name="阳光县某超市", type="5", cert_type="001", cert_number="92530930MA6N8X0Q3X")
    case = run(start_case, PENALTY, party, As("sc006"), subject="对阳光县某超市涉嫌销售过期食品立案调查")
    do(run, database, case.id, As("sc006"), "file")
    c = get_case(database, case.id)
    assert (c.clock_basis, c.deadline) == ("filing", date(2026, 12, 28))  # 12/27 is a Sunday
    step = open_steps(database, case.id)[0]
    assert task_id(database, case.id, step)
    with pytest.raises(InvalidInput, match="集体讨论"):
        run(request_extension, case.id, As("sc003"), 31, _user_id(database, "sc006"), "案情复杂")
    ext = run(request_extension, case.id, As("sc003"), 30, _user_id(database, "sc006"), "案情复杂，需委托检验")
    run(decide_extension, ext.id, As("sc006"), True, "同意")
    c = get_case(database, case.id)
    # 120 days from 9/28 is Tuesday 2027-01-26, in a year not yet entered: 预计
    assert c.deadline == date(2027, 1, 26) and c.deadline_provisional.startswith("2027 年放假安排尚未录入")
    ext = run(request_extension, case.id, As("sc003"), 15, _user_id(database, "sc006"), "需要补充鉴定",
              "2026年10月9日局务会集体讨论，同意再延长十五日")
    assert ext.collective
    run(decide_extension, ext.id, As("sc006"), True, "按集体讨论决定办理")
    assert get_case(database, case.id).deadline == date(2027, 2, 11)


@pytest.fixture
def no_2027(database):
    yield
    with database.transaction() as s:
        s.execute(delete(CalendarDay).where(CalendarDay.day >= date(2027, 1, 1)))
        s.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
    workcal.invalidate_cache()


def test_provisional_deadline_becomes_definite_when_the_year_is_entered(run, database, person, no_2027):
    """A deadline in a year not yet entered is 预计; entering the year recomputes it, with an audit event."""
    with clock.frozen(datetime(2026, 12, 10, 9, 0, tzinfo=clock.LOCAL_TZ)):
        case = info_request(run, person)
    c = get_case(database, case.id)
    # 20 working days after 12/10: 12/11, 12/14–18, 12/21–25, 12/28–31, (1/1 元旦) 1/4–1/8
    assert c.deadline == date(2027, 1, 8) and "2027 年放假安排尚未录入" in c.deadline_provisional
    with database.transaction() as s:  # a notice that also gives 1/4 off and makes Saturday 1/9 a working day
        workcal.declare_year(s, 2027, {date(2027, 1, d): "元旦" for d in (1, 2, 3, 4)}, [date(2027, 1, 9)])
        moves = recompute_all(s)
    assert [(m.case_number, m.what, m.before, m.after) for m in moves] == [
        (c.number, "承诺办结日期", date(2027, 1, 8), date(2027, 1, 9))]
    c = get_case(database, case.id)
    assert c.deadline == date(2027, 1, 9) and c.deadline_provisional is None
    with database.transaction(write=False) as s:
        assert s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)).all()[-1] == "recompute_deadlines"


NOTICE_2027_TEST = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）至4日（周一）放假调休，共4天。
二、春节：2月5日（周五）至12日（周五）放假调休，共8天。2月14日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假1天，不调休。
六、中秋节：9月15日（周三）放假1天，不调休。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


def test_provisional_until_the_notice_is_imported_then_definite(run, database, client, monkeypatch, tmp_path,
                                                              person, no_2027):
    """Issue "Legal time", done-when 1: the CLI and a case accepted on 2026-12-10 say 预计 (page and
    受理通知书) until the 2027 notice is imported; then both are definite and the case moved."""
    from click.testing import CliRunner
    from docx import Document

    from forms import documents
    from tests.webhelpers import login
    from webapp.cli import main

    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    cli = CliRunner()
    out = cli.invoke(main, ["calendar", "add-workdays", "2026-12-20", "20"])
    assert out.exit_code == 0 and out.output.strip().startswith("2027-01-18（预计：2027 年放假安排尚未录入")
    with clock.frozen(datetime(2026, 12, 10, 9, 0, tzinfo=clock.LOCAL_TZ)):
        case = info_request(run, person)
    c = get_case(database, case.id)
    assert c.deadline == date(2027, 1, 8) and c.deadline_provisional  # from receipt (条例 art. 33)
    with database.transaction() as s:
        clerk = s.scalars(select(User).where(User.staff_no == "zf001")).one()
        doc = documents.produce(s, s.get(Case, case.id), "acceptance_notice", clerk, tmp_path)
        text = "\n".join(p.text for p in Document(doc.stored_path).paragraphs)
    assert "2027年1月8日（预计：2027 年放假安排尚未录入" in text
    login(client, "zf001")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "2027-01-08" in page and "预计" in page

    notice_file = tmp_path / "notice-2027.txt"
    notice_file.write_text(NOTICE_2027_TEST, encoding="utf-8")
    out = cli.invoke(main, ["calendar", "import-notice", str(notice_file)])
    assert out.exit_code == 0, out.output
    assert c.number in out.output and "2027-01-11" in out.output  # what moved is listed
    out = cli.invoke(main, ["calendar", "add-workdays", "2026-12-20", "20"])
    assert out.exit_code == 0 and out.output.strip() == "2027-01-19"  # 1/4 is now a holiday too
    c = get_case(database, case.id)
    assert c.deadline == date(2027, 1, 11) and c.deadline_provisional is None
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "2027-01-11" in page and "预计" not in page.split('id="deadline-explained"')[1].split("</section>")[0]
