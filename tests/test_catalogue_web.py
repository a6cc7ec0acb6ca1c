"""The catalogue pages and the designer's server side, as a designer and the legal office use them."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.models import ItemChange
from engine.service import start_case

from .conftest import As
from .test_designer import FOOD, KEY, with_expert
from .webhelpers import _csrf, login


def test_catalogue_lists_items_and_shows_an_item_with_its_completeness(client):
    login(client, "xz001")
    page = client.get("/catalogue").get_data(as_text=True)
    assert "食品经营许可" in page and FOOD in page
    page = client.get(f"/catalogue/{FOOD}").get_data(as_text=True)
    assert "信息完整性检查通过" in page and "打开流程设计器" in page and "第 1 版" in page


def test_an_incomplete_new_item_is_refused_listing_what_it_lacks(client, database):
    login(client, "xz001")
    token = _csrf(client.get("/catalogue/new").get_data(as_text=True))
    response = client.post("/catalogue/new", data={
        "csrf_token": token, "name": "生产建设项目水土保持方案审批", "category": "02", "case_type": "promised",
        "subject_nature": "法定机关", "limit_unit": "workday", "legal_limit": "20", "promised_limit": "30",
        "extra_处罚种类": "警告、罚款", "extra_裁量_一般_min": "5000", "extra_裁量_一般_max": "30000",
        "reason": "新增"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for lacking in ("行使依据", "办理科室", "受理条件", "承诺期限不能超过法定期限", "办理地点", "材料清单",
                    "分类特有信息：处罚程序", "分类特有信息：实施主体", "权力运行流程图"):
        assert lacking in page
    assert "分类特有信息：处罚种类" not in page and "分类特有信息：裁量基准" not in page
    assert 'value="生产建设项目水土保持方案审批"' in page  # what was typed is kept
    with database.transaction(write=False) as s:
        assert s.scalars(select(ItemChange)).first() is None


def test_a_change_is_declared_from_the_form_and_shown_to_the_legal_office(client, database, frozen_clock,
                                                                            restore_catalogue):
    login(client, "xz001")
    form = client.get(f"/catalogue/{FOOD}/change").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="(?:text|number)" name="([^"]+)" value="([^"]*)"', form))
    fields.update({k: v for k, v in re.findall(r'<textarea name="([^"]+)" rows="\d+">([^<]*)</textarea>', form)})
    fields.update({"category": "01", "case_type": "promised", "subject_nature": "法定机关", "limit_unit": "workday",
                   "process_key": KEY, "promised_limit": "10", "reason": "优化营商环境，承诺时限压缩至 10 个工作日",
                   "csrf_token": _csrf(form)})
    response = client.post(f"/catalogue/{FOOD}/change", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "审核中" in page
    rows = re.findall(r"<tr><td>([^<]+)</td><td><pre>([^<]*)</pre></td><td><pre>([^<]*)</pre></td></tr>", page)
    assert rows == [("承诺期限", "15 工作日", "10 工作日")]  # exactly the one field that changed


def test_comparing_two_item_versions_shows_exactly_the_differences(client, run, database, restore_catalogue):
    from engine.catalogue import fields_of, publish_checked
    from engine.models import Department, Item

    with database.transaction() as s:
        item = s.scalars(select(Item).where(Item.code == FOOD)).one()
        fields = fields_of(item.current_version)
        fields.update(phone="0883-6120316", place="阳光县政务服务中心二楼")
        publish_checked(s, FOOD, s.get(Department, item.department_id), fields, "530930")
    login(client, "sc001")
    page = client.get(f"/catalogue/{FOOD}?a=1&b=2").get_data(as_text=True)
    table = page.split('id="diff"')[1].split("</table>")[0]
    assert re.findall(r"<tr><td>([^<]+)</td>", table) == ["办理地点", "联系电话"]
    assert "阳光县政务服务中心二楼" in table and "0883-6120316" in table


def test_designer_save_refused_with_problems_on_elements_then_saved(client, database, restore_catalogue):
    login(client, "xz001")
    page = client.get(f"/designer/{KEY}").get_data(as_text=True)
    assert "流程设计器" in page and "designer-meta" in page
    token = re.search(r'"csrf": "([^"]+)"', page).group(1)
    assert client.get(f"/designer/{KEY}/xml").get_data(as_text=True).startswith("<?xml")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    bad = client.post(f"/designer/{KEY}/save", json={"xml": with_expert(post="").decode()}, headers=headers)
    assert bad.status_code == 422
    assert [(p["element"], "没有指定办理岗位" in p["message"]) for p in bad.get_json()["problems"]] == [("expert", True)]
    good = client.post(f"/designer/{KEY}/save", json={"xml": with_expert().decode()}, headers=headers)
    assert good.status_code == 200 and good.get_json()["change_id"]
    assert client.get(f"/designer/{KEY}/xml").get_data(as_text=True) == with_expert().decode()  # the draft, unchanged
    assert client.post(f"/designer/{KEY}/submit", json={"reason": ""}, headers=headers).status_code == 422
    done = client.post(f"/designer/{KEY}/submit", json={"reason": "增加专家评审"}, headers=headers)
    assert done.status_code == 200
    locked = client.post(f"/designer/{KEY}/save", json={"xml": with_expert().decode()}, headers=headers)
    assert locked.status_code == 409 and "审核期间不能修改" in locked.get_json()["message"]


def test_designer_is_for_designers_only(client):
    login(client, "sc001")
    assert client.get(f"/designer/{KEY}").status_code == 403


def test_flow_versions_show_running_cases_and_compare(client, run, database, frozen_clock, company, restore_catalogue):
    from engine.service import deploy_process

    run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    run(deploy_process, with_expert(), f"{KEY}.bpmn", None, FOOD)
    run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    login(client, "xz001")
    page = client.get(f"/flows/{KEY}?a=1&b=2").get_data(as_text=True)
    assert re.findall(r'<td class="running">(\d+)</td>', page) == ["2", "1"]
    diff = page.split('id="flow-diff"')[1].split("</table>")[0]
    assert re.findall(r'data-element="([^"]+)"', diff) == ["expert", "flow_7", "flow_expert"]
    exported = client.get(f"/flows/{KEY}/2.bpmn")
    assert exported.get_data() == with_expert() and "attachment" in exported.headers["Content-Disposition"]


def test_a_new_flow_starts_blank_under_a_valid_process_id(client):
    login(client, "xz001")
    assert client.get("/designer?key=1bad key").headers["Location"].endswith("/catalogue")
    response = client.get("/designer?key=water_permit")
    assert response.headers["Location"].endswith("/designer/water_permit")
    assert "新流程" in client.get("/designer/water_permit").get_data(as_text=True)
    xml = client.get("/designer/water_permit/xml").get_data(as_text=True)
    assert 'bpmn:process id="water_permit"' in xml
