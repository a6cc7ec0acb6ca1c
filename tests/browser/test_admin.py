"""系统管理 in a real browser (seed 002 §8.1: administrators set up organisations, users and roles):
an administrator creates a department, a post and an account; an Excel import's dry run lists the
rows' problems, then the corrected file loads an item of the new department; the new person logs in
with the initial password, changes it, and works the steps of a case of that item — the flow's
steps name the post ``window`` and run in the item's department (engine.service.common.
_department_for), so they land on the new department's new post, which the new person holds."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.models import Case, CaseTask, User

from ..test_admin_import import item_row, workbook
from ..test_admin_org import restore_org  # noqa: F401  (fixture)
from .conftest import login, shot

ITEM = "205309300101"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(page, data: bytes, name: str) -> None:
    page.goto("/admin/import")
    page.set_input_files("#file", files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    page.click("#check-import")
    page.wait_for_load_state()


@pytest.mark.usefixtures("restore_org")
def test_an_administrator_sets_up_a_department_and_its_new_clerk_works_a_case(page, database):
    login(page, "admin")
    page.goto("/admin/org")
    page.click("#new-department")
    page.fill("#code", "wlj")
    page.fill("#name", "阳光县文化和旅游局")
    page.click("#save-department")
    assert "请选择" in page.locator("#error-summary").inner_text() or "行政区划" in page.locator("#error-summary").inner_text()
    assert page.locator("#code").input_value() == "wlj"  # kept as typed
    page.select_option("#region", "530930")
    page.fill("#phone", "０８８３-6120088")
    page.click("#save-department")
    page.wait_for_url(re.compile(r".*/admin/org/departments/\d+$"))
    page.fill("#post-code", "window")
    page.fill("#post-name", "窗口受理")
    page.click("#add-post")
    page.wait_for_load_state()
    assert "窗口受理" in page.locator("#department-posts").inner_text()

    page.goto("/admin/users/new")
    page.fill("#staff_no", "wl001")
    page.fill("#name", "文明")
    page.select_option("#department", "wlj")
    page.check("input[name=posts][data-department=wlj][data-code=window]")
    page.check("#role-clerk")
    page.click("#save-user")
    page.wait_for_load_state()
    password = page.locator("#password-value").inner_text().strip()
    assert len(password) >= 8
    shot(page, "admin-new-account")

    # the item of the new department comes from the county's list: a dry run first
    rows = [item_row(ITEM, "演出场所备案", case_type="即办件", legal_limit=15, promised_limit=0,
                     materials="备案申请表；营业执照；场所平面图")]
    upload(page, workbook(事项=rows + [item_row("20530930010X", "", dept="nowhere")]), "文旅局事项.xlsx")
    problems = page.locator("#problems").inner_text()
    assert "请填写事项名称。" in problems and "部门“nowhere”不存在" in problems and "事项编码应为 12 位以上的数字" in problems
    assert page.locator("#confirm-import").count() == 0
    shot(page, "admin-import-dry-run")
    upload(page, workbook(事项=rows), "文旅局事项.xlsx")
    assert "检查通过" in page.locator("#check-ok").inner_text()
    page.click("#confirm-import")
    page.wait_for_load_state()
    assert "事项：新建 1 条" in page.locator("#import-result").inner_text()

    # the new clerk logs in, changes the initial password and handles a case of the item on the spot
    login_first_time(page, "wl001", password, "Wenlv@2026x")
    page.goto(f"/intake/{ITEM}")
    page.select_option("select[name=ap_applicant_type]", "1")
    page.fill("input[name=ap_applicant_name]", "张三")
    page.select_option("select[name=ap_cert_type]", "111")
    page.fill("input[name=ap_cert_number]", "11010519491231002X")
    page.fill("input[name=ap_phone]", "13800000000")
    for i in (1, 2, 3):
        page.check(f"#m{i}")
    page.fill("[name=business_name]", "张三演艺")
    page.fill("[name=operator_name]", "张三")
    page.fill("[name=operator_id]", "11010519491231002X")
    page.fill("[name=phone]", "13800000000")
    page.fill("[name=address]", "阳光县城关镇人民路 12 号")
    page.fill("[name=business_scope]", "演出场所")
    page.select_option("[name=form_of_organisation]", "个人经营")
    page.fill("[name=capital]", "50000")
    page.fill("[name=employees]", "2")
    page.click("button:has-text('当场办结')")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "已办结" in page.locator("#case-state").inner_text()
    case_id = int(re.search(r"/cases/(\d+)", page.url).group(1))
    with database.transaction(write=False) as s:
        clerk = s.scalars(select(User).where(User.staff_no == "wl001")).one()
        case = s.get(Case, case_id)
        steps = list(s.scalars(select(CaseTask).where(CaseTask.case_id == case_id)))
        assert case.department_id == clerk.department_id and not clerk.must_change_password
        assert steps and all(t.department_id == clerk.department_id and t.post_code == "window"
                             and t.completed_by_id == clerk.id for t in steps)
    assert page.external_requests == []


def login_first_time(page, staff_no: str, initial: str, chosen: str) -> None:
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=staff_no]", staff_no)
    page.fill("input[name=password]", initial)
    page.click("button[type=submit]")
    page.wait_for_url("**/account/password")
    page.fill("input[name=current]", initial)
    page.fill("input[name=new]", chosen)
    page.fill("input[name=again]", chosen)
    page.locator("form:has(input[name=again]) button[type=submit]").click()
    page.wait_for_url("**/workbench")
