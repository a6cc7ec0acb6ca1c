"""Worklists and department scope: what a user may see and do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from .. import clock
from ..calendar import load_calendar
from ..errors import InvalidInput
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
    return task_list(session, user, "todo", Filters(), None, limit, offset)[0]


TABS = {"todo": "待办", "done": "已办", "due_soon": "即将超期", "overdue": "已超期", "paused": "已暂停"}


@dataclass
class Filters:
    item_id: int | None = None
    department_id: int | None = None
    number: str | None = None
    applicant: str | None = None
    received_from: date | None = None
    received_to: date | None = None


def _my_tasks(user: User):
    post_match = [and_(CaseTask.post_code == p.code, CaseTask.department_id == p.department_id) for p in user.posts]
    mine = CaseTask.assignee_id == user.id
    return or_(mine, and_(CaseTask.assignee_id.is_(None), or_(*post_match))) if post_match else mine


def task_list(session: Session, user: User, tab: str, filters: Filters, calendar=None, limit: int = 20,
              offset: int = 0) -> tuple[list[WorkItem], int]:
    """One tab of the workbench, filtered and paged; every row is within the user's scope."""
    today = clock.today()
    if tab == "todo":
        cond = and_(CaseTask.state == "ready", _my_tasks(user))
    elif tab == "done":
        cond = CaseTask.completed_by_id == user.id
    elif tab == "due_soon":
        soon = (calendar or load_calendar(session)).add_workdays(today, 2)
        cond = and_(CaseTask.state == "ready", _my_tasks(user), CaseTask.due_date >= today, CaseTask.due_date <= soon)
    elif tab == "overdue":
        cond = and_(CaseTask.state == "ready", CaseTask.due_date < today,
                    or_(_my_tasks(user), CaseTask.department_id.in_(department_scope(session, user))))
    elif tab == "paused":
        cond = and_(CaseTask.state == "ready", Case.pause_kind.is_not(None),
                    or_(_my_tasks(user), Case.department_id.in_(department_scope(session, user))))
    else:
        raise InvalidInput(f"未知的列表 {tab}。")
    conds = [cond, Case.source.is_(None)]  # external cases' steps are worked in their own systems
    if filters.item_id:
        conds.append(Case.item_id == filters.item_id)
    if filters.department_id:
        conds.append(Case.department_id == filters.department_id)
    if filters.number:
        conds.append(Case.number.contains(filters.number.strip()))
    if filters.applicant:
        conds.append(Case.applicant_name.contains(filters.applicant.strip()))
    if filters.received_from:
        conds.append(Case.received_at >= datetime.combine(filters.received_from, time.min, clock.LOCAL_TZ))
    if filters.received_to:
        conds.append(Case.received_at < datetime.combine(filters.received_to + timedelta(days=1), time.min, clock.LOCAL_TZ))
    base = select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id).where(*conds)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    order = (CaseTask.completed_at.desc(),) if tab == "done" else (CaseTask.due_date.is_(None), CaseTask.due_date,
                                                                    CaseTask.id)
    rows = session.execute(base.order_by(*order).limit(limit).offset(offset)).all()
    return [WorkItem(t, c) for t, c in rows], total
