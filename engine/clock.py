"""The one clock of the engine. Everything that needs "now" asks here, so tests and the demo
history can travel in time (``frozen``) without touching the system clock."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_offset = timedelta(0)
_frozen: datetime | None = None
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Aware UTC now."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc) + _offset


def today() -> date:
    """Today's date where the office is (Asia/Shanghai)."""
    return local_date(now())


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL_TZ).date()


@contextlib.contextmanager
def frozen(moment: datetime):
    """Freeze the clock at ``moment`` (aware) for the duration of the block."""
    global _frozen
    previous = _frozen
    _frozen = moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)
    try:
        yield
    finally:
        _frozen = previous


def travel(moment: datetime) -> None:
    """Move the frozen clock (only inside ``frozen``)."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("travel() only works inside clock.frozen()")
    _frozen = moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)
