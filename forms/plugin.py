"""What the forms layer plugs into the engine: deployment checks (the form a step names exists
and has the fields the step sets), the acceptance checkpoint (no 受理 while required materials
are missing) and the documents the law requires when the transition happens (延期告知书,
特别程序告知书, 视为放弃申请告知书, the 行政处罚 documents of the steps that produce them, and those of
依申请公开: 答复书, 第三方意见征询函, 送达回证)."""

from __future__ import annotations

from pathlib import Path

from engine import listeners
from engine.bpmn import Problem, SunhallUserTask
from engine.errors import CheckpointViolation, InvalidState, NotFound
from engine.service.common import settings_of, step_config

from . import documents, materials
from .registry import get_form


def check_definition(session, validated) -> list[Problem]:
    problems = []
    for spec in validated.spec.task_specs.values():
        if not isinstance(spec, SunhallUserTask) or not spec.step.form_key:
            continue
        try:
            form = get_form(session, spec.step.form_key)
        except NotFound:
            problems.append(Problem(validated.filename, spec.bpmn_id, None, f"表单 {spec.step.form_key} 不存在。"))
            continue
        for name in spec.step.fields:
            if name not in form.names:
                problems.append(Problem(validated.filename, spec.bpmn_id, None,
                                        f"表单“{form.name}”中没有字段 {name}。"))
    return problems


def materials_complete_before_acceptance(transition: listeners.Transition) -> None:
    if transition.action != "complete" or transition.task is None:
        return
    step = step_config(transition.session, transition.case, transition.task.step_id)
    if step.stage != "accept":
        return
    if not materials.materials_of(transition.session, transition.case.id):
        return  # a case started without a checklist (e.g. a department system's push)
    lacking = materials.missing(transition.session, transition.case.id)
    if lacking:
        raise CheckpointViolation("申请材料不齐全，不能受理。缺少：" + "、".join(lacking) + "。请一次性告知申请人补正。",
                                  missing=lacking)


# the written notice the law requires when the case's clock changes this way
NOTICE_ON = {"correction": "correction_notice",  # 行政许可法 art. 32(四): told once, in writing, all that is missing
             "reject": "rejection_decision",  # art. 32(一)(二), 38: a refusal is decided in writing, with reasons
             "extend": "extension_notice",  # 行政许可法 art. 42: the applicant is told the reason
             "suspend": "special_procedure_notice",  # art. 45: told in writing how long it takes
             "lapse": "lapse_notice",  # 政府信息公开条例 art. 30: 视为放弃申请
             "info_consult": "info_consultation_letter",  # 条例 art. 32: the third party is asked in writing
             "info_fee_notice": "info_fee_notice"}  # 信息处理费管理办法: the fee is notified in writing
# (a 政府信息公开申请 gets 补正政府信息公开申请通知书 and 延期答复告知书 instead: documents.effective_kind)
# documents a step produces on completion when the flow chart names them (sunhall:documents)
ON_COMPLETION = {documents.KINDS[k].title: k for k in ("penalty_notice", "hearing_notice", "penalty_decision",
                                                        "info_reply")}
# 依申请公开: the answer's delivery is receipted when it is made (seed 001 规程 art. 13); other flows
# print their 送达回证 on request
INFO_ON_COMPLETION = {**ON_COMPLETION, documents.KINDS["delivery_receipt"].title: "delivery_receipt"}
# documents the law requires of a step: when their data are missing the step is refused, not left without them
REQUIRED = frozenset({*NOTICE_ON.values(), "info_reply", "delivery_receipt"})


def documents_dir(session) -> Path:
    return Path(settings_of(session).instance_dir) / "documents"


def notices_on_transition(transition: listeners.Transition) -> None:
    """Produce, in the command's own transaction, the document the transition calls for."""
    kinds = []
    if transition.action in NOTICE_ON:
        kinds.append(NOTICE_ON[transition.action])
    elif transition.action == "complete" and transition.task is not None and transition.task.approved is not False:
        step = step_config(transition.session, transition.case, transition.task.step_id)
        table = INFO_ON_COMPLETION if documents.for_information(transition.case) else ON_COMPLETION
        kinds = [table[title] for title in (step.documents or []) if title in table]
    for kind in kinds:
        try:
            documents.produce(transition.session, transition.case, kind, transition.actor,
                              documents_dir(transition.session))
        except InvalidState:
            if kind in REQUIRED:
                raise  # the notice the law requires must not be silently missing
            # a step's document whose data are incomplete is produced later by hand, with the message


def install() -> None:
    listeners.register_definition_check(check_definition)
    listeners.register(materials_complete_before_acceptance)
    listeners.register(notices_on_transition)
