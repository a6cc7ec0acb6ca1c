"""修改密码 (/account/password): a member of staff changes their own password; a password an
administrator set (new account, reset: ``must_change_password``) must be changed at the next
password login before any other page opens."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine import passwords
from engine.models import SystemEvent, User

from .webhelpers import _csrf, login

RIGHT = "Sunhall@2026"
NEW = "Neues-Pass-2026"


@pytest.fixture(autouse=True)
def _passwords_back(database):
    yield
    with database.transaction() as s:
        s.execute(update(User).values(must_change_password=False, failed_logins=0, locked_until=None))
        for user in s.scalars(select(User).where(User.staff_no.in_(["sc004", "sc005"]))):
            if not passwords.verify_password(user.password_hash, RIGHT):
                user.password_hash = passwords.hash_password(RIGHT)


def _user(database, staff_no) -> User:
    with database.transaction(write=False) as s:
        return s.scalars(select(User).where(User.staff_no == staff_no)).one()


def _change(client, current, new, again=None):
    token = _csrf(client.get("/account/password").get_data(as_text=True))
    return client.post("/account/password", data={"current": current, "new": new,
                                                  "again": new if again is None else again, "csrf_token": token})


def test_a_clerk_changes_her_password_and_her_other_sessions_end(app, database):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "sc004")
    login(elsewhere, "sc004")
    page = here.get("/account/password")
    assert page.status_code == 200 and "修改密码" in page.get_data(as_text=True)

    answer = _change(here, RIGHT, NEW)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/workbench")
    assert "密码已修改" in here.get("/workbench").get_data(as_text=True)  # this session goes on
    assert elsewhere.get("/workbench").status_code == 302  # the other one ended

    assert login(app.test_client(), "sc004", RIGHT).status_code == 401
    fresh = app.test_client()
    assert login(fresh, "sc004", NEW).status_code == 302
    with database.transaction(write=False) as s:
        event = s.scalars(select(SystemEvent).where(SystemEvent.action == "account.password_changed")
                          .order_by(SystemEvent.seq.desc())).first()
    assert event.target == "sc004"


@pytest.mark.parametrize("current, new, again, field, message", [
    ("wrong-password-1", NEW, None, "current", "当前密码不正确"),
    (RIGHT, "short1", None, "new", "至少 8 个字符"),
    (RIGHT, "abcdefghijk", None, "new", "须同时包含字母和数字"),
    (RIGHT, NEW, NEW + "x", "again", "两次输入的新密码不一致"),
    (RIGHT, RIGHT, None, "new", "不能与当前密码相同"),
    ("", NEW, None, "current", "请填写当前密码"),
    (RIGHT, "", "", "new", "请填写新密码"),
    (RIGHT, "x1" * 600, None, "new", "不能超过 1024 个字符"),
    ("\x00\x1b" * 700, NEW, None, "current", "当前密码不正确"),
])
def test_a_wrong_entry_is_named_in_chinese_at_its_field(app, database, current, new, again, field, message):
    client = app.test_client()
    login(client, "sc005")
    answer = _change(client, current, new, again)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in html and f'href="#{field}"' in html and 'aria-invalid="true"' in html
    assert passwords.verify_password(_user(database, "sc005").password_hash, RIGHT)  # unchanged


def test_the_page_needs_a_login(client):
    assert client.get("/account/password").headers["Location"].startswith("/login")
    assert client.post("/account/password", data={}).status_code in (302, 400)


def test_a_password_set_by_an_administrator_must_be_changed_before_anything_else(app, database):
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc004").values(must_change_password=True))
    client = app.test_client()
    answer = login(client, "sc004")
    assert answer.headers["Location"].endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    assert "系统管理员为您设置了初始密码" in page

    for path in ("/workbench", "/catalogue/items", "/supervision"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/password"), path
    api = client.get("/api/v1/cases")
    assert api.status_code == 403 and api.json["code"] == "password_change_required"

    assert _change(client, RIGHT, NEW).status_code == 302
    assert _user(database, "sc004").must_change_password is False  # cleared by the change itself
    assert client.get("/workbench").status_code == 200


def test_logging_out_stays_possible_before_the_change(app, database):
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc004").values(must_change_password=True))
    client = app.test_client()
    login(client, "sc004")
    token = _csrf(client.get("/account/password").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"].endswith("/login")
    assert _user(database, "sc004").must_change_password is True


def test_the_service_clears_the_flag(run, database):
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc005").values(must_change_password=True))
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.staff_no == "sc005")).one()
        passwords.change_password(s, user, RIGHT, NEW)
    assert _user(database, "sc005").must_change_password is False
