"""接口令牌: the tokens issued to department systems and scripts, issuing one (its secret shown on
this one answer, never again) and revoking one. The service is :mod:`engine.apitokens`."""

from __future__ import annotations

from datetime import datetime, time

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from engine import apitokens, clock, orgadmin
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.models import TOKEN_VERBS, User
from engine.validation import INT_MAX, half_width

from ..db import db_session
from . import admin_only, bp, form_errors, me


def _page(errors=(), form=None, status: int = 200, issued=None, secret: str | None = None):
    session = db_session()
    if errors:
        g.db_rollback = True
    rows = apitokens.tokens(session, me())
    names = {t.id: apitokens.department_names(session, t.department_ids) for t in rows}
    beyond = apitokens.beyond_account(session, issued) if issued is not None else []
    users = list(session.scalars(select(User).where(User.active).order_by(User.staff_no)))
    return render_template("admin/tokens.html", tokens=rows, dept_names=names, beyond=beyond, users=users,
                           departments=orgadmin.departments(session, active_only=True), verbs=TOKEN_VERBS,
                           errors=list(errors), err=dict(errors), f=form or {"verbs": [], "department_ids": []},
                           issued=issued, secret=secret, now=clock.now()), status


@bp.get("/tokens")
@admin_only
def tokens():
    return _page()


def _ids(values: list[str], field: str, errors: list) -> list[int]:
    out = []
    for raw in values[:1000]:
        raw = half_width(raw).strip()
        if raw.isascii() and raw.isdigit() and len(raw) < 19:
            out.append(int(raw))
        else:
            errors.append((field, "所选项无效，请重新选择。"))
            break
    return out


@bp.post("/tokens")
@admin_only
def token_issue():
    form = {"name": request.form.get("name", ""), "user_id": request.form.get("user_id", ""),
            "department_ids": request.form.getlist("department_ids"), "verbs": request.form.getlist("verbs")[:10],
            "system_code": request.form.get("system_code", ""), "expires": request.form.get("expires", "")}
    errors: list[tuple[str, str]] = []
    user_ids = _ids([form["user_id"]] if form["user_id"] else [], "user_id", errors)
    dept_ids = _ids(form["department_ids"], "department_ids", errors)
    expires_at = None
    raw = half_width(form["expires"]).strip()
    if raw:
        try:
            expires_at = datetime.combine(datetime.fromisoformat(raw).date(), time(23, 59, 59), tzinfo=clock.LOCAL_TZ)
        except ValueError:
            errors.append(("expires", f"有效期“{raw[:20]}”无效，应写成 2027-12-31 这样的日期。"))
    if errors:
        return _page(errors, form, 422)
    try:
        token, secret = apitokens.issue(db_session(), me(), name=form["name"], user_id=user_ids[0] if user_ids else None,
                                        department_ids=dept_ids, verbs=form["verbs"],
                                        system_code=form["system_code"] or None, expires_at=expires_at)
    except InvalidInput as exc:
        return _page(form_errors(exc, "name"), form, 422)
    return _page(issued=token, secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
@admin_only
def token_revoke(token_id: int):
    if token_id > INT_MAX:  # no integer column holds it (PostgreSQL would refuse the query)
        raise NotFound("接口令牌不存在。")
    try:
        token = apitokens.revoke(db_session(), me(), token_id)
    except InvalidState as exc:
        return _page([("tokens", exc.message)], status=409)
    flash(f"已吊销令牌“{token.name}”（{token.prefix}），使用它的请求立即被拒绝。")
    return redirect(url_for("admin.tokens"))
