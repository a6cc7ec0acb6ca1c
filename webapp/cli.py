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
from engine import calendar_notice as notices
from engine import scheduler as sched
from engine.bpmn import validate_file
from engine.config import Settings
from engine.db import Database
from engine.errors import SunhallError
from engine.service import deploy_process
from engine.service.deadlines import recompute_all

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
@click.option("--until", "until", default=None, metavar="YYYY-MM-DD",
              help="与 --history 一起使用：历史办件生成到这一天为止（默认为今天）")
def demo(history: bool, until: str | None = None):
    """载入演示县（阳光县）：部门、岗位、人员、事项和流程图。重复执行不会重复创建。"""
    end = None
    if until is not None:
        from datetime import date

        if not history:
            _fail("--until 只能与 --history 一起使用。", 2)
        try:
            end = date.fromisoformat(until.strip())
        except ValueError:
            _fail(f"无法识别的日期“{until}”，请写成 2026-12-31 这样的格式。", 2)
    with _db() as db:
        _init(db)
        with db.transaction() as session:
            result = load_demo(session)
        if history:
            made = load_history(db, until=end)
            upto = f"截至{end.year}年{end.month}月{end.day}日" if end else "过去一年"
            console.print(f"已生成{upto}的办件 {made} 件。" if made else "历史办件已生成过，未重复生成。")
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
            calendar = workcal.load_calendar(session)
            result = calendar.add_workdays(start.date(), days)
    except SunhallError as exc:
        _fail(exc.message)
    provisional = calendar.provisional_reason(start.date(), result)
    console.print(result.isoformat() + (f"（预计：{provisional}）" if provisional else ""), highlight=False)


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
    parsed_h, parsed_w = {}, []
    for h in holidays:
        day, _, name = h.partition(":")
        parsed_h[_iso_day(day)] = name or "节假日"
    parsed_w = [_iso_day(w) for w in workdays]
    try:
        with _db() as db, db.transaction() as session:
            workcal.declare_year(session, year, parsed_h, parsed_w)
            moves = recompute_all(session)
    except SunhallError as exc:
        _fail(exc.message)
    console.print(f"{year} 年工作日历已维护。", highlight=False)
    _print_moves(moves)


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        _fail(f"日期格式错误：“{text}”，应写成 2027-01-01 这样的格式。", 2)


def _print_moves(moves, would: bool = False) -> None:
    if not moves:
        console.print("没有办件的日期" + ("会" if would else "") + "因此变化。", highlight=False)
        return
    table = Table(title=f"{'将要' if would else '已经'}变化的办件日期（{len(moves)} 项）")
    for col in ("办件编号", "日期", "原来", "改为"):
        table.add_column(col)
    for m in moves:
        table.add_row(m.case_number, m.what, str(m.before or "—"), str(m.after or "—"))
    console.print(table)


def _read_notice(file: Path) -> str:
    data = file.read_bytes()
    if len(data) > notices.MAX_TEXT * 4:
        _fail(f"{file} 太大：通知正文不能超过 {notices.MAX_TEXT} 字。", 2)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    _fail(f"{file} 既不是 UTF-8 也不是 GB18030 编码的文本。", 2)


@calendar_group.command("import-notice")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(notices.FIRST_YEAR, notices.LAST_YEAR), help="年份（不填则按通知标题）")
@click.option("--dry-run", is_flag=True, help="只预览，不保存")
def calendar_import_notice(file: Path, year: int | None, dry_run: bool):
    """按国务院办公厅的放假通知（文本文件）维护一年，并重新计算所有“预计”的办件日期。

    先打印通知中的放假和调休上班日期；通知有问题时逐条列出、不保存，退出码为 1。"""
    notice = notices.parse(_read_notice(file), year)
    for name, rest, work in notice.sections:
        span = rest[0].isoformat() + (f" 至 {rest[-1].isoformat()}" if len(rest) > 1 else "") if rest else "—"
        extra = f"；调休上班 {'、'.join(d.isoformat() for d in work)}" if work else ""
        console.print(f"{name}：放假 {span}，共 {len(rest)} 天{extra}", highlight=False)
    for day, (is_workday, _name) in sorted(notice.other_days.items()):
        console.print(f"{day.isoformat()}（{day.year} 年）：{'上班' if is_workday else '休息'}", highlight=False)
    try:
        with _db() as db, db.transaction(write=not dry_run) as session:
            calendar = workcal.load_calendar(session)
            problems = notice.problems + notices.other_year_problems(notice, calendar)
            if problems:
                for problem in problems:
                    err.print(problem, highlight=False)
                _fail(f"通知有 {len(problems)} 处问题，未保存。")
            if dry_run:
                moves = recompute_all(session, calendar=notices.year_with_notice(calendar, notice), dry_run=True)
            else:
                moves = notices.save_notice(session, notice)
    except SunhallError as exc:
        _fail(exc.message)
    console.print(f"预览：{notice.year} 年放假安排尚未保存（--dry-run）。" if dry_run
                  else f"{notice.year} 年放假安排已保存。", highlight=False)
    _print_moves(moves, would=dry_run)


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
@click.option("--at", "at", default=None, metavar="时间",
              help="与 --once 一起使用：按这个时刻（北京时间，如 2026-12-24T09:00）执行一次，用于核对和演示")
@click.option("--interval", default=30.0, show_default=True, type=float, help="两次检查之间的秒数")
@click.option("--lease", default=None, type=float, help="租约秒数（默认为间隔的 3 倍）；持有者失联超过这个时长后由备用调度器接替")
def scheduler(once: bool, at: str | None, interval: float, lease: float | None):
    """定时任务：触发到期的流程定时器、监察预警和补正期满。每个数据库同一时刻只有一个在工作，其余的备用。"""
    moment = None
    if at is not None:
        if not once:
            _fail("--at 只能与 --once 一起使用。", 2)
        moment = _parse_at(at)
    if interval <= 0:
        _fail("--interval 必须大于 0 秒。", 2)
    if lease is not None and lease < 2 * interval:
        _fail(f"--lease 至少为检查间隔的 2 倍（{2 * interval:g} 秒），否则一次延迟就会失去租约。", 2)
    with _db() as db:
        _run_scheduler(db, once, interval, lease, moment)


def _parse_at(text: str):
    from datetime import datetime

    from engine import clock

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"无法识别的时间“{text}”，请写成 2026-12-24T09:00 这样的格式（北京时间）。", 2)
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.LOCAL_TZ)


def _run_scheduler(db: Database, once: bool, interval: float, lease: float | None = None, at=None) -> None:
    import contextlib
    from datetime import timedelta

    from engine import clock

    ttl = timedelta(seconds=lease or sched.default_lease(interval))
    if once:
        holder = sched.holder_id()
        try:
            held = sched.acquire_lease(db, holder, ttl)
        except Exception as exc:
            _fail(f"调度器无法运行：{exc}", 1)
        if not held:
            _fail("另一个调度器正在运行，本次未执行。", 1)
        try:
            with clock.frozen(at) if at is not None else contextlib.nullcontext():
                report = sched.run_tick(db)
        except Exception as exc:
            _fail(f"调度器无法运行：{exc}", 1)
        finally:
            sched.release_lease(db, holder)
        when = f"按 {at.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}（北京时间）" if at is not None else ""
        console.print(f"已{when}执行一次检查：触发流程定时器 {report.timers} 个，生成监察预警 {report.alerts} 条，"
                      f"补正期满处理 {report.lapses} 件。", highlight=False)
        if report.incidents:
            console.print(f"有 {len(report.incidents)} 项处理失败，已记为定时任务故障（电子监察 → 定时任务故障），"
                          "其余各项照常处理，失败的各项将在下次检查时重试。", highlight=False)
        else:
            console.print("没有处理失败的项目。")
        return
    for name in ("engine.scheduler", "engine.incidents"):
        logging.getLogger(name).setLevel(logging.INFO)
    console.print(f"调度器已启动（{sched.holder_id()}），每 {interval:g} 秒检查一次，租约 {ttl.total_seconds():g} 秒；"
                  "按 Ctrl+C 停止。", highlight=False)
    sched.run_forever(db, interval, ttl.total_seconds())
    console.print("调度器已停止，租约已释放。")
