"""Case replay (过程回放): everything a supervisor needs to judge a case without the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar import load_calendar
from engine.models import Case, CaseEvent, CasePause, CaseTask, Department, Post, User
from forms.service import step_form

from .models import Alert


@dataclass
class StepLine:
    task: CaseTask
    post: str
    department: str
    actor: str
    used: int | None
    late: bool
    fields: list


def replay(session: Session, case: Case) -> dict:
    calendar = load_calendar(session)
    users = {u.id: u.name for u in session.scalars(select(User))}
    depts = {d.id: d.name for d in session.scalars(select(Department))}
    posts = {(p.department_id, p.code): p.name for p in session.scalars(select(Post))}
    view = step_form(session, case, None)
    form = view.form
    lines = []
    for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.created_at, CaseTask.id)):
        end = clock.local_date(t.completed_at) if t.completed_at else clock.today()
        used = calendar.workdays_between(clock.local_date(t.created_at), end)
        late = t.due_date is not None and end > t.due_date
        shown = []
        if form is not None:
            for name, value in (t.form_data or {}).items():
                if name in form.names and view.access.get(name) != "hidden":
                    shown.append((form.spec(name), value))
        lines.append(StepLine(t, posts.get((t.department_id, t.post_code), t.post_code), depts.get(t.department_id, ""),
                              users.get(t.completed_by_id or t.assignee_id, ""), used, late, shown))
    return {
        "steps": lines,
        "pauses": list(session.scalars(select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id))),
        "alerts": list(session.scalars(select(Alert).where(Alert.case_id == case.id).order_by(Alert.created_at))),
        "events": list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))),
        "form": form, "users": users,
    }


__all__ = ["replay"]
