"""行政处罚一般程序: the waiting periods of the 行政处罚法 (2021) modelled in the flow chart, and the
checkpoints that refuse what the law forbids. Dates are counted by hand on the 2026 calendar
(holidays 10/1–10/7, make-up working day Saturday 10/10); the clock starts Monday 2026-09-28 09:00.

- arts. 44–45, 63: after 事先告知 the party has five days to state a defence or ask for a hearing;
  art. 85: those days are working days, statutory holidays excluded. Notice on 9/28: 9/29 (1),
  9/30 (2), 10/8 (3), 10/9 (4), 10/10 (5, a make-up working day) — the period ends on 10/10 and
  the flow's timer fires at 10/11 00:00.
- art. 62: no decision before the party was told and heard.
- art. 64(二): a hearing is noticed at least seven (working) days ahead: noticed on 9/28, the
  earliest hearing day is 9/29, 9/30, 10/8, 10/9, 10/10, 10/12, 10/13 → 2026-10-13.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine import clock, scheduler
from engine.errors import CheckpointViolation
from engine.service import Applicant, start_case

from .conftest import As
from .helpers import do, events, get_case, open_steps

PENALTY = "025309300005"
PARTY = Applicant(name="阳光县好味道餐饮有限公司", type="2", cert_type="001", cert_number="92530930MA6N8X0Q3X",
                  address="阳光县城关镇阳光大道18号")
FILED = {"party_name": PARTY.name, "case_source": "监督检查",
         "facts": "2026年9月25日，当事人在经营场所销售超过保质期的袋装酸奶12袋，货值金额96元。"}


def at(moment: str):
    clock.travel(datetime.fromisoformat(moment).replace(tzinfo=clock.LOCAL_TZ))


def to_notice(run, database):
    """立案 → 调查取证 → 法制审核 → 事先告知 (served Monday 2026-09-28 09:00)."""
    case = run(start_case, PENALTY, PARTY, As("sc006"), subject=f"对{PARTY.name}涉嫌经营超过保质期的食品立案调查",
               data=FILED)
    do(run, database, case.id, As("sc006"), "file")
    do(run, database, case.id, As("sc003"), "investigate", data={"evidence": "现场检查笔录、询问笔录、照片6张"})
    do(run, database, case.id, As("sc007"), "legal_review", data={"legal_opinion": "事实清楚，证据确凿，同意。"})
    do(run, database, case.id, As("sc003"), "notify", data={
        "violated_provision": "《中华人民共和国食品安全法》第三十四条第十项",
        "penalty_basis": "《中华人民共和国食品安全法》第一百二十四条第一款第五项",
        "intended_penalty": "没收超过保质期的食品，并处罚款人民币50,000.00元"})
    assert open_steps(database, case.id) == ["statement"]
    return case


DECISION = {"penalty_kind": ["罚款"], "severity": "轻微", "fine_amount": 50000}


def test_decision_two_hours_after_notice_is_refused_art62(run, database, frozen_clock):
    """行政处罚法 第六十二条: recording 'no answer' two hours after 事先告知 does not let the decision
    through; the period of arts. 45/63 runs to 2026-10-10 (art. 85: working days)."""
    case = to_notice(run, database)
    at("2026-09-28T11:00")
    do(run, database, case.id, As("sc003"), "statement", data={"hearing_requested": False})
    assert open_steps(database, case.id) == ["decide"]
    before = get_case(database, case.id)
    with pytest.raises(CheckpointViolation) as info:
        do(run, database, case.id, As("sc006"), "decide", data=DECISION)
    message = info.value.message
    assert "A041" in message and "第六十二条" in message and "2026年10月10日" in message and "第八十五条" in message
    after = get_case(database, case.id)
    assert (after.version, after.event_count) == (before.version, before.event_count)  # nothing kept
    at("2026-10-10T16:00")  # the last day of the period (a make-up working day) is still the party's
    with pytest.raises(CheckpointViolation, match="A041"):
        do(run, database, case.id, As("sc006"), "decide", data=DECISION)
    at("2026-10-12T09:00")
    do(run, database, case.id, As("sc006"), "decide", data=DECISION)
    assert open_steps(database, case.id) == ["deliver"]


def test_decision_allowed_once_the_party_waives_in_writing_art62(run, database, frozen_clock):
    """行政处罚法 第六十二条: the party was heard — it waived its rights in writing."""
    case = to_notice(run, database)
    at("2026-09-28T11:00")
    do(run, database, case.id, As("sc003"), "statement",
       data={"waived": True, "hearing_requested": False, "statement_received_on": "2026-09-28"})
    do(run, database, case.id, As("sc006"), "decide", data=DECISION)
    assert open_steps(database, case.id) == ["deliver"]


def test_decision_allowed_after_a_defence_is_stated_art45(run, database, frozen_clock):
    """行政处罚法 第四十五条: a defence stated within the period closes the wait; the decision follows."""
    case = to_notice(run, database)
    at("2026-09-29T10:00")
    do(run, database, case.id, As("sc003"), "statement",
       data={"defence_statement": "系初次违法，已当场下架并销毁，请求从轻处罚。", "hearing_requested": False})
    do(run, database, case.id, As("sc006"), "decide", data=dict(DECISION, defence_review="陈述申辩理由部分成立，予以从轻处罚。"))
    assert open_steps(database, case.id) == ["deliver"]


def test_statement_period_timer_fires_after_five_working_days_art63_art85(run, database, frozen_clock):
    """行政处罚法 第六十三条、第八十五条: the interrupting timer of the registration step fires at the
    end of the fifth working day after the notice (2026-10-10, a make-up working day), not before;
    then the decision is allowed."""
    case = to_notice(run, database)
    assert get_case(database, case.id).next_timer_at == datetime(2026, 10, 11, 0, 0, tzinfo=clock.LOCAL_TZ)
    at("2026-10-10T23:50")
    assert scheduler.run_tick(database).timers == 0  # the tick also raises watches; no timer fires yet
    assert open_steps(database, case.id) == ["statement"]
    at("2026-10-11T00:01")
    assert scheduler.run_tick(database).timers == 1
    assert open_steps(database, case.id) == ["decide"] and events(database, case.id)[-1] == "timer"
    at("2026-10-12T09:00")
    do(run, database, case.id, As("sc006"), "decide", data=DECISION)
    assert open_steps(database, case.id) == ["deliver"]


def test_hearing_noticed_less_than_seven_working_days_ahead_is_refused_art64(run, database, frozen_clock):
    """行政处罚法 第六十四条第二项、第八十五条: noticed on 2026-09-28, the hearing cannot be held before
    2026-10-13; 10/12 is refused, 10/13 accepted; the hearing is not done before its day; the
    decision waits for the hearing (第六十二条、第六十三条)."""
    case = to_notice(run, database)
    at("2026-09-28T11:00")
    do(run, database, case.id, As("sc003"), "statement",
       data={"hearing_requested": True, "statement_received_on": "2026-09-28"})
    assert open_steps(database, case.id) == ["hearing_notice"] and get_case(database, case.id).pause_kind == "special"
    hearing = {"hearing_place": "阳光县市场监督管理局三楼听证室", "hearing_officer": "法制股 李明"}
    with pytest.raises(CheckpointViolation) as info:
        do(run, database, case.id, As("sc003"), "hearing_notice", data=dict(hearing, hearing_date="2026-10-12"))
    message = info.value.message
    assert "A042" in message and "第六十四条" in message and "2026年10月13日" in message and "第八十五条" in message
    do(run, database, case.id, As("sc003"), "hearing_notice", data=dict(hearing, hearing_date="2026-10-13"))
    assert open_steps(database, case.id) == ["hearing"]
    at("2026-10-12T09:00")
    with pytest.raises(CheckpointViolation, match="听证尚未举行"):
        do(run, database, case.id, As("sc004"), "hearing")
    at("2026-10-13T09:00")
    do(run, database, case.id, As("sc004"), "hearing", data={"hearing_record": "当事人到场，进行了申辩。"})
    clock.travel(clock.now() + timedelta(hours=3))
    do(run, database, case.id, As("sc006"), "decide", data=DECISION)
    c = get_case(database, case.id)
    assert open_steps(database, case.id) == ["deliver"] and c.pause_kind is None and c.paused_days > 0
