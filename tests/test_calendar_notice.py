"""Reading the State Council's holiday notice (国务院办公厅关于××年部分节假日安排的通知)."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from engine.calendar import WorkCalendar
from engine.calendar_notice import MAX_TEXT, other_year_problems, parse, year_with_notice

from .conftest import DATA

NOTICE_2026 = (DATA / "notice_2026.txt").read_text(encoding="utf-8")

# written for the tests (the real one is not out yet): 星期 instead of 周, full-width digits and
# punctuation, "与周末连休", "放假1天，不调休", a range across months written with a dash
NOTICE_2027 = """国务院办公厅关于２０２７年部分节假日安排的通知
一、元旦：1月1日（星期五）至3日（星期日）放假，与周末连休，共3天。
二、春节：2月5日（农历除夕、星期五）至12日（农历正月初七、星期五）放假调休，共8天。2月14日（星期日）、2月20日（星期六）上班。
三、清明节：４月３日（星期六）至５日（星期一）放假，共３天。
四、劳动节：5月1日（星期六）至5日（星期三）放假调休，共5天。4月25日（星期日）、5月8日（星期六）上班。
五、端午节：6月9日（星期三）放假1天，不调休。
六、中秋节：9月15日（星期三）放假1天，不调休。
七、国庆节：9月30日(星期四)-10月7日(星期四)放假调休,共8天。9月26日(星期日)、10月9日(星期六)上班。
"""

# the real 2023 notice: a range across the years, a combined section, a one-day holiday
NOTICE_2023 = """国务院办公厅关于2023年部分节假日安排的通知
一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。
二、春节：1月21日至27日放假调休，共7天。1月28日（星期六）、1月29日（星期日）上班。
三、清明节：4月5日放假，共1天。
四、劳动节：4月29日至5月3日放假调休，共5天。4月23日（星期日）、5月6日（星期六）上班。
五、端午节：6月22日至24日放假调休，共3天。6月25日（星期日）上班。
六、中秋节、国庆节：9月29日至10月6日放假调休，共8天。10月7日（星期六）、10月8日（星期日）上班。
"""


def _days(year):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def _calendar(notice):
    return WorkCalendar({}).with_year(notice.year, notice.holidays, notice.makeup_workdays)


def test_the_2026_notice_gives_exactly_the_published_calendar():
    notice = parse(NOTICE_2026)
    assert notice.year == 2026 and notice.problems == []
    assert notice.makeup_workdays == [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                                      date(2026, 9, 20), date(2026, 10, 10)]
    assert len(notice.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert notice.holidays[date(2026, 2, 15)] == "春节" and notice.holidays[date(2026, 10, 7)] == "国庆节"
    calendar = _calendar(notice)
    assert [d for d in _days(2026) if calendar.is_workday(d) != chinese_calendar.is_workday(d)] == []
    assert calendar.day_name(date(2026, 10, 10)) == "调休上班"


def test_the_2023_notice_with_a_range_across_the_years_matches_chinesecalendar():
    notice = parse(NOTICE_2023)
    assert notice.problems == []  # before 2025 the 2024 statute is not checked
    assert notice.other_days == {date(2022, 12, 31): (False, "元旦")}
    assert notice.holidays[date(2023, 10, 1)] == "中秋节、国庆节"
    calendar = _calendar(notice)
    assert [d for d in _days(2023) if calendar.is_workday(d) != chinese_calendar.is_workday(d)] == []
    # 2022 is not maintained in an empty calendar: the other-year day is a problem, not dropped
    assert other_year_problems(notice, WorkCalendar({})) == [
        "2022年12月31日（元旦）属于 2022 年，该年的放假安排尚未录入，无法应用；请先录入 2022 年。"]


def test_a_notice_written_with_xingqi_and_full_width_digits():
    notice = parse(NOTICE_2027)
    assert notice.year == 2027 and notice.problems == []
    assert [s[0] for s in notice.sections] == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    assert notice.sections[-1][1][0] == date(2027, 9, 30) and len(notice.sections[-1][1]) == 8
    assert notice.holidays[date(2027, 6, 9)] == "端午节" and date(2027, 6, 10) not in notice.holidays
    calendar = _calendar(notice)
    assert not calendar.is_workday(date(2027, 2, 12)) and calendar.is_workday(date(2027, 2, 14))
    assert sum(calendar.is_workday(d) for d in _days(2027)) == 261 - 19 + 6  # weekdays − holidays on weekdays + 调休
    # the same notice pasted as one line, with the year given instead of the title
    one_line = "".join(NOTICE_2027.splitlines()[1:])
    again = parse(one_line, 2027)
    assert again.problems == [] and again.holidays == notice.holidays and again.makeup_workdays == notice.makeup_workdays


def test_a_date_of_another_year_applies_only_to_a_maintained_year():
    notice = parse("国务院办公厅关于2012年部分节假日安排的通知\n"
                   "一、元旦：2012年1月1日至3日放假调休，共3天。2011年12月31日（星期六）上班。")
    assert notice.problems == [] and notice.other_days == {date(2011, 12, 31): (True, "调休上班")}
    assert sorted(notice.holidays) == [date(2012, 1, 1), date(2012, 1, 2), date(2012, 1, 3)]
    maintained = WorkCalendar({2011: frozenset(d for d in _days(2011) if d.weekday() < 5)})
    assert other_year_problems(notice, maintained) == []
    after = year_with_notice(maintained, notice)
    assert after.is_workday(date(2011, 12, 31)) and after.day_name(date(2011, 12, 31)) == "调休上班"
    assert after.is_workday(date(2011, 12, 30)) and not after.is_workday(date(2011, 12, 25))
    assert not after.is_workday(date(2012, 1, 3))


@pytest.mark.parametrize("text, year, expected", [
    ("", None, "没有找到放假安排"),
    ("请查收附件。", None, "没有找到放假安排"),
    ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。", None, "没有找到通知的年份"),
    (NOTICE_2026, 2027, "指定的年份 2027 与通知标题中的 2026 年不一致"),
    (NOTICE_2026, 1899, "年份 1899 超出范围"),
    (NOTICE_2026.replace("1月1日（周四）", "1月1日（周五）"), None, "元旦：1月1日标注为周五，但 2026年1月1日是星期四"),
    (NOTICE_2026.replace("共9天", "共8天"), None, "春节：2月15日至2月23日共 9 天，通知写的是共8天"),
    (NOTICE_2026.replace("6月19日（周五）", "6月31日（周五）"), None, "端午节：2026年6月31日不是有效日期"),
    (NOTICE_2026.replace("9月25日（周五）至27日", "9月27日（周五）至25日"), None, "放假结束日 9月25日 早于开始日 9月27日"),
    (NOTICE_2026.replace("5月9日（周六）上班", "5月8日（周五）上班"), None, "5月8日是星期五，本来就是工作日"),
    (NOTICE_2026.replace("1月4日（周日）上班", "1月3日（周六）上班"), None, "1月3日既是放假日又是调休上班日"),
    (NOTICE_2026.replace("5月9日（周六）上班", "5月9日（周六）调班"), None, "劳动节：无法识别“5月9日(周六)调班”"),
    ("\n".join(NOTICE_2026.splitlines()[:7]), None, "法定节假日5月1日（劳动节）不在通知的放假日期内"),
    ("国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：放假。", None, "元旦：没有找到放假日期"),
    ("国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：3日至5日放假。", None, "元旦：“3日”缺少月份"),
    ("关于2026年部分节假日安排的通知 关于2027年部分节假日安排的通知\n一、元旦：1月1日放假。", None, "标题中出现了多个年份"),
    ("一、" + "元旦：1月1日放假。" * (MAX_TEXT // 5), None, "通知正文过长"),
])
def test_malformed_notices_are_problems_in_chinese(text, year, expected):
    problems = parse(text, year).problems
    assert any(expected in p for p in problems), problems


def test_half_width_text_is_read_like_full_width():
    half = NOTICE_2026.replace("（", "(").replace("）", ")").replace("：", ":").replace("，", ",")
    assert parse(half).holidays == parse(NOTICE_2026).holidays
