"""What the API's route modules share: the blueprint class that documents problem responses, the
case and task a caller may see (the pages' checks and the token's departments), paging, and the
dumps of cases and tasks."""

from __future__ import annotations

import http
from functools import wraps

from flask import url_for
from flask_smorest import Blueprint
from sqlalchemy import exists, func, or_, select

from engine.models import Case, CaseTask, Department, User
from engine.models.cases import CASE_STATES
from engine.service import can_see_case
from engine.service.common import can_work
from engine.service.worklist import department_scope
from forms.service import step_form

from ..db import db_session
from .auth import current_actor, current_token, department_filter, require_department
from .problems import abort_problem

READ_PROBLEMS = (401, 403, 404)
WRITE_PROBLEMS = (400, 401, 403, 404, 409, 413, 422)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose routes document their problem responses."""

    def problems(self, *codes: int):
        """Document these statuses as problem+json responses (components registered by the Api)."""
        def decorator(func):
            for code in codes:
                func = self.alt_response(code, response=http.HTTPStatus(code).name)(func)
            return func
        return decorator


def paged(query, page: int, per_page: int, session=None):
    """(rows of this page, total) of a select."""
    session = session or db_session()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return rows, total


def envelope(items, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def _token_covers_case(session, case: Case) -> bool:
    departments = department_filter()
    if departments is None or case.department_id in departments:
        return True
    return session.scalar(select(exists().where(CaseTask.case_id == case.id,
                                                CaseTask.department_id.in_(departments)))) or False


def visible_case(case_id: int) -> Case:
    """The case, if the caller may see it: the case page's check (can_see_case) and, for a token,
    its departments (the case's own or one of its steps'). 404 for a case that does not exist,
    403 for one the caller may not see."""
    session = db_session()
    case = session.get(Case, case_id)
    if case is None:
        abort_problem(404, "not_found", None, f"办件 {case_id} 不存在。")
    if not can_see_case(session, current_actor(), case):
        abort_problem(403, "permission_denied", None, "此办件不属于您的部门，您无权查看。")
    if not _token_covers_case(session, case):
        abort_problem(403, "permission_denied", None, "此办件不属于此接口令牌授权的部门。")
    return case


def visible_task(task_id: int) -> tuple[CaseTask, Case]:
    session = db_session()
    task = session.get(CaseTask, task_id)
    if task is None:
        abort_problem(404, "not_found", None, f"环节 {task_id} 不存在。")
    case = visible_case(task.case_id)
    return task, case


def require_case_department(case: Case) -> None:
    """A command on a case (补正, 延期 …): the token must cover the case's department or the
    department of one of its current steps."""
    departments = department_filter()
    if departments is None or case.department_id in departments:
        return
    if not db_session().scalar(select(exists().where(CaseTask.case_id == case.id, CaseTask.state == "ready",
                                                     CaseTask.department_id.in_(departments)))):
        abort_problem(403, "permission_denied", None, "此办件当前的环节不属于此接口令牌授权的部门。")


def require_task_department(task: CaseTask) -> None:
    """A command on a step: the token must cover the step's department."""
    require_department(task.department_id, f"环节“{task.step_name}”")


def visible_cases(session, actor: User):
    """The select of every case the actor may see (as can_see_case, in one query), narrowed to the
    token's departments."""
    stmt = select(Case)
    if not (actor.has_role("admin") or actor.has_role("supervisor")):
        posts = [(p.code, p.department_id) for p in actor.posts]
        task_match = [CaseTask.assignee_id == actor.id, CaseTask.completed_by_id == actor.id]
        task_match += [(CaseTask.post_code == code) & (CaseTask.department_id == dept) for code, dept in posts]
        stmt = stmt.where(or_(Case.department_id.in_(department_scope(session, actor)),
                              exists().where(CaseTask.case_id == Case.id, or_(*task_match))))
    departments = department_filter()
    if departments is not None:
        stmt = stmt.where(or_(Case.department_id.in_(departments),
                              exists().where(CaseTask.case_id == Case.id, CaseTask.department_id.in_(departments))))
    return stmt


# --- who may act, settled before the body is read (load → authorise → validate → call) -------------------------
# The services check again; these only make sure that someone who may not act hears "not yours" (403),
# not a complaint about what they sent, as the case page's _must_handle does.
def _ready_tasks(case: Case) -> list[CaseTask]:
    return list(db_session().scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")
                                     .order_by(CaseTask.id)))


def case_command(view):
    """A case operation by the handler of a current step (补正, 特别程序, 延期 …)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        case = visible_case(kwargs["case_id"])
        require_case_department(case)
        tasks = _ready_tasks(case)
        if tasks and not any(can_work(current_actor(), t) for t in tasks):
            abort_problem(403, "permission_denied", None, "您不是此办件当前环节的办理人，不能进行此操作。")
        return view(*args, **kwargs)
    return wrapper


def case_reader(view):
    """A route about one case (its documents, materials …): the caller may see it."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        visible_case(kwargs["case_id"])
        return view(*args, **kwargs)
    return wrapper


def task_command(who: str):
    """A command on one step. ``who``: ``worker`` (the step is the caller's to work), ``claimer``
    (holds its post), ``assignee`` (claimed it, or a leader), ``leader`` (the department's head)."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            task, _case = visible_task(kwargs["task_id"])
            require_task_department(task)
            actor = current_actor()
            if who == "worker":
                allowed = can_work(actor, task)
            elif who == "claimer":
                allowed = task.assignee_id == actor.id or actor.holds(task.post_code, task.department_id)
            elif who == "assignee":
                allowed = task.assignee_id == actor.id or actor.has_role("leader")
            else:
                allowed = actor.has_role("leader")
            if task.state == "ready" and not allowed:
                abort_problem(403, "permission_denied", None, f"您不能对“{task.step_name}”进行此操作。")
            return view(*args, **kwargs)
        return wrapper
    return decorator


# --- dumps ----------------------------------------------------------------------------------------------------------
def _department_name(department_id: int) -> str:
    department = db_session().get(Department, department_id)
    return department.name if department is not None else ""


def case_dict(case: Case) -> dict:
    version = case.item_version
    return {
        "id": case.id, "number": case.number, "item_code": case.item.code, "item_name": version.name,
        "subject": case.subject, "department_id": case.department_id,
        "department_name": _department_name(case.department_id),
        "case_type": case.case_type, "channel": case.channel, "state": case.state,
        "state_name": CASE_STATES.get(case.state, case.state), "pause_kind": case.pause_kind,
        "received_at": case.received_at, "accepted_at": case.accepted_at, "finished_at": case.finished_at,
        "deadline": case.deadline, "deadline_provisional": case.deadline_provisional, "result": case.result,
        "source": case.source, "version": case.version,
    }


def case_detail(case: Case) -> dict:
    session = db_session()
    access = step_form(session, case, None).access
    data = {k: v for k, v in (case.data or {}).items() if access.get(k, "read") != "hidden"}
    return {**case_dict(case), "applicant": {
        "type": case.applicant_type, "name": case.applicant_name, "cert_type": case.cert_type,
        "cert_number": case.cert_number, "contact_name": case.contact_name, "phone": case.contact_phone,
        "address": case.address, "agent_name": case.agent_name},
        "data": data, "limit_days": case.limit_days, "limit_unit": case.limit_unit, "paused_days": case.paused_days,
        "extended_days": case.extended_days, "external_id": case.external_id}


def task_dict(task: CaseTask, case: Case, users: dict[int, User] | None = None) -> dict:
    actor = current_actor()
    session = db_session()
    assignee = None
    if task.assignee_id is not None:
        assignee = (users or {}).get(task.assignee_id) or session.get(User, task.assignee_id)
    covered = current_token() is None or department_filter() is None or task.department_id in department_filter()
    ready = task.state == "ready" and case.is_open and not case.source  # 外部办件: worked in its own system only
    return {
        "id": task.id, "case_id": task.case_id, "case_number": case.number, "step_id": task.step_id,
        "step_name": task.step_name, "post_code": task.post_code, "department_id": task.department_id,
        "state": task.state, "assignee_id": task.assignee_id, "assignee_name": assignee.name if assignee else None,
        "created_at": task.created_at, "due_date": task.due_date, "completed_at": task.completed_at,
        "completed_by_id": task.completed_by_id, "opinion": task.opinion, "approved": task.approved,
        "reason": task.reason,
        "can_work": bool(ready and covered and can_work(actor, task)),
        "can_claim": bool(ready and covered and task.assignee_id is None and actor.holds(task.post_code, task.department_id)),
    }


def task_detail(task: CaseTask, case: Case) -> dict:
    sf = step_form(db_session(), case, task if task.state == "ready" else None)
    fields_ = []
    if sf.form is not None:
        for spec in sf.form.fields:
            access = sf.access.get(spec["name"], "hidden")
            if access != "hidden":
                fields_.append({"name": spec["name"], "label": spec["label"], "type": spec["type"], "access": access,
                                "required": bool(spec.get("required"))})
    return {**task_dict(task, case), "case_version": case.version, "form_fields": fields_}


def document_url(doc_id: int) -> str:
    return url_for("api_documents.document_file", doc_id=doc_id)
