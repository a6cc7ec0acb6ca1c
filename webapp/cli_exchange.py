"""`sunhall exchange …`: registered on the main command in webapp.cli."""

from __future__ import annotations

import click


@click.group("feed")
def group():
    """数据交换：向省级平台报送、外部系统接入。"""
