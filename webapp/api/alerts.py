"""预警 for supervisors (电子监察): the alerts list with its filters, and what the supervision
console does with one — 确认, 撤销 (with a reason), 办结 (with the result) and 督办 (starts the
supervision-order flow). rules.service checks the supervisor role again."""

from __future__ import annotations

from functools import wraps

from sqlalchemy import select

from engine.models import Case
from rules.models import ALERT_STATES, LEVELS, Alert
from rules.service import acknowledge, dismiss, open_supervision, require_supervisor, resolve

from ..db import db_session
from .auth import current_actor, department_filter, require, require_department
from .common import READ_PROBLEMS, WRITE_PROBLEMS, ApiBlueprint, envelope, paged
from .problems import abort_problem
from .schemas import AlertOut, AlertQuery, DismissIn, ResolveIn, SuperviseIn, VersionIn, page_of

blp = ApiBlueprint("api_alerts", __name__, url_prefix="/alerts", description="电子监察：预警信息和督办（监察人员）")


def _supervisor():
    actor = current_actor()
    require_supervisor(actor)
    return actor


def _alert_dict(alert: Alert, numbers: dict[int, str]) -> dict:
    return {"id": alert.id, "rule_code": alert.rule_code, "level": alert.level,
            "level_name": LEVELS.get(alert.level, alert.level), "state": alert.state,
            "state_name": ALERT_STATES.get(alert.state, alert.state), "message": alert.message,
            "case_id": alert.case_id, "case_number": numbers.get(alert.case_id), "department_id": alert.department_id,
            "step_id": alert.step_id, "created_at": alert.created_at, "handled_at": alert.handled_at,
            "handling_note": alert.handling_note, "order_case_id": alert.order_case_id}


def _dump(alerts: list[Alert]) -> list[dict]:
    ids = {a.case_id for a in alerts if a.case_id}
    numbers = dict(db_session().execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all()) if ids else {}
    return [_alert_dict(a, numbers) for a in alerts]


def supervisors(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        _supervisor()
        return view(*args, **kwargs)
    return wrapper


@blp.route("", methods=["GET"])
@require("read")
@supervisors
@blp.arguments(AlertQuery, location="query")
@blp.response(200, page_of(AlertOut, "AlertPage"))
@blp.problems(401, 403, 422)
def list_alerts(args):
    """预警信息

    监察规则发现的问题，新的在前；可按级别（remind 提醒、warning 预警、alarm 报警）、处理状态、部门、规则和办件筛选。
    接口令牌只列出其授权部门的预警。"""
    _supervisor()
    stmt = select(Alert)
    if args["level"]:
        stmt = stmt.where(Alert.level == args["level"])
    if args["state"]:
        stmt = stmt.where(Alert.state == args["state"])
    if args["department"]:
        stmt = stmt.where(Alert.department_id == args["department"])
    if args["rule"]:
        stmt = stmt.where(Alert.rule_code == args["rule"])
    if args["case_id"]:
        stmt = stmt.where(Alert.case_id == args["case_id"])
    departments = department_filter()
    if departments is not None:
        stmt = stmt.where(Alert.department_id.in_(departments))
    rows, total = paged(stmt.order_by(Alert.created_at.desc(), Alert.id.desc()), args["page"], args["per_page"])
    return envelope(_dump(rows), total, args["page"], args["per_page"])


def _visible(alert_id: int) -> Alert:
    _supervisor()
    alert = db_session().get(Alert, alert_id)
    if alert is None:
        abort_problem(404, "not_found", None, "预警信息不存在。")
    require_department(alert.department_id, "此预警")
    return alert


@blp.route("/<int(max=2147483647):alert_id>", methods=["GET"])
@require("read")
@blp.response(200, AlertOut)
@blp.problems(*READ_PROBLEMS)
def get_alert(alert_id: int):
    """一条预警信息"""
    return _dump([_visible(alert_id)])[0]


def alert_route(view):
    """Supervisors only, and (for a token) an alert of its departments — before the body is read."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        _visible(kwargs["alert_id"])
        return view(*args, **kwargs)
    return wrapper


def _after(alert: Alert) -> dict:
    db_session().flush()
    return _dump([alert])[0]


@blp.route("/<int(max=2147483647):alert_id>/acknowledge", methods=["POST"])
@require("write")
@alert_route
@blp.arguments(VersionIn)
@blp.response(200, AlertOut)
@blp.problems(*WRITE_PROBLEMS)
def acknowledge_alert(_args, alert_id: int):
    """确认预警"""
    return _after(acknowledge(db_session(), _visible(alert_id).id, current_actor()))


@blp.route("/<int(max=2147483647):alert_id>/dismiss", methods=["POST"])
@require("write")
@alert_route
@blp.arguments(DismissIn)
@blp.response(200, AlertOut)
@blp.problems(*WRITE_PROBLEMS)
def dismiss_alert(args, alert_id: int):
    """撤销预警（须说明理由）"""
    return _after(dismiss(db_session(), _visible(alert_id).id, current_actor(), args["reason"]))


@blp.route("/<int(max=2147483647):alert_id>/resolve", methods=["POST"])
@require("write")
@alert_route
@blp.arguments(ResolveIn)
@blp.response(200, AlertOut)
@blp.problems(*WRITE_PROBLEMS)
def resolve_alert(args, alert_id: int):
    """办结预警（填写处理结果）"""
    return _after(resolve(db_session(), _visible(alert_id).id, current_actor(), args["note"]))


@blp.route("/<int(max=2147483647):alert_id>/supervise", methods=["POST"])
@require("write")
@alert_route
@blp.arguments(SuperviseIn)
@blp.response(200, AlertOut)
@blp.problems(*WRITE_PROBLEMS)
def supervise_alert(args, alert_id: int):
    """发起督办

    为预警启动督办流程（电子监察督办）；返回的 order_case_id 是督办单办件，在工作台办理其“发起督办”环节。"""
    return _after(open_supervision(db_session(), _visible(alert_id).id, current_actor(), args["requirement"],
                                   args["end_date"]))
