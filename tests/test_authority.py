"""Authority in the services: documents by the handler of the step that produces them, in the state
they certify, recorded in the case's chain; internal flows (督办, 法制审核) offer only their own
operations; a case nobody can work is closed only by its department's leader."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select, update

from engine import audit, clock, scheduler
from engine.errors import InvalidState, PermissionDenied
from engine.models import Case, CaseEvent, CaseTask, Department
from engine.service import (
    claim,
    request_correction,
    request_extension,
    start_case,
    suspend,
    withdraw,
)
from engine.service.authority import is_internal
from forms import documents
from forms.intake import receive
from forms.models import CaseDocument
from rules.models import Alert
from rules.reports import performance_by_department
from rules.service import open_supervision

from .conftest import As
from .helpers import do, events, get_case

FOOD = "015309300002"


def _docs(database, case_id: int) -> list[CaseDocument]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)))


def _issue(run, case_id: int, kind: str, staff_no: str, tmp_path):
    return run(lambda s, actor: documents.issue(s, s.get(Case, case_id), kind, actor, tmp_path), As(staff_no))


def test_acceptance_notice_only_after_acceptance_and_only_by_who_accepted(run, database, frozen_clock, company, tmp_path):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    with pytest.raises(InvalidState, match="尚未受理"):
        _issue(run, case.id, "acceptance_notice", "sc001", tmp_path)
    for outsider in ("jw001", "sc003", "sc006", "admin"):  # supervisor, clerk off the step, leader, administrator
        with pytest.raises(PermissionDenied):
            _issue(run, case.id, "acceptance_notice", outsider, tmp_path)
    assert _docs(database, case.id) == []

    do(run, database, case.id, As("sc001"), "accept")
    for outsider in ("jw001", "sc003", "xz001"):
        with pytest.raises(PermissionDenied):
            _issue(run, case.id, "acceptance_notice", outsider, tmp_path)
    assert _docs(database, case.id) == []
    doc = _issue(run, case.id, "acceptance_notice", "sc001", tmp_path)
    assert doc.number and doc.kind == "acceptance_notice"
    again = _issue(run, case.id, "acceptance_notice", "sc001", tmp_path)  # printed again, never numbered twice
    assert (again.id, again.number) == (doc.id, doc.number) and len(_docs(database, case.id)) == 1
    # the document is in the case's hash chain, and the chain still verifies
    assert events(database, case.id)[-1] == "document"
    with database.transaction(write=False) as s:
        last = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc())).first()
        assert last.detail["number"] == doc.number and last.actor_name == "李娜"
        assert audit.verify(s) == []


def test_decision_only_once_decided_and_by_the_deciding_or_closing_hands(run, database, frozen_clock, company, tmp_path):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    with pytest.raises(PermissionDenied):
        _issue(run, case.id, "grant_decision", "sc003", tmp_path)  # 材料审查 does not decide
    do(run, database, case.id, As("sc003"), "review", data={"prepackaged_only": True})
    open_steps = {t for t in _ready(database, case.id)}
    while open_steps:
        step, post_holder = next(iter(open_steps))
        do(run, database, case.id, As(post_holder), step, data={"license_no": "JY25309300012345",
                                                                  "valid_until": "2031-11-22"})
        open_steps = {t for t in _ready(database, case.id)}
    assert get_case(database, case.id).state == "finished"
    with pytest.raises(PermissionDenied):
        _issue(run, case.id, "grant_decision", "jw001", tmp_path)
    with pytest.raises(PermissionDenied):
        _issue(run, case.id, "grant_decision", "sc003", tmp_path)
    assert _issue(run, case.id, "grant_decision", "sc006", tmp_path).kind == "grant_decision"  # who decided
    assert _issue(run, case.id, "grant_decision", "sc001", tmp_path).kind == "grant_decision"  # who closed it


HOLDERS = {"review": "sc003", "inspect": "sc004", "audit": "sc005", "decide": "sc006", "issue": "sc001"}


def _ready(database, case_id: int):
    with database.transaction(write=False) as s:
        steps = s.scalars(select(CaseTask.step_id).where(CaseTask.case_id == case_id, CaseTask.state == "ready"))
        return [(step, HOLDERS[step]) for step in steps]


@pytest.fixture
def order(run, database, frozen_clock, company):
    """A 督办 order on an overdue 材料审查, initiated and reviewed, now with the supervised unit."""
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    clock.travel(datetime(2026, 10, 12, 9, 0, tzinfo=clock.LOCAL_TZ))
    scheduler.tick(database)
    with database.transaction(write=False) as s:
        alarm = s.scalars(select(Alert).where(Alert.case_id == case.id, Alert.rule_code == "A002")).one()
    order_id = run(open_supervision, alarm.id, As("jw001"), "请于 5 个工作日内完成材料审查。", date(2026, 10, 19)).order_case_id
    do(run, database, order_id, As("jw001"), "initiate", opinion="发起督办。")
    do(run, database, order_id, As("jw003"), "review", data={"review_opinion": "同意督办。"})
    return order_id, alarm.id, case.id


def test_the_supervised_unit_cannot_withdraw_or_pause_a_supervision_order(run, database, order, tmp_path):
    order_id, alarm_id, citizen_case = order
    with database.transaction(write=False) as s:
        assert is_internal(s, s.get(Case, order_id)) and not is_internal(s, s.get(Case, citizen_case))
        # its own number series: the citizens' 办件编号 run on without a gap
        assert s.get(Case, order_id).number.startswith("NB")
        assert not s.get(Case, citizen_case).number.startswith("NB")
    before = events(database, order_id)
    with pytest.raises(InvalidState, match="内部流程"):
        run(withdraw, order_id, As("sc006"), "我们不同意")
    with pytest.raises(InvalidState, match="内部流程"):
        run(request_correction, order_id, As("sc006"), ["整改报告"])
    with pytest.raises(InvalidState, match="内部流程"):
        run(suspend, order_id, As("sc006"), "太忙", 5, "检验")
    with pytest.raises(InvalidState, match="内部流程"):
        run(request_extension, order_id, As("sc006"), 5, 1, "太忙")
    for kind in ("acceptance_notice", "case_file"):
        with pytest.raises(InvalidState, match="内部流程"):
            _issue(run, order_id, kind, "sc006", tmp_path)
    assert events(database, order_id) == before and _docs(database, order_id) == []
    with database.transaction(write=False) as s:
        assert s.get(Alert, alarm_id).state == "supervising"
    # its own operations still work
    with database.transaction(write=False) as s:
        sign = s.scalars(select(CaseTask.id).where(CaseTask.case_id == order_id, CaseTask.state == "ready")).one()
    run(claim, sign, As("sc006"))


def test_a_case_without_a_workable_step_is_closed_only_by_its_leader(run, database, frozen_clock, company):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    with database.transaction() as s:  # what a flow with no workable step leaves behind
        s.execute(update(CaseTask).where(CaseTask.case_id == case.id).values(state="cancelled"))
    for who in ("sc001", "sc003", "jw001", "admin", "ws004"):
        with pytest.raises(PermissionDenied, match="负责人"):
            run(withdraw, case.id, As(who), "无法办理")
    assert get_case(database, case.id).state == "received"
    run(withdraw, case.id, As("sc006"), "流程无可办理环节，经负责人决定终止。")
    assert get_case(database, case.id).state == "withdrawn"


@pytest.mark.parametrize("code", ["105309300099", "105309300098"])
def test_the_window_service_refuses_internal_flows(run, database, company, code):
    with pytest.raises(InvalidState, match="内部流程"):
        run(receive, code, company, As("admin"))
    with database.transaction(write=False) as s:
        assert s.scalars(select(Case)).all() == []


@pytest.mark.parametrize("code", ["105309300099", "105309300098"])
def test_internal_flows_are_not_received_at_a_window(app, code):
    """督办 and 法制审核 start from their own pages, never from 收件 — not even the administrator's."""
    from .webhelpers import login

    client = app.test_client()
    login(client, "admin")
    assert code not in client.get("/intake").get_data(as_text=True)
    assert client.get(f"/intake/{code}").status_code == 404


def test_supervision_orders_are_not_graded_as_applications(run, database, order):
    """Performance statistics grade how applications are handled; a 督办 order is not one."""
    order_id, _, citizen_case = order
    with database.transaction(write=False) as s:
        rows = {r.label: r for r in performance_by_department(s, date(2026, 9, 1), date(2026, 11, 1))}
        jwjw = s.get(Department, s.get(Case, order_id).department_id).name
    assert jwjw not in rows  # the order is the only case of 纪委监委
    assert rows["阳光县市场监督管理局"].cases == 1  # the citizen's case is counted
