"""Health check for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from .db import db_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db_session().execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # report, do not crash: this page exists to say what is wrong
        database = f"error: {type(exc).__name__}"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status
