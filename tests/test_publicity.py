"""结果公示 (seed 002 §7.3 rule 9): finished cases of the items whose results the law makes public,
newest first, 20 a page; natural persons masked, legal persons named; searchable by item, department
and keyword, never by a natural person's name; whatever the query string, never a server error."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.models import Department
from engine.organisation import publish_item
from engine.service import handle_on_the_spot
from webapp.demo.items import ITEMS

from .conftest import As
from .test_hall import FOOD, HYGIENE, INFO, SHOP, SUPERVISE, add_case, local

PENALTY = "025309300005"
PERSON_CERT, PERSON_PHONE = "11010519491231002X", "13800000000"


def _get(client, path: str) -> tuple[int, str]:
    response = client.get(path)
    html = response.get_data(as_text=True)
    response.close()
    return response.status_code, html


def _listed(html: str) -> list[str]:
    """The 办件编号 column, in order."""
    return re.findall(r'<td data-label="办件编号">([^<]+)</td>', html)


def _finished(database, code: str, day: str, hour: int = 10, minute: int = 0, **kw):
    return add_case(database, code, received=local(day, 9), accepted=local(day, 9), finished=local(day, hour, minute),
                    deadline=date.fromisoformat(day) + timedelta(days=20), **kw)


def test_a_natural_person_is_masked_and_a_legal_person_named(client, database, run, frozen_clock, person, company):
    # a real 即办件 (个体工商户设立登记, results public): its subject is "张三申请个体工商户设立登记"
    shop = run(handle_on_the_spot, SHOP, person, As("sc001"), data={"business_name": "张三小吃店"})
    assert "张三" in shop.subject
    food = _finished(database, FOOD, "2026-09-25", applicant=(company.name, "2"), cert_number=company.cert_number,
                     phone=company.phone)
    status, html = _get(client, "/results")
    assert status == 200
    assert _listed(html) == [shop.number, food.number]  # newest first
    assert "个体工商户设立登记（申请人：张*）" in html
    assert "食品经营许可（申请人：阳光县好味道餐饮有限公司）" in html
    assert "准予登记" in html and "准予许可" in html and "2026-09-28 09:00" in html
    for private in ("张三", PERSON_CERT, PERSON_PHONE, "阳光县城关镇", "李四", company.phone, company.cert_number,
                    shop.subject):
        assert private not in html, private


def test_a_penalty_names_its_party_not_an_applicant(client, database, frozen_clock):
    """行政处罚 decisions the item publishes (行政处罚法 art. 48) list the 当事人, masked as anyone else."""
    fined = _finished(database, PENALTY, "2026-09-21", applicant=("钱七", "1"), result="罚款 60000 元",
                      subject="对钱七涉嫌经营超过保质期的食品立案调查")
    status, html = _get(client, "/results")
    assert _listed(html) == [fined.number]
    assert "行政处罚一般程序（当事人：钱*）" in html and "罚款 60000 元" in html
    assert "钱七" not in html and "立案调查" not in html


def test_only_finished_cases_of_items_whose_results_are_public(client, database, run, frozen_clock, company):
    shown = [_finished(database, FOOD, "2026-09-21"),  # 行政许可: always
             _finished(database, HYGIENE, "2026-09-22"),
             _finished(database, SHOP, "2026-09-23", applicant=("王五", "1"))]  # 行政确认 marked public
    hidden = [_finished(database, INFO, "2026-09-24", applicant=("赵六", "1")),  # 政府信息公开: not public
              _finished(database, SUPERVISE, "2026-09-24"),  # internal 督办
              add_case(database, FOOD, received=local("2026-09-24"), accepted=local("2026-09-24")),  # open
              add_case(database, FOOD, received=local("2026-09-24"), state="rejected"),
              add_case(database, FOOD, received=local("2026-09-24"), state="withdrawn")]
    status, html = _get(client, "/results")
    assert status == 200 and "共 3 条" in html
    assert _listed(html) == [c.number for c in reversed(shown)]
    for case in hidden:
        assert case.number not in html
    assert "电子监察督办" not in html and "政府信息公开申请" not in html and "赵*" not in html


def test_the_case_s_own_item_version_decides(client, database, frozen_clock, restore_catalogue):
    """Results public or not is what the item said when the case was handled: marking the item's
    results public later does not publish earlier cases."""
    before = _finished(database, INFO, "2026-09-21")
    fields = dict(next(i for i in ITEMS if i["code"] == INFO)["fields"], results_public=True)
    with database.transaction() as s:
        department = s.scalars(select(Department).where(Department.code == "zfb")).one()
        publish_item(s, INFO, department, fields)
    after = _finished(database, INFO, "2026-09-22")
    status, html = _get(client, "/results")
    assert _listed(html) == [after.number] and before.number not in html
    assert f'<option value="{INFO}">政府信息公开申请</option>' in html


def test_filters_by_item_department_and_keyword(client, database, frozen_clock, company):
    food = _finished(database, FOOD, "2026-09-21", applicant=("阳光县云岭茶叶有限公司", "2"))
    hygiene = _finished(database, HYGIENE, "2026-09-22", applicant=("阳光县青松宾馆有限公司", "2"))
    person = _finished(database, FOOD, "2026-09-23", applicant=("张三", "1"))
    assert _listed(_get(client, f"/results?item={FOOD}")[1]) == [person.number, food.number]
    assert _listed(_get(client, "/results?department=wsjkj")[1]) == [hygiene.number]
    assert _listed(_get(client, f"/results?department=scjgj&item={HYGIENE}")[1]) == []
    assert _listed(_get(client, "/results?q=青松宾馆")[1]) == [hygiene.number]
    assert _listed(_get(client, "/results?q=卫生许可")[1]) == [hygiene.number]  # the item's name
    assert _listed(_get(client, f"/results?q={food.number}")[1]) == [food.number]
    assert _listed(_get(client, f"/results?q={food.number[:-5]}")[1]) == [food.number]  # its beginning
    assert _listed(_get(client, f"/results?q={food.number[-8:]}")[1]) == []  # not any part of it
    # full-width digits as a Chinese input method types them
    wide = food.number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert _listed(_get(client, f"/results?q={wide}")[1]) == [food.number]
    status, html = _get(client, f"/results?item={FOOD}&q=云岭")
    assert _listed(html) == [food.number]
    assert f'<option value="{FOOD}" selected>' in html and 'value="云岭"' in html


def test_a_search_never_confirms_a_natural_person_s_name(client, database, frozen_clock):
    _finished(database, FOOD, "2026-09-21", applicant=("张三", "1"), subject="张三申请食品经营许可")
    for q in ("张三", "张", "张*", "11010519491231002X", "13800000000"):
        status, html = _get(client, f"/results?q={q}")
        assert status == 200 and _listed(html) == [] and "共 0 条" in html, q


def _link(html: str, rel: str) -> str:
    return re.search(rf'<a href="([^"]+)" rel="{rel}">', html).group(1).replace("&amp;", "&")


def test_twenty_a_page_newest_first(client, database, frozen_clock):
    numbers = [_finished(database, FOOD, "2026-09-01", hour=8, minute=m).number for m in range(45)]
    newest = list(reversed(numbers))
    first = _get(client, "/results")[1]
    assert _listed(first) == newest[:20] and "共 45 条" in first and 'rel="prev"' not in first
    second = _get(client, _link(first, "next"))[1]
    third = _get(client, _link(second, "next"))[1]
    assert _listed(second) == newest[20:40] and _listed(third) == newest[40:] and 'rel="next"' not in third
    assert _listed(_get(client, _link(third, "prev"))[1]) == newest[20:40]
    assert _listed(_get(client, "/results?page=3")[1]) == newest[:20]  # the numbered pages are gone: the first
    filtered = _get(client, f"/results?item={FOOD}")[1]
    assert f"item={FOOD}" in _link(filtered, "next")
    assert _listed(_get(client, _link(filtered, "next"))[1]) == newest[20:40]
    assert _listed(_get(client, "/results?after=bm90LWEtY3Vyc29y")[1]) == newest[:20]  # not ours: ignored


@pytest.mark.parametrize("query", [
    "item=' OR 1=1 --", "item=%00", "item=" + "9" * 5000, "department=%ff%fe", "department=../../etc",
    "q=%00", "q=%25", "q=_", "q=\\", "q=" + "长" * 500, "q=%E2%80%AEabc", "q=a%0Ab", "page=-1", "page=abc",
    "page=99999999999999", "page=1e3", "after=%00", "before=" + "A" * 600, "after=W10", "q=99999", "q=0", "page=%EF%BC%92", "item=a&item=b&q=1&q=2", "q[]=x&page[]=2", "%00=%00",
])
def test_hostile_queries_are_ignored_never_a_server_error(client, database, frozen_clock, query):
    _finished(database, FOOD, "2026-09-21")
    status, html = _get(client, f"/results?{query}")
    assert status == 200 and "结果公示" in html


def test_pages_for_anyone(client):
    for path in ("/results", "/hall"):
        status, html = _get(client, path)
        assert status == 200 and "登录" not in html, path
