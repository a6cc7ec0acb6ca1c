"""外部办件报送: a department's own system reports its cases into Sunhall (seed 004 §4.3: the data each
case must carry, within 24 hours); supervision judges them beside our own cases (seed 004 §4.4:
关键数据未报送或延时报送), and no staff command or worklist touches them."""

from __future__ import annotations

import copy
import io
import json
import re
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import apitokens, clock
from engine.errors import Conflict, InvalidInput, InvalidState, PermissionDenied
from engine.exchange import report
from engine.models import Case, CaseEvent, CaseTask, Department, FeedMessage, Post, User
from engine.service import claim, complete_task, worklist
from rules import reports
from rules.models import Alert
from rules.replay import replay
from rules.ticks import fire_due
from tests.conftest import As
from tests.webhelpers import login

ITEM = "015309300002"  # 食品经营许可, 阳光县市场监督管理局, 承诺 15 个工作日
SYSTEM = "scj-spxk"
SYSTEM_NAME = "市场监管审批系统"
CLIENT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "department_client.py"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=clock.LOCAL_TZ)


def sample(external_id: str = "SPXK-2026-0001") -> dict:
    """A report as the API's schema loads it: accepted on Friday, 审查 done, 决定 in progress."""
    return {
        "external_id": external_id, "item_code": ITEM, "subject": "阳光县好味道餐饮有限公司申请食品经营许可",
        "applicant": {"name": "阳光县好味道餐饮有限公司", "type": "2", "cert_type": "001",
                      "cert_number": "91530930MA6N8X0Q31", "contact_name": "李四", "phone": "13912345678"},
        "received_at": at("2026-09-25T09:00:00"), "accepted_at": at("2026-09-25T09:30:00"), "accepted_by": "窗口李娜",
        "promised_days": 15,
        "materials": [{"name": "食品经营许可申请书", "required": True, "submitted": True}],
        "steps": [
            {"id": "s1", "code": "review", "name": "审查", "post": "review", "handler": "陈静",
             "started_at": at("2026-09-25T09:30:00"), "completed_at": at("2026-09-25T16:00:00"), "time_limit": 5,
             "opinion": "材料齐全，符合条件。", "approved": True},
            {"id": "s2", "code": "decide", "name": "决定", "post": "approve", "started_at": at("2026-09-25T16:00:00"),
             "time_limit": 3},
        ],
    }


@pytest.fixture
def reporter(database) -> report.Reporter:
    with database.transaction(write=False) as s:
        return report.Reporter(SYSTEM, (s.scalars(select(Department.id).where(Department.code == "scjgj")).one(),),
                               system_name=SYSTEM_NAME)


def push(run, reporter, data, staff="sc001"):
    return run(lambda s, actor: report.report_case(s, actor, reporter, copy.deepcopy(data)), As(staff))


def alerts(database, case_id, code):
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Alert).where(Alert.case_id == case_id, Alert.rule_code == code)))


def test_a_case_pushed_late_raises_the_delayed_report_alert_and_shows_in_replay(database, run, reporter, frozen_clock,
                                                                                 app):
    """Done when: a department system's reported case, pushed late, raises the delayed-report alert
    and shows in replay. 审查 was done on Friday 16:00 and reaches us on Monday 09:00: 65 hours."""
    outcome = push(run, reporter, sample())
    assert outcome.created and outcome.changed
    late = alerts(database, outcome.case.id, "A051")
    assert late, "a step reported more than 24 hours after it happened raises 关键数据延时报送"
    assert any("审查" in a.message and "65 小时后才报送" in a.message for a in late)
    with database.transaction(write=False) as s:
        case = s.get(Case, outcome.case.id)
        assert (case.source, case.external_id, case.workflow_state, case.serializer_version) == \
            (SYSTEM, "SPXK-2026-0001", "", "external")
        assert case.deadline is not None  # 15 working days from acceptance, by our calendar
        seen = replay(s, case)
        lines = [e.text for e in seen["events"]]
        assert any("外部系统报送环节办理（审查）" in line and "材料齐全" in line for line in lines), lines
        assert [step.task.step_name for step in seen["steps"]] == ["审查", "决定"]
        assert any(a.rule_code == "A051" for a in seen["alerts"])
    client = app.test_client()
    login(client, "jw001")
    page = client.get(f"/supervision/cases/{outcome.case.id}").get_data(as_text=True)
    assert "外部系统报送" in page and "审查" in page and "A051" in page and "65 小时后才报送" in page


def test_a_step_reported_in_time_raises_nothing(database, run, reporter, frozen_clock):
    data = sample()
    clock.travel(at("2026-09-25T17:00:00"))
    outcome = push(run, reporter, data)
    assert alerts(database, outcome.case.id, "A051") == []


def test_the_same_report_again_changes_nothing_and_a_later_one_adds_only_what_is_new(database, run, reporter,
                                                                                    frozen_clock):
    first = push(run, reporter, sample())
    with database.transaction(write=False) as s:
        events = s.get(Case, first.case.id).event_count
        messages = s.scalar(select(func.count()).select_from(FeedMessage).where(FeedMessage.case_id == first.case.id))
    again = push(run, reporter, sample())
    assert not again.created and not again.changed
    with database.transaction(write=False) as s:
        case = s.get(Case, first.case.id)
        assert case.event_count == events
        assert s.scalar(select(func.count()).select_from(FeedMessage).where(FeedMessage.case_id == case.id)) == messages
        assert s.scalar(select(func.count()).select_from(Case).where(Case.external_id == "SPXK-2026-0001")) == 1
    later = sample()
    later["steps"][1].update(completed_at=at("2026-09-28T08:30:00"), opinion="准予许可。", approved=True, handler="杨帆")
    later["result"] = {"state": "finished", "decision": "准予许可", "finished_at": at("2026-09-28T08:40:00"),
                       "document_number": "JY25309300012345", "detail": "经营项目：热食类食品制售"}
    third = push(run, reporter, later)
    assert third.changed and not third.created
    with database.transaction(write=False) as s:
        case = s.get(Case, first.case.id)
        assert (case.state, case.result, case.result_detail["document_number"]) == ("finished", "准予许可",
                                                                                     "JY25309300012345")
        actions = list(s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id, CaseEvent.seq > events)
                                 .order_by(CaseEvent.seq)))
        assert actions == ["external_complete", "external_finish"]
        assert s.scalar(select(func.count()).select_from(FeedMessage).where(FeedMessage.case_id == case.id)) \
            == messages + 1
    assert not push(run, reporter, later).changed


def test_a_report_cannot_move_a_case_backwards_or_rewrite_a_finished_step(database, run, reporter, frozen_clock):
    push(run, reporter, sample())
    rewritten = sample()
    rewritten["steps"][0]["opinion"] = "改过的意见"
    with pytest.raises(Conflict, match="审查.*不能改写"):
        push(run, reporter, rewritten)
    back = sample()
    back["accepted_at"] = None
    with pytest.raises(Conflict, match="不能回退"):
        push(run, reporter, back)


def test_a_token_of_another_department_is_refused(database, run, frozen_clock):
    with database.transaction(write=False) as s:
        other = s.scalars(select(Department.id).where(Department.code == "wsjkj")).one()
    with pytest.raises(PermissionDenied, match="无权报送"):
        push(run, report.Reporter(SYSTEM, (other,)), sample(), staff="ws001")
    with pytest.raises(PermissionDenied, match="系统代码"):
        push(run, report.Reporter(None, (other,)), sample(), staff="ws001")


def test_times_in_the_future_and_negative_opinions_without_reasons_are_refused(database, run, reporter, frozen_clock):
    future = sample()
    future["steps"][0]["completed_at"] = at("2026-09-29T09:00:00")
    with pytest.raises(InvalidInput, match="晚于当前时间"):
        push(run, reporter, future)
    negative = sample()
    negative["steps"][0].update(approved=False, opinion="不同意")
    with pytest.raises(InvalidInput, match="具体理由"):
        push(run, reporter, negative)
    bad_id = sample()
    bad_id["applicant"]["cert_number"] = "91530930MA6N8X0Q30"
    with pytest.raises(InvalidInput) as refused:
        push(run, reporter, bad_id)
    assert "applicant.cert_number" in refused.value.details["errors"]


def test_generic_case_commands_refuse_an_external_case_and_its_steps_stay_out_of_worklists(database, run, reporter,
                                                                                           frozen_clock):
    outcome = push(run, reporter, sample())
    with database.transaction(write=False) as s:
        decide = s.scalars(select(CaseTask).where(CaseTask.case_id == outcome.case.id,
                                                  CaseTask.state == "ready")).one()
    with pytest.raises(InvalidState, match="外部系统"):
        run(complete_task, decide.id, As("sc006"), opinion="同意", approved=True)
    with pytest.raises(InvalidState, match="外部系统"):
        run(claim, decide.id, As("sc006"))
    with database.transaction(write=False) as s:
        holder = s.scalars(select(User).where(User.staff_no == "sc006")).one()
        assert holder.holds("approve", decide.department_id)  # the post matches one of ours …
        assert all(item.case.id != outcome.case.id for item in worklist(s, holder))  # … and still not in 待办


def test_an_external_case_silent_past_its_next_deadline_raises_the_missing_report_alert(database, run, reporter,
                                                                                       frozen_clock):
    outcome = push(run, reporter, sample())
    with database.transaction(write=False) as s:
        due = s.scalars(select(CaseTask.due_date).where(CaseTask.case_id == outcome.case.id,
                                                        CaseTask.state == "ready")).one()
    assert due is not None  # 3 working days from Friday, by our calendar
    clock.travel(datetime.combine(due, datetime.min.time(), clock.LOCAL_TZ) + timedelta(hours=12))
    fire_due(database)
    assert alerts(database, outcome.case.id, "A052") == []  # not yet past the deadline
    clock.travel(datetime.combine(due + timedelta(days=1), datetime.min.time(), clock.LOCAL_TZ) + timedelta(hours=1))
    fire_due(database)
    missing = alerts(database, outcome.case.id, "A052")
    assert len(missing) == 1 and "关键数据未报送" in missing[0].message
    assert missing[0].department_id == outcome.case.department_id
    fire_due(database)
    assert len(alerts(database, outcome.case.id, "A052")) == 1


def test_a_report_in_time_moves_the_missing_report_watch_on(database, run, reporter, frozen_clock):
    outcome = push(run, reporter, sample())
    with database.transaction(write=False) as s:
        due = s.scalars(select(CaseTask.due_date).where(CaseTask.case_id == outcome.case.id,
                                                        CaseTask.state == "ready")).one()
    clock.travel(datetime.combine(due, datetime.min.time(), clock.LOCAL_TZ) + timedelta(hours=10))
    later = sample()
    later["steps"][1].update(completed_at=clock.now() - timedelta(hours=1), opinion="同意", approved=True)
    later["steps"].append({"id": "s3", "code": "deliver", "name": "送达", "post": "window",
                           "started_at": clock.now() - timedelta(hours=1), "time_limit": 10})
    push(run, reporter, later)
    clock.travel(datetime.combine(due + timedelta(days=1), datetime.min.time(), clock.LOCAL_TZ) + timedelta(hours=1))
    fire_due(database)
    assert alerts(database, outcome.case.id, "A052") == []


def test_statistics_count_external_cases_beside_own_ones(database, run, reporter, frozen_clock, person):
    from engine.service import start_case

    run(start_case, ITEM, person, As("sc001"))
    push(run, reporter, sample())
    with database.transaction(write=False) as s:
        start, end = datetime(2026, 9, 1).date(), datetime(2026, 10, 1).date()
        rows = {r.key: r for r in reports.performance_by_department(s, start, end)}
        assert rows["scjgj"].cases == 2 and rows["scjgj"].external == 1
        only = {r.key: r for r in reports.performance_by_department(s, start, end, origin="external")}
        assert only["scjgj"].cases == 1
        own = {r.key: r for r in reports.performance_by_department(s, start, end, origin="own")}
        assert own["scjgj"].cases == 1
        steps = reports.performance_by_step(s, start, end, origin="external")
        assert [r.label for r in steps] == ["食品经营许可·审查"]
        assert reports.dashboard(s)["open_cases"] >= 2


def test_statistics_by_origin_count_only_that_origins_complaints_and_the_export_says_so(app, database, run, reporter,
                                                                                      frozen_clock, person):
    """With 外部系统报送 chosen, 投诉件数 counts only complaints about external cases, and a department
    with neither external cases nor such complaints is not listed (it said 办件量 0, 投诉件数 2)."""
    from openpyxl import load_workbook

    from engine.service import start_case
    from rules import complaints

    own = run(start_case, ITEM, person, As("sc001"))
    push(run, reporter, sample())
    with database.transaction(write=False) as s:
        health = s.scalars(select(Department.id).where(Department.code == "wsjkj")).one()
    for number, dept in ((own.number, None), (None, health)):
        run(lambda s, actor, n=number, d=dept: complaints.receive(
            s, actor, channel="phone", complainant="王五", contact="13800001111", content="办理太慢。",
            department_id=d, case_number=n), As("jw001"))
    with database.transaction(write=False) as s:
        start, end = datetime(2026, 7, 1).date(), datetime(2026, 10, 1).date()
        every = {r.key: r for r in reports.performance_by_department(s, start, end)}
        external = {r.key: r for r in reports.performance_by_department(s, start, end, origin="external")}
        ours = {r.key: r for r in reports.performance_by_department(s, start, end, origin="own")}
    assert (every["scjgj"].complaints, every["wsjkj"].complaints, every["wsjkj"].cases) == (1, 1, 0)
    assert external["scjgj"].complaints == 0 and "wsjkj" not in external
    assert ours["scjgj"].complaints == 1 and ours["wsjkj"].complaints == 1
    client = app.test_client()
    login(client, "jw001")
    page = client.get("/supervision/performance?period=2026Q3&origin=external").get_data(as_text=True)
    assert "阳光县市场监督管理局" in page and "阳光县卫生健康局" not in page
    sheet = client.get("/supervision/performance.xlsx?period=2026Q3&origin=external")
    assert sheet.status_code == 200
    title = load_workbook(io.BytesIO(sheet.data)).active["A1"].value
    assert "（外部报送办件）" in title, title
    plain = load_workbook(io.BytesIO(client.get("/supervision/performance.xlsx?period=2026Q3").data)).active["A1"].value
    assert "外部" not in plain and "本平台" not in plain


def test_pages_name_the_reporting_system_and_posts_in_words(app, database, run, reporter, frozen_clock):
    """Seen by QA: the 外部 badges were white on nothing, the system appeared as its code
    (部门业务系统（zjj-spxt）), posts as codes (review) and opinions ended 。，."""
    outcome = push(run, reporter, sample())
    with database.transaction(write=False) as s:
        assert s.get(Case, outcome.case.id).data["external"]["system_name"] == SYSTEM_NAME
        assert report.external_view(s, s.get(Case, outcome.case.id))["system_name"] == SYSTEM_NAME
        review = s.scalars(select(Post.name).join(Department, Department.id == Post.department_id).where(
            Department.code == "scjgj", Post.code == "review")).one()
    label = f"{SYSTEM_NAME}（{SYSTEM}）"
    client = app.test_client()
    login(client, "sc006")
    staff = client.get(f"/cases/{outcome.case.id}").get_data(as_text=True)
    assert f"此办件由部门业务系统{label}报送" in staff and f"SPXK-2026-0001（{label}）" in staff
    assert f"阳光县市场监督管理局·{review}" in staff and "<td>review</td>" not in staff
    assert 'class="badge external"' in staff
    client = app.test_client()
    login(client, "jw001")
    page = client.get(f"/supervision/cases/{outcome.case.id}").get_data(as_text=True)
    assert f"此办件由部门业务系统{label}报送" in page and f"（{SYSTEM}）报送" not in page.replace(label, "")
    assert "意见：材料齐全，符合条件，办理人：陈静" in page and "。，" not in page
    assert 'class="badge external" id="replay-external"' in page
    css = (Path(__file__).resolve().parents[1] / "webapp" / "static" / "sunhall.css").read_text()
    rule = re.search(r"\.badge\.external\s*\{([^}]*)\}", css)
    assert rule and "background" in rule.group(1) and re.search(r"(^|;)\s*color:\s*#(?!fff)", rule.group(1)), \
        "the 外部 badge needs its own background and a dark text colour (the .badge default is white text)"


def test_without_a_name_given_the_system_is_named_by_its_account(database, run, frozen_clock):
    with database.transaction(write=False) as s:
        dept = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
        account = s.scalars(select(User.name).where(User.staff_no == "sc001")).one()
    outcome = push(run, report.Reporter(SYSTEM, (dept,)), sample())
    with database.transaction(write=False) as s:
        case = s.get(Case, outcome.case.id)
        assert report.system_name(case) == account and report.system_label(case) == f"{account}（{SYSTEM}）"


# --- over HTTP: the endpoint, its refusals, and the reference client against a running server --------

def issue_token(database, departments=("scjgj",), verbs=("report",), system=SYSTEM) -> str:
    with database.transaction() as s:
        admin = s.scalars(select(User).where(User.staff_no == "admin")).one()
        clerk = s.scalars(select(User).where(User.staff_no == "sc001")).one()
        ids = list(s.scalars(select(Department.id).where(Department.code.in_(departments))))
        _, secret = apitokens.issue(s, admin, name=f"测试令牌{system}-{secrets.token_hex(3)}", user_id=clerk.id, department_ids=ids,
                                    verbs=list(verbs), system_code=system)
    return secret


def as_json(data: dict) -> dict:
    return json.loads(json.dumps(data, default=lambda v: v.isoformat()))


def post(client, secret, body):
    return client.post("/api/v1/external/cases", json=body, headers={"Authorization": f"Bearer {secret}"})


def test_the_endpoint_creates_then_answers_the_same_report_without_change(app, database, frozen_clock):
    client, secret = app.test_client(), issue_token(database)
    first = post(client, secret, as_json(sample()))
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["external_id"] == "SPXK-2026-0001" and first.json["changed"] is True
    assert [s["name"] for s in first.json["steps"]] == ["审查", "决定"]
    again = post(client, secret, as_json(sample()))
    assert again.status_code == 200 and again.json["changed"] is False and again.json["number"] == first.json["number"]
    read = client.get("/api/v1/external/cases/SPXK-2026-0001", headers={"Authorization": f"Bearer {secret}"})
    assert read.status_code == 200 and read.json["number"] == first.json["number"]
    assert client.get("/api/v1/external/cases/NOPE-1", headers={"Authorization": f"Bearer {secret}"}).status_code == 404
    rewritten = as_json(sample())
    rewritten["steps"][0]["opinion"] = "改过的意见"
    conflict = post(client, secret, rewritten)
    assert conflict.status_code == 409 and "不能改写" in conflict.json["detail"]
    assert conflict.mimetype == "application/problem+json"


def test_a_token_of_another_department_or_without_the_verb_gets_403(app, database, frozen_clock):
    client = app.test_client()
    other = post(client, issue_token(database, departments=("wsjkj",), system="ws-sys"), as_json(sample()))
    assert other.status_code == 403 and "无权报送" in other.json["detail"]
    reader = post(client, issue_token(database, verbs=("read",), system="scj-read"), as_json(sample()))
    assert reader.status_code == 403 and "报送外部办件" in reader.json["detail"]
    assert post(client, "shk_0000_nothing", as_json(sample())).status_code == 401
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.source.is_not(None))) == 0


HOSTILE = [
    ("external_id", "A" * 81), ("external_id", "流水号"), ("item_code", 15309300002), ("item_code", "999999999999"),
    ("received_at", "2026-02-30T09:00:00"), ("received_at", "yesterday"), ("received_at", "1970-01-01T00:00:00"),
    ("promised_days", -1), ("promised_days", float("nan")), ("promised_days", "1e9"), ("steps", "审查"),
    ("steps", [{"id": "x"}] * 201), ("subject", "名" * 301), ("subject", "a\u0000b"), ("subject", "\u202e反转"),
    ("result", {"state": "finished", "decision": "准予", "finished_at": "2026-09-30T09:00:00"}),
    ("applicant", {"name": "张三", "cert_type": "111", "cert_number": "11010519491231002Y"}),
    ("applicant", {"name": "张三", "cert_type": "999", "cert_number": "1"}), ("unknown", 1), ("materials", [1]),
]


@pytest.mark.parametrize("field,value", HOSTILE)
def test_hostile_payloads_are_refused_with_chinese_422(app, database, frozen_clock, field, value):
    client, secret = app.test_client(), issue_token(database)
    body = as_json(sample())
    body[field] = value
    response = client.post("/api/v1/external/cases", data=json.dumps(body, allow_nan=True),
                           headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = response.json
    assert problem["code"] == "invalid_input" and re.search(r"[\u4e00-\u9fff]", problem["detail"])
    assert not re.search(r"Not a valid|Missing data|Unknown field|Traceback", response.get_data(as_text=True))


def test_full_width_digits_in_a_certificate_are_accepted(app, database, frozen_clock):
    client, secret = app.test_client(), issue_token(database)
    body = as_json(sample())
    body["applicant"]["cert_number"] = "９１５３０９３０ＭＡ６Ｎ８Ｘ０Ｑ３１"
    response = post(client, secret, body)
    assert response.status_code == 201, response.get_data(as_text=True)
    with database.transaction(write=False) as s:
        assert s.scalars(select(Case.cert_number).where(Case.source == SYSTEM)).one() == "91530930MA6N8X0Q31"


def test_the_workbench_shows_an_external_case_without_workflow_or_actions(app, database, run, reporter, frozen_clock):
    outcome = push(run, reporter, sample())
    client = app.test_client()
    login(client, "sc006")
    html = client.get(f"/cases/{outcome.case.id}").get_data(as_text=True)
    assert "外部系统报送" in html and "SPXK-2026-0001" in html and "材料齐全，符合条件。" in html
    assert "data-bpmn-viewer" not in html and "/complete" not in html and "claim" not in html
    client = app.test_client()
    login(client, "jw001")
    alerts_page = client.get("/supervision/alerts?origin=external").get_data(as_text=True)
    assert outcome.case.number in alerts_page and "外部" in alerts_page
    assert outcome.case.number not in client.get("/supervision/alerts?origin=own").get_data(as_text=True)


@pytest.fixture
def running_server(database, settings):
    """The staff app served on a real port (as tests/browser/conftest.py does)."""
    import threading

    from werkzeug.serving import make_server

    from webapp import create_app

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["sunhall_db"].dispose()


def test_the_reference_client_pushes_a_case_to_a_running_server(database, running_server, tmp_path):
    secret = issue_token(database)
    now = clock.now()
    body = as_json(sample("SPXK-CLIENT-1"))
    body["received_at"] = body["accepted_at"] = (now - timedelta(hours=2)).isoformat()
    for step in body["steps"]:
        step["started_at"] = (now - timedelta(hours=2)).isoformat()
    body["steps"][0]["completed_at"] = (now - timedelta(hours=1)).isoformat()
    path = tmp_path / "case.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, str(CLIENT), "--url", running_server, "--token", secret, str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "已建立" in result.stdout
    again = subprocess.run([sys.executable, str(CLIENT), "--url", running_server, "--token", secret, str(path)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "无变化" in again.stdout
    with database.transaction(write=False) as s:
        case = s.scalars(select(Case).where(Case.source == SYSTEM, Case.external_id == "SPXK-CLIENT-1")).one()
        assert case.state == "accepted" and case.subject.startswith("阳光县好味道")
    refused = subprocess.run([sys.executable, str(CLIENT), "--url", running_server, "--token", "shk_0000_bad",
                              str(path)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "报送被拒绝" in refused.stderr
