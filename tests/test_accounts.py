"""Accounts under misuse: one answer for every failed login, a lockout that ends (by itself or by
an administrator), failed logins rate-limited per address (memory or Redis), sessions that end
at logout even for a copied cookie, security headers, the request size limit."""

from __future__ import annotations

import socket
import statistics
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine import clock, passwords
from engine.errors import InvalidInput, PermissionDenied
from engine.models import SystemEvent, User
from webapp import create_app

from .webhelpers import _csrf, login

RIGHT = "Sunhall@2026"


@pytest.fixture(autouse=True)
def _accounts_back(database):
    """Every account unlocked, active and with the demo password again after each test."""
    yield
    with database.transaction() as s:
        s.execute(update(User).values(failed_logins=0, locked_until=None, active=True))
        for user in s.scalars(select(User).where(User.staff_no.in_(["sc002", "sc003"]))):
            if not passwords.verify_password(user.password_hash, RIGHT):
                user.password_hash = passwords.hash_password(RIGHT)


def _user(database, staff_no) -> User:
    with database.transaction(write=False) as s:
        return s.scalars(select(User).where(User.staff_no == staff_no)).one()


def _client(app, address="10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client, staff_no, password):
    return login(client, staff_no, password)


def _error(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('role="alert">', 1)[1].split("<", 1)[0]


# ------------------------------------------------------------------ one answer, the same work

def test_unknown_staff_number_and_wrong_password_get_the_same_answer_after_the_same_work(app, database):
    client = _client(app)
    unknown = _attempt(client, "nobody-here", "whatever1")
    wrong = _attempt(client, "sc001", "whatever1")
    assert unknown.status_code == wrong.status_code == 401
    assert _error(unknown) == _error(wrong)
    assert "工号或密码错误" in _error(wrong) and "锁定" in _error(wrong)

    def timed(staff_no):
        token = _csrf(client.get("/login").get_data(as_text=True))
        start = time.perf_counter()
        client.post("/login", data={"staff_no": staff_no, "password": "x-wrong-1", "csrf_token": token})
        return time.perf_counter() - start

    unknown_t = statistics.median(timed("nobody-here") for _ in range(3))
    known_t = statistics.median(timed("sc004") for _ in range(3))
    # an unknown 工号 pays the argon2 check too: without it, it answers in a few per cent of the time
    assert unknown_t > 0.5 * known_t, (unknown_t, known_t)
    assert _user(database, "sc004").failed_logins == 3


def test_lock_ends_by_itself_and_while_locked_every_answer_is_the_same(app, database, frozen_clock):
    client = _client(app)
    for _ in range(5):
        assert _attempt(client, "sc002", "wrong-pass-1").status_code == 401
    user = _user(database, "sc002")
    assert user.locked_until == clock.now() + timedelta(minutes=15)
    assert user.failed_logins == 0
    unknown = _error(_attempt(client, "nobody-here", "wrong-pass-1"))
    # the right password while locked: refused with the very answer an unknown 工号 gets
    locked = _attempt(client, "sc002", RIGHT)
    assert locked.status_code == 401 and _error(locked) == unknown
    assert _user(database, "sc002").locked_until == user.locked_until  # attempts while locked do not extend it
    clock.travel(clock.now() + timedelta(minutes=14))
    assert _attempt(client, "sc002", RIGHT).status_code == 401
    clock.travel(clock.now() + timedelta(minutes=2))
    assert _attempt(client, "sc002", RIGHT).status_code == 302
    assert _user(database, "sc002").locked_until is None


# ------------------------------------------------------------------ rate limit per address

def _redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database, settings):
    config = {"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True}
    if request.param == "redis":
        if not _redis_available():
            pytest.skip("Redis 未在 127.0.0.1:6379 运行")
        # db 15 and a prefix of our own: runs and tests never share a counter
        config |= {"redis_url": "redis://127.0.0.1:6379/15", "RATELIMIT_KEY_PREFIX": f"sunhall-test-{uuid.uuid4().hex}"}
    app = create_app(config)
    assert app.config["RATELIMIT_STORAGE_URI"].startswith(request.param)
    yield app
    app.extensions["sunhall_db"].dispose()


def test_twenty_wrong_passwords_from_one_address_are_rate_limited_and_the_account_recovers(
        limited_app, database, frozen_clock):
    attacker = _client(limited_app, "10.9.9.9")
    codes = [_attempt(attacker, "sc003", f"guess-{i}").status_code for i in range(20)]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429] * 10
    refused = _attempt(attacker, "sc003", RIGHT)
    assert refused.status_code == 429 and "登录失败次数过多" in refused.get_data(as_text=True)
    assert "Too Many Requests" not in refused.get_data(as_text=True)
    # five of the ten counted attempts locked the account; the next five did not extend the lock
    locked_until = _user(database, "sc003").locked_until
    assert locked_until == clock.now() + timedelta(minutes=15)
    colleague = _client(limited_app, "10.0.0.2")
    assert _attempt(colleague, "sc003", RIGHT).status_code == 401  # still locked, from any address
    clock.travel(locked_until + timedelta(seconds=1))
    assert _attempt(colleague, "sc003", RIGHT).status_code == 302


def test_successful_logins_are_not_rate_limited(limited_app):
    """A whole office behind one address logs in at nine: only failures count."""
    office = _client(limited_app, "10.7.7.7")
    for _ in range(11):  # one more than the limit
        assert _attempt(office, "sc001", RIGHT).status_code == 302
        office.post("/logout", data={"csrf_token": _csrf(office.get("/workbench").get_data(as_text=True))})


# ------------------------------------------------------------------ the administrator unlocks

def test_administrator_unlocks_on_the_accounts_page(app, database, frozen_clock):
    for _ in range(5):
        _attempt(_client(app, "10.0.0.3"), "sc002", "wrong-pass-1")
    admin = _client(app, "10.0.0.4")
    login(admin, "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    row = page.split('id="user-sc002"', 1)[1].split("</tr>", 1)[0]
    assert "已锁定" in row and "解锁" in row
    token = _csrf(page)
    assert admin.post("/admin/users/unlock", data={"staff_no": "sc002"}).status_code == 400  # no CSRF token
    assert _user(database, "sc002").locked_until is not None
    response = admin.post("/admin/users/unlock", data={"staff_no": "sc002", "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200 and "已解锁 赵敏（sc002）" in response.get_data(as_text=True)
    assert _user(database, "sc002").locked_until is None
    assert _attempt(_client(app, "10.0.0.3"), "sc002", RIGHT).status_code == 302
    missing = admin.post("/admin/users/unlock", data={"staff_no": "nobody", "csrf_token": token})
    assert missing.status_code == 404 and "没有工号为“nobody”的工作人员" in missing.get_data(as_text=True)


def test_only_an_administrator_may_unlock(app, database, run, frozen_clock):
    for _ in range(5):
        _attempt(_client(app), "sc002", "wrong-pass-1")
    clerk = _client(app, "10.0.0.5")
    login(clerk, "sc001")
    assert clerk.get("/admin/users").status_code == 403
    token = _csrf(clerk.get("/workbench").get_data(as_text=True))
    assert clerk.post("/admin/users/unlock", data={"staff_no": "sc002", "csrf_token": token}).status_code == 403
    assert _user(database, "sc002").locked_until is not None
    # the service checks too, whoever calls it
    with database.transaction() as s:
        clerk_user = s.scalars(select(User).where(User.staff_no == "sc001")).one()
        with pytest.raises(PermissionDenied):
            passwords.unlock(s, clerk_user, "sc002")
    assert _user(database, "sc002").locked_until is not None


# ------------------------------------------------------------------ sessions end

def _copy_session(source, app, address="10.0.0.1"):
    thief = _client(app, address)
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def _logged_in(client) -> bool:
    return client.get("/workbench").status_code == 200


def test_logout_ends_every_copy_of_the_session(app, database):
    client = _client(app)
    login(client, "sc001")
    copy = _copy_session(client, app)
    assert _logged_in(copy)
    token = _csrf(client.get("/workbench").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _logged_in(client)
    response = copy.get("/workbench")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_unlock_and_deactivation_end_sessions(app, database):
    def session_of(staff_no):
        client = _client(app)
        assert login(client, staff_no).status_code == 302
        return client

    changed, unlocked, deactivated = session_of("sc002"), session_of("sc003"), session_of("sc004")
    with database.transaction() as s:
        admin = s.scalars(select(User).where(User.staff_no == "admin")).one()
        user = s.scalars(select(User).where(User.staff_no == "sc002")).one()
        with pytest.raises(InvalidInput, match="当前密码不正确"):
            passwords.change_password(s, user, "not-it-1", "Neues-Pass-9")
        passwords.change_password(s, user, RIGHT, "Neues-Pass-9")
        passwords.unlock(s, admin, "sc003")
        passwords.deactivate(s, admin, "sc004")
    assert not _logged_in(changed) and not _logged_in(unlocked) and not _logged_in(deactivated)
    assert login(_client(app), "sc002", "Neues-Pass-9").status_code == 302
    assert login(_client(app), "sc004").status_code == 401


# ------------------------------------------------------------------ hostile input at the login form

@pytest.mark.parametrize("staff_no, message", [
    ("sc\x00001", "控制字符"), ("x" * 41, "不能超过 40 个字符"), ("", "请填写工号"),
])
def test_bad_staff_numbers_are_refused_with_a_precise_message(app, database, staff_no, message):
    before = _system_events(database)
    response = _attempt(_client(app), staff_no, "whatever1")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _system_events(database) == before


def test_next_never_leaves_the_site(app):
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        client = _client(app)
        token = _csrf(client.get("/login").get_data(as_text=True))
        response = client.post(f"/login?next={target}", data={"staff_no": "sc001", "password": RIGHT, "csrf_token": token})
        assert response.headers["Location"] == "/workbench", target


def _system_events(database) -> int:
    with database.transaction(write=False) as s:
        return len(s.scalars(select(SystemEvent.id)).all())


# ------------------------------------------------------------------ headers, cookies, body size

@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/healthz", "/static/sunhall.css"])
def test_every_response_carries_the_security_headers(client, path):
    with client.get(path) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]


def test_secure_cookies_when_asked(database, settings):
    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir,
                      "secure_cookies": True})
    try:
        client = app.test_client()
        response = login(client, "sc001")
        assert response.status_code == 302
        assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    finally:
        app.extensions["sunhall_db"].dispose()


def test_a_body_over_the_limit_gets_a_chinese_page_and_changes_nothing(database, settings):
    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir,
                      "max_request_bytes": 4096})
    try:
        client = _client(app)
        token = _csrf(client.get("/login").get_data(as_text=True))
        before = _system_events(database)
        response = client.post("/login", data={"staff_no": "sc001", "password": "x" * 5000, "csrf_token": token})
        html = response.get_data(as_text=True)
        assert response.status_code == 413 and "提交的内容太大：每次提交不能超过 4 KB" in html
        assert "Request Entity Too Large" not in html
        assert response.headers["X-Frame-Options"] == "DENY"
        assert _system_events(database) == before
    finally:
        app.extensions["sunhall_db"].dispose()


# ------------------------------------------------------------------ the administrator's log page

def test_the_system_log_page_lists_logins_in_chinese(app, database):
    _attempt(_client(app, "10.0.0.8"), "nobody-here", "whatever1")
    admin = _client(app)
    login(admin, "admin")
    html = admin.get("/admin/log").get_data(as_text=True)
    assert "登录失败" in html and "工号不存在" in html and "来源地址：10.0.0.8" in html
    assert "auth.login_failed" not in html
    assert admin.get("/admin/log?before=abc").status_code == 422
    clerk = _client(app)
    login(clerk, "sc001")
    assert clerk.get("/admin/log").status_code == 403
