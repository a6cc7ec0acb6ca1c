"""`sunhall demo` builds the county once; running it again duplicates nothing."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from engine.models import Department, Item, ItemVersion, Post, ProcessDefinition, Region, User
from webapp.cli import main

COUNTED = (Region, Department, Post, User, Item, ItemVersion, ProcessDefinition)


def _counts(database):
    with database.transaction(write=False) as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_demo_twice_changes_nothing(database, monkeypatch):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    before = _counts(database)
    out = CliRunner().invoke(main, ["demo"])
    assert out.exit_code == 0, out.output
    assert "sc001" in out.output and "Sunhall@2026" in out.output
    assert _counts(database) == before
    assert before["Department"] >= 8 and before["User"] >= 20 and before["Item"] >= 6


def test_demo_items_have_their_flows_and_promised_within_legal(database):
    with database.transaction(write=False) as s:
        for item in s.scalars(select(Item)):
            version = item.current_version
            assert version.promised_limit <= version.legal_limit
            assert s.scalar(select(ProcessDefinition).where(ProcessDefinition.process_key == version.process_key))
            assert version.legal_basis
            assert version.materials or version.process_key in ("supervise_order", "item_review")  # internal items
