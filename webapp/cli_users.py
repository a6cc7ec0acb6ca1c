"""`sunhall users …`: registered on the main command in webapp.cli."""

from __future__ import annotations

import click


@click.group("users")
def group():
    """账号、部门和岗位的管理（与系统管理页面相同）。"""
