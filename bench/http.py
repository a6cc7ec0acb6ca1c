"""The production server under load: `sunhall serve` (gunicorn, several workers) on PostgreSQL,
simulated staff, supervisors and public visitors working a realistic mix over HTTP, against a floor
(GET /healthz: the whole Flask stack, a session and SELECT 1) measured in the same run at the same
concurrency.

Staff log in through /login with the demo accounts, read CSRF tokens from the pages as a browser does
and work: worklist tabs, case pages, completing a ready step of their own (the page's step form, with
its fields filled), intake of a new case at the window, documents (issued on a case, printed and
downloaded). Supervisors read the dashboard, alerts, performance statistics and the catalogue. Public
visitors read the column, item guides, search, 结果公示 and 结果反馈 (the look-up posted, too).

Clients are separate processes (one thread per simulated user) on keep-alive-capable connections
(gunicorn's sync workers close each one; a browser reconnects and so do we); each user works without
think time, so the figures are a saturated server's. The report gives throughput, p50/p95/p99 per
page kind against the 50 ms target, errors (any status >= 500 or one a browser would not expect, with
the server's traceback), CPU per request of the server processes (gunicorn's and, separately,
PostgreSQL's backends of this database) and memory per worker, and the statements PostgreSQL logged
as slower than --slow-sql-ms.

    .venv/bin/python bench/http.py [--staff 8 --public 6 --supervisors 2 --duration 60]
        [--history | --cases 1000000 --open-per-department 10000 | --use-existing URL]
        [--postgres URL] [--workers 5] [--port 8710] [--out bench/results/http.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

# run as a script, this file's folder comes first on the path and its name hides the standard library's http
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from html import unescape  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from urllib.parse import quote, urlencode, urlsplit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.certificates import id_check_char  # noqa: E402
from webapp.demo.county import DEMO_PASSWORD, USERS  # noqa: E402

SUNHALL = str(Path(sys.executable).parent / "sunhall")
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/sunhall_http_bench"
PG_LOG = Path("/var/log/postgresql/postgresql-15-main.log")
TARGET_MS = 50.0
TABS = ("todo", "done", "due_soon", "overdue", "paused")
TAB_WEIGHTS = (5, 2, 1, 1, 1)
SEARCHES = ("营业执照", "食品经营许可", "开饭店", "办营业执照需要什么材料", "建房", "施工许可", "卫生许可", "个体工商户",
            "许可", "社保", "营业只照", "食品经营许科", "公共场所", "退休", "不动产", "罚款")
# page kind -> what it is; those with a target are the pages issue 15 wants under 50 ms p95
KINDS = {
    "worklist:todo": ("待办", True), "worklist:done": ("已办", True), "worklist:due_soon": ("即将超期", True),
    "worklist:overdue": ("已超期", True), "worklist:paused": ("已暂停", True), "case": ("办件页", True),
    "complete": ("办理提交 POST", False), "intake_form": ("受理页", False), "intake": ("受理提交 POST", False),
    "document_issue": ("生成文书 POST", False), "document_print": ("文书打印页", False),
    "document_docx": ("文书下载 .docx", False), "supervision": ("监察首页", True), "alerts": ("预警", True),
    "performance": ("绩效统计", True), "catalogue": ("事项目录（内网）", True), "home": ("政务服务专栏首页", True),
    "items": ("事项列表", True), "item": ("办事指南", True), "item_results": ("事项结果反馈", True),
    "search": ("搜索", True), "results": ("结果公示", True), "progress": ("结果反馈页", True),
    "progress_lookup": ("结果反馈查询 POST", False), "login": ("登录（预热）", False), "healthz": ("floor /healthz", False),
}
FLOW_KINDS = tuple(k for k in KINDS if k not in ("login", "healthz"))
SUPERVISION = {"supervision": "/supervision", "alerts": "/supervision/alerts", "performance": "/supervision/performance",
               "catalogue": "/catalogue"}
PUBLIC = {"home": 12, "items": 12, "item": 20, "item_results": 8, "search": 22, "results": 12, "progress": 7,
          "progress_lookup": 7}  # what visitors open, and how often


# ---------------------------------------------------------------- the browser

class Controls(HTMLParser):
    """The forms of a page as a browser submits them: each form's action and controls, and which
    fields the page marks as required (the red asterisk in a field's label)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.required: set[str] = set()
        self.labels: dict[str, str] = {}
        self._field = None
        self._label = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-field" in a:
            self._field = a["data-field"]
        if tag == "span" and a.get("class") == "req" and self._field:
            self.required.add(self._field)
        if tag == "label" and self._field and a.get("for") == f"f-{self._field}":
            self._label = self._field
            self.labels[self._field] = ""
        elif tag == "span":
            self._label = None
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "id": a.get("id"), "controls": []})
            return
        if not self.forms:
            return
        controls = self.forms[-1]["controls"]
        if tag == "input" and a.get("name"):
            controls.append({"tag": "input", "type": (a.get("type") or "text").lower(), "name": a["name"],
                             "value": a.get("value") or "", "checked": "checked" in a,
                             "required": "required" in a})
        elif tag == "select" and a.get("name"):
            self._select = {"tag": "select", "name": a["name"], "options": [], "value": None}
            controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append([a.get("value"), "selected" in a, ""])
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"tag": "textarea", "name": a["name"], "value": ""}
            controls.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._label is not None:
            self.labels[self._label] += data.strip()
        if self._textarea is not None:
            self._textarea["value"] += data
        elif self._select is not None and self._select["options"]:
            self._select["options"][-1][2] += data


def forms_of(page: str) -> Controls:
    parser = Controls()
    parser.feed(page)
    return parser


def _field_specs() -> dict:
    """The shipped forms' fields by (name, label): the same name means different things in
    different forms (license_no is a 统一社会信用代码 in one, a 食品经营许可证编号 in another)."""
    specs = {}
    for path in sorted((ROOT / "forms" / "definitions").glob("*.json")):
        for spec in json.loads(path.read_text("utf-8"))["fields"]:
            specs.setdefault((spec["name"], spec.get("label", "")), spec)
            specs.setdefault((spec["name"], None), spec)
    return specs


FORMATS = {"food_licence": "JY25309300012345", "construction_permit": "530930202611290101",
           "hygiene_licence": "滇卫公证字〔2026〕第530930000123号"}


def person_id(r: random.Random) -> str:
    first17 = f"530930{r.randint(1960, 2000)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(100, 999)}"
    return first17 + id_check_char(first17)


def typed_value(spec: dict | None, name: str, r: random.Random) -> str:
    """What a member of staff types into an empty field of this kind (a fine within the demo's
    discretion range for the first severity offered, 50,000–65,000 元, which the rule A021 enforces)."""
    kind = (spec or {}).get("type", "text")
    today = date.today()
    if spec and spec.get("format") in FORMATS:
        return FORMATS[spec["format"]]
    return {"id_card": person_id(r), "phone": f"139{r.randint(10000000, 99999999)}", "money": str(r.randint(50, 65) * 1000),
            "number": str(r.randint(1, 9)), "date": today.isoformat(), "address": "阳光县城关镇人民路 12 号",
            "long_text": "经核查，材料齐全，符合法定形式。", "uscc": "91530930MA6N8X0Q31"}.get(kind, "已核实")


def fill(form: dict, page: Controls, specs: dict, r: random.Random, values: dict | None = None) -> list:
    """The pairs a browser posts for ``form`` once a person has filled what must be filled:
    given ``values`` first, then every empty writable field of a known kind, checked boxes, the
    selected (or first) option of each select."""
    values = values or {}
    out, seen_radio, checks = [], set(), defaultdict(list)
    for c in form["controls"]:
        name = c["name"]
        base = name.split(".")[0].split("[")[0]
        spec = specs.get((base, page.labels.get(base))) or specs.get((base, None))
        required = page.required
        if name in values:
            if name not in seen_radio:
                v = values[name]
                out += [(name, x) for x in v] if isinstance(v, list) else [(name, v)]
                seen_radio.add(name)
            continue
        if c["tag"] == "select":
            options = c["options"]
            chosen = next((o for o in options if o[1]), options[0] if options else None)
            value = (chosen[0] if chosen[0] is not None else chosen[2].strip()) if chosen else ""
            if value == "" and (base in required or spec):
                value = next(((o[0] if o[0] is not None else o[2].strip()) for o in options
                              if (o[0] if o[0] is not None else o[2].strip())), "")
                if spec and spec.get("type") == "boolean":
                    value = "否"
            out.append((name, value))
        elif c["tag"] == "textarea":
            value = c["value"].strip()
            if not value and (base in required or spec):
                value = typed_value(spec, name, r)
            out.append((name, value))
        elif c["type"] == "radio":
            if c["checked"] and name not in seen_radio:
                out.append((name, c["value"]))
                seen_radio.add(name)
        elif c["type"] == "checkbox":
            checks[name].append(c)
            if c["checked"]:
                out.append((name, c["value"]))
        elif c["type"] in ("submit", "button", "file"):
            continue
        else:
            value = c["value"]
            if not value and c["type"] != "hidden" and (base in required or c["required"] or spec):
                if name.endswith(".start"):
                    value = date.today().isoformat()
                elif name.endswith(".end"):
                    value = (date.today() + timedelta(days=365)).isoformat()
                elif name.endswith(".number"):
                    value = person_id(r)
                elif "[" in name:  # a group: as many rows as it needs
                    row = int(name.split("[", 1)[1].split("]", 1)[0])
                    value = f"{base}{row + 1}" if row < max(1, (spec or {}).get("min_items") or 1) else ""
                else:
                    value = typed_value(spec, name, r)
            out.append((name, value))
    for name, boxes in checks.items():
        base = name.split(".")[0].split("[")[0]
        if name not in values and not any(b["checked"] for b in boxes) and base in page.required:
            out.append((name, boxes[0]["value"]))
    return out


class Browser:
    """One person's browser: a connection to the server (reopened when the server closes it, as
    gunicorn's sync workers do after each response), cookies, and a record of every request."""

    def __init__(self, port: int, records: list, errors: list):
        self.port = port
        self.conn = None
        self.cookies: dict[str, str] = {}
        self.records = records
        self.errors = errors

    def _send(self, method, path, body, headers):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:  # a fresh connection refused too: the server is gone
                    raise
        raise AssertionError("unreachable")

    def go(self, kind: str, method: str, path: str, form=None, expect=(200,), follow: str | None = None):
        """One request, timed from sending to the last byte; a redirect is followed as ``follow``."""
        headers = {"User-Agent": "sunhall-bench", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.time()
        try:
            response, data = self._send(method, path, body, headers)
        except OSError as exc:
            elapsed = (time.time() - start) * 1000
            self.records.append((kind, 0, elapsed, start))
            self.errors.append({"kind": kind, "path": path, "status": 0, "said": f"{type(exc).__name__}: {exc}",
                                "at": time.time()})
            return 0, ""
        elapsed = (time.time() - start) * 1000
        if response.will_close:
            self.conn.close()
            self.conn = None
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                pair, _, attributes = value.partition(";")
                name, _, cookie = pair.strip().partition("=")
                if "max-age=0" in attributes.lower() or "expires=thu, 01 jan 1970" in attributes.lower():
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie
        status = response.status
        self.records.append((kind, status, elapsed, start))
        text = data.decode("utf-8", "replace") if "text" in (response.getheader("Content-Type") or "") else ""
        if status not in expect:
            said = re.search(r'<p class="(?:error|flash[^"]*)"[^>]*>(.*?)</p>', text, re.S)
            problems = re.findall(r'class="field-error error"[^>]*>(.*?)</p>', text)
            self.errors.append({"kind": kind, "path": path, "status": status, "at": time.time(),
                                "said": unescape(re.sub(r"<[^>]+>", "", said.group(1))).strip()[:300] if said else "",
                                "fields": problems[:5]})
            return status, text
        if follow and status in (302, 303):
            where = urlsplit(response.getheader("Location") or "/")
            return self.go(follow, "GET", where.path + (f"?{where.query}" if where.query else ""))
        return status, text

    def csrf(self, page: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        return found.group(1) if found else ""

    def login(self, staff_no: str) -> bool:
        status, page = self.go("login", "GET", "/login")
        status, _ = self.go("login", "POST", "/login", [("csrf_token", self.csrf(page)), ("staff_no", staff_no),
                                                        ("password", DEMO_PASSWORD)], expect=(302,))
        return status == 302


# ---------------------------------------------------------------- simulated people

class Person:
    """A simulated person. The first steps are a tour (every tab, page kind and action once, as
    someone new to the system looks around); then the realistic mix, at random."""

    def __init__(self, browser: Browser, who: dict, plan: dict, seed: int):
        self.b, self.who, self.plan = browser, who, plan
        self.r = random.Random(seed)
        self.specs = _field_specs()
        self.tour: list = []
        self.intake_codes: list[tuple[str, bool]] = []

    def warm_up(self) -> None:
        """Log in (staff) and plan the tour: a clerk learns the items received at the window
        (one 即办件 and one 承诺件 are received in the tour)."""
        role = self.who["role"]
        if role in ("staff", "supervisor") and not self.b.login(self.who["staff_no"]):
            raise RuntimeError(f"login failed: {self.who['staff_no']}")
        if role == "staff":
            if self.who["clerk"]:
                _, page = self.b.go("intake_form", "GET", "/intake")
                self.intake_codes = [(code, kind == "即办件") for code, kind in re.findall(
                    r"<tr><td>(\w+)</td><td>[^<]*</td><td>(即办件|承诺件)</td>", page)]
            self.tour = [lambda t=t: self.worklist(t) for t in TABS]
            for instant in (True, False):
                code = next((c for c, i in self.intake_codes if i == instant), None)
                if code:
                    self.tour.append(lambda c=code: self.intake(c, eager=True))
        elif role == "supervisor":
            self.tour = [lambda k=k: self.supervisor(k) for k in SUPERVISION]
        elif role == "public":
            self.tour = [lambda k=k: self.public(k) for k in PUBLIC]

    def step(self) -> None:
        if self.tour:
            self.tour.pop(0)()
        elif self.who["role"] == "staff":
            self.staff()
        elif self.who["role"] == "supervisor":
            self.supervisor(self.r.choice(list(SUPERVISION)))
        else:
            self.public(self.r.choices(list(PUBLIC), list(PUBLIC.values()))[0])

    # staff: the worklist, a case from it, work on it, sometimes a new case at the window
    def staff(self) -> None:
        self.worklist(self.r.choices(TABS, TAB_WEIGHTS)[0], open_one=True)
        if self.intake_codes and self.r.random() < 0.3:
            self.intake(self.r.choice(self.intake_codes)[0])

    def worklist(self, tab: str, open_one: bool = False) -> None:
        _, page = self.b.go(f"worklist:{tab}", "GET", f"/workbench?tab={tab}")
        cases = re.findall(r'href="/cases/(\d+)"', page)
        if cases and (open_one or tab == "done"):
            _, page = self.b.go("case", "GET", f"/cases/{self.r.choice(cases)}", expect=(200, 302))
            self.work_on(page, may_complete=tab == "todo", eager=not open_one)

    def work_on(self, page: str, may_complete: bool, eager: bool = False) -> None:
        """On a case page: complete my ready step, or print and download a document, or issue one."""
        if not page:
            return
        r, b = self.r, self.b
        controls = forms_of(page)
        step = next((f for f in controls.forms if f["id"] == "step-form"), None)
        if step is not None and 'id="complete"' in page and may_complete and (eager or r.random() < 0.7):
            data = fill(step, controls, self.specs, r, {"decision": "agree", "opinion": "同意。"})
            # 409: someone holding the same post completed it first (the page was stale), as the app says
            b.go("complete", "POST", step["action"], data, expect=(302, 409), follow="case")
            return
        docs = re.findall(r'href="/documents/(\d+)/print"', page)
        if docs and (eager or r.random() < 0.5):
            doc = r.choice(docs)
            b.go("document_print", "GET", f"/documents/{doc}/print")
            b.go("document_docx", "GET", f"/documents/{doc}.docx")
            return
        offers = [f for f in controls.forms if "/documents/" in f["action"]]
        if offers and (eager or r.random() < 0.3):
            offer = r.choice(offers)
            _, printed = b.go("document_issue", "POST", offer["action"], fill(offer, Controls(), {}, r),
                              expect=(302,), follow="document_print")
            doc = re.search(r'href="/documents/(\d+)\.docx"', printed or "")
            if doc and (eager or r.random() < 0.5):
                b.go("document_docx", "GET", f"/documents/{doc.group(1)}.docx")

    def intake(self, code: str, eager: bool = False) -> None:
        r, b = self.r, self.b
        _, page = b.go("intake_form", "GET", f"/intake/{code}")
        controls = forms_of(page)
        form = next((f for f in controls.forms if any(c["name"] == "intake_token" for c in f["controls"])), None)
        if form is None:
            return
        given = {"ap_applicant_type": "1", "ap_cert_type": "111", "ap_cert_number": person_id(r),
                 "ap_applicant_name": r.choice("张王李赵刘陈杨黄周吴") + r.choice(("伟", "芳", "娜", "敏", "静", "磊", "洋", "婷")),
                 "ap_phone": f"138{r.randint(10000000, 99999999)}", "ap_channel": "window",
                 "ap_address": "阳光县城关镇人民路 12 号",
                 "materials": [c["value"] for c in form["controls"] if c["name"] == "materials"]}
        for c in form["controls"]:
            if c["name"] in ("ap_contact_name", "ap_agent_name", "ap_agent_cert_number", "confirm_duplicate"):
                given[c["name"]] = ""
        given["operator_name"] = given["ap_applicant_name"]
        given["operator_id"] = given["ap_cert_number"]
        _, landed = b.go("intake", "POST", f"/intake/{code}", fill(form, controls, self.specs, r, given),
                         expect=(302,), follow="case")
        if eager or r.random() < 0.5:  # the clerk goes on with the new case: accept it, or print its result
            self.work_on(landed, may_complete=True, eager=eager)

    def supervisor(self, kind: str) -> None:
        self.b.go(kind, "GET", SUPERVISION[kind])

    # public: a visitor reads the column; every so often a new visitor (no cookies) comes
    def public(self, kind: str) -> None:
        r, b = self.r, self.b
        if r.random() < 0.1:
            b.cookies.clear()
        if kind == "home":
            b.go("home", "GET", "/")
        elif kind == "items":
            b.go("items", "GET", "/items" + (f"?page={r.randint(1, 3)}" if r.random() < 0.3 else ""))
        elif kind == "item":
            b.go("item", "GET", f"/items/{r.choice(self.plan['item_codes'])}")
        elif kind == "item_results":
            b.go("item_results", "GET", f"/items/{r.choice(self.plan['item_codes'])}/results")
        elif kind == "search":
            b.go("search", "GET", f"/search?q={quote(r.choice(SEARCHES))}")
        elif kind == "results":
            b.go("results", "GET", "/results" + (f"?page={r.randint(1, 5)}" if r.random() < 0.3 else ""))
        else:
            _, page = b.go("progress", "GET", "/progress")
            if self.plan["lookups"] and (kind == "progress_lookup" or r.random() < 0.6):
                number, cert = r.choice(self.plan["lookups"])
                b.go("progress_lookup", "POST", "/progress",
                     [("csrf_token", b.csrf(page)), ("number", number), ("cert_number", cert)], expect=(200, 404))


def client(port: int, people: list, plan: dict, seed: int, floor: bool, tours: bool, ready, start, stop_at,
           out) -> None:
    """One client process: a thread per simulated person; log in, wait for the start, work until
    the end (the first part of it warms the server up) and hand back what was seen, timed."""
    records, errors, failures = [], [], []
    lock = threading.Lock()

    def run(who, n):
        mine, my_errors = [], []
        b = Browser(port, mine, my_errors)
        person = Person(b, who, plan, time.time_ns() + seed * 1000 + n)  # new applicants in every run
        try:
            if not floor:
                person.warm_up()
        except Exception as exc:  # reported to the parent, which reports the run as failed
            failures.append(f"{who}: {exc!r}")
        ready.put(1)
        start.wait()
        deadline = stop_at.value
        while (time.time() < deadline or (tours and person.tour)) and not failures:
            if floor:
                b.go("healthz", "GET", "/healthz")
            else:
                person.step()
        with lock:
            records.extend(mine)
            errors.extend(my_errors)

    threads = [threading.Thread(target=run, args=(who, n)) for n, who in enumerate(people)]
    for t in threads:
        t.start()
    start.wait()
    cpu = time.process_time()
    for t in threads:
        t.join()
    out.put({"records": records, "errors": errors, "failures": failures, "cpu_s": time.process_time() - cpu})


# ---------------------------------------------------------------- the server and its processes

def _stat(pid: int) -> tuple[int, int] | None:
    """(own CPU ticks, reaped children's CPU ticks) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def server_ticks(master: int) -> int:
    """CPU ticks of the gunicorn master, its live workers and the workers it has reaped (a worker
    replaced after its thousand requests counts in the master's children's time)."""
    own, reaped = _stat(master) or (0, 0)
    return own + reaped + sum((_stat(pid) or (0, 0))[0] for pid in _children(master))


def _pg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _dbname(url: str) -> str:
    return urlsplit(_pg_url(url)).path.lstrip("/")


def backend_ticks(url: str) -> dict[int, int]:
    """CPU ticks of each PostgreSQL backend serving this database now."""
    import psycopg

    with psycopg.connect(_pg_url(url), autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return {pid: t[0] for pid in pids if (t := _stat(pid)) is not None}


class Sampler(threading.Thread):
    """RSS of each worker every half second while the run lasts."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.samples, self.done = master, [], threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            for pid in _children(self.master):
                rss = _rss_kb(pid)
                if rss:
                    self.samples.append((pid, rss))


def start_server(url: str, instance: Path, port: int, workers: int, log: Path, slow_ms: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNHALL_")}
    env |= {"SUNHALL_DATABASE_URL": url, "SUNHALL_INSTANCE_DIR": str(instance),
            # every client shares one address; the per-address limit of public look-ups is not what we measure
            "SUNHALL_PUBLIC_RATE_LIMIT": "1000000 per minute"}
    if slow_ms >= 0:  # each server connection logs its slow statements (libpq options; no database setting changed)
        env["PGOPTIONS"] = f"-c log_min_duration_statement={slow_ms}"
    proc = subprocess.Popen([SUNHALL, "serve", "--port", str(port), "--workers", str(workers)], cwd=instance, env=env,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server did not start:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200 and len(_children(proc.pid)) >= workers:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise SystemExit("the server did not answer /healthz within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the database

def prepare_database(args) -> tuple[str, Path]:
    """A fresh database with the demo county (and history or generated cases), or the one given."""
    if args.use_existing:
        instance = Path(args.instance_dir or f"/tmp/sunhall_http_{_dbname(args.use_existing)}")
        instance.mkdir(parents=True, exist_ok=True)
        return args.use_existing, instance
    url = args.postgres or DEFAULT_DB
    name = _dbname(url)
    if name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to recreate the database {name}")
    instance = Path(args.instance_dir or f"/tmp/sunhall_http_{name}")
    subprocess.run(["rm", "-rf", str(instance)], check=True)
    instance.mkdir(parents=True)
    parts = urlsplit(_pg_url(url))
    conn = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    subprocess.run(["dropdb", *conn, "--if-exists", name], check=True)
    subprocess.run(["createdb", *conn, name], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNHALL_")}
    env |= {"SUNHALL_DATABASE_URL": url, "SUNHALL_INSTANCE_DIR": str(instance)}
    started = time.monotonic()
    if args.cases:  # the generator migrates and loads the demo county itself
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--cases", str(args.cases),
                        "--open-per-department", str(args.open_per_department), "--postgres", url], env=env, check=True)
        print(f"# {args.cases:,} cases generated in {time.monotonic() - started:.0f} s", flush=True)
        return url, instance
    subprocess.run([SUNHALL, "demo", *(["--history"] if args.history else [])], env=env, cwd=instance, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"# demo county{' with history' if args.history else ''} loaded in {time.monotonic() - started:.0f} s",
          flush=True)
    return url, instance


def plan_of(url: str, port: int) -> dict:
    """What visitors need that a page would not give them at once: the public items (every page
    of 事项目录, read once) and 结果反馈 look-ups (a case number with its applicant's certificate
    number, as the applicant keeps them)."""
    import psycopg

    b, codes, page = Browser(port, [], []), [], 1
    while page <= 50:
        _, text = b.go("items", "GET", f"/items?page={page}")
        found = [c for c in dict.fromkeys(re.findall(r'href="/items/(\d+)"', text)) if c not in codes]
        if not found:
            break
        codes += found
        page += 1
    with psycopg.connect(_pg_url(url)) as conn:
        count = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
        lookups = [tuple(row) for row in conn.execute(
            'SELECT number, cert_number FROM "case" WHERE source IS NULL ORDER BY id DESC LIMIT 300')]
    return {"item_codes": codes, "lookups": lookups, "cases": count}


def people(args) -> list[dict]:
    """Demo accounts: clerks at the windows and post holders of several departments (each person
    logs in once and keeps a session); supervisors of 纪委监委; anonymous public visitors."""
    window = [u for u in USERS if "window" in u[3] and u[0] != "xz001"]
    posts = [u for u in USERS if set(u[3]) & {"handle", "review", "approve", "legal"} and "supervisor" not in u[4]]
    order = []
    for i in range(max(len(window), len(posts))):
        order += [u for u in (window[i:i + 1] + posts[i:i + 1])]
    staff = [{"role": "staff", "staff_no": u[0], "clerk": "window" in u[3]} for u in order]
    supervisors = [{"role": "supervisor", "staff_no": u[0]} for u in USERS if "supervisor" in u[4]]
    return ([staff[i % len(staff)] for i in range(args.staff)]
            + [supervisors[i % len(supervisors)] for i in range(args.supervisors)]
            + [{"role": "public"} for _ in range(args.public)])


# ---------------------------------------------------------------- a run

def phase(port: int, everyone: list, plan: dict, seconds: float, warm: float, processes: int, floor: bool,
          master: int, url: str, tours: bool = False) -> dict:
    """Log every client in, let them work ``warm`` seconds unmeasured (every worker meets every
    page once: caches, jieba's dictionary), then measure ``seconds``: the requests that started in
    that window (it ends when the last person has finished; with ``tours``, not before every person
    has finished the tour), the server's CPU over it and its workers' memory."""
    ctx = mp.get_context("fork")
    ready, out, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    stop_at = ctx.Value("d", 0.0)
    groups = [everyone[i::processes] for i in range(processes)]
    procs = [ctx.Process(target=client, args=(port, g, plan, n + 1, floor, tours, ready, start, stop_at, out))
             for n, g in enumerate(groups) if g]
    for p in procs:
        p.start()
    for _ in everyone:
        ready.get(timeout=600)
    began = time.time() + warm
    stop_at.value = began + seconds
    start.set()
    time.sleep(max(0.0, began - time.time()))
    sampler = Sampler(master)
    ticks0, backends0 = server_ticks(master), backend_ticks(url)
    sampler.start()
    results = [out.get(timeout=seconds + 900) for _ in procs]
    ended = time.time()
    ticks1, backends1 = server_ticks(master), backend_ticks(url)
    sampler.done.set()
    for p in procs:
        p.join()
    hz = os.sysconf("SC_CLK_TCK")
    records = [r for res in results for r in res["records"]]
    measured = [(k, s, ms) for k, s, ms, t in records if t >= began]
    db_ticks = sum(t - backends0.get(pid, 0) for pid, t in backends1.items())
    rss = defaultdict(list)
    for pid, kb in sampler.samples:
        rss[pid].append(kb)
    return {"seconds": ended - began, "records": measured,
            "errors": [e for res in results for e in res["errors"] if e["at"] >= began],
            "warm_up_errors": [e for res in results for e in res["errors"] if e["at"] < began],
            "failures": [f for res in results for f in res["failures"]],
            "server_cpu_s": (ticks1 - ticks0) / hz, "db_cpu_s": db_ticks / hz,
            "client_cpu_s": sum(res["cpu_s"] for res in results),
            "rss_mb": {"max": max((max(v) for v in rss.values()), default=0) / 1024,
                       "mean": (sum(sum(v) / len(v) for v in rss.values()) / len(rss) / 1024) if rss else 0,
                       "workers_seen": len(rss)}}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(result: dict) -> dict:
    by_kind = defaultdict(list)
    statuses = defaultdict(Counter)
    for kind, status, ms in result["records"]:
        by_kind[kind].append(ms)
        statuses[kind][status] += 1
    n = len(result["records"])
    pages = {}
    for kind in sorted(by_kind, key=lambda k: list(KINDS).index(k) if k in KINDS else 99):
        v = by_kind[kind]
        target = KINDS.get(kind, ("", False))[1]
        p95 = percentile(v, 95)
        pages[kind] = {"label": KINDS.get(kind, (kind,))[0], "count": len(v), "per_s": len(v) / result["seconds"],
                       "p50_ms": percentile(v, 50), "p95_ms": p95, "p99_ms": percentile(v, 99), "max_ms": max(v),
                       "statuses": {str(k): c for k, c in statuses[kind].items()},
                       "target_50ms_p95": ("met" if p95 < TARGET_MS else "NOT met") if target else None}
    all_ms = [ms for _, _, ms in result["records"]]
    return {"requests": n, "seconds": round(result["seconds"], 2), "req_per_s": n / result["seconds"],
            "p50_ms": percentile(all_ms, 50) if all_ms else None, "p95_ms": percentile(all_ms, 95) if all_ms else None,
            "p99_ms": percentile(all_ms, 99) if all_ms else None,
            "errors": len(result["errors"]), "error_samples": result["errors"][:20],
            "conflicts_409": sum(c.get(409, 0) for c in statuses.values()),
            "warm_up_errors": result["warm_up_errors"][:20],
            "server_cpu_ms_per_request": 1000 * result["server_cpu_s"] / n if n else None,
            "db_cpu_ms_per_request": 1000 * result["db_cpu_s"] / n if n else None,
            "client_cpu_ms_per_request": 1000 * result["client_cpu_s"] / n if n else None,
            "worker_rss_mb": {k: round(v, 1) for k, v in result["rss_mb"].items()}, "pages": pages}


def server_problems(log: Path) -> list[dict]:
    """What the server logged as going wrong (a 500 always leaves a traceback), grouped by where
    and what: the headline, the exception's last line, how often, and the first traceback in full."""
    text = log.read_text("utf-8", "replace") if log.exists() else ""
    incidents, current = [], None
    for line in text.splitlines():
        if re.search(r"\bERROR\b|\[ERROR\]|\[CRITICAL\]|^WARNING ", line):
            current = {"where": re.sub(r"^\[[^]]*\] \[\d+\] ", "", line), "lines": [line]}
            incidents.append(current)
        elif current is not None:
            current["lines"].append(line)
    grouped = {}
    for incident in incidents:
        errors = [x for x in incident["lines"] if re.match(r"^[\w.]+(Error|Exception|Exit|Interrupt)\b", x)]
        what = errors[-1][:300] if errors else ""
        where = re.sub(r"/\d+", "/<n>", incident["where"])
        entry = grouped.setdefault((where, what), {"where": where, "error": what, "count": 0,
                                                   "traceback": "\n".join(incident["lines"])[:6000]})
        entry["count"] += 1
    return sorted(grouped.values(), key=lambda e: -e["count"])


def slow_statements(offset: int, dbname: str, top: int = 15) -> list[dict]:
    """The statements PostgreSQL logged for this database as slower than the threshold, grouped."""
    if not PG_LOG.exists():
        return []
    with PG_LOG.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    found = defaultdict(list)
    marker = f"@{dbname} LOG:  duration: "
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC \[)", text)
    for entry in entries:
        if marker not in entry:
            continue
        m = re.search(r"duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): (.*)", entry, re.S)
        if not m:
            continue
        sql = re.sub(r"\s+", " ", m.group(2)).strip()
        shape = re.sub(r"\$\d+|'[^']*'|\b\d+\b", "?", sql)[:400]
        found[shape].append(float(m.group(1)))
    rows = [{"count": len(v), "max_ms": max(v), "mean_ms": sum(v) / len(v), "sql": k} for k, v in found.items()]
    return sorted(rows, key=lambda r: -r["count"] * r["mean_ms"])[:top]


def print_report(label: str, s: dict, floor: dict) -> None:
    print(f"\n## {label}: {s['requests']:,} requests in {s['seconds']} s = {s['req_per_s']:.1f} req/s "
          f"(floor /healthz {floor['req_per_s']:.1f} req/s, ratio {s['req_per_s'] / floor['req_per_s']:.3f}); "
          f"errors {s['errors']}; 409 (a step completed first by a colleague) {s['conflicts_409']}")
    print(f"   server CPU {s['server_cpu_ms_per_request']:.2f} ms/request (floor {floor['server_cpu_ms_per_request']:.2f}), "
          f"PostgreSQL CPU {s['db_cpu_ms_per_request']:.2f} ms/request (floor {floor['db_cpu_ms_per_request']:.2f}); "
          f"clients {s['client_cpu_ms_per_request']:.2f} ms/request; "
          f"worker RSS max {s['worker_rss_mb']['max']} MB, mean {s['worker_rss_mb']['mean']} MB")
    fp50, fp95 = floor["p50_ms"], floor["p95_ms"]
    print(f"   floor p50 {fp50:.1f} ms, p95 {fp95:.1f} ms, p99 {floor['p99_ms']:.1f} ms")
    print(f"{'page':<20} {'n':>6} {'/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'p95/floor':>9}  50 ms p95")
    for kind, p in s["pages"].items():
        print(f"{kind:<20} {p['count']:>6} {p['per_s']:>7.1f} {p['p50_ms']:>7.1f} {p['p95_ms']:>7.1f} {p['p99_ms']:>7.1f} "
              f"{p['p95_ms'] / fp95:>9.1f}  {p['target_50ms_p95'] or '-'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", help=f"database to recreate and fill (default {DEFAULT_DB})")
    ap.add_argument("--use-existing", metavar="URL", help="benchmark this database as it is (no rebuild)")
    ap.add_argument("--history", action="store_true", help="load the demo's year of history (sunhall demo --history)")
    ap.add_argument("--cases", type=int, default=0, help="generate this many cases with bench/generate.py")
    ap.add_argument("--open-per-department", type=int, default=10000)
    ap.add_argument("--instance-dir", help="the server's instance folder (documents; default /tmp/sunhall_http_<db>)")
    ap.add_argument("--staff", type=int, default=8)
    ap.add_argument("--public", type=int, default=6)
    ap.add_argument("--supervisors", type=int, default=2)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--floor-duration", type=float, default=None, help="default: a third of --duration, 5–20 s")
    ap.add_argument("--warm-up", type=float, default=None, help="unmeasured work first (default: a third of --duration, at most 15 s)")
    ap.add_argument("--finish-tours", action="store_true",
                    help="measure until every person has also finished the tour (each page and action once)")
    ap.add_argument("--light-duration", type=float, default=0.0,
                    help="also measure a light load (one clerk, one supervisor, one visitor) this long")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: sunhall serve's)")
    ap.add_argument("--processes", type=int, default=None, help="client processes (default: min(people, 8))")
    ap.add_argument("--port", type=int, default=8710)
    ap.add_argument("--slow-sql-ms", type=int, default=50, help="log statements slower than this (-1: off)")
    ap.add_argument("--label", default=None)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "http.json"))
    args = ap.parse_args(argv)

    url, instance = prepare_database(args)
    everyone = people(args)
    processes = args.processes or min(len(everyone), 8)
    workers = args.workers or min(2 * (os.cpu_count() or 1) + 1, 9)
    floor_seconds = args.floor_duration or min(20.0, max(5.0, args.duration / 3))
    warm = args.warm_up if args.warm_up is not None else min(15.0, args.duration / 3)
    log = instance / f"server-{args.port}.log"
    pg_offset = PG_LOG.stat().st_size if PG_LOG.exists() else 0
    server = start_server(url, instance, args.port, workers, log, args.slow_sql_ms)
    light = light_floor = None
    try:
        plan = plan_of(url, args.port)
        print(f"# {_dbname(url)}: {plan['cases']:,} cases, {len(plan['item_codes'])} public items; port {args.port}, "
              f"{workers} workers; {len(everyone)} people ({args.staff} staff, {args.supervisors} supervisors, "
              f"{args.public} public) in {processes} client processes; {warm:.0f} s warm-up, {args.duration:.0f} s "
              f"measured, floor {floor_seconds:.0f} s", flush=True)
        work = phase(args.port, everyone, plan, args.duration, warm, processes, False, server.pid, url,
                     args.finish_tours)
        floor = phase(args.port, [{"role": "floor"}] * len(everyone), plan, floor_seconds, 1.0, processes, True,
                      server.pid, url)
        if args.light_duration:
            few = [next(p for p in everyone if p["role"] == role) for role in ("staff", "supervisor", "public")
                   if any(p["role"] == role for p in everyone)]
            light = phase(args.port, few, plan, args.light_duration, 2.0, len(few), False, server.pid, url)
            light_floor = phase(args.port, [{"role": "floor"}] * len(few), plan, min(10.0, args.light_duration), 1.0,
                                len(few), True, server.pid, url)
    finally:
        stop_server(server)
    problems = server_problems(log)
    slow = slow_statements(pg_offset, _dbname(url)) if args.slow_sql_ms >= 0 else []
    fs, ws = summary(floor), summary(work)
    exercised = sorted(k for k in FLOW_KINDS if k in ws["pages"])
    label = args.label or (f"{plan['cases']:,} cases")
    report = {
        "label": label, "database": _dbname(url), "cases": plan["cases"], "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, shared",
        "workers": workers, "people": {"staff": args.staff, "supervisors": args.supervisors, "public": args.public},
        "client_processes": processes, "duration_s": args.duration, "target_p95_ms": TARGET_MS,
        "floor": fs, "run": ws, "ratio_to_floor": ws["req_per_s"] / fs["req_per_s"],
        "light_load": summary(light) if light else None, "light_floor": summary(light_floor) if light else None,
        "not_exercised": sorted(set(FLOW_KINDS) - set(exercised)), "failures": work["failures"] + floor["failures"],
        "server_problems": problems[:20], "slow_sql": slow,
    }
    print_report(label, ws, fs)
    if light:
        print_report(f"{label}, light load", report["light_load"], report["light_floor"])
        for e in report["light_load"]["error_samples"]:
            print(f"   ERROR {e['status']} {e['kind']} {e['path']}: {e['said']} {e.get('fields') or ''}")
    if report["not_exercised"]:
        print(f"   not exercised: {', '.join(report['not_exercised'])}")
    for e in ws["error_samples"]:
        print(f"   ERROR {e['status']} {e['kind']} {e['path']}: {e['said']} {e.get('fields') or ''}")
    for problem in problems[:10]:
        print(f"   SERVER LOG x{problem['count']}: {problem['where']}\n{'':>10}{problem['error']}")
    if slow:
        print(f"   statements slower than {args.slow_sql_ms} ms (count, mean ms, max ms):")
        for row in slow[:10]:
            print(f"   {row['count']:>5} {row['mean_ms']:>8.1f} {row['max_ms']:>8.1f}  {row['sql'][:160]}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        runs = {}
        if out.exists():
            try:
                runs = json.loads(out.read_text()).get("runs", {})
            except (ValueError, AttributeError):
                runs = {}
        runs[label] = report
        out.write_text(json.dumps({"runs": runs}, ensure_ascii=False, indent=1) + "\n")
    return 1 if (ws["errors"] or report["failures"] or (light and light["errors"])) else 0


if __name__ == "__main__":
    sys.exit(main())
