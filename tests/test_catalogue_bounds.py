"""Catalogue values that would make processing fail are refused when declared, with the field's
Chinese label, on the page and in the service; a bad value stored before these checks (written
here with SQL) is caught again at approval, with a Chinese reason, and can still be sent back."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from engine.catalogue import declare_change, fields_of
from engine.errors import InvalidInput
from engine.models import Item, ItemChange

from .conftest import As
from .helpers import do, open_steps
from .webhelpers import _csrf, login

FOOD = "015309300002"


def food_fields(database) -> dict:
    with database.transaction(write=False) as s:
        return fields_of(s.scalars(select(Item).where(Item.code == FOOD)).one().current_version)


def changes(database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(ItemChange))


@pytest.mark.parametrize("change, field, message", [
    ({"materials": [{"name": "申请书", "count": 10**30, "required": True}]}, "materials",
     "材料清单第 1 行：份数应在 1 到 99 之间"),
    ({"materials": [{"name": "申请书", "count": "三份", "required": True}]}, "materials", "份数必须是整数"),
    ({"legal_limit": 10**12, "promised_limit": 5}, "legal_limit", "法定期限应在 0 到 3660 之间"),
    ({"promised_limit": -1}, "promised_limit", "承诺期限应在 0 到 3660 之间"),
    ({"extension_limit": "1e400"}, "extension_limit", "可延长期限必须是整数"),
    ({"correction_answer_days": 61}, "correction_answer_days", "补正答复期限应在 0 到 60 之间"),
    ({"name": "食" * 201}, "name", "事项名称不能超过 200 个字"),
    ({"phone": "0883-6120315\x00"}, "phone", "联系电话含有不允许的控制字符"),
    ({"online_url": "javascript:alert(1)"}, "online_url", "在线办理链接应以 http:// 或 https:// 开头"),
    ({"limit_unit": "fortnight"}, "limit_unit", "请从期限单位的选项中选择"),
    ({"extra": {"裁量基准": {"一般": [5000, float("inf")]}}}, "extra", "裁量基准“一般”：裁量基准金额必须是有限的数字"),
    ({"extra": {"裁量基准": {"一般": [30000, 5000]}}}, "extra", "裁量基准“一般”的下限大于上限"),
    ({"legal_basis": [{"title": "条例", "article": "第一条", "text": "x", "secret": 1}]}, "legal_basis", "不能识别的项目"),
])
def test_the_service_refuses_values_processing_cannot_use(run, database, restore_catalogue, change, field, message):
    fields = dict(food_fields(database), **change)
    with pytest.raises(InvalidInput) as info:
        run(declare_change, As("xz001"), fields, "调整", FOOD)
    assert message in info.value.message and message in info.value.details["errors"][field]
    assert "事项信息有误，不能申报" in info.value.message and "None" not in info.value.message
    assert changes(database) == 0


def test_full_width_numbers_are_read_as_numbers(run, database, frozen_clock, restore_catalogue):
    fields = dict(food_fields(database), promised_limit="１０", materials=[{"name": "申请书", "count": "２"}])
    change = run(declare_change, As("xz001"), fields, "全角数字", FOOD)
    with database.transaction(write=False) as s:
        stored = s.get(ItemChange, change.id).fields
    assert stored["promised_limit"] == 10 and stored["materials"][0]["count"] == 2


def form_of(client, code=FOOD) -> dict:
    form = client.get(f"/catalogue/{code}/change").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="(?:text|number)" name="([^"]+)" value="([^"]*)"', form))
    fields.update({k: v for k, v in re.findall(r'<textarea name="([^"]+)" rows="\d+">([^<]*)</textarea>', form)})
    fields.update({"category": "01", "case_type": "promised", "subject_nature": "法定机关", "limit_unit": "workday",
                   "clock_start": "acceptance", "process_key": "food_business_license",
                   "reason": "调整", "csrf_token": _csrf(form)})
    return fields


def test_the_page_shows_each_refusal_beside_its_field_and_keeps_what_was_typed(client, database, restore_catalogue):
    login(client, "xz001")
    fields = form_of(client)
    typed = {"legal_limit": "99999", "promised_limit": "二十",
             "materials": "申请书|纸质|原件|1000000000000000000000000000000|是"}
    response = client.post(f"/catalogue/{FOOD}/change", data=dict(fields, **typed))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<span class="error-text" id="error-legal_limit">法定期限应在 0 到 3660 之间' in html
    assert '<span class="error-text" id="error-promised_limit">承诺期限必须是整数' in html
    assert "材料清单第 1 行：份数应在 1 到 99 之间" in html
    assert 'name="legal_limit" value="99999"' in html and 'name="promised_limit" value="二十"' in html
    assert "1000000000000000000000000000000" in html  # the material line as typed
    assert not any(word in html for word in ("Not a valid", "Longer than", "None", "Traceback"))
    assert changes(database) == 0


def test_a_bad_department_id_is_refused_not_a_crash(client, database, restore_catalogue):
    login(client, "xz001")
    fields = form_of(client)
    response = client.post("/catalogue/new", data=dict(fields, name="新事项", department=str(2**70)))
    assert response.status_code == 422 and "请选择办理部门" in response.get_data(as_text=True)
    assert client.get("/catalogue/%00/change").status_code == 404


def test_a_stored_bad_value_is_refused_at_approval_and_can_be_sent_back(run, database, frozen_clock,
                                                                         restore_catalogue):
    change = run(declare_change, As("xz001"), dict(food_fields(database), promised_limit=10), "压缩时限", FOOD)
    with database.transaction() as s:  # as if declared before the catalogue was checked
        bad = dict(s.get(ItemChange, change.id).fields, materials=[{"name": "申请书", "count": 10**30}])
        s.execute(update(ItemChange).where(ItemChange.id == change.id).values(fields=bad))
    review = change.review_case_id
    do(run, database, review, As("xz001"), "declare", opinion="申报。")
    with pytest.raises(InvalidInput) as info:
        do(run, database, review, As("sf001"), "legal_review", opinion="同意。")
    assert "事项信息有误，不能发布：材料清单第 1 行：份数应在 1 到 99 之间" in info.value.message
    assert open_steps(database, review) == ["legal_review"]  # nothing half-done
    do(run, database, review, As("sf001"), "legal_review", approved=False, reason="材料份数有误")
    assert open_steps(database, review) == ["declare"]
    with database.transaction(write=False) as s:
        assert s.get(ItemChange, change.id).state == "declared"
        assert s.scalars(select(Item).where(Item.code == FOOD)).one().current_version.promised_limit == 15
