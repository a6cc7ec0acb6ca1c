"""The main journeys in a real browser: 即办件 to a printed result; a 承诺件 across window → 承办 →
审核 → 批准 with one 补正 round; a read-only field refused; another department's clerk refused."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.models import Case, CaseEvent

from .conftest import login, shot

SHOP, FOOD = "075309300001", "015309300002"


def fill_applicant(page, name, type_code, cert_type, cert_number, phone="13912345678"):
    page.select_option("select[name=ap_applicant_type]", type_code)
    page.fill("input[name=ap_applicant_name]", name)
    page.select_option("select[name=ap_cert_type]", cert_type)
    page.fill("input[name=ap_cert_number]", cert_number)
    page.fill("input[name=ap_phone]", phone)


def case_id_from(page) -> int:
    return int(re.search(r"/cases/(\d+)", page.url).group(1))


def complete(page, fields: dict | None = None, decision: str = "agree", opinion: str = "同意。") -> None:
    form = page.locator("#step-form")
    for name, value in (fields or {}).items():
        target = form.locator(f"[name='{name}']").first
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        elif target.get_attribute("type") == "checkbox":
            form.locator(f"input[name='{name}'][value='{value}']").check()
        else:
            target.fill(value)
    form.locator(f"input[name=decision][value={decision}]").check()
    form.locator("textarea[name=opinion]").fill(opinion)
    form.locator("#complete").click()
    page.wait_for_load_state()


def test_instant_case_from_login_to_printed_result(page, database):
    login(page, "sc001")
    page.click("nav >> text=收件")
    page.locator("tr", has_text="个体工商户设立登记").locator("a", has_text="收件").click()
    fill_applicant(page, "张三", "1", "111", "11010519491231002X", "13800000000")
    for i in (1, 2, 3):
        page.check(f"#m{i}")
    page.fill("[name=business_name]", "张三小吃店")
    page.fill("[name=operator_name]", "张三")
    page.fill("[name=operator_id]", "11010519491231002X")
    page.fill("[name=phone]", "13800000000")
    page.fill("[name=address]", "阳光县城关镇人民路 12 号")
    page.fill("[name=business_scope]", "小吃服务")
    page.select_option("[name=form_of_organisation]", "个人经营")
    page.fill("[name=capital]", "50000")
    page.fill("[name=employees]", "2")
    shot(page, "intake-instant")
    page.click("button:has-text('当场办结')")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "已办结" in page.locator("#case-state").inner_text()
    assert "准予登记" in page.locator("#case-state").inner_text()
    page.click("button:has-text('生成办理结果')")
    page.wait_for_url(re.compile(r".*/documents/\d+/print$"))
    text = page.locator("article").inner_text()
    assert "准予个体工商户设立登记通知书" in text and "张三" in text and "阳市监登〔" in text
    shot(page, "printed-result")
    assert page.external_requests == []


def test_promised_case_across_all_posts_with_one_correction(page, database):
    login(page, "sc001")
    page.goto(f"/intake/{FOOD}")
    fill_applicant(page, "阳光县好味道餐饮有限公司", "2", "001", "91530930MA6N8X0Q31")
    page.check("#m1")
    page.check("#m2")
    page.click("button:has-text('收件')")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    case_id = case_id_from(page)
    application = {"business_name": "阳光县好味道餐饮有限公司", "credit_code": "91530930MA6N8X0Q31", "legal_rep": "李四",
                   "legal_rep_id": "11010519491231002X", "phone": "13912345678", "address": "阳光县城关镇人民路 8 号",
                   "business_area": "120", "categories": "热食类食品制售"}
    complete(page, application, opinion="受理。")
    assert "申请材料不齐全，不能受理" in page.locator(".error").inner_text()
    assert page.locator("[name=business_name]").input_value() == "阳光县好味道餐饮有限公司"  # nothing typed is lost
    page.click("#send-correction")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "补正" in page.locator("#case-state").inner_text()
    page.click("summary:has-text('恢复办理')") if not page.locator("details[open] summary:has-text('恢复办理')").count() else None
    for box in page.locator("input[name=received]").all():
        box.check()
    page.click("button:has-text('恢复办理')")
    page.wait_for_load_state()
    complete(page, application, opinion="材料齐全，予以受理。")
    assert "已受理" in page.locator("#case-state").inner_text()
    assert re.search(r"\d{4}-\d{2}-\d{2}", page.locator("#case-deadline").inner_text())
    shot(page, "case-page")
    page.click("button:has-text('生成受理通知书')")
    page.wait_for_url(re.compile(r".*/print$"))
    assert "受理通知书" in page.locator("article").inner_text()
    shot(page, "printed-acceptance-notice")

    login(page, "sc003")
    page.goto(f"/cases/{case_id}")
    assert page.locator("[data-field=legal_rep_id]").count() == 0  # hidden from the reviewer
    assert page.locator("[data-field=business_name].ro").count() == 1  # read-only here
    complete(page, {"prepackaged_only": "否"}, opinion="需现场核查。")
    login(page, "sc004")
    page.goto(f"/cases/{case_id}")
    complete(page, {"inspectors[0].name": "张伟", "inspectors[0].cert_no": "53093001", "inspectors[1].name": "刘洋",
                    "inspectors[1].cert_no": "53093002", "inspection_result": "场所布局合理，符合要求。"})
    login(page, "sc005")
    page.goto(f"/cases/{case_id}")
    complete(page, opinion="审核通过。")
    login(page, "sc006")
    page.goto(f"/cases/{case_id}")
    complete(page, opinion="准予许可。")
    login(page, "sc001")
    page.goto(f"/cases/{case_id}")
    complete(page, {"license_no": "JY25309300012345", "valid_until": "2031-11-22"}, opinion="已发证。")
    assert "准予许可" in page.locator("#case-state").inner_text()
    with database.transaction(write=False) as s:
        actions = list(s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))
    assert actions[:4] == ["receive", "correction", "document", "correction_supplied"] and actions[-1] == "finish"
    page.click("button:has-text('生成全案卷宗')")
    page.wait_for_url(re.compile(r".*/print$"))
    assert "材料审查" in page.locator("article").inner_text()
    shot(page, "printed-case-file")


def test_post_holder_cannot_write_a_read_only_field(page, database, run, company):
    from engine.service import start_case
    from forms.service import submit_step

    from ..conftest import As
    from ..helpers import task_id

    case = run(start_case, FOOD, company, As("sc001"))
    run(submit_step, task_id(database, case.id, "accept"), As("sc001"), {
        "business_name": "原名称", "credit_code": "91530930MA6N8X0Q31", "legal_rep": "李四",
        "legal_rep_id": "11010519491231002X", "phone": "13912345678", "address": "城关镇", "business_area": "80",
        "categories": ["预包装食品销售"]})
    login(page, "sc003")
    page.goto(f"/cases/{case.id}")
    page.evaluate("""() => { const i = document.createElement('input'); i.type = 'hidden'; i.name = 'business_name';
                             i.value = '篡改的名称'; document.querySelector('#step-form').appendChild(i); }""")
    complete(page, {"prepackaged_only": "是"})
    assert "经营者名称”在本环节只读，不能修改" in page.locator(".error").inner_text()
    with database.transaction(write=False) as s:
        stored = s.get(Case, case.id)
        assert stored.data["business_name"] == "原名称" and "prepackaged_only" not in stored.data


def test_clerk_of_another_department_cannot_open_the_case(page, database, run, company):
    from engine.service import start_case

    from ..conftest import As

    case = run(start_case, FOOD, company, As("sc001"))
    login(page, "ws001")
    response = page.goto(f"/cases/{case.id}")
    assert response.status == 403
    assert "不属于您的部门" in page.content()
    assert company.name not in page.content()
