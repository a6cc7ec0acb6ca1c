"""Flow changes from the designer: the server checks every save, the legal office reviews the
change, approval publishes a new flow version; files saved by Camunda Modeler import and run."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.catalogue import declare_status, running_cases_by_version, save_flow, submit_change
from engine.config import PROCESSES_DIR
from engine.errors import InvalidInput, InvalidState, ProcessInvalid
from engine.models import Item, ItemChange, ProcessDefinition
from engine.service import start_case

from .conftest import As
from .helpers import do, get_case, open_steps

FOOD = "015309300002"
KEY = "food_business_license"
FOOD_BPMN = (PROCESSES_DIR / f"{KEY}.bpmn").read_text(encoding="utf-8")
CAMUNDA = (Path(__file__).parent / "data" / "camunda_modeler_food.bpmn").read_bytes()
EXPERT = ('<bpmn:userTask id="expert" name="专家评审" {post}sunhall:timeLimit="5"/>\n'
          '<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="expert"/>\n'
          '<bpmn:sequenceFlow id="flow_expert" sourceRef="expert" targetRef="decide"/>')


def with_expert(post: str = 'camunda:candidateGroups="handle" ') -> bytes:
    return FOOD_BPMN.replace('<bpmn:sequenceFlow id="flow_7" sourceRef="audit" targetRef="decide"/>',
                             EXPERT.format(post=post)).encode()


def latest_version(database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_key == KEY))


def test_a_save_without_a_post_is_refused_naming_the_step_and_nothing_is_stored(run, database, restore_catalogue):
    with pytest.raises(ProcessInvalid) as refused:
        run(save_flow, As("xz001"), KEY, with_expert(post=""))
    assert [(p.element, "没有指定办理岗位" in p.message) for p in refused.value.problems] == [("expert", True)]
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(ItemChange)) == 0


def test_a_file_for_another_process_is_refused(run, restore_catalogue):
    other = (PROCESSES_DIR / "individual_business_registration.bpmn").read_bytes()
    with pytest.raises(InvalidInput, match="流程标识应为 food_business_license"):
        run(save_flow, As("xz001"), KEY, other)


def test_saved_flow_is_reviewed_then_published_and_old_cases_keep_theirs(run, database, frozen_clock, company,
                                                                          restore_catalogue):
    before = latest_version(database)
    old_case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    change = run(save_flow, As("xz001"), KEY, with_expert(post='camunda:candidateGroups="review" '))
    change = run(save_flow, As("xz001"), KEY, with_expert())  # saved again while still the designer's
    with pytest.raises(InvalidInput, match="变更理由"):
        run(submit_change, As("xz001"), change.id, " ")
    run(submit_change, As("xz001"), change.id, "增加专家评审环节（食品经营许可审查通则）")
    with pytest.raises(InvalidState, match="审核期间不能修改"):
        run(save_flow, As("xz001"), KEY, with_expert())
    assert latest_version(database) == before  # nothing live before the legal office approves
    do(run, database, change.review_case_id, As("sf001"), "legal_review", opinion="合法。")
    assert latest_version(database) == before + 1
    with database.transaction(write=False) as s:
        assert s.get(ItemChange, change.id).state == "published"
        xml = s.scalars(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.process_key == KEY,
                                                                 ProcessDefinition.version == before + 1)).one()
        assert xml == with_expert().decode()  # stored exactly as the designer saved it
    new_case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    with database.transaction(write=False) as s:
        assert running_cases_by_version(s, KEY) == {before: 1, before + 1: 1}
    holders = {"accept": "sc001", "review": "sc003", "audit": "sc005", "expert": "sc004", "decide": "sc006",
               "issue": "sc001"}
    for case, expected in ((old_case, ["accept", "review", "audit", "decide", "issue"]),
                           (new_case, ["accept", "review", "audit", "expert", "decide", "issue"])):
        seen = []
        while steps := open_steps(database, case.id):
            seen.append(steps[0])
            do(run, database, case.id, As(holders[steps[0]]), steps[0])
        assert seen == expected and get_case(database, case.id).state == "finished"


def test_a_camunda_modeler_file_imports_and_runs(run, database, frozen_clock, company, restore_catalogue):
    change = run(save_flow, As("xz001"), KEY, CAMUNDA)
    run(submit_change, As("xz001"), change.id, "简易程序")
    do(run, database, change.review_case_id, As("sf001"), "legal_review", opinion="合法。")
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
    assert open_steps(database, case.id) == ["Activity_accept"]
    with database.transaction(write=False) as s:
        from engine.models import CaseTask
        task = s.scalars(select(CaseTask).where(CaseTask.case_id == case.id)).one()
        assert task.post_code == "window"
    do(run, database, case.id, As("sc001"), "Activity_accept")
    do(run, database, case.id, As("sc006"), "Activity_decide", approved=False, reason="不符合条件")
    done = get_case(database, case.id)
    assert done.state == "finished" and done.result == "不予许可"


def test_suspending_an_item_waits_for_the_legal_office_then_refuses_new_cases(run, database, frozen_clock, company,
                                                                             restore_catalogue):
    with pytest.raises(InvalidState, match="已是"):
        run(declare_status, As("xz001"), FOOD, "active", "无")
    change = run(declare_status, As("xz001"), FOOD, "suspended", "上级机关调整实施主体，暂停受理")
    run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})  # still active while in review
    run(submit_change, As("xz001"), change.id, "")
    do(run, database, change.review_case_id, As("sf001"), "legal_review", opinion="合法。")
    with database.transaction(write=False) as s:
        assert s.scalars(select(Item.status).where(Item.code == FOOD)).one() == "suspended"
    with pytest.raises(Exception, match="已暂停或取消"):
        run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": True})
