"""`sunhall archive …`: registered on the main command in webapp.cli."""

from __future__ import annotations

import click


@click.group("archive")
def group():
    """办件归档：导出并校验归档包。"""
