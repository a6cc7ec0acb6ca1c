"""On the real server: a huge operand smuggled past validation through case data stops only its own
command — refused in Chinese in well under a second — while /healthz keeps answering under 1 s."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.models import Case, CaseTask
from engine.service import Applicant, complete_task, deploy_process, start_case

from .conftest import As, _actor
from .test_expression_bounds import with_condition
from .test_serve import _get, server  # noqa: F401 - the module's own `sunhall up`

FOOD = "015309300002"


def _browser():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def _open(opener, url: str, form: dict | None = None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with opener.open(url, data=data, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_smuggled_huge_power_stops_only_its_command_while_the_server_answers(server):  # noqa: F811
    _, base, tmp = server
    db = Database(settings=Settings(database_url=f"sqlite:///{tmp / 'sunhall.sqlite'}", instance_dir=tmp))
    try:
        with db.transaction() as s:
            deploy_process(s, with_condition("10**n > 0"), "food_business_license.bpmn", None, FOOD)
        with db.transaction() as s:
            company = Applicant(name="阳光县好味道餐饮有限公司", type="2", cert_type="001",
                                cert_number="91530930MA6N8X0Q31", contact_name="李四", phone="13912345678")
            case = start_case(s, FOOD, company, _actor(s, As("sc001")), data={"prepackaged_only": True, "n": 10**10})
            accept = s.scalars(select(CaseTask).where(CaseTask.case_id == case.id)).one()
            complete_task(s, accept.id, _actor(s, As("sc001")), opinion="受理。", approved=True)
            case_id = case.id
        with db.transaction(write=False) as s:
            review = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
            version = s.get(Case, case_id).version
    finally:
        db.dispose()

    clerk = _browser()
    status, page = _open(clerk, base + "/login")
    status, _ = _open(clerk, base + "/login", {"staff_no": "sc003", "password": "Sunhall@2026", "csrf_token": _token(page)})
    status, page = _open(clerk, f"{base}/cases/{case_id}")
    assert status == 200 and "材料审查" in page

    slowest, stop = [0.0], threading.Event()

    def watch():
        while not stop.is_set():
            started = time.perf_counter()
            assert _get(base + "/healthz")[0] == 200
            slowest[0] = max(slowest[0], time.perf_counter() - started)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        started = time.perf_counter()
        status, body = _open(clerk, f"{base}/cases/{case_id}/tasks/{review.id}/complete",
                             {"csrf_token": _token(page), "version": version, "decision": "agree", "opinion": "同意。"})
        took = time.perf_counter() - started
        time.sleep(0.5)
    finally:
        stop.set()
        watcher.join()
    assert status == 422 and "运算结果过大" in body and "Traceback" not in body, (status, body[:500])
    assert took < 1.0 and slowest[0] < 1.0, (took, slowest[0])
    # the case is as it was; the server goes on serving the same clerk
    db = Database(settings=Settings(database_url=f"sqlite:///{tmp / 'sunhall.sqlite'}", instance_dir=tmp))
    try:
        with db.transaction(write=False) as s:
            assert s.get(Case, case_id).version == version
            assert s.get(CaseTask, review.id).state == "ready"
    finally:
        db.dispose()
    assert _open(clerk, f"{base}/workbench")[0] == 200
