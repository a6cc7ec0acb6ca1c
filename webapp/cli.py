"""The ``sunhall`` command."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from werkzeug.serving import run_simple

from engine import audit, migrate
from engine import calendar as workcal
from engine import scheduler as sched
from engine.bpmn import validate_file
from engine.config import Settings
from engine.db import Database
from engine.errors import SunhallError
from engine.service import deploy_process
from engine.service.deadlines import refresh_pending_deadlines

from . import create_app, plugins
from .demo import load_demo
from .demo.county import DEMO_PASSWORD
from .demo.history import load_history

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _db() -> Database:
    return Database(settings=Settings.from_env())


def _fail(message: str, code: int = 1):
    err.print(f"[red]{message}[/red]", highlight=False)
    sys.exit(code)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="详细日志")
def main(verbose: bool):
    """阳光政务大厅 Sunhall."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    plugins.install()


def _init(db: Database) -> list[int]:
    migrate.upgrade(str(db.url.render_as_string(hide_password=False)))
    with db.transaction() as session:
        return workcal.seed_from_package(session)


@main.command()
def init():
    """创建或升级数据库到最新版本（可重复执行）。"""
    with _db() as db:
        added = _init(db)
    console.print(f"数据库已是最新版本：{db.url.render_as_string(hide_password=True)}")
    if added:
        console.print(f"已载入 {added[0]}–{added[-1]} 年工作日历。")


def _print_accounts(result) -> None:
    table = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）")
    for col in ("工号", "姓名", "部门", "岗位", "角色"):
        table.add_column(col)
    for row in result.accounts:
        table.add_row(*row)
    console.print(table)


@main.command()
@click.option("--history", is_flag=True, help="另外生成过去一年的几百件办件（每个数据库只生成一次）")
def demo(history: bool):
    """载入演示县（阳光县）：部门、岗位、人员、事项和流程图。重复执行不会重复创建。"""
    with _db() as db:
        _init(db)
        with db.transaction() as session:
            result = load_demo(session)
        if history:
            made = load_history(db)
            console.print(f"已生成过去一年的办件 {made} 件。" if made else "历史办件已生成过，未重复生成。")
    console.print(f"演示数据就绪：新建 {result.created_users} 名人员，{result.items} 个事项，流程 {', '.join(result.definitions)}。")
    _print_accounts(result)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int):
    """启动网站。"""
    app = create_app()
    console.print(f"阳光政务大厅已启动：http://{host}:{port}/login （按 Ctrl+C 停止）")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_context
def up(ctx, host: str, port: int):
    """一步到位：初始化数据库、载入演示数据并启动网站。"""
    ctx.invoke(demo)
    ctx.invoke(serve, host=host, port=port)


@main.group()
def processes():
    """流程图：校验与部署。"""


@processes.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def processes_validate(files):
    """校验 BPMN 文件；每个问题一行，有问题时退出码非零。"""
    settings = Settings.from_env()
    bad = 0
    for path in files:
        result = validate_file(path, settings.bpmn_max_bytes)
        if result.ok:
            console.print(f"{path}: 通过（流程 {result.process_id}）", highlight=False)
        else:
            bad += 1
            for problem in result.problems:
                err.print(str(problem), highlight=False, soft_wrap=True)
    if bad:
        sys.exit(1)


@processes.command("deploy")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--item", "item_code", help="事项编码")
def processes_deploy(file: Path, item_code: str | None):
    """部署流程图为新版本（内容未变则不重复部署）。"""
    try:
        with _db() as db, db.transaction() as session:
            definition = deploy_process(session, file.read_bytes(), str(file), item_code=item_code)
            console.print(f"已部署 {definition.process_key} 第 {definition.version} 版（sha256 {definition.sha256[:12]}）")
    except SunhallError as exc:
        _fail(exc.message)


@main.group("calendar")
def calendar_group():
    """工作日历。"""


@calendar_group.command("add-workdays")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("days", type=int)
def calendar_add_workdays(start, days: int):
    """打印 START 之后第 DAYS 个工作日。"""
    try:
        with _db() as db, db.transaction(write=False) as session:
            result = workcal.load_calendar(session).add_workdays(start.date(), days)
    except SunhallError as exc:
        _fail(exc.message)
    console.print(result.isoformat())


@calendar_group.command("years")
def calendar_years():
    """列出已维护的年份。"""
    with _db() as db, db.transaction(write=False) as session:
        years = workcal.load_calendar(session).years
    console.print("已维护：" + (f"{years[0]}–{years[-1]}" if years else "无"))


@calendar_group.command("declare-year")
@click.argument("year", type=int)
@click.option("--holiday", "holidays", multiple=True, help="放假日期，格式 2027-01-01:元旦，可重复")
@click.option("--workday", "workdays", multiple=True, help="调休上班日期，格式 2027-02-07，可重复")
def calendar_declare_year(year: int, holidays, workdays):
    """按国务院通知维护一年：周一至周五上班、周末休息，再加上放假与调休安排。"""
    try:
        parsed_h = {}
        for h in holidays:
            day, _, name = h.partition(":")
            parsed_h[date.fromisoformat(day)] = name or "节假日"
        parsed_w = [date.fromisoformat(w) for w in workdays]
    except ValueError as exc:
        _fail(f"日期格式错误：{exc}")
    try:
        with _db() as db, db.transaction() as session:
            workcal.declare_year(session, year, parsed_h, parsed_w)
            fixed = refresh_pending_deadlines(session)
    except SunhallError as exc:
        _fail(exc.message)
    console.print(f"{year} 年工作日历已维护；重新计算了 {fixed} 个待定期限。")


@main.group("audit")
def audit_group():
    """办件日志。"""


@audit_group.command("verify")
def audit_verify():
    """校验所有办件日志的哈希链；发现篡改或删除时退出码非零。"""
    with _db() as db, db.transaction(write=False) as session:
        findings = audit.verify(session)
    if findings:
        for f in findings:
            err.print(str(f), highlight=False)
        err.print(f"[red]发现 {len(findings)} 处问题。[/red]")
        sys.exit(1)
    console.print("所有办件日志完整，未发现篡改。")


@main.command()
@click.option("--once", is_flag=True, help="只执行一次后退出")
@click.option("--interval", default=30.0, show_default=True, help="秒")
def scheduler(once: bool, interval: float):
    """定时任务：触发到期的流程定时器。每个数据库只运行一个。"""
    with _db() as db:
        _run_scheduler(db, once, interval)


def _run_scheduler(db: Database, once: bool, interval: float) -> None:
    if once:
        holder = sched.holder_id()
        if not sched.acquire_lease(db, holder):
            _fail("另一个调度器正在运行。", 2)
        try:
            console.print(f"触发了 {sched.tick(db)} 个定时器。")
        finally:
            sched.release_lease(db, holder)
        return
    console.print(f"调度器已启动，每 {interval} 秒检查一次。")
    sched.run_forever(db, interval)
