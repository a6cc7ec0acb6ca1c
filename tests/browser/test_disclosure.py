"""依申请公开 in Chromium (issue 13, done-when): a citizen asks 阳光县人民政府办公室 online for
information and keeps the 申请编号 and the 查询码; the office asks once for 补正 (条例 art. 30), the
citizen corrects the request on the page the 查询码 opens and the answer period restarts; the office
hands the request to 住建局 and 自然资源局, which answer in writing; after the secrecy review it
consults a third party (arts. 32–33: the consultation is not counted) and drafts 部分公开 on the
ground of 商业秘密 (art. 15); both bodies countersign, the leader approves, the window delivers; the
citizen reads 已答复 with the ground and downloads the 答复书. The supervisors' annual report counts it.

The live server runs in this process, so the frozen clock (``frozen_clock``, Monday 2026-09-28 09:00)
is the server's clock too: each step happens on the day the 条例's periods are counted from.

Received 09-28 (20 working days: 10-30). 补正 asked 09-29, supplied 10-09: the period restarts
(20 working days after 10-09, 10-10 a make-up working day: 11-05). The third party is consulted on
10-14 and objects on 10-21: 5 working days not counted (11-12)."""

from __future__ import annotations

import re
from datetime import datetime

from docx import Document

from engine import clock

from .conftest import login, shot

CODE = re.compile(r"[A-Z0-9]{10}")
FIRST = "请公开阳光县城关镇老旧小区改造项目的有关文件。"
CORRECTED = "请公开阳光县发展和改革局《关于城关镇老旧小区改造项目立项的批复》（阳县发改〔2026〕12号）及其附件。"


def at(day: str, hour: int = 10) -> None:
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def _citizen(browser, live_server):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN", base_url=live_server,
                                  accept_downloads=True)
    return context, context.new_page()


def _apply(citizen) -> tuple[str, str]:
    citizen.goto("/")
    citizen.get_by_role("link", name="政府信息公开", exact=True).first.click()
    citizen.get_by_role("heading", name="政府信息公开", exact=True).wait_for()
    shot(citizen, "gk-column")
    citizen.get_by_role("link", name=re.compile("依申请公开")).first.click()
    citizen.wait_for_url("**/gk/apply")
    citizen.select_option("#department_id", label="阳光县人民政府办公室")
    citizen.select_option("#requester_kind", value="natural")
    citizen.fill("#name", "张三")
    citizen.fill("#cert_number", "11010519491231002X")
    citizen.fill("#phone", "13800000000")
    citizen.fill("#email", "zhangsan@example.com")
    citizen.fill("#description", FIRST)
    citizen.check("#medium-electronic")
    citizen.check("#delivery-email")
    shot(citizen, "gk-apply")
    citizen.get_by_role("button", name="提交申请").click()
    citizen.get_by_role("heading", name="政府信息公开申请已提交").wait_for()
    codes = citizen.locator(".code").all_inner_texts()
    number, code = codes[0].strip(), codes[1].strip()
    assert number.startswith("GK530930") and CODE.fullmatch(code)
    return number, code


def _lookup(citizen, number: str, code: str) -> None:
    citizen.goto("/gk/lookup")
    citizen.fill("#number", number)
    citizen.fill("#query_code", code.lower())  # 不区分大小写
    citizen.get_by_role("button", name="查看我的申请").click()
    citizen.get_by_role("heading", name="我的政府信息公开申请").wait_for()


def _lookup_fails(citizen, number: str, code: str) -> None:
    citizen.fill("#number", number)
    citizen.fill("#query_code", code)
    citizen.get_by_role("button", name="查看我的申请").click()
    citizen.get_by_role("heading", name="无法打开").wait_for()
    assert FIRST not in citizen.content()


def _open(page, staff_no: str, number: str) -> None:
    login(page, staff_no)
    page.goto("/workbench/gk/requests")
    page.get_by_role("link", name=number).first.click()
    page.locator("#request-number").wait_for()


def _submit(page, button: str) -> str:
    """Submit a step's form; the flash or the refusal is returned (a refusal fails the test)."""
    page.click(button)
    page.wait_for_load_state()
    assert not page.locator("#page-error, .error[role=alert], .error-summary").count(), page.locator("main").inner_text()
    return page.content()


def test_request_corrected_assigned_consulted_partly_disclosed_and_downloaded(browser, live_server, page,
                                                                             frozen_clock):
    context, citizen = _citizen(browser, live_server)
    try:
        # 09-28: the citizen asks online; the receipt shows the number, the code once, the deadline and why
        number, code = _apply(citizen)
        receipt = citizen.locator("main").inner_text()
        assert "阳光县人民政府办公室" in receipt
        assert "2026年10月30日前" in receipt
        assert "20 个工作日" in receipt and "第三十三条" in receipt
        assert "收到申请之日 2026-09-28" in receipt and "届满：2026-10-30" in receipt
        assert "2026-10-01（国庆节，休息，不计入）" in receipt
        shot(citizen, "gk-receipt")
        citizen.reload()  # the 查询码 is shown once
        assert code not in citizen.content() and "现已不再显示" in citizen.content()

        # 09-29: 梁宇 (zf002) asks once for 补正, 10 working days
        at("2026-09-29")
        _open(page, "zf002", number)
        page.click("#correction summary")
        page.fill("#correction-points", "请写明所需文件的名称或文号\n请写明文件的发文机关")
        page.fill("#correction-days", "10")
        body = _submit(page, "#submit-correction")
        assert "已一次性告知补正" in body
        assert "告知申请人补正" in page.locator("#correction-open").inner_text()

        # the citizen opens the request with number and code (another browser), sees the points and the period;
        # a wrong code opens nothing
        citizen.context.clear_cookies()
        citizen.goto(f"/gk/mine/{number}")
        citizen.wait_for_url("**/gk/lookup")
        _lookup_fails(citizen, number, "ABCDEFGHJK")
        _lookup(citizen, number, code)
        mine = citizen.locator("main").inner_text()
        assert "待申请人补正" in mine
        assert "请写明所需文件的名称或文号" in mine and "请写明文件的发文机关" in mine
        assert "补正期限：2026年10月19日前" in mine and "第三十条" in mine
        assert "收到补正后的申请之日起重新计算 20 个工作日" in mine and "等待补正" in mine
        shot(citizen, "gk-correction")

        # 10-09: the corrected description; the period restarts from its receipt (art. 30)
        at("2026-10-09")
        citizen.reload()
        citizen.fill("#description", CORRECTED)
        citizen.get_by_role("button", name="提交补正").click()
        citizen.get_by_role("heading", name="我的政府信息公开申请").wait_for()
        mine = citizen.locator("main").inner_text()
        assert "答复期限自今日起重新计算" in mine
        assert "2026年11月05日前" in mine
        assert "2026-10-09" in mine and "第三十条" in mine
        assert "已补正 1 次" in mine and CORRECTED in mine

        # 10-12: zf002 hands it to 住建局 and 自然资源局
        at("2026-10-12")
        _open(page, "zf002", number)
        assert CORRECTED in page.locator("#request-description").inner_text()
        assert "补正前" in page.locator("#corrections").inner_text()
        page.check("#review-route input[value=assign]")
        page.get_by_label("阳光县住房和城乡建设局").check()
        page.get_by_label("阳光县自然资源局").check()
        page.fill("#review-note", "请于 5 个工作日内书面答复是否掌握立项批复及附件、可否公开。")
        body = _submit(page, "#submit-review")
        assert "已交办 2 个承办单位" in body

        # each body answers in writing
        _open(page, "zj002", number)
        page.select_option("#body_answer-proposed_type", value="partial")
        page.fill("#body_answer-opinion", "本局掌握立项批复，可以公开；附件中的投标报价涉及建设单位商业秘密。")
        _submit(page, "#submit-body-answer")
        _open(page, "zr002", number)
        page.select_option("#body_answer-proposed_type", value="disclosed")
        page.fill("#body_answer-opinion", "本局掌握项目用地预审意见，可以公开。")
        _submit(page, "#submit-body-answer")

        # 10-13: secrecy review by 宋佳 (zf003)
        at("2026-10-13")
        _open(page, "zf003", number)
        page.fill("#secrecy-opinion", "经审查，所申请信息不涉及国家秘密。")
        body = _submit(page, "#submit-secrecy")
        assert "保密审查意见已提交" in body

        # 10-14: zf002 consults the third party; 10-21: it objects
        at("2026-10-14")
        _open(page, "zf002", number)
        page.click("#consult summary")
        page.fill("#consult-party", "阳光县安居建设有限公司")
        page.fill("#consult-contact", "0883-6123456")
        page.fill("#consult-matter", "附件中贵公司的投标报价是否同意公开")
        body = _submit(page, "#submit-consult")
        assert "征求意见期间不计入答复期限" in body
        assert "暂停计时" in page.locator("#request-deadline").inner_text()
        citizen.goto(f"/gk/mine/{number}")  # this browser opened it with its code
        mine = citizen.locator("main").inner_text()
        assert "征求第三方意见中（不计入答复期限）" in mine and "征求第三方意见期间不计算" in mine
        at("2026-10-21")
        _open(page, "zf002", number)
        page.check("#reply-outcome input[value=objected]")
        page.fill("#reply-reply", "投标报价属于本公司商业秘密，不同意公开。")
        _submit(page, "#submit-reply")
        explained = page.locator("#deadline-explained").inner_text()
        assert "答复期限：2026-11-12" in explained and "另顺延 5 个工作日" in explained
        assert "征求第三方意见：2026-10-14 至 2026-10-21，不计入期限" in explained
        # the citizen reads the same explanation: restarted on the 补正, the consultation not counted
        citizen.goto(f"/gk/mine/{number}")
        lines = citizen.locator("#deadline-h + ul").inner_text()
        assert "起算：收到补正后申请之日 2026-10-09" in lines and "第三十条" in lines
        assert "20 个工作日" in lines and "第三十三条" in lines
        assert "征求第三方意见：2026-10-14 至 2026-10-21，不计入期限" in lines
        assert "届满：2026-11-12" in lines
        assert "2026年11月12日前" in citizen.locator("main").inner_text()

        # 10-22: zf002 drafts 部分公开 on the ground of 商业秘密 (art. 15)
        at("2026-10-22")
        _open(page, "zf002", number)
        page.select_option("#draft-answer_type", value="partial")
        page.fill("#draft-disclosed_items", "《关于城关镇老旧小区改造项目立项的批复》（阳县发改〔2026〕12号）；项目用地预审意见")
        page.select_option("#draft-ground", value="third_party")
        page.fill("#draft-ground_detail", "附件中的投标报价属于第三方商业秘密，第三方书面不同意公开，不公开不会对公共利益造成重大影响。")
        page.fill("#draft-answer_text", "现将可以公开的立项批复文件和用地预审意见以电子邮件提供给你。")
        assert page.locator("#draft-published_where").is_hidden()  # only the fields of 部分公开
        shot(page, "gk-staff-draft")
        body = _submit(page, "#submit-draft")
        assert "答复书已拟定：部分公开" in body

        for staff_no, text in (("zj002", "同意。"), ("zr002", "同意答复书。")):
            _open(page, staff_no, number)
            assert "部分公开" in page.locator("#comment-answer").inner_text()
            page.check("#comment-agrees input[value='1']")
            page.fill("#comment-text", text)
            _submit(page, "#submit-comment")

        _open(page, "zf004", number)
        assert "第十五条" in page.locator("#approve-answer").inner_text()
        body = _submit(page, "#approve")
        assert "答复书已审定" in body

        _open(page, "zf001", number)
        page.select_option("#deliver-method", value="email")
        page.fill("#deliver-note", "已发送至申请人电子邮箱 zhangsan@example.com。")
        body = _submit(page, "#submit-deliver")
        assert "已送达" in body
        assert "部分公开" in page.locator("#request-answer").inner_text()

        # the supervisors' annual report counts it: one request, 部分公开, from a 自然人, online
        login(page, "jw001")
        page.goto("/supervision/gk/report?body=zfb&year=2026")
        assert page.locator("[data-cell='new|natural']").inner_text() == "1"
        assert page.locator("[data-cell='partial|natural']").inner_text() == "1"
        assert page.locator("[data-cell='channel|web']").inner_text() == "1"
        shot(page, "gk-supervision-report")

        # the citizen: 已答复, the summary with its ground, the 答复书
        citizen.context.clear_cookies()
        _lookup(citizen, number, code)
        mine = citizen.locator("main").inner_text()
        assert "已答复" in mine
        assert "部分公开" in mine and "涉及商业秘密" in mine and "第十五条" in mine
        shot(citizen, "gk-answered")
        link = citizen.get_by_role("link", name=re.compile("政府信息公开申请答复书"))
        with citizen.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".docx")
        text = "\n".join(p.text for p in Document(download.value.path()).paragraphs)
        assert "部分公开" in text and "第十五条" in text
        assert "GK" in text and number in text and "2026年10月9日补正" in text
        assert "《关于城关镇老旧小区改造项目立项的批复》" in text and "第三方商业秘密" in text
    finally:
        context.close()
