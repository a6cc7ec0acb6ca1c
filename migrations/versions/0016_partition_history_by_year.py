"""The largest append-only table partitioned by year on PostgreSQL.

``case_event`` (办件日志; the field history lives in its ``before``/``after``, there is no table of
its own) becomes a table partitioned by range of ``at``, one partition per calendar year in
Beijing time plus a DEFAULT partition, in the schema ``partitions`` so that the model tables stay
the only tables of ``public``. PostgreSQL wants the partition key in every unique constraint: the
primary key becomes (id, at) and the unique (case_id, seq) becomes (case_id, seq, at); the case
row's optimistic version already stops two appends of one sequence number, and ``audit verify``
reports a repeated one. No table refers to ``case_event``.

Measured (bench/partitions.py, 3,000,000 events over six years, one run): one case's events
0.85 x the plain table's time, the last event of a case 1.35 x (0.19 → 0.25 ms), 500 cases' events
0.99 x, one event insert 0.94 x, one year's events 0.24 x. Lookups by case cost the same; work by
period (audit of a year, vacuum, moving an old year to cheaper storage) touches one partition.

``sunhall_year_partitions(ahead)`` creates the missing partitions up to ``ahead`` years after the
current one, and for the years of any row the DEFAULT partition caught, moving those rows into
them; run it yearly (docs/production.md). SQLite keeps one table: this revision does nothing there.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 11:25:00
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SCHEMA = "partitions"
AHEAD = 3
# the partitions' bounds: midnight of 1 January in Beijing (UTC+8, no summer time), as stored (UTC)
YEAR_FUNCTION = f"""
CREATE OR REPLACE FUNCTION sunhall_year_partitions(ahead integer DEFAULT {AHEAD}) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    parent text;
    y integer;
    low timestamp;
    high timestamp;
    part text;
    this_year integer := extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::integer;
    first_year integer;
    made integer := 0;
BEGIN
    FOR parent IN SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = current_schema() AND c.relname IN ('case_event') LOOP
        -- and the years of any older rows the DEFAULT partition caught (imported or reported late)
        EXECUTE format('SELECT extract(year FROM min(at) + interval ''8 hours'')::integer FROM {SCHEMA}.%I',
                       parent || '_default') INTO first_year;
        FOR y IN least(first_year, this_year) .. this_year + ahead LOOP
            part := format('%s_%s', parent, y);
            CONTINUE WHEN to_regclass(format('{SCHEMA}.%I', part)) IS NOT NULL;
            low := make_timestamp(y - 1, 12, 31, 16, 0, 0);
            high := make_timestamp(y, 12, 31, 16, 0, 0);
            EXECUTE format('CREATE TABLE {SCHEMA}.%I (LIKE %I INCLUDING DEFAULTS)', part, parent);
            EXECUTE format('WITH moved AS (DELETE FROM {SCHEMA}.%I WHERE at >= %L AND at < %L RETURNING *) '
                           'INSERT INTO {SCHEMA}.%I SELECT * FROM moved', parent || '_default', low, high, part);
            EXECUTE format('ALTER TABLE %I ATTACH PARTITION {SCHEMA}.%I FOR VALUES FROM (%L) TO (%L)',
                           parent, part, low, high);
            made := made + 1;
        END LOOP;
    END LOOP;
    RETURN made;
END $$
"""


def _bound(year: int) -> str:
    return datetime(year - 1, 12, 31, 16, tzinfo=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    first = bind.execute(sa.text("SELECT extract(year FROM min(at) + interval '8 hours') FROM case_event")).scalar()
    this_year = bind.execute(sa.text("SELECT extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')")).scalar()
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute("ALTER TABLE case_event RENAME TO case_event_plain")
    op.execute("ALTER TABLE case_event_plain RENAME CONSTRAINT pk_case_event TO pk_case_event_plain")
    op.execute("ALTER TABLE case_event_plain RENAME CONSTRAINT uq_case_event_case_id TO uq_case_event_plain")
    op.execute("CREATE TABLE case_event (LIKE case_event_plain INCLUDING DEFAULTS) PARTITION BY RANGE (at)")
    op.execute("ALTER SEQUENCE case_event_id_seq OWNED BY case_event.id")
    op.execute("ALTER TABLE case_event ADD CONSTRAINT pk_case_event PRIMARY KEY (id, at), "
               "ADD CONSTRAINT uq_case_event_case_id UNIQUE (case_id, seq, at)")
    for year in range(int(min(first or this_year, this_year - 1)), int(this_year) + AHEAD + 1):
        op.execute(f"CREATE TABLE {SCHEMA}.case_event_{year} PARTITION OF case_event "
                   f"FOR VALUES FROM ('{_bound(year)}') TO ('{_bound(year + 1)}')")
    op.execute(f"CREATE TABLE {SCHEMA}.case_event_default PARTITION OF case_event DEFAULT")
    op.execute("INSERT INTO case_event SELECT * FROM case_event_plain")
    op.execute("DROP TABLE case_event_plain")
    # foreign keys last: checked once over the copied rows, not row by row
    op.execute("ALTER TABLE case_event ADD CONSTRAINT fk_case_event_case_id_case FOREIGN KEY (case_id) "
               "REFERENCES \"case\" (id) ON DELETE CASCADE, ADD CONSTRAINT fk_case_event_actor_id_user_account "
               "FOREIGN KEY (actor_id) REFERENCES user_account (id)")
    op.execute(YEAR_FUNCTION)
    op.execute("ANALYZE case_event")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS sunhall_year_partitions(integer)")
    op.execute("ALTER TABLE case_event RENAME TO case_event_partitioned")
    op.execute("ALTER TABLE case_event_partitioned RENAME CONSTRAINT pk_case_event TO pk_case_event_partitioned")
    op.execute("ALTER TABLE case_event_partitioned RENAME CONSTRAINT uq_case_event_case_id TO uq_case_event_partitioned")
    op.execute("CREATE TABLE case_event (LIKE case_event_partitioned INCLUDING DEFAULTS)")
    op.execute("ALTER SEQUENCE case_event_id_seq OWNED BY case_event.id")
    op.execute("INSERT INTO case_event SELECT * FROM case_event_partitioned")
    op.execute("DROP TABLE case_event_partitioned")  # and its partitions
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")
    op.execute("ALTER TABLE case_event ADD CONSTRAINT pk_case_event PRIMARY KEY (id), "
               "ADD CONSTRAINT uq_case_event_case_id UNIQUE (case_id, seq), "
               "ADD CONSTRAINT fk_case_event_case_id_case FOREIGN KEY (case_id) REFERENCES \"case\" (id) "
               "ON DELETE CASCADE, ADD CONSTRAINT fk_case_event_actor_id_user_account "
               "FOREIGN KEY (actor_id) REFERENCES user_account (id)")
