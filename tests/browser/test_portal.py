"""政务服务专栏 in Chromium: a citizen applies online for 食品经营许可 with one material missing, the
window asks for 补正, the citizen supplies it with the 申请编号 and 查询码, the window accepts, and
the citizen finds the 受理通知书 and the deadline in 结果反馈. Then every public page under axe-core
(no serious or critical violation), at 390 px (no sideways scrolling), by keyboard, and in 长者模式."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import login, shot

FOOD = "015309300002"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PUBLIC_PAGES = {
    "portal-home": "/", "portal-items": "/items?department=scjgj", "portal-person": "/items?audience=person",
    "portal-guide": f"/items/{FOOD}", "portal-forms": f"/items/{FOOD}/forms", "portal-faq": f"/items/{FOOD}/faq",
    "portal-apply": f"/items/{FOOD}/apply", "portal-item-results": f"/items/{FOOD}/results",
    "portal-progress": "/progress", "portal-application": "/application", "portal-publicity": "/results",
    "portal-hall": "/hall", "portal-search": "/search?q=开饭店",
    "portal-questions": "/questions", "portal-ask": "/questions/ask", "portal-ask-item": f"/questions/ask?item={FOOD}",
    "portal-question-lookup": "/questions/lookup", "portal-faq-library": "/faq", "portal-complaint": "/complaints/new",
    "portal-complaint-lookup": "/complaints/lookup",
    # 政府信息公开专栏 (webapp/portal/disclosure.py)
    "portal-gk": "/gk", "portal-gk-entries": "/gk/entries?theme=09", "portal-gk-body": "/gk/zfb",
    "portal-gk-apply": "/gk/apply", "portal-gk-lookup": "/gk/lookup", "portal-gk-reports": "/gk/reports",
    "portal-gk-missing": "/gk/info/NOSUCH-03-2026-00001",
}


def _citizen(browser, live_server, **options):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN", base_url=live_server,
                                  **options)
    return context, context.new_page()


def test_apply_online_correct_online_and_see_the_acceptance(browser, live_server, page):
    context, citizen = _citizen(browser, live_server)
    try:
        citizen.goto("/")
        shot(citizen, "portal-home")
        citizen.get_by_role("link", name="阳光县市场监督管理局").first.click()
        citizen.get_by_role("link", name="食品经营许可").first.click()
        assert citizen.get_by_role("heading", name="食品经营许可", level=1).is_visible()
        shot(citizen, "portal-guide")
        citizen.get_by_role("link", name="网上申请").last.click()
        citizen.select_option("#ap_type", "2")
        citizen.fill("#ap_name", "阳光县百味面馆有限公司")
        citizen.select_option("#ap_cert_type", "001")
        citizen.fill("#ap_cert_number", "91530930MA6N8X0Q31")
        citizen.fill("#ap_contact_name", "王建华")
        citizen.fill("#ap_phone", "13912345678")
        for field, value in {"business_name": "阳光县百味面馆有限公司", "credit_code": "91530930MA6N8X0Q31",
                             "legal_rep": "王建华", "legal_rep_id": "11010519491231002X", "phone": "13912345678",
                             "address": "阳光县城关镇阳光大道18号", "business_area": "86"}.items():
            citizen.fill(f"#f-{field}", value)
        citizen.get_by_label("热食类食品制售").check()
        uploads = citizen.locator("input[type=file]")
        count = uploads.count()
        assert count >= 3
        for i in range(count - 1):  # the last material is left out
            uploads.nth(i).set_input_files({"name": f"材料{i + 1}.pdf", "mimeType": "application/pdf", "buffer": PDF})
        shot(citizen, "portal-apply-filled")
        citizen.get_by_role("button", name="提交申请").click()
        citizen.wait_for_url("**/application/receipt")
        codes = citizen.locator("span.code").all_inner_texts()
        number, code = codes[0], codes[1]
        assert number.startswith("WS") and len(code) == 10
        assert "您还没有上传" in citizen.content()
        shot(citizen, "portal-receipt")
    finally:
        context.close()

    # the window's 预审: the application is in the queue; the clerk asks for 补正 of what is missing
    login(page, "sc001")
    page.get_by_role("link", name="网上申请").click()
    page.get_by_role("link", name=number).click()
    if page.get_by_role("button", name="签收").count():
        page.get_by_role("button", name="签收").click()
    page.locator("#send-correction").click()
    assert "补正" in page.content()

    # another browser: the 申请编号 and the 查询码 open the application, the missing file is supplied
    context, citizen = _citizen(browser, live_server)
    try:
        citizen.goto("/application")
        citizen.fill("#number", number)
        citizen.fill("#query_code", code.lower())
        citizen.get_by_role("button", name="打开申请").click()
        assert citizen.get_by_role("heading", name="需要补正材料").is_visible()
        assert citizen.get_by_role("link", name=re.compile("补正材料告知书")).is_visible()
        shot(citizen, "portal-correction")
        citizen.locator("#correction input[type=file]").first.set_input_files(
            {"name": "补正材料.pdf", "mimeType": "application/pdf", "buffer": PDF})
        citizen.get_by_role("button", name="提交补正材料").click()
        assert "补正材料已提交" in citizen.content()

        # the window accepts
        page.reload()
        page.locator("#complete").click()
        page.wait_for_load_state()

        # the citizen: the 受理通知书 to download, and the deadline in 结果反馈
        citizen.reload()
        link = citizen.get_by_role("link", name=re.compile("受理通知书"))
        with citizen.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.startswith("受理通知书")
        citizen.goto("/progress")
        citizen.fill("#number", number)
        citizen.fill("#cert_number", "91530930MA6N8X0Q31")
        citizen.get_by_role("button", name="查询").click()
        status = citizen.locator("dl.guide").inner_text()
        assert "已受理" in status and "承诺办结日期" in status
        citizen.get_by_text("期限是怎样计算的").click()
        assert "起算" in citizen.locator("details").inner_text()
        shot(citizen, "portal-progress-result")
        assert "91530930MA6N8X0Q31" not in citizen.content() and "13912345678" not in citizen.content()
    finally:
        context.close()


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_public_pages_pass_axe_core(browser, live_server, elder):
    context, citizen = _citizen(browser, live_server, bypass_csp=True)
    outside = []
    citizen.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    try:
        if elder:
            citizen.goto("/elder?on=1")
        for name, path in PUBLIC_PAGES.items():
            citizen.goto(path)
            if not elder:
                shot(citizen, name)  # docs/screenshots: every public page at desktop width
            citizen.add_script_tag(path=str(AXE))
            result = citizen.evaluate("""async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
                return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '));
            }""")
            assert result == [], (path, result)
        assert outside == []  # no external request, anywhere
    finally:
        context.close()


def test_public_pages_fit_a_phone_and_are_shot(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live_server,
                                  device_scale_factor=1, is_mobile=True, has_touch=True)
    citizen = context.new_page()
    try:
        for name, path in PUBLIC_PAGES.items():
            citizen.goto(path)
            width = citizen.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            shot(citizen, f"{name}-phone")
        citizen.goto("/elder?on=1&next=/items/" + FOOD)
        shot(citizen, "portal-guide-elder-phone")
        for path in PUBLIC_PAGES.values():  # 长者模式: larger type, still one column
            citizen.goto(path)
            width = citizen.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, ("长者模式", path, width)
    finally:
        context.close()


def test_the_column_works_by_keyboard(browser, live_server):
    context, citizen = _citizen(browser, live_server)
    try:
        citizen.goto("/")
        citizen.keyboard.press("Tab")
        assert citizen.evaluate("document.activeElement.textContent") == "跳到主要内容"
        citizen.keyboard.press("Enter")
        assert citizen.evaluate("document.activeElement.id") == "main"
        citizen.goto("/")
        citizen.focus("#site-q")
        citizen.keyboard.type("开饭店")
        citizen.keyboard.press("Enter")
        citizen.wait_for_url("**/search?q=*")
        first = citizen.locator("main a[href^='/items/']").first
        assert "食品经营许可" in first.inner_text()
    finally:
        context.close()
