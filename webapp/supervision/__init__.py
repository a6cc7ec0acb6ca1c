"""The supervision console (电子监察): dashboard, alerts and 督办, the rule catalogue, case replay,
sampling, performance with Excel export, and complaints. For supervisors only."""

from __future__ import annotations

import io
import json
from datetime import date
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import calendar_notice, clock, incidents, paging
from engine.errors import InvalidInput, PermissionDenied, SunhallError
from engine.models import Case, Department, Item, ItemVersion, ProcessDefinition, Question, User
from engine.paging import Order
from engine.service.common import specs_for
from forms.models import FormVersion
from rules import complaints, reports
from rules import params as rule_params
from rules.models import ALERT_STATES, LEVELS, Alert, Complaint, Rule, RuleVersion
from rules.replay import replay
from rules.service import SCOPES, acknowledge, dismiss, open_supervision, resolve, update_rule

from ..db import db_session
from ..paging import cursor, links

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def supervisor_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.has_role("supervisor"):
            raise PermissionDenied("电子监察仅对监察人员开放。")
        return view(*args, **kwargs)
    return wrapper


def me() -> User:
    return current_user._get_current_object()


def _refused(exc: SunhallError, target: str, **kw):
    g.db_rollback = True
    flash("操作未完成：" + exc.message, "error")
    return redirect(url_for(target, **kw))


@bp.get("")
@supervisor_only
def dashboard():
    """The alert trend's past months are counted once per process (:class:`rules.reports.AlertTrend`)."""
    data = reports.dashboard(db_session(), current_app.extensions.setdefault("sunhall_alert_trend", reports.AlertTrend()))
    return render_template("supervision/dashboard.html", d=data, as_json=lambda v: json.dumps(v, ensure_ascii=False),
                           open_incidents=incidents.open_count(db_session()),
                           calendar_reminder=calendar_notice.missing_next_year_reminder(db_session()))


@bp.get("/incidents")
@supervisor_only
def incident_list():
    """定时任务故障: due timers, watches and lapses that failed (retried on every tick) — supervisors and admins."""
    session = db_session()
    rows = incidents.open_incidents(session)
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_({i.case_id for i in rows if i.case_id})))}
    return render_template("supervision/incidents.html", rows=rows, cases=cases, kinds=incidents.KINDS)


ALERT_PAGE = 50
ALERT_ORDER = (Order(Alert.created_at, desc=True), Order(Alert.id, desc=True))


@bp.get("/alerts")
@supervisor_only
def alerts():
    """Newest first, paged by keyset through the (created_at, id) index or (state, created_at, id)."""
    session = db_session()
    q = select(Alert)
    args = request.args
    if args.get("level") in LEVELS:
        q = q.where(Alert.level == args["level"])
    if args.get("state") in ALERT_STATES:
        q = q.where(Alert.state == args["state"])
    if args.get("department", type=int):
        q = q.where(Alert.department_id == args.get("department", type=int))
    if args.get("rule"):
        q = q.where(Alert.rule_code == args["rule"])
    if args.get("origin") in ("own", "external"):  # 外部: alerts on cases reported by departments' own systems
        q = q.outerjoin(Case, Case.id == Alert.case_id).where(reports.origin_filter(args["origin"]))
    page = paging.fetch(session, q, ALERT_ORDER, lambda a: (a.created_at, a.id), size=ALERT_PAGE, scalars=True,
                        **cursor())
    rows = page.rows
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_({a.case_id for a in rows if a.case_id})))}
    departments = list(session.scalars(select(Department).order_by(Department.id)))
    return render_template("supervision/alerts.html", rows=rows, cases=cases, levels=LEVELS, states=ALERT_STATES,
                           departments=departments, args=args, pages=links(page),
                           rules=list(session.scalars(select(Rule).order_by(Rule.code))), origins=reports.ORIGINS,
                           dept_names={d.id: d.name for d in departments})


@bp.post("/alerts/<int:alert_id>/<action>")
@supervisor_only
def alert_action(alert_id: int, action: str):
    session = db_session()
    try:
        if action == "acknowledge":
            acknowledge(session, alert_id, me())
        elif action == "dismiss":
            dismiss(session, alert_id, me(), request.form.get("reason", ""))
        elif action == "resolve":
            resolve(session, alert_id, me(), request.form.get("note", ""))
        elif action == "supervise":
            try:
                end = date.fromisoformat(request.form.get("end_date", ""))
            except ValueError:
                raise InvalidInput("请填写要求办结日期（YYYY-MM-DD）。", field="end_date") from None
            alert = open_supervision(session, alert_id, me(), request.form.get("requirement", ""), end)
            flash("督办已发起，请在工作台办理“发起督办”环节。")
            return redirect(url_for("workbench.case_page", case_id=alert.order_case_id))
        else:
            abort(404)
    except SunhallError as exc:
        return _refused(exc, "supervision.alerts")
    flash("已处理。")
    return redirect(request.referrer or url_for("supervision.alerts"))


@bp.get("/rules")
@supervisor_only
def rules():
    session = db_session()
    return render_template("supervision/rules.html", rules=list(session.scalars(select(Rule).order_by(Rule.code))),
                           levels=LEVELS, scopes=SCOPES, rule_types=rule_params.RULE_TYPES,
                           describe=_describer(_code_names(session)))


def _describer(names: dict[str, str]):
    return lambda rule_type, params: rule_params.describe(rule_type, params, names)


def _code_names(session) -> dict[str, str]:
    """Form fields and steps by the names people know them (the rules name them by code)."""
    names: dict[str, str] = {}
    for version in session.scalars(select(FormVersion).order_by(FormVersion.version)):
        names.update({f["name"]: f["label"] for f in version.definition.get("fields", []) if "label" in f})
    latest: dict[str, int] = {}
    for definition_id, key in session.execute(select(ProcessDefinition.id, ProcessDefinition.process_key)
                                              .order_by(ProcessDefinition.version)):
        latest[key] = definition_id
    for definition_id in latest.values():
        spec, _ = specs_for(session, definition_id)
        names.update({name: t.bpmn_name for name, t in spec.task_specs.items()
                      if getattr(t, "step", None) is not None and t.bpmn_name})
    return names


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@supervisor_only
def rule(rule_id: int):
    """One rule: each parameter a labelled input; a refused change shows what was typed with the
    message beside its field, and nothing is kept (the service checks every value)."""
    session = db_session()
    item = session.get(Rule, rule_id)
    if item is None:
        abort(404)
    fields = rule_params.params_of(item.type)
    names = _code_names(session)
    values = {"params": rule_params.form_values(item.type, item.params), "level": item.level,
              "scope_kind": item.scope_kind, "scope_value": item.scope_value or "", "enabled": item.enabled, "note": ""}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        params = {p.key: form.get(f"param.{p.key}", "") for p in fields}
        values = {"params": params, "level": form.get("level", ""), "scope_kind": form.get("scope_kind", ""),
                  "scope_value": form.get("scope_value", ""), "enabled": form.get("enabled") == "on",
                  "note": form.get("note", "")}
        try:
            update_rule(session, rule_id, me(), params=params if fields else None, level=values["level"],
                        enabled=values["enabled"], scope_kind=values["scope_kind"], scope_value=values["scope_value"],
                        note=values["note"])
            flash(f"规则 {item.code} 已修改为第 {item.version} 版，下一次办理即按新参数检查。")
            return redirect(url_for("supervision.rule", rule_id=rule_id))
        except SunhallError as exc:
            g.db_rollback = True
            session.rollback()
            item = session.get(Rule, rule_id)
            errors = dict(exc.details.get("errors") or {exc.details.get("field") or "_form": exc.message})
            status = exc.status
    history = list(session.scalars(select(RuleVersion).where(RuleVersion.rule_id == rule_id)
                                   .order_by(RuleVersion.version.desc())))
    users = {u.id: u.name for u in session.scalars(select(User))}
    return render_template("supervision/rule.html", rule=item, history=history, users=users, levels=LEVELS,
                           scopes=SCOPES, fields=fields, values=values, errors=errors,
                           rule_types=rule_params.RULE_TYPES, describe=_describer(names), names=names), status


@bp.get("/cases/<int:case_id>")
@supervisor_only
def case_replay(case_id: int):
    session = db_session()
    case = session.get(Case, case_id)
    if case is None:
        abort(404)
    return render_template("supervision/replay.html", case=case, r=replay(session, case), levels=LEVELS,
                           states=ALERT_STATES)


@bp.get("/sampling")
@supervisor_only
def sampling():
    session = db_session()
    start, end, label = reports.parse_period(request.args.get("period"))
    count = request.args.get("count", 10, type=int)
    chosen = reports.sample_finished(session, count, start, end, request.args.get("item", type=int)) \
        if request.args.get("draw") else []
    items = session.execute(select(Item.id, ItemVersion.name).join(ItemVersion, ItemVersion.id == Item.current_version_id)
                            .order_by(Item.code)).all()
    return render_template("supervision/sampling.html", chosen=chosen, label=label, items=items, args=request.args)


def _performance(session):
    start, end, label = reports.parse_period(request.args.get("period"))
    by = request.args.get("by", "department")
    origin = request.args.get("origin") or "all"
    if by == "department":
        rows = reports.performance_by_department(session, start, end, origin)
    elif by in ("post", "step"):
        rows = reports.performance_by_step(session, start, end, by, origin)
    else:
        raise InvalidInput("统计维度只能是单位、岗位或环节。", field="by")
    return rows, label, by


@bp.get("/performance")
@supervisor_only
def performance():
    rows, label, by = _performance(db_session())
    return render_template("supervision/performance.html", rows=rows, label=label, by=by, columns=reports.COLUMNS,
                           args=request.args, origins=reports.ORIGINS)


@bp.get("/performance.xlsx")
@supervisor_only
def performance_xlsx():
    rows, label, by = _performance(db_session())
    buffer = io.BytesIO()
    title = f"{label}绩效统计（按{ {'department': '单位', 'post': '岗位', 'step': '环节'}[by] }）"
    origin = request.args.get("origin") or "all"
    if origin != "all":  # the filter is part of what the sheet says: 外部报送办件 only, or our own
        title += {"own": "（本平台办件）", "external": "（外部报送办件）"}[origin]
    reports.to_excel(rows, title, buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"{label}绩效统计.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/complaints", methods=["GET", "POST"])
@supervisor_only
def complaint_list():
    session = db_session()
    error = None
    if request.method == "POST":
        f = request.form
        try:
            c = complaints.receive(session, me(), channel=f.get("channel", ""), complainant=f.get("complainant", ""),
                                   contact=f.get("contact", ""), content=f.get("content", ""),
                                   department_id=f.get("department_id", type=int), case_number=f.get("case_number") or None)
            flash(f"投诉已登记：{c.number}，应于 {c.accept_due} 前决定是否受理。")
            return redirect(url_for("supervision.complaint_list"))
        except SunhallError as exc:
            g.db_rollback = True
            session.rollback()
            error = exc.message
    rows = list(session.scalars(select(Complaint).order_by(Complaint.received_at.desc()).limit(200)))
    leaders = [u for u in session.scalars(select(User).where(User.department_id == current_user.department_id))
               if u.has_role("leader") and u.id != current_user.id]  # the supervision office's own head
    questions = dict(session.execute(select(Question.id, Question.number).where(
        Question.id.in_({c.question_id for c in rows if c.question_id}))).all())
    cases = dict(session.execute(select(Case.id, Case.number).where(
        Case.id.in_({c.case_id for c in rows if c.case_id}))).all())
    return render_template("supervision/complaints.html", rows=rows, error=error, values=request.form,
                           channels=complaints.CHANNELS, states=complaints.STATES, leaders=leaders,
                           questions=questions, cases=cases,
                           departments=list(session.scalars(select(Department))),
                           dept_names={d.id: d.name for d in session.scalars(select(Department))}, today=clock.today()), \
        (422 if error else 200)


@bp.post("/complaints/<int:complaint_id>/<action>")
@supervisor_only
def complaint_action(complaint_id: int, action: str):
    session = db_session()
    try:
        if action == "accept":
            complaints.accept(session, complaint_id, me())
        elif action == "refuse":
            complaints.refuse(session, complaint_id, me(), request.form.get("reason", ""))
        elif action == "extend":
            complaints.extend(session, complaint_id, me(), request.form.get("approver", type=int) or 0)
        elif action == "answer":
            complaints.answer(session, complaint_id, me(), request.form.get("answer", ""))
        else:
            abort(404)
    except SunhallError as exc:
        return _refused(exc, "supervision.complaint_list")
    flash("已处理。")
    return redirect(url_for("supervision.complaint_list"))


# the pages on this blueprint: 政务公开 (the annual report, publication deadlines) and 在线解答
from . import disclosure, qa  # noqa: E402, F401
