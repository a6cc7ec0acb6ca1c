"""The workbench (工作台): the signed-in user's worklist. Intake and case pages come next."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from engine.models.cases import CASE_STATES, PAUSE_KINDS
from engine.service import worklist

from .db import db_session

bp = Blueprint("workbench", __name__)


@bp.get("/")
def root():
    return redirect(url_for("workbench.index"))


@bp.get("/workbench")
@login_required
def index():
    session = db_session()
    user = current_user._get_current_object()
    items = worklist(session, user, limit=100)
    return render_template("workbench.html", items=items, states=CASE_STATES, pauses=PAUSE_KINDS)
