"""Alembic: upgrade from empty, downgrade to empty, a single head, and models that match."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import forms.models  # noqa: F401  (the forms layer's tables)
import rules.models  # noqa: F401  (the supervision layer's tables)
from engine import migrate, search
from engine.models import Base


@pytest.fixture
def empty_url(tmp_path):
    pg = os.environ.get("SUNHALL_TEST_DATABASE_URL")
    if not pg:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    url = make_url(pg)
    name = f"{url.database}_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _tables(url):
    """The tables, the search index's FTS5 table (and its shadow tables) counted as one."""
    engine = create_engine(url)
    try:
        return {"search_fts" if t.startswith("search_fts") else t for t in inspect(engine).get_table_names()} - {"alembic_version"}
    finally:
        engine.dispose()


def _model_tables(url):
    index = set(search.metadata.tables) | ({"search_fts"} if url.startswith("sqlite") else set())
    return set(Base.metadata.tables) | index


def _not_the_search_index(name, type_, parent_names):
    """The search index is no model (engine/search/tables.py owns its dialect-specific tables)."""
    return not (type_ == "table" and name.startswith("search_"))


def test_upgrade_from_empty_and_downgrade_to_empty(empty_url):
    assert _tables(empty_url) == set()
    migrate.upgrade(empty_url)
    assert _tables(empty_url) == _model_tables(empty_url)
    migrate.downgrade(empty_url, "base")
    assert _tables(empty_url) == set()
    migrate.upgrade(empty_url)  # and again: nothing left behind
    assert _tables(empty_url) == _model_tables(empty_url)


def test_single_head(empty_url):
    assert len(migrate.heads(empty_url)) == 1


def _not_the_partition_key(obj, name, type_, reflected, compare_to):
    """On PostgreSQL case_event is partitioned by year (migration 0016): its unique key also holds ``at``
    (tests/test_partitions.py checks both databases' keys)."""
    return not (type_ == "unique_constraint" and obj.table.name == "case_event")


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index:UserWarning")
def test_migrations_match_the_models(empty_url):
    migrate.upgrade(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False,
                                                                      "include_name": _not_the_search_index,
                                                                      "include_object": _not_the_partition_key}),
                                Base.metadata)
    engine.dispose()
    assert diff == []
