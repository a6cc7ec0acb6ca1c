"""The ``sunhall`` command.

Output never interprets what it prints: both consoles have markup, emoji codes and highlighting
off, so a flow chart named ``[/bold]`` prints as ``[/bold]``; colour is asked for explicitly with
``style=``. Mistakes on the command line, bad settings and an unreachable database end with one
Chinese line and a non-zero exit code, never a traceback (``-v`` shows it for an unexpected error).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
from datetime import date, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from werkzeug.serving import run_simple

try:  # gunicorn runs on Linux and other Unixes only; elsewhere there is ``serve --dev``
    from gunicorn.app.base import BaseApplication
except ImportError:  # pragma: no cover - not on the platforms we run
    BaseApplication = None

from engine import audit, clock, migrate, systemlog
from engine import calendar as workcal
from engine import calendar_notice as notices
from engine import scheduler as sched
from engine.bpmn import validate_file
from engine.config import ConfigError, Settings
from engine.db import Database
from engine.errors import SunhallError
from engine.models import InfoEntry, InfoRequest, Question
from engine.service import deploy_process
from engine.service.deadlines import recompute_all
from rules import disclosure_documents, disclosure_report

from . import create_app, plugins
from .demo import load_demo
from .demo.county import DEMO_PASSWORD
from .demo.history import load_history

console = Console(soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)


def _db() -> Database:
    return Database(settings=Settings.from_env())


def _fail(message: str, code: int = 1):
    err.print(message, style="red")
    sys.exit(code)


# click's own words in its help pages (it looks them up through gettext, which has no Chinese here)
CLICK_WORDS = {"Usage:": "用法：", "Options": "选项", "Commands": "命令", "Arguments": "参数",
               "Show this message and exit.": "显示本帮助并退出。", "Show the version and exit.": "显示版本并退出。",
               "required": "必填", "default: {default}": "默认：{default}", "env var: {var}": "环境变量：{var}"}


def _click_in_chinese() -> None:
    import click.core
    import click.decorators
    import click.formatting

    def words(text: str) -> str:
        return CLICK_WORDS.get(text, text)

    for module in (click.core, click.decorators, click.formatting):
        module._ = words


_click_in_chinese()


def _kind(param: click.Parameter | None) -> str:
    """What a value of this parameter should look like, in words."""
    kind = getattr(param, "type", None)
    if isinstance(kind, click.IntRange) and kind.min is not None and kind.max is not None:
        return f"应为 {kind.min}–{kind.max} 之间的整数"
    if isinstance(kind, click.IntRange) and kind.min is not None:
        return f"应为不小于 {kind.min} 的整数"
    if isinstance(kind, click.Choice):
        return "应为 " + "、".join(map(str, kind.choices)) + " 之一"
    if isinstance(kind, click.DateTime):
        return "应为日期，如 2026-09-28"
    if isinstance(kind, click.Path):
        return "文件不存在或无法读取"
    return {click.INT: "应为整数", click.FLOAT: "应为数字"}.get(kind, "")


def _usage_message(exc: click.UsageError) -> str:
    """click's English usage errors, said in Chinese."""
    param = getattr(exc, "param", None)
    name = (param.opts[0] if param is not None and param.opts and param.param_type_name == "option"
            else (param.human_readable_name if param is not None else ""))
    text = exc.format_message()
    if isinstance(exc, click.MissingParameter):
        return f"缺少参数 {name}。"
    if isinstance(exc, click.NoSuchOption):
        return f"没有选项 {exc.option_name}。"
    if isinstance(exc, click.BadParameter):
        kind = _kind(param)
        return f"参数 {name or exc.param_hint or ''} 的值无效" + (f"：{kind}。" if kind else "。")
    if isinstance(exc, click.BadOptionUsage):
        return f"选项 {exc.option_name} 用法有误（需要一个值）。"
    if text.startswith("No such command"):
        return "没有这个命令：" + text.partition(" command ")[2].strip(" .'\"") + "。"
    if text.startswith("Got unexpected extra argument"):
        return "多余的参数：" + text.partition("(")[2].rstrip(")") + "。"
    return "命令用法有误。"


class _SunhallGroup(click.Group):
    """The ``sunhall`` group: Chinese usage errors, and no traceback for what the operator can fix."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "sunhall"
            err.print(_usage_message(exc), style="red")
            err.print(f"用 {where} --help 查看用法。")
            code = exc.exit_code
        except click.ClickException as exc:
            err.print(exc.format_message(), style="red")
            code = exc.exit_code
        except click.Abort:
            err.print("已取消。")
            code = 1
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # usage errors and --help: handled by main above
        except ConfigError as exc:
            _fail(exc.message, 2)
        except SunhallError as exc:
            _fail(exc.message)
        except (ArgumentError, NoSuchModuleError):
            _fail("数据库地址无法识别：请检查 SUNHALL_DATABASE_URL（如 postgresql+psycopg://用户@主机:5432/库名）。", 2)
        except DBAPIError as exc:
            if ctx.params.get("verbose"):
                raise
            text = str(exc.orig).lower()
            if "no such table" in text or "does not exist" in text and "relation" in text:
                _fail("数据库尚未初始化或版本过旧：请先运行 sunhall init。")
            _fail(f"数据库出错（{type(exc.orig).__name__}）：请检查 SUNHALL_DATABASE_URL 以及数据库服务是否在运行。"
                  "加 -v 可查看详细信息。")
        except Exception as exc:
            if ctx.params.get("verbose"):
                raise
            _fail(f"命令未完成：发生意外错误（{type(exc).__name__}）。加 -v 重新运行可查看详细信息。")


@click.group(cls=_SunhallGroup)
@click.option("-v", "--verbose", is_flag=True, help="详细日志（出错时显示详细信息）")
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
            with db.transaction(write=False) as session:
                asked = session.scalar(select(func.count()).select_from(Question))
                entries = session.scalar(select(func.count()).select_from(InfoEntry).where(InfoEntry.version == 1))
                requests = session.scalar(select(func.count()).select_from(InfoRequest))
            console.print(f"已生成{upto}的办件 {made} 件、在线咨询 {asked} 条、主动公开信息 {entries} 条、"
                          f"政府信息公开申请 {requests} 件。" if made else "历史办件已生成过，未重复生成。")
    console.print(f"演示数据就绪：新建 {result.created_users} 名人员，{result.items} 个事项，流程 {', '.join(result.definitions)}。")
    _print_accounts(result)


def _default_workers() -> int:
    """Twice the cores plus one, as gunicorn advises, at most 9: requests mostly wait for the database."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


if BaseApplication is not None:
    class ProductionServer(BaseApplication):
        """gunicorn in code: a master process and ``workers`` processes, each building its own app
        (and database pool) after the fork; a worker stuck past ``timeout`` seconds is killed and
        replaced, and each worker is replaced after about a thousand requests."""

        def __init__(self, options: dict):
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app()


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            _fail(f"无法在 {host}:{port} 上启动：{'端口已被占用' if exc.errno == errno.EADDRINUSE else '地址不可用'}。"
                  "请换一个端口（--port）或先停止占用它的程序。", 2)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="端口")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="工作进程数（默认按 CPU 核数）")
@click.option("--timeout", default=30, show_default=True, type=click.IntRange(5, 3600),
              help="单个请求超过这么多秒仍未完成时，重启处理它的工作进程")
@click.option("--dev", is_flag=True, help="改用 Werkzeug 开发服务器（单进程，仅供调试）")
@click.option("--public", "surface", flag_value="public",
              help="只提供政务服务专栏（面向互联网；没有登录、工作台、设计器、监察和管理页面）")
@click.option("--staff", "surface", flag_value="staff", help="只提供内网工作页面（不含政务服务专栏）")
def serve(host: str, port: int, workers: int | None, timeout: int, dev: bool, surface: str | None = None):
    """启动网站（生产服务器 gunicorn，多个工作进程）。"""
    settings = Settings.from_env()
    _check_port_free(host, port)
    # here, before any worker: a bad setting stops us with one line, and the secret key exists once
    os.environ["SUNHALL_SURFACE"] = surface or "all"  # the workers build the same kind of app
    app = create_app()
    def where(base: str) -> str:
        return {"public": f"政务服务专栏 {base}/", "staff": f"工作人员登录 {base}/login"}.get(
            surface or "", f"政务服务专栏 {base}/ ，工作人员登录 {base}/login")
    if dev:
        console.print(f"阳光政务大厅已启动（开发服务器，仅供调试）：{where(f'http://{host}:{port}')} （按 Ctrl+C 停止）")
        run_simple(host, port, app, threaded=True, use_reloader=False)
        return
    app.extensions["sunhall_db"].dispose()
    if BaseApplication is None:
        _fail("生产服务器 gunicorn 只能在 Linux 等类 Unix 系统上运行；调试时可用 sunhall serve --dev。", 2)
    workers = workers or _default_workers()
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    db = settings.database_url
    if settings.database_url.startswith("sqlite"):
        db = "SQLite 文件数据库"

    def ready(_arbiter):
        console.print(f"阳光政务大厅已启动：{where(f'http://{bind}')} （{workers} 个工作进程，{db}；按 Ctrl+C 停止）")

    ProductionServer({
        "bind": bind, "workers": workers, "worker_class": "sync", "timeout": timeout, "graceful_timeout": timeout,
        "max_requests": 1000, "max_requests_jitter": 100, "proc_name": "sunhall", "loglevel": "warning",
        "errorlog": "-", "accesslog": None, "when_ready": ready,
        "control_socket_disable": True,  # gunicorn 27's admin socket: nothing of ours uses it
        "limit_request_line": 8190,  # the most gunicorn reads; the app answers longer addresses than it takes (414)
    }).run()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="端口")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="工作进程数（默认按 CPU 核数）")
@click.option("--dev", is_flag=True, help="改用 Werkzeug 开发服务器（单进程，仅供调试）")
@click.pass_context
def up(ctx, host: str, port: int, workers: int | None, dev: bool):
    """一步到位：初始化数据库、载入演示数据并启动网站。"""
    ctx.invoke(demo)
    ctx.invoke(serve, host=host, port=port, workers=workers, dev=dev)


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
            console.print(f"{path}: 通过（流程 {result.process_id}）")
        else:
            bad += 1
            for problem in result.problems:
                err.print(str(problem))
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
    console.print(result.isoformat() + (f"（预计：{provisional}）" if provisional else ""))


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
    console.print(f"{year} 年工作日历已维护。")
    _print_moves(moves)


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        _fail(f"日期格式错误：“{text}”，应写成 2027-01-01 这样的格式。", 2)


def _print_moves(moves, would: bool = False) -> None:
    if not moves:
        console.print("没有办件的日期" + ("会" if would else "") + "因此变化。")
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
        console.print(f"{name}：放假 {span}，共 {len(rest)} 天{extra}")
    for day, (is_workday, _name) in sorted(notice.other_days.items()):
        console.print(f"{day.isoformat()}（{day.year} 年）：{'上班' if is_workday else '休息'}")
    try:
        with _db() as db, db.transaction(write=not dry_run) as session:
            calendar = workcal.load_calendar(session)
            problems = notice.problems + notices.other_year_problems(notice, calendar)
            if problems:
                for problem in problems:
                    err.print(problem)
                _fail(f"通知有 {len(problems)} 处问题，未保存。")
            if dry_run:
                moves = recompute_all(session, calendar=notices.year_with_notice(calendar, notice), dry_run=True)
            else:
                moves = notices.save_notice(session, notice)
    except SunhallError as exc:
        _fail(exc.message)
    console.print(f"预览：{notice.year} 年放假安排尚未保存（--dry-run）。" if dry_run
                  else f"{notice.year} 年放假安排已保存。")
    _print_moves(moves, would=dry_run)


@main.group("audit")
def audit_group():
    """办件日志与系统日志。"""


def _department_scope(session, text: str):
    """A department by its code or its name, with the departments below it (科室)."""
    from engine import orgadmin
    from engine.errors import NotFound
    from engine.models import Department

    try:
        dept = orgadmin.department_by_code(session, text)
    except NotFound:
        named = session.scalars(select(Department).where(Department.name == text.strip())).all()
        if len(named) != 1:
            _fail(f"没有代码或名称为“{text.strip()[:40]}”的部门。" if not named
                  else f"名称为“{text.strip()}”的部门不止一个，请改用部门代码：{'、'.join(d.code for d in named)}。", 2)
        dept = named[0]
    return dept, orgadmin.descendants(session, dept)


def _local_midnight(day: date):
    from datetime import datetime, time

    return datetime.combine(day, time.min, clock.LOCAL_TZ)


@audit_group.command("verify")
@click.option("--department", default=None, metavar="部门代码或名称", help="只校验这个部门（含下属科室）的办件")
@click.option("--from", "from_", default=None, metavar="YYYY-MM-DD", help="只校验这一天及以后收件的办件")
@click.option("--to", "to", default=None, metavar="YYYY-MM-DD", help="只校验这一天及以前收件的办件")
@click.option("--workers", default=None, type=click.IntRange(1, 16),
              help="并行校验的进程数（默认：PostgreSQL 上按 CPU 核数，最多 4 个；SQLite 上 1 个）")
def audit_verify(department: str | None, from_: str | None, to: str | None, workers: int | None):
    """校验办件日志和系统日志的哈希链；发现篡改或删除时退出码非零。

    办件日志按批读取（内存占用与办件数量无关），可只校验一个部门或一段时间内收件的办件。"""
    import time as timer

    first = _iso_day(from_) if from_ is not None else None
    last = _iso_day(to) if to is not None else None
    if first and last and first > last:
        _fail(f"--from（{first}）不能晚于 --to（{last}）。", 2)
    with _db() as db:
        scope, where = None, []
        if department is not None:
            with db.transaction(write=False) as session:
                dept, scope = _department_scope(session, department)
            where.append(dept.name + ("（含下属科室）" if len(scope) > 1 else ""))
        if first or last:
            where.append(f"{first or '最早'} 至 {last or '今天'} 收件")
        if workers is None:
            workers = 1 if db.is_sqlite else max(1, min(4, os.cpu_count() or 1))
        started = timer.perf_counter()
        bar, total = None, 0

        def on_total(count: int) -> None:
            nonlocal bar, total
            total = count
            bar = click.progressbar(length=count, label="校验办件日志", show_pos=True, width=30,
                                    file=sys.stderr)
            bar.__enter__()

        try:
            findings = audit.verify_all(db, workers=workers, department_ids=scope,
                                        received_from=_local_midnight(first) if first else None,
                                        received_before=_local_midnight(last + timedelta(days=1)) if last else None,
                                        progress=lambda n: bar.update(n), on_total=on_total)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        with db.transaction(write=False) as session:
            findings += systemlog.verify(session)
    seconds = timer.perf_counter() - started
    what = " ".join(where) + "的" if where else ""
    err.print(f"已校验{what} {total:,} 件办件的日志链和系统日志，用时 {seconds:.1f} 秒。")
    if findings:
        for f in findings:
            err.print(str(f))
        err.print(f"发现 {len(findings)} 处问题。", style="red")
        sys.exit(1)
    console.print("所选办件的日志和系统日志完整，未发现篡改。" if where else "所有办件日志和系统日志完整，未发现篡改。")


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


    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"无法识别的时间“{text}”，请写成 2026-12-24T09:00 这样的格式（北京时间）。", 2)
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.LOCAL_TZ)


def _run_scheduler(db: Database, once: bool, interval: float, lease: float | None = None, at=None) -> None:
    import contextlib
    from datetime import timedelta


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
                      f"补正期满处理 {report.lapses} 件。")
        if report.incidents:
            console.print(f"有 {len(report.incidents)} 项处理失败，已记为定时任务故障（电子监察 → 定时任务故障），"
                          "其余各项照常处理，失败的各项将在下次检查时重试。")
        else:
            console.print("没有处理失败的项目。")
        return
    for name in ("engine.scheduler", "engine.incidents"):
        logging.getLogger(name).setLevel(logging.INFO)
    console.print(f"调度器已启动（{sched.holder_id()}），每 {interval:g} 秒检查一次，租约 {ttl.total_seconds():g} 秒；"
                  "按 Ctrl+C 停止。")
    sched.run_forever(db, interval, ttl.total_seconds())
    console.print("调度器已停止，租约已释放。")


@main.group("disclosure")
def disclosure_group():
    """政府信息公开。"""


@disclosure_group.command("annual-report")
@click.option("--body", metavar="机关代码", help="（必填）机关代码，如 zfb（县人民政府办公室，编制县人民政府的报告）")
@click.option("--year", metavar="年份", help="（必填）报告年度，如 2026")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="（必填）Word 报告（.docx）的保存路径")
@click.option("--xlsx", default=None, type=click.Path(dir_okay=False, path_type=Path), help="另存 Excel 统计表（.xlsx）的路径")
def disclosure_annual_report(body: str | None, year: str | None, out: Path | None, xlsx: Path | None):
    """生成一个机关一个年度的政府信息公开工作年度报告（国办公开办函〔2021〕30号格式），数字均由办件记录统计。"""
    missing = [name for name, value in (("--body", body), ("--year", year), ("--out", out)) if value is None]
    if missing:
        _fail(f"缺少参数 {'、'.join(missing)}。用 sunhall disclosure annual-report --help 查看用法。", 2)
    with _db() as db, db.transaction(write=False) as session:
        dept = disclosure_report.find_body(session, body)
        report = disclosure_report.compute(session, dept.id, year)
        files = [(out, disclosure_documents.to_docx(report))]
        if xlsx is not None:
            files.append((xlsx, disclosure_documents.to_xlsx(report)))
    for path, data in files:
        try:
            path.write_bytes(data)
        except OSError:
            _fail(f"无法写入文件 {path}：目录不存在、没有写入权限或文件正被占用。", 2)
    console.print(f"已生成《{report.title}》{report.note}：{out}" + (f"；Excel 统计表：{xlsx}" if xlsx else ""))
    console.print(f"本年新收申请 {report.n('new')} 件、上年结转 {report.n('carried_in')} 件、办结 {report.n('total')} 件、"
                  f"结转下年度 {report.n('carried_out')} 件；主动公开 {report.published} 条。")


def _register_groups() -> None:
    from . import cli_archive, cli_exchange, cli_stats, cli_users
    for module in (cli_users, cli_archive, cli_exchange, cli_stats):
        main.add_command(module.group)


_register_groups()
