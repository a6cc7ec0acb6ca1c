"""The scheduler: one failing watch, timer or hook is an incident (recorded, retried, resolved) and
never stops the others; ``sunhall scheduler --once --at``; and real scheduler processes that tick,
stand by and take over (PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from engine import clock, listeners, scheduler
from engine.models import Case, SchedulerIncident, SchedulerLease
from engine.service import start_case
from rules import ticks
from rules.models import Alert, Watch

from .conftest import As
from .helpers import do, info_request, task_id

FOOD = "015309300002"


@pytest.fixture(autouse=True)
def _clean_incidents(database):
    yield
    with database.transaction() as s:
        s.execute(delete(SchedulerIncident))


def at(day: str, hour: int = 9):
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def food_case(run, database, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    return case


def alert_codes(database, case_id) -> list[str]:
    with database.transaction(write=False) as s:
        return sorted(s.scalars(select(Alert.rule_code).where(Alert.case_id == case_id)))


def open_incidents(database) -> dict[str, SchedulerIncident]:
    with database.transaction(write=False) as s:
        return {i.key: i for i in s.scalars(select(SchedulerIncident).where(SchedulerIncident.resolved_at.is_(None)))}


def all_incidents(database) -> dict[str, SchedulerIncident]:
    with database.transaction(write=False) as s:
        return {i.key: i for i in s.scalars(select(SchedulerIncident))}


# --- one failure is an incident, never a failed tick --------------------------------------------

def test_a_failing_watch_is_an_incident_retried_and_resolved_while_the_others_fire(
        run, database, frozen_clock, company, monkeypatch):
    bad, good = food_case(run, database, company), food_case(run, database, company)
    message = ticks._message

    def broken(session, rule, case, task, now, later):
        if case.id == bad.id:
            raise ValueError("模板缺少字段")
        return message(session, rule, case, task, now, later)

    monkeypatch.setattr(ticks, "_message", broken)
    at("2026-10-09")  # A030 (reminder) and A001 (warning) fall due on the 材料审查 step of both cases
    report = scheduler.run_tick(database)
    assert alert_codes(database, good.id) == ["A001", "A030"]
    assert alert_codes(database, bad.id) == []
    review = task_id(database, bad.id, "review")
    keys = {f"watch:A030:case:{bad.id}:task:{review}", f"watch:A001:case:{bad.id}:task:{review}"}
    assert set(report.incidents) == keys and report.alerts == 2
    found = open_incidents(database)
    assert set(found) == keys
    incident = found[f"watch:A030:case:{bad.id}:task:{review}"]
    assert (incident.kind, incident.case_id, incident.count) == ("watch", bad.id, 1)
    assert "模板缺少字段" in incident.error
    assert incident.what == "监察规则 A030（环节到期前提醒）的到期检查：环节“材料审查”"
    assert incident.first_seen == incident.last_seen == clock.now()
    with database.transaction(write=False) as s:  # the failing watches stay, to be retried
        assert len(s.scalars(select(Watch).where(Watch.case_id == bad.id, Watch.fire_at <= clock.now())).all()) == 2

    clock.travel(clock.now() + timedelta(hours=1))
    assert scheduler.run_tick(database).alerts == 0  # retried, failed again: counted
    incident = open_incidents(database)[f"watch:A030:case:{bad.id}:task:{review}"]
    assert incident.count == 2 and incident.last_seen == clock.now() > incident.first_seen

    monkeypatch.setattr(ticks, "_message", message)  # fixed
    clock.travel(clock.now() + timedelta(hours=1))
    report = scheduler.run_tick(database)
    assert report.alerts == 2 and not report.incidents
    assert alert_codes(database, bad.id) == ["A001", "A030"]
    assert open_incidents(database) == {}
    assert all(i.resolved_at == clock.now() for i in all_incidents(database).values())
    assert alert_codes(database, good.id) == ["A001", "A030"]  # nothing fired twice


def test_a_failing_batch_never_loops_and_other_batches_still_fire(run, database, frozen_clock, company, monkeypatch):
    cases = [food_case(run, database, company) for _ in range(3)]
    monkeypatch.setattr(ticks, "BATCH", 2)  # several batches, one of them failing
    message = ticks._message

    def broken(session, rule, case, task, now, later):
        if case.id == cases[0].id:
            raise RuntimeError("boom")
        return message(session, rule, case, task, now, later)

    monkeypatch.setattr(ticks, "_message", broken)
    at("2026-10-09")
    assert ticks.fire_due(database) == 4
    assert [len(alert_codes(database, c.id)) for c in cases] == [0, 2, 2]
    assert len(open_incidents(database)) == 2


def test_a_watch_the_case_no_longer_needs_resolves_its_incident(run, database, frozen_clock, company, monkeypatch):
    case = food_case(run, database, company)
    monkeypatch.setattr(ticks, "_message", lambda *a: 1 / 0)
    at("2026-10-09")
    scheduler.tick(database)
    assert len(open_incidents(database)) == 2
    do(run, database, case.id, As("sc003"), "review")  # the step is done: its watches are gone
    clock.travel(clock.now() + timedelta(hours=1))
    scheduler.tick(database)
    assert open_incidents(database) == {}


def test_an_alert_from_a_provisional_deadline_is_marked(run, database, frozen_clock, company):
    case = food_case(run, database, company)
    with database.transaction() as s:
        s.execute(update(Watch).where(Watch.case_id == case.id, Watch.rule_code == "A030").values(provisional=True))
    at("2026-10-09")
    scheduler.tick(database)
    with database.transaction(write=False) as s:
        got = {a.rule_code: a for a in s.scalars(select(Alert).where(Alert.case_id == case.id))}
    assert got["A030"].tags == [ticks.PROVISIONAL_TAG] and got["A030"].message.endswith("（期限为预计日期）")
    assert got["A001"].tags == [] and "预计" not in got["A001"].message


def test_a_failing_timer_case_is_an_incident_and_the_other_cases_fire(run, database, frozen_clock, company,
                                                                       monkeypatch):
    bad, good = food_case(run, database, company), food_case(run, database, company)
    fire = scheduler.fire_due_timers

    def broken(session, case_id):
        if case_id == bad.id:
            raise KeyError("workflow state")
        return fire(session, case_id)

    monkeypatch.setattr(scheduler, "fire_due_timers", broken)
    clock.travel(clock.now() + timedelta(days=3, minutes=1))  # the P3D reminder of 材料审查 on both
    report = scheduler.run_tick(database)
    assert report.timers == 1 and report.incidents == [f"timer:case:{bad.id}"]
    incident = open_incidents(database)[f"timer:case:{bad.id}"]
    assert (incident.kind, incident.case_id, incident.count, incident.what) == ("timer", bad.id, 1, "流程定时器")
    assert "KeyError" in incident.error
    with database.transaction(write=False) as s:
        assert s.get(Case, good.id).next_timer_at is None
        assert s.get(Case, bad.id).next_timer_at is not None  # still due: retried next tick

    assert scheduler.run_tick(database).timers == 0
    assert open_incidents(database)[f"timer:case:{bad.id}"].count == 2
    monkeypatch.setattr(scheduler, "fire_due_timers", fire)
    assert scheduler.run_tick(database).timers == 1
    assert open_incidents(database) == {}


@pytest.mark.skipif(scheduler.lapses is None, reason="engine.service.lapses is not there yet")
def test_a_failing_lapse_is_an_incident_and_the_other_cases_lapse(run, database, frozen_clock, person, monkeypatch):
    from engine.service import request_correction

    bad, good = (info_request(run, person) for _ in range(2))
    for case in (bad, good):
        run(request_correction, case.id, As("zf002"), ["申请人身份证明"])
    lapse = scheduler.lapses.lapse_correction

    def broken(session, case_id, now=None):
        if case_id == bad.id:
            raise RuntimeError("notice template missing")
        return lapse(session, case_id, now)

    monkeypatch.setattr(scheduler.lapses, "lapse_correction", broken)
    at("2026-12-31")  # long after any answer period
    report = scheduler.run_tick(database)
    assert report.lapses == 1 and report.incidents == [f"lapse:case:{bad.id}"]
    with database.transaction(write=False) as s:
        assert (s.get(Case, good.id).state, s.get(Case, bad.id).state) == ("withdrawn", "received")
    assert open_incidents(database)[f"lapse:case:{bad.id}"].what == "补正期满处理"
    monkeypatch.setattr(scheduler.lapses, "lapse_correction", lapse)
    assert scheduler.run_tick(database).lapses == 1
    assert open_incidents(database) == {}


def test_a_failing_tick_hook_is_an_incident_and_the_other_hooks_run(run, database, frozen_clock, company,
                                                                    monkeypatch):
    case = food_case(run, database, company)
    ran = []

    def broken_hook(db):
        raise RuntimeError("hook down")

    def other_hook(db):
        ran.append(True)
        return 0

    monkeypatch.setattr(listeners, "_tick_hooks", [broken_hook, *listeners.tick_hooks(), other_hook])
    at("2026-10-09")
    report = scheduler.run_tick(database)
    assert ran == [True] and alert_codes(database, case.id) == ["A001", "A030"]
    (key,) = report.incidents
    assert key.startswith("hook:") and key.endswith("broken_hook")
    assert open_incidents(database)[key].kind == "hook"


# --- shown to supervisors and administrators ------------------------------------------------------

def test_open_incidents_are_listed_for_supervisors_and_administrators(run, database, frozen_clock, company, app,
                                                                      monkeypatch):
    from .webhelpers import login

    case = food_case(run, database, company)
    monkeypatch.setattr(ticks, "_message", lambda *a: 1 / 0)
    at("2026-10-09")
    scheduler.tick(database)
    scheduler.tick(database)
    with database.transaction(write=False) as s:
        number = s.get(Case, case.id).number
    for staff_no in ("jw001", "admin"):
        client = app.test_client()
        login(client, staff_no)
        page = client.get("/supervision/incidents").get_data(as_text=True)
        assert "定时任务故障" in page and "监察规则 A030（环节到期前提醒）的到期检查" in page and number in page
        assert "ZeroDivisionError" in page and "2026-10-09 09:00" in page
        assert page.count("<td>2</td>") == 2  # both watches failed on two ticks
        dashboard = client.get("/supervision").get_data(as_text=True)
        assert 'id="incident-count"' in dashboard and "<b>2</b><span>定时任务故障</span>" in dashboard
    client = app.test_client()
    login(client, "sc001")  # a clerk
    assert client.get("/supervision/incidents").status_code == 403


# --- sunhall scheduler --once --at ----------------------------------------------------------------

def _cli(args, db_url):
    from webapp.cli import main

    return CliRunner().invoke(main, ["scheduler", *args], env={"SUNHALL_DATABASE_URL": db_url})


def test_once_at_runs_one_tick_as_of_the_given_time(run, database, db_url, company, monkeypatch):
    with clock.frozen(datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)):
        case = food_case(run, database, company)
    result = _cli(["--once", "--at", "2026-10-09T09:00"], db_url)
    assert result.exit_code == 0, result.output
    assert "按 2026-10-09 09:00（北京时间）执行一次检查" in result.output
    assert "触发流程定时器 1 个，生成监察预警 2 条，补正期满处理 0 件" in result.output
    assert "没有处理失败的项目" in result.output
    assert alert_codes(database, case.id) == ["A001", "A030"]
    with database.transaction(write=False) as s:
        assert s.get(SchedulerLease, scheduler.LEASE) is None  # released
        created = s.scalars(select(Alert.created_at).where(Alert.case_id == case.id)).first()
    assert created == datetime(2026, 10, 9, 9, 0, tzinfo=clock.LOCAL_TZ)


def test_once_reports_incidents_and_still_exits_zero(run, database, db_url, company, monkeypatch):
    with clock.frozen(datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)):
        food_case(run, database, company)
    monkeypatch.setattr(ticks, "_message", lambda *a: 1 / 0)
    result = _cli(["--once", "--at", "2026-10-09T09:00"], db_url)
    assert result.exit_code == 0, result.output
    assert "有 2 项处理失败，已记为定时任务故障" in result.output


@pytest.mark.parametrize("args, message", [
    (["--once", "--at", "2026-13-45"], "无法识别的时间"),
    (["--at", "2026-12-24T09:00"], "--at 只能与 --once 一起使用"),
    (["--interval", "10", "--lease", "5"], "--lease 至少为检查间隔的 2 倍"),
])
def test_scheduler_options_are_checked(database, db_url, args, message):
    result = _cli(args, db_url)
    assert result.exit_code == 2 and message in result.output


def test_once_refuses_while_another_scheduler_holds_the_lease(database, db_url):
    assert scheduler.acquire_lease(database, "elsewhere:1")
    result = _cli(["--once"], db_url)
    assert result.exit_code == 1 and "另一个调度器正在运行" in result.output


# --- the scheduler really runs --------------------------------------------------------------------

def _wait(condition, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def _due_watch(database, case_id: int, seconds: float) -> None:
    """A real reminder watch on the case's open step, due a moment from now (real time)."""
    with database.transaction() as s:
        s.execute(delete(Watch).where(Watch.case_id == case_id))
        s.add(Watch(case_id=case_id, task_id=task_id(database, case_id, "review"), rule_code="A030",
                    fire_at=scheduler.wall_now() + timedelta(seconds=seconds)))


def _alerts(database, case_id) -> int:
    with database.transaction(write=False) as s:
        return len(s.scalars(select(Alert.id).where(Alert.case_id == case_id, Alert.rule_code == "A030")).all())


def _holder(database) -> str | None:
    with database.transaction(write=False) as s:
        lease = s.get(SchedulerLease, scheduler.LEASE)
        return lease.holder if lease else None


def test_run_forever_ticks_every_interval_and_releases_the_lease(run, database, company):
    case = food_case(run, database, company)  # real time: its own watches are days away
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_forever, args=(database, 0.3, 1.0, stop), daemon=True)
    thread.start()
    try:
        assert _wait(lambda: _holder(database) == scheduler.holder_id(), 5)
        _due_watch(database, case.id, 0.5)  # due after start-up: only a later tick can fire it
        assert _wait(lambda: _alerts(database, case.id), 5) == 1
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert _holder(database) is None


def _sunhall() -> list[str]:
    script = Path(sys.executable).parent / "sunhall"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from webapp.cli import main; main()"]


@pytest.mark.skipif(not (os.environ.get("SUNHALL_TEST_DATABASE_URL") or "").startswith("postgresql"),
                    reason="real scheduler processes run against PostgreSQL")
def test_two_scheduler_processes_one_ticks_the_standby_takes_over(run, database, db_url, company, tmp_path):
    first, second = food_case(run, database, company), food_case(run, database, company)
    env = dict(os.environ, SUNHALL_DATABASE_URL=db_url)
    command = [*_sunhall(), "scheduler", "--interval", "1", "--lease", "3"]
    logs = [open(tmp_path / f"scheduler-{n}.log", "w+") for n in (1, 2)]
    procs = [subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs]
    by_pid = {p.pid: p for p in procs}
    try:
        holder = _wait(lambda: _holder(database), 15)
        assert holder and int(holder.rsplit(":", 1)[1]) in by_pid
        time.sleep(1.5)  # both have run their first tick by now
        assert all(p.poll() is None for p in procs), [log.seek(0) or log.read() for log in logs]

        _due_watch(database, first.id, 1.5)
        assert _wait(lambda: _alerts(database, first.id), 8) == 1
        active = by_pid[int(_holder(database).rsplit(":", 1)[1])]
        standby = next(p for p in procs if p is not active)
        active.send_signal(signal.SIGKILL)
        active.wait(5)
        killed = time.monotonic()

        _due_watch(database, second.id, 0.5)
        assert _wait(lambda: _alerts(database, second.id), 2 * 3 + 2) == 1
        assert time.monotonic() - killed <= 2 * 3 + 1  # within two lease periods
        assert _holder(database).endswith(f":{standby.pid}")
        time.sleep(1.5)  # a few more ticks: nothing fires twice
        assert (_alerts(database, first.id), _alerts(database, second.id)) == (1, 1)

        standby.send_signal(signal.SIGTERM)  # a clean stop releases the lease
        assert standby.wait(10) == 0
        assert _holder(database) is None
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        for log in logs:
            log.close()
