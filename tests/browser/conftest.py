"""A live server on the test database and Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from webapp import create_app

CHROMIUM = os.environ.get("SUNHALL_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _buffered(app):
    """Werkzeug's test server leaves a streamed file open when the browser drops the connection (a
    navigation cancels a script's load); whole responses close every file at once."""
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


@pytest.fixture(scope="session")
def live_server(database, settings):
    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir})
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["sunhall_db"].dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (bash .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN", base_url=live_server)
    pg = context.new_page()
    pg.external_requests = []
    pg.on("request", lambda r: pg.external_requests.append(r.url)
          if not r.url.startswith(live_server) and not r.url.startswith("data:") else None)
    yield pg
    context.close()


def login(page, staff_no: str, password: str = "Sunhall@2026") -> None:
    page.goto("about:blank")  # no response of the previous page may set its session cookie again
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=staff_no]", staff_no)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/workbench")


def shot(page, name: str) -> None:
    """Screenshots for docs/screenshots/, refreshed with SUNHALL_SCREENSHOTS=1 (tests do not write into
    the repository otherwise)."""
    if os.environ.get("SUNHALL_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    else:
        page.screenshot()  # still rendered, so a page that cannot be drawn fails the test
