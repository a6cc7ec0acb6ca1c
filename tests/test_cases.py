"""Every demo item driven through its whole flow by the case service, with 补正, 特别程序, 退回,
延期 and 不予受理, deadlines checked against the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from engine import clock, listeners
from engine.errors import (
    CheckpointViolation,
    InvalidInput,
    InvalidState,
    LoopLimitExceeded,
    PermissionDenied,
    StaleCase,
)
from engine.models import Case, CasePause, CaseTask, User
from engine.service import (
    Applicant,
    assign,
    claim,
    complete_task,
    decide_extension,
    handle_on_the_spot,
    reject,
    request_correction,
    request_extension,
    resume,
    return_to_applicant,
    return_to_step,
    start_case,
    suspend,
    transfer,
    unclaim,
    withdraw,
    worklist,
)

from .conftest import As
from .helpers import do, events, get_case, open_steps, task_id

FOOD, SHOP, HYGIENE, BUILD, PENALTY, INFO = ("015309300002", "075309300001", "015309300003", "015309300004",
                                             "025309300005", "205309300006")


def at(day: str, hour: int = 10):
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def test_instant_case_is_handled_on_the_spot(run, database, frozen_clock, person):
    case = run(handle_on_the_spot, SHOP, person, As("sc001"), data={"business_name": "张三小吃店"})
    case = get_case(database, case.id)
    assert case.state == "finished" and case.result == "准予登记" and case.case_type == "instant"
    assert case.number.startswith("53093020260928")
    assert open_steps(database, case.id) == []
    assert events(database, case.id) == ["receive", "complete", "complete", "finish"]


def test_instant_case_needing_other_posts_is_refused_and_nothing_kept(run, database, frozen_clock, company):
    with pytest.raises(InvalidState, match="不能作为即办件当场办结"):
        run(handle_on_the_spot, FOOD, company, As("sc001"))
    with database.transaction(write=False) as s:
        assert s.scalars(select(Case)).all() == []


def test_food_licence_through_all_posts_with_correction_return_and_extension(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    assert open_steps(database, case.id) == ["accept"]
    # 补正 at the window: clock stops, nothing can be completed meanwhile
    run(request_correction, case.id, As("sc001"), ["经营场所平面图和设备布局图"])
    assert get_case(database, case.id).pause_kind == "correction"
    with pytest.raises(InvalidState, match="补正"):
        do(run, database, case.id, As("sc001"), "accept")
    at("2026-09-30")
    run(resume, case.id, As("sc001"), "申请人已补齐材料")
    do(run, database, case.id, As("sc001"), "accept")
    c = get_case(database, case.id)
    assert c.state == "accepted" and c.accepted_at is not None
    # accepted 2026-09-30: 15 working days later (National Day holiday, 10/10 make-up day) is 2026-10-27
    assert c.deadline == date(2026, 10, 27)
    # the reviewer sends it back to the window once (a refusal needs its reason), then it goes on
    at("2026-10-08")
    with pytest.raises(InvalidInput, match="理由"):
        do(run, database, case.id, As("sc003"), "review", approved=False)
    run(return_to_step, task_id(database, case.id, "review"), As("sc003"), "accept", "营业执照复印件不清晰，请重新收取")
    assert open_steps(database, case.id) == ["accept"]
    do(run, database, case.id, As("sc001"), "accept")
    do(run, database, case.id, As("sc003"), "review")
    assert open_steps(database, case.id) == ["inspect"]
    do(run, database, case.id, As("sc004"), "inspect", data={"inspectors": ["张伟", "刘洋"]})
    # 延期 at the audit step (行政许可法 art. 42): +10 at most, asked of the department head, never of
    # oneself; nothing moves until the named approver approves
    with pytest.raises(InvalidInput, match="最多可延长 10"):
        run(request_extension, case.id, As("sc005"), 11, _id(database, "sc006"), "需要补充核查")
    with pytest.raises(PermissionDenied, match="不能自己批准"):
        run(request_extension, case.id, As("sc005"), 5, _id(database, "sc005"), "需要补充核查")
    with pytest.raises(PermissionDenied, match="不是本部门负责人"):
        run(request_extension, case.id, As("sc005"), 5, _id(database, "ws004"), "需要补充核查")
    ext = run(request_extension, case.id, As("sc005"), 10, _id(database, "sc006"), "需要补充核查")
    assert get_case(database, case.id).deadline == date(2026, 10, 27)
    run(decide_extension, ext.id, As("sc006"), True, "同意")
    assert get_case(database, case.id).deadline == date(2026, 11, 10)
    with pytest.raises(InvalidInput, match="还可延长 0"):
        run(request_extension, case.id, As("sc005"), 1, _id(database, "sc006"), "再延")
    do(run, database, case.id, As("sc005"), "audit")
    do(run, database, case.id, As("sc006"), "decide")
    do(run, database, case.id, As("sc001"), "issue")
    c = get_case(database, case.id)
    # the 补正 before acceptance came before the period began: it moves nothing (行政许可法 art. 32, 42)
    assert c.state == "finished" and c.result == "准予许可" and c.paused_days == 0
    acts = events(database, case.id)
    assert acts[:4] == ["receive", "correction", "document", "correction_supplied"]  # the 补正材料告知书 comes with it
    assert "return" in acts and "extend" in acts and acts[-1] == "finish"
    assert c.loop_count == 1


def _id(database, staff_no: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(User.id).where(User.staff_no == staff_no)).one()


def test_hygiene_licence_special_procedure_step_stops_the_clock(run, database, frozen_clock, company):
    case = run(start_case, HYGIENE, company, As("ws001"))
    do(run, database, case.id, As("ws001"), "accept")
    assert get_case(database, case.id).deadline == date(2026, 10, 23)  # 15 working days after 2026-09-28
    do(run, database, case.id, As("ws002"), "review")
    c = get_case(database, case.id)
    assert open_steps(database, case.id) == ["hygiene_test"] and c.pause_kind == "special"
    with pytest.raises(InvalidState, match="自动恢复计时"):
        run(resume, case.id, As("ws002"))
    at("2026-10-12")  # testing took 6 working days: 9/29, 9/30, 10/8, 10/9, 10/10 (make-up day), 10/12
    do(run, database, case.id, As("ws002"), "hygiene_test", data={"test_report_no": "WJ-2026-118"})
    c = get_case(database, case.id)
    assert c.pause_kind is None and c.paused_days == 6
    assert c.deadline == date(2026, 11, 2)
    do(run, database, case.id, As("ws003"), "audit")
    do(run, database, case.id, As("ws004"), "decide", approved=False, reason="卫生检测结果不合格")
    do(run, database, case.id, As("ws001"), "deliver_denial")
    c = get_case(database, case.id)
    assert c.state == "finished" and c.result == "不予许可"


def test_manual_special_procedure_suspend_and_resume(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept")
    with pytest.raises(InvalidInput, match="预计"):
        run(suspend, case.id, As("sc003"), "专家评审", 0, procedure="专家评审")
    with pytest.raises(InvalidInput, match="预计所需天数应为 1 至 120"):  # a bounded expected length
        run(suspend, case.id, As("sc003"), "专家评审", 10**6, procedure="专家评审")
    with pytest.raises(InvalidInput, match="特别程序的种类"):  # only the statutory kinds (行政许可法 art. 45)
        run(suspend, case.id, As("sc003"), "请示领导", 5, procedure="内部研究")
    with pytest.raises(PermissionDenied):
        run(suspend, case.id, As("ws002"), "专家评审", 5, procedure="专家评审")
    run(suspend, case.id, As("sc003"), "需要组织专家评审经营场所布局", 5, procedure="专家评审")
    with pytest.raises(InvalidState, match="暂停"):
        do(run, database, case.id, As("sc003"), "review")
    at("2026-10-09")
    run(resume, case.id, As("sc003"), "专家评审结束")
    c = get_case(database, case.id)
    assert c.paused_days == 4 and c.deadline == date(2026, 10, 29)  # 10/23 + 4 working days
    do(run, database, case.id, As("sc003"), "review")
    assert open_steps(database, case.id) == ["audit"]  # pre-packaged only: no on-site check


def test_construction_permit_small_project_and_refusal_at_intake(run, database, frozen_clock, company):
    small = run(start_case, BUILD, company, As("zj001"), data={"contract_amount": 250000, "floor_area": 800})
    do(run, database, small.id, As("zj001"), "accept")
    do(run, database, small.id, As("zj001"), "notify_exempt")
    assert get_case(database, small.id).result == "无需办理"

    big = run(start_case, BUILD, company, As("zj001"), data={"contract_amount": 5_000_000, "floor_area": 3200})
    accept_task = task_id(database, big.id, "accept")
    with pytest.raises(InvalidInput, match="理由"):
        run(reject, big.id, As("zj001"), " ")
    run(reject, big.id, As("zj001"), "未取得建设工程规划许可证")
    c = get_case(database, big.id)
    assert c.state == "rejected" and open_steps(database, big.id) == []
    with pytest.raises(InvalidState, match="不予受理"):
        run(complete_task, accept_task, As("zj001"))

    third = run(start_case, BUILD, company, As("zj001"), data={"contract_amount": 5_000_000, "floor_area": 3200})
    do(run, database, third.id, As("zj001"), "accept")
    with pytest.raises(InvalidState, match="已经受理"):
        run(reject, third.id, As("zj002"), "材料不全")
    do(run, database, third.id, As("zj002"), "review")
    do(run, database, third.id, As("zj003"), "decide")
    do(run, database, third.id, As("zj001"), "issue")
    c = get_case(database, third.id)
    # 5 calendar days from 2026-09-28 end on 10/3, a National Day holiday: the period ends on the next
    # working day, 10/8 (民法典 art. 203)
    assert c.result == "准予许可" and c.deadline == date(2026, 10, 8)


def test_penalty_case_with_hearing(run, database, frozen_clock):
    party = Applicant(name="阳光县某超市", type="5", cert_type="001", cert_number="92530930MA6N8X0Q3X")
    case = run(start_case, PENALTY, party, As("sc006"), subject="销售过期食品案")
    do(run, database, case.id, As("sc006"), "file")
    # 90 calendar days from 立案 (行政处罚法 art. 60) end on Sunday 12/27: the next working day (民法典 art. 203)
    assert get_case(database, case.id).deadline == date(2026, 12, 28)
    do(run, database, case.id, As("sc003"), "investigate")
    do(run, database, case.id, As("sc007"), "legal_review")
    do(run, database, case.id, As("sc003"), "notify")
    do(run, database, case.id, As("sc003"), "statement", data={"hearing_requested": True})
    assert open_steps(database, case.id) == ["hearing_notice"] and get_case(database, case.id).pause_kind == "special"
    # 行政处罚法 art. 64(二), 85: noticed on 9/28, the hearing is on 10/13 at the earliest
    do(run, database, case.id, As("sc003"), "hearing_notice", data={"hearing_date": "2026-10-13"})
    at("2026-10-13")
    do(run, database, case.id, As("sc004"), "hearing")
    do(run, database, case.id, As("sc006"), "decide", data={"penalty": "罚款", "amount": 20000})
    do(run, database, case.id, As("sc003"), "deliver")
    do(run, database, case.id, As("sc003"), "execute")
    assert get_case(database, case.id).result == "执行完毕"


def test_correction_after_the_legal_notice_period_is_refused(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"))
    at("2026-10-16")  # 6 working days after receipt on 9/28
    with pytest.raises(InvalidState, match="一次性补正告知期限"):
        run(request_correction, case.id, As("sc001"), ["营业执照"])
    with pytest.raises(InvalidInput, match="列出"):
        run(request_correction, case.id, As("sc001"), [])


def test_return_to_applicant_withdraw_and_stale_version(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"))
    version = get_case(database, case.id).version
    run(return_to_applicant, case.id, As("sc001"), "申请书未签字")
    with pytest.raises(StaleCase):
        do(run, database, case.id, As("sc001"), "accept", expected_version=version)
    run(resume, case.id, As("sc001"), "申请人重新提交")
    run(withdraw, case.id, As("sc001"), "申请人书面申请撤回")
    c = get_case(database, case.id)
    assert c.state == "withdrawn" and events(database, case.id)[-3:] == ["return_to_applicant", "resubmitted",
                                                                          "withdraw"]


def test_only_holders_of_the_post_may_work_a_step(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"))
    with pytest.raises(PermissionDenied, match="岗位"):
        do(run, database, case.id, As("sc003"), "accept")
    with pytest.raises(PermissionDenied):
        do(run, database, case.id, As("ws001"), "accept")
    with database.transaction(write=False) as s:
        mine = worklist(s, s.scalars(select(User).where(User.staff_no == "sc002")).one())
        theirs = worklist(s, s.scalars(select(User).where(User.staff_no == "ws001")).one())
    assert [w.task.step_id for w in mine] == ["accept"] and theirs == []


def test_loop_limit_stops_a_case_with_a_clear_error(run, database, frozen_clock, company, settings):
    case = run(start_case, FOOD, company, As("sc001"))
    with database.transaction() as s:
        s.info["settings"] = type(settings)(**{**settings.__dict__, "max_loops": 3})
    limited = database.settings
    database.settings = type(settings)(**{**settings.__dict__, "max_loops": 3})
    for sm in (database.Session, database.WriteSession):
        sm.kw["info"] = {"settings": database.settings}
    try:
        do(run, database, case.id, As("sc001"), "accept")
        for _ in range(3):
            run(return_to_step, task_id(database, case.id, "review"), As("sc003"), "accept", "重新受理")
            do(run, database, case.id, As("sc001"), "accept")
        before = get_case(database, case.id).version
        with pytest.raises(LoopLimitExceeded, match="超过上限 3 次"):
            run(return_to_step, task_id(database, case.id, "review"), As("sc003"), "accept", "重新受理")
        assert get_case(database, case.id).version == before
    finally:
        database.settings = limited
        for sm in (database.Session, database.WriteSession):
            sm.kw["info"] = {"settings": limited}


def test_a_listener_that_raises_aborts_the_command(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"))
    before = get_case(database, case.id)

    def refuse(transition):
        if transition.action == "complete":
            raise CheckpointViolation("测试：监察规则拒绝此操作")

    listeners.register(refuse)
    try:
        with pytest.raises(CheckpointViolation):
            do(run, database, case.id, As("sc001"), "accept")
    finally:
        listeners.unregister(refuse)
    after = get_case(database, case.id)
    assert (after.version, after.state, after.event_count) == (before.version, before.state, before.event_count)
    assert open_steps(database, case.id) == ["accept"]
    with database.transaction(write=False) as s:
        assert s.scalars(select(CasePause)).all() == []
        assert [t.state for t in s.scalars(select(CaseTask).where(CaseTask.case_id == case.id))] == ["ready"]


def test_claim_unclaim_assign_and_transfer(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    review = task_id(database, case.id, "review")
    run(claim, review, As("sc003"))
    with pytest.raises(StaleCase, match="已被其他人签收"):
        run(claim, review, As("sc004"))
    with pytest.raises(PermissionDenied, match="其他人签收"):
        do(run, database, case.id, As("sc004"), "review")
    with database.transaction(write=False) as s:
        other = s.scalars(select(User).where(User.staff_no == "sc004")).one()
        assert worklist(s, other) == []  # claimed by a colleague: not in his list
    run(unclaim, review, As("sc003"))
    with pytest.raises(PermissionDenied, match="负责人"):
        run(assign, review, As("sc003"), _id(database, "sc004"))
    with pytest.raises(InvalidInput, match="岗位"):
        run(assign, review, As("sc006"), _id(database, "sc005"))
    run(assign, review, As("sc006"), _id(database, "sc004"))
    with pytest.raises(InvalidInput, match="理由"):
        run(transfer, review, As("sc004"), _id(database, "sc003"), "")
    run(transfer, review, As("sc004"), _id(database, "sc003"), "刘洋出差，转张伟办理")
    do(run, database, case.id, As("sc003"), "review")
    assert events(database, case.id)[-5:] == ["claim", "unclaim", "assign", "transfer", "complete"]
