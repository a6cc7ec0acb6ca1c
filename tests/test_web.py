"""The web app: health page, login with CSRF and argon2, the worklist."""

from __future__ import annotations

import io

from engine.service import start_case

from .conftest import As
from .webhelpers import _csrf, login


def test_health(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


def test_login_page_is_chinese_and_refuses_wrong_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert "工作人员登录" in page and 'lang="zh-CN"' in page
    response = login(client, "sc001", "wrong")
    assert response.status_code == 401 and "工号或密码错误" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"staff_no": "sc001", "password": "Sunhall@2026"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_clerk_logs_in_and_sees_the_worklist(client, run, database, frozen_clock, company):
    run(start_case, "015309300002", company, As("sc001"))
    response = login(client, "sc001")
    assert response.status_code == 302
    page = client.get("/workbench").get_data(as_text=True)
    assert "待办" in page and "受理" in page and "阳光县好味道餐饮有限公司" in page


def test_workbench_needs_login(client):
    response = client.get("/workbench")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_workbench_tabs_filter_and_scope(client, run, database, frozen_clock, company, person):
    food = run(start_case, "015309300002", company, As("sc001"))
    run(start_case, "015309300002", person, As("sc001"))
    login(client, "sc001")
    page = client.get("/workbench?tab=todo&applicant=好味道").get_data(as_text=True)
    assert food.number in page and "张三" not in page and "共 1 件" in page
    for tab in ("done", "due_soon", "overdue", "paused"):
        assert client.get(f"/workbench?tab={tab}").status_code == 200
    assert client.get(f"/cases/{food.id}").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client.get("/workbench").get_data(as_text=True))})
    login(client, "ws001")
    response = client.get(f"/cases/{food.id}")
    assert response.status_code == 403 and "不属于您的部门" in response.get_data(as_text=True)


def test_only_a_current_handler_may_upload_materials(client, run, database, frozen_clock, company):
    from forms.intake import receive
    from forms.materials import materials_of

    case = run(receive, "015309300002", company, As("sc001"), received={1})
    with database.transaction(write=False) as s:
        material = materials_of(s, case.id)[1]
    login(client, "sc005")  # same department, not the holder of the current step
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/materials/{material.id}", data={
        "csrf_token": _csrf(page), "file": (io.BytesIO(b"%PDF-1.7"), "营业执照.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 403 and "只有当前环节的办理人可以上传材料" in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": _csrf(page)})
    login(client, "sc001")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/materials/{material.id}", data={
        "csrf_token": _csrf(page), "file": (io.BytesIO(b"%PDF-1.7 licence"), "营业执照.pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "材料已上传" in response.get_data(as_text=True) and "营业执照.pdf" in response.get_data(as_text=True)
