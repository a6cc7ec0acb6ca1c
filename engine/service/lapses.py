"""补正 not answered in time: which cases lapse (the scheduler ends each in its own transaction
with :func:`engine.service.operations.lapse_correction`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..models import Case, CasePause
from .operations import lapse_correction

__all__ = ["due_lapses", "lapse_correction"]


def due_lapses(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Open cases whose open 补正 had an answer period that ended before today."""
    return list(session.scalars(
        select(CasePause.case_id).join(Case, Case.id == CasePause.case_id)
        .where(CasePause.kind == "correction", CasePause.ended_at.is_(None), CasePause.due_date < clock.local_date(now),
               Case.state.in_(("received", "accepted")))
        .order_by(CasePause.due_date).limit(limit)))
