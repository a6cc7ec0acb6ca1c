"""Deploying a flow chart: validate, check its posts against the organisation, store an immutable
version. Deploying the same file again is a no-op."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock, listeners
from ..bpmn import Problem, SunhallUserTask, validate_bytes
from ..errors import InvalidInput, NotFound, ProcessInvalid
from ..models import Department, Item, Post, ProcessDefinition, User
from . import common


def _org_problems(session: Session, result, item: Item | None) -> list[Problem]:
    problems = []
    codes = {d.code: d.id for d in session.scalars(select(Department))}
    posts = {(p.department_id, p.code) for p in session.scalars(select(Post))}
    for spec in result.spec.task_specs.values():
        if not isinstance(spec, SunhallUserTask):
            continue
        step = spec.step
        if step.department and step.department.startswith("data:"):
            continue  # the department comes from the case's data at run time
        dept_id = codes.get(step.department) if step.department else (item.department_id if item else None)
        if step.department and dept_id is None:
            problems.append(Problem(result.filename, spec.bpmn_id, None, f"办理部门 {step.department} 不存在。"))
        elif dept_id is not None and (dept_id, step.post) not in posts:
            problems.append(Problem(result.filename, spec.bpmn_id, None,
                                    f"岗位 {step.post} 在办理部门中不存在，请先设置岗位或改选岗位。"))
    return problems


def check_process(session: Session, data: bytes, filename: str, item: Item | None = None):
    """Everything a flow chart must pass before it is stored: the validation rules, the posts and
    departments it names, and the installed definition checks. Raises ProcessInvalid."""
    result = validate_bytes(data, filename, common.settings_of(session).bpmn_max_bytes)
    if not result.ok:
        raise ProcessInvalid(result.problems)
    problems = _org_problems(session, result, item) + listeners.definition_problems(session, result)
    if problems:
        raise ProcessInvalid(problems)
    return result


def deploy_process(session: Session, data: bytes, filename: str, actor: User | None = None,
                   item_code: str | None = None) -> ProcessDefinition:
    item = None
    if item_code:
        item = session.scalars(select(Item).where(Item.code == item_code)).first()
        if item is None:
            raise NotFound(f"事项编码 {item_code} 不存在。")
    result = check_process(session, data, filename, item)
    if item is not None:
        key = item.current_version.process_key if item.current_version else None
        if key and key != result.process_id:
            raise InvalidInput(f"事项“{item.current_version.name}”使用流程 {key}，而文件中的流程是 {result.process_id}。")
    xml = data.decode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    latest = session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == result.process_id)
                             .order_by(ProcessDefinition.version.desc())).first()
    if latest is not None and latest.sha256 == digest:
        return latest
    version = (session.scalar(select(func.max(ProcessDefinition.version))
                              .where(ProcessDefinition.process_key == result.process_id)) or 0) + 1
    definition = ProcessDefinition(
        process_key=result.process_id, version=version, name=result.name, item_id=item.id if item else None,
        bpmn_xml=xml, sha256=digest, deployed_at=clock.now(), deployed_by_id=actor.id if actor else None)
    session.add(definition)
    session.flush()
    return definition
