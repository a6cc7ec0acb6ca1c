"""The supervision console over HTTP: dashboard and performance on demo history, the Excel
export with the same figures, complaints, rule changes with history, access for supervisors only."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine import clock
from engine.models import Department
from rules import reports
from rules.models import Alert, Complaint, Rule, RuleVersion
from rules.reports import parse_period, performance_by_department
from webapp import create_app
from webapp.demo.history import load_history

from .webhelpers import _csrf, login


@pytest.fixture
def client(database, settings):
    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True})
    yield app.test_client()
    app.extensions["sunhall_db"].dispose()


@pytest.fixture
def history(database):
    return load_history(database, count=40, seed=7)


def test_dashboard_and_performance_show_the_history(client, database, history):
    assert history > 20
    login(client, "jw001")
    page = client.get("/supervision").get_data(as_text=True)
    assert "电子监察总览" in page and "各单位红黄绿灯" in page and "阳光县市场监督管理局" in page
    assert 'data-chart="bar"' in page and "build/charts.js" in page
    year = clock.today().year
    html = client.get(f"/supervision/performance?period={year}").get_data(as_text=True)
    page_rows = {label: re.findall(r"<td>\s*([^<]*?)\s*</td>", cells)
                 for label, cells in re.findall(r"<tr><td>(阳光县[^<]+)</td>(.*?)</tr>", html, re.S)}
    assert page_rows, html[:500]
    response = client.get(f"/supervision/performance.xlsx?period={year}&by=department")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["单位/环节", "办件量", "办结量"]
    excel = {r[0].value: [c.value for c in r[1:]] for r in sheet.iter_rows(min_row=3)}
    with database.transaction(write=False) as s:
        expected = performance_by_department(s, *parse_period(str(year))[:2])
    for row in expected:
        assert excel[row.label][0] == row.cases and excel[row.label][1] == row.finished
        assert excel[row.label][2] == row.on_time_rate
        assert page_rows[row.label][:2] == [str(row.cases), str(row.finished)]


def test_rule_threshold_changed_over_the_web_is_kept_in_history(client, database):
    login(client, "jw001")
    with database.transaction(write=False) as s:
        rule = s.scalars(select(Rule).where(Rule.code == "A001")).one()
    page = client.get(f"/supervision/rules/{rule.id}").get_data(as_text=True)
    response = client.post(f"/supervision/rules/{rule.id}", data={
        "csrf_token": _csrf(page), "param.share": "1.5", "level": "warning", "scope_kind": "all", "enabled": "on",
        "note": "调整"})
    assert response.status_code == 422 and "比例必须在 0 和 1 之间" in response.get_data(as_text=True)
    response = client.post(f"/supervision/rules/{rule.id}", data={
        "csrf_token": _csrf(page), "param.share": "0.6", "level": "warning", "scope_kind": "all", "enabled": "on",
        "note": "提前到 3/5 预警"}, follow_redirects=True)
    assert "已修改为第" in response.get_data(as_text=True)
    with database.transaction(write=False) as s:
        assert s.get(Rule, rule.id).params["share"] == 0.6
        last = s.scalars(select(RuleVersion).where(RuleVersion.rule_id == rule.id).order_by(RuleVersion.version.desc())).first()
        assert last.note == "提前到 3/5 预警" and last.snapshot["params"]["share"] == 0.6
    client.post(f"/supervision/rules/{rule.id}", data={"csrf_token": _csrf(page), "param.share": "0.8", "level": "warning",
                                                       "scope_kind": "all", "enabled": "on", "note": "恢复"})


def test_complaint_from_registration_to_answer(client, database, frozen_clock):
    login(client, "jw001")
    page = client.get("/supervision/complaints").get_data(as_text=True)
    bad = client.post("/supervision/complaints", data={"csrf_token": _csrf(page), "channel": "phone", "complainant": "王五",
                                                       "contact": "13700000000", "content": ""})
    assert bad.status_code == 422 and "投诉内容不能为空" in bad.get_data(as_text=True)
    with database.transaction(write=False) as s:
        dept_id = s.scalar(select(Department.id).where(Department.code == "scjgj"))
    client.post("/supervision/complaints", data={"csrf_token": _csrf(page), "channel": "phone", "complainant": "王五",
                                                 "contact": "13700000000", "content": "窗口要求提交清单以外的材料",
                                                 "department_id": dept_id})
    with database.transaction(write=False) as s:
        c = s.scalars(select(Complaint)).one()
    assert str(c.accept_due) == "2026-10-10" and str(c.handle_due) == "2026-10-23"  # 10/10 is a make-up working day
    refuse = client.post(f"/supervision/complaints/{c.id}/refuse", data={"csrf_token": _csrf(page), "reason": ""},
                         follow_redirects=True)
    assert "不予受理必须说明理由" in refuse.get_data(as_text=True)
    client.post(f"/supervision/complaints/{c.id}/accept", data={"csrf_token": _csrf(page)})
    client.post(f"/supervision/complaints/{c.id}/answer", data={"csrf_token": _csrf(page), "answer": "已责成整改。"})
    with database.transaction(write=False) as s:
        c = s.get(Complaint, c.id)
    assert c.state == "answered" and c.answer == "已责成整改。"


def test_console_is_for_supervisors_only(client):
    login(client, "sc001")
    response = client.get("/supervision")
    assert response.status_code == 403 and "仅对监察人员开放" in response.get_data(as_text=True)


def test_random_sampling_draws_finished_cases(client, database, history):
    login(client, "jw001")
    year = clock.today().year
    page = client.get(f"/supervision/sampling?draw=1&period={year}&count=5").get_data(as_text=True)
    numbers = re.findall(r"/supervision/cases/\d+\">(\d+)</a>", page)
    assert 1 <= len(numbers) <= 5 and len(set(numbers)) == len(numbers)
    bad = client.get("/supervision/sampling?draw=1&count=500")
    assert bad.status_code == 422 and "抽查件数" in bad.get_data(as_text=True)


def test_dashboard_trend_counts_past_months_once(database, history, monkeypatch):
    """The trend's months before today are counted once per process; a back-dated alert committed
    since is added to its month, and a deleted one makes the process count the past afresh."""
    trend = reports.AlertTrend()
    with database.transaction(write=False) as s:
        assert reports.dashboard(s, trend) == reports.dashboard(s)
    read = []
    counted = reports._alerts_by_level
    monkeypatch.setattr(reports, "_alerts_by_level", lambda session, spans, *where: read.append(spans) or counted(
        session, spans, *where))
    with database.transaction(write=False) as s:
        again = reports.dashboard(s, trend)
    today = reports._at(clock.today())
    assert read and all(a >= today for spans in read for a, _ in spans)  # only today's alerts were read
    with database.transaction() as s:
        alert = Alert(rule_code="C101", level="alarm", message="补录", tags=[], state="resolved",
                      created_at=clock.now() - timedelta(days=62))
        s.add(alert)
    with database.transaction(write=False) as s:
        added = reports.dashboard(s, trend)
        assert added == reports.dashboard(s)

    def alarms(data):
        return sum(next(x["values"] for x in data["trend"]["series"] if x["name"] == "报警"))
    assert alarms(added) == alarms(again) + 1
    with database.transaction() as s:
        s.delete(s.get(Alert, alert.id))
    with database.transaction(write=False) as s:
        assert reports.dashboard(s, trend) == reports.dashboard(s) == again
