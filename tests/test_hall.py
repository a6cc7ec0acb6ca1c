"""办事大厅 (seed 004 §3.1): today's and this month's 收件 and 办结 by department and item, the on-time
rate and the average handling time as the supervision report defines them, citizens' flows only,
at most a minute old."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.calendar import load_calendar
from engine.models import Case, Item, ProcessDefinition
from engine.service import handle_on_the_spot, start_case
from rules import hall, rollups
from rules.hall import hall_figures
from rules.reports import performance_by_department

from .conftest import As

FOOD, SHOP, HYGIENE, INFO, SUPERVISE = "015309300002", "075309300001", "015309300003", "205309300006", "105309300099"
SCJG, WSJK = "阳光县市场监督管理局", "阳光县卫生健康局"
_numbers = itertools.count(1)


def local(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=clock.LOCAL_TZ)


def add_case(database, item_code: str, *, received: datetime, accepted: datetime | None = None,
             finished: datetime | None = None, deadline: date | None = None, paused_days: int = 0,
             state: str | None = None, applicant: tuple[str, str] = ("阳光县好味道餐饮有限公司", "2"),
             cert_number: str = "91530930MA6N8X0Q31", phone: str = "13912345678", result: str = "准予许可",
             subject: str | None = None) -> Case:
    """A case row as the case service leaves it (for times and states a test must control exactly)."""
    name, applicant_type = applicant
    with database.transaction() as s:
        item = s.scalars(select(Item).where(Item.code == item_code)).one()
        version = item.current_version
        definition = s.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == version.process_key)
                               .order_by(ProcessDefinition.version.desc())).first()
        case = Case(number=f"530930{received:%Y%m%d}{next(_numbers):05d}", item_id=item.id, item_version_id=version.id,
                    definition_id=definition.id, department_id=item.department_id, case_type=version.case_type,
                    subject=subject or f"{name}申请{version.name}", applicant_type=applicant_type, applicant_name=name,
                    cert_type="111" if applicant_type == "1" else "001", cert_number=cert_number, contact_phone=phone,
                    contact_name="李四" if applicant_type != "1" else None, address="阳光县城关镇幸福路8号",
                    channel="window", state=state or ("finished" if finished else "accepted" if accepted else "received"),
                    received_at=received, accepted_at=accepted, finished_at=finished, deadline=deadline,
                    paused_days=paused_days, result=result if finished else None, workflow_state="",
                    serializer_version="test")
        s.add(case)
        s.flush()
        return case


@pytest.fixture(autouse=True)
def _fresh_cache():
    hall.cache.clear()
    yield
    hall.cache.clear()


def _figures(database, day: date | None = None):
    with database.transaction(write=False) as s:
        return hall.compute_figures(s, day or clock.today())


def _workdays(database, start: str, end: str) -> int:
    with database.transaction(write=False) as s:
        return load_calendar(s).workdays_between(date.fromisoformat(start), date.fromisoformat(end))


def test_received_and_finished_today_and_this_month_by_department_and_item(database, run, frozen_clock, person):
    # today is Monday 2026-09-28 (frozen); 本月 is September up to today
    add_case(database, FOOD, received=local("2026-09-01"), accepted=local("2026-09-02"),
             finished=local("2026-09-28", 8, 30), deadline=date(2026, 9, 23))
    add_case(database, FOOD, received=local("2026-09-10"), accepted=local("2026-09-10", 11),
             finished=local("2026-09-15"), deadline=date(2026, 9, 30), paused_days=1)
    # finished at 00:30 local on the day after its deadline: late, though it is still the deadline in UTC
    add_case(database, HYGIENE, received=local("2026-09-14"), accepted=local("2026-09-14"),
             finished=local("2026-09-24", 0, 30), deadline=date(2026, 9, 23))
    # received ten minutes into today (still yesterday in UTC), and just before midnight yesterday
    add_case(database, HYGIENE, received=local("2026-09-28", 0, 10), state="withdrawn")
    add_case(database, FOOD, received=local("2026-09-27", 23, 50), state="rejected")
    # last month, and received last month but finished this month
    add_case(database, FOOD, received=local("2026-08-31"), accepted=local("2026-08-31"), finished=local("2026-08-31", 16),
             deadline=date(2026, 9, 18))
    add_case(database, FOOD, received=local("2026-08-28"), accepted=local("2026-08-31"), finished=local("2026-09-01"),
             deadline=date(2026, 9, 18))
    # 即办件 through the real service, now: received and finished today, no deadline to miss
    run(handle_on_the_spot, SHOP, person, As("sc001"), data={"business_name": "张三小吃店"})

    f = _figures(database)
    assert (f.day, f.month_start) == (date(2026, 9, 28), date(2026, 9, 1))
    assert (f.today.received, f.today.finished) == (2, 2)  # the 00:10 withdrawal and the 即办件; the late licence and the 即办件
    assert (f.month.received, f.month.finished) == (6, 5)
    assert f.month.on_time == 3 and f.month.on_time_rate == 0.6  # late: the 28th's and the 00:30 one
    assert f.today.on_time_rate == 0.5

    departments = {r.name: r for r in f.departments}
    scjg, wsjk = departments[SCJG], departments[WSJK]
    assert (scjg.today.received, scjg.today.finished, scjg.month.received, scjg.month.finished) == (1, 2, 4, 4)
    assert (wsjk.today.received, wsjk.today.finished, wsjk.month.received, wsjk.month.finished) == (1, 0, 2, 1)
    assert wsjk.month.on_time_rate == 0.0
    assert set(departments) == {SCJG, WSJK, "阳光县住房和城乡建设局", "阳光县人民政府办公室"}  # those with public items
    assert departments["阳光县人民政府办公室"].month.received == 0
    assert departments["阳光县人民政府办公室"].month.on_time_rate is None

    items = {r.code: r for r in f.items}
    assert set(items) == {FOOD, HYGIENE, SHOP}
    food = items[FOOD]
    assert (food.name, food.department) == ("食品经营许可", SCJG)
    assert (food.today.finished, food.month.received, food.month.finished, food.month.on_time) == (1, 3, 3, 2)
    # working days from acceptance to the finishing day, less the paused days (rules/reports.py)
    expected = (_workdays(database, "2026-09-02", "2026-09-28") + _workdays(database, "2026-09-10", "2026-09-15") - 1
                + _workdays(database, "2026-08-31", "2026-09-01"))
    assert food.month.workdays == expected == 18 + 2 + 1
    assert food.month.average_days == round(expected / 3, 1)
    assert items[HYGIENE].month.average_days == _workdays(database, "2026-09-14", "2026-09-24")
    assert items[SHOP].month.average_days == 0 and items[SHOP].month.on_time_rate == 1.0
    assert items[HYGIENE].today.received == 1 and items[FOOD].today.received == 0


def test_the_same_on_time_rate_and_days_as_the_supervision_report(database, run, frozen_clock):
    """Cases received and finished in one month: the hall and the performance report agree."""
    for day, done, deadline, paused in (("2026-09-01", "2026-09-18", "2026-09-22", 0),
                                        ("2026-09-03", "2026-09-24", "2026-09-22", 2),
                                        ("2026-09-07", "2026-09-08", None, 0),
                                        ("2026-09-14", "2026-09-28", "2026-09-30", 0)):
        add_case(database, FOOD, received=local(day, 9), accepted=local(day, 11), finished=local(done, 15),
                 deadline=date.fromisoformat(deadline) if deadline else None, paused_days=paused)
    add_case(database, HYGIENE, received=local("2026-09-02"), accepted=local("2026-09-02"),
             finished=local("2026-09-21"), deadline=date(2026, 9, 23))
    with database.transaction() as s:  # the cases were written straight to the tables, as a bulk load is
        rollups.rebuild(s)
    f = _figures(database)
    with database.transaction(write=False) as s:
        report = {r.label: r for r in performance_by_department(s, date(2026, 9, 1), date(2026, 10, 1))}
    for row in f.departments:
        if row.name in report:
            assert (row.month.finished, row.month.on_time_rate, row.month.average_days) == (
                report[row.name].finished, report[row.name].on_time_rate, report[row.name].average_days), row.name
    assert {r.name for r in f.departments if r.month.finished} == set(report) == {SCJG, WSJK}


def test_internal_flows_are_never_counted_or_listed(database, run, frozen_clock, company, client):
    """A 督办 order is the platform's own work, not an application: not in the hall, not on its page."""
    run(start_case, SUPERVISE, company, As("jw001"))
    add_case(database, SUPERVISE, received=local("2026-09-28", 8), accepted=local("2026-09-28", 8),
             finished=local("2026-09-28", 8, 30), deadline=date(2026, 9, 20))
    with database.transaction(write=False) as s:
        assert s.scalars(select(Case)).all() != []
    f = _figures(database)
    assert (f.today.received, f.today.finished, f.month.received, f.month.finished) == (0, 0, 0, 0)
    assert f.items == [] and "阳光县纪委监委" not in {r.name for r in f.departments}
    response = client.get("/hall")
    html = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200
    assert "电子监察督办" not in html and "纪委监委" not in html


def test_figures_are_cached_for_at_most_a_minute(database, frozen_clock):
    with database.transaction(write=False) as s:
        assert hall_figures(s).today.received == 0
    add_case(database, FOOD, received=local("2026-09-28", 8))
    clock.travel(local("2026-09-28", 9, 0) + timedelta(seconds=59))
    with database.transaction(write=False) as s:
        cached = hall_figures(s)
    assert cached.today.received == 0  # the same figures, computed at 09:00:00
    assert cached.computed_at == local("2026-09-28", 9, 0)
    clock.travel(local("2026-09-28", 9, 1))
    with database.transaction(write=False) as s:
        fresh = hall_figures(s)
    assert fresh.today.received == 1 and fresh.computed_at == local("2026-09-28", 9, 1)
    # a clock set back never serves figures from its future
    add_case(database, FOOD, received=local("2026-09-28", 8, 30))
    clock.travel(local("2026-09-28", 8, 59))
    with database.transaction(write=False) as s:
        assert hall_figures(s).today.received == 2


def test_the_cache_is_keyed_by_day_and_bounded(database, frozen_clock):
    add_case(database, FOOD, received=local("2026-09-28", 8))
    with database.transaction(write=False) as s:
        assert hall_figures(s).today.received == 1
        clock.travel(local("2026-09-29", 0, 0) + timedelta(seconds=10))  # a new day within the minute
        after_midnight = hall_figures(s)
        assert after_midnight.day == date(2026, 9, 29) and after_midnight.today.received == 0
        assert after_midnight.month.received == 1
        assert hall_figures(s, date(2026, 9, 28)).today.received == 1
        for n in range(1, 30):
            hall_figures(s, date(2026, 8, 1) + timedelta(days=n))
    assert len(hall.cache) <= hall.CACHE_SIZE


def test_ttl_cache_expires_by_the_injected_clock():
    now = [datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)]
    cache = hall.TTLCache(60, 2, now=lambda: now[0])
    cache.put("a", 1)
    now[0] += timedelta(seconds=59.9)
    assert cache.get("a") == 1
    now[0] += timedelta(seconds=0.1)
    assert cache.get("a") is None and len(cache) == 0
    for key in "bcd":
        cache.put(key, key)
        now[0] += timedelta(seconds=1)
    assert len(cache) == 2 and cache.get("b") is None and cache.get("d") == "d"


def test_hall_page_for_anyone(client, database, run, frozen_clock, person):
    run(handle_on_the_spot, SHOP, person, As("sc001"), data={"business_name": "张三小吃店"})
    add_case(database, FOOD, received=local("2026-09-01"), accepted=local("2026-09-02"),
             finished=local("2026-09-28", 8, 30), deadline=date(2026, 9, 23))
    response = client.get("/hall")
    html = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200 and "<title>办事大厅 · 阳光县政务服务专栏</title>" in html
    assert "数据每分钟更新，统计时间：" in html and "2026-09-28 09:00" in html
    tiles = dict((label, n) for n, label in re.findall(r'<span class="n">([^<]*)</span>([^<]+)</div>', html))
    assert tiles == {"今日收件": "1", "今日办结": "2", "本月收件": "2", "本月办结": "2", "本月按时办结率": "50.0%"}
    assert html.count("<caption") == 2 and 'scope="col"' in html and 'scope="row"' in html
    assert 'data-label="本月按时办结率"' in html and "食品经营许可" in html and "个体工商户设立登记" in html
    for private in ("张三", "11010519491231002X", "13800000000"):
        assert private not in html


@pytest.mark.parametrize("path", ["/hall?page=abc", "/hall?day=2026-13-01", "/hall?%00=1"])
def test_hall_ignores_whatever_it_is_given(client, path):
    response = client.get(path)
    response.close()
    assert response.status_code == 200
