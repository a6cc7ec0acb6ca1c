"""A refused step form shows again exactly what was typed: every ticked 经营项目 (not only the first,
or a case could skip 现场核查 unnoticed), every row of a repeating group; and the data stay as
they were."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput
from forms.intake import receive
from forms.service import submit_step

from .conftest import As
from .helpers import get_case, open_steps, task_id
from .webhelpers import _csrf, login

FOOD = "015309300002"
APPLICATION = {
    "business_name": "阳光县好味道餐饮有限公司", "credit_code": "91530930MA6N8X0Q31", "legal_rep": "李四",
    "legal_rep_id": "11010519491231002X", "phone": "13912345678", "address": "阳光县城关镇人民路 8 号",
    "business_area": "120.5", "categories": ["热食类食品制售"],
}
TICKS = ["预包装食品销售", "热食类食品制售", "自制饮品制售"]


@pytest.fixture
def food_case(run, database, frozen_clock, company):
    return run(receive, FOOD, company, As("sc001"), received={1, 2, 3, 4})


def _checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)"\s+checked', page)


def _complete(client, case_id, task, fields: dict):
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    data = {"csrf_token": _csrf(page), "version": version, "decision": "agree", "opinion": "同意。", **fields}
    return client.post(f"/cases/{case_id}/tasks/{task}/complete", data=data)


def test_every_ticked_option_is_shown_again_after_a_refusal(client, database, food_case):
    login(client, "sc001")
    before = get_case(database, food_case.id)
    fields = {k: v for k, v in APPLICATION.items() if k != "categories"}
    fields.update({"phone": "12", "categories": TICKS, "categories.present": "1", "business_area": "１２０．５"})
    response = _complete(client, food_case.id, task_id(database, food_case.id, "accept"), fields)
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422) and "联系电话：" in page
    assert _checked(page, "categories") == TICKS
    assert 'value="１２０．５"' in page and 'value="12"' in page
    after = get_case(database, food_case.id)
    assert (after.version, after.data, after.event_count) == (before.version, before.data, before.event_count)
    assert open_steps(database, food_case.id) == ["accept"]


def test_ticks_are_kept_in_full_when_the_form_is_accepted(client, database, food_case):
    login(client, "sc001")
    fields = dict(APPLICATION, categories=TICKS, **{"categories.present": "1"})
    assert _complete(client, food_case.id, task_id(database, food_case.id, "accept"), fields).status_code == 302
    assert get_case(database, food_case.id).data["categories"] == TICKS


def _to_inspection(run, database, case_id):
    run(submit_step, task_id(database, case_id, "accept"), As("sc001"), APPLICATION, opinion="受理。")
    run(submit_step, task_id(database, case_id, "review"), As("sc003"), {"prepackaged_only": False}, opinion="同意。")
    assert open_steps(database, case_id) == ["inspect"]


def test_every_group_row_is_shown_again_after_a_refusal(client, run, database, food_case):
    _to_inspection(run, database, food_case.id)
    login(client, "sc003")
    rows = {"inspectors.present": "1",
            "inspectors[0].name": "张伟", "inspectors[0].cert_no": "53093001",
            "inspectors[1].name": "刘洋", "inspectors[1].cert_no": "",
            "inspectors[2].name": "王芳", "inspectors[2].cert_no": "53093003",
            "inspectors[3].name": "周杰", "inspectors[3].cert_no": "53093004",
            "inspection_result": "场所布局合理。", "business_area": "130"}
    before = get_case(database, food_case.id)
    response = _complete(client, food_case.id, task_id(database, food_case.id, "inspect"), rows)
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422) and "核查人员：第 2 项执法证号：必填。" in page
    for key, value in rows.items():
        if key.startswith("inspectors["):
            assert f'name="{key}"' in page and (f'value="{value}"' in page)
    assert re.search(r'name="inspectors\[1\]\.cert_no"[^>]*value=""', page, re.S)
    assert 'name="inspectors[4].name"' in page  # one blank row to add another
    after = get_case(database, food_case.id)
    assert (after.version, after.data) == (before.version, before.data)


def test_a_saved_group_is_shown_with_all_its_rows(client, run, database, food_case):
    _to_inspection(run, database, food_case.id)
    inspectors = [{"name": f"核查员{i}", "cert_no": f"5309300{i}"} for i in range(4)]
    run(submit_step, task_id(database, food_case.id, "inspect"), As("sc003"),
        {"inspectors": inspectors, "inspection_result": "合格。"}, opinion="同意。")
    case = get_case(database, food_case.id)
    assert case.data["inspectors"] == inspectors


def test_group_rows_are_checked_row_by_row_and_bounded(run, database, food_case):
    _to_inspection(run, database, food_case.id)
    inspect = task_id(database, food_case.id, "inspect")
    with pytest.raises(InvalidInput, match="至少需要 2 项"):
        run(submit_step, inspect, As("sc003"), {"inspectors": [{"name": "张伟", "cert_no": "1"}]})
    with pytest.raises(InvalidInput, match="最多 10 项"):
        run(submit_step, inspect, As("sc003"), {"inspectors": [{"name": "张伟", "cert_no": "1"}] * 11})
    with pytest.raises(InvalidInput, match="第 2 项"):
        run(submit_step, inspect, As("sc003"), {"inspectors": [{"name": "张伟", "cert_no": "1"}, "张三"]})
    with pytest.raises(InvalidInput, match="表单中没有此字段"):
        run(submit_step, inspect, As("sc003"), {"inspectors": [{"name": "张伟", "cert_no": "1", "x": "y"}] * 2})
    assert open_steps(database, food_case.id) == ["inspect"]


def test_a_row_past_the_limit_or_a_value_posted_twice_is_refused(client, run, database, food_case):
    _to_inspection(run, database, food_case.id)
    login(client, "sc003")
    inspect = task_id(database, food_case.id, "inspect")
    response = _complete(client, food_case.id, inspect, {"inspectors.present": "1", "inspectors[12].name": "张伟"})
    assert response.status_code in (400, 422) and "核查人员：最多 10 项" in response.get_data(as_text=True)
    page = client.get(f"/cases/{food_case.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = client.post(f"/cases/{food_case.id}/tasks/{inspect}/complete", data=MultiDict([
        ("csrf_token", _csrf(page)), ("version", version), ("business_area", "1"), ("business_area", "2")]))
    assert response.status_code in (400, 422) and "只能填写一个值" in response.get_data(as_text=True)
    assert open_steps(database, food_case.id) == ["inspect"]


def test_a_required_multi_select_left_empty_is_refused(client, database, food_case):
    """经营项目 is required at 受理: no tick at all is no answer (the case must not reach 材料审查)."""
    login(client, "sc001")
    fields = {k: v for k, v in APPLICATION.items() if k != "categories"}
    fields["categories.present"] = "1"
    response = _complete(client, food_case.id, task_id(database, food_case.id, "accept"), fields)
    page = response.get_data(as_text=True)
    assert response.status_code in (400, 422) and "经营项目：必填。" in page, page[:2000]
    assert open_steps(database, food_case.id) == ["accept"]


def test_a_step_already_completed_is_a_conflict_not_a_refusal(client, database, food_case):
    """A second POST of a step done meanwhile (a colleague at the same post, or another tab) hears that
    the step is done, with 409, not that the step is not theirs."""
    login(client, "sc001")
    accept = task_id(database, food_case.id, "accept")
    page = client.get(f"/cases/{food_case.id}").get_data(as_text=True)  # the page the second POST comes from
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    fields = dict(APPLICATION, categories=TICKS, **{"categories.present": "1"})
    assert _complete(client, food_case.id, accept, fields).status_code == 302
    again = client.post(f"/cases/{food_case.id}/tasks/{accept}/complete", data={
        "csrf_token": _csrf(page), "version": version, "decision": "agree", "opinion": "同意。", **fields})
    assert again.status_code == 409 and "该环节已办理或已被退回" in again.get_data(as_text=True)
    assert "accept" not in open_steps(database, food_case.id)
