"""The catalogue: item codes, completeness before publishing, comparing versions of items and flows,
and running cases keeping the version they started on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.bpmn.diff import compare_flows
from engine.catalogue import (
    compare_versions,
    fields_of,
    item_code,
    missing_fields,
    publish_checked,
    running_cases_by_version,
)
from engine.config import PROCESSES_DIR
from engine.errors import InvalidInput
from engine.models import Item, ItemVersion
from engine.service import deploy_process, start_case

from .conftest import As
from .helpers import do, get_case, open_steps

FOOD = "015309300002"
FOOD_BPMN = (PROCESSES_DIR / "food_business_license.bpmn").read_text(encoding="utf-8")


def _fields(session, code):
    version = session.scalars(select(Item).where(Item.code == code)).one().current_version
    return fields_of(version)


def test_item_codes_follow_the_coding_rule(database):
    with database.transaction(write=False) as s:
        assert item_code(s, "01", "530930") == "015309300005"
        assert item_code(s, "02", "530930") == "025309300006"
        with pytest.raises(InvalidInput):
            item_code(s, "99", "530930")


def test_completeness_lists_exactly_what_is_missing_and_publishing_waits(database):
    incomplete = {"name": "小餐饮登记", "category": "07", "legal_basis": [{"title": ""}], "subject_nature": "法定机关",
                  "section": "", "conditions": "有固定场所", "charges_fee": True, "fee_basis": "", "fee_standard": "",
                  "legal_limit": 10, "promised_limit": 12, "limit_unit": "workday", "place": "政务服务中心",
                  "phone": "", "supervision_phone": "0883-6120012", "materials": [], "process_key": "no_such_flow"}
    with database.transaction() as s:
        lacking = missing_fields(s, incomplete)
        assert lacking == ["行使依据", "办理科室", "收费依据", "收费标准", "承诺期限不能超过法定期限", "联系电话", "材料清单",
                           "权力运行流程图"]
        dept = s.scalars(select(Item).where(Item.code == FOOD)).one().department
        with pytest.raises(InvalidInput, match="缺少：行使依据、办理科室"):
            publish_checked(s, None, dept, incomplete, "530930")
        complete = dict(incomplete, legal_basis=[{"title": "市场主体登记管理条例", "article": "第二十一条"}], section="登记股",
                        fee_basis="不适用", fee_standard="不收费", promised_limit=5, phone="0883-6120315",
                        materials=[{"name": "申请书", "required": True}], process_key="individual_business_registration")
        assert missing_fields(s, complete) == []
        item = publish_checked(s, None, dept, complete, "530930")
        assert item.code == "075309300002" and item.current_version.version == 1  # serials run per category
        s.rollback()


def test_category_fields_of_a_penalty_item(database):
    with database.transaction(write=False) as s:
        fields = _fields(s, "025309300005")
        assert missing_fields(s, fields) == []
        fields["extra"] = {"处罚种类": ["警告"]}
        assert missing_fields(s, fields) == ["分类特有信息：处罚程序", "分类特有信息：实施主体", "分类特有信息：裁量基准"]


def test_two_versions_of_an_item_differ_exactly(database):
    with database.transaction() as s:
        fields = _fields(s, FOOD)
        dept = s.scalars(select(Item).where(Item.code == FOOD)).one().department
        changed = dict(fields, promised_limit=12, materials=fields["materials"] + [{"name": "食品安全管理人员证明",
                                                                                     "required": True}])
        item = publish_checked(s, FOOD, dept, changed, "530930")
        old = s.scalars(select(ItemVersion).where(ItemVersion.item_id == item.id, ItemVersion.version == 1)).one()
        diff = compare_versions(old, item.current_version)
        assert [(d.label, d.old) for d in diff] == [("承诺期限", 15), ("材料清单", fields["materials"])]
        s.rollback()


def test_two_versions_of_a_flow_differ_exactly():
    audit = next(line for line in FOOD_BPMN.splitlines() if 'id="audit"' in line)
    new = FOOD_BPMN.replace(audit, audit.replace('sunhall:timeLimit="3"', 'sunhall:timeLimit="2"'))
    new = new.replace('<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="decide"/>',
                      '<bpmn:userTask id="expert" name="专家评审" camunda:candidateGroups="handle" sunhall:timeLimit="5" '
                      'sunhall:specialProcedure="专家评审"/>\n'
                      '<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="expert"/>\n'
                      '<bpmn:sequenceFlow id="flow_expert" sourceRef="expert" targetRef="decide"/>')
    assert new != FOOD_BPMN
    changes = {(c.element, c.change): c.details for c in compare_flows(FOOD_BPMN, new)}
    assert set(changes) == {("audit", "changed"), ("expert", "added"), ("flow_expert", "added"), ("flow_7", "changed")}
    assert changes[("audit", "changed")] == ("sunhall:timeLimit: 3 → 2",)
    assert changes[("flow_7", "changed")] == ("targetRef: decide → expert",)
    assert changes[("expert", "added")] == ("camunda:candidateGroups=handle", "sunhall:specialProcedure=专家评审",
                                            "sunhall:timeLimit=5")


def test_running_cases_keep_their_version_while_new_cases_use_the_new_one(run, database, frozen_clock, company,
                                                                          restore_catalogue):
    old_case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    new = FOOD_BPMN.replace('<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="decide"/>',
                            '<bpmn:userTask id="expert" name="专家评审" camunda:candidateGroups="handle" sunhall:timeLimit="5"/>\n'
                            '<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="expert"/>\n'
                            '<bpmn:sequenceFlow id="flow_expert" sourceRef="expert" targetRef="decide"/>')
    definition = run(deploy_process, new.encode(), "food_business_license.bpmn", None, FOOD)
    new_case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    with database.transaction(write=False) as s:
        assert running_cases_by_version(s, "food_business_license") == {definition.version - 1: 1, definition.version: 1}
    for case, expected in ((old_case, ["accept", "review", "audit", "decide", "issue"]),
                           (new_case, ["accept", "review", "audit", "expert", "decide", "issue"])):
        seen = []
        for _ in range(10):
            steps = open_steps(database, case.id)
            if not steps:
                break
            step = steps[0]
            seen.append(step)
            actor = {"accept": "sc001", "review": "sc003", "audit": "sc005", "expert": "sc004", "decide": "sc006",
                     "issue": "sc001"}[step]
            do(run, database, case.id, As(actor), step)
        assert seen == expected and get_case(database, case.id).state == "finished"


def test_a_change_is_published_only_after_the_legal_office_approves(run, database, frozen_clock, restore_catalogue):
    from engine.catalogue import declare_change
    from engine.models import ItemChange

    with database.transaction(write=False) as s:
        fields = dict(_fields(s, FOOD), promised_limit=10)
        before = s.scalars(select(Item).where(Item.code == FOOD)).one().current_version.version
    with pytest.raises(InvalidInput, match="缺少：联系电话"):
        run(declare_change, As("xz001"), dict(fields, phone=""), "办理时限压缩", FOOD)
    change = run(declare_change, As("xz001"), fields, "优化营商环境，承诺时限压缩至 10 个工作日", FOOD)
    review = change.review_case_id
    assert open_steps(database, review) == ["declare"]
    do(run, database, review, As("xz001"), "declare", opinion="申报。")
    do(run, database, review, As("sf001"), "legal_review", approved=False, reason="依据条款引用不准确")
    assert open_steps(database, review) == ["declare"]  # sent back to the designer
    with database.transaction(write=False) as s:
        assert s.scalars(select(Item).where(Item.code == FOOD)).one().current_version.version == before
    do(run, database, review, As("xz001"), "declare", opinion="已修改。")
    do(run, database, review, As("sf001"), "legal_review", opinion="合法。")
    with database.transaction(write=False) as s:
        item = s.scalars(select(Item).where(Item.code == FOOD)).one()
        assert item.current_version.version == before + 1 and item.current_version.promised_limit == 10
        assert s.get(ItemChange, change.id).state == "published"
