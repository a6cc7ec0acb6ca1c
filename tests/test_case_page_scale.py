"""The case page costs the same whatever the county's size and the case's history: it reads the
names it shows and nothing more — not every account, department or post, not every step of the case
— and a longer history adds rows, not queries."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import event, select

from engine.models import CaseTask, User
from engine.service import complete_task, return_to_step, start_case

from .conftest import As
from .webhelpers import login

WHOLE_TABLE = re.compile(r"\bFROM (user_account|department|post)\b(?![^()]*\bWHERE\b)", re.S)


def _statements(app, client, path: str) -> list[str]:
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    engine = app.extensions["sunhall_db"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def _round(database, case_id: int) -> None:
    """Complete the first step, then send the case back to it: two more steps and events."""
    with database.transaction() as s:
        users = {u.staff_no: u for u in s.scalars(select(User).where(User.staff_no.in_(["sc001", "sc003"])))}
        task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
        complete_task(s, task.id, users["sc001"], data={}, opinion="同意", approved=True)
    with database.transaction() as s:
        users = {u.staff_no: u for u in s.scalars(select(User).where(User.staff_no.in_(["sc001", "sc003"])))}
        task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
        first = s.scalars(select(CaseTask.step_id).where(CaseTask.case_id == case_id)
                          .order_by(CaseTask.id)).first()
        return_to_step(s, task.id, users["sc003"], first, "请补充说明")


def test_the_case_page_reads_only_the_names_it_shows_and_no_more_for_a_longer_history(
        app, client, run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"))
    login(client, "sc001")
    _round(database, case.id)
    _statements(app, client, f"/cases/{case.id}")  # the process's caches (calendar, flow chart) filled
    short = _statements(app, client, f"/cases/{case.id}")
    for _ in range(6):
        _round(database, case.id)
    long = _statements(app, client, f"/cases/{case.id}")
    before, after = Counter(short), Counter(long)
    grown = [s for s, n in after.items() if n > before[s] > 0]  # a query per step or event (the calendar's
    assert not grown, grown                                       # stamp, re-read now and then, is not one)
    whole = [s for s in long if WHOLE_TABLE.search(s)]
    assert not whole, whole
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count("请补充说明") >= 7 and "受理" in page  # the whole history is still shown
