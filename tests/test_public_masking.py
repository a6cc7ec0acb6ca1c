"""The whole public column over the demo with its history (online applications at every stage
included, and a year of 在线咨询 with complaints): no page shows a certificate number, a phone number,
an e-mail address or a natural person's full name (个人信息保护法 art. 28; 政府信息公开条例 art. 15).
The crawler follows every link from ``/`` and also asks 结果反馈 about every case, as anyone who
knows a 办件编号 and a certificate number can, and opens questions and complaints with their 查询码."""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from engine.models import Case, Department, FaqCategory, InfoGuide, Question, User
from engine.qa import service as qa
from rules import complaints
from rules.models import Complaint
from webapp.demo.history import load_history

from .conftest import As
from .webhelpers import _csrf

EMAIL = re.compile(r"[\w.+-]+@(?!example\.)[\w-]+\.[\w.-]+")  # example.com: a form's hint (RFC 2606)
ID_NUMBER = re.compile(r"(?<![\dA-Z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MAX_PAGES = 600


@pytest.fixture
def history(database):
    return load_history(database, count=60, seed=11)


def _opened_with_codes(run, database) -> tuple[list, list]:
    """Questions and complaints of this test, with their 查询码: (number, code) pairs."""
    with database.transaction(write=False) as s:
        scjgj = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
        category = s.scalars(select(FaqCategory.id).order_by(FaqCategory.id)).first()
    questions, filed = [], []

    def step(fn, who, number, **kw):
        run(lambda s, actor: fn(s, s.scalars(select(Question).where(Question.number == number)).one(), actor, **kw),
            As(who))

    for consent, department in ((False, scjgj), (True, None)):
        question, code = run(qa.ask, qa.Asking("我的营业执照办到哪一步了", "请帮忙查一下进度。", "司马相如", "13612345678",
                                               "sima@example.com", consent, department))
        questions.append((question.number, code))
        if department is None:  # the 政府办 forwards it to 市场监管
            step(qa.dispatch, "zf002", question.number, department_id=scjgj, reason="营业执照登记属市场监管职责")
            step(qa.review, "zf003", question.number, approved=True)
        step(qa.answer, "sc003", question.number, text="您好，您的申请已受理，请留意短信通知。", public=consent,
             category_id=category)
        step(qa.review, "sc005", question.number, approved=True)  # answered: now it may be complained about (art. 8)
        complaint, complaint_code = run(complaints.file_online, complaints.Filing(
            "司马相如", "13612345678", "答复太慢。", question_number=question.number, question_code=code))
        filed.append((complaint.number, complaint_code))
    return questions, filed


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


def test_no_public_page_shows_personal_data(hostile_app, database, history, run):
    assert history > 20
    questions, filed = _opened_with_codes(run, database)
    with database.transaction(write=False) as s:
        cases = list(s.scalars(select(Case)))
        people = {c.applicant_name for c in cases if c.applicant_type == "1"} | \
            {c.contact_name for c in cases if c.contact_name} | {c.agent_name for c in cases if c.agent_name}
        people |= {u.name for u in s.scalars(select(User))}  # staff are not named on the column either
        people |= {c.data["legal_rep"] for c in cases if (c.data or {}).get("legal_rep")}  # 网上申请's form
        secrets_ = {c.cert_number for c in cases if c.applicant_type == "1"} | \
            {c.contact_phone for c in cases if c.contact_phone} | \
            {c.data["legal_rep_id"] for c in cases if (c.data or {}).get("legal_rep_id")}
        asked = list(s.scalars(select(Question)))
        people |= {q.asker_name for q in asked} | {c.complainant for c in s.scalars(select(Complaint))}
        secrets_ |= {q.asker_phone for q in asked if q.asker_phone} | {q.asker_email for q in asked if q.asker_email}
        secrets_ |= {c.contact for c in s.scalars(select(Complaint))}
        secrets_.discard("")  # a question's case has no certificate number
        questions_run_as = {q.case_id for q in asked}  # a question runs as a case of the internal 在线解答 flow
        # internal flows (在线解答, 主动公开: NB numbers) are no one's application; a 政府信息公开申请 opens by its
        # 办件编号 here and by its GK 申请编号 with the 查询码 in the 政府信息公开 column (tests/test_portal_disclosure.py)
        lookups = [(c.number, c.cert_number) for c in cases
                   if c.id not in questions_run_as and not c.number.startswith("NB")] + \
            [(c.application_number, c.cert_number) for c in cases if (c.application_number or "").startswith("WS")]
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
    assert any(p.startswith("/questions/ZX") for p in pages) and any(p.startswith("/faq/") for p in pages)
    assert any(q.public and q.state == "closed" for q in asked) and any(not q.public for q in asked)
    form = client.get("/progress").get_data(as_text=True)
    for number, cert in lookups:
        answer = client.post("/progress", data={"csrf_token": _csrf(form), "number": number, "cert_number": cert})
        assert answer.status_code == 200, number
        pages[f"结果反馈 {number}"] = answer.get_data(as_text=True)
    form = client.get("/questions/lookup").get_data(as_text=True)
    for number, code in questions:  # the asker's own page: the name masked, no contact shown either
        opened = client.post("/questions/lookup", data={"csrf_token": _csrf(form), "number": number, "query_code": code})
        assert opened.status_code == 302, number
        pages[f"我的咨询 {number}"] = client.get(opened.headers["Location"]).get_data(as_text=True)
    form = client.get("/complaints/lookup").get_data(as_text=True)
    for number, code in filed:
        answer = client.post("/complaints/lookup", data={"csrf_token": _csrf(form), "number": number, "query_code": code})
        assert answer.status_code == 200, number
        pages[f"查询投诉 {number}"] = answer.get_data(as_text=True)
    with database.transaction(write=False) as s:  # a body's 指南 publishes its office's mailbox (条例 art. 12)
        offices = {g.email for g in s.scalars(select(InfoGuide)) if g.email}
    leaks = []
    for where, html in pages.items():
        text = _visible(html)
        leaks += [f"{where}: 证件号码 {m}" for m in ID_NUMBER.findall(text)]
        leaks += [f"{where}: 电话 {m}" for m in MOBILE.findall(text)]
        leaks += [f"{where}: 电子邮箱 {m}" for m in EMAIL.findall(text) if m not in offices]
        leaks += [f"{where}: {secret}" for secret in secrets_ if secret in text]
        leaks += [f"{where}: 姓名 {name}" for name in people if len(name) >= 2 and name in text]
    assert leaks == [], "\n".join(sorted(set(leaks))[:40])
