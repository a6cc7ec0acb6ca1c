"""The real OpenID provider of the single sign-on tests: node's ``oidc-provider`` (tests/oidc/provider.mjs),
installed from the npm registry with ``npm ci`` when node_modules is missing, started on a free port
and stopped afterwards; and a small HTTP client that logs in on its pages the way a browser would."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

HERE = Path(__file__).resolve().parent
PASSWORD = "Oidc@2026"  # every test account's password at the provider (provider.mjs)
STAFF_CLIENT = {"oidc_client_id": "sunhall-staff", "oidc_client_secret": "staff-secret"}
CITIZEN_CLIENT = {"citizen_oidc_client_id": "sunhall-citizen", "citizen_oidc_client_secret": "citizen-secret"}


def _installed() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the OpenID provider of the SSO tests (apt-get install nodejs npm)")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"], check=True,
                       stdout=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_provider(*, staff: tuple[str, str] | None = None, citizen: tuple[str, str] | None = None):
    """Starts the provider; ``staff`` / ``citizen`` are each client's (redirect URI, post-logout URI).
    Yields the issuer."""
    _installed()
    port = _free_port()
    env = dict(os.environ)
    for name, uris in (("STAFF", staff), ("CITIZEN", citizen)):
        if uris:
            env[f"OIDC_{name}_REDIRECT_URIS"], env[f"OIDC_{name}_LOGOUT_URIS"] = uris
    issuer = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(["node", str(HERE / "provider.mjs"), str(port)], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"the OpenID provider did not start:\n{log.read().decode(errors='replace')}")
                time.sleep(0.1)
            yield issuer
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _form(html: str) -> tuple[str, dict]:
    """The first form of a page: its action and its hidden fields."""
    action = unescape(re.search(r'<form[^>]*action="([^"]*)"', html).group(1))
    hidden = {unescape(n): unescape(v) for n, v in
              re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    return action, hidden


class ProviderBrowser:
    """A person's browser at the provider: follows its redirects until they leave for Sunhall."""

    def __init__(self, sunhall_prefix: str = "http://localhost/"):
        self.http = requests.Session()
        self.prefix = sunhall_prefix
        self.last_page = ""

    def follow(self, url: str, method: str = "GET", data: dict | None = None) -> str:
        """Follows redirects at the provider; returns the URL it sends back to Sunhall, or "" when it
        stops on a page of its own (``last_page``)."""
        for _ in range(10):
            response = self.http.request(method, url, data=data, allow_redirects=False, timeout=10)
            method, data = "GET", None
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                if url.startswith(self.prefix):
                    return url
                continue
            self.last_page, self.last_url = response.text, url
            return ""
        raise AssertionError("too many redirects at the provider")

    def login(self, auth_url: str, login: str, password: str = PASSWORD) -> str:
        """Opens the provider's authorization URL, types the login; returns the callback URL."""
        back = self.follow(auth_url)
        if back:
            return back  # still logged in at the provider: no login page
        assert 'name="login"' in self.last_page, self.last_page[:500]
        action, _ = _form(self.last_page)
        return self.follow(urljoin(self.last_url, action), "POST", {"login": login, "password": password})

    def confirm_logout(self, end_session_url: str) -> str:
        """The provider's logout page: 确认退出. Returns where it sends the person back to."""
        back = self.follow(end_session_url)
        if back:
            return back
        action, hidden = _form(self.last_page)
        return self.follow(urljoin(self.last_url, action), "POST", hidden | {"logout": "yes"})
