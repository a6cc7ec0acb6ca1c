"""One database transaction per request, committed in one place (the teardown)."""

from __future__ import annotations

from flask import current_app, g, request

from engine import notify
from engine.db import Database

#: GET pages that read from the replica (``SUNHALL_DATABASE_REPLICA_URL``): the public column's
#: published pages and the supervisors' statistics, which may show data a moment old. Every other
#: request uses the primary — writes, and staff or citizen pages that must show what was just
#: written (the case page after a POST, the worklist, one's own application, receipts). A page
#: named here must not write: the replica refuses (tests/test_replica.py runs them as a SELECT-only role).
REPLICA_ENDPOINTS = frozenset({
    # 政务服务专栏 (public, internet-facing)
    "portal.index", "portal.hall", "portal.elder_mode", "portal.items", "portal.item", "portal.item_faq",
    "portal.item_forms", "portal.item_form_file", "portal.item_results", "portal.publicity", "portal.search",
    "portal.faq_library", "portal.faq_category", "portal.faq_entry", "portal.questions", "portal.question",
    "portal.gk_index", "portal.gk_entries", "portal.gk_entry", "portal.gk_entry_file", "portal.gk_body",
    "portal.gk_reports", "portal.gk_report",
    # 电子监察 statistics and reports (staff, read-only)
    "supervision.dashboard", "supervision.performance", "supervision.performance_xlsx", "supervision.gk_overview",
    "supervision.gk_report_page", "supervision.gk_report_cases", "supervision.gk_report_xlsx",
    "supervision.gk_report_docx", "supervision.qa_report_page", "supervision.qa_report_print",
    "supervision.qa_report_xlsx", "supervision.qa_report_docx",
})


def database() -> Database:
    return current_app.extensions["sunhall_db"]


def db_session():
    """The request's session: a write transaction for POST and friends, a read one for GET (on the
    replica for the pages in :data:`REPLICA_ENDPOINTS`)."""
    if "db_session" not in g:
        db = database()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            factory = db.WriteSession
        else:
            factory = db.ReadSession if request.endpoint in REPLICA_ENDPOINTS else db.Session
        g.db_session = factory()
    return g.db_session


def close_request_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    committed = False
    try:
        if exc is None and not g.get("db_rollback"):
            session.commit()
            committed = True
        else:
            session.rollback()
    finally:
        session.close()
        notify.after_close(session, committed)
