"""One database transaction per request, committed in one place (the teardown)."""

from __future__ import annotations

from flask import current_app, g, request

from engine import notify
from engine.db import Database


def database() -> Database:
    return current_app.extensions["sunhall_db"]


def db_session():
    """The request's session: a write transaction for POST and friends, a read one for GET."""
    if "db_session" not in g:
        db = database()
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db_session = (db.WriteSession if write else db.Session)()
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
