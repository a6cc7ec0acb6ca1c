"""Hostile input on every form a person can reach: whatever is typed, the answer is never a 5xx or a
traceback, every refusal speaks Chinese, and a refused command keeps nothing.

The forms are found on the pages themselves (each role's own pages), so a new form is covered
without writing its test; every field gets each hostile value in turn.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select, update

from engine import clock
from engine.disclosure import service as gk
from engine.models import (
    Case,
    CaseEvent,
    CaseTask,
    Department,
    FaqEntry,
    InfoAppeal,
    InfoEntry,
    InfoGuide,
    InfoRequest,
    Item,
    ItemChange,
    Question,
    QuestionTurn,
    User,
)
from engine.qa import service as qa
from engine.service import start_case
from forms.models import CaseDocument, CaseMaterial
from rules.models import Complaint, Rule, RuleVersion

from .conftest import As
from .helpers import do
from .webhelpers import login_without_csrf as login

FOOD = "015309300002"
BIG = str(2**64)
# every field gets the core values and two of the others in turn (the suite stays fast; every value is
# still typed into many fields)
CORE = ["NaN", "1e400", BIG, "１２３", "\x00\x07\x1b[31m", "a" * 100_000, "[{}]"]
OTHERS = ["Infinity", "-Infinity", "-1", "=HYPERLINK(\"http://x\")", "[/bold][red]", "<script>alert(1)</script>", "",
          "  ", "0x10", "1.5", '{"a": [1, {"b": NaN}]}', "2026-02-30", "99999-01-01", "\u202e 反向", "张\u200b三"]


def hostile(n: int) -> list[str]:
    return CORE + [OTHERS[n % len(OTHERS)], OTHERS[(n + 7) % len(OTHERS)]]
# words a library would say instead of us
ENGLISH = re.compile(r"Not a valid|Missing data|Longer than|Shorter than|Must be|must be|Field may not|Unknown field|"
                     r"Invalid|invalid|required|None|Traceback|Error|error:|Exception|out of range|NaN|inf\b")


class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action"), "fields": {}, "hidden": {}, "multipart": "multipart" in (a.get("enctype") or "")}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and a.get("name"):
            name = a["name"]
            if a.get("type") == "hidden":
                self._form["hidden"][name] = a.get("value") or ""
            elif a.get("type") not in ("file", "submit", "button"):
                self._form["fields"][name] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def forms_on(html: str, page: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    for form in parser.forms:
        form["action"] = form["action"] or page  # a form without an action posts to its own page
    return [f for f in parser.forms if not f["action"].endswith("/logout")]


def messages_of(html: str) -> list[str]:
    return [unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(r'class="error[^"]*"[^>]*>(.*?)</', html, flags=re.S)]


def fingerprint(database) -> tuple:
    with database.transaction(write=False) as s:
        counts = tuple(s.scalar(select(func.count()).select_from(m))
                       for m in (Case, CaseEvent, CaseDocument, CaseMaterial, ItemChange, RuleVersion, Complaint,
                                 Question, QuestionTurn, FaqEntry, InfoRequest, InfoEntry, InfoAppeal, InfoGuide))
        cases = tuple(s.execute(select(Case.id, Case.version, Case.state, Case.pause_kind)).all())
        tasks = tuple(s.execute(select(CaseTask.id, CaseTask.state, CaseTask.assignee_id)).all())
        rules = tuple(s.execute(select(Rule.id, Rule.level, Rule.enabled)).all())
        items = tuple(s.execute(select(Item.id, Item.status, Item.current_version_id)).all())
    return counts + (cases, tasks, rules, items)


def _pages(run, database, company):
    received = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False}).id
    accepted = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False}).id
    do(run, database, accepted, As("sc001"), "accept")
    with database.transaction(write=False) as s:
        scjgj = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
    question = run(lambda s: qa.ask(s, qa.Asking(title="开饭店要办什么证", content="需要办哪些证照？", name="王小明",
                                                 phone="13800001111", consent_public=True, department_id=scjgj))[0].id)
    request = run(lambda s: gk.file_request(s, gk.Requesting(
        name="王小明", requester_kind="natural", cert_type="111", cert_number="11010519491231002X", phone="13800001111",
        description="请公开2026年食品安全抽检计划。", delivery="pickup", department_id=scjgj))[0].id)
    gk_pages = [("sc003", f"/workbench/gk/requests/{request}"), ("sc001", "/workbench/gk/requests/new"),
                ("sc003", "/workbench/gk/publications/new"), ("sc006", "/workbench/gk/guide"),
                ("sc006", "/workbench/gk/appeals"), ("sc006", "/workbench/gk/report-text"),
                (None, "/gk/apply"), (None, "/gk/lookup")]
    return gk_pages + [("sc003", f"/workbench/questions/{question}"), ("sc006", f"/workbench/questions/{question}"),
            ("zf001", "/workbench/questions/new"), ("sc003", "/workbench/faq/new"), ("admin", "/workbench/faq/categories"),
            ("jw001", "/supervision/qa/report"),("sc001", f"/cases/{received}"), ("sc003", f"/cases/{accepted}"), ("sc001", f"/intake/{FOOD}"),
            ("xz001", f"/catalogue/{FOOD}/change"), ("xz001", "/catalogue/new"), ("xz001", f"/catalogue/{FOOD}"),
            ("jw001", "/supervision/rules/1"), ("jw001", "/supervision/complaints"), ("jw001", "/supervision/alerts"),
            ("admin", "/admin/calendar"), ("admin", "/admin/calendar/2026"), ("admin", "/admin/users"),
            ("sc003", "/account/password"),
            (None, f"/items/{FOOD}/apply"), (None, "/progress"), (None, "/application"),
            (None, "/questions/ask"), (None, f"/questions/ask?item={FOOD}"), (None, "/questions/lookup"),
            (None, "/complaints/new"), (None, "/complaints/lookup")]


@pytest.fixture
def locked_clerk(database):
    """A locked account, so that the unlock form is on the administrator's page."""
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc002").values(locked_until=clock.now() + timedelta(hours=1)))
    yield
    with database.transaction() as s:
        s.execute(update(User).where(User.staff_no == "sc002").values(locked_until=None, failed_logins=0))


@pytest.fixture
def app(hostile_app):
    return hostile_app


def test_no_hostile_value_breaks_a_form(app, database, run, company, frozen_clock, restore_catalogue, locked_clerk,
                                        restore_faq):
    failures, posted, turn = [], {}, 0
    for staff_no, page in _pages(run, database, company):
        client = app.test_client()
        if staff_no:  # None: an anonymous visitor of the public column
            login(client, staff_no)
        html = client.get(page).get_data(as_text=True)
        for form in forms_on(html, page):
            for name in [*form["fields"], *form["hidden"]]:  # hidden ids and versions are typed too, by a hostile one
                turn += 1
                for value in hostile(turn):
                    data = {**form["fields"], **form["hidden"], name: value}
                    before = fingerprint(database)
                    response = client.post(form["action"], data=data)
                    posted[form["action"]] = posted.get(form["action"], 0) + 1
                    body = response.get_data(as_text=True)
                    where = f"{staff_no} {form['action']} {name}={value[:20]!r}"
                    if response.status_code >= 500 or "Traceback" in body:
                        failures.append(f"{where}: HTTP {response.status_code}")
                        continue
                    if response.status_code >= 400:
                        if fingerprint(database) != before:
                            failures.append(f"{where}: refused ({response.status_code}) but data changed")
                        for message in messages_of(body):
                            said = re.sub(r"“[^”]*”", "", message.replace(value, ""))  # what the user typed, quoted back
                            if ENGLISH.search(said):
                                failures.append(f"{where}: {message.strip()[:120]}")
    assert failures == [], "\n".join(failures[:60])
    # every kind of form was reached: the case's actions, intake, the catalogue, rules, complaints, calendar, accounts
    reached = " ".join(posted)
    for action in ("/complete", "/correction", "/suspend", "/extend", "/intake/", "/catalogue/", "/supervision/rules/",
                   "/supervision/complaints", "/admin/calendar", "/admin/users", "/apply", "/progress", "/application",
                   "/questions/ask", "/questions/lookup", "/complaints/new", "/complaints/lookup",
                   "/workbench/questions/new", "/answer", "/forward", "/complex", "/extend", "/workbench/faq/new",
                   "/workbench/faq/categories", "/workbench/gk/requests/new", "/review",
                   "/gk/apply", "/gk/lookup", "/workbench/gk/publications/new", "/workbench/gk/guide",
                   "/workbench/gk/appeals", "/workbench/gk/report-text", "/account/password"):
        assert action in reached, (action, sorted(posted))
    assert sum(posted.values()) > 500


@pytest.mark.parametrize("path", ["/cases/18446744073709551616", "/cases/9223372036854775808/deadline.json",
                                  "/documents/99999999999999999999.docx", "/supervision/rules/18446744073709551616",
                                  "/cases/-1", "/catalogue/changes/18446744073709551616",
                                  # beyond an Integer key: PostgreSQL would refuse the query itself
                                  "/cases/2147483648", "/cases/460482102698345/deadline.json",
                                  "/workbench/archive/x/files/18446744073709551616"])
def test_ids_the_database_cannot_hold_are_not_found(app, database, path):
    client = app.test_client()
    login(client, "admin")
    response = client.get(path)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/designer/food_business_license/xml", "/flows/food_business_license/1.bpmn"])
def test_a_flow_chart_is_served_as_data_that_cannot_run(app, database, path):
    """A draft may embed an XHTML <script>; opened directly, the XML must not run in our origin."""
    client = app.test_client()
    login(client, "xz001")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_form_address_opened_directly_and_an_overlong_address_answer_in_chinese(app, database):
    """After a POST the browser shows the form's address; pressing Enter there is a GET (405)."""
    client = app.test_client()
    login(client, "admin")
    opened = client.get("/admin/users/sc001/reset")
    assert opened.status_code == 405 and "不能直接打开" in opened.get_data(as_text=True)
    assert "Method Not Allowed" not in opened.get_data(as_text=True)
    long = client.get("/search", query_string={"q": "政" * 3000})
    assert long.status_code == 414 and "网址太长" in long.get_data(as_text=True)
