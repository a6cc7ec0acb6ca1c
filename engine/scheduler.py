"""The scheduler: one per database (a lease row), ticking BPMN timers of waiting cases, lapsed
补正 answer periods and the plugged-in tick hooks (supervision watches).

A tick reads the indexed ``case.next_timer_at``: it costs what is due, not what is open. Each due
item runs in its own transaction; one that fails is an incident (:mod:`engine.incidents`), retried
on later ticks, never a failed tick.

The lease is kept in wall-clock time (``clock.frozen`` moves only the engine's "now" for a tick):
the holder renews it every interval, a standby retries and takes over once it has run out.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from . import clock, incidents, listeners
from .db import Database
from .models import SchedulerLease
from .service import lapses
from .service.timers import due_timer_cases, fire_due_timers

log = logging.getLogger(__name__)
LEASE = "scheduler"


def wall_now() -> datetime:
    """Real time, whatever the engine clock says: leases are between live processes."""
    return datetime.now(timezone.utc)


def default_lease(interval: float) -> float:
    """Three intervals: one late renewal never loses the lease."""
    return max(3 * interval, 2.0)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(db: Database, holder: str, ttl: timedelta = timedelta(seconds=60),
                  now: datetime | None = None) -> bool:
    """Take or renew the lease; False while another live scheduler holds it."""
    return claim_lease(db, holder, ttl, now)[0]


def claim_lease(db: Database, holder: str, ttl: timedelta, now: datetime | None = None) -> tuple[bool, datetime]:
    """Take or renew the lease: (held, when the lease runs out). Safe when several schedulers start at
    once: the row is inserted with ON CONFLICT DO NOTHING, then read FOR UPDATE."""
    now = now or wall_now()
    with db.transaction() as session:
        dialect = sqlite if db.is_sqlite else postgresql
        inserted = session.execute(dialect.insert(SchedulerLease.__table__)
                                   .values(name=LEASE, holder=holder, expires_at=now + ttl)
                                   .on_conflict_do_nothing(index_elements=["name"]))
        if inserted.rowcount == 1:
            return True, now + ttl
        stmt = select(SchedulerLease).where(SchedulerLease.name == LEASE).execution_options(populate_existing=True)
        if not db.is_sqlite:
            stmt = stmt.with_for_update()
        lease = session.scalars(stmt).one()
        if lease.holder != holder and lease.expires_at > now:
            return False, lease.expires_at
        lease.holder, lease.expires_at = holder, now + ttl
        return True, now + ttl


def release_lease(db: Database, holder: str) -> None:
    with db.transaction() as session:
        lease = session.get(SchedulerLease, LEASE)
        if lease is not None and lease.holder == holder:
            session.delete(lease)


@dataclass
class TickReport:
    timers: int = 0  # BPMN timers fired
    lapses: int = 0  # 补正 answer periods that ran out
    hooks: dict[str, int] = field(default_factory=dict)  # per tick hook (supervision alerts …)
    incidents: list[str] = field(default_factory=list)  # keys recorded during the tick

    @property
    def alerts(self) -> int:
        return sum(self.hooks.values())

    @property
    def total(self) -> int:
        return self.timers + self.lapses + self.alerts


def tick(db: Database, batch: int = 200) -> int:
    """Fire every due BPMN timer and lapse, then run the plugged-in tick hooks (supervision watches).
    Returns how many things fired."""
    return run_tick(db, batch).total


def run_tick(db: Database, batch: int = 200) -> TickReport:
    """One tick; every item and every hook isolated: a failure is an incident, the rest goes on."""
    report = TickReport()
    open_keys = incidents.open_keys(db)  # one read per tick: a success resolves only what is open
    with incidents.counting() as recorded:
        report.timers = incidents.guarded(db, "timer:scan", "timer", "读取到期的流程定时器", None,
                                          fire_timers, db, batch, open_keys, resolve_keys=open_keys) or 0
        report.lapses = incidents.guarded(db, "lapse:scan", "lapse", "读取补正期满的办件", None,
                                          fire_lapses, db, open_keys, resolve_keys=open_keys) or 0
        for hook in listeners.tick_hooks():
            name = f"{hook.__module__}.{getattr(hook, '__name__', type(hook).__name__)}"
            what = getattr(hook, "label", None) or f"定时任务 {name}"  # a hook may carry its Chinese name
            report.hooks[name] = incidents.guarded(db, f"hook:{name}"[-100:], "hook", what, None,
                                                   hook, db, resolve_keys=open_keys) or 0
    report.incidents = list(recorded)
    return report


def fire_timers(db: Database, batch: int = 200, open_keys: set[str] | None = None) -> int:
    """Fire every due timer; each case in its own transaction. A case that fails is an incident and
    is not tried again in this tick (it stays due, so the next tick retries it)."""
    fired = 0
    failed: set[int] = set()
    if open_keys is None:
        open_keys = incidents.open_keys(db, "timer")
    while True:
        with db.transaction(write=False) as session:
            ids = [i for i in due_timer_cases(session, clock.now(), batch + len(failed)) if i not in failed]
        if not ids:
            return fired
        fired_now = 0
        for case_id in ids:
            key = f"timer:case:{case_id}"
            done = incidents.guarded(db, key, "timer", "流程定时器", case_id, _fire_case_timers, db, case_id,
                                     resolve_keys=open_keys)
            if done is None:
                failed.add(case_id)
            else:
                fired_now += done
        fired += fired_now
        if len(ids) < batch or not fired_now:
            return fired


def _fire_case_timers(db: Database, case_id: int) -> int:
    with db.transaction() as session:
        return int(fire_due_timers(session, case_id))


def fire_lapses(db: Database, open_keys: set[str] | None = None, batch: int = 200) -> int:
    """Close the cases whose 补正 answer period ran out; each case in its own transaction, each tried
    at most once per tick."""
    if open_keys is None:
        open_keys = incidents.open_keys(db, "lapse")
    done, seen = 0, set()
    while True:
        with db.transaction(write=False) as session:
            ids = [i for i in lapses.due_lapses(session, clock.now(), limit=batch + len(seen)) if i not in seen]
        for case_id in ids:
            seen.add(case_id)
            if incidents.guarded(db, f"lapse:case:{case_id}", "lapse", "补正期满处理", case_id, _lapse_case, db,
                                 case_id, resolve_keys=open_keys):
                done += 1
        if len(ids) < batch:
            return done


def _lapse_case(db: Database, case_id: int) -> bool:
    with db.transaction() as session:
        return bool(lapses.lapse_correction(session, case_id, clock.now()))


def run_forever(db: Database, interval: float = 30.0, lease: float | None = None,
                stop: threading.Event | None = None) -> None:
    """Tick now and then every ``interval`` seconds while holding the lease; otherwise stand by and
    take over as soon as the holder's lease has run out. SIGTERM and SIGINT stop it cleanly: the
    running tick finishes and the lease is released."""
    holder = holder_id()
    ttl = timedelta(seconds=lease or default_lease(interval))
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    busy = threading.Lock()  # one tick at a time in this process
    state = {"holding": False, "stopping": False, "ended": False}

    def renew() -> bool:
        try:
            held, expires = claim_lease(db, holder, ttl)
        except Exception:
            log.exception("could not read or renew the scheduler lease")
            return False
        if held != state["holding"]:
            log.info("%s the scheduler lease (%s)", "took" if held else "lost", holder)
        state["holding"] = held
        if not held and not state["stopping"]:
            # stand by, and look again the moment the holder's lease runs out
            retry = expires + timedelta(seconds=0.2)
            if retry < wall_now() + timedelta(seconds=interval):
                scheduler.add_job(job, "date", run_date=retry, id="takeover", replace_existing=True,
                                  misfire_grace_time=None)
        return held

    def job():
        if state["stopping"] or not busy.acquire(blocking=False):
            return
        try:
            if not renew():
                if not state.get("standing_by"):
                    log.info("another scheduler holds the lease; standing by (%s)", holder)
                state["standing_by"] = True
                return
            state["standing_by"] = False
            report = run_tick(db)
            if report.total or report.incidents:
                log.info("tick: %d timers, %d lapses, %d alerts, %d incidents", report.timers, report.lapses,
                         report.alerts, len(report.incidents))
        except Exception:  # the tick isolates its items; this is the database going away
            log.exception("scheduler tick failed")
        finally:
            busy.release()

    def keepalive():
        # a tick longer than the interval: keep the lease while it runs
        if state["holding"] and busy.locked() and not state["stopping"]:
            renew()

    stop = stop or threading.Event()

    def on_signal(signum, frame):
        # only set a flag here: the handler interrupts the main thread, possibly inside the
        # scheduler's own locks, so the shutdown itself runs on another thread
        state["stopping"] = True
        stop.set()

    def stopper():
        stop.wait()
        state["stopping"] = True
        while not state["ended"]:  # the signal may come before the scheduler has started
            try:
                scheduler.shutdown(wait=False)
                return
            except SchedulerNotRunningError:
                time.sleep(0.05)

    start = datetime.now(clock.LOCAL_TZ)
    scheduler.add_job(job, "interval", seconds=interval, next_run_time=start, id="tick",
                      max_instances=1, coalesce=True, misfire_grace_time=max(1, int(interval)))
    scheduler.add_job(keepalive, "interval", seconds=interval, id="keepalive",
                      next_run_time=start + timedelta(seconds=interval / 2), max_instances=1, coalesce=True)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, on_signal)
    threading.Thread(target=stopper, daemon=True, name="scheduler-stop").start()
    try:
        scheduler.start()
    finally:
        state["stopping"] = state["ended"] = True
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if busy.acquire(timeout=max(ttl.total_seconds(), 5)):  # let a running tick finish first
            busy.release()
        try:
            release_lease(db, holder)
        except Exception:
            log.exception("could not release the scheduler lease")
