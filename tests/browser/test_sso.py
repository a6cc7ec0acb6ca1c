"""统一身份认证 in a browser: a clerk clicks 统一身份认证登录, types her login at the OpenID provider
started by this test (node oidc-provider), lands on her workbench as herself; 退出 ends both her
Sunhall session and the provider's, so the next login asks the provider's login page again."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update
from werkzeug.serving import make_server

from engine.models import User
from webapp import create_app

from ..oidc.fixture import PASSWORD, STAFF_CLIENT, running_provider
from .conftest import _buffered


class _Later:
    """The WSGI app, known only once the provider's address is (the server's port is needed first)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def sso_server(database, settings):
    later = _Later()
    server = make_server("127.0.0.1", 0, later, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    with running_provider(staff=(f"{base}/sso/callback", f"{base}/sso/logged-out")) as issuer:
        app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir,
                          "oidc_issuer": issuer, **STAFF_CLIENT})
        later.app = _buffered(app)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield base, issuer
        server.shutdown()
        app.extensions["sunhall_db"].dispose()


@pytest.fixture(autouse=True)
def _unbound(database):
    yield
    with database.transaction() as s:
        s.execute(update(User).values(oidc_subject=None))


def test_a_clerk_logs_in_through_the_provider_and_logout_ends_both(browser, sso_server):
    base, issuer = sso_server
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        page.get_by_role("link", name="统一身份认证登录").click()
        page.wait_for_url(f"{issuer}/interaction/**")
        page.fill("input[name=login]", "lina")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/workbench")
        assert page.locator("header .who span").inner_text() == "李娜（sc001）"

        page.get_by_role("button", name="退出").click()
        page.wait_for_url(f"{issuer}/session/end**")  # the provider asks whether to end its session too
        page.get_by_role("button", name="确认退出").click()
        page.wait_for_url(f"{base}/login")
        assert "已退出登录" in page.content()
        page.goto(f"{base}/workbench")
        page.wait_for_url(f"{base}/login**")  # Sunhall's session is over

        page.get_by_role("link", name="统一身份认证登录").click()
        page.wait_for_url(f"{issuer}/interaction/**")  # and the provider's: it asks for the login again
        assert page.locator("input[name=login]").is_visible()
    finally:
        context.close()
