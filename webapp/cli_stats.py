"""`sunhall stats …`: registered on the main command in webapp.cli.

rebuild recomputes the statistics rollups (rules/rollups.py) from every case and step, in SQL: after
a bulk load, or to check that the figures kept on each transition are those the cases give.
"""

from __future__ import annotations

import time

import click
from rich.console import Console
from sqlalchemy import func, select

from engine.models.stats import StatCaseMonth
from rules import rollups


@click.group("stats")
def group():
    """统计汇总表：重新计算绩效统计所用的按月汇总。"""


@group.command("rebuild")
def rebuild():
    """按全部办件和办理环节重新计算统计汇总表（批量导入数据后使用）。"""
    from .cli import _db

    console = Console()
    db = _db()
    started = time.perf_counter()
    with console.status("正在重新计算统计汇总表……"):
        with db.transaction() as session:
            before = session.scalar(select(func.sum(StatCaseMonth.cases)))
            written = rollups.rebuild(session)
            after = session.scalar(select(func.sum(StatCaseMonth.cases)))
    console.print(f"统计汇总表已重新计算：办件汇总 {written['case_rows']} 行（共 {after or 0} 件），"
                  f"环节汇总 {written['step_rows']} 行，用时 {time.perf_counter() - started:.1f} 秒。")
    if before is not None and before != after:
        console.print(f"重新计算前汇总的办件数为 {before} 件，已更正。")
