"""Worklists and department scope: what a user may see and do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import Case, CaseTask, Department, User


def department_scope(session: Session, user: User) -> set[int]:
    """The user's department and every department below it."""
    rows = session.execute(select(Department.id, Department.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in rows:
        children.setdefault(parent_id, []).append(dept_id)
    scope, stack = set(), [user.department_id]
    while stack:
        dept_id = stack.pop()
        if dept_id not in scope:
            scope.add(dept_id)
            stack.extend(children.get(dept_id, []))
    return scope


def can_see_case(session: Session, user: User, case: Case) -> bool:
    if user.has_role("admin") or user.has_role("supervisor"):
        return True
    if case.department_id in department_scope(session, user):
        return True
    posts = {(p.code, p.department_id) for p in user.posts}
    return any((t.post_code, t.department_id) in posts or t.assignee_id == user.id or t.completed_by_id == user.id
               for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)))


@dataclass
class WorkItem:
    task: CaseTask
    case: Case


def worklist(session: Session, user: User, limit: int = 50, offset: int = 0) -> list[WorkItem]:
    """待办: ready steps of the user's posts in their departments, unclaimed or claimed by the user."""
    post_match = [and_(CaseTask.post_code == p.code, CaseTask.department_id == p.department_id) for p in user.posts]
    mine = CaseTask.assignee_id == user.id
    cond = or_(mine, and_(CaseTask.assignee_id.is_(None), or_(*post_match))) if post_match else mine
    stmt = (select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id)
            .where(CaseTask.state == "ready", cond)
            .order_by(CaseTask.due_date.is_(None), CaseTask.due_date, CaseTask.id).limit(limit).offset(offset))
    return [WorkItem(task, case) for task, case in session.execute(stmt)]
