"""Worklists and department scope: what a user may see and do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.orm import Session

from .. import clock
from ..calendar import load_calendar
from ..errors import InvalidInput
from ..models import Case, CaseTask, Department, User
from ..paging import Order, Page, capped_count, fetch


def _scope_ids(department_id: int):
    """The select of a department's id and every id below it: a recursive query, so a scope costs the
    size of its subtree, not a read of every department (and needs no cache to invalidate when the
    organisation's administrator moves a department)."""
    tree = select(Department.id).where(Department.id == department_id).cte("scope", recursive=True)
    below = select(Department.id).where(Department.parent_id == tree.c.id)
    return tree.union(below)


def department_scope(session: Session, user: User) -> set[int]:
    """The user's department and every department below it."""
    return set(session.scalars(select(_scope_ids(user.department_id).c.id)))


def _handled_by(user: User):
    """A step the user holds, did, or may pick up at one of their posts."""
    match = [CaseTask.assignee_id == user.id, CaseTask.completed_by_id == user.id]
    match += [and_(CaseTask.post_code == p.code, CaseTask.department_id == p.department_id) for p in user.posts]
    return or_(*match)


def can_see_case(session: Session, user: User, case: Case) -> bool:
    """In the user's department scope, or a step of the case is theirs: one query answered from the
    indexes, never a read of the case's steps."""
    if user.has_role("admin") or user.has_role("supervisor"):
        return True
    scope = _scope_ids(user.department_id)
    in_scope = exists(select(scope.c.id).where(scope.c.id == case.department_id))
    theirs = exists().where(CaseTask.case_id == case.id, _handled_by(user))
    return bool(session.scalar(select(or_(in_scope, theirs))))


@dataclass
class WorkItem:
    task: CaseTask
    case: Case


def worklist(session: Session, user: User, size: int = 50) -> list[WorkItem]:
    """待办: ready steps of the user's posts in their departments, unclaimed or claimed by the user."""
    return task_page(session, user, "todo", Filters(), size=size).rows


TABS = {"todo": "待办", "done": "已办", "due_soon": "即将超期", "overdue": "已超期", "paused": "已暂停"}
# a step without a period sorts after every dated one (a keyset order compares no NULL)
DUE_LAST = func.coalesce(CaseTask.due_date, literal_column("'9999-12-31'", Date))
_NO_DUE = date(9999, 12, 31)
# a tab counts its rows up to here (共 200+ 件 beyond): each row counted is a look at its case (external
# cases are not listed), so counting to engine.paging.COUNT_CAP would cost more than the page
TAB_COUNT_CAP = 200
# 已办 newest first (completed_at is set with completed_by_id); the others by their step's period
ORDERS = {"done": (Order(CaseTask.completed_at, desc=True), Order(CaseTask.id, desc=True))}
BY_DUE = (Order(DUE_LAST), Order(CaseTask.id))


@dataclass
class Filters:
    item_id: int | None = None
    department_id: int | None = None
    number: str | None = None
    applicant: str | None = None
    received_from: date | None = None
    received_to: date | None = None


def _my_tasks(user: User) -> list:
    """The ways a step is the user's to do: claimed by them, or unclaimed at one of their posts."""
    return [CaseTask.assignee_id == user.id] + [
        and_(CaseTask.assignee_id.is_(None), CaseTask.post_code == p.code, CaseTask.department_id == p.department_id)
        for p in user.posts]


def _tab(session: Session, user: User, tab: str, filters: Filters, calendar=None,
         departments=None) -> tuple[Select, list]:
    """The select of a tab's (step, case) rows, filtered, and the branches of which a row meets one
    (engine.paging.fetch): each branch is an index's range in the tab's order. Every row is within the
    user's scope."""
    today = clock.today()
    if tab == "todo":
        cond, branches = CaseTask.state == "ready", _my_tasks(user)
    elif tab == "done":
        cond, branches = CaseTask.completed_by_id == user.id, []
    elif tab == "due_soon":
        soon = (calendar or load_calendar(session)).add_workdays(today, 2)
        cond = and_(CaseTask.state == "ready", DUE_LAST >= today, DUE_LAST <= soon)  # the index's range
        branches = _my_tasks(user)
    elif tab == "overdue":
        cond = and_(CaseTask.state == "ready", DUE_LAST < today)
        branches = _my_tasks(user) + [CaseTask.department_id == d for d in sorted(department_scope(session, user))]
    elif tab == "paused":  # few cases are paused at once: found from the paused cases, no branches needed
        cond = and_(CaseTask.state == "ready", Case.pause_kind.is_not(None),
                    or_(*_my_tasks(user), Case.department_id.in_(select(_scope_ids(user.department_id).c.id))))
        branches = []
    else:
        raise InvalidInput(f"未知的列表 {tab}。")
    conds = [cond, Case.source.is_(None)]  # external cases' steps are worked in their own systems
    if departments is not None:  # an API token's departments
        conds.append(CaseTask.department_id.in_(departments))
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
    return select(CaseTask, Case).join(Case, Case.id == CaseTask.case_id).where(*conds), branches


def _key(tab: str):
    if tab == "done":
        return lambda row: [row[0].completed_at, row[0].id]
    return lambda row: [row[0].due_date or _NO_DUE, row[0].id]


def task_page(session: Session, user: User, tab: str, filters: Filters, calendar=None, *, after: str | None = None,
              before: str | None = None, size: int = 20, departments=None) -> Page:
    """One page of a tab (its rows WorkItems), after or before a cursor of the page next to it."""
    stmt, branches = _tab(session, user, tab, filters, calendar, departments)
    page = fetch(session, stmt, ORDERS.get(tab, BY_DUE), _key(tab), after=after, before=before, size=size,
                 branches=branches, ident=CaseTask.id)
    page.rows = [WorkItem(t, c) for t, c in page.rows]
    return page


def task_count(session: Session, user: User, tab: str, filters: Filters, calendar=None, cap: int = TAB_COUNT_CAP,
               departments=None) -> int:
    """How many rows the tab has, counted up to ``cap + 1`` (engine.paging.capped_count)."""
    stmt, branches = _tab(session, user, tab, filters, calendar, departments)
    return capped_count(session, stmt.with_only_columns(CaseTask.id), cap, branches=branches, ident=CaseTask.id)


def task_list(session: Session, user: User, tab: str, filters: Filters, calendar=None, limit: int = 20,
              offset: int = 0, departments=None) -> tuple[list[WorkItem], int]:
    """A numbered page of a tab and its full count, for the API's page/per_page envelope."""
    stmt, branches = _tab(session, user, tab, filters, calendar, departments)
    base = stmt.where(or_(*branches)) if branches else stmt
    total = session.scalar(select(func.count()).select_from(base.with_only_columns(CaseTask.id).subquery()))
    order = [o.expr.desc() if o.desc else o.expr for o in ORDERS.get(tab, BY_DUE)]
    rows = session.execute(base.order_by(*order).limit(limit).offset(offset)).all()
    return [WorkItem(t, c) for t, c in rows], total
