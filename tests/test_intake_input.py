"""Intake under misuse: numbers that are not finite, text too long for its column or holding
control characters, full-width digits, wrong check digits and phone formats, licence numbers,
and the same form posted twice (one after the other, and at the same moment)."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidInput
from engine.models import Case, CaseEvent
from engine.service import Applicant
from forms.intake import receive
from forms.models import IntakeToken
from forms.registry import get_form, validate_step_data
from webapp.workbench.common import form_int

from .conftest import As
from .webhelpers import _csrf, login

SHOP, FOOD = "075309300001", "015309300002"
ID = "11010519491231002X"
FULL_WIDTH_ID = "１１０１０５１９４９１２３１００２Ｘ"
SHOP_FORM = {
    "ap_applicant_type": "1", "ap_applicant_name": "张三", "ap_cert_type": "111", "ap_cert_number": ID,
    "ap_phone": "13800000000", "ap_channel": "window", "materials": ["1", "2", "3"],
    "business_name": "张三小吃店", "operator_name": "张三", "operator_id": ID, "phone": "13800000000",
    "address": "阳光县城关镇人民路 12 号", "business_scope": "小吃服务", "form_of_organisation": "个人经营",
    "capital": "50000", "employees": "2",
}


def _token(html: str) -> str:
    return re.search(r'name="intake_token" value="([^"]+)"', html).group(1)


def _cases(database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(Case))


def _post(client, code, **changes):
    page = client.get(f"/intake/{code}").get_data(as_text=True)
    data = dict(SHOP_FORM, csrf_token=_csrf(page), intake_token=_token(page))
    data.update(changes)
    return client.post(f"/intake/{code}", data=data)


@pytest.mark.parametrize("typed, message", [
    ("NaN", "请输入数字"), ("Infinity", "请输入数字"), ("-inf", "请输入数字"), ("1e400", "请输入数字"),
    ("99999999999999999999", "数值过大"), ("-3", "不能小于 0"), ("2e5", "请输入数字"),
])
def test_numbers_that_are_not_finite_or_in_bounds_are_refused_at_the_window(client, database, frozen_clock, typed,
                                                                             message):
    login(client, "sc001")
    response = _post(client, SHOP, employees=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"从业人数：{message}" in page or ("从业人数" in page and message in page)
    assert 'id="error-summary"' in page and 'id="f-employees-error"' in page
    assert f'value="{typed}"' in page  # shown again exactly as typed
    assert _cases(database) == 0


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "1e3", "12.345", "-5", "1,2,3.4.5"])
def test_money_that_is_not_an_amount_is_refused(client, database, frozen_clock, typed):
    login(client, "sc001")
    response = _post(client, SHOP, capital=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "资金数额（元）：金额" in page and 'id="f-capital-error"' in page
    assert _cases(database) == 0


def test_applicant_text_is_bounded_by_its_column_and_refuses_control_characters(client, database, frozen_clock):
    login(client, "sc001")
    page = _post(client, SHOP, ap_applicant_name="张" * 100_000).get_data(as_text=True)
    assert "申请人名称不能超过 200 个字（现有 100000 个）" in page
    response = _post(client, SHOP, ap_address="阳光县\x00城关镇", ap_contact_name="李\u202e四")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "地址：第 4 个字符是不可见的控制字符（U+0000）" in page and "U+202E" in page
    assert 'id="ap_address-error"' in page and 'id="ap_contact_name-error"' in page
    assert _cases(database) == 0
    # a zero-width space makes a name that looks like another one
    page = _post(client, SHOP, ap_applicant_name="张\u200b三").get_data(as_text=True)
    assert "第 2 个字符是不可见的控制字符（U+200B）" in page and _cases(database) == 0


@pytest.mark.parametrize("phone, accepted", [
    ("13800000000", "13800000000"), ("１３８００００００００", "13800000000"), ("+86 138 0000 0000", "13800000000"),
    ("0883-6120315", "0883-6120315"), ("0883-6120315-801", "0883-6120315-801"), ("12345", "12345"),
    ("400-810-8888", "400-810-8888"),
])
def test_phone_formats_accepted(phone, accepted):
    applicant = Applicant(name="张三", cert_type="111", cert_number=ID, phone=phone)
    applicant.validate()
    assert applicant.phone == accepted


@pytest.mark.parametrize("phone", ["12", "abc", "1380000000", "138000000000", "23800000000", "0883-0120315",
                                   "电话 13800000000", "1" * 41])
def test_phone_formats_refused(phone):
    with pytest.raises(InvalidInput) as refused:
        Applicant(name="张三", cert_type="111", cert_number=ID, phone=phone).validate()
    assert "联系电话" in refused.value.message and refused.value.details["errors"].keys() == {"phone"}


def test_full_width_id_number_is_normalized_before_its_check_digit(run, database, frozen_clock):
    case = run(receive, FOOD, Applicant(name="张三", cert_type="111", cert_number=FULL_WIDTH_ID), As("sc001"))
    with database.transaction(write=False) as s:
        assert s.get(Case, case.id).cert_number == ID
    wrong = "１１０１０５１９４９１２３１００２１"  # full-width, wrong check digit
    with pytest.raises(InvalidInput, match="校验码错误"):
        run(receive, FOOD, Applicant(name="张三", cert_type="111", cert_number=wrong), As("sc001"))
    with pytest.raises(InvalidInput, match="统一社会信用代码.*校验码错误"):
        run(receive, FOOD, Applicant(name="某公司", type="2", cert_type="001", cert_number="91530930MA6N8X0Q32"),
            As("sc001"))
    assert _cases(database) == 1


def test_all_problems_are_shown_at_once_beside_their_fields(client, database, frozen_clock):
    login(client, "sc001")
    response = _post(client, SHOP, ap_cert_number="110105194912310021", ap_phone="12", operator_id="123",
                     operator_name="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "有 4 处需要改正" in page
    for anchor in ("#ap_cert_number", "#ap_phone", "#field-operator_id", "#field-operator_name"):
        assert f'href="{anchor}"' in page
    assert "申请人证件号码（居民身份证）校验码错误" in page and "经营者姓名：必填。" in page
    assert "联系电话：手机号码应为 11 位数字" in page and "经营者身份证号码：应为 18 位" in page
    assert "Missing data" not in page and "Not a valid" not in page


def test_form_redisplays_exactly_what_was_typed_after_a_refusal(client, database, frozen_clock):
    login(client, "sc001")
    page = _post(client, SHOP, ap_phone="12", ap_channel="mail", materials=["1", "3"], ap_address="城关镇 8 号",
                 capital="50,000.5").get_data(as_text=True)
    assert 'value="城关镇 8 号"' in page and 'value="50,000.5"' in page and 'value="12"' in page
    assert re.search(r'<option value="mail"\s+selected', page)
    assert re.search(r'id="m1"\s+checked', page) and re.search(r'id="m3"\s+checked', page)
    assert not re.search(r'id="m2"\s+checked', page)


def test_materials_positions_that_are_not_on_the_list_are_refused(client, database, frozen_clock):
    login(client, "sc001")
    for bad in ("²", "99", "１" * 5000, "-1"):
        response = _post(client, FOOD, materials=[bad])
        assert response.status_code == 400 and "勾选的材料不在本事项的材料清单中" in response.get_data(as_text=True)
    assert _cases(database) == 0


def test_the_same_form_posted_twice_makes_one_case(client, database, frozen_clock):
    login(client, "sc001")
    page = client.get(f"/intake/{FOOD}").get_data(as_text=True)
    data = dict(SHOP_FORM, csrf_token=_csrf(page), intake_token=_token(page), ap_applicant_name="阳光县好味道餐饮有限公司",
                ap_applicant_type="2", ap_cert_type="001", ap_cert_number="91530930MA6N8X0Q31", materials=["1", "2"])
    first = client.post(f"/intake/{FOOD}", data=data)
    second = client.post(f"/intake/{FOOD}", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _cases(database) == 1
    followed = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "重复提交未另行收件" in followed
    with database.transaction(write=False) as s:
        case = s.scalars(select(Case)).one()
        assert s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id)).all().count("receive") == 1
        assert s.get(IntakeToken, data["intake_token"]).case_id == case.id


def test_back_and_submit_again_asks_before_a_second_case(client, database, frozen_clock):
    """后退 brings the form back with a fresh token and everything typed: the same applicant and item a
    moment ago is not received again unless the clerk confirms it is another application."""
    login(client, "sc001")
    application = dict(SHOP_FORM, ap_applicant_name="阳光县好味道餐饮有限公司", ap_applicant_type="2", ap_cert_type="001",
                       ap_cert_number="91530930MA6N8X0Q31", materials=["1", "2"])

    def post(**more):
        page = client.get(f"/intake/{FOOD}").get_data(as_text=True)
        return client.post(f"/intake/{FOOD}", data=dict(application, csrf_token=_csrf(page), intake_token=_token(page),
                                                       **more))

    assert post().status_code == 302 and _cases(database) == 1
    again = post()
    page = again.get_data(as_text=True)
    assert again.status_code == 400, page
    assert "分钟内已收件过此事项" in page and 'name="confirm_duplicate"' in page
    assert 'value="阳光县好味道餐饮有限公司"' in page  # everything typed is still there
    assert _cases(database) == 1
    assert post(confirm_duplicate="1").status_code == 302 and _cases(database) == 2


def test_a_refused_post_leaves_its_token_unused_so_the_corrected_form_goes_through(client, database, frozen_clock):
    login(client, "sc001")
    page = client.get(f"/intake/{SHOP}").get_data(as_text=True)
    token = _token(page)
    refused = client.post(f"/intake/{SHOP}", data=dict(SHOP_FORM, csrf_token=_csrf(page), intake_token=token,
                                                        employees="NaN"))
    assert refused.status_code == 400 and _token(refused.get_data(as_text=True)) == token
    accepted = client.post(f"/intake/{SHOP}", data=dict(SHOP_FORM, csrf_token=_csrf(page), intake_token=token))
    assert accepted.status_code == 302 and _cases(database) == 1


def test_a_missing_or_forged_token_is_refused(client, database, frozen_clock):
    login(client, "sc001")
    for token in ("", "short", "x" * 65, "<script>alert(1)</script>" * 3):
        response = _post(client, SHOP, intake_token=token)
        assert response.status_code == 400 and "收件页面已过期" in response.get_data(as_text=True)
    assert _cases(database) == 0


def test_two_posts_of_the_same_form_at_the_same_moment_make_one_case(app, database, frozen_clock):
    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        login(c, "sc001")
    page = clients[0].get(f"/intake/{SHOP}").get_data(as_text=True)
    token = _token(page)
    results, barrier = [], threading.Barrier(len(clients))

    def post(c):
        csrf = _csrf(c.get(f"/intake/{SHOP}").get_data(as_text=True))
        barrier.wait()
        results.append(c.post(f"/intake/{SHOP}", data=dict(SHOP_FORM, csrf_token=csrf, intake_token=token)))

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.status_code for r in results] == [302] * len(clients)
    assert len({r.headers["Location"] for r in results}) == 1
    assert _cases(database) == 1


def test_another_clerks_token_is_not_theirs(client, app, database, frozen_clock):
    login(client, "sc001")
    page = client.get(f"/intake/{SHOP}").get_data(as_text=True)
    token = _token(page)
    assert client.post(f"/intake/{SHOP}", data=dict(SHOP_FORM, csrf_token=_csrf(page), intake_token=token)).status_code == 302
    other = app.test_client()
    login(other, "sc002")
    page = other.get(f"/intake/{SHOP}").get_data(as_text=True)
    response = other.post(f"/intake/{SHOP}", data=dict(SHOP_FORM, csrf_token=_csrf(page), intake_token=token))
    assert response.status_code == 400 and "收件页面已过期" in response.get_data(as_text=True)
    assert _cases(database) == 1


@pytest.mark.parametrize("number, refused", [
    ("JY25309300012345", None), ("ｊｙ２５３０９３０００１２３４５", None), ("ABC123", "食品经营许可证编号"),
    ("JY2530930001234", "JY 加 14 位数字"), ("JY45309300012345", "主体业态"), ("JY25309300012345\x00", "控制字符"),
])
def test_licence_numbers_follow_the_printed_format(database, number, refused):
    with database.transaction(write=False) as s:
        form = get_form(s, "food_business")
    access = {name: ("write" if name == "license_no" else "read") for name in form.names}
    if refused is None:
        assert validate_step_data(form, access, {}, {"license_no": number}) == {"license_no": "JY25309300012345"}
        return
    with pytest.raises(InvalidInput) as error:
        validate_step_data(form, access, {}, {"license_no": number})
    assert refused in error.value.message and error.value.details["errors"].keys() == {"license_no"}


@pytest.mark.parametrize("kind, number, ok", [
    ("public_hygiene", "滇卫公证字〔2026〕第530930000123号", True),
    ("public_hygiene", "滇卫公证字（2026）第530930000123号", True),
    ("public_hygiene", "ABC123", False),
    ("construction_permit", "530930202609280101", True),
    ("construction_permit", "530930202613280101", False),
])
def test_other_licence_formats(database, kind, number, ok):
    with database.transaction(write=False) as s:
        form = get_form(s, kind)
    name = "license_no" if kind == "public_hygiene" else "permit_no"
    access = {n: ("write" if n == name else "read") for n in form.names}
    if ok:
        assert validate_step_data(form, access, {}, {name: number})[name].endswith("号" if kind == "public_hygiene"
                                                                                   else "0101")
    else:
        with pytest.raises(InvalidInput):
            validate_step_data(form, access, {}, {name: number})


@pytest.mark.parametrize("value, problem", [
    (float("nan"), "有限"), (float("inf"), "有限"), (True, "请输入数字"), ([1], "请输入数字"), ({"a": 1}, "请输入数字"),
])
def test_numbers_sent_by_a_system_are_checked_too(database, value, problem):
    with database.transaction(write=False) as s:
        form = get_form(s, "food_business")
    access = {name: ("write" if name == "business_area" else "read") for name in form.names}
    with pytest.raises(InvalidInput, match=problem):
        validate_step_data(form, access, {}, {"business_area": value})
    assert validate_step_data(form, access, {}, {"business_area": "１２０．５"}) == {"business_area": 120.5}


@pytest.mark.parametrize("typed, expected", [("12", 12), ("１２", 12), (" 7 ", 7), ("-3", -3), ("٣", 3)])
def test_form_int_reads_whole_numbers(typed, expected):
    assert form_int(typed, "days", "预计天数") == expected


@pytest.mark.parametrize("typed", ["1e3", "²", "1_000", "12.0", "", None, "9" * 400, "99999999999", "3\x00"])
def test_form_int_refuses_what_is_not_a_whole_number(typed):
    with pytest.raises(InvalidInput, match="预计天数"):
        form_int(typed, "days", "预计天数")
