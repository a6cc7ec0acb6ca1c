"""The whole public column over the demo with its history (online applications at every stage
included): no page shows a certificate number, a phone number or a natural person's full name
(个人信息保护法 art. 28; 政府信息公开条例 art. 15). The crawler follows every link from ``/`` and
also asks 结果反馈 about every case, as anyone who knows a 办件编号 and a certificate number can."""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from engine.models import Case, User
from webapp.demo.history import load_history

from .webhelpers import _csrf

ID_NUMBER = re.compile(r"(?<![\dA-Z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MAX_PAGES = 600


@pytest.fixture
def history(database):
    return load_history(database, count=60, seed=11)


def _visible(html: str) -> str:
    """What a reader (or a screen reader, or a search engine) gets: text and attribute values."""
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    attributes = " ".join(re.findall(r'(?:value|title|alt|aria-label|content|href)="([^"]*)"', text))
    return unescape(re.sub(r"<[^>]+>", " ", text) + " " + attributes)


def _links(html: str, base: str) -> list[str]:
    out = []
    for href in re.findall(r'href="([^"]+)"', html):
        url = urljoin(base, unescape(href))
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(("/static/", "/elder")):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def test_no_public_page_shows_personal_data(hostile_app, database, history):
    assert history > 20
    with database.transaction(write=False) as s:
        cases = list(s.scalars(select(Case)))
        people = {c.applicant_name for c in cases if c.applicant_type == "1"} | \
            {c.contact_name for c in cases if c.contact_name} | {c.agent_name for c in cases if c.agent_name}
        people |= {u.name for u in s.scalars(select(User))}  # staff are not named on the column either
        people |= {c.data["legal_rep"] for c in cases if (c.data or {}).get("legal_rep")}  # 网上申请's form
        secrets_ = {c.cert_number for c in cases if c.applicant_type == "1"} | \
            {c.contact_phone for c in cases if c.contact_phone} | \
            {c.data["legal_rep_id"] for c in cases if (c.data or {}).get("legal_rep_id")}
        lookups = [(c.number, c.cert_number) for c in cases] + \
            [(c.application_number, c.cert_number) for c in cases if c.application_number]
    assert any(c.channel == "web" for c in cases) and len(people) > 10
    client = hostile_app.test_client()  # no rate limit: the crawler asks about every case
    seen, queue, pages = set(), deque(["/"]), {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        assert response.status_code < 500, path
        if body:
            pages[path] = body
            queue.extend(link for link in _links(body, path) if link not in seen)
    assert len(pages) > 40 and any(p.startswith("/results") for p in pages) and "/hall" in pages
    form = client.get("/progress").get_data(as_text=True)
    for number, cert in lookups:
        answer = client.post("/progress", data={"csrf_token": _csrf(form), "number": number, "cert_number": cert})
        assert answer.status_code == 200, number
        pages[f"结果反馈 {number}"] = answer.get_data(as_text=True)
    leaks = []
    for where, html in pages.items():
        text = _visible(html)
        leaks += [f"{where}: 证件号码 {m}" for m in ID_NUMBER.findall(text)]
        leaks += [f"{where}: 电话 {m}" for m in MOBILE.findall(text)]
        leaks += [f"{where}: {secret}" for secret in secrets_ if secret in text]
        leaks += [f"{where}: 姓名 {name}" for name in people if len(name) >= 2 and name in text]
    assert leaks == [], "\n".join(sorted(set(leaks))[:40])
