"""网上申请 → 预审 → 受理 on the real engine: the 申请编号 and 查询码, 补正 online, the notices the
applicant receives, and 结果反馈 by number and certificate number."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.errors import InvalidInput, NotFound
from engine.models import Case, CaseEvent, CaseTask
from engine.service import Applicant, complete_task, reject, request_correction
from forms import materials, online
from forms.documents import documents_of

from .conftest import As

FOOD = "015309300002"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=clock.LOCAL_TZ)
# what the first step (受理) of 食品经营许可 writes: the applicant fills it in online
FORM = {"business_name": "阳光县好味道餐饮有限公司", "credit_code": "91530930MA6N8X0Q31", "legal_rep": "李四",
        "legal_rep_id": "11010519491231002X", "phone": "13912345678", "address": "阳光县城关镇阳光大道18号",
        "business_area": 120, "categories": ["热食类食品制售"]}


def _files(count: int, skip: int | None = None) -> dict:
    return {i: (f"材料{i}.pdf", io.BytesIO(PDF)) for i in range(count) if i != skip}


def _materials_count(database) -> int:
    with database.transaction(write=False) as s:
        return len(online.public_item_or_404(s, FOOD).current_version.materials)


def _apply(run, database, tmp_path, applicant, skip=None):
    count = _materials_count(database)
    case, code = run(lambda s: online.submit(s, FOOD, applicant, FORM, _files(count, skip),
                                             tmp_path))
    return case.id, case.application_number, case.number, code


def _accept_task(database, case_id) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()


def test_an_online_application_is_received_at_once_with_its_number_and_private_code(run, database, tmp_path, company):
    with clock.frozen(MONDAY):
        case_id, number, case_number, code = _apply(run, database, tmp_path, company)
    assert number.startswith("WS530930" + "20261102") and len(code) == online.CODE_LENGTH
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        assert case.channel == "web" and case.state == "received" and case.received_at == MONDAY
        assert case.query_code_hash != code and code not in case.query_code_hash  # only its digest is kept
        assert all(m.submitted and m.checked_by_id is None for m in materials.materials_of(s, case_id))
        first = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).first()
        assert first.action == "receive" and first.actor_name == "申请人（网上）" and first.detail["channel"] == "web"
        # the code opens it however it is typed; anything else gets one message that confirms nothing
        assert online.find_by_code(s, number.lower(), code.lower()).id == case_id
        assert online.find_by_code(s, f" {number} ", "－".join([code[:5], code[5:]])).id == case_id
        full = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})  # an input method's full width
        assert online.find_by_code(s, number.translate(full), code.translate(full)).id == case_id
        assert online.find_for_progress(s, case_number.translate(full), company.cert_number.translate(full)).id == case_id
        for bad_number, bad_code in [(number, "AAAAAAAAAA"), ("WS530930202611020999", code), ("", ""),
                                     (case_number, code), (number, code + "X"), (None, None)]:
            with pytest.raises(NotFound) as refused:
                online.find_by_code(s, bad_number, bad_code)
            expected = online.CASE_NUMBER_GIVEN if bad_number == case_number else \
                "请输入申请编号和查询码。" if not bad_number else online.NOT_FOUND
            assert refused.value.message == expected


def test_correction_online_then_acceptance_the_applicant_gets_each_notice(run, database, tmp_path, company):
    with clock.frozen(MONDAY):
        case_id, number, _, code = _apply(run, database, tmp_path, company, skip=1)
    with database.transaction(write=False) as s:
        missing = [m.name for m in materials.materials_of(s, case_id) if m.required and not m.submitted]
    assert len(missing) == 1
    with clock.frozen(MONDAY + timedelta(days=1)):
        run(request_correction, case_id, As("sc001"), missing)
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        assert [d.kind for d in online.documents_for_applicant(s, case)] == ["correction_notice"]
        pause = online.open_correction(s, case)
        assert online.still_missing(s, case, pause) == missing
        row = next(m for m in materials.materials_of(s, case_id) if m.name == missing[0])
    # a file that is not what it claims is refused and the 补正 stays open
    with clock.frozen(MONDAY + timedelta(days=2)):
        with pytest.raises(InvalidInput):
            run(lambda s: online.supply(s, s.get(Case, case_id), {f"material-{row.id}": ("x.pdf", io.BytesIO(b"MZ\x90"))}, tmp_path))
        run(lambda s: online.supply(s, s.get(Case, case_id), {f"material-{row.id}": ("补.pdf", io.BytesIO(PDF))}, tmp_path))
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        assert online.open_correction(s, case) is None and case.pause_kind is None
        supplied = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                     CaseEvent.action == "correction_supplied")).one()
        assert supplied.actor_name == "申请人（网上）"
    with clock.frozen(MONDAY + timedelta(days=3)):
        run(complete_task, _accept_task(database, case_id), As("sc001"), opinion="予以受理。", approved=True)
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        assert case.state == "accepted" and case.clock_basis == "acceptance" and case.deadline is not None
        kinds = [d.kind for d in online.documents_for_applicant(s, case)]
        assert kinds == ["correction_notice", "acceptance_notice"]
        # the notice tells the truth: 结果反馈 finds the case by its number and the certificate number
        assert online.find_for_progress(s, case.number, company.cert_number).id == case_id
        assert online.find_for_progress(s, number, company.cert_number.lower()).id == case_id
        with pytest.raises(NotFound):
            online.find_for_progress(s, case.number, "91530930MA6N8X0Q3X")
        with pytest.raises(NotFound):
            online.find_for_progress(s, case.number, "")


def test_refusal_at_pre_review_gives_the_decision_online(run, database, tmp_path, person):
    with clock.frozen(MONDAY):
        case_id, *_ = _apply(run, database, tmp_path, person)
        run(reject, case_id, As("sc001"), "经营场所位于居民住宅楼内，不符合设立条件")
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        assert case.state == "rejected"
        assert [d.kind for d in online.documents_for_applicant(s, case)] == ["rejection_decision"]


def test_acceptance_past_the_notice_period_counts_from_the_submission(run, database, tmp_path, company):
    """行政许可法 art. 32(四): no 补正 within five working days, accepted from receipt (the submission)."""
    with clock.frozen(MONDAY):
        case_id, *_ = _apply(run, database, tmp_path, company)
    with clock.frozen(MONDAY + timedelta(days=10)):
        run(complete_task, _accept_task(database, case_id), As("sc001"), opinion="予以受理。", approved=True)
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        assert case.clock_basis == "deemed_receipt" and case.clock_start == MONDAY.date()


def test_fields_that_repeat_the_applicant_are_filled_from_it(run, database, tmp_path, company):
    form = {k: v for k, v in FORM.items() if k not in ("credit_code", "phone")}
    count = _materials_count(database)
    case, _ = run(lambda s: online.submit(s, FOOD, company, form, _files(count), tmp_path))
    with database.transaction(write=False) as s:
        data = s.get(Case, case.id).data
    assert data["credit_code"] == company.cert_number and data["phone"] == company.phone


def test_a_bad_application_is_refused_whole_with_every_problem_by_field(run, database, tmp_path):
    bad = Applicant(name="", cert_type="111", cert_number="110105194912310021", phone="12")
    count = _materials_count(database)
    with pytest.raises(InvalidInput) as refused:
        run(lambda s: online.submit(s, FOOD, bad, {}, {count + 3: ("a.pdf", io.BytesIO(PDF))}, tmp_path))
    errors = refused.value.details["errors"]
    assert {"applicant.name", "applicant.cert_number", "applicant.phone", "materials", "business_name"} <= set(errors)
    with database.transaction(write=False) as s:
        assert s.scalars(select(Case).where(Case.channel == "web")).first() is None


def test_only_public_items_take_online_applications(run, tmp_path, company):
    for code in ("NOPE", "x" * 500, "995309300099"):
        with pytest.raises(NotFound):
            run(lambda s, c=code: online.submit(s, c, company, {}, {}, tmp_path))


def test_pre_review_has_its_time_limit_and_the_rules_watch_it(run, database, tmp_path, company, frozen_clock):
    """预审 is the first step (受理), five working days from the submission (行政许可法 art. 32): the
    rules warn before and raise the alarm after, like on every step."""
    from engine import scheduler
    from rules.models import Alert

    case_id, *_ = _apply(run, database, tmp_path, company)  # Monday 2026-09-28
    with database.transaction(write=False) as s:
        task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id)).one()
        assert task.step_name == "受理" and task.due_date.isoformat() == "2026-10-10"  # 国庆 does not count
    clock.travel(datetime(2026, 10, 12, 9, 0, tzinfo=clock.LOCAL_TZ))
    scheduler.tick(database)
    with database.transaction(write=False) as s:
        codes = {a.rule_code for a in s.scalars(select(Alert).where(Alert.case_id == case_id, Alert.state == "open"))}
    assert "A002" in codes  # 环节超期报警 on 预审


def test_the_decision_reaches_the_online_applicant(run, database, tmp_path, company, frozen_clock):
    """外网反馈: when the case ends, the decision the flow chart names is there to download."""
    from .helpers import do

    case_id, *_ = _apply(run, database, tmp_path, company)
    do(run, database, case_id, As("sc001"), "accept")
    do(run, database, case_id, As("sc003"), "review", data={"prepackaged_only": False})
    do(run, database, case_id, As("sc004"), "inspect", data={"inspectors": ["张伟", "刘洋"]})
    do(run, database, case_id, As("sc005"), "audit")
    do(run, database, case_id, As("sc006"), "decide")
    do(run, database, case_id, As("sc001"), "issue")
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        assert case.state == "finished" and case.result.startswith("准予")
        kinds = [d.kind for d in online.documents_for_applicant(s, case)]
    assert kinds == ["acceptance_notice", "grant_decision"]


def test_the_correction_notice_tells_the_online_applicant_where_to_answer(run, database, tmp_path, company):
    from docx import Document

    case_id, number, *_ = _apply(run, database, tmp_path, company, skip=1)
    with database.transaction(write=False) as s:
        missing = [m.name for m in materials.materials_of(s, case_id) if m.required and not m.submitted]
    run(request_correction, case_id, As("sc001"), missing)
    with database.transaction(write=False) as s:
        [notice] = documents_of(s, case_id)
    text = "".join(p.text for p in Document(notice.stored_path).paragraphs)
    assert f"凭申请编号 {number} 和查询码在“阳光县政务服务专栏”的“我的申请”中上传" in text and missing[0] in text


def test_a_step_of_no_days_begun_on_a_rest_day_is_due_on_the_next_working_day(database):
    """An online 即办件 sent on Sunday: its step (0 working days) is due on Monday, not on the Sunday."""
    from engine import legaltime
    from engine.calendar import load_calendar

    sunday = datetime(2026, 11, 29, 7, 54, tzinfo=clock.LOCAL_TZ)
    with database.transaction(write=False) as s:
        calendar = load_calendar(s)
    step = CaseTask(created_at=sunday, time_limit=0, limit_unit="workday")
    assert legaltime.task_due(calendar, step, [])[0].isoformat() == "2026-11-30"
    step = CaseTask(created_at=sunday + timedelta(days=1), time_limit=0, limit_unit="workday")
    assert legaltime.task_due(calendar, step, [])[0].isoformat() == "2026-11-30"  # a working day: that day


def test_the_public_explanation_of_a_deadline_names_no_staff():
    """结果反馈 explains the deadline without naming who approved an extension, and leaves out one
    still waiting for approval."""
    from datetime import date

    from engine.legaltime import Deadline, ExtensionLine

    approved = ExtensionLine(10, "需要组织专家评审", "杨帆", "approved", datetime(2026, 11, 20, 9, tzinfo=clock.LOCAL_TZ), False,
                             "workday")
    waiting = ExtensionLine(5, "再延", "杨帆", "requested", None, False)
    deadline = Deadline(date(2026, 12, 31), date(2026, 11, 2), "acceptance", 20, "workday", "第四十二条",
                        extensions=[approved, waiting])
    inside, outside = "\n".join(deadline.lines()), "\n".join(deadline.lines(public=True))
    assert "杨帆" in inside and "待" in inside
    assert "杨帆" not in outside and "再延" not in outside and "延期 10 个工作日：经批准于 2026-11-20 延长（需要组织专家评审）" in outside
