"""统一身份认证 (seed 002 §7.1.2 标准身份认证接口, §7.1.5 单点登录) against a real OpenID provider:
node's oidc-provider, started by these tests, whose login page is filled in over HTTP the way a
browser fills it. The authorization code flow with PKCE, the binding of the provider's subject to a
工号, the refusals, a forged state, password login turned off, and a logout that ends the
provider's session too (RP-initiated logout with id_token_hint)."""

from __future__ import annotations

import re
import socket
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from engine.models import SystemEvent, User
from engine.service import start_case
from webapp import create_app

from .conftest import As
from .oidc.fixture import CITIZEN_CLIENT, STAFF_CLIENT, ProviderBrowser, running_provider
from .webhelpers import _csrf, login

SUNHALL = "http://localhost"
LINA_SUB = "op-7f3a91-lina"
CITIZEN_CERT = "110101199003071233"


@pytest.fixture(scope="module")
def issuer():
    with running_provider(staff=(f"{SUNHALL}/sso/callback", f"{SUNHALL}/sso/logged-out"),
                          citizen=(f"{SUNHALL}/my/callback", f"{SUNHALL}/")) as url:
        yield url


@pytest.fixture(autouse=True)
def _accounts_back(database):
    """No account bound to the provider, every account active, after each test."""
    yield
    with database.transaction() as s:
        s.execute(update(User).values(oidc_subject=None, active=True, must_change_password=False, failed_logins=0,
                                      locked_until=None))


def _app(database, settings, **overrides):
    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True,
                      **overrides})
    return app


@pytest.fixture
def sso_app(database, settings, issuer):
    app = _app(database, settings, oidc_issuer=issuer, **STAFF_CLIENT)
    yield app
    app.extensions["sunhall_db"].dispose()


def _user(database, staff_no) -> User:
    with database.transaction(write=False) as s:
        return s.scalars(select(User).where(User.staff_no == staff_no)).one()


def _last_event(database, action) -> SystemEvent:
    with database.transaction(write=False) as s:
        return s.scalars(select(SystemEvent).where(SystemEvent.action == action).order_by(SystemEvent.seq.desc())).first()


def _sso_login(client, browser: ProviderBrowser, login_name: str):
    """统一身份认证登录 from Sunhall's page to the provider's and back; Sunhall's answer to the callback."""
    start = client.get("/sso/login")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = browser.login(start.headers["Location"], login_name)
    assert back.startswith(f"{SUNHALL}/sso/callback?"), browser.last_page[:500]
    return client.get(back.removeprefix(SUNHALL))


def test_the_login_page_offers_single_sign_on_and_a_clerk_lands_on_her_workbench(sso_app, database):
    client = sso_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "统一身份认证登录" in page and 'name="staff_no"' in page  # both ways while password login is on

    start = client.get("/sso/login")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    assert "openid" in query["scope"][0].split()

    browser = ProviderBrowser()
    back = browser.login(start.headers["Location"], "lina")
    answer = client.get(back.removeprefix(SUNHALL))
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/workbench")
    workbench = client.get("/workbench")
    assert workbench.status_code == 200 and "李娜（sc001）" in workbench.get_data(as_text=True)

    assert _user(database, "sc001").oidc_subject == LINA_SUB  # bound by the 工号 in preferred_username
    event = _last_event(database, "auth.sso_login")
    assert event.target == "sc001" and event.detail["bound"] is True and event.detail["subject"] == LINA_SUB


def test_a_bound_subject_logs_in_as_its_account_and_the_callback_cannot_be_replayed(sso_app, database):
    browser = ProviderBrowser()
    first = sso_app.test_client()
    assert _sso_login(first, browser, "lina").status_code == 302
    # later, in another Sunhall session: the provider still knows the person, no login page
    second = sso_app.test_client()
    start = second.get("/sso/login")
    back = browser.follow(start.headers["Location"])
    assert back.startswith(f"{SUNHALL}/sso/callback?")
    assert second.get(back.removeprefix(SUNHALL)).status_code == 302
    assert "李娜（sc001）" in second.get("/workbench").get_data(as_text=True)
    assert _last_event(database, "auth.sso_login").detail["bound"] is False

    # the same callback again (its state was used up): refused, nobody logged in
    third = sso_app.test_client()
    replay = third.get(back.removeprefix(SUNHALL))
    assert replay.status_code == 403 and "state 不符" in replay.get_data(as_text=True)
    assert third.get("/workbench").status_code == 302


def test_a_callback_from_another_session_is_refused_for_its_state(sso_app, database):
    """Login CSRF: a callback the person's own browser did not start (another session's state)."""
    attacker, victim = sso_app.test_client(), sso_app.test_client()
    start = attacker.get("/sso/login")
    back = ProviderBrowser().login(start.headers["Location"], "lina")
    victim.get("/login")
    answer = victim.get(back.removeprefix(SUNHALL))
    assert answer.status_code == 403
    assert "登录请求已失效或不是从本系统发起的" in answer.get_data(as_text=True)
    assert victim.get("/workbench").status_code == 302
    assert _user(database, "sc001").oidc_subject is None

    # and a state changed on the way back, in the right session
    tampered = back.replace("state=", "state=x")
    assert attacker.get(tampered.removeprefix(SUNHALL)).status_code == 403
    assert attacker.get("/workbench").status_code == 302


def test_an_unknown_person_is_refused_with_a_chinese_page_and_logged(sso_app, database):
    client = sso_app.test_client()
    answer = _sso_login(client, ProviderBrowser(), "stranger")
    assert answer.status_code == 403
    assert "没有对应的工作人员账号" in answer.get_data(as_text=True)
    assert client.get("/workbench").status_code == 302
    event = _last_event(database, "auth.sso_refused")
    assert event.target == "op-9e9e9e-stranger" and "nobody99" in event.detail["reason"]


def test_a_disabled_account_is_refused_whether_bound_or_not(sso_app, database):
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc002").values(active=False))
    answer = _sso_login(sso_app.test_client(), ProviderBrowser(), "zhaomin")
    assert answer.status_code == 403 and "已停用" in answer.get_data(as_text=True)
    assert _user(database, "sc002").oidc_subject is None  # a disabled account is not bound either
    assert _last_event(database, "auth.sso_refused").detail["reason"] == "账号已停用"

    # bound while active, disabled afterwards: the binding lets nobody in
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc002").values(active=True))
    assert _sso_login(sso_app.test_client(), ProviderBrowser(), "zhaomin").status_code == 302
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc002").values(active=False))
    client = sso_app.test_client()
    assert _sso_login(client, ProviderBrowser(), "zhaomin").status_code == 403
    assert client.get("/workbench").status_code == 302


def test_a_staff_number_bound_to_another_subject_is_not_taken_over(sso_app, database):
    assert _sso_login(sso_app.test_client(), ProviderBrowser(), "lina").status_code == 302
    # another provider account that claims the same 工号
    client = sso_app.test_client()
    answer = _sso_login(client, ProviderBrowser(), "imposter")
    assert answer.status_code == 403 and "已绑定另一个统一身份认证账号" in answer.get_data(as_text=True)
    assert client.get("/workbench").status_code == 302
    assert _user(database, "sc001").oidc_subject == LINA_SUB
    assert _last_event(database, "auth.sso_refused").target == "op-0bad00-imposter"


def test_cancelling_at_the_provider_is_refused_in_chinese(sso_app):
    client = sso_app.test_client()
    start = client.get("/sso/login")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    answer = client.get(f"/sso/callback?error=access_denied&error_description=End-User+aborted&state={state}")
    assert answer.status_code == 403 and "取消了登录" in answer.get_data(as_text=True)


def test_password_login_can_be_turned_off_while_single_sign_on_works(database, settings, issuer):
    app = _app(database, settings, oidc_issuer=issuer, password_login=False, **STAFF_CLIENT)
    try:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        assert "统一身份认证登录" in page and 'name="staff_no"' not in page and 'name="password"' not in page
        token = _csrf(client.get("/progress").get_data(as_text=True))  # the session's token, from any form
        refused = client.post("/login", data={"staff_no": "sc001", "password": "Sunhall@2026", "csrf_token": token})
        assert refused.status_code == 403 and "已关闭密码登录" in refused.get_data(as_text=True)
        assert client.get("/workbench").status_code == 302
        assert _sso_login(client, ProviderBrowser(), "lina").status_code == 302
        assert "李娜（sc001）" in client.get("/workbench").get_data(as_text=True)
    finally:
        app.extensions["sunhall_db"].dispose()


def test_logout_ends_sunhall_and_the_provider_session(sso_app, database):
    browser, client = ProviderBrowser(), sso_app.test_client()
    assert _sso_login(client, browser, "lina").status_code == 302
    page = client.get("/workbench").get_data(as_text=True)
    epoch = _user(database, "sc001").session_epoch
    copied = client.get_cookie("session").value

    answer = client.post("/logout", data={"csrf_token": _csrf(page)})
    assert answer.status_code == 200 and "已退出本系统" in answer.get_data(as_text=True)
    end_url = unescape(re.search(r'id="provider-logout" href="([^"]+)"', answer.get_data(as_text=True)).group(1))
    end = urlsplit(end_url)
    query = parse_qs(end.query)
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{sso_app.extensions['sunhall_settings'].oidc_issuer}/session/end"
    assert query["post_logout_redirect_uri"] == [f"{SUNHALL}/sso/logged-out"]
    hint = query["id_token_hint"][0]
    assert hint.count(".") == 2  # the ID token Sunhall was given at login
    assert _user(database, "sc001").session_epoch == epoch + 1
    assert _last_event(database, "auth.logout").target == "sc001"

    # a copy of the old cookie opens nothing (the epoch moved on)
    thief = sso_app.test_client()
    thief.set_cookie("session", copied, domain="localhost")
    assert thief.get("/workbench").status_code == 302

    back = browser.confirm_logout(end_url)
    assert back.startswith(f"{SUNHALL}/sso/logged-out")
    assert "已退出登录" in client.get(back.removeprefix(SUNHALL), follow_redirects=True).get_data(as_text=True)

    # logging in again needs the provider's login page again
    start = client.get("/sso/login")
    assert browser.follow(start.headers["Location"]) == ""
    assert 'name="login"' in browser.last_page


def test_a_password_login_logs_out_without_the_provider(sso_app):
    client = sso_app.test_client()
    login(client, "sc003")
    answer = client.post("/logout", data={"csrf_token": _csrf(client.get("/workbench").get_data(as_text=True))})
    assert answer.headers["Location"].endswith("/login")


def test_no_network_when_the_app_is_built_and_a_chinese_message_when_the_provider_is_down(database, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket is closed
    began = time.monotonic()
    app = _app(database, settings, oidc_issuer=f"http://127.0.0.1:{closed}", **STAFF_CLIENT)
    try:
        client = app.test_client()
        assert "统一身份认证登录" in client.get("/login").get_data(as_text=True)
        assert time.monotonic() - began < 5
        answer = client.get("/sso/login")
        assert answer.status_code == 503
        assert "统一身份认证服务暂不可用" in answer.get_data(as_text=True)
        login(client, "sc003")  # password login still works
        assert client.get("/workbench").status_code == 200
    finally:
        app.extensions["sunhall_db"].dispose()


def test_without_configuration_there_is_no_single_sign_on(client):
    assert "统一身份认证" not in client.get("/login").get_data(as_text=True)
    assert client.get("/sso/login").headers["Location"].endswith("/login")
    assert client.get("/my/cases").status_code == 404
    assert "/my/login" not in client.get("/").get_data(as_text=True)


# ------------------------------------------------------------------ citizens on the public column

@pytest.fixture
def citizen_app(database, settings, issuer):
    app = _app(database, settings, citizen_oidc_issuer=issuer, **CITIZEN_CLIENT)
    yield app
    app.extensions["sunhall_db"].dispose()


def test_a_citizen_logs_in_and_sees_only_their_own_cases_masked(citizen_app, run, person, company):
    from dataclasses import replace

    mine = run(start_case, "015309300002", replace(person, cert_number=CITIZEN_CERT), As("sc001"))
    other = run(start_case, "015309300002", person, As("sc001"))
    client = citizen_app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/my/login"' in home

    assert 'href="/my/login/start"' in client.get("/my/login").get_data(as_text=True)
    start = client.get("/my/login/start")
    assert start.status_code == 302
    back = ProviderBrowser().login(start.headers["Location"], "zhangsan")
    assert back.startswith(f"{SUNHALL}/my/callback?")
    assert client.get(back.removeprefix(SUNHALL)).headers["Location"].endswith("/my/cases")

    page = client.get("/my/cases").get_data(as_text=True)
    assert mine.number in page and other.number not in page
    assert CITIZEN_CERT not in page and "110101********1233" in page  # masked as every public page
    assert "张*" in page and "张三" not in page
    assert "退出" in page and "我的办件" in page

    detail = client.get(f"/my/cases/{mine.number}")
    assert detail.status_code == 200 and "查询结果" in detail.get_data(as_text=True)
    assert client.get(f"/my/cases/{other.number}").status_code == 404  # someone else's case

    out = client.post("/my/logout", data={"csrf_token": _csrf(page)})
    assert out.status_code == 302
    assert client.get("/my/cases").headers["Location"].endswith("/my/login")


def test_the_public_column_is_unchanged_when_citizen_login_is_off(client):
    home = client.get("/")
    assert home.status_code == 200 and "我的办件" not in home.get_data(as_text=True)


def test_only_the_configured_claim_binds_an_account(database, settings, issuer):
    """With the 工号 expected in another claim, the provider's preferred_username binds nobody."""
    app = _app(database, settings, oidc_issuer=issuer, SUNHALL_OIDC_STAFF_CLAIM="employee_number", **STAFF_CLIENT)
    try:
        client = app.test_client()
        assert _sso_login(client, ProviderBrowser(), "lina").status_code == 403
        assert _user(database, "sc001").oidc_subject is None
        assert "employee_number" in _last_event(database, "auth.sso_refused").detail["reason"]
    finally:
        app.extensions["sunhall_db"].dispose()


def test_clicking_login_again_keeps_one_attempt(sso_app):
    client = sso_app.test_client()
    first = client.get("/sso/login").headers["Location"]
    for _ in range(20):
        client.get("/sso/login")
    latest = client.get("/sso/login").headers["Location"]
    with client.session_transaction() as cookie:
        assert len([k for k in cookie if k.startswith("_state_staff_")]) == 1
    browser = ProviderBrowser()
    stale = browser.login(first, "lina")
    assert client.get(stale.removeprefix(SUNHALL)).status_code == 403  # the abandoned attempt
    assert client.get(browser.follow(latest).removeprefix(SUNHALL)).status_code == 302
