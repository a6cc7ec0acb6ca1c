"""在线解答 (云南省政务信息查询在线解答管理办法): the flow, each department's clock against the 2026
calendar, who may do what, reading with the 查询码, complaints' periods and the notifications.

The dates are counted by hand from the State Council's 2026 arrangement: 10-01…10-07 are holidays,
10-10 (Saturday) is a make-up working day. Asked on Monday 2026-09-28, the working days after it are
09-29, 09-30, 10-08, 10-09, 10-10 (5), 10-12 … 10-16 (10), 10-19 … 10-23 (15), 10-26 … 10-30 (20)."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest
from sqlalchemy import delete, select

from engine import clock, search
from engine.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.models import CaseTask, Department, FaqCategory, Notification, Question
from engine.qa import service as qa
from engine.qa import turns
from rules import complaints
from rules.models import Alert

from .conftest import As

ASKED = "2026-09-28"


def at(day: str, hour: int = 10) -> None:
    clock.travel(datetime.fromisoformat(day).replace(hour=hour, tzinfo=clock.LOCAL_TZ))


def dept(run, code: str) -> int:
    return run(lambda s: s.scalars(select(Department.id).where(Department.code == code)).one())


def category(run) -> int:
    return run(lambda s: s.scalars(select(FaqCategory.id).order_by(FaqCategory.id)).first()
               or _add_category(s))


def _add_category(s) -> int:
    c = FaqCategory(name="测试分类", position=99)
    s.add(c)
    s.flush()
    return c.id


def ask(run, department: str | None = "scjgj", *, consent=True, email=None, title="开饭店要办什么证"):
    dept_id = dept(run, department) if department else None

    def go(s):
        q, code = qa.ask(s, qa.Asking(title=title, content="我想在县城开一家小饭店，需要办理哪些证照？", name="王小明",
                                      phone="13800001111", email=email, consent_public=consent,
                                      department_id=dept_id))
        return q.id, q.number, code
    return go and run(go)


def question(s, qid) -> Question:
    return s.get(Question, qid)


def act(run, qid, fn, who, **kw):
    return run(lambda s, actor: fn(s, question(s, qid), actor, **kw), As(who))


def explain(run, qid, turn_id, who, text):
    return run(lambda s, actor: qa.explain_late(s, question(s, qid), turn_id, actor, text), As(who))


def turn_rows(run, qid):
    return run(lambda s: [(t.department.code, t.kind, t.limit_days, t.due_date, t.outcome, t.late)
                          for t in question(s, qid).turns])


def ready(run, qid):
    return run(lambda s: [(t.step_id, t.due_date, t.period_start) for t in s.scalars(
        select(CaseTask).where(CaseTask.case_id == question(s, qid).case_id, CaseTask.state == "ready"))])


# --- the limits against the calendar (art. 7) ------------------------------------------------------

def test_an_ordinary_question_is_due_in_five_working_days_across_the_national_day(run, frozen_clock):
    qid, number, code = ask(run)
    assert turn_rows(run, qid) == [("scjgj", "answer", 5, date(2026, 10, 10), None, False)]
    assert ready(run, qid) == [("handle", date(2026, 10, 10), date(2026, 9, 28))]


def test_important_or_complex_is_ten_and_the_heads_extension_twenty(run, frozen_clock):
    qid, *_ = ask(run)
    act(run, qid, qa.mark_complex, "sc003", reason="涉及食品经营许可和营业执照两项许可，需会商")
    assert turn_rows(run, qid)[0][2:4] == (10, date(2026, 10, 16))
    assert ready(run, qid)[0][1] == date(2026, 10, 16)
    with pytest.raises(PermissionDenied, match="负责人"):
        act(run, qid, qa.extend, "sc003", reason="情况特殊")
    act(run, qid, qa.extend, "sc006", reason="需实地核查经营场所")
    assert turn_rows(run, qid)[0][2:4] == (20, date(2026, 10, 30))
    with pytest.raises(InvalidState, match="已经延长过"):
        act(run, qid, qa.extend, "sc006", reason="再次延长")


def test_every_step_of_a_turn_is_due_when_the_turn_is(run, frozen_clock):
    """The review begun days later keeps the department's date: the clock runs from the question's
    arrival, not from each step."""
    qid, *_ = ask(run)
    cat = category(run)
    at("2026-10-08")
    act(run, qid, qa.answer, "sc003", text="需办理营业执照和食品经营许可证。", public=True, category_id=cat)
    assert ready(run, qid) == [("review", date(2026, 10, 10), date(2026, 9, 28))]


def test_a_question_for_no_clear_department_has_five_days_at_the_government_office_then_five_at_the_department(
        run, frozen_clock):
    qid, *_ = ask(run, None)
    assert turn_rows(run, qid) == [("zfb", "dispatch", 5, date(2026, 10, 10), None, False)]
    at("2026-10-09")
    with pytest.raises(InvalidInput, match="转发理由"):
        act(run, qid, qa.dispatch, "zf002", department_id=dept(run, "scjgj"), reason=" ")
    act(run, qid, qa.dispatch, "zf002", department_id=dept(run, "scjgj"), reason="开办餐饮涉及食品经营许可，属市场监管职责")
    act(run, qid, qa.review, "zf003", approved=True)
    rows = turn_rows(run, qid)
    assert rows[0] == ("zfb", "dispatch", 5, date(2026, 10, 10), "dispatched", False)
    # arrived at 市场监管 on 10-09: 10-10, 10-12, 10-13, 10-14, 10-15
    assert rows[1] == ("scjgj", "answer", 5, date(2026, 10, 15), None, False)
    assert run(lambda s: question(s, qid).state) == "forwarded"


def test_a_wrong_department_forwards_with_a_reviewed_reason_and_each_level_has_five_days(run, frozen_clock):
    qid, *_ = ask(run, "wsjkj")
    at("2026-09-30")
    act(run, qid, qa.forward, "ws002", reason="餐饮经营许可不属本局职责")
    assert turn_rows(run, qid) == [("wsjkj", "answer", 5, date(2026, 10, 10), None, False)]  # not yet reviewed
    act(run, qid, qa.review, "ws003", approved=True)
    rows = turn_rows(run, qid)
    assert rows[0][4] == "forwarded"
    # the 政府办 from 09-30: 10-08, 10-09, 10-10, 10-12, 10-13
    assert rows[1] == ("zfb", "dispatch", 5, date(2026, 10, 13), None, False)
    staff = run(lambda s: [line.detail for line in qa.timeline(question(s, qid), staff=True)])
    public = run(lambda s: [line.detail for line in qa.timeline(question(s, qid))])
    assert "理由：餐饮经营许可不属本局职责" in staff and not any("餐饮经营许可不属本局职责" in d for d in public)


def test_a_refused_forwarding_returns_to_the_department_and_its_clock_runs_on(run, frozen_clock):
    qid, *_ = ask(run, "wsjkj")
    act(run, qid, qa.forward, "ws002", reason="不属本局职责")
    with pytest.raises(InvalidInput, match="退回理由"):
        act(run, qid, qa.review, "ws003", approved=False)
    act(run, qid, qa.review, "ws003", approved=False, reason="公共场所卫生许可属本局，应由本局答复")
    assert turn_rows(run, qid) == [("wsjkj", "answer", 5, date(2026, 10, 10), None, False)]
    assert ready(run, qid) == [("handle", date(2026, 10, 10), date(2026, 9, 28))]


def test_a_joint_question_gives_each_department_its_own_clock_and_marks_the_late_one(run, frozen_clock):
    qid, *_ = ask(run)
    cat = category(run)
    at("2026-09-29")
    act(run, qid, qa.answer, "sc003", text="营业执照和食品经营许可证由本局办理。", public=True, category_id=cat,
        next_department_id=dept(run, "wsjkj"), pass_reason="从业人员健康证明由卫生健康部门答复")
    at("2026-09-30")
    act(run, qid, qa.review, "sc005", approved=True)
    rows = turn_rows(run, qid)
    assert rows[0] == ("scjgj", "answer", 5, date(2026, 10, 10), "passed", False)
    assert rows[1] == ("wsjkj", "answer", 5, date(2026, 10, 13), None, False)  # from 09-30
    assert run(lambda s: question(s, qid).state) == "answered"
    at("2026-10-14")
    act(run, qid, qa.answer, "ws002", text="从业人员须取得健康证明。", public=True, category_id=cat)
    act(run, qid, qa.review, "ws003", approved=True)
    rows = turn_rows(run, qid)
    assert rows[1] == ("wsjkj", "answer", 5, date(2026, 10, 13), "answered", True)
    q = run(lambda s: (question(s, qid).state, question(s, qid).public, [t.answer for t in qa.replies(question(s, qid))]))
    assert q == ("closed", True, ["营业执照和食品经营许可证由本局办理。", "从业人员须取得健康证明。"])
    # art. 7: the late department explains publicly
    late_turn = run(lambda s: question(s, qid).turns[1].id)
    with pytest.raises(PermissionDenied):
        explain(run, qid, late_turn, "sc003", "不是本局")
    explain(run, qid, late_turn, "ws003", "国庆假期后需核实健康证明办理点，答复晚一日")
    early_turn = run(lambda s: question(s, qid).turns[0].id)
    with pytest.raises(InvalidState, match="按期"):
        explain(run, qid, early_turn, "sc003", "无")
    assert run(lambda s: [t.explanation for t in qa.explanations(question(s, qid))]) == \
        ["国庆假期后需核实健康证明办理点，答复晚一日"]


def test_the_rules_watch_a_turn_by_its_due_date(run, database, frozen_clock):
    """A002 (step overdue) fires on the turn's date even for a step begun later."""
    from engine.scheduler import tick

    qid, *_ = ask(run)
    cat = category(run)
    at("2026-10-09")
    act(run, qid, qa.answer, "sc003", text="需办理营业执照和食品经营许可证。", public=True, category_id=cat)
    at("2026-10-12", 9)  # the review's own 5 days would run to 10-16; the turn's ended on 10-10
    tick(database)
    alerts = run(lambda s: [(a.rule_code, a.step_id) for a in s.scalars(
        select(Alert).where(Alert.case_id == question(s, qid).case_id))])
    assert ("A002", "review") in alerts


# --- who may do what -------------------------------------------------------------------------------

def test_only_the_department_holding_the_step_works_it(run, frozen_clock):
    qid, *_ = ask(run)
    cat = category(run)
    for who in ("ws002", "zf002", "sc005", "jw001"):  # another department, the 政府办, a reviewer, a supervisor
        with pytest.raises(PermissionDenied):
            act(run, qid, qa.answer, who, text="答复", public=True, category_id=cat)
    with pytest.raises(PermissionDenied):
        act(run, qid, qa.dispatch, "zf002", department_id=dept(run, "wsjkj"), reason="改派")
    act(run, qid, qa.answer, "sc003", text="答复", public=True, category_id=cat)
    with pytest.raises(PermissionDenied):
        act(run, qid, qa.review, "sc003", approved=True)  # the handler does not review his own reply
    with pytest.raises(PermissionDenied):
        act(run, qid, qa.mark_complex, "ws002", reason="不是本部门")
    assert run(lambda s, a: qa.may_read(s, question(s, qid), a), As("ws002")) is False
    assert run(lambda s, a: qa.may_read(s, question(s, qid), a), As("jw001")) is True


def test_what_an_answer_must_say(run, frozen_clock):
    qid, *_ = ask(run, consent=False)
    with pytest.raises(InvalidInput) as exc:
        act(run, qid, qa.answer, "sc003", text=" ", public=True, category_id=None,
            next_department_id=dept(run, "scjgj"), pass_reason="")
    assert set(exc.value.details["errors"]) == {"answer", "category_id", "public", "next_department_id"}
    assert "不同意公开" in exc.value.details["errors"]["public"]


def test_asking_checks_every_field_at_once(run, frozen_clock):
    with pytest.raises(InvalidInput) as exc:
        run(lambda s: qa.ask(s, qa.Asking(title="", content="x" * 2001, name="王\x00", phone="1234",
                                          email="not-an-email", consent_public="yes", department_id=99999)))
    assert set(exc.value.details["errors"]) == {"title", "content", "name", "phone", "email", "consent_public", "department_id"}
    assert all("\u4e00" <= m[0] <= "\u9fff" or m[0] in "第联" for m in exc.value.details["errors"].values())
    with pytest.raises(InvalidInput, match="至少留下"):
        run(lambda s: qa.ask(s, qa.Asking(title="问", content="内容", name="王", consent_public=False)))
    with pytest.raises(InvalidInput, match="网上"):  # staff register other channels signed in
        run(lambda s: qa.ask(s, qa.Asking(title="问", content="内容", name="王", phone="13800001111", channel="phone")))


def test_staff_register_a_question_from_the_96128_line(run, frozen_clock):
    rsj = dept(run, "rsj")
    question_id = run(lambda s, a: qa.ask(s, qa.Asking(
        title="社保卡补办", content="社保卡丢了怎么补办？", name="李阿姨", phone="0883-6120333", channel="phone",
        department_id=rsj), a)[0].id, As("zf001"))
    row = run(lambda s: (question(s, question_id).channel, question(s, question_id).registered_by_id is not None))
    assert row == ("phone", True)


# --- reading: public, or with the 查询码 (art. 6) ---------------------------------------------------

def _close(run, qid, public=True):
    cat = category(run)
    act(run, qid, qa.answer, "sc003", text="需办理营业执照和食品经营许可证。", public=public, category_id=cat)
    act(run, qid, qa.review, "sc005", approved=True)


def test_a_published_answer_is_public_and_searchable_a_private_one_only_with_its_code(run, frozen_clock):
    qid, number, code = ask(run)
    with pytest.raises(NotFound):
        run(lambda s: qa.public_question(s, number))  # not answered yet
    _close(run, qid)
    assert run(lambda s: qa.public_question(s, number).id) == qid
    hits = run(lambda s: [h.url for h in search.query(s, "开饭店 营业执照").hits])
    assert f"/questions/{number}" in hits

    pid, pnumber, pcode = ask(run, consent=False, title="个人信用记录查询")
    _close(run, pid, public=False)
    with pytest.raises(NotFound, match="查询码"):
        run(lambda s: qa.public_question(s, pnumber))
    assert run(lambda s: qa.find_by_code(s, pnumber, pcode.lower()).id) == pid
    for wrong in ((pnumber, code), (pnumber.replace("0", "9", 1), pcode), ("ZX", pcode)):
        with pytest.raises(NotFound) as exc:
            run(lambda s, w=wrong: qa.find_by_code(s, *w))
        assert exc.value.message in (qa.NOT_FOUND, "请输入咨询编号和查询码。")
    assert f"/questions/{pnumber}" not in run(lambda s: [h.url for h in search.query(s, "个人信用记录").hits])


def test_the_asker_is_told_after_commit_and_never_for_a_rolled_back_command(run, database, frozen_clock, caplog):
    qid, number, _ = ask(run, email="wang@example.com")
    caplog.set_level(logging.INFO, logger="sunhall.notify")
    _close(run, qid)
    sent = run(lambda s: [(n.channel, n.recipient, n.state) for n in s.scalars(
        select(Notification).where(Notification.ref == f"question:{number}"))])
    assert sorted(sent) == [("email", "wang@example.com", "sent"), ("sms", "13800001111", "sent")]
    assert number in caplog.text
    with pytest.raises(RuntimeError), database.transaction() as s:
        from engine import notify
        notify.queue(s, phone="13900000000", email=None, subject="x", body="y", ref="question:rollback")
        raise RuntimeError("rolled back")
    assert run(lambda s: s.scalars(select(Notification).where(Notification.ref == "question:rollback")).all()) == []


# --- complaints (art. 7–8) -------------------------------------------------------------------------

def test_a_complaint_with_the_question_code_is_due_in_fifteen_working_days_thirty_with_approval(run, frozen_clock):
    qid, number, code = ask(run)
    _close(run, qid)
    with pytest.raises(InvalidInput, match="查询码"):
        run(lambda s: complaints.file_online(s, complaints.Filing(
            complainant="王小明", contact="13800001111", content="答复太简单", question_number=number,
            question_code="WRONGCODE2")))
    cid, tcode = run(lambda s: (lambda c: (c[0].id, c[1]))(complaints.file_online(s, complaints.Filing(
        complainant="王小明", contact="13800001111", content="答复没有说明食品经营许可要哪些材料",
        question_number=number, question_code=code))))
    row = run(lambda s: (lambda c: (c.accept_due, c.handle_due, c.department_id, c.question_id))(
        s.get(complaints.Complaint, cid)))
    assert row == (date(2026, 10, 10), date(2026, 10, 23), dept(run, "scjgj"), qid)
    run(lambda s, a: complaints.accept(s, cid, a), As("jw001"))
    run(lambda s, a: complaints.extend(s, cid, a, s.scalars(select(complaints.User.id).where(
        complaints.User.staff_no == "jw003")).one()), As("jw001"))
    assert run(lambda s: s.get(complaints.Complaint, cid).handle_due) == date(2026, 11, 13)
    run(lambda s, a: complaints.answer(s, cid, a, "已责成市场监管局补充答复材料清单。"), As("jw001"))
    found = run(lambda s: complaints.find_by_code(s, s.get(complaints.Complaint, cid).number, tcode.lower()))
    assert found.answer == "已责成市场监管局补充答复材料清单。"
    assert run(lambda s: [c.id for c in complaints.about_question(s, question(s, qid))]) == [cid]


def test_a_complaint_about_a_case_needs_its_certificate_number_one_about_a_department_needs_nothing_more(
        run, frozen_clock):
    with pytest.raises(InvalidInput):
        run(lambda s: complaints.file_online(s, complaints.Filing(
            complainant="张三", contact="13800000000", content="窗口态度差", case_number="530930202609280001",
            cert_number="11010519491231002X")))
    with pytest.raises(InvalidInput) as exc:
        run(lambda s: complaints.file_online(s, complaints.Filing(complainant="", contact="", content="")))
    assert set(exc.value.details["errors"]) == {"complainant", "contact", "content", "department_id"}
    c = run(lambda s: complaints.file_online(s, complaints.Filing(
        complainant="张三", contact="zhang@example.com", content="窗口人员态度差", department_id=dept(run, "zjj")))[0].number)
    assert c.startswith("TS20260928")


def test_the_turn_clock_is_in_the_law_module_not_in_the_chart():
    assert (turns.ORDINARY_DAYS, turns.COMPLEX_DAYS, turns.EXTENDED_DAYS, turns.DISPATCH_DAYS) == (5, 10, 20, 5)
    assert "第七条" in turns.ARTICLE


@pytest.fixture
def no_2027(database):
    from engine import calendar as workcal
    from engine.models import CalendarDay, CalendarYear

    yield workcal
    with database.transaction() as s:
        s.execute(delete(CalendarDay).where(CalendarDay.day >= date(2027, 1, 1)))
        s.execute(delete(CalendarYear).where(CalendarYear.year == 2027))
    workcal.invalidate_cache()


def test_a_turn_into_a_year_not_entered_is_provisional_until_the_notice_then_definite(run, database, no_2027):
    """Asked on Monday 2026-12-28: 12-29, 12-30, 12-31, (元旦) 1-4, 1-5 by the statutory holidays;
    the notice that also gives 1-4 off and makes Saturday 1-9 a working day moves it to 1-6."""
    from engine.service.deadlines import recompute_all

    with clock.frozen(datetime(2026, 12, 28, 9, 0, tzinfo=clock.LOCAL_TZ)):
        qid, number, _ = ask(run)
    rows = run(lambda s: [(t.due_date, t.due_provisional) for t in question(s, qid).turns])
    assert rows[0][0] == date(2027, 1, 5) and "2027" in rows[0][1]
    assert ready(run, qid)[0][1] == date(2027, 1, 5)
    with database.transaction() as s:
        no_2027.declare_year(s, 2027, {date(2027, 1, d): "元旦" for d in (1, 2, 3, 4)}, [date(2027, 1, 9)])
        moves = recompute_all(s)
    assert (number, "咨询答复期限", date(2027, 1, 5), date(2027, 1, 6)) in [
        (m.case_number, m.what, m.before, m.after) for m in moves]
    assert run(lambda s: [(t.due_date, t.due_provisional) for t in question(s, qid).turns]) == [(date(2027, 1, 6), None)]
    assert ready(run, qid)[0][1] == date(2027, 1, 6)


def test_the_generic_case_commands_cannot_work_a_question(run, frozen_clock):
    """Each step writes what the flow routes on: 办理答复 completed as an ordinary step would leave the
    question with no answer, category or publication decision."""
    from engine.service.tasks import complete_task, return_to_step

    qid, *_ = ask(run)
    task_id = run(lambda s: s.scalars(select(CaseTask.id).where(
        CaseTask.case_id == question(s, qid).case_id, CaseTask.state == "ready")).one())
    with pytest.raises(InvalidState, match="咨询办理页面"):
        run(lambda s, a: complete_task(s, task_id, a, approved=True), As("sc003"))
    with pytest.raises((InvalidState, PermissionDenied)):
        run(lambda s, a: return_to_step(s, task_id, a, "handle", "退回"), As("sc003"))
    assert ready(run, qid)[0][0] == "handle"


def test_nobody_reviews_their_own_reply(run, frozen_clock):
    qid, *_ = ask(run, "zjj")
    act(run, qid, qa.answer, "zj002", text="施工许可需提交以下材料……", public=True, category_id=category(run))
    with pytest.raises(PermissionDenied, match="另一名审核人员"):
        act(run, qid, qa.review, "zj002", approved=True)
    act(run, qid, qa.review, "zj004", approved=True)
    assert run(lambda s: question(s, qid).state) == "closed"


def test_once_a_turn_is_overdue_no_limit_can_make_it_on_time(run, frozen_clock):
    """The late answer stays late: 认定 and 延期 are for a turn that is still running (art. 7)."""
    qid, number, code = ask(run)
    at("2026-10-12")  # due on 10-10
    with pytest.raises(InvalidState, match="届满"):
        act(run, qid, qa.mark_complex, "sc003", reason="涉及多项许可")
    with pytest.raises(InvalidState, match="届满"):
        act(run, qid, qa.extend, "sc006", reason="情况特殊")
    # and the asker may complain about the late department before any answer (arts. 7, 8, 10)
    complaint = run(lambda s: complaints.file_online(s, complaints.Filing(
        complainant="王小明", contact="13800001111", content="超过期限仍未答复", question_number=number,
        question_code=code))[0].question_id)
    assert complaint == qid


def test_a_contact_must_reach_the_person(run, frozen_clock):
    for contact in ("12", "12345", "96128", "someone@"):
        with pytest.raises(InvalidInput) as exc:
            run(lambda s, c=contact: complaints.file_online(s, complaints.Filing(
                complainant="张三", contact=c, content="窗口态度差", department_id=dept(run, "zjj"))))
        assert "contact" in exc.value.details["errors"]
    with pytest.raises(InvalidInput, match="公共服务号码"):
        run(lambda s: qa.ask(s, qa.Asking(title="问", content="内容", name="王", phone="12345", consent_public=False)))
