"""Every deadline explains itself on the case page, and 延期 is a decision by the named approver
(issue "Legal time", items 6 and 7), in a real browser."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine import clock
from engine.models import User
from engine.service import Applicant, complete_task, start_case
from tests.helpers import get_case, task_id

from .conftest import login, shot

FOOD, INFO = "015309300002", "205309300006"


def _as(session, staff_no):
    return session.scalars(select(User).where(User.staff_no == staff_no)).one()


def test_a_supervisor_sees_why_a_case_is_due_on_1_8(page, database):
    """政府信息公开条例 art. 33: received 2026-12-10, 20 working days, 元旦 crossed, 2027 not entered: 预计."""
    with clock.frozen(datetime(2026, 12, 10, 9, 30, tzinfo=clock.LOCAL_TZ)):
        with database.transaction() as s:
            person = Applicant(name="张三", cert_type="111", cert_number="11010519491231002X", phone="13800000000")
            case = start_case(s, INFO, person, _as(s, "zf001"), subject="张三申请公开阳光县2026年道路改造资金使用情况",
                              data={"office": "zfb"})
        login(page, "jw001")
        page.goto(f"/cases/{case.id}")
        box = page.locator("#deadline-explained")
        text = box.inner_text()
        assert "2027-01-08" in text and "预计" in text
        assert "收到申请之日 2026-12-10" in text and "第三十三条" in text
        assert "20 个工作日" in text and "2027-01-01（元旦，休息，不计入）" in text
        assert "2027 年放假安排尚未录入" in text
        assert "预计" in page.locator("#case-deadline").inner_text()
        shot(page, "deadline-explained")
        data = page.request.get(f"/cases/{case.id}/deadline.json").json()
        assert data["deadline"]["due"] == "2027-01-08" and data["deadline"]["start"]["basis"] == "receipt"
        assert {"day": "2027-01-01", "name": "元旦", "workday": False} in data["deadline"]["crossed"]


def test_extension_waits_for_the_approver_then_the_notice_exists(page, database):
    """行政许可法 art. 42: 延期 needs the head's approval and a written notice with the reason."""
    with clock.frozen(datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)):
        with database.transaction() as s:
            company = Applicant(name="阳光县好味道餐饮有限公司", type="2", cert_type="001",
                                cert_number="91530930MA6N8X0Q31", phone="13912345678")
            case = start_case(s, FOOD, company, _as(s, "sc001"), data={"prepackaged_only": True})
        with database.transaction() as s:
            complete_task(s, task_id(database, case.id, "accept"), _as(s, "sc001"), approved=True, opinion="受理")
        login(page, "sc003")
        page.goto(f"/cases/{case.id}")
        page.click("summary:has-text('申请延期')")
        form = page.locator("form[action$='/extend']")
        form.locator("input[name=days]").fill("10")
        form.locator("select[name=approver]").select_option(label="杨帆")
        form.locator("textarea[name=reason]").fill("经营场所布局复杂，需组织专家论证")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "待批准人审批" in page.content()
        assert get_case(database, case.id).deadline.isoformat() == "2026-10-23"
        login(page, "sc006")
        page.click("#extension-approvals a")
        page.fill("#extension-approvals ~ * textarea[name=note], textarea[name=note]", "同意延长十个工作日")
        page.click("#approve-extension")
        page.wait_for_load_state()
        assert get_case(database, case.id).deadline.isoformat() == "2026-11-06"
        docs = page.locator(".docs").inner_text()
        assert "延期告知书" in docs
        lines = page.locator("#deadline-explained").inner_text()
        assert "延期 10 个工作日：杨帆于 2026-09-28 批准" in lines and "第四十二条" in lines
        shot(page, "extension-approved")
