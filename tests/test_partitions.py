"""case_event partitioned by year on PostgreSQL (migration 0016): events land in their year's
partition, the yearly maintenance makes the next ones and empties the DEFAULT partition into them,
and a downgrade and upgrade keep every event. SQLite keeps one plain table."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from engine import audit, clock, migrate
from engine.db import Database
from engine.models import CaseEvent, User
from engine.service import start_case
from webapp.demo import load_demo

from .conftest import As
from .helpers import do

PG_URL = os.environ.get("SUNHALL_TEST_DATABASE_URL")
postgres = pytest.mark.skipif(not PG_URL, reason="declarative partitioning is PostgreSQL's (set SUNHALL_TEST_DATABASE_URL)")
PARTITIONS = "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid " \
             "WHERE i.inhparent = 'case_event'::regclass"


def _year(at) -> int:
    return (at.replace(tzinfo=None) + timedelta(hours=8)).year  # stored in UTC, partitioned by Beijing years


def test_sqlite_keeps_one_plain_table(database):
    if not database.is_sqlite:
        pytest.skip("the SQLite layout")
    assert "case_event" in inspect(database.engine).get_table_names()
    assert [u["column_names"] for u in inspect(database.engine).get_unique_constraints("case_event")] == [["case_id", "seq"]]


@postgres
def test_case_event_is_partitioned_by_year(database):
    with database.transaction(write=False) as s:
        names = set(s.scalars(text(PARTITIONS)))
        this_year = s.scalar(text("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int"))
        key = s.scalar(text("SELECT pg_get_partkeydef('case_event'::regclass)"))
        schemas = set(s.scalars(text("SELECT DISTINCT n.nspname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                     "WHERE i.inhparent = 'case_event'::regclass")))
    assert key == "RANGE (at)"
    assert {f"case_event_{y}" for y in range(this_year, this_year + 4)} | {"case_event_default"} <= names
    assert schemas == {"partitions"}  # public holds the model tables only


@postgres
def test_events_land_in_their_years_partition_and_verify(run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    with database.transaction() as s:
        s.execute(text("SELECT sunhall_year_partitions()"))
        rows = s.execute(text("SELECT tableoid::regclass::text, at FROM case_event WHERE case_id = :c ORDER BY seq"),
                         {"c": case.id}).all()
        assert [r[0] for r in rows] == [f"partitions.case_event_{_year(r[1])}" for r in rows]
        assert audit.verify(s) == []
        assert [e.seq for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                         .order_by(CaseEvent.seq))] == list(range(1, len(rows) + 1))


@postgres
def test_yearly_maintenance_moves_what_the_default_partition_caught(run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"), data={"prepackaged_only": False})
    with database.transaction() as s:
        far = s.scalar(text("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int")) + 8
        s.execute(text(f"DROP TABLE IF EXISTS partitions.case_event_{far}"))
        s.execute(text("INSERT INTO case_event (case_id, seq, at, actor_name, action, before, after, detail, "
                       "prev_hash, hash) VALUES (:c, 999, :at, '系统', 'note', '{}', '{}', '{}', '', '')"),
                  {"c": case.id, "at": f"{far}-06-01 00:00:00"})
        where = "SELECT tableoid::regclass::text FROM case_event WHERE case_id = :c AND seq = 999"
        assert s.scalar(text(where), {"c": case.id}) == "partitions.case_event_default"
        assert s.scalar(text("SELECT sunhall_year_partitions(8)")) >= 1
        assert s.scalar(text(where), {"c": case.id}) == f"partitions.case_event_{far}"
        assert s.scalar(text("SELECT sunhall_year_partitions(8)")) == 0  # nothing left to do
        s.execute(text(f"DROP TABLE partitions.case_event_{far}"))


@postgres
def test_downgrade_and_upgrade_keep_every_event(settings, company):
    url = make_url(PG_URL)
    name = f"{url.database}_partitions"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    own = url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(own)
        db = Database(settings=type(settings)(database_url=own, secret_key="x", instance_dir=settings.instance_dir))
        with db.transaction() as s:
            load_demo(s)
        with clock.frozen(clock.now().replace(year=2021)), db.transaction() as s:  # an old year: DEFAULT, then its own
            clerk = s.scalars(select(User).where(User.staff_no == "sc001")).one()
            start_case(s, "015309300002", company, clerk, data={"prepackaged_only": False})
        rows = "SELECT id, case_id, seq, at, hash FROM case_event ORDER BY id"
        with db.engine.connect() as conn:
            before = conn.execute(text(rows)).all()
        db.dispose()
        assert before
        migrate.downgrade(own, "0015")
        check = create_engine(own)
        with check.connect() as conn:
            assert conn.execute(text(rows)).all() == before
            assert conn.scalar(text("SELECT count(*) FROM pg_partitioned_table")) == 0
        check.dispose()
        migrate.upgrade(own)
        check = create_engine(own)
        with check.connect() as conn:
            assert conn.execute(text(rows)).all() == before
            assert "case_event_2021" in set(conn.scalars(text(PARTITIONS)))
            assert conn.scalar(text("SELECT count(*) FROM partitions.case_event_default")) == 0
            assert conn.scalar(select(func.count()).select_from(CaseEvent)) == len(before)
        check.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@postgres
def test_the_scheduler_prepares_the_coming_years_once_a_day(database, monkeypatch):
    from engine import partitions

    monkeypatch.setattr(partitions, "_done_on", None)
    with database.transaction() as s:
        # the farthest year the maintenance keeps ready (three after the database's current one): no events yet
        last = s.scalar(text("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::integer + 3"))
        s.execute(text(f"ALTER TABLE case_event DETACH PARTITION partitions.case_event_{last}"))
        s.execute(text(f"DROP TABLE partitions.case_event_{last}"))
    assert partitions.tick(database) == 1
    assert partitions.tick(database) == 0  # the same day: nothing asked of the database
    with database.transaction(write=False) as s:
        assert f"case_event_{last}" in set(s.scalars(text(PARTITIONS)))
