"""The scheduler: one per database (a lease row), ticking BPMN timers of waiting cases.

A tick reads the indexed ``case.next_timer_at``: it costs what is due, not what is open.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select

from . import clock, listeners
from .db import Database
from .errors import SunhallError
from .models import SchedulerLease
from .service.timers import due_timer_cases, fire_due_timers

log = logging.getLogger(__name__)
LEASE = "scheduler"


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(db: Database, holder: str, ttl: timedelta = timedelta(seconds=60)) -> bool:
    """Take or renew the lease; False while another live scheduler holds it."""
    with db.transaction() as session:
        stmt = select(SchedulerLease).where(SchedulerLease.name == LEASE)
        if not db.is_sqlite:
            stmt = stmt.with_for_update()
        lease = session.scalars(stmt).first()
        now = clock.now()
        if lease is None:
            session.add(SchedulerLease(name=LEASE, holder=holder, expires_at=now + ttl))
            return True
        if lease.holder != holder and lease.expires_at > now:
            return False
        lease.holder, lease.expires_at = holder, now + ttl
        return True


def release_lease(db: Database, holder: str) -> None:
    with db.transaction() as session:
        lease = session.get(SchedulerLease, LEASE)
        if lease is not None and lease.holder == holder:
            session.delete(lease)


def tick(db: Database, batch: int = 200) -> int:
    """Fire every due BPMN timer, then run the plugged-in tick hooks (supervision watches).
    Returns how many things fired."""
    fired = fire_timers(db, batch)
    for hook in listeners.tick_hooks():
        fired += hook(db)
    return fired


def fire_timers(db: Database, batch: int = 200) -> int:
    """Fire every due timer; each case in its own transaction."""
    fired = 0
    while True:
        with db.transaction(write=False) as session:
            ids = due_timer_cases(session, clock.now(), batch)
        if not ids:
            return fired
        fired_now = 0
        for case_id in ids:
            try:
                with db.transaction() as session:
                    fired_now += fire_due_timers(session, case_id)
            except SunhallError as exc:
                log.warning("timer of case %s not fired: %s", case_id, exc.message)
        fired += fired_now
        if len(ids) < batch or not fired_now:
            return fired


def run_forever(db: Database, interval: float = 30.0) -> None:  # pragma: no cover - exercised by hand
    holder = holder_id()
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")

    def job():
        if acquire_lease(db, holder, timedelta(seconds=max(60, interval * 3))):
            count = tick(db)
            if count:
                log.info("fired %d timers", count)
        else:
            log.info("another scheduler holds the lease; standing by")

    scheduler.add_job(job, "interval", seconds=interval, max_instances=1, coalesce=True, next_run_time=None)
    job()
    try:
        scheduler.start()
    finally:
        release_lease(db, holder)
