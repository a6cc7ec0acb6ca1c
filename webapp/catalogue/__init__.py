"""事项库 and 流程设计器: the catalogue of items (create, change, suspend, cancel — each declared and
reviewed by the legal office), version comparison, flow versions with their running cases, and the
designer (bpmn-js) whose saves the server checks in full."""

from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engine import catalogue
from engine.bpmn.diff import FlowNames, compare_flows
from engine.errors import InvalidInput, NotFound, PermissionDenied, ProcessInvalid, SunhallError
from engine.models import Case, Department, Item, ItemChange, ItemVersion, Post, ProcessDefinition, User
from engine.models.items import (
    AUDIENCES,
    CASE_TYPES,
    CHANGE_KINDS,
    ITEM_CATEGORIES,
    ITEM_STATUSES,
    LIMIT_UNITS,
    SUBJECT_NATURES,
    THEMES,
)
from engine.validation import control_character, parse_id
from forms.documents import KINDS
from forms.models import FormVersion
from forms.registry import get_form
from rules.models import Rule

from ..db import db_session
from . import itemform

bp = Blueprint("catalogue", __name__)


def me():
    return current_user._get_current_object()


def designer_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.has_role("designer"):
            raise PermissionDenied("只有流程设计人员可以变更事项和流程图。")
        return view(*args, **kwargs)
    return wrapper


def _item(code: str) -> Item:
    if len(code) > 40 or control_character(code):  # item.code is String(40); NUL would reach the database
        abort(404)
    item = db_session().scalars(select(Item).where(Item.code == code)).first()
    if item is None:
        abort(404)
    return item


def _labels():
    return dict(categories=ITEM_CATEGORIES, case_types=CASE_TYPES, units=LIMIT_UNITS, statuses=ITEM_STATUSES,
                clock_starts=itemform.CLOCK_STARTS, audiences=AUDIENCES, themes=THEMES,
                natures=SUBJECT_NATURES, kinds=CHANGE_KINDS, labels=catalogue.LABELS)


# ---------------------------------------------------------------- catalogue

@bp.get("/catalogue")
@login_required
def items():
    session = db_session()
    rows = list(session.scalars(select(Item).options(joinedload(Item.current_version), joinedload(Item.department))
                                .order_by(Item.code)))
    pending = dict(session.execute(select(ItemChange.item_id, func.count()).where(ItemChange.state == "declared")
                                   .group_by(ItemChange.item_id)).all())
    running = dict(session.execute(select(Case.item_id, func.count()).where(Case.state.in_(("received", "accepted")))
                                   .group_by(Case.item_id)).all())
    return render_template("catalogue/items.html", rows=rows, pending=pending, running=running, **_labels())


@bp.get("/catalogue/<code>")
@login_required
def item(code: str):
    session = db_session()
    item = _item(code)
    versions = list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == item.id)
                                    .order_by(ItemVersion.version.desc())))
    changes = list(session.scalars(select(ItemChange).where(ItemChange.item_id == item.id)
                                   .order_by(ItemChange.id.desc())))
    current = item.current_version
    lacking = catalogue.missing_fields(session, catalogue.fields_of(current)) if current else []
    notes = catalogue.public_notes(session, catalogue.fields_of(current)) if current else []
    diff, pair = None, None
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a and b:
        by_number = {v.version: v for v in versions}
        if a not in by_number or b not in by_number:
            flash("所选版本不存在。", "error")
        else:
            pair = (by_number[a], by_number[b])
            diff = catalogue.compare_versions(*pair)
    return render_template("catalogue/item.html", item=item, v=current, versions=versions, changes=changes,
                           lacking=lacking, notes=notes, diff=diff, pair=pair, show=_shower(session), **_labels())


def _shower(session):
    """``show(field, value, unit)``: an item field as the catalogue page prints it, in words: codes by
    their names, lists one entry a line, periods with their unit (never JSON)."""
    flows = dict(session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name)
                                 .order_by(ProcessDefinition.version)).all())

    def show(name: str, value, unit: str | None = "workday") -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "（空）"
        if isinstance(value, bool):
            return "是" if value else "否"
        if name == "audiences" and isinstance(value, list):
            return "、".join(AUDIENCES.get(a, str(a)) for a in value)
        if name in ("aliases", "themes") and isinstance(value, list):
            return "、".join(str(v) for v in value)
        words = {"category": ITEM_CATEGORIES, "case_type": CASE_TYPES, "limit_unit": LIMIT_UNITS,
                 "clock_start": itemform.CLOCK_STARTS}.get(name)
        if words is not None:
            return words.get(value, str(value))
        if name in ("legal_limit", "promised_limit", "extension_limit"):
            return f"{value} {LIMIT_UNITS.get(unit or 'workday', '工作日')}"
        if name in ("correction_notice_limit", "correction_answer_days"):
            return f"{value} 个工作日"
        if name == "process_key":
            return f"{flows[value]}（流程标识 {value}）" if value in flows else f"{value}（尚无已发布的流程图）"
        if name == "extra" and isinstance(value, dict):
            return "\n".join(f"{k}：{_extra(v)}" for k, v in value.items())
        if isinstance(value, list):
            return "\n".join(f"{n}. {_row(name, row)}" for n, row in enumerate(value, 1))
        if isinstance(value, dict):
            return "；".join(f"{k}：{_extra(v)}" for k, v in value.items())
        return str(value)

    return show


def _row(name: str, row) -> str:
    """One entry of an item's list field (依据, 材料, 表格, 问答)."""
    if not isinstance(row, dict):
        return _extra(row)
    if name == "legal_basis":
        return f"《{row.get('title', '').strip('《》')}》{row.get('article') or ''}" + (f"：{row['text']}" if row.get("text") else "")
    if name == "materials":
        count = row.get("count")
        facts = [row.get("format"), row.get("original"), f"{count} 份" if count else None,
                 "必需" if row.get("required") else "非必需"]
        return f"{row.get('name', '')}（{'，'.join(f for f in facts if f)}）"
    if name == "service_forms":
        facts = "；".join(f"{label}：{row[key]}" for key, label in (("summary", "简要说明"), ("note", "填写说明"))
                         if row.get(key))
        return " ".join(v for v in (row.get("code"), row.get("name")) if v) + (f"（{facts}）" if facts else "")
    if name == "faq":
        return f"问：{row.get('q', '')}　答：{row.get('a', '')}"
    return "，".join(_extra(v) for v in row.values())


def _extra(value) -> str:
    """A value of a category's own field: a list joined with 、, a range as 下限–上限."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_extra(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k} {_range(v)}" for k, v in value.items())
    return str(value)


def _range(value) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return f"{value[0]}–{value[1]}"
    return _extra(value)


def _edit_page(values, item=None, error=None, missing=(), status=200, errors=None):
    session = db_session()
    keys = sorted(session.scalars(select(ProcessDefinition.process_key).distinct()))
    return render_template("catalogue/edit.html", f=values, item=item, error=error, missing=missing, errors=errors or {},
                           lists=itemform.LISTS,
                           extra_by_category=catalogue.CATEGORY_EXTRA, process_keys=keys, severities=itemform.SEVERITIES,
                           departments=list(session.scalars(select(Department).order_by(Department.code))),
                           **_labels()), status


@bp.route("/catalogue/new", methods=["GET", "POST"])
@bp.route("/catalogue/<code>/change", methods=["GET", "POST"])
@designer_only
def edit(code: str | None = None):
    session = db_session()
    item = _item(code) if code else None
    if request.method == "GET":
        fields = catalogue.fields_of(item.current_version) if item else {
            "category": "01", "case_type": "promised", "subject_nature": "法定机关", "limit_unit": "workday",
            "correction_notice_limit": 5, "extension_limit": 0}
        values = itemform.to_form(fields)
        values["department"] = item.department_id if item else me().department_id
        return _edit_page(values, item)
    fields = itemform.from_form(request.form, catalogue.fields_of(item.current_version) if item else None)
    values = dict(request.form, charges_fee=fields["charges_fee"],  # a refusal shows exactly what was typed
                  **{k: fields[k] for k in itemform.PUBLIC_DEFAULTS})  # and ticked
    department_id = parse_id(request.form.get("department", ""))
    department = session.get(Department, department_id) if department_id else None
    try:
        change = catalogue.declare_change(session, me(), fields, request.form.get("reason", ""),
                                          item.code if item else None, department)
    except InvalidInput as exc:
        g.db_rollback = True
        errors = dict(exc.details.get("errors") or {})
        if exc.details.get("field") and exc.details["field"] not in errors:
            errors[exc.details["field"]] = exc.message
        return _edit_page(values, item, exc.message, exc.details.get("missing", ()), 422, errors)
    flash("已申报，请在工作台完成“申报”环节，提交法制审核；审核通过后发布为新版本。")
    return redirect(url_for("catalogue.change", change_id=change.id))


@bp.post("/catalogue/<code>/status")
@designer_only
def status(code: str):
    item = _item(code)
    try:
        change = catalogue.declare_status(db_session(), me(), item.code, request.form.get("status", ""),
                                          request.form.get("reason", ""))
    except SunhallError as exc:
        g.db_rollback = True
        flash("操作未完成：" + exc.message, "error")
        return redirect(url_for("catalogue.item", code=code))
    flash("已申报，法制审核通过后生效。")
    return redirect(url_for("catalogue.change", change_id=change.id))


@bp.get("/catalogue/changes/<int:change_id>")
@login_required
def change(change_id: int):
    """A declared change as the legal office reviews it: the proposed fields against the current
    version, the flow chart against the newest published version, or the status."""
    session = db_session()
    change = session.get(ItemChange, change_id)
    if change is None:
        abort(404)
    item = session.get(Item, change.item_id) if change.item_id else None
    diff, flow_diff, base_version = [], [], None
    if change.kind == "item":
        diff = catalogue.compare_fields(catalogue.fields_of(item.current_version if item else None), change.fields)
    elif change.kind == "flow":
        base = _latest(session, change.process_key)
        base_version = base.version if base else None
        flow_diff = compare_flows(base.bpmn_xml, change.bpmn_xml, _flow_names(session)) if base else []
    review = session.get(Case, change.review_case_id) if change.review_case_id else None
    return render_template("catalogue/change.html", change=change, item=item, diff=diff, flow_diff=flow_diff,
                           base_version=base_version, review=review, show=_shower(session), **_labels())


@bp.get("/catalogue/changes/<int:change_id>/diagram")
@login_required
def change_diagram(change_id: int):
    change = db_session().get(ItemChange, change_id)
    if change is None or change.kind != "flow":
        abort(404)
    base = _latest(db_session(), change.process_key)
    changed = [c.element for c in compare_flows(base.bpmn_xml, change.bpmn_xml)] if base else []
    return jsonify(xml=change.bpmn_xml, done=[], current=changed, flows=[])


# ---------------------------------------------------------------- flows and the designer

def _latest(session, key: str) -> ProcessDefinition | None:
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == key)
                           .order_by(ProcessDefinition.version.desc())).first()


def _definitions(session, key: str) -> list[ProcessDefinition]:
    rows = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == key)
                                .order_by(ProcessDefinition.version.desc())))
    if not rows:
        abort(404)
    return rows


@bp.get("/flows/<key>")
@login_required
def flow_versions(key: str):
    session = db_session()
    rows = _definitions(session, key)
    running = catalogue.running_cases_by_version(session, key)
    by_number = {d.version: d for d in rows}
    a = request.args.get("a", type=int) or (rows[1].version if len(rows) > 1 else rows[0].version)
    b = request.args.get("b", type=int) or rows[0].version
    diff = None
    if "a" in request.args:
        if a not in by_number or b not in by_number:
            flash("所选版本不存在。", "error")
        else:
            diff = compare_flows(by_number[a].bpmn_xml, by_number[b].bpmn_xml, _flow_names(session))
    return render_template("catalogue/flows.html", key=key, rows=rows, running=running, a=a, b=b, diff=diff,
                           item=catalogue.item_for_process(session, key), pending=catalogue.open_flow_change(session, key))


@bp.get("/flows/<key>/<int:version>.bpmn")
@login_required
def export_version(key: str, version: int):
    definition = db_session().scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == key,
                                                                      ProcessDefinition.version == version)).first()
    if definition is None:
        abort(404)
    return Response(definition.bpmn_xml, mimetype="application/xml", headers=XML_HEADERS | {
        "Content-Disposition": f'attachment; filename="{key}-v{version}.bpmn"'})


def _flow_names(session) -> FlowNames:
    """What a flow chart's codes are called, for the flow diff a legal reviewer reads."""
    posts, forms, fields = {}, {}, {}
    for post in session.scalars(select(Post).order_by(Post.code, Post.id)):
        posts.setdefault(post.code, post.name)
    for form_key in sorted(set(session.scalars(select(FormVersion.key)))):
        form = get_form(session, form_key)
        forms[form_key] = form.name
        fields[form_key] = {f["name"]: f.get("label", f["name"]) for f in form.fields}
    return FlowNames(posts=posts, forms=forms, fields=fields,
                     departments={d.code: d.name for d in session.scalars(select(Department))},
                     rules={r.code: r.name for r in session.scalars(select(Rule))},
                     users={u.staff_no: f"{u.name}（{u.staff_no}）" for u in session.scalars(select(User))})


def _designer_meta(session, key: str, change: ItemChange | None) -> dict:
    posts = {}
    for post in session.scalars(select(Post).order_by(Post.code)):
        posts.setdefault(post.code, post.name)
    forms = {}
    for form_key in sorted(set(session.scalars(select(FormVersion.key)))):
        form = get_form(session, form_key)
        forms[form_key] = {"name": form.name, "fields": [{"name": f["name"], "label": f.get("label", f["name"])}
                                                         for f in form.fields]}
    locked = change is not None and catalogue.declare_task(session, change) is None
    return {
        "processKey": key,
        "xmlUrl": url_for("catalogue.designer_xml", key=key),
        "saveUrl": url_for("catalogue.designer_save", key=key),
        "submitUrl": url_for("catalogue.designer_submit", key=key),
        "csrf": generate_csrf(),
        "posts": [{"code": c, "name": n} for c, n in posts.items()],
        "departments": [{"code": d.code, "name": d.name} for d in session.scalars(select(Department).order_by(Department.code))],
        "forms": forms,
        "documents": [k.title for k in KINDS.values() if k.title != "全案卷宗"],
        "rules": [{"code": r.code, "name": r.name} for r in session.scalars(select(Rule).order_by(Rule.code))],
        "locked": locked,
        "hasDraft": change is not None and not locked,
    }


PROCESS_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{1,99}$")


@bp.get("/designer")
@designer_only
def designer_new():
    """新建流程: a new flow chart under its own process id, reviewed like any change."""
    key = (request.args.get("key") or "").strip()
    if not PROCESS_KEY.match(key):
        flash("流程标识须以字母开头，只含字母、数字和下划线（2–100 个字符）。", "error")
        return redirect(url_for("catalogue.items"))
    return redirect(url_for("catalogue.designer", key=key))


@bp.get("/designer/<key>")
@designer_only
def designer(key: str):
    session = db_session()
    latest = _latest(session, key)
    change = catalogue.open_flow_change(session, key)
    if latest is None and change is None and not PROCESS_KEY.match(key):
        raise InvalidInput("流程标识须以字母开头，只含字母、数字和下划线。")
    meta = _designer_meta(session, key, change)
    return render_template("catalogue/designer.html", key=key, latest=latest, change=change, meta=meta,
                           item=catalogue.item_for_process(session, key),
                           running=catalogue.running_cases_by_version(session, key))


BLANK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:sunhall="urn:sunhall:bpmn:1.0" id="Definitions_{key}" targetNamespace="urn:sunhall:processes">
  <bpmn:process id="{key}" name="新流程" isExecutable="true">
    <bpmn:startEvent id="start" name="申请"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="{key}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="160" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@bp.get("/designer/<key>/xml")
@designer_only
def designer_xml(key: str):
    session = db_session()
    change = catalogue.open_flow_change(session, key)
    if change is not None:
        xml = change.bpmn_xml
    else:
        latest = _latest(session, key)
        xml = latest.bpmn_xml if latest else BLANK.replace("{key}", key)
    return Response(xml, mimetype="application/xml", headers=XML_HEADERS | {
        "Content-Disposition": f'attachment; filename="{key}.bpmn"'})


# a flow chart is data, never a page: whatever a draft embeds (an XHTML <script>) cannot run in our origin
XML_HEADERS = {"Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff"}


@bp.post("/designer/<key>/save")
@designer_only
def designer_save(key: str):
    payload = request.get_json(silent=True) or {}
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise InvalidInput("没有收到流程图。")
    try:
        change = catalogue.save_flow(db_session(), me(), key, xml.encode("utf-8"))
    except ProcessInvalid as exc:
        g.db_rollback = True
        problems = [{"element": p.element, "line": p.line, "message": p.message} for p in exc.problems]
        return jsonify(error=exc.code, message=f"服务器校验未通过，共 {len(problems)} 个问题，已在图中标出。",
                       problems=problems), 422
    return jsonify(change_id=change.id, review_case=change.review_case_id,
                   message="已保存草稿并通过服务器校验。填写变更理由后可提交法制审核。")


@bp.post("/designer/<key>/submit")
@designer_only
def designer_submit(key: str):
    session = db_session()
    change = catalogue.open_flow_change(session, key)
    if change is None:
        raise NotFound("请先保存草稿。")
    catalogue.submit_change(session, me(), change.id, (request.get_json(silent=True) or {}).get("reason", ""))
    return jsonify(change_id=change.id, message="已提交法制审核。审核通过后发布为新版本，新办件使用新版本，在办件按原版本办结。")
