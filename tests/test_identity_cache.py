"""The logged-in account is kept per process between requests (webapp.auth.Identities), checked
against the database on every request: what an administrator takes away is gone on the very next
request, in this process as in any other."""

from __future__ import annotations

from sqlalchemy import event, select

from engine.models import CaseTask, Post, User
from engine.service import start_case
from webapp import auth

from .conftest import As
from .webhelpers import _csrf, login


def _set(database, staff_no: str, **values) -> dict:
    """Change an account as another process would (its own transaction); returns what it was."""
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.staff_no == staff_no)).one()
        before = {name: getattr(user, name) for name in values}
        for name, value in values.items():
            setattr(user, name, value)
    return before


def test_a_role_removed_by_an_administrator_is_gone_on_the_next_request(app, client, database):
    login(client, "jw001")
    assert client.get("/supervision/alerts").status_code == 200
    assert client.get("/supervision/alerts").status_code == 200  # from the kept copy
    before = _set(database, "jw001", roles=["clerk"])
    try:
        response = client.get("/supervision/alerts")
        assert response.status_code == 403 and "电子监察仅对监察人员开放" in response.get_data(as_text=True)
    finally:
        _set(database, "jw001", **before)
    assert client.get("/supervision/alerts").status_code == 200  # and given back, back at once


def test_a_post_removed_by_an_administrator_is_gone_on_the_next_request(app, client, run, database, frozen_clock,
                                                                       company):
    case = run(start_case, "015309300002", company, As("sc001"))
    login(client, "sc001")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "/complete" in page  # the clerk works the first step at the window post
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.staff_no == "sc001")).one()
        post_ids, user.posts = [p.id for p in user.posts], []
    try:
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "/complete" not in page
        with database.transaction(write=False) as s:
            task_id = s.scalars(select(CaseTask.id).where(CaseTask.case_id == case.id,
                                                          CaseTask.state == "ready")).one()
        response = client.post(f"/cases/{case.id}/tasks/{task_id}/complete",
                               data={"csrf_token": _csrf(page), "decision": "agree"})
        assert response.status_code == 403
    finally:
        with database.transaction() as s:
            s.scalars(select(User).where(User.staff_no == "sc001")).one().posts = [s.get(Post, i) for i in post_ids]


def test_the_account_is_loaded_once_and_read_in_one_query_per_request(app, client, database, monkeypatch):
    loads = []
    original = auth.Identities._load
    monkeypatch.setattr(auth.Identities, "_load", lambda self, user_id: loads.append(user_id) or original(self, user_id))
    login(client, "sc003")
    client.get("/workbench")
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.extensions["sunhall_db"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(3):
            assert client.get("/account/password").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(loads) == 1
    assert sum("user_account" in s for s in statements) == 3  # one check a request, nothing else about the user


def test_a_changed_name_shows_at_once_and_the_kept_copy_is_never_the_request_s(app, client, database):
    login(client, "sc005")
    assert "陈静" in client.get("/workbench").get_data(as_text=True)
    _set(database, "sc005", name="陈静（借调）")
    try:
        assert "陈静（借调）" in client.get("/workbench").get_data(as_text=True)
    finally:
        with database.transaction() as s:
            s.scalars(select(User).where(User.staff_no == "sc005")).one().name = "陈静"
    assert "陈静（借调）" not in client.get("/workbench").get_data(as_text=True)
