"""组织机构 and 岗位: regions and the department tree (expanded and collapsed without script by
``<details>``), a department's form, its posts. Handlers load, call :mod:`engine.orgadmin` (which
checks the administrator again and logs the change) and render; a refused form comes back with
what was typed, its errors inline and a summary, status 422."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import orgadmin
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.models import Department
from engine.models.org import REGION_LEVELS

from ..db import db_session
from . import admin_only, bp, form_errors, form_text, me

DEPT_FIELDS = ("code", "name", "region", "parent", "credit_code", "phone", "address")


def _org_page(errors=(), region_form=None, status: int = 200):
    session = db_session()
    if errors:
        g.db_rollback = True
    return render_template("admin/org.html", tree=orgadmin.department_tree(session), regions=orgadmin.regions(session),
                           levels=REGION_LEVELS, level_names=orgadmin.REGION_LEVEL_NAMES, errors=list(errors),
                           err=dict(errors), rf=region_form or {}), status


@bp.get("/org")
@admin_only
def org():
    return _org_page()


@bp.post("/org/regions")
@admin_only
def region_new():
    form = form_text("code", "name", "level", "parent")
    try:
        region = orgadmin.create_region(db_session(), me(), code=form["code"], name=form["name"], level=form["level"],
                                        parent_code=form["parent"])
    except InvalidInput as exc:
        return _org_page([(f"region-{k}", m) for k, m in form_errors(exc, "code")], form, 422)
    flash(f"已新建行政区划 {region.name}（{region.code}）。")
    return redirect(url_for("admin.org"))


@bp.post("/org/regions/<int:region_id>")
@admin_only
def region_rename(region_id: int):
    try:
        region = orgadmin.rename_region(db_session(), me(), region_id, request.form.get("name", ""))
    except InvalidInput as exc:
        return _org_page([(f"region-{region_id}-name", m) for _, m in form_errors(exc, "name")], status=422)
    flash(f"行政区划 {region.code} 已改名为“{region.name}”。")
    return redirect(url_for("admin.org"))


def _department_form(dept: Department | None, form: dict, errors=(), status: int = 200):
    session = db_session()
    if errors:
        g.db_rollback = True
    blockers = orgadmin.department_blockers(session, dept) if dept is not None and dept.active else []
    posts = orgadmin.posts_of(session, [dept.id]) if dept is not None else []
    return render_template("admin/department.html", dept=dept, f=form, errors=list(errors), err=dict(errors),
                           regions=orgadmin.regions(session), departments=orgadmin.departments(session, active_only=True),
                           blockers=blockers, posts=posts), status


@bp.get("/org/departments/new")
@admin_only
def department_new():
    parent = request.args.get("parent", "")[:40]
    return _department_form(None, {"parent": parent})


@bp.post("/org/departments/new")
@admin_only
def department_create():
    form = form_text(*DEPT_FIELDS)
    try:
        dept = orgadmin.create_department(db_session(), me(), form)
    except InvalidInput as exc:
        return _department_form(None, form, form_errors(exc, "code"), 422)
    flash(f"已新建部门“{dept.name}”（{dept.code}）。可在下方为它新建岗位。")
    return redirect(url_for("admin.department", dept_id=dept.id))


def _load(dept_id: int) -> Department:
    dept = orgadmin.row(db_session(), Department, dept_id)
    if dept is None:
        raise NotFound("部门不存在。")
    return dept


def _as_form(dept: Department) -> dict:
    return {"code": dept.code, "name": dept.name, "region": dept.region.code, "credit_code": dept.credit_code or "",
            "parent": dept.parent.code if dept.parent else "", "phone": dept.phone or "", "address": dept.address or ""}


@bp.get("/org/departments/<int:dept_id>")
@admin_only
def department(dept_id: int):
    dept = _load(dept_id)
    return _department_form(dept, _as_form(dept))


@bp.post("/org/departments/<int:dept_id>")
@admin_only
def department_update(dept_id: int):
    dept = _load(dept_id)
    form = form_text(*DEPT_FIELDS)
    form["code"] = dept.code
    try:
        orgadmin.update_department(db_session(), me(), dept.id, form)
    except InvalidInput as exc:
        return _department_form(dept, form, form_errors(exc, "name"), 422)
    flash(f"已保存部门“{dept.name}”。")
    return redirect(url_for("admin.department", dept_id=dept.id))


@bp.post("/org/departments/<int:dept_id>/deactivate")
@admin_only
def department_deactivate(dept_id: int):
    dept = _load(dept_id)
    try:
        orgadmin.deactivate_department(db_session(), me(), dept.id)
    except InvalidState as exc:
        return _department_form(dept, _as_form(dept), [("deactivate", exc.message)], 409)
    flash(f"已撤销部门“{dept.name}”。")
    return redirect(url_for("admin.department", dept_id=dept.id))


@bp.post("/org/departments/<int:dept_id>/activate")
@admin_only
def department_activate(dept_id: int):
    dept = orgadmin.activate_department(db_session(), me(), _load(dept_id).id)
    flash(f"已恢复部门“{dept.name}”。")
    return redirect(url_for("admin.department", dept_id=dept.id))


# ---------------------------------------------------------------- 岗位

def _posts_page(errors=(), form=None, status: int = 200):
    session = db_session()
    if errors:
        g.db_rollback = True
    depts = orgadmin.departments(session)
    posts = orgadmin.posts_of(session, [d.id for d in depts])
    by_dept: dict[int, list] = {}
    for p in posts:
        by_dept.setdefault(p.department_id, []).append(p)
    return render_template("admin/posts.html", departments=depts, by_dept=by_dept, errors=list(errors),
                           err=dict(errors), f=form or {}), status


@bp.get("/posts")
@admin_only
def posts():
    return _posts_page(form={"department": request.args.get("department", "")[:40]})


@bp.post("/posts")
@admin_only
def post_create():
    form = form_text("department", "code", "name")
    session = db_session()
    code = form["department"].strip()
    dept = session.scalars(select(Department).where(Department.code == code)).first() if code else None
    if dept is None:
        return _posts_page([("post-department", "请选择岗位所属的部门。")], form, 422)
    try:
        post = orgadmin.create_post(session, me(), dept.id, form["code"], form["name"])
    except InvalidInput as exc:
        return _posts_page([(f"post-{k}", m) for k, m in form_errors(exc, "code")], form, 422)
    flash(f"已在“{dept.name}”新建岗位“{post.name}”（{post.code}）。")
    if request.form.get("back") == "department":
        return redirect(url_for("admin.department", dept_id=dept.id) + "#posts")
    return redirect(url_for("admin.posts", department=dept.code) + f"#dept-{dept.code}")


@bp.post("/posts/<int:post_id>")
@admin_only
def post_rename(post_id: int):
    try:
        post = orgadmin.rename_post(db_session(), me(), post_id, request.form.get("name", ""))
    except InvalidInput as exc:
        return _posts_page([(f"post-{post_id}-name", m) for _, m in form_errors(exc, "name")], status=422)
    flash(f"岗位 {post.code} 已改名为“{post.name}”。")
    return redirect(url_for("admin.posts") + f"#dept-{post.department.code}")


@bp.post("/posts/<int:post_id>/delete")
@admin_only
def post_delete(post_id: int):
    try:
        orgadmin.delete_post(db_session(), me(), post_id)
    except InvalidState as exc:
        return _posts_page([(f"post-{post_id}-name", exc.message)], status=409)
    flash("已删除岗位。")
    return redirect(url_for("admin.posts"))
