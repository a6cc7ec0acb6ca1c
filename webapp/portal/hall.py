"""办事大厅 (seed 004 §3.1): today's and this month's 收件 and 办结, by department and by item, with
the on-time rate and the average handling time; figures at most a minute old (rules.hall)."""

from __future__ import annotations

from flask import render_template

from engine import clock
from rules.hall import hall_figures

from ..db import db_session
from . import bp


@bp.get("/hall")
def hall():
    figures = hall_figures(db_session())
    return render_template("portal/hall.html", f=figures,
                           computed_at=figures.computed_at.astimezone(clock.LOCAL_TZ))
