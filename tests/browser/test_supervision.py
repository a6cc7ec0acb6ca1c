"""Supervision in the browser: an alarm raised by the scheduler opens a 督办 that runs through all
its posts; a threshold changed in the browser governs the next transition; replay shows everything."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from engine import clock, scheduler
from engine.service import return_to_step, start_case
from rules.models import Alert, Rule

from ..conftest import As
from ..helpers import do, get_case, task_id
from .conftest import login, shot
from .test_journeys import complete

FOOD = "015309300002"


def test_alarm_opens_a_supervision_order_that_runs_through_all_posts(page, database, run, company, frozen_clock):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    clock.travel(datetime(2026, 10, 12, 9, 0, tzinfo=clock.LOCAL_TZ))  # 材料审查 was due 10/10
    scheduler.tick(database)
    with database.transaction(write=False) as s:
        alarm = s.scalars(select(Alert).where(Alert.case_id == case.id, Alert.rule_code == "A002")).one()
    login(page, "jw001")
    page.goto("/supervision/alerts?level=alarm")
    row = page.locator(f"tr[data-alert='{alarm.id}']")
    assert "已超过办理期限" in row.inner_text()
    shot(page, "supervision-alerts")
    row.locator("summary:has-text('督办')").click()
    row.locator("textarea[name=requirement]").fill("请于 5 个工作日内完成材料审查并说明超期原因。")
    row.locator("input[name=end_date]").fill("2026-10-19")
    row.locator("button:has-text('发起督办')").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    order_id = int(re.search(r"/cases/(\d+)", page.url).group(1))
    assert page.locator("[name=problem]").input_value().startswith("环节“材料审查”已超过办理期限")
    complete(page, opinion="发起督办。")
    for staff_no, fields in (("jw003", {"review_opinion": "同意督办。"}),
                             ("sc006", {"sign_note": "已签收，立即整改。"}),
                             ("sc003", {"feedback": "已完成材料审查，超期原因为材料核实耗时。", "rectified": "已整改"}),
                             ("jw001", {"conclusion": "整改到位，督办办结。"})):
        login(page, staff_no)
        page.goto(f"/cases/{order_id}")
        complete(page, fields)
    assert "督办办结" in page.locator("#case-state").inner_text()
    shot(page, "supervision-order-done")
    with database.transaction(write=False) as s:
        alarm = s.get(Alert, alarm.id)
    assert alarm.state == "resolved" and "整改到位" in alarm.handling_note
    assert get_case(database, order_id).data["rectified"] == "已整改"


def test_threshold_changed_in_the_browser_is_used_next(page, database, run, company):
    with database.transaction(write=False) as s:
        rule_id = s.scalars(select(Rule.id).where(Rule.code == "A010")).one()
    login(page, "jw001")
    page.goto("/supervision/rules")
    page.click("a:has-text('A010')")
    page.fill("input[name='param.times']", "0")
    page.fill("input[name=note]", "首次退回即预警")
    page.click("button:has-text('保存为新版本')")
    assert "已修改为第" in page.content()
    assert "首次退回即预警" in page.locator("#history").inner_text()
    shot(page, "supervision-rule-history")
    try:
        case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
        do(run, database, case.id, As("sc001"), "accept")
        run(return_to_step, task_id(database, case.id, "review"), As("sc003"), "accept", "复印件不清晰")
        with database.transaction(write=False) as s:
            assert s.scalars(select(Alert).where(Alert.case_id == case.id, Alert.rule_code == "A010")).first()
    finally:
        page.goto(f"/supervision/rules/{rule_id}")
        page.fill("input[name='param.times']", "1")
        page.fill("input[name=note]", "恢复默认")
        page.click("button:has-text('保存为新版本')")


def test_replay_shows_every_step_with_actor_time_opinion_form_and_alerts(page, database, run, company, frozen_clock):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    steps = [("sc001", "accept", {}, "材料齐全，予以受理。"), ("sc003", "review", {}, "需要现场核查。"),
             ("sc004", "inspect", {"inspection_result": "场所布局合理"}, "核查通过。"), ("sc005", "audit", {}, "审核通过。"),
             ("sc006", "decide", {}, "准予许可。"), ("sc001", "issue", {"license_no": "JY25309300099"}, "已发证。")]
    for staff_no, step, data, opinion in steps:
        do(run, database, case.id, As(staff_no), step, data=data, opinion=opinion)
    login(page, "jw001")
    page.goto(f"/supervision/cases/{case.id}")
    rows = page.locator("#replay-steps tbody tr")
    assert rows.count() == len(steps)
    text = page.locator("#replay-steps").inner_text()
    for name in ("李娜", "张伟", "刘洋", "陈静", "杨帆"):
        assert name in text
    for _, _, _, opinion in steps:
        assert opinion in text
    assert "场所布局合理" in text and "JY25309300099" in text and "09-28" in text
    assert "A040" in page.locator("#replay-alerts").inner_text()  # the risk point at 现场核查
    assert "准予许可" in page.locator("#replay-result").inner_text()
    page.wait_for_timeout(500)
    shot(page, "supervision-replay")
