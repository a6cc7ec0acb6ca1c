"""Logging in and reading CSRF tokens with Flask's test client."""

from __future__ import annotations

import re


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, staff_no, password="Sunhall@2026"):
    token = _csrf(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"staff_no": staff_no, "password": password, "csrf_token": token})


def login_without_csrf(client, staff_no, password="Sunhall@2026"):
    """Log in on an app built without CSRF protection (the ``hostile_app`` fixture)."""
    response = client.post("/login", data={"staff_no": staff_no, "password": password})
    assert response.status_code == 302, staff_no
    return response
