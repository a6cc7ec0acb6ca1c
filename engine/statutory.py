"""Statutory holidays (法定节假日) of any year, for a year whose State Council arrangement is not
yet entered: 《全国年节及纪念日放假办法》 as amended in 2024, art. 2 (元旦 1 day, 春节 4 days from 除夕,
清明节 1, 劳动节 2, 端午节 1, 中秋节 1, 国庆节 3) and art. 5 (a holiday on a Saturday or Sunday is made
up on the next working day, 补假). Lunar dates and the 清明 solar term are computed, not typed.

The State Council's yearly notice usually moves days around (调休); that cannot be foreseen, so
dates computed from this are only ever *provisional* (预计).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar

from .errors import InvalidInput

FIRST_YEAR, LAST_YEAR = 1901, 2099  # what the lunar tables cover safely
BASIS = "《全国年节及纪念日放假办法》第二条、第五条"


def _lunar(year: int, month: int, day: int) -> date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@lru_cache(maxsize=256)
def rest_days(year: int) -> dict[date, str]:
    """The year's statutory rest days besides weekends: holiday -> name, 补假 days included."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"{year} 年超出可推算的年份范围（{FIRST_YEAR}–{LAST_YEAR}）。")
    spring = _lunar(year, 1, 1)
    qingming = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    holidays: dict[date, str] = {date(year, 1, 1): "元旦"}
    for offset in range(-1, 3):  # 除夕 and 初一 to 初三
        holidays[spring + timedelta(days=offset)] = "春节"
    holidays[date(qingming.getYear(), qingming.getMonth(), qingming.getDay())] = "清明节"
    holidays[date(year, 5, 1)] = holidays[date(year, 5, 2)] = "劳动节"
    holidays[_lunar(year, 5, 5)] = "端午节"
    holidays.setdefault(_lunar(year, 8, 15), "中秋节")
    for day in (1, 2, 3):
        holidays[date(year, 10, day)] = "国庆节"
    rest = dict(holidays)
    for day in sorted(holidays):  # art. 5: 适逢星期六、星期日，应当在工作日补假
        if day.weekday() >= 5:
            make_up = day + timedelta(days=1)
            while make_up.weekday() >= 5 or make_up in rest:
                make_up += timedelta(days=1)
            rest[make_up] = f"{holidays[day]}补假"
    return rest


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in rest_days(day.year)
