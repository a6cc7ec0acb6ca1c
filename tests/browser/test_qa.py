"""在线解答 in Chromium (issue 12, done-when 1): a citizen asks the county "不清楚" about opening a
restaurant; the 政府办 forwards it with a reason, which is reviewed, to 市场监督管理局, which answers
and publishes; the citizen finds the answer in search and with the 查询码; a second, private
question is readable only with its 查询码; a complaint with a 查询码 reaches the supervisors and its
answer comes back to the citizen."""

from __future__ import annotations

import re

from .conftest import login, shot

CODE = re.compile(r"[A-Z0-9]{10}")


def _citizen(browser, live_server):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN", base_url=live_server)
    return context, context.new_page()


def _choose(page, selector: str, text: str) -> None:
    """Pick the option whose label contains ``text`` (a tree's options are indented)."""
    value = page.eval_on_selector(selector, "(el, t) => [...el.options].find(o => o.textContent.includes(t)).value", text)
    page.select_option(selector, value)


def _ask(citizen, *, department: str, title: str, content: str, public: bool, name: str = "王建华") -> tuple[str, str]:
    citizen.goto("/")
    citizen.get_by_role("link", name="在线咨询").first.click()
    citizen.get_by_role("link", name="我要咨询").first.click()
    _choose(citizen, "#department_id", department)
    citizen.fill("#title", title)
    citizen.fill("#content", content)
    citizen.fill("#name", name)
    citizen.fill("#phone", "13912345678")
    citizen.check("#consent_public" if public else "#consent_public-no")
    citizen.get_by_role("button", name=re.compile("提交")).click()
    citizen.get_by_role("heading", name="咨询已提交").wait_for()
    codes = citizen.locator(".code").all_inner_texts()
    number, code = codes[0].strip(), codes[1].strip()
    assert number.startswith("ZX530930") and CODE.fullmatch(code)
    return number, code


def _open_question(page, number: str) -> None:
    page.goto("/workbench/questions")
    page.get_by_role("link", name=re.compile(number)).first.click()


def _review(page, staff_no: str, number: str) -> None:
    login(page, staff_no)
    _open_question(page, number)
    page.click("#approve")
    page.wait_for_load_state()


def _answer(page, number: str, text: str, public: bool) -> None:
    login(page, "sc003")
    _open_question(page, number)
    page.fill("#answer-answer", text)
    _choose(page, "#answer-category_id", "食品安全")
    if public:
        page.check("input[name=public][value='1']")
    page.click("#submit-answer")
    page.wait_for_load_state()


def test_ask_forward_answer_find_and_complain(browser, live_server, page):
    context, citizen = _citizen(browser, live_server)
    try:
        number, code = _ask(citizen, department="不清楚", title="开饭店需要办理哪些证照",
                            content="我想在城关镇开一家米线店，请问需要办理哪些证照？到哪里办？", public=True)
        assert "政府办转至有关部门" in citizen.content()
        shot(citizen, "qa-asked")

        # 政府办: forwards with a reason, which its reviewer approves
        login(page, "zf002")
        _open_question(page, number)
        page.select_option("#dispatch-department_id", label="阳光县市场监督管理局")
        page.fill("#dispatch-reason", "开办餐饮需办理营业执照和食品经营许可，属市场监督管理局职责")
        shot(page, "qa-dispatch")
        page.click("#submit-dispatch")
        page.wait_for_load_state()
        _review(page, "zf003", number)

        # 市场监督管理局 answers and publishes; its reviewer approves
        _answer(page, number, "您好！开办米线店需先办理营业执照，再申请食品经营许可证（热食类食品制售），"
                              "可在县政务服务中心市场监管窗口或网上申请。", public=True)
        login(page, "sc005")
        _open_question(page, number)
        assert "开办餐饮需办理营业执照和食品经营许可" in page.content()  # the forwarding reason, kept as evidence
        shot(page, "qa-review")
        page.click("#approve")
        page.wait_for_load_state()

        # the citizen finds it in search and opens it with the 查询码
        citizen.goto("/search?q=开饭店")
        citizen.get_by_role("link", name=re.compile("开饭店需要办理哪些证照")).first.click()
        assert "食品经营许可证" in citizen.content() and "王建华" not in citizen.content()
        shot(citizen, "qa-public")
        citizen.goto("/questions/lookup")
        citizen.fill("#number", number)
        citizen.fill("#query_code", code.lower())
        citizen.get_by_role("button", name="查看我的咨询").click()
        body = citizen.content()
        assert "食品经营许可证" in body and "阳光县市场监督管理局" in body and "已办结" in body
        shot(citizen, "qa-mine")

        # a private question: not on the public page, readable with its code
        private, private_code = _ask(citizen, department="阳光县市场监督管理局", title="我的食品经营许可证何时到期",
                                     content="我家餐馆的食品经营许可证是前年办的，想知道什么时候到期、怎么延续。",
                                     public=False, name="李秀英")
        _answer(page, private, "您好！您的许可证有效期至2027年3月，请在届满前30个工作日提出延续申请。", public=False)
        _review(page, "sc005", private)
        response = citizen.goto(f"/questions/{private}")
        assert response.status == 404 and "查询码" in citizen.content()
        citizen.goto("/questions/lookup")
        citizen.fill("#number", private)
        citizen.fill("#query_code", "ABCDEFGHJK")
        citizen.get_by_role("button", name="查看我的咨询").click()
        assert "2027年3月" not in citizen.content()
        citizen.fill("#number", private)
        citizen.fill("#query_code", private_code)
        citizen.get_by_role("button", name="查看我的咨询").click()
        assert "2027年3月" in citizen.content()

        # not satisfied: a complaint with the 查询码 reaches the supervisors
        citizen.get_by_role("link", name=re.compile("我要投诉")).first.click()
        citizen.check("#about")
        citizen.fill("#question_number", private)
        citizen.fill("#question_code", private_code)
        citizen.fill("#complainant", "李秀英")
        citizen.fill("#contact", "13912345678")
        citizen.fill("#content", "答复没有说明延续申请需要哪些材料。")
        shot(citizen, "qa-complaint")
        citizen.get_by_role("button", name=re.compile("提交")).click()
        codes = citizen.locator(".code").all_inner_texts()
        complaint, complaint_code = codes[0].strip(), codes[1].strip()
        assert complaint.startswith("TS") and CODE.fullmatch(complaint_code)

        login(page, "jw001")
        page.goto("/supervision/complaints")
        row = page.locator("tr", has_text=complaint)
        assert private in row.inner_text()
        row.get_by_role("button", name="受理").click()
        page.wait_for_load_state()
        row = page.locator("tr", has_text=complaint)
        row.locator("summary", has_text="答复").click()
        row.locator("textarea[name=answer]").fill("经核查，已责成市场监督管理局补充告知延续申请所需材料清单。")
        row.get_by_role("button", name="答复投诉人").click()
        page.wait_for_load_state()
        shot(page, "qa-complaints")

        citizen.goto("/complaints/lookup")
        citizen.fill("#number", complaint)
        citizen.fill("#query_code", complaint_code)
        citizen.get_by_role("button", name="查询投诉").click()
        assert "已责成市场监督管理局补充告知延续申请所需材料清单" in citizen.content()
        shot(citizen, "qa-complaint-answered")
    finally:
        context.close()
