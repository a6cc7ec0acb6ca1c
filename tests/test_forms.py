"""The form registry: per-step permissions, validators, field history, materials, documents."""

from __future__ import annotations

import pytest
from docx import Document
from sqlalchemy import select

from engine.errors import CheckpointViolation, InvalidInput
from engine.models import Case, CaseEvent, CaseTask, Item, ProcessDefinition
from engine.service import Applicant, request_correction
from forms import documents, materials
from forms.intake import handle_instant, receive
from forms.models import CaseFact, CaseFieldChange, CaseMaterial
from forms.registry import get_form
from forms.service import step_form, submit_step

from .conftest import As
from .helpers import get_case, open_steps, task_id

FOOD, SHOP = "015309300002", "075309300001"
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def gb32100(first17: str) -> str:
    """GB 32100-2015 check character, written out from the standard (independent of engine code)."""
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    return first17 + USCC[(31 - sum(USCC.index(c) * w for c, w in zip(first17, weights)) % 31) % 31]


def gb11643(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


FOOD_APPLICATION = {
    "business_name": "阳光县好味道餐饮有限公司", "credit_code": "91530930MA6N8X0Q31", "legal_rep": "李四",
    "legal_rep_id": "11010519491231002X", "phone": "13912345678", "address": "阳光县城关镇人民路 8 号",
    "business_area": "120.5", "categories": ["热食类食品制售"],
}


@pytest.fixture
def food_case(run, database, frozen_clock, company):
    case = run(receive, FOOD, company, As("sc001"), received={1, 2, 3, 4})
    return case


def test_all_six_demo_items_have_forms_and_every_step_has_permissions(database):
    from engine.bpmn import SunhallUserTask
    from engine.service.common import specs_for

    demo = ("075309300001", "015309300002", "015309300003", "015309300004", "025309300005", "205309300006")
    with database.transaction(write=False) as s:
        for code in demo:
            version = s.scalars(select(Item).where(Item.code == code)).one().current_version
            definition = s.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == version.process_key)
                                   .order_by(ProcessDefinition.version.desc())).first()
            spec, _ = specs_for(s, definition.id)
            steps = [t for t in spec.task_specs.values() if isinstance(t, SunhallUserTask)]
            assert steps
            for step in steps:
                form = get_form(s, step.step.form_key)  # every step names a form that exists
                assert set(step.step.fields) <= set(form.names)  # and sets access only on its fields
            assert any("write" in t.step.fields.values() for t in steps)  # someone fills the form in


def test_each_step_sees_only_its_fields(run, database, food_case):
    with database.transaction(write=False) as s:
        case = s.get(Case, food_case.id)
        accept = s.get(CaseTask, task_id(database, food_case.id, "accept"))
        sf = step_form(s, case, accept)
        names = [f["name"] for f, _, _ in sf.visible({})]
        assert "legal_rep_id" in names and "license_no" not in names and "inspectors" not in names
        assert sf.access["business_name"] == "write"


def test_writing_a_read_only_field_is_refused_and_nothing_changes(run, database, food_case):
    run(submit_step, task_id(database, food_case.id, "accept"), As("sc001"), FOOD_APPLICATION, opinion="受理")
    before = get_case(database, food_case.id)
    review = task_id(database, food_case.id, "review")
    with pytest.raises(InvalidInput, match="经营者名称.*只读"):
        run(submit_step, review, As("sc003"), {"business_name": "改名", "prepackaged_only": True})
    with pytest.raises(InvalidInput, match="不可见"):
        run(submit_step, review, As("sc003"), {"license_no": "JY123", "prepackaged_only": True})
    after = get_case(database, food_case.id)
    assert (after.version, after.data, after.event_count) == (before.version, before.data, before.event_count)
    assert open_steps(database, food_case.id) == ["review"]


def test_wrong_check_digits_are_refused_naming_the_field(run, database, food_case):
    bad = dict(FOOD_APPLICATION, legal_rep_id="110105194912310021")
    with pytest.raises(InvalidInput, match="法定代表人身份证号码：校验码错误"):
        run(submit_step, task_id(database, food_case.id, "accept"), As("sc001"), bad)
    bad = dict(FOOD_APPLICATION, credit_code="91530930MA6N8X0Q32")
    with pytest.raises(InvalidInput, match="统一社会信用代码：校验码错误"):
        run(submit_step, task_id(database, food_case.id, "accept"), As("sc001"), bad)
    with pytest.raises(InvalidInput, match="联系电话"):
        run(submit_step, task_id(database, food_case.id, "accept"), As("sc001"), dict(FOOD_APPLICATION, phone="12"))


def test_letter_credit_codes_and_hong_kong_residence_permits_are_accepted(run, database, food_case):
    letter_code = gb32100("Y1530930MA6N8X0Q3")
    hk_permit = gb11643("81000019900101002")
    data = dict(FOOD_APPLICATION, credit_code=letter_code, legal_rep_id=hk_permit)
    run(submit_step, task_id(database, food_case.id, "accept"), As("sc001"), data)
    case = get_case(database, food_case.id)
    assert case.data["credit_code"] == letter_code and case.data["legal_rep_id"] == hk_permit
    applicant = Applicant(name="陈大文", cert_type="516", cert_number="H12345678")
    other = run(receive, FOOD, applicant, As("sc001"))
    assert other.cert_number == "H12345678"


def test_field_history_and_countable_facts(run, database, food_case):
    run(submit_step, task_id(database, food_case.id, "accept"), As("sc001"), FOOD_APPLICATION)
    run(submit_step, task_id(database, food_case.id, "review"), As("sc003"), {"prepackaged_only": False})
    run(submit_step, task_id(database, food_case.id, "inspect"), As("sc004"),
        {"business_area": 118, "inspection_result": "符合要求",
         "inspectors": [{"name": "张伟", "cert_no": "53093001"}, {"name": "刘洋", "cert_no": "53093002"}]})
    with database.transaction(write=False) as s:
        changes = [(c.field, c.old, c.new) for c in s.scalars(select(CaseFieldChange).where(
            CaseFieldChange.case_id == food_case.id).order_by(CaseFieldChange.id))]
        fact = s.scalars(select(CaseFact).where(CaseFact.case_id == food_case.id, CaseFact.field == "business_area")).one()
    assert ("business_area", None, 120.5) in changes and ("business_area", 120.5, 118) in changes
    assert float(fact.value) == 118.0


def test_inspection_needs_two_inspectors(run, database, food_case):
    run(submit_step, task_id(database, food_case.id, "accept"), As("sc001"), FOOD_APPLICATION)
    run(submit_step, task_id(database, food_case.id, "review"), As("sc003"), {"prepackaged_only": False})
    with pytest.raises(InvalidInput, match="核查人员：至少需要 2 项"):
        run(submit_step, task_id(database, food_case.id, "inspect"), As("sc004"),
            {"inspectors": [{"name": "张伟", "cert_no": "1"}], "inspection_result": "符合"})


def test_acceptance_waits_for_required_materials(run, database, frozen_clock, company, tmp_path):
    case = run(receive, FOOD, company, As("sc001"), received={1, 2})
    accept = task_id(database, case.id, "accept")
    with pytest.raises(CheckpointViolation, match="缺少：经营场所平面图和设备布局图、食品安全自查"):
        run(submit_step, accept, As("sc001"), FOOD_APPLICATION)
    with database.transaction(write=False) as s:
        lacking = materials.missing(s, case.id)
    run(request_correction, case.id, As("sc001"), lacking)
    with database.transaction(write=False) as s:
        rows = materials.materials_of(s, case.id)
    with pytest.raises(InvalidInput, match="内容与扩展名"):
        run(materials.attach, rows[2].id, "平面图.pdf", b"not a pdf", As("sc001"), tmp_path)
    with pytest.raises(InvalidInput, match="文件类型不允许"):
        run(materials.attach, rows[2].id, "平面图.exe", b"MZ", As("sc001"), tmp_path)
    run(materials.attach, rows[2].id, "平面图.pdf", b"%PDF-1.7 test", As("sc001"), tmp_path)
    run(materials.attach, rows[3].id, "制度.png", b"\x89PNG\r\n\x1a\nxx", As("sc001"), tmp_path)
    with database.transaction(write=False) as s:
        stored = s.get(CaseMaterial, rows[2].id)
        assert stored.sha256 and (tmp_path / str(case.id) / f"{stored.sha256}.pdf").exists()
        assert materials.missing(s, case.id) == []


def test_instant_case_through_forms_and_documents_read_back(run, database, frozen_clock, person, tmp_path):
    data = {"operator_name": "张三", "operator_id": "11010519491231002X", "phone": "13800000000",
            "address": "阳光县城关镇", "business_scope": "小吃服务", "form_of_organisation": "个人经营",
            "capital": "50000", "employees": "2", "business_name": "张三小吃店", "license_no": "92530930MA6N8X0Q3X"}
    case = run(handle_instant, SHOP, person, As("sc001"), data, received={1, 2, 3})
    assert get_case(database, case.id).state == "finished"
    grant = run(documents.produce, get_case(database, case.id), "grant_decision", As("sc001"), tmp_path)
    text = "\n".join(p.text for p in Document(grant.stored_path).paragraphs)
    # a registration is notified (准予个体工商户设立登记通知书), not decided as a licence
    assert "准予个体工商户设立登记通知书" in text and "张三" in text and case.number in text
    assert grant.number.startswith("阳市监登〔2026〕")
    casefile = run(documents.produce, get_case(database, case.id), "case_file", As("sc001"), tmp_path)
    doc = Document(casefile.stored_path)
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    steps = [r[1] for r in rows[1:]]
    assert steps == ["收件审查", "核准登记并发照"]
    assert rows[1][2] == "李娜" and "经营者姓名：张三" in rows[1][5]
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "1. " in body and "收件" in body and "准予个体工商户设立登记通知书" in body


def test_correction_notice_lists_exactly_what_is_missing(run, database, frozen_clock, company, tmp_path):
    case = run(receive, FOOD, company, As("sc001"), received={1, 2})
    with database.transaction(write=False) as s:
        lacking = materials.missing(s, case.id)
    run(request_correction, case.id, As("sc001"), lacking)  # the notice is produced with the 补正 (forms/plugin.py)
    with database.transaction(write=False) as s:
        [notice] = documents.documents_of(s, case.id)
    assert notice.kind == "correction_notice"
    paragraphs = [p.text for p in Document(notice.stored_path).paragraphs]
    assert "1. 经营场所平面图和设备布局图" in paragraphs and "2. 食品安全自查、从业人员健康管理等制度" in paragraphs
    assert any("第三十二条" in p for p in paragraphs)
    with database.transaction(write=False) as s:
        actions = s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)).all()
    assert actions[-2:] == ["correction", "document"]  # the notice is in the case's chain
    assert any(p == "2026年9月28日" for p in paragraphs)  # dated in Chinese form, by the engine's clock


def test_refusal_denial_and_delivery_documents(run, database, frozen_clock, company, tmp_path):
    from engine.service import reject

    refused = run(receive, FOOD, company, As("sc001"), received={1})
    run(reject, refused.id, As("sc001"), "申请事项不属于本机关职权范围")  # the decision is produced with the refusal
    with database.transaction(write=False) as s:
        [decision] = documents.documents_of(s, refused.id)
    assert decision.kind == "rejection_decision"
    text = "\n".join(p.text for p in Document(decision.stored_path).paragraphs)
    assert "不予受理决定书" in text and "申请事项不属于本机关职权范围" in text and "行政复议" in text

    case = run(receive, FOOD, company, As("sc001"), received={1, 2, 3, 4})
    run(submit_step, task_id(database, case.id, "accept"), As("sc001"), FOOD_APPLICATION)
    run(submit_step, task_id(database, case.id, "review"), As("sc003"), {"prepackaged_only": True})
    run(submit_step, task_id(database, case.id, "audit"), As("sc005"), {})
    run(submit_step, task_id(database, case.id, "decide"), As("sc006"), {}, approved=False, reason="经营场所与申请不符")
    run(submit_step, task_id(database, case.id, "deliver_denial"), As("sc001"), {})
    assert get_case(database, case.id).result == "不予许可"
    denial = run(documents.produce, get_case(database, case.id), "denial_decision", As("sc001"), tmp_path)
    assert "经营场所与申请不符" in "\n".join(p.text for p in Document(denial.stored_path).paragraphs)
    receipt = run(documents.produce, get_case(database, case.id), "delivery_receipt", As("sc001"), tmp_path)
    cells = [c.text for row in Document(receipt.stored_path).tables[0].rows for c in row.cells]
    assert denial.number in " ".join(cells) and company.name in cells
