"""政务服务专栏 over HTTP: the column at ``/``, the item pages' five sub-columns, 网上申请 with the
申请编号 and 查询码, 补正 online, 结果反馈 as the 受理通知书 promises it, and the public process
that serves nothing of the inside."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from engine.models import Case, CaseTask
from engine.service import complete_task, request_correction
from engine.service.public import public_items_query
from forms import materials

from .conftest import As, _actor
from .webhelpers import _csrf, login

FOOD = "015309300002"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TABS = ("办事指南", "表格下载", "网上咨询", "网上申请", "结果反馈")


def _public_codes(database) -> list[str]:
    with database.transaction(write=False) as s:
        return [i.code for i in s.scalars(public_items_query(s)).unique()]


def test_anonymous_root_is_the_column(client):
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<title>首页 · 阳光县政务服务专栏</title>" in html and "<h1>阳光县政务服务专栏</h1>" in html
    assert "登录" not in html and "/workbench" not in html  # nothing of the inside is offered
    for link in ("个人办事", "法人办事", "结果反馈", "结果公示", "办事大厅"):
        assert link in html


def test_every_public_item_page_has_the_five_sub_columns_and_only_public_items_appear(client, database):
    codes = _public_codes(database)
    assert FOOD in codes
    listing = client.get("/items").get_data(as_text=True)
    for code in codes:
        assert code in listing
        html = client.get(f"/items/{code}").get_data(as_text=True)
        for tab in TABS:
            assert f">{tab}</a>" in html, (code, tab)
        for label in ("设定依据", "受理条件", "法定期限", "承诺期限", "办理地点", "咨询电话", "监督电话", "办理流程"):
            assert label in html, (code, label)
    with database.transaction(write=False) as s:
        from engine.models import Item

        hidden = [i.code for i in s.scalars(select(Item)) if i.code not in codes]
    assert hidden  # the demo has internal flows (督办, 法制审核)
    for code in [*hidden, "%00", "x%00y", "%E2%80%AE", "x" * 100]:
        assert client.get(f"/items/{code}").status_code == 404
        assert code not in listing


def test_the_guide_draws_the_running_flow_with_public_step_names(client):
    html = client.get(f"/items/{FOOD}").get_data(as_text=True)
    flow = re.search(r'<ol class="flow".*?</ol>', html, re.S).group(0)
    steps = re.findall(r'<span class="step">(.*?)</span>', flow)
    assert steps == ["提交申请", "受理", "材料审查", "审核", "审批决定"]  # the steps every application passes
    assert "window" not in flow and "candidateGroups" not in flow  # posts and expressions stay inside
    assert "视情况办理的环节（只在需要时进行，见上图的分支）：现场核查、制证发证、送达不予许可决定。" in html
    assert "办理结果：" in html and "准予许可" in html and "自受理之日起 15 工作日内办结" in html
    penalty = client.get("/items/025309300005").get_data(as_text=True)
    assert "提交申请" not in penalty and "自立案之日起" in penalty and "由行政机关依职权实施，不需申请" in penalty
    info = client.get("/items/205309300006").get_data(as_text=True)
    assert "自收到申请之日起" in info  # 政府信息公开条例 art. 33
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "<title id=\"flow-title\">食品经营许可办理流程图</title>" in svg and "需要现场核查？" in svg
    for inside in ("approved", "window", "sunhall:", "camunda", "script"):
        assert inside not in svg, inside


def test_the_diagram_escapes_every_name():
    from engine.config import PROCESSES_DIR
    from engine.publicflow import diagram_svg, public_steps

    bpmn = (PROCESSES_DIR / "food_business_license.bpmn").read_text(encoding="utf-8")
    hostile = bpmn.replace('name="受理"', 'name="&lt;script&gt;alert(1)&lt;/script&gt;受理"')
    svg = diagram_svg(hostile, "food_business_license", title="<b>")
    assert "<script>" not in svg and "&lt;script" in svg and "<b>" not in svg and "&lt;b&gt;" in svg
    assert "<script>alert(1)</script>受理" in [step.name for step in public_steps(hostile)]


def test_directory_filters_and_paging_never_fail(client):
    for query in ("?department=scjgj", "?audience=person", "?audience=company&theme=准营准办", "?category=01",
                  "?category=zz", "?department=" + "x" * 500, "?page=-1", "?page=abc", "?page=99999999999999999999",
                  "?audience=person&theme=不存在", "?department=%00", "?category=%00&audience=%00"):
        page = client.get("/items" + query)
        assert page.status_code == 200, query
    assert "食品经营许可" in client.get("/items?department=scjgj").get_data(as_text=True)
    assert "食品经营许可" not in client.get("/items?category=07").get_data(as_text=True)
    section = client.get("/items?department=scjgj&section=食品经营监管股").get_data(as_text=True)  # the tree's 2nd level
    assert "食品经营许可" in section and "个体工商户设立登记" not in section
    assert 'aria-current="page">食品经营监管股' in section


def test_no_one_applies_online_for_a_penalty(client, run, company, tmp_path):
    from engine.errors import InvalidState
    from forms import online

    page = client.get("/items/025309300005/apply").get_data(as_text=True)
    assert "依职权实施，不接受网上申请" in page and 'name="apply_token"' not in page
    with pytest.raises(InvalidState):
        run(lambda s: online.submit(s, "025309300005", company, {}, {}, tmp_path))


def test_elder_mode_switches_on_and_off_and_never_redirects_away(client):
    on = client.get("/elder?on=1&next=/items")
    assert on.status_code == 302 and on.headers["Location"].endswith("/items")
    assert '<html lang="zh-CN" class="elder">' in client.get("/").get_data(as_text=True)
    client.get("/elder?on=0")
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert "evil" not in client.get("/elder?on=1&next=" + target).headers["Location"]


def _apply(client, missing_one=True):
    form_page = client.get(f"/items/{FOOD}/apply").get_data(as_text=True)
    token = re.search(r'name="apply_token" value="([^"]+)"', form_page).group(1)
    inputs = re.findall(r'type="file" id="(material-\d+)"', form_page)
    data = {"csrf_token": _csrf(form_page), "apply_token": token, "ap_type": "2", "ap_name": "阳光县好味道餐饮有限公司",
            "ap_cert_type": "001", "ap_cert_number": "91530930MA6N8X0Q31", "ap_contact_name": "李四",
            "ap_phone": "13912345678", "business_name": "阳光县好味道餐饮有限公司", "credit_code": "91530930MA6N8X0Q31",
            "legal_rep": "李四", "legal_rep_id": "11010519491231002X", "phone": "13912345678",
            "address": "阳光县城关镇阳光大道18号", "business_area": "120", "categories.present": "1",
            "categories": "热食类食品制售"}
    for name in inputs[:-1] if missing_one else inputs:
        data[name] = (io.BytesIO(PDF), f"{name}.pdf")
    return client.post(f"/items/{FOOD}/apply", data=data, content_type="multipart/form-data"), data


def test_apply_online_correct_online_and_follow_the_case(app, database):
    citizen = app.test_client()
    posted, data = _apply(citizen)
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/application/receipt")
    receipt = citizen.get("/application/receipt").get_data(as_text=True)
    number = re.search(r'<span class="code">(WS\d+)</span>', receipt).group(1)
    code = re.search(r'查询码<br><span class="code">([A-Z0-9]{10})</span>', receipt).group(1)
    assert "关闭浏览器或退出后不再显示" in receipt and "您还没有上传" in receipt
    assert code in citizen.get("/application/receipt").get_data(as_text=True)  # a reload loses nothing
    # posting the same page again makes no second application
    fields = {k: v for k, v in data.items() if not k.startswith("material-")}
    again = citizen.post(f"/items/{FOOD}/apply", data={**fields, "material-0": (io.BytesIO(PDF), "a.pdf")},
                         content_type="multipart/form-data")
    assert again.status_code == 302 and number in again.headers["Location"]
    # 后退 brings the form back with everything typed but a fresh page: the applicant confirms first
    fresh = citizen.get(f"/items/{FOOD}/apply").get_data(as_text=True)
    token = re.search(r'name="apply_token" value="([^"]+)"', fresh).group(1)
    twice = citizen.post(f"/items/{FOOD}/apply", data={**fields, "apply_token": token}, content_type="multipart/form-data")
    assert twice.status_code == 409 and "30 分钟内已在网上申请过此事项" in twice.get_data(as_text=True)
    assert 'name="confirm_duplicate"' in twice.get_data(as_text=True)
    with database.transaction(write=False) as s:
        case = s.scalars(select(Case).where(Case.application_number == number)).one()
        assert s.scalars(select(Case).where(Case.channel == "web")).all() == [case]
        case_id, case_number = case.id, case.number
        missing = [m.name for m in materials.materials_of(s, case.id) if not m.submitted]

    # the window's 预审 queue shows it; the clerk asks for 补正
    clerk = app.test_client()
    login(clerk, "sc001")
    queue = clerk.get("/workbench/online").get_data(as_text=True)
    assert number in queue and "待预审" in queue
    with database.transaction() as s:
        request_correction(s, case_id, _actor(s, As("sc001")), [*missing, "营业执照复印件请加盖公章"])

    # another browser needs the code; a wrong code confirms nothing
    stranger = app.test_client()
    assert stranger.get(f"/application/{number}").status_code == 302
    page = stranger.get("/application").get_data(as_text=True)
    wrong = stranger.post("/application", data={"csrf_token": _csrf(page), "number": number, "query_code": "AAAAAAAAAA"})
    assert wrong.status_code == 404 and "申请编号或查询码不正确" in wrong.get_data(as_text=True)
    opened = stranger.post("/application", data={"csrf_token": _csrf(page), "number": number.lower(),
                                                 "query_code": code.lower()})
    assert opened.status_code == 302
    mine = stranger.get(f"/application/{number}").get_data(as_text=True)
    assert "需要补正材料" in mine and missing[0] in mine and "补正材料告知书" in mine
    slots = re.findall(r'type="file" id="((?:material|extra)-\d+)"', mine)
    assert len(slots) == 2 and slots[1].startswith("extra-")  # the window's own line gets a slot too
    first = stranger.post(f"/application/{number}/correction", content_type="multipart/form-data",
                          data={"csrf_token": _csrf(mine), slots[0]: (io.BytesIO(PDF), "补正.pdf")})
    assert first.status_code == 302
    half = stranger.get(f"/application/{number}").get_data(as_text=True)
    assert "还有材料需要补正" in half and "需要补正材料" in half  # one of two: the 补正 stays open
    supplied = stranger.post(f"/application/{number}/correction", content_type="multipart/form-data",
                             data={"csrf_token": _csrf(half), slots[1]: (io.BytesIO(PDF), "盖章营业执照.pdf")})
    assert supplied.status_code == 302
    after = stranger.get(f"/application/{number}").get_data(as_text=True)
    assert "补正材料已提交" in after and "需要补正材料" not in after and "营业执照复印件请加盖公章" in after
    assert "已补正，待预审" in clerk.get("/workbench/online").get_data(as_text=True)

    # the clerk accepts; the applicant downloads the 受理通知书 and sees the deadline in 结果反馈
    with database.transaction() as s:
        task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
        complete_task(s, task.id, _actor(s, As("sc001")), opinion="予以受理。", approved=True)
    mine = stranger.get(f"/application/{number}").get_data(as_text=True)
    link = re.search(r'href="(/application/WS\d+/documents/\d+)">受理通知书', mine).group(1)
    document = stranger.get(link)
    assert document.status_code == 200 and document.data[:2] == b"PK"
    document.close()
    held = citizen.get(link)  # the browser that applied holds it too
    assert held.status_code == 200
    held.close()
    assert clerk.get(link).status_code == 302  # a staff login is no 查询码

    anyone = app.test_client()
    form = anyone.get("/progress").get_data(as_text=True)
    shown = anyone.post("/progress", data={"csrf_token": _csrf(form), "number": case_number,
                                           "cert_number": "91530930ma6n8x0q31"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    for expected in (case_number, number, "食品经营许可", "阳光县市场监督管理局", "已受理", "承诺办结日期", "期限是怎样计算的"):
        assert expected in html, expected
    assert "91530930MA6N8X0Q31" not in html and "13912345678" not in html
    stranger.post("/application/leave", data={"csrf_token": _csrf(mine)})
    assert stranger.get(f"/application/{number}").status_code == 302  # 退出 closes what the code opened
    refused = anyone.post("/progress", data={"csrf_token": _csrf(form), "number": case_number,
                                             "cert_number": "110105194912310021"})
    assert refused.status_code == 404 and "没有找到" in refused.get_data(as_text=True)


def test_a_refused_application_keeps_what_was_typed_and_names_each_problem(client, database):
    page = client.get(f"/items/{FOOD}/apply").get_data(as_text=True)
    token = re.search(r'name="apply_token" value="([^"]+)"', page).group(1)
    posted = client.post(f"/items/{FOOD}/apply", data={
        "csrf_token": _csrf(page), "apply_token": token, "ap_type": "1", "ap_name": "王五", "ap_cert_type": "111",
        "ap_cert_number": "110105194912310021", "ap_phone": "99", "ap_address": "阳光县<b>城关</b>"})
    html = posted.get_data(as_text=True)
    assert posted.status_code == 400
    assert 'class="error-summary"' in html and 'href="#ap_cert_number"' in html and 'href="#ap_phone"' in html
    assert 'href="#f-business_name"' in html and 'id="f-business_name"' in html
    assert 'value="王五"' in html and "阳光县&lt;b&gt;城关&lt;/b&gt;" in html
    with database.transaction(write=False) as s:
        assert s.scalars(select(Case).where(Case.channel == "web")).first() is None


def test_public_forms_need_the_csrf_token(client):
    assert client.post("/progress", data={"number": "1", "cert_number": "2"}).status_code == 400
    assert client.post(f"/items/{FOOD}/apply", data={"ap_name": "x"}).status_code == 400


@pytest.mark.parametrize("surface", ["public"])
def test_the_public_process_serves_no_staff_path(database, settings, surface):
    from webapp import create_app

    full = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True})
    public = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True,
                         "surface": surface})
    try:
        outside = {r.rule for r in public.url_map.iter_rules()}
        client = public.test_client()
        for rule in full.url_map.iter_rules():
            if rule.rule in outside:
                continue
            path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method)
                assert response.status_code in (404, 405), (method, path, response.status_code)
                response.close()
        assert not any(r.startswith(("/workbench", "/login", "/supervision", "/admin", "/designer", "/catalogue"))
                       for r in outside)
        assert client.get("/").status_code == 200
    finally:
        full.extensions["sunhall_db"].dispose()
        public.extensions["sunhall_db"].dispose()


def test_the_staff_process_serves_no_public_page(database, settings):
    from webapp import create_app

    staff = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True,
                        "surface": "staff"})
    try:
        client = staff.test_client()
        assert client.get("/").headers["Location"].endswith("/workbench")
        for path in (f"/items/{FOOD}", "/items", "/progress", "/application", "/results", "/hall", "/search?q=x"):
            assert client.get(path).status_code == 404, path
    finally:
        staff.extensions["sunhall_db"].dispose()


def test_the_acceptance_notice_sentence_about_results_feedback_is_true(client, database, run, company, tmp_path):
    """受理通知书: “你可凭办件编号和证件号码在‘阳光县政务服务专栏’的‘结果反馈’中查询办理进度。”"""
    from docx import Document

    from engine.service import start_case
    from forms import documents

    from .helpers import do, get_case

    case_id = run(start_case, FOOD, company, As("sc001"), data={}).id
    with database.transaction() as s:
        for row in materials.init_materials(s, s.get(Case, case_id)):
            row.submitted = True
    do(run, database, case_id, As("sc001"), "accept", data={
        "business_name": company.name, "credit_code": company.cert_number, "legal_rep": "李四",
        "legal_rep_id": "11010519491231002X", "phone": "13912345678", "address": "阳光县城关镇", "business_area": 50,
        "categories": ["预包装食品销售"]})
    notice = run(documents.produce, get_case(database, case_id), "acceptance_notice", As("sc001"), tmp_path)
    text = "\n".join(p.text for p in Document(notice.stored_path).paragraphs)
    sentence = next(line for line in text.splitlines() if "结果反馈" in line)
    assert "办件编号和证件号码" in sentence and "阳光县政务服务专栏" in sentence
    home = client.get("/").get_data(as_text=True)
    assert "阳光县政务服务专栏" in home and 'href="/progress">结果反馈</a>' in home
    form = client.get("/progress").get_data(as_text=True)
    answer = client.post("/progress", data={"csrf_token": _csrf(form), "number": get_case(database, case_id).number,
                                            "cert_number": company.cert_number})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "已受理" in html and "窗口申请" in html and "承诺办结日期" in html


def test_public_look_ups_are_rate_limited_per_address(database, settings):
    """Guessing 查询码 or certificate numbers against a 办件编号 is refused long before it could work."""
    from webapp import create_app

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True,
                      "public_rate_limit": "5 per minute"})
    try:
        client = app.test_client()
        form = client.get("/application").get_data(as_text=True)
        answers = [client.post("/application", data={"csrf_token": _csrf(form), "number": "WS530930202611280000" + str(i),
                                                     "query_code": "AAAAAAAAAA"}) for i in range(7)]
        assert [a.status_code for a in answers] == [404] * 5 + [429] * 2
        assert "请求过于频繁" in answers[-1].get_data(as_text=True)
        assert client.get("/application").status_code == 200  # reading is not limited
    finally:
        app.extensions["sunhall_db"].dispose()


def test_a_page_that_does_not_exist_answers_in_the_column(client):
    missing = client.get("/no-such-page")
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "<title>页面不存在 · 阳光县政务服务专栏</title>" in html
    assert 'href="/">返回首页</a>' in html and "/workbench" not in html


def test_only_window_posts_see_intake_and_the_online_queue_in_the_menu(app):
    for staff_no, shown in (("sc001", True), ("sc003", False), ("jw001", False), ("admin", True)):
        client = app.test_client()
        login(client, staff_no)
        page = client.get("/workbench").get_data(as_text=True)
        assert ('href="/intake"' in page) is shown and ('href="/workbench/online"' in page) is shown, staff_no


def test_refusing_an_online_application_at_the_window_gives_one_decision(app, database, run, company, tmp_path):
    """The window's 不予受理 and the notice the applicant is owed are one document, not two."""
    from forms import online

    form = {"business_name": company.name, "credit_code": company.cert_number, "legal_rep": "李四",
            "legal_rep_id": "11010519491231002X", "phone": "13912345678", "address": "阳光县城关镇",
            "business_area": 50, "categories": ["预包装食品销售"]}
    case, _ = run(lambda s: online.submit(s, FOOD, company, form, {}, tmp_path))
    clerk = app.test_client()
    login(clerk, "sc001")
    page = clerk.get(f"/cases/{case.id}").get_data(as_text=True)
    answer = clerk.post(f"/cases/{case.id}/reject", data={"csrf_token": _csrf(page), "reason": "经营场所不符合要求"})
    assert answer.status_code == 302
    assert "决定书已送达申请人的网上申请页面" in clerk.get(f"/cases/{case.id}").get_data(as_text=True)
    with database.transaction(write=False) as s:
        assert [d.kind for d in online.documents_for_applicant(s, s.get(Case, case.id))] == ["rejection_decision"]
