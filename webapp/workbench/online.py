"""网上申请 (预审): the online applications of the window posts the user holds, waiting for 预审
(受理, 补正 or 不予受理 on the case page), for the applicant's 补正, or supplied again."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required
from sqlalchemy import select

from engine import clock
from engine.models import Case, CasePause, CaseTask

from ..db import db_session
from . import bp
from .common import me


def online_queue(session, user) -> list[dict]:
    """Received online applications whose first step is ready for a window post the user holds (all
    of them for the administrator), oldest first: 预审 has the notice period of art. 32 to answer."""
    stmt = (select(Case, CaseTask).join(CaseTask, CaseTask.case_id == Case.id)
            .where(Case.channel == "web", Case.state == "received", CaseTask.state == "ready")
            .order_by(Case.received_at, Case.id))
    if not user.has_role("admin"):
        posts = [(p.code, p.department_id) for p in user.posts]
        if not posts:
            return []
        stmt = stmt.where(CaseTask.post_code == "window",
                          CaseTask.department_id.in_([d for code, d in posts if code == "window"]))
    pairs = list(session.execute(stmt))
    ids = list({case.id for case, _ in pairs})
    pauses = list(session.scalars(select(CasePause).where(CasePause.case_id.in_(ids)))) if ids else []
    waiting = {p.case_id: p for p in pauses if p.ended_at is None}
    supplied = {p.case_id for p in pauses if p.kind == "correction" and p.ended_at is not None}
    rows, seen = [], set()
    for case, task in pairs:  # one row per application (a case has one 预审 step at a time)
        if case.id in seen:
            continue
        seen.add(case.id)
        pause = waiting.get(case.id)
        state = "待申请人补正" if pause is not None and pause.kind == "correction" else \
            ("已补正，待预审" if case.id in supplied else "待预审")
        rows.append({"case": case, "task": task, "state": state, "waiting": pause is not None})
    return rows


@bp.get("/workbench/online")
@login_required
def online_applications():
    rows = online_queue(db_session(), me())
    return render_template("workbench/online.html", rows=rows, today=clock.today())
