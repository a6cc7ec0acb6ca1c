"""Working days: seeded from chinesecalendar, editable, and never guessed."""

from __future__ import annotations

from datetime import date, timedelta

from click.testing import CliRunner
from sqlalchemy import delete

from engine import calendar as workcal
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


def test_a_year_without_data_is_provisional_from_the_statutory_holidays(database):
    """全国年节及纪念日放假办法 (2024) art. 2 and 5: a year not yet entered follows the statutory
    holidays and weekends, and every date reached through it says it is 预计."""
    with database.transaction(write=False) as s:
        cal = workcal.load_calendar(s)
    # from Sunday 2026-12-20: 12/21–25 and 12/28–31 (9), 2027-01-01 元旦 rests, 1/4–8 (14), 1/11–15 (19), 1/18
    assert cal.add_workdays(date(2026, 12, 20), 20) == date(2027, 1, 18)
    assert cal.provisional_reason(date(2026, 12, 20), date(2027, 1, 18)) == "2027 年放假安排尚未录入，按法定节假日和周末预计"
    assert cal.provisional_reason(date(2026, 9, 28), date(2026, 10, 30)) is None
    # 春节 2027: 除夕 2/5 to 初三 2/8 rest; 2/6 and 2/7 fall on a weekend and are made up on 2/9 and 2/10 (art. 5)
    assert [d.day for d in (date(2027, 2, 4) + timedelta(days=i) for i in range(8)) if not cal.is_workday(d)] == \
        [5, 6, 7, 8, 9, 10]
    assert cal.day_name(date(2027, 2, 9)) == "春节补假"
    assert not cal.is_workday(date(2027, 9, 15))  # 中秋 2027 (农历八月十五), computed, not typed


def test_calendar_day_periods_ending_on_a_rest_day_roll_over(database):
    """民法典 art. 203: a period whose last day is a rest day ends on the next working day."""
    with database.transaction(write=False) as s:
        cal = workcal.load_calendar(s)
    assert cal.add_period(date(2026, 9, 28), 5, "day") == date(2026, 10, 8)  # 10/3 国庆 → 10/8
    assert cal.add_period(date(2026, 11, 23), 5, "day") == date(2026, 11, 30)  # Saturday 11/28 → Monday
    assert cal.add_period(date(2026, 11, 23), 4, "day") == date(2026, 11, 27)  # a Friday stays
    assert cal.add_period(date(2026, 10, 3), 7, "day") == date(2026, 10, 10)  # a make-up working Saturday stays


def test_cli_add_workdays(database, monkeypatch):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    out = CliRunner().invoke(main, ["calendar", "add-workdays", "2026-09-28", "20"])
    assert out.exit_code == 0 and out.output.strip() == "2026-10-30"
    out = CliRunner().invoke(main, ["calendar", "add-workdays", "2026-12-20", "20"])
    assert out.exit_code == 0
    assert out.output.strip() == "2027-01-18（预计：2027 年放假安排尚未录入，按法定节假日和周末预计）"
    out = CliRunner().invoke(main, ["calendar", "add-workdays", "2026-12-20", "99999999"])
    assert out.exit_code != 0 and "不能超过" in out.output


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
        workcal.invalidate_cache()
