"""环节: the worklist tabs of the workbench, one step with its form, and working it — 签收, 退签,
分派, 转办, 办理 (through the step's form, as the case page submits it) and 退回 to an earlier step."""

from __future__ import annotations

from sqlalchemy import select

from engine.calendar import load_calendar
from engine.models import CaseTask, Item
from engine.service import assign, claim, return_to_step, transfer, unclaim
from engine.service.worklist import Filters, task_list
from forms.service import submit_step

from ..db import db_session
from .auth import current_actor, current_token, department_filter, require
from .common import (
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    ApiBlueprint,
    envelope,
    require_task_department,
    task_command,
    task_detail,
    task_dict,
    visible_task,
)
from .schemas import (
    AssignIn,
    CompleteIn,
    ReturnIn,
    TaskDetailOut,
    TaskOut,
    TransferIn,
    VersionIn,
    WhoAmIOut,
    WorklistQuery,
    page_of,
)

blp = ApiBlueprint("api_tasks", __name__, url_prefix="", description="工作台：待办列表和环节办理")


@blp.route("/me", methods=["GET"])
@require("read")
@blp.response(200, WhoAmIOut)
@blp.problems(401, 403)
def whoami():
    """当前身份

    请求代表的工作人员账号、岗位和角色，以及所用的接口令牌（名称、前缀、授权部门和权限）。"""
    actor, token = current_actor(), current_token()
    return {"user_id": actor.id, "staff_no": actor.staff_no, "name": actor.name, "department_id": actor.department_id,
            "roles": list(actor.roles or []), "posts": [{"code": p.code, "department_id": p.department_id}
                                                       for p in actor.posts],
            "token": None if token is None else {"name": token.name, "prefix": token.prefix,
                                                 "department_ids": list(token.department_ids or []),
                                                 "verbs": list(token.verbs or []), "system_code": token.system_code}}


@blp.route("/worklist", methods=["GET"])
@require("read")
@blp.arguments(WorklistQuery, location="query")
@blp.response(200, page_of(TaskOut, "WorkPage"))
@blp.problems(401, 403, 422)
def worklist(args):
    """待办列表

    工作台的各个列表：todo 待办、done 已办、due_soon 即将超期、overdue 已超期、paused 已暂停。接口令牌只列出其授权部门的环节。"""
    session, actor = db_session(), current_actor()
    item_id = None
    if args["item_code"]:
        item_id = session.scalars(select(Item.id).where(Item.code == args["item_code"])).first() or -1
    filters = Filters(item_id=item_id, number=args["number"], applicant=args["applicant"],
                      received_from=args["received_from"], received_to=args["received_to"])
    departments = department_filter()
    page, per_page = args["page"], args["per_page"]
    rows, total = task_list(session, actor, args["tab"], filters, load_calendar(session), per_page,
                            (page - 1) * per_page, departments=departments)
    return envelope([task_dict(r.task, r.case) for r in rows], total, page, per_page)


@blp.route("/tasks/<int(max=2147483647):task_id>", methods=["GET"])
@require("read")
@blp.response(200, TaskDetailOut)
@blp.problems(*READ_PROBLEMS)
def get_task(task_id: int):
    """一个环节

    环节的状态、办理人和本环节表单中调用者可见的字段（access 为 write 的字段可在办理时提交）。"""
    task, case = visible_task(task_id)
    return task_detail(task, case)


def _commanded(task_id: int) -> CaseTask:
    task, _case = visible_task(task_id)
    require_task_department(task)
    return task


def _after(task_id: int) -> dict:
    session = db_session()
    session.flush()
    task, case = visible_task(task_id)
    return task_detail(task, case)


@blp.route("/tasks/<int(max=2147483647):task_id>/complete", methods=["POST"])
@require("write")
@task_command("worker")
@blp.arguments(CompleteIn)
@blp.response(200, TaskDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def complete(args, task_id: int):
    """办理（提交本环节）

    提交本环节可填写的表单字段和意见；approved 为 false（不同意）时须填写 reason。只读或隐藏的字段被拒绝并指明字段。"""
    task = _commanded(task_id)
    submit_step(db_session(), task.id, current_actor(), args["data"], opinion=args["opinion"],
                approved=args["approved"], reason=args["reason"], expected_version=args["expected_version"])
    return _after(task_id)


@blp.route("/tasks/<int(max=2147483647):task_id>/claim", methods=["POST"])
@require("write")
@task_command("claimer")
@blp.arguments(VersionIn)
@blp.response(200, TaskDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def claim_task(args, task_id: int):
    """签收"""
    task = _commanded(task_id)
    claim(db_session(), task.id, current_actor(), args["expected_version"])
    return _after(task_id)


@blp.route("/tasks/<int(max=2147483647):task_id>/unclaim", methods=["POST"])
@require("write")
@task_command("assignee")
@blp.arguments(VersionIn)
@blp.response(200, TaskDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def unclaim_task(args, task_id: int):
    """退签（交回岗位上的所有人）"""
    task = _commanded(task_id)
    unclaim(db_session(), task.id, current_actor(), args["expected_version"])
    return _after(task_id)


@blp.route("/tasks/<int(max=2147483647):task_id>/assign", methods=["POST"])
@require("write")
@task_command("leader")
@blp.arguments(AssignIn)
@blp.response(200, TaskDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def assign_task(args, task_id: int):
    """分派（部门负责人把环节交给一位岗位人员）"""
    task = _commanded(task_id)
    assign(db_session(), task.id, current_actor(), args["assignee_id"], args["expected_version"])
    return _after(task_id)


@blp.route("/tasks/<int(max=2147483647):task_id>/transfer", methods=["POST"])
@require("write")
@task_command("worker")
@blp.arguments(TransferIn)
@blp.response(200, TaskDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def transfer_task(args, task_id: int):
    """转办（交给同岗位的同事，须说明理由）"""
    task = _commanded(task_id)
    transfer(db_session(), task.id, current_actor(), args["assignee_id"], args["reason"], args["expected_version"])
    return _after(task_id)


@blp.route("/tasks/<int(max=2147483647):task_id>/return", methods=["POST"])
@require("write")
@task_command("worker")
@blp.arguments(ReturnIn)
@blp.response(200, TaskOut(many=True))
@blp.problems(*WRITE_PROBLEMS)
def return_task(args, task_id: int):
    """退回到之前办理过的环节

    返回退回后新产生的环节。"""
    task, case = visible_task(task_id)
    require_task_department(task)
    new_tasks = return_to_step(db_session(), task.id, current_actor(), args["target_step"], args["reason"],
                               args["expected_version"])
    db_session().flush()
    return [task_dict(t, case) for t in new_tasks]
