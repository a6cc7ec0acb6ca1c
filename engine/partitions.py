"""The event log's coming years (PostgreSQL partitions, migration 0016), made by the scheduler.

``sunhall_year_partitions()`` creates any missing yearly partition up to three years ahead and moves
rows the DEFAULT partition caught into their year's. The scheduler runs it once a day, so a new year
never starts in the DEFAULT partition even where nobody runs the yearly cron job of docs/production.md.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from . import clock

_done_on: date | None = None


def tick(db) -> int:
    """Once a day on PostgreSQL: the partitions made (0 once they exist)."""
    global _done_on
    today = clock.today()
    if db.is_sqlite or _done_on == today:
        return 0
    with db.transaction() as session:
        made = session.scalar(text("SELECT sunhall_year_partitions()"))
    _done_on = today
    return made or 0


tick.label = "按年份准备办件日志分区"
