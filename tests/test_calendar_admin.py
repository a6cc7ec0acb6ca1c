"""The administrator maintains the working-day calendar from the State Council's notice: paste,
preview beside the provisional year with the cases whose dates would move, confirm; one day at a
time afterwards; the dashboards remind from 1 October while next year is missing."""

from __future__ import annotations

import html
import re
from datetime import date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from engine import calendar as workcal
from engine import calendar_notice
from engine.errors import PermissionDenied
from engine.models import CalendarDay, CalendarYear, Case, CaseEvent
from engine.service import Applicant, complete_task, start_case
from webapp.cli import main

from .conftest import As
from .helpers import task_id
from .test_calendar_notice import NOTICE_2027
from .webhelpers import _csrf, login

PENALTY = "025309300005"
YEAR = 2027


@pytest.fixture
def forget_2027(database):
    """Tests that enter 2027 take it out again, so other tests still see 2027 as not entered."""
    yield
    with database.transaction() as s:
        s.execute(delete(CalendarDay).where(CalendarDay.day >= date(YEAR, 1, 1), CalendarDay.day <= date(YEAR, 12, 31)))
        s.execute(delete(CalendarYear).where(CalendarYear.year == YEAR))
    workcal.invalidate_cache()


@pytest.fixture
def penalty_case(run, database, frozen_clock):
    """A penalty case filed on 2026-11-10: 90 calendar days end on Monday 2027-02-08, in 春节; provisionally
    (除夕 to 初三 and 补假 rest until 2/10) the deadline is 2/11, by the 2027 notice (rest until Sunday
    2/13, 2/14 a make-up working day) it is 2/14."""
    workcal.invalidate_cache()  # a test that deleted a year without invalidating must not leak it here
    frozen_clock.travel(datetime(2026, 11, 10, 9, 0))
    party = Applicant(name="阳光县某超市", type="5", cert_type="001", cert_number="92530930MA6N8X0Q3X")
    case = run(start_case, PENALTY, party, As("sc006"), subject="销售过期食品案")
    run(complete_task, task_id(database, case.id, "file"), As("sc006"), approved=True, opinion="同意立案。")
    with database.transaction(write=False) as s:
        case = s.get(Case, case.id)
    assert case.deadline == date(2027, 2, 11) and case.deadline_provisional
    return case


def _years(database) -> set[int]:
    with database.transaction(write=False) as s:
        return set(s.scalars(select(CalendarYear.year)))


def _preview(client, text=NOTICE_2027, year=""):
    token = _csrf(client.get("/admin/calendar").get_data(as_text=True))
    return client.post("/admin/calendar/preview", data={"csrf_token": token, "text": text, "year": year})


def test_only_administrators_reach_the_admin_pages_and_nothing_is_saved(client, database):
    login(client, "jw001")  # a supervisor
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/calendar").status_code == 403
    token = _csrf(client.get("/supervision").get_data(as_text=True))
    response = client.post("/admin/calendar/confirm", data={"csrf_token": token, "text": NOTICE_2027})
    assert response.status_code == 403 and "系统管理仅对系统管理员开放" in response.get_data(as_text=True)
    assert YEAR not in _years(database)
    assert "系统管理" not in client.get("/supervision").get_data(as_text=True)  # no link in the header


def test_the_services_refuse_anyone_but_an_administrator(run, database):
    with pytest.raises(PermissionDenied, match="系统管理员"):
        run(calendar_notice.import_notice, As("jw001"), NOTICE_2027)
    with pytest.raises(PermissionDenied):
        run(calendar_notice.preview_notice, None, NOTICE_2027)
    with pytest.raises(PermissionDenied):
        run(calendar_notice.change_day, As("xz001"), date(2026, 10, 9), False, "测试")
    assert YEAR not in _years(database)


def test_preview_shows_the_grid_beside_the_provisional_year_and_the_moves_then_confirm_saves(
        client, database, penalty_case, forget_2027):
    login(client, "admin")
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert "导入国务院办公厅放假通知" in page and '<label for="text">' in page
    response = _preview(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "2027 年日历：通知与预计对照" in page and page.count('<table class="cal"') == 12
    # 2/11 and 2/12 rest by the notice but work provisionally; 2/14 and 2/20 are make-up days; …
    differs = re.findall(r'class="(?:work|rest) differs" data-day="([\d-]+)"', page)
    assert {"2027-02-11", "2027-02-12", "2027-02-14", "2027-02-20", "2027-09-30", "2027-10-06"} <= set(differs)
    assert "2027-02-09" not in differs  # rests either way (春节补假 / 春节)
    moves = page.split('id="moves"')[1].split("</table>")[0]
    assert penalty_case.number in moves and "2027-02-11" in moves and "2027-02-14" in moves
    assert YEAR not in _years(database)  # a preview saves nothing
    with database.transaction(write=False) as s:
        assert s.get(Case, penalty_case.id).deadline == date(2027, 2, 11)

    form = page.split('id="confirm"')[1].split("</form>")[0]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    response = client.post("/admin/calendar/confirm", data={k: html.unescape(v) for k, v in hidden.items()})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "2027 年放假安排已保存" in page and penalty_case.number in page
    assert YEAR in _years(database)
    with database.transaction(write=False) as s:
        case = s.get(Case, penalty_case.id)
        assert case.deadline == date(2027, 2, 14) and case.deadline_provisional is None
        assert s.scalars(select(CaseEvent.actor_name).where(CaseEvent.case_id == case.id)
                         .order_by(CaseEvent.seq.desc())).first() == "王建国"
        calendar = workcal.load_calendar(s)
    assert calendar.is_maintained(YEAR) and calendar.is_workday(date(2027, 2, 14))
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert "/admin/calendar/2027" in page


def test_a_single_day_of_an_entered_year_is_changed(client, database, run, penalty_case, forget_2027):
    run(calendar_notice.import_notice, As("admin"), NOTICE_2027)
    login(client, "admin")
    page = client.get(f"/admin/calendar/{YEAR}").get_data(as_text=True)
    assert "修改单日" in page and page.count('<table class="cal"') == 12
    response = client.post(f"/admin/calendar/{YEAR}/day", data={
        "csrf_token": _csrf(page), "day": "2027-02-14", "status": "rest", "name": "春节"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "2月14日已改为休息" in page and 'id="saved"' in page
    with database.transaction(write=False) as s:
        assert not workcal.load_calendar(s).is_workday(date(2027, 2, 14))
        assert s.get(CalendarDay, date(2027, 2, 14)).name == "春节"
        # a changed day recomputes the dates that reach it: the 90-day period ending on 2/14, now a rest
        # day, ends on the next working day (民法典 art. 203)
        assert s.get(Case, penalty_case.id).deadline == date(2027, 2, 15)


@pytest.mark.parametrize("form, message", [
    ({"day": "", "status": "rest"}, "请填写要修改的日期"),
    ({"day": "2027-02-30", "status": "rest"}, "日期“2027-02-30”无效"),
    ({"day": "2026-12-31", "status": "rest"}, "日期 2026-12-31 不在 2027 年内"),
    ({"day": "2027-03-01"}, "请选择这一天上班还是休息"),
    ({"day": "2027-03-01", "status": "holiday"}, "请选择这一天上班还是休息"),
    ({"day": "2027-03-01", "status": "rest", "name": "节" * 21}, "名称不能超过 20 个字"),
])
def test_bad_single_day_input_gets_a_chinese_message(client, database, run, forget_2027, form, message):
    run(calendar_notice.import_notice, As("admin"), NOTICE_2027)
    login(client, "admin")
    token = _csrf(client.get(f"/admin/calendar/{YEAR}").get_data(as_text=True))
    response = client.post(f"/admin/calendar/{YEAR}/day", data={"csrf_token": token, **form})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and 'id="error-summary"' in page
    with database.transaction(write=False) as s:
        assert s.get(CalendarDay, date(2027, 3, 1)).is_workday


def test_a_year_not_entered_cannot_be_changed_day_by_day(client, database):
    login(client, "admin")
    response = client.get("/admin/calendar/2031")
    assert response.status_code == 422 and "2031 年的放假安排尚未录入" in response.get_data(as_text=True)
    token = _csrf(client.get("/admin/calendar").get_data(as_text=True))
    response = client.post("/admin/calendar/2031/day", data={"csrf_token": token, "day": "2031-01-06", "status": "rest"})
    assert response.status_code == 422 and "2031 年的放假安排尚未录入" in response.get_data(as_text=True)


@pytest.mark.parametrize("text, year, message", [
    ("", "", "请粘贴国务院办公厅关于节假日安排的通知正文"),
    ("x" * (calendar_notice.MAX_TEXT + 1), "", "通知正文不能超过"),
    (NOTICE_2027, "２０２７x", "年份应为四位数字"),
    (NOTICE_2027, "1999", "年份应在 2000–2099 之间"),
])
def test_bad_notice_input_gets_a_chinese_message(client, database, text, year, message):
    login(client, "admin")
    response = _preview(client, text, year)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and 'id="error-summary"' in page
    assert YEAR not in _years(database)


def test_a_notice_with_problems_is_previewed_with_them_and_cannot_be_confirmed(client, database):
    login(client, "admin")
    response = _preview(client, NOTICE_2027.replace("共8天", "共7天", 1))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "春节：2月5日至2月12日共 8 天，通知写的是共7天，请核对。" in page and 'id="confirm"' not in page
    response = _preview(client, NOTICE_2027, "2026")
    assert response.status_code == 422 and "与通知标题中的 2027 年不一致" in response.get_data(as_text=True)
    token = _csrf(page)
    response = client.post("/admin/calendar/confirm", data={"csrf_token": token, "text": NOTICE_2027.replace("星期五）至3日", "星期六）至3日")})
    assert response.status_code == 422 and "标注为星期六" in response.get_data(as_text=True)
    response = client.post("/admin/calendar/confirm", data={"text": NOTICE_2027})  # no CSRF token
    assert response.status_code == 400 and "请求无效或页面已过期" in response.get_data(as_text=True)
    assert YEAR not in _years(database)


def test_both_dashboards_remind_from_1_october_while_next_year_is_missing(client, database, frozen_clock, run,
                                                                         forget_2027):
    login(client, "admin")
    assert 'id="calendar-reminder"' not in client.get("/admin").get_data(as_text=True)  # 28 September
    frozen_clock.travel(datetime(2026, 10, 1, 8, 0))
    page = client.get("/admin").get_data(as_text=True)
    assert "2027 年的放假安排尚未录入" in page and "/supervision/incidents" in page
    assert "2004–2026" in page
    client.post("/logout", data={"csrf_token": _csrf(page)})
    login(client, "jw001")
    assert "2027 年的放假安排尚未录入" in client.get("/supervision").get_data(as_text=True)
    run(calendar_notice.import_notice, As("admin"), NOTICE_2027)
    assert 'id="calendar-reminder"' not in client.get("/supervision").get_data(as_text=True)


def test_cli_import_notice_previews_refuses_problems_and_saves(database, monkeypatch, tmp_path, penalty_case,
                                                              forget_2027):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    good = tmp_path / "2027.txt"
    good.write_text(NOTICE_2027, encoding="utf-8")
    out = CliRunner().invoke(main, ["calendar", "import-notice", str(good), "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "春节：放假 2027-02-05 至 2027-02-12，共 8 天；调休上班 2027-02-14、2027-02-20" in out.output
    assert "尚未保存" in out.output and penalty_case.number in out.output and YEAR not in _years(database)

    bad = tmp_path / "bad.txt"
    bad.write_text(NOTICE_2027.replace("共8天", "共9天", 1), encoding="gb18030")
    out = CliRunner().invoke(main, ["calendar", "import-notice", str(bad)])
    assert out.exit_code == 1 and "通知写的是共9天" in out.output and "未保存" in out.output
    assert YEAR not in _years(database)
    out = CliRunner().invoke(main, ["calendar", "import-notice", str(good), "--year", "2026"])
    assert out.exit_code == 1 and "不一致" in out.output

    out = CliRunner().invoke(main, ["calendar", "import-notice", str(good)])
    assert out.exit_code == 0, out.output
    assert "2027 年放假安排已保存" in out.output and "2027-02-14" in out.output
    with database.transaction(write=False) as s:
        assert s.get(Case, penalty_case.id).deadline == date(2027, 2, 14)
        assert s.get(CalendarYear, YEAR).source == "manual"


def test_cli_declare_year_recomputes_provisional_dates(database, monkeypatch, penalty_case, forget_2027):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    out = CliRunner().invoke(main, ["calendar", "declare-year", "2027", "--holiday", "2027-02-11:春节"])
    assert out.exit_code == 0, out.output
    assert "2027 年工作日历已维护" in out.output and penalty_case.number in out.output
    out = CliRunner().invoke(main, ["calendar", "declare-year", "2027", "--holiday", "2027-02-31:春节"])
    assert out.exit_code == 2 and "日期格式错误" in out.output

