"""账号 and 角色: the account list with its filters and pages, an account's form (工号, 姓名, 部门,
岗位, 角色), 停用/启用, 重置密码 (the new password shown once), 解锁, and who holds each role."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import selectinload

from engine import clock, orgadmin, passwords
from engine.errors import InvalidInput, InvalidState
from engine.models import Department, User
from engine.models.org import ROLE_NAMES
from engine.paging import Order, fetch
from engine.validation import half_width

from ..db import db_session
from ..paging import cursor, links
from . import admin_only, bp, form_errors, me

PAGE = 50
BY_STAFF_NO = (Order(User.staff_no), Order(User.id))  # 工号 is unique; the id makes the order total all the same


def _filters() -> tuple[dict, dict]:
    """(what the list is filtered by, the filter form as typed); unknown values are a 422."""
    args = {k: half_width(request.args.get(k, "")).strip()[:40] for k in ("department", "role", "active", "locked")}
    out: dict = {}
    if args["department"]:
        dept = db_session().scalars(select(Department).where(Department.code == args["department"])).first()
        if dept is None:
            raise InvalidInput(f"部门代码“{args['department']}”不存在。")
        out["department_id"] = dept.id
    if args["role"]:
        if args["role"] not in ROLE_NAMES:
            raise InvalidInput(f"角色“{args['role']}”不存在。")
        out["role"] = args["role"]
    for key in ("active", "locked"):
        if args[key]:
            if args[key] not in ("yes", "no"):
                raise InvalidInput("筛选条件无效，请从列表中选择。")
            out[key] = args[key] == "yes"
    return out, args


def _matching(filters: dict, now):
    """The filters as SQL, so that a page reads its fifty accounts, not every account: a role by its
    quoted code in the JSON list's text (the codes are plain words), a lock by ``locked_until``."""
    where = []
    if "department_id" in filters:
        where.append(User.department_id == filters["department_id"])
    if "active" in filters:
        where.append(User.active.is_(filters["active"]))
    if "role" in filters:
        where.append(cast(User.roles, String).like(f'%"{filters["role"]}"%'))
    if filters.get("locked") is True:
        where.append(User.locked_until > now)
    elif filters.get("locked") is False:
        where.append(or_(User.locked_until.is_(None), User.locked_until <= now))
    return where


@bp.get("/users")
@admin_only
def users():
    session = db_session()
    filters, args = _filters()
    now = clock.now()
    stmt = select(User).where(*_matching(filters, now))
    total = session.scalar(select(func.count()).select_from(stmt.with_only_columns(User.id).subquery())) or 0
    page = fetch(session, stmt.options(selectinload(User.department)), BY_STAFF_NO, lambda u: [u.staff_no, u.id],
                 size=PAGE, scalars=True, **cursor())
    return render_template("admin/users.html", users=page.rows, total=total, pages=links(page), args=args,
                           departments=orgadmin.departments(session), now=now, is_locked=passwords.is_locked,
                           role_names=ROLE_NAMES)


@bp.post("/users/unlock")
@admin_only
def unlock():
    staff_no = request.form.get("staff_no", "").strip()
    if not staff_no or len(staff_no) > passwords.STAFF_NO_MAX or not staff_no.isprintable():
        raise InvalidInput("请从账号列表中选择要解锁的工号。")
    user = orgadmin.unlock(db_session(), me(), staff_no)
    flash(f"已解锁 {user.name}（{user.staff_no}）的账号，可立即重新登录。")
    if request.form.get("back") == "user":
        return redirect(url_for("admin.user", staff_no=user.staff_no))
    return redirect(url_for("admin.users"))


def _user_form(user: User | None, form: dict, errors=(), status: int = 200, password: str | None = None):
    session = db_session()
    if errors:
        g.db_rollback = True
    depts = orgadmin.departments(session, active_only=True)
    return render_template("admin/user.html", user=user, f=form, errors=list(errors), err=dict(errors),
                           departments=depts, posts=orgadmin.posts_of(session, [d.id for d in depts]),
                           role_names=ROLE_NAMES, meanings=orgadmin.ROLE_MEANINGS, password=password,
                           locked=user is not None and passwords.is_locked(user)), status


def _read_form() -> dict:
    post_ids = []
    for raw in request.form.getlist("posts")[:orgadmin.MAX_POSTS + 1]:
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
            raise InvalidInput("所选岗位无效，请重新选择。")
        post_ids.append(int(raw))
    return {"staff_no": request.form.get("staff_no", ""), "name": request.form.get("name", ""),
            "department": request.form.get("department", ""), "post_ids": post_ids,
            "roles": request.form.getlist("roles")[:len(ROLE_NAMES) + 1], "password": request.form.get("password", "")}


@bp.get("/users/new")
@admin_only
def user_new():
    return _user_form(None, {"department": request.args.get("department", "")[:40], "post_ids": [], "roles": []})


@bp.post("/users/new")
@admin_only
def user_create():
    form = _read_form()
    try:
        user, generated = orgadmin.create_user(db_session(), me(), form)
    except InvalidInput as exc:
        form["password"] = ""  # never sent back into the page
        return _user_form(None, form, form_errors(exc, "staff_no"), 422)
    flash(f"已新建账号 {user.name}（{user.staff_no}）。首次登录时须修改初始密码。")
    if generated:  # shown in this answer only: never in a redirect, a flash or the log
        return _user_form(user, _as_form(user), password=generated)
    return redirect(url_for("admin.user", staff_no=user.staff_no))


def _as_form(user: User) -> dict:
    return {"staff_no": user.staff_no, "name": user.name, "department": user.department.code,
            "post_ids": [p.id for p in user.posts], "roles": list(user.roles or [])}


@bp.get("/users/<staff_no>")
@admin_only
def user(staff_no: str):
    user = orgadmin.account(db_session(), staff_no)
    return _user_form(user, _as_form(user))


@bp.post("/users/<staff_no>")
@admin_only
def user_update(staff_no: str):
    session = db_session()
    user = orgadmin.account(session, staff_no)
    form = _read_form()
    form["staff_no"] = user.staff_no
    try:
        orgadmin.update_user(session, me(), user.staff_no, form)
    except InvalidInput as exc:
        return _user_form(user, form, form_errors(exc, "name"), 422)
    flash(f"已保存 {user.name}（{user.staff_no}）的账号信息。")
    return redirect(url_for("admin.user", staff_no=user.staff_no))


@bp.post("/users/<staff_no>/roles")
@admin_only
def user_roles(staff_no: str):
    session = db_session()
    user = orgadmin.account(session, staff_no)
    roles = request.form.getlist("roles")[:len(ROLE_NAMES) + 1]
    try:
        orgadmin.set_roles(session, me(), user.staff_no, roles)
    except (InvalidInput, InvalidState) as exc:
        status = 422 if isinstance(exc, InvalidInput) else 409
        return _user_form(user, {**_as_form(user), "roles": roles}, [("roles", exc.message)], status)
    flash(f"已保存 {user.name} 的角色；其已登录的会话须重新登录。")
    return redirect(url_for("admin.user", staff_no=user.staff_no))


def _command(staff_no: str, command, done: str):
    session = db_session()
    user = orgadmin.account(session, staff_no)
    try:
        command(session, me(), user.staff_no)
    except (InvalidInput, InvalidState) as exc:
        status = 422 if isinstance(exc, InvalidInput) else 409
        return _user_form(user, _as_form(user), [("actions", exc.message)], status)
    flash(done.format(name=user.name, staff_no=user.staff_no))
    return redirect(url_for("admin.user", staff_no=user.staff_no))


@bp.post("/users/<staff_no>/disable")
@admin_only
def user_disable(staff_no: str):
    return _command(staff_no, orgadmin.disable_user, "已停用 {name}（{staff_no}）的账号，其已登录的会话全部失效。")


@bp.post("/users/<staff_no>/enable")
@admin_only
def user_enable(staff_no: str):
    return _command(staff_no, orgadmin.enable_user, "已启用 {name}（{staff_no}）的账号。")


@bp.post("/users/<staff_no>/reset")
@admin_only
def user_reset(staff_no: str):
    session = db_session()
    user, password = orgadmin.reset_password(session, me(), orgadmin.account(session, staff_no).staff_no)
    flash(f"已重置 {user.name}（{user.staff_no}）的密码，其已登录的会话全部失效。")
    return _user_form(user, _as_form(user), password=password)


@bp.get("/roles")
@admin_only
def roles():
    holders = orgadmin.role_holders(db_session(), me())
    return render_template("admin/roles.html", holders=holders, role_names=ROLE_NAMES, meanings=orgadmin.ROLE_MEANINGS)
