"""`sunhall users …`: accounts, roles and the Excel import on the command line — the same services
as the administration pages (engine.orgadmin, engine.imports), acting as the administrator named by
``--as`` (refused unless that account is an active administrator), ``unlock`` included."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from engine import clock, imports, orgadmin, passwords
from engine.errors import InvalidInput
from engine.models import Post, User
from engine.models.org import ROLE_NAMES
from engine.validation import half_width

AS_HELP = "以哪位系统管理员的身份操作（工号），记入系统日志"


def _actor(session, staff_no: str) -> User:
    from .cli import _fail
    user = session.scalars(select(User).where(User.staff_no == staff_no.strip())).first()
    if user is None or "admin" not in (user.roles or []) or not user.active:
        _fail(f"“{staff_no.strip()[:40]}”不是在用的系统管理员账号，不能执行此操作。", 1)
    return user


def _as_option(required: bool = True):
    return click.option("--as", "as_", required=required, metavar="工号", help=AS_HELP)


@click.group("users")
def group():
    """账号、角色和批量导入（与系统管理页面相同）。"""


@group.command("list")
@_as_option()
@click.option("--department", default=None, metavar="部门代码", help="只列出此部门的账号")
@click.option("--role", type=click.Choice(list(ROLE_NAMES)), default=None, help="只列出担任此角色的账号")
def users_list(as_: str, department: str | None, role: str | None):
    """列出账号及其部门、角色和锁定状态。"""
    from rich.table import Table

    from .cli import _db, console
    with _db() as db, db.transaction(write=False) as session:
        actor = _actor(session, as_)
        dept_id = orgadmin.department_by_code(session, department).id if department else None
        rows, total = orgadmin.user_page(session, actor, department_id=dept_id, role=role, size=100000)
        now = clock.now()
        table = Table(title=f"账号（{total} 个）")
        for col in ("工号", "姓名", "部门", "角色", "状态"):
            table.add_column(col)
        for u in rows:
            if not u.active:
                state = "已停用"
            elif passwords.is_locked(u, now):
                state = f"已锁定，至 {u.locked_until.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}"
            else:
                state = "正常"
            table.add_row(u.staff_no, u.name, u.department.name, "、".join(ROLE_NAMES.get(r, r) for r in u.roles or []) or "—",
                          state)
    console.print(table)


@group.command("create")
@click.argument("staff_no")
@_as_option()
@click.option("--name", required=True, metavar="姓名", help="姓名")
@click.option("--department", required=True, metavar="部门代码", help="所在部门的代码")
@click.option("--post", "posts", multiple=True, metavar="岗位代码", help="所在部门（或其下属科室）的岗位代码，可重复")
@click.option("--role", "roles", multiple=True, type=click.Choice(list(ROLE_NAMES)), help="角色，可重复")
def users_create(staff_no: str, as_: str, name: str, department: str, posts: tuple, roles: tuple):
    """新建账号（STAFF_NO 为工号）；初始密码由系统生成并只显示这一次，首次登录须修改。"""
    from .cli import _db, console
    with _db() as db, db.transaction() as session:
        actor = _actor(session, as_)
        dept = orgadmin.department_by_code(session, half_width(department).strip())
        ids = []
        allowed = orgadmin.descendants(session, dept)
        for code in posts:
            post = session.scalars(select(Post).where(Post.department_id.in_(allowed), Post.code == code.strip())).first()
            if post is None:
                raise InvalidInput(f"{dept.name}及其下属科室没有岗位代码“{code.strip()[:40]}”。")
            ids.append(post.id)
        user, password = orgadmin.create_user(session, actor, {"staff_no": staff_no, "name": name, "department": dept.code,
                                                               "post_ids": ids, "roles": list(roles)})
        console.print(f"已新建账号 {user.name}（{user.staff_no}），部门：{dept.name}。")
        console.print(f"初始密码（只显示这一次，首次登录须修改）：{password}")


def _simple(command, done: str):
    def run(staff_no: str, as_: str):
        from .cli import _db, console
        with _db() as db, db.transaction() as session:
            user = command(session, _actor(session, as_), staff_no)
            console.print(done.format(name=user.name, staff_no=user.staff_no))
    return run


group.command("disable", help="停用账号：不能再登录，已登录的会话立即失效（STAFF_NO 为工号）。")(
    click.argument("staff_no")(_as_option()(_simple(orgadmin.disable_user, "已停用 {name}（{staff_no}）的账号。"))))
group.command("enable", help="启用已停用的账号（STAFF_NO 为工号）。")(
    click.argument("staff_no")(_as_option()(_simple(orgadmin.enable_user, "已启用 {name}（{staff_no}）的账号。"))))


@group.command("reset-password")
@click.argument("staff_no")
@_as_option()
def users_reset(staff_no: str, as_: str):
    """重置密码：生成新密码并只显示这一次，本人下次登录须修改（STAFF_NO 为工号）。"""
    from .cli import _db, console
    with _db() as db, db.transaction() as session:
        user, password = orgadmin.reset_password(session, _actor(session, as_), staff_no)
        console.print(f"已重置 {user.name}（{user.staff_no}）的密码，其已登录的会话全部失效。")
        console.print(f"新密码（只显示这一次，下次登录须修改）：{password}")


@group.command("unlock")
@click.argument("staff_no")
@_as_option()
def users_unlock(staff_no: str, as_: str):
    """立即解锁因连续输错密码而锁定的账号（STAFF_NO 为工号）。"""
    from .cli import _db, _fail, console
    staff_no = staff_no.strip()
    if not staff_no or len(staff_no) > passwords.STAFF_NO_MAX or not staff_no.isprintable():
        _fail("工号无效：不能为空、不能超过 40 个字符，也不能含控制字符。", 2)
    with _db() as db, db.transaction() as session:
        user = orgadmin.unlock(session, _actor(session, as_), staff_no)
        console.print(f"已解锁 {user.name}（{user.staff_no}）的账号，可立即重新登录。")


def _role_command(grant: bool):
    def run(staff_no: str, role: str, as_: str):
        from .cli import _db, console
        with _db() as db, db.transaction() as session:
            command = orgadmin.grant_role if grant else orgadmin.revoke_role
            user = command(session, _actor(session, as_), staff_no, role)
            roles = "、".join(ROLE_NAMES[r] for r in user.roles) or "无"
            console.print(f"已{'授予' if grant else '取消'} {user.name}（{user.staff_no}）的“{ROLE_NAMES[role]}”角色；现有角色：{roles}。")
    return run


for _name, _grant, _help in (("grant-role", True, "授予角色（STAFF_NO 为工号，ROLE 为角色代码）。"),
                             ("revoke-role", False, "取消角色（至少保留一个在用的系统管理员）。")):
    group.command(_name, help=_help)(click.argument("staff_no")(click.argument("role", type=click.Choice(list(ROLE_NAMES)))(
        _as_option()(_role_command(_grant)))))


@group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_as_option()
@click.option("--dry-run", is_flag=True, help="只检查、列出每行的问题，不写入任何数据")
def users_import(file: Path, as_: str, dry_run: bool):
    """从 Excel 工作簿批量导入行政区划、部门、岗位、账号和事项（模板见系统管理“批量导入”页面）。"""
    from .cli import _db, _fail, console
    if file.stat().st_size > imports.MAX_BYTES:
        _fail(f"文件过大，不能超过 {imports.MAX_BYTES // 1024 // 1024} MB。", 1)
    data = file.read_bytes()
    with _db() as db, db.transaction(write=not dry_run) as session:
        actor = _actor(session, as_)
        plan = imports.check(session, actor, data)
        for sheet, (new, skipped) in plan.counts().items():
            console.print(f"{sheet}：可新建 {new} 条，已存在跳过 {skipped} 条")
        if not plan.ok:
            for p in plan.problems:
                where = "，".join(x for x in (f"工作表“{p.sheet}”" if p.sheet else "", f"第 {p.row} 行" if p.row else "",
                                             f"{p.column} 列" if p.column else "") if x)
                console.print(f"{where or '文件'}：{p.message}")
            if plan.more_problems:
                console.print(f"另有 {plan.more_problems} 处问题未列出。")
            _fail(f"发现 {len(plan.problems) + plan.more_problems} 处问题，没有导入任何数据。", 1)
        if dry_run:
            console.print("检查通过，没有发现问题（--dry-run：未写入任何数据）。")
            return
        result = imports.load(session, actor, data, filename=file.name)
        console.print("已导入：" + "；".join(f"{s}新建 {n} 条" for s, n in result.created.items()) + "。")
