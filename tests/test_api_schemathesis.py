"""Schemathesis against /api/v1/openapi.json (issue #14: "Schemathesis against /api/v1/openapi.json
passes in CI: 0 5xx, schemas conform"). Requests generated from the document itself (valid and
invalid ones) are sent to the real app on the real database, authenticated with a token that reads
and writes in every department of the demo county; each response must be no server error and match
its documented status code, content type and schema. A second test walks a real case through its
steps and checks every response against the document too (generated ids rarely name a real case).

Kept fast for CI (it runs on SQLite and on PostgreSQL): few examples per operation, derandomized so
a failure reproduces, no deadline (the first request of an operation warms caches)."""

from __future__ import annotations

import io

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, select

from engine import apitokens
from engine.models import ApiToken, Department, User
from engine.service import start_case
from tests.conftest import As

EXAMPLES = 10  # per operation and mode: ~40 operations × 2 modes, about 25 s on SQLite
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PERMIT = "015309300004"
FOOD = "015309300002"
PERMIT_DATA = {"project_name": "阳光县第一中学教学楼", "builder": "阳光县第一中学", "builder_code": "91530930MA6N8X0Q31",
               "contractor": "云南建工集团有限公司", "site": "阳光县城关镇学府路 1 号", "contract_amount": 5000000,
               "floor_area": 3200, "planning_permit_no": "建字第530930202600012号"}


def _issue(run, staff_no: str) -> str:
    def go(s, admin):
        user = s.scalars(select(User).where(User.staff_no == staff_no)).one()
        everywhere = list(s.scalars(select(Department.id)))
        return apitokens.issue(s, admin, name=f"接口测试（{staff_no}）", user_id=user.id, department_ids=everywhere,
                               verbs=["read", "write"])
    return run(go, As("admin"))[1]


@pytest.fixture
def api_token(run, database, company, person):
    """The administrator's token (sees every case and every alert), with a few real cases to list."""
    run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    run(start_case, PERMIT, person, As("zj001"))
    secret = _issue(run, "admin")
    yield secret
    with database.transaction() as s:
        s.execute(delete(ApiToken))


def test_every_operation_conforms_to_the_document(app, api_token):
    """Every operation, valid and invalid requests: 0 server errors, documented statuses, content
    types and schemas. All operations run; the failures are reported together."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 35
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def exercise(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                exercise()
            except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; all failures are listed
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


def test_a_real_case_answers_as_documented(app, run, database, company):
    """The responses about a real case, its steps, documents and materials match the document."""
    document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    client = app.test_client()
    tokens = {}
    try:
        tokens = {who: _issue(run, who) for who in ("zj001", "zj002", "admin")}

        def call(method: str, template: str, who: str = "zj001", expect: int = 200, **kwargs):
            path = template.format(**kwargs.pop("ids", {}))
            response = client.open(path, method=method, headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)
            document[template][method].validate_response(response)
            assert response.status_code == expect, response.get_data(as_text=True)
            return response

        call("GET", "/api/v1/items", query_string={"per_page": 100})
        item = call("GET", "/api/v1/items/{code}", ids={"code": PERMIT}).get_json()
        applicant = {"name": company.name, "type": company.type, "cert_type": company.cert_type,
                     "cert_number": company.cert_number, "contact_name": company.contact_name, "phone": company.phone}
        case = call("POST", "/api/v1/cases", json={"item_code": PERMIT, "applicant": applicant,
                                                   "materials": list(range(1, len(item["materials"]) + 1))}, expect=201).get_json()
        ids = {"case_id": case["id"]}
        call("GET", "/api/v1/cases/{case_id}", ids=ids)
        call("GET", "/api/v1/cases/by-number/{number}", ids={"number": case["number"]})
        tasks = call("GET", "/api/v1/cases/{case_id}/tasks", ids=ids).get_json()
        task = {"task_id": tasks[0]["id"]}
        call("GET", "/api/v1/tasks/{task_id}", ids=task)
        call("GET", "/api/v1/worklist", query_string={"tab": "todo"})
        materials = call("GET", "/api/v1/cases/{case_id}/materials", ids=ids).get_json()
        call("POST", "/api/v1/cases/{case_id}/materials/{material_id}",
             ids={**ids, "material_id": materials[0]["id"]},
             data={"file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "a.pdf")}, content_type="multipart/form-data", expect=201)
        call("POST", "/api/v1/tasks/{task_id}/claim", ids=task, json={})
        call("POST", "/api/v1/tasks/{task_id}/complete", ids=task, json={"data": {"nope": 1}}, expect=422)
        call("POST", "/api/v1/cases/{case_id}/correction", ids=ids, json={"missing": ["施工合同"]})
        call("GET", "/api/v1/cases/{case_id}/pauses", ids=ids)
        call("POST", "/api/v1/cases/{case_id}/resume", ids=ids, json={"note": "已补齐"})
        call("POST", "/api/v1/tasks/{task_id}/complete", ids=task, json={"data": PERMIT_DATA})
        documents = call("GET", "/api/v1/cases/{case_id}/documents", ids=ids).get_json()
        doc = call("POST", "/api/v1/cases/{case_id}/documents", ids=ids, json={"kind": "acceptance_notice"},
                   expect=201).get_json()
        with call("GET", "/api/v1/documents/{doc_id}/file", ids={"doc_id": doc["id"]}):
            pass
        call("GET", "/api/v1/documents/{doc_id}", ids={"doc_id": doc["id"]})
        assert documents["documents"], "the 补正材料告知书 came with the 补正"
        call("GET", "/api/v1/cases/{case_id}/events", ids=ids)
        call("GET", "/api/v1/cases/{case_id}/extensions", ids=ids)
        call("GET", "/api/v1/cases", who="admin", query_string={"per_page": 100})
        call("GET", "/api/v1/alerts", who="admin")
        call("GET", "/api/v1/me", who="zj002")
        call("POST", "/api/v1/cases/{case_id}/withdraw", who="zj002", ids=ids, json={"reason": "申请人撤回"})
    finally:
        with database.transaction() as s:
            s.execute(delete(ApiToken))
