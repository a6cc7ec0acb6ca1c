"""Every route × every role × the case states that matter: who may, who may not, and that a refused
command keeps nothing.

The table below is the specification of authority. The test fails when the application has a route
the table does not name, so a new route cannot ship without saying who may use it.

Outcomes: ``ok`` — the role is authorised (the answer is not 401/403 and never 5xx; it may still be
a 4xx about the data or the state); ``no`` — refused: 403 (or 404 where the thing is not the
role's to know about) with nothing changed; anonymous visitors are sent to the login page
(or get 401/403), except on public routes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from engine.disclosure import publish
from engine.disclosure import service as gk
from engine.models import Case, CaseEvent, CaseExtension, CaseTask, Department, User
from engine.qa import service as qa
from engine.service import request_extension, start_case
from forms.intake import handle_instant
from forms.models import CaseDocument, CaseMaterial

from .conftest import As, faq_snapshot
from .helpers import do
from .webhelpers import login_without_csrf as login

FOOD, SHOP = "015309300002", "075309300001"
ROLES = {"window": "sc001", "handler": "sc003", "leader": "sc006", "other_dept": "ws001", "supervisor": "jw001",
         "designer": "xz001", "legal": "sf001", "admin": "admin"}
STAFF = tuple(ROLES)
SEES_CASE = {"window", "handler", "leader", "supervisor", "admin"}  # the case's department, 纪委监委, admin

PUBLIC = "public"


@dataclass(frozen=True)
class Rule:
    method: str
    allowed: frozenset | str  # roles that may, or PUBLIC
    state: str | None = None  # the case state the row is about (case routes)
    data: tuple = ()


def allow(*roles):
    return frozenset(roles)


ALL_STAFF = allow(*STAFF)
NOBODY = allow()

# endpoint -> rules (case routes: one per state)
MATRIX: dict[str, list[Rule]] = {
    "health.healthz": [Rule("GET", PUBLIC)],
    "static": [Rule("GET", PUBLIC)],
    "favicon": [Rule("GET", PUBLIC)],
    "auth.login": [Rule("GET", PUBLIC), Rule("POST", PUBLIC)],
    "auth.logout": [Rule("POST", ALL_STAFF)],
    "workbench.online_applications": [Rule("GET", ALL_STAFF)],
    # 政务服务专栏: anyone; an application opens only with its 查询码 (tests/test_portal.py)
    **{f"portal.{name}": [Rule("GET", PUBLIC)] for name in (
        "index", "items", "item", "item_faq", "item_forms", "item_form_file", "item_results", "elder_mode", "receipt",
        "my_application_page", "application_document", "search", "hall", "publicity")},
    **{f"portal.{name}": [Rule("GET", PUBLIC), Rule("POST", PUBLIC)] for name in (
        "item_apply", "progress", "my_application")},
    **{f"portal.{name}": [Rule("POST", PUBLIC)] for name in ("supply_correction", "leave_application")},
    # 在线咨询, 常见问题, 投诉: anyone; a question or a complaint opens only with its 查询码 (tests/test_portal_qa.py)
    **{f"portal.{name}": [Rule("GET", PUBLIC)] for name in (
        "questions", "question", "question_receipt", "my_question", "faq_library", "faq_category", "faq_entry",
        "complaint_receipt")},
    **{f"portal.{name}": [Rule("GET", PUBLIC), Rule("POST", PUBLIC)] for name in (
        "question_ask", "question_lookup", "complaint_new", "complaint_lookup")},
    "portal.leave_questions": [Rule("POST", PUBLIC)],
    # 政府信息公开专栏: anyone; a request opens only with its 查询码 (tests/test_portal_disclosure.py)
    **{f"portal.{name}": [Rule("GET", PUBLIC)] for name in (
        "gk_index", "gk_entries", "gk_body", "gk_entry", "gk_entry_file", "gk_reports", "gk_report",
        "gk_receipt", "gk_mine", "gk_document")},
    **{f"portal.{name}": [Rule("GET", PUBLIC), Rule("POST", PUBLIC)] for name in ("gk_apply", "gk_lookup")},
    **{f"portal.{name}": [Rule("POST", PUBLIC)] for name in ("gk_correction", "gk_leave")},
    # 在线解答 at the workbench: a question sent to 市场监管, waiting at 办理答复 (tests/test_qa_staff_web.py)
    "workbench.questions": [Rule("GET", ALL_STAFF)],
    "workbench.question_new": [Rule("GET", ALL_STAFF), Rule("POST", ALL_STAFF)],
    "workbench.question_registered": [Rule("GET", ALL_STAFF)],  # the registration just made, shown once
    "workbench.question_page": [Rule("GET", allow(*SEES_CASE), "question")],
    **{f"workbench.{name}": [Rule("POST", allow(*roles), "question")] for name, roles in (
        ("question_answer", ("handler",)), ("question_forward", ("handler",)), ("question_complex", ("handler", "leader")),
        ("question_extend", ("leader",)), ("question_explain", ("handler", "leader")),
        ("question_promote", ("handler", "leader", "admin")),
        ("question_review", ()), ("question_dispatch", ()))},  # the review post (sc005) and the 政府办 (zf002) only
    # the FAQ library: its departments write their entries (entry 1 is 市场监管's); administrators keep the tree
    "workbench.faq_entries": [Rule("GET", ALL_STAFF)],
    "workbench.faq_new": [Rule("GET", allow("handler", "leader", "admin", "legal")),
                          Rule("POST", allow("handler", "leader", "admin", "legal"))],
    "workbench.faq_edit": [Rule("GET", allow("handler", "leader", "admin")),
                           Rule("POST", allow("handler", "leader", "admin"))],
    "workbench.faq_withdraw": [Rule("POST", allow("handler", "leader", "admin"))],
    "workbench.faq_categories": [Rule("GET", allow("admin"))],
    "workbench.faq_category_add": [Rule("POST", allow("admin"))],
    "workbench.faq_category_rename": [Rule("POST", allow("admin"))],
    "workbench.faq_category_delete": [Rule("POST", allow("admin"))],  # category 1 has sub-categories: refused, kept
    "workbench.index": [Rule("GET", ALL_STAFF)],
    "workbench.intake_items": [Rule("GET", ALL_STAFF)],
    "workbench.intake": [Rule("GET", allow("window", "admin"))],
    # reading a case: its department, the supervisors, the administrator
    "workbench.case_page": [Rule("GET", allow(*SEES_CASE), s) for s in ("received", "accepted", "finished")],
    "workbench.archive_cases": [Rule("GET", ALL_STAFF)],
    **{ep: [Rule("GET", allow("admin"))]
       for ep in ("admin.org", "admin.department", "admin.department_new", "admin.posts", "admin.user", "admin.user_new",
                  "admin.roles", "admin.tokens", "admin.outbox", "admin.import_form", "admin.import_template")},
    **{ep: [Rule("POST", allow("admin"))]
       for ep in ("admin.region_new", "admin.region_rename", "admin.department_create", "admin.department_update",
                  "admin.department_deactivate", "admin.department_activate", "admin.post_create", "admin.post_rename",
                  "admin.post_delete", "admin.user_create", "admin.user_update", "admin.user_roles", "admin.user_disable",
                  "admin.user_enable", "admin.user_reset", "admin.token_issue", "admin.token_revoke",
                  "admin.feed_requeue", "admin.notification_requeue", "admin.import_check", "admin.import_confirm")},
    # REST API /api/v1 (tests/test_api.py tests tokens; these rows the signed-in session). POST bodies are
    # form-encoded here: who may not act gets 403 before the body is read; who may gets a 4xx about the body.
    "api-docs.openapi_json": [Rule("GET", PUBLIC)],
    **{f"api_{ep}": [Rule("GET", ALL_STAFF)] for ep in (
        "items.list_items", "items.get_item", "tasks.whoami", "tasks.worklist", "cases.list_cases",
        "cases.get_case_by_number")},
    "api_cases.start": [Rule("POST", allow("window", "other_dept", "designer", "admin"))],  # a window post anywhere
    **{f"api_{ep}": [Rule("GET", allow(*SEES_CASE), s) for s in ("received", "accepted", "finished")] for ep in (
        "cases.get_case", "cases.case_tasks", "cases.case_events", "cases.case_pauses", "cases.case_extensions",
        "documents.case_documents", "documents.case_materials")},
    **{f"api_{ep}": [Rule("GET", allow(*SEES_CASE), "received")] for ep in (
        "tasks.get_task", "documents.get_document", "documents.document_file", "documents.material_file")},
    **{f"api_cases.{ep}": [Rule("POST", allow("window"), "received"), Rule("POST", allow("handler"), "accepted")]
       for ep in ("correction", "suspend_case", "resume_case", "return_case", "reject_case", "withdraw_case")},
    "api_cases.ask_extension": [Rule("POST", allow("handler"), "accepted")],
    "api_cases.decide": [Rule("POST", allow("leader"), "extension")],
    **{f"api_tasks.{ep}": [Rule("POST", allow("window"), "received")]
       for ep in ("complete", "claim_task", "transfer_task", "return_task")},
    **{f"api_tasks.{ep}": [Rule("POST", allow("leader", "admin"), "received")] for ep in ("unclaim_task", "assign_task")},
    "api_documents.issue_document": [Rule("POST", allow("window"), "received")],
    "api_documents.upload_material": [Rule("POST", allow("window"), "received")],
    "api_alerts.list_alerts": [Rule("GET", allow("supervisor", "admin"))],
    "api_alerts.get_alert": [Rule("GET", allow("supervisor", "admin"))],
    **{f"api_alerts.{ep}": [Rule("POST", allow("supervisor", "admin"))]
       for ep in ("acknowledge_alert", "dismiss_alert", "resolve_alert", "supervise_alert")},
    "exchange.report_case": [Rule("POST", NOBODY)],  # a department system's token with the report verb only
    "exchange.read_case": [Rule("GET", NOBODY)],
    "auth.sso_login": [Rule("GET", PUBLIC)],
    "auth.sso_callback": [Rule("GET", PUBLIC)],
    "auth.sso_logged_out": [Rule("GET", PUBLIC)],
    "auth.change_password": [Rule("GET", ALL_STAFF), Rule("POST", ALL_STAFF)],
    "workbench.archive_case": [Rule("GET", allow(*SEES_CASE), "finished")],
    "workbench.archive_file": [Rule("GET", allow(*SEES_CASE), "finished")],
    "workbench.deadline_json": [Rule("GET", allow(*SEES_CASE), "accepted")],
    "workbench.diagram": [Rule("GET", allow(*SEES_CASE), "accepted")],
    "workbench.download_document": [Rule("GET", allow(*SEES_CASE), "finished")],
    "workbench.print_document": [Rule("GET", allow(*SEES_CASE), "finished")],
    "workbench.material_file": [Rule("GET", allow(*SEES_CASE), "finished")],
    # working a step: only whoever holds the current step's post (the window at 受理, 材料审查 after it)
    **{ep: [Rule("POST", allow("window"), "received"), Rule("POST", allow("handler"), "accepted"),
            Rule("POST", NOBODY, "finished")]
       for ep in ("workbench.complete", "workbench.claim_task", "workbench.return_task", "workbench.transfer_task",
                  "workbench.correction", "workbench.suspend_case", "workbench.extend_case",
                  "workbench.resume_case", "workbench.upload_material")},
    "workbench.reject_case": [Rule("POST", allow("window"), "received"), Rule("POST", allow("handler"), "accepted"),
                              Rule("POST", NOBODY, "finished")],
    "workbench.withdraw_case": [Rule("POST", allow("window"), "received"), Rule("POST", allow("handler"), "accepted"),
                                Rule("POST", NOBODY, "finished")],
    # an extension is decided by the approver named in the request, nobody else
    "workbench.decide_extension_view": [Rule("POST", allow("leader"), "extension", (("decision", "approve"),))],
    # documents: the handler of the step that produces them, in the state they certify
    "workbench.make_document": [
        Rule("POST", NOBODY, "received", (("kind", "acceptance_notice"),)),
        Rule("POST", allow("window"), "accepted", (("kind", "acceptance_notice"),)),
        Rule("POST", NOBODY, "accepted", (("kind", "grant_decision"),)),
        Rule("POST", allow("window"), "finished", (("kind", "grant_decision"),)),
        Rule("POST", allow("window"), "finished", (("kind", "case_file"),)),
    ],
    # the catalogue is read by all staff; designers change it
    "catalogue.items": [Rule("GET", ALL_STAFF)],
    "catalogue.item": [Rule("GET", ALL_STAFF)],
    "catalogue.flow_versions": [Rule("GET", ALL_STAFF)],
    "catalogue.export_version": [Rule("GET", ALL_STAFF)],
    "catalogue.change": [Rule("GET", ALL_STAFF)],
    "catalogue.change_diagram": [Rule("GET", ALL_STAFF)],
    "catalogue.edit": [Rule("GET", allow("designer", "admin")), Rule("POST", allow("designer", "admin"))],
    "catalogue.status": [Rule("POST", allow("designer", "admin"))],
    # 依申请公开 at the workbench: a request to 市场监管局 waiting at 审查并交办 (tests/test_disclosure_staff_web.py)
    "workbench.gk_requests": [Rule("GET", ALL_STAFF)],
    "workbench.gk_request_registered": [Rule("GET", ALL_STAFF)],
    "workbench.gk_request_new": [Rule("GET", allow("window", "other_dept")), Rule("POST", allow("window", "other_dept"))],
    "workbench.gk_request": [Rule("GET", allow(*SEES_CASE), "gk_request")],
    **{f"workbench.{name}": [Rule("POST", allow(*roles), "gk_request")] for name, roles in (
        ("gk_review", ("handler",)), ("gk_correction", ("handler",)), ("gk_extend", ("handler",)),
        ("gk_withdraw", ("handler",)), ("gk_supply", ("window", "handler", "leader")),
        ("gk_body_answer", ()), ("gk_secrecy", ()), ("gk_consult", ()), ("gk_reply", ()), ("gk_draft", ()),
        ("gk_comment", ()), ("gk_approve", ()), ("gk_deliver", ()), ("gk_extension_decide", ()),
        ("gk_fee_notice", ()), ("gk_fee_paid", ()))},
    # 主动公开: a draft of 市场监管局 at 拟稿
    "workbench.gk_publications": [Rule("GET", ALL_STAFF)],
    "workbench.gk_publication_new": [Rule("GET", allow("handler")), Rule("POST", allow("handler"))],
    "workbench.gk_publication": [Rule("GET", allow(*SEES_CASE), "gk_publication")],
    "workbench.gk_publication_file": [Rule("GET", allow(*SEES_CASE), "gk_publication")],
    "workbench.gk_publication_change": [Rule("GET", allow("handler"), "gk_publication"),
                                        Rule("POST", allow("handler"), "gk_publication")],
    **{f"workbench.{name}": [Rule("POST", allow(*roles), "gk_publication")] for name, roles in (
        ("gk_publication_submit", ("handler",)), ("gk_publication_attach", ("handler",)),
        ("gk_publication_detach", ("handler",)), ("gk_publication_withdraw", ("leader",)),
        ("gk_publication_abolish", ("leader",)), ("gk_publication_secrecy", ()),
        ("gk_publication_third_party", ()), ("gk_publication_decide", ()))},
    # a body's 指南, 复议/诉讼 and report texts: read by its staff, kept by its head or approve post
    **{f"workbench.{name}": [Rule("GET", allow("window", "handler", "leader", "other_dept")),
                             Rule("POST", allow("leader"))] for name in ("gk_guide", "gk_appeals", "gk_report_text")},
    "workbench.gk_appeal": [Rule("GET", NOBODY), Rule("POST", NOBODY)],  # no such appeal: 404 for everyone
    "catalogue.designer_new": [Rule("GET", allow("designer", "admin"))],
    "catalogue.designer": [Rule("GET", allow("designer", "admin"))],
    "catalogue.designer_xml": [Rule("GET", allow("designer", "admin"))],
    "catalogue.designer_save": [Rule("POST", allow("designer", "admin"))],
    "catalogue.designer_submit": [Rule("POST", allow("designer", "admin"))],
    # supervision: 纪委监委 and the administrator
    **{ep: [Rule("GET", allow("supervisor", "admin"))]
       for ep in ("supervision.dashboard", "supervision.incident_list", "supervision.alerts", "supervision.rules",
                  "supervision.sampling", "supervision.performance",
                  "supervision.performance_xlsx", "supervision.qa_questions", "supervision.qa_report_page",
                  "supervision.qa_report_xlsx", "supervision.qa_report_print", "supervision.qa_report_docx",
                  "supervision.gk_overview", "supervision.gk_report_page", "supervision.gk_report_docx",
                  "supervision.gk_report_xlsx", "supervision.gk_report_cases")},
    "supervision.qa_question": [Rule("GET", allow("supervisor", "admin"), "question")],
    "supervision.case_replay": [Rule("GET", allow("supervisor", "admin"), "accepted")],
    "supervision.alert_action": [Rule("POST", allow("supervisor", "admin"))],
    "supervision.rule": [Rule("GET", allow("supervisor", "admin")), Rule("POST", allow("supervisor", "admin"))],
    "supervision.complaint_list": [Rule("GET", allow("supervisor", "admin")), Rule("POST", allow("supervisor", "admin"))],
    "supervision.complaint_action": [Rule("POST", allow("supervisor", "admin"))],
    # administration
    **{ep: [Rule("GET", allow("admin"))]
       for ep in ("admin.dashboard", "admin.calendar", "admin.year", "admin.users", "admin.log")},
    **{ep: [Rule("POST", allow("admin"))]
       for ep in ("admin.preview", "admin.confirm", "admin.change_day", "admin.unlock")},
}


class Cases:
    """Fresh cases in each state, made through the services as a clerk would."""

    def __init__(self, run, database, company, person):
        self.run, self.database, self.company, self.person = run, database, company, person

    def make(self, state: str) -> int:
        run, database = self.run, self.database
        if state == "question":
            with database.transaction(write=False) as s:
                scjgj = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
            return run(lambda s: qa.ask(s, qa.Asking(title="开饭店要办什么证", content="需要办哪些证照？", name="王小明",
                                                     phone="13800001111", consent_public=True,
                                                     department_id=scjgj))[0].case_id)
        if state == "gk_request":
            with database.transaction(write=False) as s:
                scjgj = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
            return run(lambda s: gk.file_request(s, gk.Requesting(
                name="王小明", requester_kind="natural", cert_type="111", cert_number="11010519491231002X",
                phone="13800001111", description="请公开2026年食品安全抽检计划。", delivery="pickup",
                department_id=scjgj))[0].case_id)
        if state == "gk_publication":
            with database.transaction(write=False) as s:
                scjgj = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
            return run(lambda s, actor: publish.start(s, actor, publish.Drafting(
                department_id=scjgj, title="2026年食品安全抽检计划", category="10", theme="08",
                written_on="2026-09-25", body="抽检计划正文。")).case_id, As("sc003"))
        if state == "finished":
            data = {"operator_name": "张三", "operator_id": "11010519491231002X", "phone": "13800000000",
                    "address": "阳光县城关镇", "business_scope": "小吃服务", "form_of_organisation": "个人经营",
                    "capital": "50000", "employees": "2", "business_name": "张三小吃店"}
            case = run(handle_instant, SHOP, self.person, As("sc001"), data, received={1, 2, 3})
            return case.id
        case = run(start_case, FOOD, self.company, As("sc001"), data={"prepackaged_only": False})
        if state in ("accepted", "extension"):
            do(run, database, case.id, As("sc001"), "accept")
        if state == "extension":
            with database.transaction(write=False) as s:
                leader_id = s.scalars(select(User.id).where(User.staff_no == "sc006")).one()
            run(request_extension, case.id, As("sc003"), 5, leader_id, "需要专家论证。")
        return case.id


def fingerprint(database, case_id: int | None) -> tuple:
    """What a refused command must leave untouched."""
    with database.transaction(write=False) as s:
        counts = tuple(s.scalar(select(func.count()).select_from(m)) for m in (Case, CaseEvent, CaseDocument, CaseMaterial))
        if case_id is None:
            return counts
        case = s.get(Case, case_id)
        tasks = tuple(s.execute(select(CaseTask.id, CaseTask.state, CaseTask.assignee_id)
                                .where(CaseTask.case_id == case_id).order_by(CaseTask.id)).all())
        return counts + (case.version, case.state, case.pause_kind, case.event_count, tasks)


def _ensure_archive(database, case_id: int, settings) -> str:
    from forms import archive as packaging
    with database.transaction() as s:
        admin = s.scalars(select(User).where(User.staff_no == "admin")).one()
        return packaging.export_case(s, case_id, admin, settings.instance_dir / "archive").number


def _url(app, endpoint: str, ctx: dict, data: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: data.get(name, ctx.get(name)) for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **values)


def _context(database, case_id: int | None) -> dict:
    ctx = {"code": FOOD, "key": "food_business_license", "version": 1, "year": 2026, "filename": "sunhall.css",
           "change_id": 1, "alert_id": 1, "complaint_id": 1, "action": "acknowledge", "kind": "case_file",
           "doc_id": 1, "task_id": 1, "material_id": 1, "extension_id": 1, "rule_id": 1,
           "number": "WS53093020261128000001", "document_id": 1, "form_code": "SP-01", "fmt": "pdf",
           "category_id": 1, "entry_id": 1, "index_no": "NOSUCH-03-2026-00001", "n": 1, "dept_code": "zfb",
           "request_id": 1, "publication_id": 1, "appeal_id": 1, "sha256": "0" * 64,
           "staff_no": "nobody", "dept_id": 1, "post_id": 1, "region_id": 1, "token_id": 1, "message_id": 1, "note_id": 1,
           "external_id": "NOSUCH-1"}
    if case_id is None:
        return ctx
    with database.transaction(write=False) as s:
        ctx["case_id"] = case_id
        tasks = list(s.scalars(select(CaseTask).where(CaseTask.case_id == case_id).order_by(CaseTask.id)))
        ready = [t for t in tasks if t.state == "ready"]
        ctx["task_id"] = (ready or tasks)[-1].id
        material = s.scalars(select(CaseMaterial).where(CaseMaterial.case_id == case_id)).first()
        ctx["material_id"] = material.id if material else 1
        extension = s.scalars(select(CaseExtension).where(CaseExtension.case_id == case_id)).first()
        ctx["extension_id"] = extension.id if extension else 1
        question = qa.of_case(s, case_id)
        if question is not None:
            ctx["question_id"], ctx["turn_id"] = question.id, question.turns[0].id
        request = gk.of_case(s, case_id)
        if request is not None:
            ctx["request_id"] = request.id
        entry = publish.of_case(s, case_id)
        if entry is not None:
            ctx["publication_id"] = entry.id
    return ctx


def _ensure_document(database, case_id: int, settings) -> int:
    from forms import documents
    with database.transaction() as s:
        doc = s.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)).first()
        if doc is None:
            case = s.get(Case, case_id)
            doc = documents.produce(s, case, "case_file", None, settings.instance_dir)
        return doc.id


def _request(client, method: str, url: str, data: dict):
    form = {k: v for k, v in data.items() if k not in ("kind",)}
    form.setdefault("reason", "测试理由")
    response = client.get(url) if method == "GET" else client.post(url, data=form)
    response.get_data()  # read whole (files are streamed) and closed, like a browser does
    response.close()
    return response


def _sent_to_login(client, response) -> bool:
    for _ in range(3):
        if response.status_code in (401, 403):
            return True
        if response.status_code != 302:
            return False
        if "/login" in response.location:
            return True
        response = client.get(response.location)
    return False


@pytest.fixture(scope="module", autouse=True)
def _library_back(database):
    """The FAQ routes add, edit and withdraw entries and categories: the demo library comes back after."""
    restore = faq_snapshot(database)
    yield
    restore()


@pytest.fixture(scope="module")
def app(database, settings):
    """One app for the module, and one signed-in browser per role (signing in is the slow part)."""
    from webapp import create_app

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir,
                      "TESTING": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    yield app
    app.extensions["sunhall_db"].dispose()


_signed_in: dict[str, object] = {}


def signed_in(app, role: str):
    if role not in _signed_in:
        _signed_in[role] = app.test_client()
        login(_signed_in[role], ROLES[role])
    return _signed_in[role]


def test_the_table_names_every_route(app):
    routes = {r.endpoint for r in app.url_map.iter_rules()}
    assert routes - set(MATRIX) == set(), "routes without an authority rule"


CASES = [(endpoint, i) for endpoint, rules in MATRIX.items() for i in range(len(rules))]


@pytest.mark.parametrize(("endpoint", "index"), CASES, ids=[f"{e}-{i}" for e, i in CASES])
def test_route_role_state(endpoint, index, app, database, settings, run, company, person):
    rule = MATRIX[endpoint][index]
    if endpoint == "auth.logout":
        _signed_in.clear()  # logging out ends every copy of the session: sign in afresh, before and after
    data = dict(rule.data)
    cases = Cases(run, database, company, person)
    case_id = cases.make(rule.state) if rule.state else None
    ctx = _context(database, case_id)
    if case_id and endpoint in ("workbench.download_document", "workbench.print_document",
                                "api_documents.get_document", "api_documents.document_file"):
        ctx["doc_id"] = _ensure_document(database, case_id, settings)
    if case_id and endpoint in ("workbench.archive_case", "workbench.archive_file"):
        ctx["number"], ctx["index"] = _ensure_archive(database, case_id, settings), 0
    url = _url(app, endpoint, ctx, data)
    # anonymous first
    visitor = app.test_client()
    anon = _request(visitor, rule.method, url, data)
    if rule.allowed == PUBLIC:
        assert anon.status_code < 500 and anon.status_code not in (401, 403), (url, anon.status_code)
        return
    assert _sent_to_login(visitor, anon), (url, anon.status_code)
    # every role that may not: refused, nothing kept
    for role in STAFF:
        if role in rule.allowed:
            continue
        client = signed_in(app, role)
        before = fingerprint(database, case_id)
        response = _request(client, rule.method, url, data)
        if rule.allowed is NOBODY and case_id and role in SEES_CASE:
            assert 400 <= response.status_code < 500, (url, role, response.status_code)
        else:
            assert response.status_code in (403, 404), (url, role, response.status_code)
        assert fingerprint(database, case_id) == before, (url, role)
        text = response.get_data(as_text=True)
        assert "Traceback" not in text
    # the roles that may: authorised (the data or the state may still be refused), never an error
    for role in sorted(rule.allowed):
        client = signed_in(app, role)
        response = _request(client, rule.method, url, data)
        assert response.status_code not in (401, 403) and response.status_code < 500, (url, role, response.status_code)
        if rule.method == "POST" and case_id:
            case_id = cases.make(rule.state)  # the next role starts from the same state
            url = _url(app, endpoint, _context(database, case_id), data)
    if endpoint == "auth.logout":
        _signed_in.clear()
