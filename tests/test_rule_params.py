"""Rule parameters: the service refuses values the checks could not use (the page shows each
parameter as a labelled Chinese input and the refusal beside it), the rule list reads as
sentences, and a rule whose stored parameters are broken anyway (old data, SQL) is an incident,
never an outage: intake and completion go on, and the tick too."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import delete, select, update

from engine import clock, scheduler
from engine.errors import InvalidInput
from engine.models import Item, ItemVersion, SchedulerIncident, User
from engine.service import start_case
from rules.context import invalidate
from rules.models import Alert, Rule
from rules.service import update_rule

from .conftest import As
from .helpers import do, get_case, open_steps, task_id
from .test_rules import FOOD, PENALTY, penalty_to_decide
from .webhelpers import _csrf, login

ENGLISH = ("Not a valid", "Longer than", "Unknown field", "Invalid", "None", "nan", "inf", "Traceback")


def rule_row(database, code: str) -> tuple:
    with database.transaction(write=False) as s:
        r = s.scalars(select(Rule).where(Rule.code == code)).one()
        return r.id, dict(r.params), r.version, r.level, r.enabled


def supervisor(s) -> User:
    return s.scalars(select(User).where(User.staff_no == "jw001")).one()


@pytest.fixture
def stored_params(database):
    """Write parameters straight into the table (as old data or SQL would), then put them back."""
    saved = {}

    def write(code: str, params) -> None:
        with database.transaction() as s:
            rule = s.scalars(select(Rule).where(Rule.code == code)).one()
            saved.setdefault(code, rule.params)
            s.execute(update(Rule).where(Rule.code == code).values(params=params))
        invalidate()

    yield write
    with database.transaction() as s:
        for code, params in saved.items():
            s.execute(update(Rule).where(Rule.code == code).values(params=params))
        s.execute(delete(SchedulerIncident))  # other tests count the incidents they make
    invalidate()


def open_incidents(database) -> dict[str, SchedulerIncident]:
    with database.transaction(write=False) as s:
        return {i.key: i for i in s.scalars(select(SchedulerIncident).where(SchedulerIncident.resolved_at.is_(None)))}


# --- the service is the authority -----------------------------------------------------------------

@pytest.mark.parametrize("code, params, message", [
    ("A001", {"share": 1.5e400}, "预警比例必须是有限的数字"),
    ("A001", {"share": "1e400"}, "预警比例必须是有限的数字"),
    ("A001", {"share": float("nan")}, "预警比例必须是有限的数字"),
    ("A001", {"share": [{}]}, "预警比例必须是数字"),
    ("A001", {"share": 1}, "预警比例必须在 0 和 1 之间"),
    ("A001", {"share": True}, "预警比例必须是数字"),
    ("A030", {"days_before": 10**30}, "提前提醒天数应在 0 到 3660 之间"),
    ("A030", {"days_before": 1.5}, "提前提醒天数必须是整数"),
    ("A006", {"days": 0}, "无操作天数应在 1 到 3660 之间"),
    ("A020", {"max": -1}, "收费上限应在 0 到 1000000000 之间"),
    ("A020", {"max": "12.345"}, "收费上限最多保留 2 位小数"),
    ("A020", {"field": "fee\x00"}, "控制字符"),
    ("A015", {"fields": [{}]}, "检查的日期字段必须是文字"),
    ("A016", {"when": [{}]}, "必填条件格式不正确"),
    ("A016", {"when": {"penalty_kind": "罚款"}}, "必填条件格式不正确"),
    ("A040", {"second_reviewer": "maybe"}, "须有第二审核人应为“是”或“否”"),
    ("A010", {"times": 1, "extra": 2}, "不能识别的项目：extra"),
    ("A002", {"days": 1}, "不能识别的项目：days"),
])
def test_the_service_refuses_parameters_the_checks_cannot_use(database, code, params, message):
    before = rule_row(database, code)
    with pytest.raises(InvalidInput) as info:
        with database.transaction() as s:
            update_rule(s, before[0], supervisor(s), params=params, note="试图保存")
    assert message in info.value.message
    assert not any(word in info.value.message for word in ENGLISH), info.value.message
    assert rule_row(database, code) == before


def test_the_service_refuses_bad_level_scope_and_note(database):
    rule_id, *before = rule_row(database, "A010")
    for kwargs, field in (({"level": "critical"}, "level"), ({"scope_kind": "galaxy"}, "scope_kind"),
                          ({"scope_kind": "item", "scope_value": "x" * 121}, "scope_value"), ({"note": "  "}, "note"),
                          ({"note": "改\x1b[31m"}, "note"), ({"scope_kind": "item", "scope_value": "[{}]"}, "scope_value"),
                          ({"scope_kind": "step", "scope_value": "015309300002:不存在"}, "scope_value"),
                          ({"scope_kind": "category", "scope_value": "99"}, "scope_value")):
        with pytest.raises(InvalidInput) as info:
            with database.transaction() as s:
                update_rule(s, rule_id, supervisor(s), **{"note": "说明", **kwargs})
        assert info.value.details["field"] == field and re.search(r"[\u4e00-\u9fff]", info.value.message)
    assert list(rule_row(database, "A010")[1:]) == before


def test_a_scope_names_an_existing_item_or_step(database):
    """A scope naming nothing would switch the rule off unnoticed; a real step is kept."""
    rule_id, *_ = rule_row(database, "A010")
    with database.transaction() as s:
        rule = update_rule(s, rule_id, supervisor(s), note="只管受理", scope_kind="step", scope_value="015309300002:accept")
        assert rule.scope_value == "015309300002:accept"
    with database.transaction() as s:
        update_rule(s, rule_id, supervisor(s), note="恢复", scope_kind="all")


def test_text_forms_of_parameters_are_stored_as_numbers_and_lists(database):
    rule_id, params, *_ = rule_row(database, "A015")
    try:
        with database.transaction() as s:
            update_rule(s, rule_id, supervisor(s), params={"fields": "delivered_on，signed_on"}, note="两个日期")
        assert rule_row(database, "A015")[1] == {"fields": ["delivered_on", "signed_on"]}
    finally:
        with database.transaction() as s:
            update_rule(s, rule_id, supervisor(s), params=params, note="恢复")


# --- the pages -------------------------------------------------------------------------------------

def test_the_rule_list_reads_in_chinese(client, database):
    login(client, "jw001")
    page = client.get("/supervision/rules").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-rule="(\w+)">(.*?)</tr>', page, re.S))
    assert "环节时限预警" in rows["A001"] and "环节用时占比超过 80% 时预警" in rows["A001"]
    assert "环节到期提醒" in rows["A030"] and "提前 1 个工作日提醒" in rows["A030"]
    assert "收费上限 100 元" in rows["A020"] and "连续 10 个工作日无操作" in rows["A006"]
    assert "{'" not in page and "step_warning" not in page and "days_before" not in page
    # fields and steps by the names people know them, not by their codes
    assert "罚款金额（“罚款金额（元）”）须在违法情节（“违法情节”）" in rows["A021"]
    assert "fine_amount" not in rows["A021"] and "notify" not in rows.get("A041", "")


def test_a_field_parameter_is_edited_with_the_known_names_at_hand(client, database):
    login(client, "jw001")
    with database.transaction(write=False) as s:
        rule_id = s.scalars(select(Rule.id).where(Rule.code == "A021")).one()
    page = client.get(f"/supervision/rules/{rule_id}").get_data(as_text=True)
    assert 'list="known-codes"' in page and '<option value="fine_amount">罚款金额（元）</option>' in page
    assert "（罚款金额（元））" in page


def test_a_refused_parameter_is_shown_beside_its_input_with_what_was_typed(client, database):
    login(client, "jw001")
    rule_id, *before = rule_row(database, "A001")
    page = client.get(f"/supervision/rules/{rule_id}").get_data(as_text=True)
    assert "预警比例" in page and 'name="param.share" value="0.8"' in page and "<textarea" not in page
    for typed, message in (("1.5e400", "预警比例必须是有限的数字"), ("[{}]", "预警比例必须是数字"),
                           ("八成", "预警比例必须是数字")):
        response = client.post(f"/supervision/rules/{rule_id}", data={
            "csrf_token": _csrf(page), "param.share": typed, "level": "warning", "scope_kind": "all",
            "enabled": "on", "note": "调整预警比例"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert f'<span class="error-text" id="error-share">{message}' in html
        assert f'name="param.share" value="{typed}"' in html  # what was typed, not the stored value
        assert 'value="调整预警比例"' in html  # the note is kept too
        assert not any(word in html for word in ("Not a valid", "Traceback", "应在 0 到 None"))
    assert list(rule_row(database, "A001")[1:]) == before


def test_a_rule_with_a_structured_parameter_is_edited_as_lines(client, database):
    login(client, "jw001")
    rule_id, params, version, *_ = rule_row(database, "A016")
    page = client.get(f"/supervision/rules/{rule_id}").get_data(as_text=True)
    assert "penalty_kind|罚款|fine_amount" in page
    response = client.post(f"/supervision/rules/{rule_id}", data={
        "csrf_token": _csrf(page), "param.when": "penalty_kind|罚款", "level": "alarm", "scope_kind": "all",
        "enabled": "on", "note": "少了一列"})
    assert response.status_code == 422 and "写作 选择字段|选项|金额字段" in response.get_data(as_text=True)
    assert rule_row(database, "A016")[1:3] == (params, version)


# --- broken stored parameters: an incident, not an outage -----------------------------------------

def test_broken_stored_parameters_do_not_stop_intake_or_completion(run, database, frozen_clock, company, client,
                                                                   stored_params):
    stored_params("A010", {"times": [{}]})  # a transition check (returns)
    stored_params("A001", {"share": "abc"})  # a time-driven rule, planned at every transition
    stored_params("A020", {"field": "fee", "max": {"x": 1}})  # a blocking check
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    do(run, database, case.id, As("sc003"), "review")
    assert get_case(database, case.id).state == "accepted" and open_steps(database, case.id) != ["review"]
    found = open_incidents(database)
    for code in ("A010", "A001", "A020"):
        assert found[f"rule:{code}"].kind == "rule" and found[f"rule:{code}"].case_id == case.id
    assert "预警比例必须是数字" in found["rule:A001"].error and found["rule:A001"].count >= 3
    login(client, "jw001")
    page = client.get("/supervision/incidents").get_data(as_text=True)
    assert 'data-incident="rule:A001"' in page and "监察规则 A001（环节用时达到时限比例预警）未能检查" in page
    assert "could not convert" not in page  # a library's English stays in the log

    rule_id = rule_row(database, "A001")[0]
    with database.transaction() as s:  # mending the rule closes its incident
        update_rule(s, rule_id, supervisor(s), params={"share": 0.8}, note="修正参数")
    assert "rule:A001" not in open_incidents(database)


def test_a_blocking_check_that_breaks_lets_the_step_through_with_an_incident_and_an_alarm(
        run, database, frozen_clock, restore_catalogue):
    with database.transaction() as s:  # 裁量基准 stored broken (before the catalogue was checked)
        version_id = s.scalars(select(Item).where(Item.code == PENALTY)).one().current_version_id
        extra = dict(s.get(ItemVersion, version_id).extra)
        s.execute(update(ItemVersion).where(ItemVersion.id == version_id)
                  .values(extra=dict(extra, 裁量基准={"一般": "五千到三万"})))
    invalidate()
    try:
        case = penalty_to_decide(run, database)
        do(run, database, case.id, As("sc006"), "decide",
           data={"penalty_kind": ["罚款"], "severity": "一般", "fine_amount": 50000})
        assert "decide" not in open_steps(database, case.id)
        incident = open_incidents(database)["rule:A021"]
        assert incident.case_id == case.id and "ValueError" in incident.error
        with database.transaction(write=False) as s:
            alarm = s.scalars(select(Alert).where(Alert.rule_code == "A021", Alert.case_id == case.id)).one()
        assert alarm.level == "alarm" and "未能检查此次操作" in alarm.message and "规则故障" in alarm.tags
    finally:
        with database.transaction() as s:
            s.execute(update(ItemVersion).where(ItemVersion.id == version_id).values(extra=extra))
            s.execute(delete(SchedulerIncident))
        invalidate()


def test_a_tick_with_a_broken_rule_records_it_and_fires_the_others(run, database, frozen_clock, company,
                                                                   stored_params):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    review = task_id(database, case.id, "review")
    stored_params("A001", {"share": [{}]})
    clock.travel(datetime(2026, 10, 9, 9, tzinfo=clock.LOCAL_TZ))  # A030 and A001 fall due on 材料审查
    report = scheduler.run_tick(database)
    with database.transaction(write=False) as s:
        codes = set(s.scalars(select(Alert.rule_code).where(Alert.case_id == case.id)))
    assert "A030" in codes and "A001" not in codes
    incident = open_incidents(database)[f"watch:A001:case:{case.id}:task:{review}"]
    assert "监察规则 A001 的参数有误：预警比例必须是数字" in incident.error
    assert f"watch:A001:case:{case.id}:task:{review}" in report.incidents


def test_a_broken_volume_rule_is_an_incident_and_the_tick_goes_on(database, frozen_clock, stored_params):
    stored_params("C001", {"threshold": "half", "min_cases": 5})
    report = scheduler.run_tick(database)
    month = "2026-08"
    incident = open_incidents(database)[f"volume:{month}"]
    assert incident.kind == "rule" and "变化幅度阈值必须是数字" in incident.error
    assert report.incidents and f"volume:{month}" in report.incidents
