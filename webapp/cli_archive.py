"""`sunhall archive …`: registered on the main command in webapp.cli.

export writes and verifies one package per finished case, verify finds any tampering, purge removes
the bulky online detail of cases past the retention period whose package verifies (seed 004 §4.3).
Each case is its own transaction: one case that fails never undoes the others, and the command
ends with a non-zero code when any did.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy import select

from engine import archive
from engine.errors import SunhallError
from engine.models import Case, CaseArchive, User
from engine.service.common import settings_of
from forms import archive as packaging

STATES = {"written": "已生成并校验", "rewritten": "归档包缺失或过时，已重新生成并校验", "verified": "已存在，重新校验通过"}


def _progress(console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
                    transient=True)


def _day(text: str | None) -> date | None:
    from .cli import _fail

    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        _fail(f"日期“{text[:40]}”无效，请写成 2023-09-28 这样的格式。", 2)


def _actor_id(db, staff_no: str | None) -> int:
    from .cli import _fail

    if not staff_no:
        _fail("缺少参数 --as：请给出执行操作的系统管理员工号。", 2)
    try:
        with db.transaction(write=False) as session:
            return archive.actor_by_staff_no(session, staff_no).id
    except SunhallError as exc:
        _fail(exc.message, 2)


@click.group("archive")
def group():
    """办件归档：导出、校验归档包，清理超过保存期的在线数据。"""


@group.command("export")
@click.option("--case", "numbers", multiple=True, metavar="办件编号", help="只导出这些办件（可重复）")
@click.option("--finished-before", metavar="日期", help="只导出在这一天之前办结的办件，如 2023-09-28")
@click.option("--older-than-retention", is_flag=True, help="只导出办结已超过保存期（SUNHALL_RETENTION_YEARS，默认 3 年）的办件")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="目录",
              help="归档包保存目录（默认 SUNHALL_ARCHIVE_DIR）")
@click.option("--as", "staff_no", metavar="工号", help="（必填）执行导出的系统管理员工号")
def export(numbers, finished_before, older_than_retention, out, staff_no):
    """为每个已办结的办件生成一个归档包（办件编号.zip），写入后逐个文件校验；已归档的办件重新校验。"""
    from .cli import _db, _fail, console

    before = _day(finished_before)
    with _db() as db:
        actor_id = _actor_id(db, staff_no)
        try:
            with db.transaction(write=False) as session:
                years = settings_of(session).retention_years if older_than_retention else None
                ids = [c.id for c in archive.closed_cases(session, list(numbers), before, years)]
        except SunhallError as exc:
            _fail(exc.message, 2)
        if not ids:
            console.print("没有符合条件的已办结办件。")
            return
        failed = 0
        with _progress(console) as progress:
            task = progress.add_task("导出归档包", total=len(ids))
            for case_id in ids:
                try:
                    with db.transaction() as session:
                        actor = session.get(User, actor_id)
                        result = packaging.export_case(session, case_id, actor, out)
                except SunhallError as exc:
                    failed += 1
                    progress.console.print(f"✗ {exc.message}", style="red")
                else:
                    if result.ok:
                        progress.console.print(f"✓ {result.number}：{STATES[result.state]}（{result.files} 个文件，"
                                               f"{result.bytes} 字节）→ {result.path}")
                    else:
                        failed += 1
                        progress.console.print(f"✗ {result.number}：已有的归档包校验失败（{result.path}），未覆盖：",
                                               style="red")
                        for finding in result.findings:
                            progress.console.print(f"    {finding}", style="red")
                progress.advance(task)
    console.print(f"共 {len(ids)} 件，成功 {len(ids) - failed} 件，失败 {failed} 件。")
    if failed:
        _fail("有办件未能归档，请按上面的提示处理后重新执行。", 1)


@group.command("verify")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=Path), metavar="[归档包路径]...")
@click.option("--all", "every", is_flag=True, help="校验系统中登记的全部归档包")
def verify(paths, every):
    """校验归档包：每个文件的 SHA-256 和大小、有无增删文件、清单是否被改、办件日志链是否完整。"""
    from .cli import _db, _fail, console

    if not paths and not every:
        _fail("请给出要校验的归档包路径，或使用 --all 校验全部已登记的归档包。", 2)
    bad = 0
    with _db() as db, db.transaction(write=False) as session:
        results = [archive.verify_path(session, p) for p in paths]
        if every:
            rows = list(session.scalars(select(CaseArchive).order_by(CaseArchive.case_number)))
            with _progress(console) as progress:
                task = progress.add_task("校验归档包", total=len(rows))
                for row in rows:
                    results.append(archive.verify_recorded(session, row))
                    progress.advance(task)
    for result in results:
        if result.ok:
            note = "" if result.compared_with_database else "（系统中没有此包的登记，仅校验了包内一致性）"
            stale = "；办件归档后又有新的记录，建议重新导出" if result.outdated else ""
            console.print(f"✓ {result.path}：校验通过，{len((result.manifest or {}).get('files', []))} 个文件完好{note}{stale}。")
        else:
            bad += 1
            console.print(f"✗ {result.path}：校验失败，发现 {len(result.findings)} 处问题：", style="red")
            for finding in result.findings:
                console.print(f"    {finding}", style="red")
    if not results:
        console.print("系统中没有登记的归档包。")
    if bad:
        _fail(f"{bad} 个归档包校验失败。", 1)


@group.command("purge")
@click.option("--as", "staff_no", metavar="工号", help="（必填）执行清理的系统管理员工号")
@click.option("--dry-run", is_flag=True, help="只列出将被清理的办件，不做任何改动")
def purge(staff_no, dry_run):
    """清理办结超过保存期、且归档包当场校验通过的办件的在线数据（流程状态、材料和文书文件）；
    办件、环节和日志记录保留，列表、统计、按编号查询和监察照常可用。"""
    from .cli import _db, _fail, console

    with _db() as db:
        actor_id = _actor_id(db, staff_no)
        with db.transaction(write=False) as session:
            years = settings_of(session).retention_years
            due = [(c.id, c.number) for c in packaging.purgeable(session)]
            unarchived = [c.number for c in session.scalars(
                select(Case).where(Case.state.in_(archive.CLOSED_STATES), Case.archived_at.is_(None))
                .order_by(Case.finished_at, Case.id)) if archive.past_retention(c, years)]
        for number in unarchived:
            console.print(f"✗ {number}：办结已超过 {years} 年但没有归档包，不予清理；请先执行 sunhall archive export。",
                          style="red")
        if dry_run:
            for _, number in due:
                console.print(f"将清理：{number}")
            console.print(f"试运行：{len(due)} 件办结超过 {years} 年的已归档办件将被清理（清理前会再次校验归档包），未做任何改动。")
            return
        failed, done = 0, 0
        with _progress(console) as progress:
            task = progress.add_task("清理在线数据", total=len(due))
            for case_id, number in due:
                try:
                    with db.transaction() as session:
                        actor = session.get(User, actor_id)
                        result = packaging.purge_case(session, case_id, actor)
                except SunhallError as exc:
                    failed += 1
                    progress.console.print(f"✗ {exc.message}", style="red")
                else:
                    removed = packaging.remove_files(result.files)  # after the commit: the rows say it happened
                    done += 1
                    progress.console.print(f"✓ {number}：归档包校验通过，已清理在线数据（删除文件 {removed} 个）。")
                progress.advance(task)
    console.print(f"已清理 {done} 件，失败 {failed} 件，未归档 {len(unarchived)} 件。")
    if failed or unarchived:
        _fail("有办件未能清理，请按上面的提示处理。", 1)
