"""The REST API /api/v1 as a department system and a signed-in person meet it: tokens scoped to
departments and verbs, the session with its CSRF header, every endpoint group on the real engine,
and errors as problem+json in Chinese with stable codes (issue #14 item 1)."""

from __future__ import annotations

import io
import re
import secrets
from datetime import timedelta

import pytest
from docx import Document
from sqlalchemy import delete, select

from engine import apitokens, clock
from engine.models import ApiToken, Department, SystemEvent, User
from engine.service import start_case
from rules.models import Alert
from tests.conftest import As
from tests.helpers import do
from tests.webhelpers import login

PERMIT = "015309300004"  # 建筑工程施工许可证核发 (住建局): 受理 → 审查 → 批准 → 发证
FOOD = "015309300002"  # 食品经营许可 (市场监管局)
SHOP = "075309300001"  # 个体工商户设立登记 (即办件, 市场监管局)
PERMIT_DATA = {"project_name": "阳光县第一中学教学楼", "builder": "阳光县第一中学", "builder_code": "91530930MA6N8X0Q31",
               "contractor": "云南建工集团有限公司", "site": "阳光县城关镇学府路 1 号", "contract_amount": 5000000,
               "floor_area": 3200, "planning_permit_no": "建字第530930202600012号"}
APPLICANT = {"name": "阳光县第一中学", "type": "3", "cert_type": "001", "cert_number": "91530930MA6N8X0Q31",
             "contact_name": "李四", "phone": "13912345678"}
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def token(run, database):
    """token("zj001", ["zjj"], ["read", "write"]) -> the secret of a token issued by the administrator."""

    def issue(staff_no: str, departments=("zjj",), verbs=("read", "write"), **kw) -> str:
        def go(s, admin):
            user = s.scalars(select(User).where(User.staff_no == staff_no)).one()
            ids = list(s.scalars(select(Department.id).where(Department.code.in_(list(departments)))))
            return apitokens.issue(s, admin, name=f"测试系统（{staff_no}）{secrets.token_hex(3)}", user_id=user.id, department_ids=ids,
                                   verbs=list(verbs), **kw)
        return run(go, As("admin"))[1]

    yield issue
    with database.transaction() as s:
        s.execute(delete(ApiToken))


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def problem_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["code"] == code and CJK.search(body["title"])
    assert "Traceback" not in response.get_data(as_text=True)
    if "detail" in body:
        assert CJK.search(body["detail"]), body
    return body


def _start(client, secret, **extra) -> dict:
    """A 施工许可 application received at the window with every material of the item's list."""
    count = len(client.get(f"/api/v1/items/{PERMIT}", headers=bearer(secret)).get_json()["materials"])
    body = {"item_code": PERMIT, "applicant": APPLICANT, "materials": list(range(1, count + 1)), **extra}
    response = client.post("/api/v1/cases", json=body, headers=bearer(secret))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _ready(client, secret, case_id: int) -> dict:
    tasks = client.get(f"/api/v1/cases/{case_id}/tasks", headers=bearer(secret)).get_json()
    return next(t for t in tasks if t["state"] == "ready")


# --- authentication ------------------------------------------------------------------------------------------------
def test_no_invalid_revoked_or_expired_token_is_401_and_refusals_are_logged(client, token, run, database):
    problem = problem_of(client.get("/api/v1/cases"), 401, "unauthenticated")
    assert "Authorization" in problem["detail"]
    assert client.get("/api/v1/cases").headers["WWW-Authenticate"].startswith("Bearer")
    problem_of(client.get("/api/v1/cases", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}), 401, "unauthenticated")
    problem_of(client.get("/api/v1/cases", headers=bearer("shk_0000beef_" + "x" * 40)), 401, "unauthenticated")
    secret = token("zj001")
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    with database.transaction(write=False) as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.last_used_at is not None
    run(apitokens.revoke, As("admin"), row.id)
    assert problem_of(client.get("/api/v1/cases", headers=bearer(secret)), 401, "unauthenticated")["detail"].startswith(
        "令牌已吊销")
    expiring = token("zj001", expires_at=clock.now() + timedelta(minutes=5))
    with clock.frozen(clock.now() + timedelta(minutes=6)):
        assert "过期" in problem_of(client.get("/api/v1/me", headers=bearer(expiring)), 401, "unauthenticated")["detail"]
    with database.transaction(write=False) as s:
        refused = [e.target for e in s.scalars(select(SystemEvent).where(SystemEvent.action == "token.refused"))]
    assert f"{row.name}（{row.prefix}）" in refused and apitokens.UNKNOWN in refused


def test_a_token_needs_the_verb_and_the_department(client, token, run, database, company):
    reader = token("zj001", verbs=["read"])
    problem = problem_of(client.post("/api/v1/cases", json={"item_code": PERMIT, "applicant": APPLICANT},
                                     headers=bearer(reader)), 403, "permission_denied")
    assert "办理" in problem["detail"]
    food = run(start_case, FOOD, company, As("sc001"))
    # the same person's token for 住建局 does not open a 市场监管局 case, nor list it
    admin_for_zjj = token("admin", departments=["zjj"])
    problem_of(client.get(f"/api/v1/cases/{food.id}", headers=bearer(admin_for_zjj)), 403, "permission_denied")
    assert client.get("/api/v1/cases", headers=bearer(admin_for_zjj)).get_json()["total"] == 0
    admin_for_scjgj = token("admin", departments=["scjgj"])
    listed = client.get("/api/v1/cases", headers=bearer(admin_for_scjgj)).get_json()
    assert [c["number"] for c in listed["items"]] == [food.number]
    # the token never widens the account: a 住建局 clerk's token naming 市场监管局 still cannot see its case
    widened = token("zj001", departments=["scjgj"])
    problem_of(client.get(f"/api/v1/cases/{food.id}", headers=bearer(widened)), 403, "permission_denied")
    problem_of(client.post("/api/v1/cases", json={"item_code": FOOD, "applicant": APPLICANT}, headers=bearer(widened)),
               403, "permission_denied")


def test_a_session_reads_but_writes_only_with_the_csrf_header(app, database):
    client = app.test_client()
    login(client, "zj001")
    assert client.get("/api/v1/me").get_json()["staff_no"] == "zj001"
    body = {"item_code": PERMIT, "applicant": APPLICANT}
    problem_of(client.post("/api/v1/cases", json=body), 403, "csrf_failed")
    problem_of(client.post("/api/v1/cases", json=body, headers={"X-CSRFToken": "forged"}), 403, "csrf_failed")
    page = client.get("/workbench").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    made = client.post("/api/v1/cases", json=body, headers={"X-CSRFToken": csrf})
    assert made.status_code == 201 and made.get_json()["state"] == "received"


# --- catalogue -------------------------------------------------------------------------------------------------------
def test_the_published_catalogue(client, token):
    secret = token("zj001", verbs=["read"])
    listed = client.get("/api/v1/items?per_page=100", headers=bearer(secret)).get_json()
    codes = [i["code"] for i in listed["items"]]
    assert PERMIT in codes and FOOD in codes and listed["total"] == len(codes)
    assert "105309300099" not in codes  # 电子监察督办 is an internal flow, never in the catalogue
    page2 = client.get("/api/v1/items?per_page=2&page=2", headers=bearer(secret)).get_json()
    assert [i["code"] for i in page2["items"]] == codes[2:4] and page2["page"] == 2
    assert [i["code"] for i in client.get("/api/v1/items?q=施工许可", headers=bearer(secret)).get_json()["items"]] == [
        PERMIT]
    item = client.get(f"/api/v1/items/{PERMIT}", headers=bearer(secret)).get_json()
    assert item["name"] == "建筑工程施工许可证核发" and item["promised_limit"] == 5 and item["materials"]
    problem_of(client.get("/api/v1/items/105309300099", headers=bearer(secret)), 404, "not_found")


# --- a case through its steps ------------------------------------------------------------------------------------------
def test_start_read_and_work_a_case_with_optimistic_versions(client, token, database):
    window, handler = token("zj001"), token("zj002")
    case = _start(client, window, request_id="r" * 40)
    assert case["state"] == "received" and case["item_code"] == PERMIT and case["applicant"]["name"] == "阳光县第一中学"
    again = client.post("/api/v1/cases", json={"item_code": PERMIT, "applicant": APPLICANT, "request_id": "r" * 40},
                        headers=bearer(window))
    assert again.status_code == 201 and again.get_json()["id"] == case["id"]  # the same request twice: one case
    duplicate = client.post("/api/v1/cases", json={"item_code": PERMIT, "applicant": APPLICANT}, headers=bearer(window))
    assert "确认再次收件" in problem_of(duplicate, 409, "conflict")["detail"]
    # read it: by id, by number, in the list with filters
    by_number = client.get(f"/api/v1/cases/by-number/{case['number']}", headers=bearer(handler)).get_json()
    assert by_number["id"] == case["id"]
    listed = client.get(f"/api/v1/cases?state=received&item_code={PERMIT}&q={case['number'][-5:]}",
                        headers=bearer(handler)).get_json()
    assert [c["id"] for c in listed["items"]] == [case["id"]]
    assert client.get("/api/v1/cases?state=finished", headers=bearer(handler)).get_json()["total"] == 0
    today = clock.today().isoformat()
    assert client.get(f"/api/v1/cases?received_from={today}&received_to={today}",
                      headers=bearer(handler)).get_json()["total"] == 1
    # the window accepts with the form; a stale version is a conflict, not a lost update
    accept = _ready(client, window, case["id"])
    assert accept["step_id"] == "accept" and accept["can_work"] and not _ready(client, handler, case["id"])["can_work"]
    detail = client.get(f"/api/v1/tasks/{accept['id']}", headers=bearer(window)).get_json()
    assert {"project_name", "contract_amount"} <= {f["name"] for f in detail["form_fields"] if f["access"] == "write"}
    assert "permit_no" not in {f["name"] for f in detail["form_fields"]}  # hidden at this step
    stale = client.post(f"/api/v1/tasks/{accept['id']}/complete", headers=bearer(window),
                        json={"data": PERMIT_DATA, "expected_version": case["version"] - 1})
    problem_of(stale, 409, "stale_case")
    done = client.post(f"/api/v1/tasks/{accept['id']}/complete", headers=bearer(window),
                       json={"data": PERMIT_DATA, "opinion": "材料齐全，予以受理。", "expected_version": case["version"]})
    assert done.status_code == 200 and done.get_json()["state"] == "completed", done.get_data(as_text=True)
    # someone else's step: the service refuses
    review = _ready(client, window, case["id"])
    assert review["step_id"] == "review"
    problem_of(client.post(f"/api/v1/tasks/{review['id']}/complete", json={}, headers=bearer(window)), 403,
               "permission_denied")
    claimed = client.post(f"/api/v1/tasks/{review['id']}/claim", json={}, headers=bearer(handler)).get_json()
    assert claimed["assignee_name"] == "朱琳"
    todo = client.get("/api/v1/worklist?tab=todo", headers=bearer(handler)).get_json()
    assert review["id"] in [t["id"] for t in todo["items"]]
    client.post(f"/api/v1/tasks/{review['id']}/unclaim", json={}, headers=bearer(handler))
    assert client.get(f"/api/v1/tasks/{review['id']}", headers=bearer(handler)).get_json()["assignee_id"] is None
    # 退回 to the window with a reason, then it comes back
    back = client.post(f"/api/v1/tasks/{review['id']}/return", headers=bearer(handler),
                       json={"target_step": "accept", "reason": "规划许可证编号需核对"})
    assert [t["step_id"] for t in back.get_json()] == ["accept"]
    events = client.get(f"/api/v1/cases/{case['id']}/events", headers=bearer(handler)).get_json()
    assert [e["action"] for e in events][:3] == ["receive", "document", "complete"] or "return" in [
        e["action"] for e in events]
    assert events[-1]["action"] == "return" and events[-1]["reason"] == "规划许可证编号需核对"
    assert events[-1]["action_name"] == "退回"


def test_an_instant_case_is_handled_on_the_spot_with_its_form(client, token):
    clerk = token("sc001", departments=["scjgj"])
    data = {"operator_name": "张三", "operator_id": "11010519491231002X", "phone": "13800000000",
            "address": "阳光县城关镇", "business_scope": "小吃服务", "form_of_organisation": "个人经营",
            "capital": "50000", "employees": "2", "business_name": "张三小吃店", "license_no": "92530930MA6N8X0Q3X"}
    applicant = {"name": "张三", "cert_type": "111", "cert_number": "11010519491231002X", "phone": "13800000000"}
    refused = client.post("/api/v1/cases", headers=bearer(clerk),
                          json={"item_code": SHOP, "applicant": applicant, "materials": [1, 2, 3],
                                "data": {**data, "capital": "-5"}})
    assert "capital" in problem_of(refused, 422, "invalid_input")["errors"]
    assert client.get("/api/v1/cases", headers=bearer(clerk)).get_json()["total"] == 0  # nothing kept
    made = client.post("/api/v1/cases", headers=bearer(clerk),
                       json={"item_code": SHOP, "applicant": applicant, "materials": [1, 2, 3], "data": data})
    assert made.status_code == 201, made.get_data(as_text=True)
    case = made.get_json()
    assert case["state"] == "finished" and case["case_type"] == "instant" and case["data"]["business_name"] == "张三小吃店"
    problem_of(client.post("/api/v1/cases", headers=bearer(token("sc003", departments=["scjgj"])),
                           json={"item_code": SHOP, "applicant": applicant, "materials": [1, 2, 3], "data": data,
                                 "confirm_duplicate": True}), 403, "permission_denied")  # no window post


def test_case_operations_correction_resume_extension_and_withdraw(client, token, database):
    window = token("zj001")
    case = _start(client, window)
    corrected = client.post(f"/api/v1/cases/{case['id']}/correction", headers=bearer(window),
                            json={"missing": ["建设工程规划许可证复印件"], "expected_version": case["version"]})
    assert corrected.status_code == 200 and corrected.get_json()["pause_kind"] == "correction"
    pauses = client.get(f"/api/v1/cases/{case['id']}/pauses", headers=bearer(window)).get_json()
    assert pauses[0]["missing_materials"] == ["建设工程规划许可证复印件"]
    materials = client.get(f"/api/v1/cases/{case['id']}/materials", headers=bearer(window)).get_json()
    resumed = client.post(f"/api/v1/cases/{case['id']}/resume", headers=bearer(window),
                          json={"note": "已补齐", "received_materials": [m["id"] for m in materials]})
    assert resumed.status_code == 200 and resumed.get_json()["pause_kind"] is None
    accept = _ready(client, window, case["id"])
    client.post(f"/api/v1/tasks/{accept['id']}/complete", json={"data": PERMIT_DATA}, headers=bearer(window))
    # 延期: this item allows none (its law sets no extension); the reviewer is told so in Chinese
    with_reviewer = token("zj002")
    problem_of(client.post(f"/api/v1/cases/{case['id']}/extensions", headers=bearer(window),
                           json={"days": 2, "approver_id": _user_id(database, "zj003"), "reason": "需现场核查"}),
               403, "permission_denied")  # the window is not the current step's handler
    refused = client.post(f"/api/v1/cases/{case['id']}/extensions", headers=bearer(with_reviewer),
                          json={"days": 2, "approver_id": _user_id(database, "zj003"), "reason": "需现场核查"})
    assert "最多可延长 0 天" in problem_of(refused, 422, "invalid_input")["errors"]["days"][0]
    # 撤回 by the handler of the current step, with a reason
    problem = problem_of(client.post(f"/api/v1/cases/{case['id']}/withdraw", json={"reason": "  "},
                                     headers=bearer(with_reviewer)), 422, "invalid_input")
    assert CJK.search(problem["detail"])
    gone = client.post(f"/api/v1/cases/{case['id']}/withdraw", json={"reason": "申请人书面撤回"},
                       headers=bearer(with_reviewer))
    assert gone.get_json()["state"] == "withdrawn"
    problem_of(client.post(f"/api/v1/cases/{case['id']}/reject", json={"reason": "不符合条件"},
                           headers=bearer(with_reviewer)), 409, "invalid_state")


def test_extension_asked_and_decided_by_the_named_approver(client, token, database, run, company):
    food = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, food.id, As("sc001"), "accept")
    reviewer, head = token("sc003", departments=["scjgj"]), token("sc006", departments=["scjgj"])
    asked = client.post(f"/api/v1/cases/{food.id}/extensions", headers=bearer(reviewer),
                        json={"days": 5, "approver_id": _user_id(database, "sc006"), "reason": "需要补充核查"})
    assert asked.status_code == 201, asked.get_data(as_text=True)
    extension = asked.get_json()
    assert extension["state"] == "requested"
    problem_of(client.post(f"/api/v1/cases/{food.id}/extensions/{extension['id']}/decision",
                           headers=bearer(reviewer), json={"approve": True}), 403, "permission_denied")
    problem_of(client.post(f"/api/v1/cases/{food.id}/extensions/{extension['id']}/decision",
                           headers=bearer(head), json={"approve": False}), 422, "invalid_input")
    decided = client.post(f"/api/v1/cases/{food.id}/extensions/{extension['id']}/decision",
                          headers=bearer(head), json={"approve": True, "note": "同意"})
    assert decided.get_json()["state"] == "approved" and decided.get_json()["deadline_after"]
    assert client.get(f"/api/v1/cases/{food.id}", headers=bearer(head)).get_json()["extended_days"] == 5
    listed = client.get(f"/api/v1/cases/{food.id}/extensions", headers=bearer(head)).get_json()
    assert [e["state"] for e in listed] == ["approved"]


def _user_id(database, staff_no: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(User.id).where(User.staff_no == staff_no)).one()


def test_documents_and_materials_are_scoped_like_the_case_page(client, token):
    window, stranger = token("zj001"), token("ws001", departments=["wsjkj"])
    case = _start(client, window)
    # materials: the handler of the current step uploads a version, lists it, downloads it; a stranger cannot
    material = client.get(f"/api/v1/cases/{case['id']}/materials", headers=bearer(window)).get_json()[0]
    uploaded = client.post(f"/api/v1/cases/{case['id']}/materials/{material['id']}", headers=bearer(window),
                           data={"file": (io.BytesIO(PDF), "营业执照.pdf")}, content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    version = uploaded.get_json()["versions"][0]
    assert version["file_name"] == "营业执照.pdf" and version["mime"] == "application/pdf"
    with client.get(version["download"], headers=bearer(window)) as file:
        assert file.data == PDF
    problem_of(client.get(version["download"], headers=bearer(stranger)), 403, "permission_denied")
    fake = client.post(f"/api/v1/cases/{case['id']}/materials/{material['id']}", headers=bearer(window),
                       data={"file": (io.BytesIO(b"<html><script>x</script>"), "a.pdf")},
                       content_type="multipart/form-data")
    assert CJK.search(problem_of(fake, 422, "invalid_input")["detail"])
    # documents: only in the state they certify, only by the step's handler
    listed = client.get(f"/api/v1/cases/{case['id']}/documents", headers=bearer(window)).get_json()
    assert "acceptance_notice" not in listed["offered"]  # not before it is accepted
    problem_of(client.post(f"/api/v1/cases/{case['id']}/documents", json={"kind": "acceptance_notice"},
                           headers=bearer(window)), 409, "invalid_state")
    accept = _ready(client, window, case["id"])
    client.post(f"/api/v1/tasks/{accept['id']}/complete", json={"data": PERMIT_DATA}, headers=bearer(window))
    problem_of(client.post(f"/api/v1/cases/{case['id']}/materials/{material['id']}", headers=bearer(window),
                           data={"file": (io.BytesIO(PDF), "b.pdf")}, content_type="multipart/form-data"),
               403, "permission_denied")  # the step moved on: the window no longer uploads
    listed = client.get(f"/api/v1/cases/{case['id']}/documents", headers=bearer(window)).get_json()
    assert "acceptance_notice" in listed["offered"]
    made = client.post(f"/api/v1/cases/{case['id']}/documents", json={"kind": "acceptance_notice"},
                       headers=bearer(window))
    assert made.status_code == 201, made.get_data(as_text=True)
    doc = made.get_json()
    assert doc["title"] == "受理通知书" and doc["download"] == f"/api/v1/documents/{doc['id']}/file"
    with client.get(doc["download"], headers=bearer(window)) as file:
        assert file.status_code == 200 and file.mimetype.endswith("wordprocessingml.document")
        text = "".join(p.text for p in Document(io.BytesIO(file.data)).paragraphs)
    assert "阳光县第一中学" in text
    problem_of(client.get(doc["download"], headers=bearer(stranger)), 403, "permission_denied")
    problem_of(client.post(f"/api/v1/cases/{case['id']}/documents", json={"kind": "no_such_kind"},
                           headers=bearer(window)), 422, "invalid_input")
    problem_of(client.post(f"/api/v1/cases/{case['id']}/documents", json={"kind": "grant_decision"},
                           headers=bearer(window)), 403, "permission_denied")


def test_alerts_for_supervisors(client, token, database, company, run):
    food = run(start_case, FOOD, company, As("sc001"))
    with database.transaction() as s:
        dept = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
        s.add(Alert(rule_code="R01", level="warning", case_id=food.id, department_id=dept, message="受理超时",
                    created_at=clock.now()))
    supervisor = token("jw001", departments=["scjgj"])
    listed = client.get("/api/v1/alerts?level=warning&state=open", headers=bearer(supervisor)).get_json()
    assert [a["case_number"] for a in listed["items"]] == [food.number]
    alert_id = listed["items"][0]["id"]
    problem_of(client.get("/api/v1/alerts", headers=bearer(token("sc006", departments=["scjgj"]))), 403,
               "permission_denied")
    assert client.get("/api/v1/alerts", headers=bearer(token("jw002", departments=["zjj"]))).get_json()["total"] == 0
    acknowledged = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}, headers=bearer(supervisor))
    assert acknowledged.get_json()["state"] == "acknowledged"
    problem_of(client.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}, headers=bearer(supervisor)), 409,
               "invalid_state")
    dismissed = client.post(f"/api/v1/alerts/{alert_id}/dismiss", json={"reason": "经核实已按期受理"},
                            headers=bearer(supervisor))
    assert dismissed.get_json()["state"] == "dismissed" and dismissed.get_json()["handling_note"] == "经核实已按期受理"


# --- hostile input and errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, field", [
    ({"item_code": PERMIT}, "applicant"),
    ({"item_code": 12, "applicant": APPLICANT}, "item_code"),
    ({"item_code": "x" * 5000, "applicant": APPLICANT}, "item_code"),
    ({"item_code": PERMIT, "applicant": {**APPLICANT, "name": "阳光\x00中学"}}, "applicant.name"),
    ({"item_code": PERMIT, "applicant": {**APPLICANT, "cert_number": "123"}}, "applicant.cert_number"),
    ({"item_code": PERMIT, "applicant": {**APPLICANT, "phone": "１２３"}}, "applicant.phone"),
    ({"item_code": PERMIT, "applicant": APPLICANT, "materials": [-1]}, "materials.0"),
    ({"item_code": PERMIT, "applicant": APPLICANT, "materials": "all"}, "materials"),
    ({"item_code": PERMIT, "applicant": APPLICANT, "surprise": 1}, "surprise"),
    ({"item_code": PERMIT, "applicant": APPLICANT, "channel": "fax"}, "channel"),
    ([1, 2, 3], "_schema"),
])
def test_hostile_input_is_a_422_problem_in_chinese(client, token, body, field):
    secret = token("zj001")
    problem = problem_of(client.post("/api/v1/cases", json=body, headers=bearer(secret)), 422, "invalid_input")
    assert any(k == field or k.startswith(field) for k in problem["errors"]), problem
    for messages in problem["errors"].values():
        assert all(CJK.search(m) and not re.search(r"[A-Za-z]{5,}", m) for m in messages), problem


def test_hostile_numbers_and_queries(client, token):
    secret = token("zj001")
    case = _start(client, secret)
    accept = _ready(client, secret, case["id"])
    for data in ({"contract_amount": "NaN"}, {"contract_amount": 1e400}, {"floor_area": -5},
                 {"permit_no": "530930202609280101"}, {"nope": 1}):
        problem = problem_of(client.post(f"/api/v1/tasks/{accept['id']}/complete", json={"data": data},
                                         headers=bearer(secret)), 422, "invalid_input")
        assert all(CJK.search(m) for ms in problem["errors"].values() for m in ms), problem
    for query in ("page=0", "per_page=1000", "page=abc", "received_from=2026-13-01", "state=lost", "department=-1",
                  "page=99999999999999999999"):
        problem_of(client.get(f"/api/v1/cases?{query}", headers=bearer(secret)), 422, "invalid_input")
    assert client.get("/api/v1/cases?page=１", headers=bearer(secret)).status_code == 200  # full-width digits read
    problem_of(client.post(f"/api/v1/tasks/{accept['id']}/complete", data="{not json", content_type="application/json",
                           headers=bearer(secret)), 400, "bad_request")


def test_not_found_and_wrong_method_are_problems(client, token):
    secret = token("zj001")
    problem_of(client.get("/api/v1/cases/999999", headers=bearer(secret)), 404, "not_found")
    problem_of(client.get(f"/api/v1/cases/{2**63}", headers=bearer(secret)), 404, "not_found")
    problem_of(client.get(f"/api/v1/cases/{2**31}/tasks", headers=bearer(secret)), 404, "not_found")  # an Integer key
    problem_of(client.post(f"/api/v1/tasks/{2**40}/complete", json={}, headers=bearer(secret)), 404, "not_found")
    problem_of(client.get("/api/v1/cases/by-number/%00", headers=bearer(secret)), 404, "not_found")
    problem_of(client.get("/api/v1/no/such/thing", headers=bearer(secret)), 404, "not_found")
    problem_of(client.post("/api/v1/tasks/999999/claim", json={}, headers=bearer(secret)), 404, "not_found")
    wrong = problem_of(client.delete("/api/v1/cases", headers=bearer(secret)), 405, "method_not_allowed")
    assert wrong["title"] == "不支持的请求方法"
    assert client.get("/nope").mimetype == "text/html"  # the pages keep their own error pages


def test_who_may_act_is_settled_before_the_body_is_read(client, token, database):
    """Someone who may not act hears "not yours" (403), whatever they sent (the case page's rule)."""
    window, handler, stranger = token("zj001"), token("zj002"), token("ws001", departments=["wsjkj"])
    case = _start(client, window)
    accept = _ready(client, window, case["id"])
    garbage = {"data": "x", "surprise": True}
    for secret, path in ((handler, f"/tasks/{accept['id']}/complete"), (handler, f"/cases/{case['id']}/correction"),
                         (handler, f"/cases/{case['id']}/documents"), (stranger, f"/tasks/{accept['id']}/claim"),
                         (stranger, f"/cases/{case['id']}/withdraw"), (window, "/alerts/1/dismiss"),
                         (token("zj002"), "/cases")):
        problem_of(client.post("/api/v1" + path, json=garbage, headers=bearer(secret)), 403, "permission_denied")
    # the one who may, sending the same, hears what is wrong with it
    problem_of(client.post(f"/api/v1/tasks/{accept['id']}/complete", json=garbage, headers=bearer(window)), 422,
               "invalid_input")


def test_too_large_and_internal_errors_are_problems_without_a_traceback(database, settings, token, monkeypatch):
    from webapp import create_app
    from webapp.api import catalogue

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True,
                      "MAX_CONTENT_LENGTH": 1024})
    try:
        client, secret = app.test_client(), token("zj001")
        big = client.post("/api/v1/cases", data="x" * 4096, content_type="application/json", headers=bearer(secret))
        assert "1 KB" in problem_of(big, 413, "too_large")["detail"]

        def broken(item):
            raise RuntimeError("database exploded")
        monkeypatch.setattr(catalogue, "item_detail", broken)
        failed = client.get(f"/api/v1/items/{PERMIT}", headers=bearer(secret))
        assert "database exploded" not in problem_of(failed, 500, "server_error")["detail"]
    finally:
        app.extensions["sunhall_db"].dispose()


def test_the_document_is_openapi_3_served_without_a_ui(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.0") and document["info"]["title"] == "阳光政务大厅接口"
    assert "/api/v1/cases" in document["paths"] and "/api/v1/tasks/{task_id}/complete" in document["paths"]
    problem = document["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert "application/problem+json" in problem
    for path in ("/api/v1/swagger-ui", "/api/v1/redoc", "/api/v1/rapidoc"):
        assert client.get(path).status_code == 404


def test_an_external_cases_tasks_cannot_be_claimed_or_worked(app, run, database, frozen_clock):
    """A reported case is worked in its department's own system: its open step says can_claim and
    can_work false (every command answers 409), even to a person who holds the step's post."""
    from datetime import datetime

    from engine.exchange import report
    from engine.models import CaseTask

    at = datetime(2026, 9, 25, 9, 30, tzinfo=clock.LOCAL_TZ)
    with database.transaction(write=False) as s:
        dept = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
    data = {"external_id": "SPXK-API-1", "item_code": FOOD, "applicant": dict(APPLICANT), "received_at": at,
            "accepted_at": at, "steps": [{"id": "s1", "code": "decide", "name": "决定", "post": "approve",
                                           "started_at": at, "time_limit": 3}]}
    outcome = run(lambda s, actor: report.report_case(s, actor, report.Reporter("scj-spxk", (dept,)), data),
                  As("sc001"))
    with database.transaction(write=False) as s:
        task_id = s.scalars(select(CaseTask.id).where(CaseTask.case_id == outcome.case.id)).one()
    client = app.test_client()
    login(client, "sc006")  # holds 批准 (approve) at 市场监管局
    one = client.get(f"/api/v1/tasks/{task_id}")
    assert one.status_code == 200, one.get_data(as_text=True)
    assert (one.get_json()["can_claim"], one.get_json()["can_work"]) == (False, False)
    listed = client.get(f"/api/v1/cases/{outcome.case.id}/tasks").get_json()
    rows = listed["items"] if isinstance(listed, dict) else listed
    assert rows and all(not r["can_claim"] and not r["can_work"] for r in rows)
