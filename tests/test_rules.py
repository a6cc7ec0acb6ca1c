"""Every shipped rule type fires when it should and stays silent when the case is in order;
blocking rules leave the case exactly as it was."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, update

from engine import clock, scheduler
from engine.errors import CheckpointViolation
from engine.models import Case, Item, Post, User
from engine.organisation import ensure_user
from engine.service import Applicant, reject, return_to_step, start_case
from rules.context import invalidate
from rules.models import Alert, Rule
from rules.service import update_rule
from rules.ticks import check_volume

from .conftest import As
from .helpers import do, get_case, task_id

FOOD, PENALTY, INFO = "015309300002", "025309300005", "205309300006"
PARTY = Applicant(name="阳光县某超市", type="5", cert_type="001", cert_number="92530930MA6N8X0Q3X")


def at(day: str, hour: int = 9):
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def alerts(database, case_id=None) -> dict[str, str]:
    with database.transaction(write=False) as s:
        q = select(Alert)
        if case_id is not None:
            q = q.where(Alert.case_id == case_id)
        return {a.rule_code: a.state for a in s.scalars(q.order_by(Alert.id))}


def alert(database, code) -> Alert:
    with database.transaction(write=False) as s:
        return s.scalars(select(Alert).where(Alert.rule_code == code)).one()


def unchanged(database, case_id, fn):
    before = get_case(database, case_id)
    with pytest.raises(CheckpointViolation) as info:
        fn()
    after = get_case(database, case_id)
    assert (after.version, after.state, after.event_count, after.data) == (
        before.version, before.state, before.event_count, before.data)
    return info.value


def food_case(run, database, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    return case


def penalty_to_decide(run, database, statement=None):
    """Up to 处罚决定; the party waives its rights in writing after 事先告知 (行政处罚法 art. 62 is
    tested in test_penalty_procedure.py)."""
    case = run(start_case, PENALTY, PARTY, As("sc006"))
    do(run, database, case.id, As("sc006"), "file")
    do(run, database, case.id, As("sc003"), "investigate")
    do(run, database, case.id, As("sc007"), "legal_review")
    do(run, database, case.id, As("sc003"), "notify")
    do(run, database, case.id, As("sc003"), "statement", data=statement or {"waived": True, "hearing_requested": False})
    return case


# --- timeliness ---------------------------------------------------------------------------------

def test_step_past_its_time_raises_warning_then_alarm_on_the_tick(run, database, frozen_clock, company):
    case = food_case(run, database, company)  # review: 5 working days from 9/28, due 10/10
    assert scheduler.tick(database) == 0
    at("2026-10-09")
    scheduler.tick(database)
    assert alerts(database, case.id) == {"A030": "open", "A001": "open"}
    assert alert(database, "A001").level == "warning"
    at("2026-10-12")
    scheduler.tick(database)
    got = alerts(database, case.id)
    assert got["A002"] == "open" and got["A001"] == "resolved" and got["A030"] == "resolved"
    assert alert(database, "A002").level == "alarm"
    at("2026-10-20")
    scheduler.tick(database)
    assert alerts(database, case.id)["A003"] == "open"  # the case at 4/5 of its 15 working days
    at("2026-10-26")
    scheduler.tick(database)
    got = alerts(database, case.id)
    assert got["A004"] == "open" and got["A003"] == "resolved"


def test_timeliness_silent_when_steps_are_done_in_time(run, database, frozen_clock, company):
    case = food_case(run, database, company)
    for actor, step in (("sc003", "review"), ("sc004", "inspect"), ("sc005", "audit"), ("sc006", "decide"),
                        ("sc001", "issue")):
        do(run, database, case.id, As(actor), step)
    at("2026-12-20")
    scheduler.tick(database)
    assert not {"A030", "A001", "A002", "A003", "A004", "A006"} & set(alerts(database, case.id))


def test_inactivity_fires_and_is_silent_while_the_case_moves(run, database, frozen_clock, company):
    moving = food_case(run, database, company)
    at("2026-10-09")
    do(run, database, moving.id, As("sc003"), "review")  # activity resets the watch
    at("2026-10-16")
    scheduler.tick(database)
    assert "A006" not in alerts(database, moving.id)
    at("2026-10-27")
    scheduler.tick(database)
    assert alerts(database, moving.id).get("A006") == "open"


# --- legality -----------------------------------------------------------------------------------

def test_decision_before_acceptance_is_refused(run, database, frozen_clock):
    case = penalty_to_decide(run, database)
    with database.transaction() as s:  # e.g. a case pushed by a department system without its acceptance
        s.execute(update(Case).where(Case.id == case.id).values(accepted_at=None, state="received"))
    error = unchanged(database, case.id, lambda: do(run, database, case.id, As("sc006"), "decide"))
    assert "尚未受理" in error.message and "A014" in error.message


def test_decision_after_acceptance_is_allowed(run, database, frozen_clock):
    case = penalty_to_decide(run, database)
    do(run, database, case.id, As("sc006"), "decide", data={"penalty_kind": ["警告"]})
    assert "A014" not in alerts(database, case.id)


def test_late_registration(run, database, frozen_clock):
    late = run(start_case, PENALTY, PARTY, As("sc006"), data={"event_date": "2026-08-03"})
    assert alerts(database, late.id).get("A005") == "open"
    prompt = run(start_case, PENALTY, PARTY, As("sc006"), data={"event_date": "2026-09-24"})
    assert "A005" not in alerts(database, prompt.id)


def test_backdated_dates(run, database, frozen_clock):
    case = penalty_to_decide(run, database)
    do(run, database, case.id, As("sc006"), "decide", data={"penalty_kind": ["警告"]})
    do(run, database, case.id, As("sc003"), "deliver", data={"delivered_on": "2026-10-05"})
    assert alerts(database, case.id).get("A015") == "open"
    fine = penalty_to_decide(run, database)
    do(run, database, fine.id, As("sc006"), "decide", data={"penalty_kind": ["警告"]})
    do(run, database, fine.id, As("sc003"), "deliver", data={"delivered_on": "2026-09-28"})
    assert "A015" not in alerts(database, fine.id)


# --- content, fees, discretion --------------------------------------------------------------------

def test_fine_chosen_without_amount_is_refused_and_silent_with_it(run, database, frozen_clock):
    case = penalty_to_decide(run, database)
    error = unchanged(database, case.id, lambda: do(run, database, case.id, As("sc006"), "decide",
                                                    data={"penalty_kind": ["罚款"], "severity": "一般"}))
    assert "fine_amount" in error.message
    do(run, database, case.id, As("sc006"), "decide", data={"penalty_kind": ["罚款"], "severity": "一般", "fine_amount": 70000})
    assert "A016" not in alerts(database, case.id) and "A021" not in alerts(database, case.id)


@pytest.fixture
def second_approver(database):
    with database.transaction() as s:
        dept = s.scalars(select(Item).where(Item.code == PENALTY)).one().department
        post = s.scalars(select(Post).where(Post.department_id == dept.id, Post.code == "approve")).one()
        ensure_user(s, "sc099", "副局长周", dept, "Sunhall@2026", [post], ["handler"])
    return "sc099"


def test_discretion_outside_range_refused_unless_justified_and_approved(run, database, frozen_clock, second_approver):
    case = penalty_to_decide(run, database)
    outside = {"penalty_kind": ["罚款"], "severity": "一般", "fine_amount": 50000}
    error = unchanged(database, case.id, lambda: do(run, database, case.id, As("sc006"), "decide", data=outside))
    assert "裁量范围" in error.message and "A021" in error.message
    with pytest.raises(CheckpointViolation):  # approving one's own deviation is not a second approval
        do(run, database, case.id, As("sc006"), "decide",
           data=dict(outside, discretion_reason="屡教不改", second_approver="sc006"))
    do(run, database, case.id, As("sc006"), "decide",
       data=dict(outside, discretion_reason="屡教不改，社会影响恶劣", second_approver=second_approver))
    assert alerts(database, case.id)["A021"] == "open" and alert(database, "A021").level == "alarm"


def test_discretion_within_range_is_silent(run, database, frozen_clock):
    case = penalty_to_decide(run, database)
    do(run, database, case.id, As("sc006"), "decide", data={"penalty_kind": ["罚款"], "severity": "严重",
                                                            "fine_amount": 90000})
    assert "A021" not in alerts(database, case.id)


# --- behaviour -----------------------------------------------------------------------------------

def test_returned_more_than_once(run, database, frozen_clock, company):
    once = food_case(run, database, company)
    run(return_to_step, task_id(database, once.id, "review"), As("sc003"), "accept", "复印件不清晰")
    assert "A010" not in alerts(database, once.id)
    do(run, database, once.id, As("sc001"), "accept")
    run(return_to_step, task_id(database, once.id, "review"), As("sc003"), "accept", "仍不清晰")
    assert alerts(database, once.id)["A010"] == "open"


def test_refusals_are_counted(run, database, frozen_clock, company):
    refused = run(start_case, FOOD, company, As("sc001"))
    run(reject, refused.id, As("sc001"), "不属于本机关职权")
    assert alerts(database, refused.id)["A012"] == "open"
    granted = food_case(run, database, company)
    assert "A012" not in alerts(database, granted.id)


def test_suspended_item_still_running(run, database, frozen_clock, company):
    running = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, running.id, As("sc001"), "accept")
    assert "A025" not in alerts(database, running.id)
    with database.transaction() as s:
        s.execute(update(Item).where(Item.code == FOOD).values(status="suspended"))
    invalidate()  # as the catalogue's suspend command will; otherwise seen within RECHECK_SECONDS
    try:
        do(run, database, running.id, As("sc003"), "review")
        assert alerts(database, running.id)["A025"] == "open"
    finally:
        with database.transaction() as s:
            s.execute(update(Item).where(Item.code == FOOD).values(status="active"))
        invalidate()


def test_risk_point_step_records_and_tags(run, database, frozen_clock, company):
    case = food_case(run, database, company)
    do(run, database, case.id, As("sc003"), "review")
    assert "A040" not in alerts(database, case.id)
    do(run, database, case.id, As("sc004"), "inspect")
    a = alert(database, "A040")
    assert a.state == "open" and a.tags == ["核查走过场"]


def test_risk_point_can_require_a_second_reviewer(run, database, frozen_clock, company):
    with database.transaction() as s:
        rule = s.scalars(select(Rule).where(Rule.code == "A040")).one()
        update_rule(s, rule.id, s.scalars(select(User).where(User.staff_no == "jw001")).one(),
                    params={"second_reviewer": True}, note="风险点环节须双人复核")
    try:
        case = food_case(run, database, company)
        do(run, database, case.id, As("sc003"), "review")
        unchanged(database, case.id, lambda: do(run, database, case.id, As("sc004"), "inspect"))
        do(run, database, case.id, As("sc004"), "inspect", data={"second_reviewer": "刘洋"})
    finally:
        with database.transaction() as s:
            rule = s.scalars(select(Rule).where(Rule.code == "A040")).one()
            update_rule(s, rule.id, s.scalars(select(User).where(User.staff_no == "jw001")).one(),
                        params={"second_reviewer": False}, note="恢复")


def test_volume_anomaly_month_on_month(run, database, company, person):
    with clock.frozen(datetime(2026, 8, 10, 10, tzinfo=clock.LOCAL_TZ)):
        for _ in range(6):
            run(start_case, FOOD, company, As("sc001"))
    with clock.frozen(datetime(2026, 9, 10, 10, tzinfo=clock.LOCAL_TZ)):
        for _ in range(6):
            run(start_case, FOOD, company, As("sc001"))
    with database.transaction() as s:
        assert check_volume(s, datetime(2026, 9, 1).date()) == 0  # 6 → 6: in order
    with clock.frozen(datetime(2026, 10, 10, 10, tzinfo=clock.LOCAL_TZ)):
        for _ in range(13):
            run(start_case, FOOD, company, As("sc001"))
        with database.transaction() as s:
            assert check_volume(s, datetime(2026, 10, 1).date()) == 1
    assert "环比增长 117%" in alert(database, "C001").message


# --- the catalogue --------------------------------------------------------------------------------

def test_changed_threshold_is_used_by_the_next_transition_and_kept_in_history(run, database, frozen_clock, company):
    from rules.models import RuleVersion

    with database.transaction() as s:
        rule = s.scalars(select(Rule).where(Rule.code == "A010")).one()
        supervisor = s.scalars(select(User).where(User.staff_no == "jw001")).one()
        update_rule(s, rule.id, supervisor, params={"times": 0}, note="首次退回即预警")
    try:
        case = food_case(run, database, company)
        run(return_to_step, task_id(database, case.id, "review"), As("sc003"), "accept", "复印件不清晰")
        assert alerts(database, case.id)["A010"] == "open"
        with database.transaction(write=False) as s:
            history = [(v.version, v.snapshot["params"]["times"], v.note) for v in
                       s.scalars(select(RuleVersion).where(RuleVersion.rule_id == rule.id).order_by(RuleVersion.version))]
        assert history[-2:] == [(history[-2][0], history[-2][1], history[-2][2]), (history[-1][0], 0, "首次退回即预警")]
    finally:
        with database.transaction() as s:
            rule = s.scalars(select(Rule).where(Rule.code == "A010")).one()
            update_rule(s, rule.id, s.scalars(select(User).where(User.staff_no == "jw001")).one(),
                        params={"times": 1}, note="恢复默认")


def test_reminder_is_resolved_once_its_step_is_done(run, database, frozen_clock, company):
    case = food_case(run, database, company)
    at("2026-10-09")
    scheduler.tick(database)
    assert alerts(database, case.id)["A030"] == "open"
    do(run, database, case.id, As("sc003"), "review")
    scheduler.tick(database)
    assert alerts(database, case.id)["A030"] == "resolved"
    at("2026-10-12")
    scheduler.tick(database)  # the finished step's old watches fall due and are dropped without alerts
    assert "A002" not in alerts(database, case.id)
