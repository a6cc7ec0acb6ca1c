"""办件: start (收件) as the window does, list and read, the timeline, and every operation of the
case service with its reason (补正, 特别程序, 恢复, 退回申请人, 延期 and its decision, 不予受理, 撤回).
Each command calls the same service the case page calls; the service judges authority again."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import wraps

from sqlalchemy import or_, select

from engine import clock
from engine.errors import InvalidInput, NotFound
from engine.models import Case, CaseEvent, CaseExtension, CasePause, CaseTask, Item, User
from engine.service import (
    Applicant,
    authority,
    decide_extension,
    reject,
    request_correction,
    request_extension,
    resume,
    return_to_applicant,
    suspend,
    withdraw,
)
from engine.service.intake import current_definition
from forms import materials
from forms.documents import ACTIONS
from forms.intake import check_application, handle_instant, new_token, once, receive, require_not_duplicate
from forms.service import writable_for_posts

from ..db import db_session
from .auth import current_actor, require, require_department
from .common import (
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    ApiBlueprint,
    case_command,
    case_detail,
    case_dict,
    envelope,
    paged,
    require_case_department,
    task_dict,
    visible_case,
    visible_cases,
)
from .problems import abort_problem
from .schemas import (
    CaseDetailOut,
    CaseOut,
    CaseQuery,
    CaseStartIn,
    CorrectionIn,
    DecisionIn,
    EventOut,
    ExtensionIn,
    ExtensionOut,
    PauseOut,
    ReasonIn,
    ResumeIn,
    SuspendIn,
    TaskOut,
    page_of,
)

blp = ApiBlueprint("api_cases", __name__, url_prefix="/cases", description="办件：收件、查询、时间线和办件操作")


# --- start ------------------------------------------------------------------------------------------------------------
def _receivable(session, actor: User, code: str) -> Item:
    """The item, if the actor receives applications for it: a window post in its department (or
    an administrator), as the window's intake page offers; never an internal flow."""
    item = session.scalars(select(Item).where(Item.code == code)).first()
    if item is None:
        raise NotFound(f"事项编码 {code} 不存在。")
    require_department(item.department_id, "此事项")
    if not (actor.has_role("admin") or actor.holds("window", item.department_id)):
        abort_problem(403, "permission_denied", None, "您没有此事项实施部门的窗口受理岗位，不能收件。")
    if authority.flow_kind(session, current_definition(session, item).id).internal:
        abort_problem(409, "invalid_state", None, "内部流程（督办、法制审核）不能在窗口收件。")
    return item


def _receiver(view):
    """Only someone who receives applications (a window post, or an administrator) gets to have
    the application read; which items they receive is judged with the item (_receivable)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        actor = current_actor()
        if not (actor.has_role("admin") or any(p.code == "window" for p in actor.posts)):
            abort_problem(403, "permission_denied", None, "您没有窗口受理岗位，不能收件。")
        return view(*args, **kwargs)
    return wrapper


@blp.route("", methods=["POST"])
@require("write")
@_receiver
@blp.arguments(CaseStartIn)
@blp.response(201, CaseDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def start(args):
    """收件

    登记一件申请并运行到第一个环节（承诺件）；即办件当场办结（data 为各环节可填写的字段）。
    同一 request_id 重复提交只收件一次（返回原办件）。"""
    session, actor = db_session(), current_actor()
    item = _receivable(session, actor, args["item_code"])
    applicant = Applicant(**args["applicant"])
    version = item.current_version
    instant = version.case_type == "instant"
    form, writable = (writable_for_posts(session, current_definition(session, item).id, {"window"})
                      if instant else (None, []))
    count = len(version.materials or [])
    received = set(args["materials"])
    if any(p > count for p in received):
        raise InvalidInput("所列材料不在本事项的材料清单中。", field="materials")
    data = args["data"]
    if data and not instant:
        raise InvalidInput("承诺件收件时不填写表单数据，请在各环节办理时提交。", field="data")

    def make_case():
        check_application(applicant, form if instant else None, writable, data)
        require_not_duplicate(session, item.code, applicant, args["confirm_duplicate"])
        if instant:
            return handle_instant(session, item.code, applicant, actor, data, received=received)
        return receive(session, item.code, applicant, actor, received=received, channel=args["channel"],
                       subject=args["subject"])

    case, _first = once(session, args["request_id"] or new_token(), actor, make_case)
    return case_detail(case)


# --- read -------------------------------------------------------------------------------------------------------------
@blp.route("", methods=["GET"])
@require("read")
@blp.arguments(CaseQuery, location="query")
@blp.response(200, page_of(CaseOut, "CasePage"))
@blp.problems(*READ_PROBLEMS, 422)
def list_cases(args):
    """办件列表

    调用者可以查看的办件（接口令牌还限于其授权部门），新收件在前；可按状态、事项、部门、收件日期和关键词筛选。"""
    session = db_session()
    stmt = visible_cases(session, current_actor())
    if args["state"]:
        stmt = stmt.where(Case.state == args["state"])
    if args["item_code"]:
        stmt = stmt.where(Case.item_id.in_(select(Item.id).where(Item.code == args["item_code"])))
    if args["department"]:
        stmt = stmt.where(Case.department_id == args["department"])
    if args["received_from"]:
        stmt = stmt.where(Case.received_at >= datetime.combine(args["received_from"], time.min, clock.LOCAL_TZ))
    if args["received_to"]:
        stmt = stmt.where(Case.received_at < datetime.combine(args["received_to"] + timedelta(days=1), time.min,
                                                              clock.LOCAL_TZ))
    if args["q"]:
        q = args["q"]
        stmt = stmt.where(or_(Case.number.contains(q, autoescape=True), Case.applicant_name.contains(q, autoescape=True),
                              Case.subject.contains(q, autoescape=True)))
    rows, total = paged(stmt.order_by(Case.received_at.desc(), Case.id.desc()), args["page"], args["per_page"])
    return envelope([case_dict(c) for c in rows], total, args["page"], args["per_page"])


@blp.route("/<int(max=2147483647):case_id>", methods=["GET"])
@require("read")
@blp.response(200, CaseDetailOut)
@blp.problems(*READ_PROBLEMS)
def get_case(case_id: int):
    """一件办件

    办件的申请人、状态、期限和表单数据（对查看者隐藏的字段不返回）。"""
    return case_detail(visible_case(case_id))


@blp.route("/by-number/<number>", methods=["GET"])
@require("read")
@blp.response(200, CaseDetailOut)
@blp.problems(*READ_PROBLEMS)
def get_case_by_number(number: str):
    """按办件编号查找办件"""
    found = None
    if len(number) <= 40 and number.isascii() and number.isalnum():
        found = db_session().scalars(select(Case.id).where(Case.number == number.upper())).first()
    if found is None:
        abort_problem(404, "not_found", None, f"办件编号 {number[:40]} 不存在。")
    return case_detail(visible_case(found))


@blp.route("/<int(max=2147483647):case_id>/tasks", methods=["GET"])
@require("read")
@blp.response(200, TaskOut(many=True))
@blp.problems(*READ_PROBLEMS)
def case_tasks(case_id: int):
    """办件的环节

    办件经过和正在办理的每一个环节，按到达顺序。"""
    case = visible_case(case_id)
    tasks = db_session().scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id))
    return [task_dict(t, case) for t in tasks]


@blp.route("/<int(max=2147483647):case_id>/events", methods=["GET"])
@require("read")
@blp.response(200, EventOut(many=True))
@blp.problems(*READ_PROBLEMS)
def case_events(case_id: int):
    """办件的时间线

    办件日志中的每一条记录（收件、签收、办理、退回、补正、文书……），按先后顺序。"""
    case = visible_case(case_id)
    events = db_session().scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    return [{"seq": e.seq, "at": e.at, "action": e.action, "action_name": ACTIONS.get(e.action, e.action),
             "actor_name": e.actor_name, "task_id": e.task_id, "step_id": e.step_id, "reason": e.reason}
            for e in events]


@blp.route("/<int(max=2147483647):case_id>/pauses", methods=["GET"])
@require("read")
@blp.response(200, PauseOut(many=True))
@blp.problems(*READ_PROBLEMS)
def case_pauses(case_id: int):
    """办件的暂停记录（补正、特别程序、退回申请人……）"""
    case = visible_case(case_id)
    return list(db_session().scalars(select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id)))


@blp.route("/<int(max=2147483647):case_id>/extensions", methods=["GET"])
@require("read")
@blp.response(200, ExtensionOut(many=True))
@blp.problems(*READ_PROBLEMS)
def case_extensions(case_id: int):
    """办件的延期申请"""
    case = visible_case(case_id)
    return list(db_session().scalars(select(CaseExtension).where(CaseExtension.case_id == case.id)
                                     .order_by(CaseExtension.id)))


# --- operations -------------------------------------------------------------------------------------------------------
def _commanded(case_id: int) -> Case:
    case = visible_case(case_id)
    require_case_department(case)
    return case


def _done(case_id: int) -> dict:
    db_session().flush()  # the case's new version is what the caller sends next
    return case_detail(visible_case(case_id))


@blp.route("/<int(max=2147483647):case_id>/correction", methods=["POST"])
@require("write")
@case_command
@blp.arguments(CorrectionIn)
@blp.response(200, CaseDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def correction(args, case_id: int):
    """补正告知

    一次性告知申请人需要补正的全部材料；受理前办理时限暂停（行政许可法第三十二条），补正材料告知书随之出具。"""
    case = _commanded(case_id)
    request_correction(db_session(), case.id, current_actor(), args["missing"], args["reason"],
                       args["expected_version"])
    return _done(case_id)


@blp.route("/<int(max=2147483647):case_id>/suspend", methods=["POST"])
@require("write")
@case_command
@blp.arguments(SuspendIn)
@blp.response(200, CaseDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def suspend_case(args, case_id: int):
    """特别程序开始

    听证、检验、检测、鉴定、专家评审等（行政许可法第四十五条），所需时间不计入办理时限。"""
    case = _commanded(case_id)
    suspend(db_session(), case.id, current_actor(), args["reason"], args["expected_days"], args["procedure"],
            args["expected_version"])
    return _done(case_id)


@blp.route("/<int(max=2147483647):case_id>/resume", methods=["POST"])
@require("write")
@case_command
@blp.arguments(ResumeIn)
@blp.response(200, CaseDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def resume_case(args, case_id: int):
    """恢复办理

    补正材料已收到、特别程序结束或申请人重新提交后恢复计时；补正时登记已收到的材料。"""
    session, actor = db_session(), current_actor()
    case = _commanded(case_id)
    if case.pause_kind == "correction":
        known = {m.id for m in materials.materials_of(session, case.id)}
        wanted = set(args["received_materials"])
        if wanted - known:
            raise InvalidInput("所列材料不属于本办件。", field="received_materials")
        materials.check_in(session, case, wanted | {m.id for m in materials.materials_of(session, case.id)
                                                     if m.submitted}, actor)
    resume(session, case.id, actor, args["note"], args["expected_version"])
    return _done(case_id)


@blp.route("/<int(max=2147483647):case_id>/return-to-applicant", methods=["POST"])
@require("write")
@case_command
@blp.arguments(ReasonIn)
@blp.response(200, CaseDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def return_case(args, case_id: int):
    """退回申请人

    申请退回申请人修改，重新提交前办理时限暂停。"""
    case = _commanded(case_id)
    return_to_applicant(db_session(), case.id, current_actor(), args["reason"], args["expected_version"])
    return _done(case_id)


@blp.route("/<int(max=2147483647):case_id>/extensions", methods=["POST"])
@require("write")
@case_command
@blp.arguments(ExtensionIn)
@blp.response(201, ExtensionOut)
@blp.problems(*WRITE_PROBLEMS)
def ask_extension(args, case_id: int):
    """申请延期

    向本部门负责人或审批岗位人员申请延长办理期限（行政许可法第四十二条）；批准前期限不变。"""
    case = _commanded(case_id)
    return request_extension(db_session(), case.id, current_actor(), args["days"], args["approver_id"],
                             args["reason"], args["collective_record"], args["expected_version"])


def _approver(view):
    """Only the approver named in the request decides it (the service checks again)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        case = visible_case(kwargs["case_id"])
        require_case_department(case)
        row = db_session().get(CaseExtension, kwargs["extension_id"])
        if row is None or row.case_id != case.id:
            abort_problem(404, "not_found", None, "延期申请不存在或不属于本办件。")
        if row.approver_id != current_actor().id:
            abort_problem(403, "permission_denied", None, "只有申请中指定的批准人可以审批此项延期。")
        return view(*args, **kwargs)
    return wrapper


@blp.route("/<int(max=2147483647):case_id>/extensions/<int(max=2147483647):extension_id>/decision", methods=["POST"])
@require("write")
@_approver
@blp.arguments(DecisionIn)
@blp.response(200, ExtensionOut)
@blp.problems(*WRITE_PROBLEMS)
def decide(args, case_id: int, extension_id: int):
    """延期审批

    只有申请中指定的批准人可以审批；不批准须说明理由。"""
    case = _commanded(case_id)
    row = db_session().get(CaseExtension, extension_id)
    if row is None or row.case_id != case.id:
        abort_problem(404, "not_found", None, "延期申请不存在或不属于本办件。")
    return decide_extension(db_session(), extension_id, current_actor(), args["approve"], args["note"],
                            args["expected_version"])


@blp.route("/<int(max=2147483647):case_id>/reject", methods=["POST"])
@require("write")
@case_command
@blp.arguments(ReasonIn)
@blp.response(200, CaseDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def reject_case(args, case_id: int):
    """不予受理

    受理前作出不予受理决定，不予受理决定书随之出具。"""
    case = _commanded(case_id)
    reject(db_session(), case.id, current_actor(), args["reason"], args["expected_version"])
    return _done(case_id)


@blp.route("/<int(max=2147483647):case_id>/withdraw", methods=["POST"])
@require("write")
@case_command
@blp.arguments(ReasonIn)
@blp.response(200, CaseDetailOut)
@blp.problems(*WRITE_PROBLEMS)
def withdraw_case(args, case_id: int):
    """撤回申请

    申请人撤回申请，办件结束。"""
    case = _commanded(case_id)
    withdraw(db_session(), case.id, current_actor(), args["reason"], args["expected_version"])
    return _done(case_id)
