"""What the forms layer plugs into the engine: deployment checks (the form a step names exists
and has the fields the step sets) and the acceptance checkpoint (no 受理 while required materials
are missing)."""

from __future__ import annotations

from engine import listeners
from engine.bpmn import Problem, SunhallUserTask
from engine.errors import CheckpointViolation, NotFound
from engine.service.common import step_config

from . import materials
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


def install() -> None:
    listeners.register_definition_check(check_definition)
    listeners.register(materials_complete_before_acceptance)
