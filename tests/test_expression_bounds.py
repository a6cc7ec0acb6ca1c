"""Expressions cannot take the server down: a huge operand smuggled past validation through case
data is refused before it runs, quickly, in Chinese, naming the element; the case keeps its state
and other cases go on. The same operations written as constants never deploy."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from engine.bpmn import validate_bytes
from engine.catalogue import save_flow
from engine.config import PROCESSES_DIR
from engine.errors import FlowError, ProcessInvalid
from engine.models import Case, ItemChange
from engine.service import complete_task, deploy_process, start_case

from .conftest import As
from .helpers import do, events, open_steps, task_id

FOOD = "015309300002"
FOOD_BPMN = (PROCESSES_DIR / "food_business_license.bpmn").read_text(encoding="utf-8")
GATEWAY_CONDITION = "prepackaged_only == True</bpmn:conditionExpression>"
REMINDER_SCRIPT = "<bpmn:script>reminded = True</bpmn:script>"


def with_condition(condition: str) -> bytes:
    """The food licence flow with ``condition`` guarding the 需要现场核查？ gateway's first branch."""
    assert GATEWAY_CONDITION in FOOD_BPMN
    text = condition.replace("<", "&lt;").replace(">", "&gt;")
    return FOOD_BPMN.replace(GATEWAY_CONDITION, f"({text}) and prepackaged_only == True</bpmn:conditionExpression>").encode()


def with_script_after_acceptance(script: str) -> bytes:
    """A script task 登记核算 between 受理 and 材料审查."""
    flow = '<bpmn:sequenceFlow id="flow_2" sourceRef="accept" targetRef="review"/>'
    assert flow in FOOD_BPMN
    return FOOD_BPMN.replace(flow, (
        f'<bpmn:scriptTask id="tally" name="登记核算" scriptFormat="python"><bpmn:script>{script}</bpmn:script>'
        '</bpmn:scriptTask>\n<bpmn:sequenceFlow id="flow_2" sourceRef="accept" targetRef="tally"/>\n'
        '<bpmn:sequenceFlow id="flow_2b" sourceRef="tally" targetRef="review"/>')).encode()


def _snapshot(database, case_id):
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        row = case.version, case.state, case.workflow_state, dict(case.data or {})
    return row, open_steps(database, case_id), events(database, case_id)


@pytest.mark.parametrize("condition,data", [
    ("10**n > 0", {"n": 10**10}),
    ("len('a'*n) > 0", {"n": 10**10}),
    ("len([0]*n) > 0", {"n": 10**9}),
    ("(1 << n) > 0", {"n": 10**10}),
    ("len(f'{1:>{n}}') > 0", {"n": 10**9}),
])
def test_a_huge_operand_from_case_data_is_refused_quickly_and_the_case_is_untouched(
        run, database, frozen_clock, company, restore_catalogue, condition, data):
    run(deploy_process, with_condition(condition), "food_business_license.bpmn", None, FOOD)
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept")
    before = _snapshot(database, case.id)

    started = time.perf_counter()
    with pytest.raises(FlowError) as refused:
        do(run, database, case.id, As("sc003"), "review", data=data)
    assert time.perf_counter() - started < 1.0
    message = refused.value.message
    assert message.startswith("网关“需要现场核查？”（gw_inspect）的条件表达式") and "运算结果过大" in message, message
    assert not any(word in message for word in ("Error", "Traceback", "exceeds", "object")), message
    assert _snapshot(database, case.id) == before  # rolled back: same version, state, data, steps, events

    other = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, other.id, As("sc001"), "accept")
    do(run, database, other.id, As("sc003"), "review", data={"n": 3})
    assert open_steps(database, other.id) == ["audit"]
    # the refused case goes on once the operand is sensible
    do(run, database, case.id, As("sc003"), "review", data={"n": 3})
    assert open_steps(database, case.id) == ["audit"]


@pytest.mark.parametrize("condition,data,expected", [
    ("missing_field > 1", {}, "未定义的变量 missing_field"),
    ("100 / zero > 1", {"zero": 0}, "除数为零"),
    ("label + 1 > 1", {"label": "甲"}, "文字只能和文字相加，不能加整数"),
    ("count > '3'", {"count": 5}, "不能用“>”比较整数和文字"),
])
def test_a_failing_condition_says_the_real_cause_in_chinese_and_names_the_gateway(
        run, database, frozen_clock, company, restore_catalogue, condition, data, expected):
    run(deploy_process, with_condition(condition), "food_business_license.bpmn", None, FOOD)
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept")
    before = _snapshot(database, case.id)
    with pytest.raises(FlowError) as refused:
        do(run, database, case.id, As("sc003"), "review", data=data)
    assert refused.value.message.startswith(
        f"网关“需要现场核查？”（gw_inspect）的条件表达式“({condition}) and prepackaged_only == True”出错：{expected}"), \
        refused.value.message
    assert _snapshot(database, case.id) == before


def test_a_script_that_writes_too_much_is_refused_and_nothing_is_kept(run, database, frozen_clock, company,
                                                                      restore_catalogue):
    run(deploy_process, with_script_after_acceptance("a = 'x' * 60000\nb = 'y' * 60000\nc = 'z' * 90000"),
        "food_business_license.bpmn", None, FOOD)
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    before = _snapshot(database, case.id)
    with pytest.raises(FlowError, match=r"^脚本任务“登记核算”（tally）的脚本出错：脚本一次写入办件的数据超过 200,000 个字符"):
        do(run, database, case.id, As("sc001"), "accept")
    assert _snapshot(database, case.id) == before


def test_a_script_that_repeats_a_string_from_case_data_names_its_line(run, database, frozen_clock, company,
                                                                     restore_catalogue):
    run(deploy_process, with_script_after_acceptance("fee = 10\nnote = '费' * n\n"), "food_business_license.bpmn",
        None, FOOD)
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    started = time.perf_counter()
    with pytest.raises(FlowError, match=r"^脚本任务“登记核算”（tally）的脚本出错（第 2 行）：运算结果过大"):
        do(run, database, case.id, As("sc001"), "accept", data={"n": 10**10})
    assert time.perf_counter() - started < 1.0
    do(run, database, case.id, As("sc001"), "accept", data={"n": 2})
    assert open_steps(database, case.id) == ["review"]


def test_a_script_may_leave_dates_and_amounts_in_the_case(run, database, frozen_clock, company, restore_catalogue):
    """add_workdays returns a date and fees are Decimals: both must survive saving the case."""
    run(deploy_process, with_script_after_acceptance("due = add_workdays(today(), 3)\nfee = Decimal('12.50')"),
        "food_business_license.bpmn", None, FOOD)
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept")
    assert open_steps(database, case.id) == ["review"]
    do(run, database, case.id, As("sc003"), "review")
    assert open_steps(database, case.id) == ["audit"]


@pytest.mark.parametrize("condition", ["10**10**10 > 0", "len('a'*10**10) > 0", "len([0]*10**9) > 0",
                                       "len('a'.ljust(10**9)) > 0", "(1 << 10**9) > 0"])
def test_constant_blowups_never_deploy(run, database, restore_catalogue, condition):
    result = validate_bytes(with_condition(condition), "food_business_license.bpmn")
    assert [p.element for p in result.problems] == ["to_skip_inspection"]
    message = result.problems[0].message
    assert message.startswith("排他网关“需要现场核查？”（gw_inspect）的分支“仅销售预包装食品”（to_skip_inspection）的条件")
    assert "运算结果过大" in message
    with pytest.raises(ProcessInvalid):
        run(deploy_process, with_condition(condition), "food_business_license.bpmn", None, FOOD)
    with pytest.raises(ProcessInvalid) as refused:  # the designer's save runs the same server check
        run(save_flow, As("xz001"), "food_business_license", with_condition(condition))
    assert [p.element for p in refused.value.problems] == ["to_skip_inspection"]
    assert "运算结果过大" in refused.value.problems[0].message
    with database.transaction(write=False) as s:
        assert s.scalars(select(Case)).all() == [] and s.scalars(select(ItemChange)).all() == []


def test_a_refused_completion_leaves_the_same_step_ready(run, database, frozen_clock, company, restore_catalogue):
    """A refused completion leaves the step ready and completable by id (no half-completed row)."""
    run(deploy_process, with_condition("10**n > 0"), "food_business_license.bpmn", None, FOOD)
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    do(run, database, case.id, As("sc001"), "accept")
    review = task_id(database, case.id, "review")
    with pytest.raises(FlowError):
        run(complete_task, review, As("sc003"), data={"n": 10**10}, approved=True, opinion="同意。")
    assert task_id(database, case.id, "review") == review
