"""The catalogue's fields for the public column: 俗称 (the words people say), 面向对象 and 办事主题
(where the item is listed), 结果公示, and each 服务表格's 简要说明 — checked with Chinese messages,
edited on the item page, compared between versions, and filled in for the demo county."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engine import catalogue
from engine.catalogue import (
    checked_fields,
    compare_fields,
    compare_versions,
    declare_change,
    declare_status,
    fields_of,
    public_notes,
    publish_checked,
    submit_change,
)
from engine.errors import InvalidInput
from engine.models import Item, ItemChange, ItemVersion
from engine.models.items import AUDIENCES, THEMES
from forms.online import EX_OFFICIO
from webapp.catalogue.itemform import from_form
from webapp.demo.items import ITEMS

from .conftest import As
from .helpers import do
from .webhelpers import _csrf, login

FOOD = "015309300002"
INTERNAL = ("105309300099", "105309300098", "205309300097", "205309300096")


def food_fields(database) -> dict:
    with database.transaction(write=False) as s:
        return fields_of(s.scalars(select(Item).where(Item.code == FOOD)).one().current_version)


def changes(database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(ItemChange))


@pytest.mark.parametrize("change, field, message", [
    ({"aliases": ["开饭店", "开饭店"]}, "aliases", "俗称“开饭店”重复"),
    ({"aliases": ["开饭店", "开 饭店", "开饭店 "]}, "aliases", "俗称“开饭店”重复"),
    ({"aliases": ["开" * 31]}, "aliases", "第 1 个俗称不能超过 30 个字（现有 31 个）"),
    ({"aliases": [f"说法{i}" for i in range(21)]}, "aliases", "俗称最多 20 个（现有 21 个）"),
    ({"aliases": ["开饭店", "  "]}, "aliases", "第 2 个俗称为空"),
    ({"aliases": ["开饭店", 3]}, "aliases", "第 2 个俗称必须是文字"),
    ({"aliases": "开饭店"}, "aliases", "俗称格式不正确，应为一组词语"),
    ({"aliases": ["开\u202e店饭"]}, "aliases", "第 1 个俗称含有不允许的控制字符（U+202E）"),
    ({"audiences": ["citizen"]}, "audiences", "面向对象只能从“个人办事”“法人办事”中选择（收到“citizen”）"),
    ({"audiences": "person"}, "audiences", "面向对象格式不正确"),
    ({"audiences": ["company"], "themes": ["就业创业", "准营准办"]}, "themes",
     "办事主题“就业创业”不属于所选的面向对象（法人办事）"),
    ({"audiences": [], "themes": ["公共信息"]}, "themes", "请先选择面向对象（个人办事或法人办事），再选择办事主题"),
    ({"themes": ["开饭店"]}, "themes", "办事主题“开饭店”不存在"),
    ({"results_public": "也许"}, "results_public", "结果公示应为“是”或“否”"),
    ({"service_forms": [{"code": "SP-01", "name": "甲"}, {"code": "SP-01", "name": "乙"}]}, "service_forms",
     "服务表格的表格编号“SP-01”重复"),
    ({"service_forms": [{"code": "SP/01", "name": "甲"}]}, "service_forms", "服务表格第 1 行：表格编号只能包含汉字、字母"),
    ({"service_forms": [{"code": "../x", "name": "甲"}]}, "service_forms", "服务表格第 1 行：表格编号只能包含汉字、字母"),
    ({"service_forms": [{"code": "SP-01", "name": " "}]}, "service_forms", "服务表格第 1 行：请填写表格名称"),
    ({"service_forms": [{"name": "申请书"}]}, "service_forms", "服务表格第 1 行：请填写表格编号"),
    ({"service_forms": [{"code": "SP-01", "name": "甲", "summary": "说" * 201}]}, "service_forms",
     "服务表格第 1 行：简要说明不能超过 200 个字（现有 201 个）"),
])
def test_bad_public_fields_are_refused_in_chinese(run, database, restore_catalogue, change, field, message):
    fields = dict(food_fields(database), **change)
    with pytest.raises(InvalidInput) as info:
        run(declare_change, As("xz001"), fields, "调整", FOOD)
    assert message in info.value.message and message in info.value.details["errors"][field]
    assert "事项信息有误，不能申报" in info.value.message and "None" not in info.value.message
    assert changes(database) == 0


def test_public_fields_are_stored_in_one_form(run, database, frozen_clock, restore_catalogue):
    fields = dict(food_fields(database), aliases=[" 开饭店 ", "办餐饮", "ＫＴＶ"], audiences=["company", "person", "company"],
                  themes=["准营准办", "就业创业"], results_public="是")
    change = run(declare_change, As("xz001"), fields, "补充专栏信息", FOOD)
    with database.transaction(write=False) as s:
        stored = s.get(ItemChange, change.id).fields
    assert stored["aliases"] == ["开饭店", "办餐饮", "KTV"]
    assert stored["audiences"] == ["person", "company"]  # the list's order: equal choices never differ by order
    assert stored["themes"] == ["就业创业", "准营准办"] and stored["results_public"] is True


def test_null_lists_are_empty_and_every_theme_of_each_audience_is_accepted():
    everything = [t for a in AUDIENCES for t in THEMES[a]]
    out = checked_fields({"aliases": None, "audiences": list(AUDIENCES), "themes": everything})
    assert out["aliases"] == [] and out["themes"] == list(dict.fromkeys(everything))
    assert checked_fields({"audiences": None, "themes": None}) == {"audiences": [], "themes": []}


# ---------------------------------------------------------------- the edit page

def _form_values(page: str) -> dict:
    values = dict(re.findall(r'<input type="(?:text|number)" name="([^"]+)" value="([^"]*)"', page))
    values.update(re.findall(r'<textarea name="([^"]+)" rows="\d+"[^>]*>([^<]*)</textarea>', page))
    return values


def _ticked(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)" checked>', page)


def test_the_item_page_edits_the_public_fields_and_keeps_what_was_typed_on_refusal(client, database, frozen_clock,
                                                                                   restore_catalogue):
    login(client, "xz001")
    page = client.get(f"/catalogue/{FOOD}/change").get_data(as_text=True)
    values = _form_values(page)
    assert values["aliases"].splitlines()[:4] == ["开饭店", "开餐馆", "办餐饮", "餐饮许可"]
    assert _ticked(page, "audiences") == ["person", "company"]
    assert _ticked(page, "themes") == ["就业创业", "准营准办"]
    assert "SP-01|食品经营许可申请书|首次申请食品经营许可（新办）时填写|单位加盖公章" in values["service_forms"]
    assert "表格编号|表格名称|简要说明|填写说明" in page

    typed = "开饭店，开餐馆\n办餐饮、餐饮许可\n\n小吃店许可"
    values.update({"category": "01", "case_type": "promised", "subject_nature": "法定机关", "limit_unit": "workday",
                   "clock_start": "acceptance", "process_key": "food_business_license", "aliases": typed,
                   "public_fields": "1", "audiences": ["company"], "themes": ["就业创业", "准营准办"],
                   "results_public": "on", "reason": "按群众常用说法补充俗称", "csrf_token": _csrf(page),
                   "service_forms": values["service_forms"] + "\nSP-04|食品经营许可补办申请书|许可证遗失、损坏时填写|"})
    refused = client.post(f"/catalogue/{FOOD}/change", data=values)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="error-themes">办事主题“就业创业”不属于所选的面向对象（法人办事）。</span>', page)
    assert '<a href="#input-themes">' in page  # the summary links to the field
    assert _form_values(page)["aliases"] == typed  # as typed, not as parsed
    assert _ticked(page, "audiences") == ["company"] and _ticked(page, "themes") == ["就业创业", "准营准办"]
    assert re.search(r'name="results_public" checked', page)
    assert changes(database) == 0

    values.update(themes=["准营准办"], csrf_token=_csrf(page))
    done = client.post(f"/catalogue/{FOOD}/change", data=values)
    assert done.status_code == 302, done.get_data(as_text=True)
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    rows = dict((label, (old, new)) for label, old, new in re.findall(
        r"<tr><td>([^<]+)</td><td><pre>([^<]*)</pre></td><td><pre>([^<]*)</pre></td></tr>", page))
    assert set(rows) == {"俗称", "面向对象", "办事主题", "结果公示", "服务表格"}
    assert rows["俗称"][1] == "开饭店、开餐馆、办餐饮、餐饮许可、小吃店许可"
    assert rows["面向对象"] == ("个人办事、法人办事", "法人办事")
    assert rows["办事主题"] == ("就业创业、准营准办", "准营准办") and rows["结果公示"] == ("否", "是")
    assert "4. SP-04 食品经营许可补办申请书（简要说明：许可证遗失、损坏时填写）" in rows["服务表格"][1]


def test_a_post_without_the_public_section_keeps_the_items_choices(client, database, frozen_clock, restore_catalogue):
    """Checkboxes send nothing when none is ticked; a post that lacks the section altogether (an
    older page, a script) must not clear the item's audiences."""
    login(client, "xz001")
    page = client.get(f"/catalogue/{FOOD}/change").get_data(as_text=True)
    values = _form_values(page)
    values.update({"category": "01", "case_type": "promised", "subject_nature": "法定机关", "limit_unit": "workday",
                   "process_key": "food_business_license", "promised_limit": "12", "reason": "压缩时限",
                   "csrf_token": _csrf(page)})
    assert client.post(f"/catalogue/{FOOD}/change", data=values).status_code == 302
    with database.transaction(write=False) as s:
        stored = s.scalars(select(ItemChange)).one().fields
    assert stored["audiences"] == ["person", "company"] and stored["themes"] == ["就业创业", "准营准办"]

    values.update(public_fields="1")  # the section shown and nothing ticked: cleared
    cleared = from_form(MultiDict(values), stored)
    assert cleared["audiences"] == [] and cleared["themes"] == [] and cleared["results_public"] is False


# ---------------------------------------------------------------- versions

def test_comparing_versions_lists_the_public_fields_in_words(client, database, restore_catalogue):
    with database.transaction() as s:
        item = s.scalars(select(Item).where(Item.code == FOOD)).one()
        fields = fields_of(item.current_version)
        publish_checked(s, FOOD, item.department, dict(fields, aliases=fields["aliases"] + ["开面馆"], audiences=["company"],
                                                      themes=["准营准办"], results_public=True), "530930")
        old = s.scalars(select(ItemVersion).where(ItemVersion.item_id == item.id, ItemVersion.version == 1)).one()
        diff = compare_versions(old, item.current_version)
    assert [d.label for d in diff] == ["俗称", "面向对象", "办事主题", "结果公示"]
    login(client, "sc001")
    page = client.get(f"/catalogue/{FOOD}?a=1&b=2").get_data(as_text=True)
    table = page.split('id="diff"')[1].split("</table>")[0]
    assert re.findall(r"<tr><td>([^<]+)</td>", table) == ["俗称", "面向对象", "办事主题", "结果公示"]
    assert "个人办事、法人办事" in table and "就业创业、准营准办" in table and "开面馆" in table


def test_a_change_declared_before_the_public_fields_shows_no_difference_in_them():
    before = {"name": "食品经营许可", "promised_limit": 15}
    now = dict(before, aliases=[], audiences=[], themes=[], results_public=False)
    assert compare_fields(before, now) == [] and compare_fields(now, before) == []
    assert [d.label for d in compare_fields(before, dict(now, aliases=["开饭店"]))] == ["俗称"]


def test_public_notes_tell_the_designer_what_the_column_will_miss(client, database):
    with database.transaction(write=False) as s:
        food = fields_of(s.scalars(select(Item).where(Item.code == FOOD)).one().current_version)
        assert public_notes(s, food) == []
        bare = dict(food, aliases=[], audiences=[], themes=[])
        assert public_notes(s, bare) == ["未选择面向对象：事项不会出现在“个人办事”“法人办事”栏目中",
                                         "未填写俗称：群众按常用说法（如“开饭店”）搜索时可能找不到本事项"]
        assert public_notes(s, dict(food, themes=[])) == ["未选择办事主题：事项不会出现在按主题办事的列表中"]
        for code in INTERNAL:  # internal flows are never public: nothing to say
            internal = fields_of(s.scalars(select(Item).where(Item.code == code)).one().current_version)
            assert internal["audiences"] == [] and public_notes(s, internal) == []
    login(client, "xz001")
    page = client.get(f"/catalogue/{FOOD}").get_data(as_text=True)
    assert "政务服务专栏提示" not in page and "开饭店、开餐馆、办餐饮、餐饮许可" in page


def test_a_status_change_refreshes_the_public_search(run, database, frozen_clock, restore_catalogue, monkeypatch):
    refreshed = []
    monkeypatch.setattr(catalogue.search, "refresh_item", lambda session, item: refreshed.append((item.code, item.status)))
    change = run(declare_status, As("xz001"), FOOD, "suspended", "上级机关调整实施主体，暂停受理")
    run(submit_change, As("xz001"), change.id, "")
    assert refreshed == []  # not while in review
    do(run, database, change.review_case_id, As("sf001"), "legal_review", opinion="合法。")
    assert refreshed == [(FOOD, "suspended")]


# ---------------------------------------------------------------- the demo county

def test_demo_items_say_what_people_say_and_where_they_are_listed(database):
    by_code = {i["code"]: i["fields"] for i in ITEMS}
    assert {"开饭店", "开餐馆", "办餐饮", "餐饮许可"} <= set(by_code[FOOD]["aliases"])
    assert {"开个体店", "办营业执照", "个体执照"} <= set(by_code["075309300001"]["aliases"])
    assert {"建房", "盖房子", "施工许可"} <= set(by_code["015309300004"]["aliases"])
    for code, fields in by_code.items():
        assert checked_fields(fields)  # every value within the catalogue's rules
        assert fields["aliases"], code
        if code in INTERNAL:
            assert fields["audiences"] == [] and fields["themes"] == [] and fields["service_forms"] == []
            continue
        if fields["category"] in EX_OFFICIO:  # 依职权: no one applies for a penalty, so it is no one's 办事 either
            assert fields["audiences"] == [] and fields["themes"] == [], code
            continue
        assert fields["audiences"] and fields["themes"], code
        allowed = {t for a in fields["audiences"] for t in THEMES[a]}
        assert set(fields["themes"]) <= allowed, code
        assert len(fields["service_forms"]) >= 2, code
        assert all(f["summary"] and f["note"] for f in fields["service_forms"]), code
    with database.transaction(write=False) as s:
        stored = fields_of(s.scalars(select(Item).where(Item.code == FOOD)).one().current_version)
    assert stored["aliases"] == by_code[FOOD]["aliases"] and stored["audiences"] == ["person", "company"]
