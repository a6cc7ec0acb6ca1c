"""依申请公开 and 主动公开 (政府信息公开条例 2019; seed 001): the periods counted by hand from the
State Council's 2026 arrangement, each answer type with its ground, who may do what.

Received on Monday 2026-09-28, the working days after it are 09-29, 09-30, 10-08, 10-09, 10-10 (5,
10-10 a make-up working day), 10-12 … 10-16 (10), 10-19 … 10-23 (15), 10-26 … 10-30 (20), 11-02 …
11-06 (25), 11-09 … 11-13 (30), 11-16 … 11-20 (35), 11-23 … 11-27 (40)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from engine import clock
from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.errors import InvalidInput, InvalidState, PermissionDenied
from engine.models import CaseTask, Department, InfoEntry, InfoRequest

from .conftest import As


def at(day: str, hour: int = 10) -> None:
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def dept(run, code: str) -> int:
    return run(lambda s: s.scalars(select(Department.id).where(Department.code == code)).one())


def requesting(run, body="zfb", **kw) -> gk.Requesting:
    values = dict(name="张三", requester_kind="natural", cert_type="111", cert_number="11010519491231002X",
                  phone="13800000000", email="zhangsan@example.com",
                  description="请公开阳光县2026年城关镇老旧小区改造项目的立项批复文件。", medium="electronic",
                  delivery="email", department_id=dept(run, body))
    values.update(kw)
    return gk.Requesting(**values)


def file(run, **kw):
    req = requesting(run, **kw)

    def go(s):
        r, code = gk.file_request(s, req)
        return r.id, r.number, code
    return run(go)


def act(run, rid, fn, who, **kw):
    return run(lambda s, actor: fn(s, s.get(InfoRequest, rid), actor, **kw), As(who))


def case_of(run, rid):
    return run(lambda s: (lambda c: (c.deadline, c.state, c.result, c.clock_basis, c.pause_kind))(
        s.get(InfoRequest, rid).case))


def ready(run, rid):
    return run(lambda s: sorted((t.step_id, t.department.code if hasattr(t, "department") else t.department_id)
                                for t in s.scalars(select(CaseTask).where(
                                    CaseTask.case_id == s.get(InfoRequest, rid).case_id, CaseTask.state == "ready"))))


def ready_steps(run, rid):
    def go(s):
        codes = {d.id: d.code for d in s.scalars(select(Department))}
        return sorted((t.step_id, codes[t.department_id], t.due_date) for t in s.scalars(select(CaseTask).where(
            CaseTask.case_id == s.get(InfoRequest, rid).case_id, CaseTask.state == "ready")))
    return run(go)


def test_twenty_working_days_from_receipt_art_33(run, database, frozen_clock):
    rid, number, code = file(run)
    assert number.startswith("GK530930") and len(code) >= 8
    assert case_of(run, rid)[:1] == (date(2026, 10, 30),)
    assert case_of(run, rid)[3] == "receipt"
    assert ready_steps(run, rid) == [("review", "zfb", date(2026, 10, 8))]  # 3 working days


def test_full_journey_partial_with_two_bodies_and_a_third_party(run, database, frozen_clock):
    rid, number, code = file(run)
    # 补正 on 09-29 (1 working day after receipt: within art. 30's 7), 10 working days to answer
    at("2026-09-29")
    act(run, rid, gk.request_correction, "zf002", points=["请写明所需文件的名称或文号"], days=10)
    assert case_of(run, rid)[4] == "correction"
    # the applicant supplies it on 10-09: the period restarts from 10-09 (art. 30)
    at("2026-10-09")
    run(lambda s: gk.supply_correction(s, gk.find_by_code(s, number, code), "阳县发改〔2026〕12号 立项批复"))
    deadline, state, _, basis, pause = case_of(run, rid)
    assert basis == "corrected_receipt" and pause is None
    assert deadline == date(2026, 11, 5)  # 20 working days after 10-09 (10-10 a make-up working day)
    at("2026-10-12")
    act(run, rid, gk.review, "zf002", route="assign", body_ids=[dept(run, "zjj"), dept(run, "zrzyj")],
        note="请提供立项批复及附件")
    steps = ready_steps(run, rid)
    assert [(s, d) for s, d, _ in steps] == [("body_answer", "zjj"), ("body_answer", "zrzyj")]
    assert all(due == date(2026, 10, 19) for _, _, due in steps)  # 5 working days (规程 art. 8)
    with pytest.raises(PermissionDenied):
        act(run, rid, gk.body_answer, "ws002", proposed_type="disclosed", opinion="x")
    act(run, rid, gk.body_answer, "zj002", proposed_type="partial", opinion="批复可公开，附件含企业商业秘密")
    act(run, rid, gk.body_answer, "zr002", proposed_type="disclosed", opinion="用地预审意见可公开")
    assert [s for s, _, _ in ready_steps(run, rid)] == ["secrecy"]
    at("2026-10-13")
    act(run, rid, gk.secrecy_review, "zf003", opinion="不涉及国家秘密")
    # third party consulted on 10-14, answers on 10-21: 5 working days not counted (art. 33)
    at("2026-10-14")
    act(run, rid, gk.consult, "zf002", party="阳光县某建设公司", matter="附件中的投标报价是否同意公开")
    assert case_of(run, rid)[4] == "consultation"
    at("2026-10-21")
    act(run, rid, gk.record_reply, "zf002", outcome="objected", reply="报价属于商业秘密，不同意公开")
    assert case_of(run, rid)[0] == date(2026, 11, 12)  # 10-15…10-21: 5 working days added
    at("2026-10-22")
    with pytest.raises(InvalidInput):
        act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="partial", disclosed_items="立项批复"))
    act(run, rid, gk.draft, "zf002", answer=gk.Answer(
        answer_type="partial", disclosed_items="立项批复文件", ground="third_party",
        ground_detail="附件中的投标报价属于第三方商业秘密，第三方不同意公开", answer_text="现将立项批复文件提供给你。"))
    assert [(s, d) for s, d, _ in ready_steps(run, rid)] == [("comment", "zjj"), ("comment", "zrzyj")]
    act(run, rid, gk.comment, "zj002", agrees=True)
    act(run, rid, gk.comment, "zr002", agrees=True, text="同意")
    act(run, rid, gk.approve, "zf004", approved=True)
    act(run, rid, gk.deliver, "zf001", method="email")
    deadline, state, result, _, _ = case_of(run, rid)
    assert state == "finished" and result == "已答复"
    summary = run(lambda s: gk.answer_summary(s.get(InfoRequest, rid)))
    assert "部分公开" in summary and "第十五条" in summary


def test_direct_answer_only_for_types_that_disclose_nothing(run, database, frozen_clock):
    rid, _, _ = file(run)
    act(run, rid, gk.review, "zf002", route="direct")
    with pytest.raises(InvalidInput, match="保密审查"):
        act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="disclosed", disclosed_items="x"))
    with pytest.raises(InvalidInput):
        act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="not_ours"))
    act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="not_ours", competent_body="阳光县发展和改革局",
                                                      competent_contact="0883-6120200"))
    act(run, rid, gk.approve, "zf004", approved=True)
    act(run, rid, gk.deliver, "zf001", method="email")
    assert case_of(run, rid)[1] == "finished"


def test_generic_completion_is_refused(run, database, frozen_clock):
    from engine.service.tasks import complete_task
    rid, _, _ = file(run)
    task_id = run(lambda s: s.scalars(select(CaseTask.id).where(CaseTask.case_id == s.get(InfoRequest, rid).case_id)).one())
    with pytest.raises(InvalidState):
        run(lambda s, a: complete_task(s, task_id, a, data={"route": "direct"}), As("zf002"))


def test_proactive_publication_15_days_and_versions(run, database, frozen_clock):
    zjj = dept(run, "zjj")

    def draft(s, actor):
        e = publish.start(s, actor, publish.Drafting(
            department_id=zjj, title="阳光县2026年老旧小区改造计划", category="03", theme="09",
            written_on="2026-09-25", body="正文……", doc_kind="normative", doc_number="阳建发〔2026〕8号"))
        return e.id
    eid = run(draft, As("zj002"))
    assert run(lambda s: s.get(InfoEntry, eid).case.deadline) == date(2026, 10, 22)  # 15 working days from 09-25 (seed 001 制度 art. 12)
    d = lambda s, eid=eid: s.get(InfoEntry, eid)  # noqa: E731
    run(lambda s, a: publish.submit(s, d(s), a, publish.Drafting(
        department_id=None, title="阳光县2026年老旧小区改造计划", category="03", theme="09", written_on="2026-09-25",
        body="正文……", doc_kind="normative", doc_number="阳建发〔2026〕8号")), As("zj002"))
    run(lambda s, a: publish.review_secrecy(s, d(s), a, may_publish=True, opinion="不涉密"), As("zj004"))
    run(lambda s, a: publish.decide(s, d(s), a, approved=True), As("zj003"))
    entry = run(lambda s: (d(s).state, d(s).index_no, d(s).current))
    assert entry[0] == "published" and entry[2] and entry[1].endswith("-03-2026-00001")



def _to_draft(run, rid):
    act(run, rid, gk.review, "zf002", route="assign", body_ids=[dept(run, "zjj")], note="请提供")
    act(run, rid, gk.body_answer, "zj002", proposed_type="disclosed", opinion="可以公开")
    act(run, rid, gk.secrecy_review, "zf003", opinion="不涉密")


def test_a_fee_is_notified_in_writing_and_its_time_is_not_counted(run, database, frozen_clock):
    """《政府信息公开信息处理费管理办法》: beyond 30 pages a fee (10 元/页 for pages 31–100); from the notice to
    the payment the period does not run; the notice is a document the applicant receives."""
    from forms.documents import documents_of
    rid, _, _ = file(run)
    _to_draft(run, rid)
    with pytest.raises(InvalidState, match="无需收费"):
        act(run, rid, gk.notify_fee, "zf002", pages=30)
    at("2026-10-12")
    act(run, rid, gk.notify_fee, "zf002", pages=40, fee_waived="20", fee_basis="申请人为低保户，申请减免")
    assert case_of(run, rid)[4] == "fee"
    assert run(lambda s: (s.get(InfoRequest, rid).fee, s.get(InfoRequest, rid).fee_waived)) == (100, 20)
    with pytest.raises(InvalidState):
        act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="disclosed", disclosed_items="批复"))
    at("2026-10-16")  # paid after 4 working days (10-13 … 10-16): the deadline moves on by 4
    act(run, rid, gk.record_payment, "zf002")
    assert case_of(run, rid)[0] == date(2026, 11, 5)
    act(run, rid, gk.draft, "zf002", answer=gk.Answer(answer_type="disclosed", disclosed_items="批复", pages=5))
    assert run(lambda s: s.get(InfoRequest, rid).fee) == 100  # the notified fee stands
    kinds = run(lambda s: [d.kind for d in documents_of(s, s.get(InfoRequest, rid).case_id)])
    assert "info_fee_notice" in kinds


def test_an_unpaid_fee_ends_the_request(run, database, frozen_clock):
    from engine.disclosure import flow
    rid, _, _ = file(run)
    _to_draft(run, rid)
    act(run, rid, gk.notify_fee, "zf002", pages=120)  # 70 × 10 + 20 × 20 = 1100 元
    assert run(lambda s: s.get(InfoRequest, rid).fee) == 1100
    at("2026-10-30")  # due 10-30 (20 working days after 09-28): not yet over
    flow.tick(database)
    assert case_of(run, rid)[1] == "accepted"  # the review step accepted it
    at("2026-10-31")
    flow.tick(database)
    _, state, result, _, _ = case_of(run, rid)
    assert state == "withdrawn" and result == gk.FEE_LAPSED


def test_twenty_more_working_days_with_the_office_head_s_consent_art_33(run, database, frozen_clock):
    """条例 art. 33(2): +20 working days at most, with the consent of the disclosure office's head."""
    from engine.models import User
    from engine.service import operations
    rid, _, _ = file(run)
    case_id = run(lambda s: s.get(InfoRequest, rid).case_id)
    head = run(lambda s: s.scalars(select(User.id).where(User.staff_no == "zf004")).one())
    with pytest.raises(InvalidInput, match="20"):
        run(operations.request_extension, case_id, As("zf002"), 21, head, "需要调取档案")
    ext = run(lambda s, a: operations.request_extension(s, case_id, a, 20, head, "需要调取档案").id, As("zf002"))
    assert case_of(run, rid)[0] == date(2026, 10, 30)  # nothing moves before the head consents
    run(operations.decide_extension, ext, As("zf004"), True)
    assert case_of(run, rid)[0] == date(2026, 11, 27)  # 20 more working days: 11-02 … 11-27


def test_the_bodies_answers_finish_the_step_whichever_process_loads_the_case(run, database, frozen_clock):
    """Each body's answer may reach another worker process, with the flow chart parsed afresh."""
    from engine import runtime

    def forget():
        runtime.live_workflows.clear()
        runtime.spec_cache._items.clear()
    rid, _, _ = file(run)
    act(run, rid, gk.review, "zf002", route="assign", body_ids=[dept(run, "zjj"), dept(run, "zrzyj")], note="请提供")
    forget()
    act(run, rid, gk.body_answer, "zj002", proposed_type="disclosed", opinion="可以公开")
    forget()
    act(run, rid, gk.body_answer, "zr002", proposed_type="disclosed", opinion="可以公开")
    assert [s for s, _, _ in ready_steps(run, rid)] == ["secrecy"]
