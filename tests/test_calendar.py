"""Working days: seeded from chinesecalendar, editable, and never guessed."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import delete

from engine import calendar as workcal
from engine.errors import CalendarMissing
from engine.models import CalendarDay, CalendarYear
from webapp.cli import main


def test_twenty_working_days_from_the_national_day_week(database):
    with database.transaction(write=False) as s:
        cal = workcal.load_calendar(s)
    assert cal.add_workdays(date(2026, 9, 28), 20) == date(2026, 10, 30)
    assert cal.is_workday(date(2026, 10, 10))  # make-up working day (调休)
    assert not cal.is_workday(date(2026, 10, 5))
    assert cal.workdays_between(date(2026, 9, 28), date(2026, 10, 30)) == 20
    assert sum(cal.is_workday(date.fromordinal(d)) for d in range(date(2026, 1, 1).toordinal(),
                                                                  date(2026, 12, 31).toordinal() + 1)) == 248


def test_a_year_without_data_is_flagged_not_guessed(database):
    with database.transaction(write=False) as s:
        cal = workcal.load_calendar(s)
    with pytest.raises(CalendarMissing, match="2027 年没有工作日历数据"):
        cal.add_workdays(date(2026, 12, 10), 20)


def test_cli_add_workdays(database, monkeypatch):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    out = CliRunner().invoke(main, ["calendar", "add-workdays", "2026-09-28", "20"])
    assert out.exit_code == 0 and out.output.strip() == "2026-10-30"
    out = CliRunner().invoke(main, ["calendar", "add-workdays", "2026-12-20", "20"])
    assert out.exit_code != 0 and "2027 年没有工作日历数据" in out.output


def test_an_administrator_maintains_a_new_year(database):
    try:
        with database.transaction() as s:
            workcal.declare_year(s, 2027, {date(2027, 1, 1): "元旦"}, [])
        with database.transaction(write=False) as s:
            cal = workcal.load_calendar(s)
        assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
        with database.transaction() as s:
            workcal.set_day(s, date(2027, 1, 4), False, "测试休息")
        with database.transaction(write=False) as s:
            assert workcal.load_calendar(s).add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 5)
    finally:
        with database.transaction() as s:
            s.execute(delete(CalendarDay).where(CalendarDay.day >= date(2027, 1, 1)))
            s.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
