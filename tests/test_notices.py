"""Notices to applicants (seed 002 §8.4): which events of a case queue which notice, in the event's
own transaction, with which words — and who is never told (internal flows, cases reported by a
department's own system, cases the authority opens itself, applicants without a contact)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine import clock, listeners, notice_texts
from engine.disclosure import service as gk
from engine.models import Case, CasePause, InfoRequest, Notification
from engine.service import (
    Applicant,
    complete_task,
    handle_on_the_spot,
    reject,
    request_correction,
    start_case,
)
from engine.service.lapses import lapse_correction

from .conftest import As
from .helpers import do, info_request, task_id

FOOD, SHOP, PENALTY = "015309300002", "075309300001", "025309300005"
FOOD_STEPS = (("accept", "sc001"), ("review", "sc003"), ("inspect", "sc004"), ("audit", "sc005"), ("decide", "sc006"),
              ("issue", "sc001"))


def notices(database, case_id: int | None = None) -> list[Notification]:
    with database.transaction(write=False) as s:
        query = select(Notification).order_by(Notification.id)
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        return list(s.scalars(query))


def kinds(database, case_id: int) -> list[tuple[str, str]]:
    return [(n.kind, n.channel) for n in notices(database, case_id)]


def food_case(run, applicant, **data) -> Case:
    return run(start_case, FOOD, applicant, As("sc001"), data={"prepackaged_only": False, **data})


def test_acceptance_tells_the_applicant_by_sms_with_number_item_and_dates(run, database, frozen_clock, company):
    case = food_case(run, company)
    assert notices(database, case.id) == []  # 收件 alone is no notice: the clerk hands over the receipt
    do(run, database, case.id, As("sc001"), "accept")
    [sms] = notices(database, case.id)
    case = run(lambda s: s.get(Case, case.id))
    assert (sms.kind, sms.channel, sms.recipient, sms.state) == ("accepted", "sms", "13912345678", "sent")
    assert sms.ref == f"case:{case.number}" and sms.case_id == case.id
    assert sms.subject == f"受理通知：食品经营许可（办件编号 {case.number}）"
    assert sms.body == (f"阳光县好味道餐饮有限公司：您申请的“食品经营许可”（办件编号 {case.number}）已于2026年9月28日受理，"
                        f"承诺{notice_texts.cn_date(case.deadline)}前办结。进度可在政务服务网“结果反馈”查询。")
    assert company.cert_number not in sms.body


def test_a_natural_person_is_named_masked_and_the_email_carries_the_whole_notice(run, database, frozen_clock, person):
    case = food_case(run, person, email="zhangsan@example.com")
    do(run, database, case.id, As("sc001"), "accept")
    email, sms = notices(database, case.id)
    assert (email.channel, email.recipient, sms.channel, sms.recipient) == (
        "email", "zhangsan@example.com", "sms", "13800000000")
    for text in (email.body, sms.body):
        assert text.startswith("张*：") and "张三" not in text and person.cert_number not in text
    assert "您于2026年9月28日提交的“食品经营许可”申请" in email.body and "由阳光县市场监督管理局受理" in email.body
    assert "“结果反馈”栏目凭办件编号和申请人证件号码查询" in email.body and "查询码" not in email.body
    assert email.body.endswith("（本消息由系统自动发送，请勿直接回复。）")


def test_correction_lists_every_missing_material_and_the_period(run, database, frozen_clock, company):
    case = food_case(run, company)
    run(request_correction, case.id, As("sc001"), ["经营场所平面图和设备布局图", "食品安全管理制度文本"], None, None, 5)
    [sms] = notices(database, case.id)
    due = run(lambda s: s.scalars(select(CasePause.due_date).where(CasePause.case_id == case.id)).one())
    assert sms.kind == "correction" and sms.subject.startswith("补正通知：食品经营许可")
    assert "需补正材料：经营场所平面图和设备布局图、食品安全管理制度文本。" in sms.body
    assert f"请于{notice_texts.cn_date(due)}前补正，逾期视为放弃申请。" in sms.body
    facts = notice_texts.CaseFacts(number="N1", application_number=None, item="食品经营许可", applicant_name="李四",
                                   applicant_type="1", department="阳光县市场监督管理局", department_phone="0883-6120315",
                                   online=False)
    letter = notice_texts.correction(facts, missing=["甲", "乙"], due=due, stops_clock=True).body
    assert "1. 甲\n2. 乙\n" in letter and "请将补正材料提交至阳光县市场监督管理局窗口" in letter
    assert "如有疑问，请咨询阳光县市场监督管理局（电话 0883-6120315）。" in letter
    many = notice_texts.correction(facts, missing=[f"材料{i}" * 10 for i in range(20)], due=due, stops_clock=True)
    assert len(many.sms) <= notice_texts.SMS_MAX and "需补正20项材料" in many.sms


def test_the_whole_case_gives_acceptance_then_the_result(run, database, frozen_clock, company):
    case = food_case(run, company)
    for step, holder in FOOD_STEPS:
        do(run, database, case.id, As(holder), step)
    assert kinds(database, case.id) == [("accepted", "sms"), ("finished", "sms")]
    finished = notices(database, case.id)[-1]
    assert "已于2026年9月28日办结，办理结果：准予许可。" in finished.body


def test_an_instant_case_accepted_and_finished_at_once_gets_only_the_result(run, database, frozen_clock, person):
    case = run(handle_on_the_spot, SHOP, person, As("sc001"), data={"business_name": "张三小吃店"})
    assert kinds(database, case.id) == [("finished", "sms")]
    assert "办理结果：准予登记" in notices(database, case.id)[0].body


def test_refusal_at_intake_gives_the_reason_and_the_remedies(run, database, frozen_clock, company):
    case = food_case(run, company, email="li@example.com")
    run(reject, case.id, As("sc001"), "申请事项依法不需要取得行政许可")
    email, sms = notices(database, case.id)
    assert (email.kind, sms.kind) == ("rejected", "rejected")
    assert "决定不予受理。理由：申请事项依法不需要取得行政许可" in email.body
    assert "申请行政复议或者提起行政诉讼" in email.body
    assert "不予受理，理由：申请事项依法不需要取得行政许可。详见不予受理决定书。" in sms.body


def test_an_unanswered_correction_ends_the_application_and_says_so(run, database, frozen_clock, company):
    case = food_case(run, company)
    run(request_correction, case.id, As("sc001"), ["食品安全管理制度文本"], None, None, 2)
    clock.travel(clock.now() + timedelta(days=30))
    assert run(lambda s: lapse_correction(s, case.id))
    assert [k for k, _ in kinds(database, case.id)] == ["correction", "lapsed"]
    assert "视为放弃申请" in notices(database, case.id)[-1].body


def test_no_notice_without_a_usable_contact(run, database, frozen_clock):
    landline = Applicant(name="王五", cert_type="111", cert_number="11010519491231002X", phone="0883-6120315")
    nobody = Applicant(name="赵六", cert_type="111", cert_number="11010519491231002X")
    for applicant, data in ((landline, {}), (nobody, {"email": "not an address"})):
        case = food_case(run, applicant, **data)
        do(run, database, case.id, As("sc001"), "accept")
        assert notices(database, case.id) == []


def test_no_notice_for_a_case_reported_by_a_department_system(run, database, frozen_clock, company):
    """A reported case (engine.exchange) is told to its applicant by the department's own system."""
    accepting = [food_case(run, company).id, food_case(run, company).id]

    def accepted(s, case_id, source):
        c = s.get(Case, case_id)
        before = {"state": c.state}
        c.state, c.accepted_at, c.source = "accepted", clock.now(), source
        c.external_id = "SCJ-2026-0001" if source else None
        s.flush()
        listeners.notify(listeners.Transition(s, c, "complete", None, before=before))
    run(accepted, accepting[0], "scj-system")
    run(accepted, accepting[1], None)  # the same transition of Sunhall's own case is told
    assert notices(database, accepting[0]) == []
    assert kinds(database, accepting[1]) == [("accepted", "sms")]


def test_no_notice_for_a_penalty_case_the_party_is_served_the_documents(run, database, frozen_clock, person):
    case = run(start_case, PENALTY, person, As("sc006"), subject="销售过期食品案")
    do(run, database, case.id, As("sc006"), "file")  # 立案
    assert run(lambda s: s.get(Case, case.id).state) == "accepted"
    assert notices(database, case.id) == []


def test_flows_with_their_own_notices_get_no_case_notice(run, database, frozen_clock, person):
    """政府信息公开申请 tells its applicant itself (engine.disclosure.flow): one notice, not two."""
    case = info_request(run, person)
    run(lambda s, actor: gk.request_correction(s, gk.of_case(s, case.id), actor, points=["请写明所需文件的名称或文号"],
                                               days=10), As("zf002"))
    told = notices(database)
    assert [n.ref for n in told] == [f"info_request:{run(lambda s: s.get(InfoRequest, gk.of_case(s, case.id).id).number)}"]
    assert not any(n.ref.startswith("case:") for n in told)


def test_notices_are_queued_in_the_events_transaction_and_go_with_its_rollback(run, database, frozen_clock, company):
    case = food_case(run, company)
    task = task_id(database, case.id, "accept")

    def accept_then_fail(s, clerk):
        complete_task(s, task, clerk, approved=True, opinion="同意。")
        assert s.scalars(select(Notification.kind).where(Notification.case_id == case.id)).all() == ["accepted"]
        raise RuntimeError("the command fails after the acceptance")
    with pytest.raises(RuntimeError):
        run(accept_then_fail, As("sc001"))
    assert notices(database, case.id) == []
    assert run(lambda s: s.get(Case, case.id).state) == "received"


def test_cn_date_reads_a_moment_in_local_time():
    assert notice_texts.cn_date(datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)) == "2026年10月1日"
