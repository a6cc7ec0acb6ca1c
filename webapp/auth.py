"""Login and logout for staff (工号 + password, argon2, CSRF-protected).

The account rules (lockout, session epoch, system log) live in :mod:`engine.passwords`; this
module reads the form, keeps one message for every failed login, and rate-limits failed
attempts per client address with Flask-Limiter (Redis when ``SUNHALL_REDIS_URL`` is set, so all
workers share the count; each process's memory otherwise).
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse_many

from engine import passwords
from engine.config import ConfigError, Settings

from .db import db_session

bp = Blueprint("auth", __name__)
EPOCH_KEY = "_epoch"  # the user's session epoch when this session logged in


def _failed_message(settings: Settings) -> str:
    """The one answer to every failed login: it tells the rules, never whether the 工号 exists."""
    return (f"工号或密码错误。连续输错 {settings.login_max_failures} 次，账号将锁定 {settings.login_lock_minutes} 分钟；"
            "如需提前解锁，请联系系统管理员。")


def _settings() -> Settings:
    return current_app.extensions["sunhall_settings"]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: not ``//host``, not ``/\\host`` (browsers read it as ``//``)."""
    if (target and target.startswith("/") and not target.startswith(("//", "/\\"))
            and target.isprintable() and "\\" not in target):
        return target
    return url_for("workbench.index")


def _form_problem(staff_no: str, password: str) -> str | None:
    if not staff_no:
        return "请填写工号。"
    if len(staff_no) > passwords.STAFF_NO_MAX:
        return f"工号不能超过 {passwords.STAFF_NO_MAX} 个字符。"
    if not staff_no.isprintable():
        return "工号中含有不可见的控制字符，请重新输入。"
    if not password:
        return "请填写密码。"
    if len(password) > passwords.PASSWORD_MAX:
        return f"密码不能超过 {passwords.PASSWORD_MAX} 个字符。"
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("workbench.index"))
    error, staff_no, status = None, "", 200
    if request.method == "POST":
        staff_no = (request.form.get("staff_no") or "").strip()
        password = request.form.get("password") or ""
        error = _form_problem(staff_no, password)
        if error:
            status = 422
        else:
            settings = _settings()
            user = passwords.authenticate(db_session(), staff_no, password, address=request.remote_addr or "",
                                          max_failures=settings.login_max_failures,
                                          lock_minutes=settings.login_lock_minutes)
            if user is None:
                error, status = _failed_message(settings), 401  # 401: counted by the rate limit
            else:
                target = _safe_next(request.args.get("next"))
                session.clear()  # nothing of the anonymous session carries over into the login
                login_user(user)
                session[EPOCH_KEY] = user.session_epoch
                flash(f"欢迎，{user.name}。")
                return redirect(target)
    return render_template("login.html", error=error, staff_no=staff_no[:passwords.STAFF_NO_MAX]), status


@bp.post("/logout")
@login_required
def logout():
    """Ends this session and every copy of its cookie (the epoch moves on)."""
    passwords.logout(db_session(), current_user._get_current_object(), address=request.remote_addr or "")
    logout_user()
    session.clear()
    flash("已退出登录。")
    return redirect(url_for("auth.login"))


def limiter_defaults(settings: Settings) -> dict:
    """Flask-Limiter's configuration from our settings; a test or deployment may override any key."""
    return {
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": "sunhall",
        # Redis down: count in memory meanwhile rather than refuse every login (the lockout still holds)
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": False,
    }


def install_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Failed logins per client address: only 401 answers count, so a whole office behind one
    address logging in at nine o'clock is never refused, while guessing is."""
    try:
        parse_many(settings.login_rate_limit)
    except ValueError:
        raise ConfigError(f"环境变量 SUNHALL_LOGIN_RATE_LIMIT 的值“{settings.login_rate_limit}”无效，"
                          "应写成 10 per minute 这样的格式。") from None
    limiter = Limiter(key_func=get_remote_address, app=app)
    app.extensions["sunhall_limiter"] = limiter  # the decorator below holds it only weakly
    if "auth.login" not in app.view_functions:  # the public process has no login
        return limiter
    view = app.view_functions["auth.login"]
    app.view_functions["auth.login"] = limiter.limit(
        settings.login_rate_limit, methods=["POST"], deduct_when=lambda response: response.status_code == 401)(view)
    return limiter
