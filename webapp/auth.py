"""Login and logout for staff (工号 + password, argon2, CSRF-protected)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from engine.models import User
from engine.passwords import verify_password

from .db import db_session

bp = Blueprint("auth", __name__)
MAX_FAILED = 5


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("workbench.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("workbench.index"))
    error, staff_no = None, ""
    if request.method == "POST":
        staff_no = (request.form.get("staff_no") or "").strip()
        password = request.form.get("password") or ""
        session = db_session()
        user = session.scalars(select(User).where(User.staff_no == staff_no)).first()
        if user is not None and user.failed_logins >= MAX_FAILED:
            error = "密码错误次数过多，账号已锁定，请联系管理员解锁。"
        elif user is None or not user.active or not verify_password(user.password_hash, password):
            if user is not None:
                user.failed_logins += 1
            error = "工号或密码错误。"
        else:
            user.failed_logins = 0
            login_user(user)
            flash(f"欢迎，{user.name}。")
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("login.html", error=error, staff_no=staff_no), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("已退出登录。")
    return redirect(url_for("auth.login"))
