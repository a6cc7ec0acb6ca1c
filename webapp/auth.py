"""Login and logout for staff: 工号 + password (argon2, CSRF-protected) or single sign-on through
the OpenID provider (:mod:`webapp.sso`), and the page where a person changes their password.

Both logins start the session the same way (a fresh cookie session holding the account's session
epoch). Password login can be turned off (``SUNHALL_PASSWORD_LOGIN_OFF``); logging out of a
single sign-on session also ends the provider's (RP-initiated logout). An account whose password an
administrator set (``must_change_password``) goes to 修改密码 after a password login and stays there
until the password is changed.

The account rules (lockout, session epoch, system log) live in :mod:`engine.passwords`; this
module reads the form, keeps one message for every failed login, and rate-limits failed
attempts per client address with Flask-Limiter (Redis when ``SUNHALL_REDIS_URL`` is set, so all
workers share the count; each process's memory otherwise).
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse_many
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import passwords
from engine.config import ConfigError, Settings
from engine.errors import InvalidInput
from engine.models import Post, User
from engine.models.org import user_post

from . import sso
from .api.problems import problem
from .db import database, db_session

bp = Blueprint("auth", __name__)
EPOCH_KEY = "_epoch"  # the user's session epoch when this session logged in
METHOD_KEY = "_login_method"  # "password" or "sso": how this session logged in
PASSWORD_OFF = "本系统已关闭密码登录，请使用统一身份认证登录。"
#: what a person who must change their password may still open
CHANGE_FIRST_ALLOWS = {"auth.change_password", "auth.logout", "static", "favicon"}


class Identities:
    """The accounts of this process's logged-in sessions, so that a request does not load its user
    with the ORM (the row, then its posts) every time. Each request still reads the account's row
    and posts in one indexed query and uses the kept copy only if that reads exactly as it did when
    the copy was made: a logout, a password change, a deactivation, a role, post or department
    changed by an administrator — in any process — takes effect on the very next request."""

    MAX = 4096  # accounts kept; the oldest goes first

    _ROWS = (select(*User.__table__.c, Post.id, Post.code, Post.department_id, Post.name)
             .select_from(User.__table__).outerjoin(user_post, user_post.c.user_id == User.id)
             .outerjoin(Post.__table__, Post.id == user_post.c.post_id)
             .where(User.id == bindparam("user_id")).order_by(Post.id))

    def __init__(self, database):
        self._database = database
        self._kept: dict[int, tuple[tuple, User]] = {}
        self._lock = threading.Lock()

    def user(self, session: Session, user_id: int, epoch) -> User | None:
        """The account as a member of ``session`` if it is active and ``epoch`` is its current
        session epoch, else None."""
        rows = session.execute(self._ROWS, {"user_id": user_id}).all()
        if not rows or not rows[0].active or epoch != rows[0].session_epoch:
            return None
        seen = tuple(tuple(row) for row in rows)
        kept = self._kept.get(user_id)
        if kept is None or kept[0] != seen:
            user = self._load(user_id)
            if user is None:  # deleted meanwhile
                return None
            kept = (seen, user)
            with self._lock:
                self._kept.pop(user_id, None)
                while len(self._kept) >= self.MAX:
                    self._kept.pop(next(iter(self._kept)))
                self._kept[user_id] = kept
        # a copy in this request's session: the kept one is never attached, changed or expired
        return session.merge(kept[1], load=False)

    def _load(self, user_id: int) -> User | None:
        with self._database.transaction(write=False) as s:
            user = s.get(User, user_id)
            if user is not None:
                user.posts  # noqa: B018 - loaded now, kept detached
        return user


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


def start_session(user: User, method: str) -> None:
    """The same session for either login: nothing of the anonymous session carries over."""
    session.clear()
    login_user(user)
    session[EPOCH_KEY] = user.session_epoch
    session[METHOD_KEY] = method


def _login_page(error: str | None = None, staff_no: str = "", status: int = 200):
    return render_template("login.html", error=error, staff_no=staff_no[:passwords.STAFF_NO_MAX],
                           password_login=_settings().password_login,
                           next=request.args.get("next") or ""), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("workbench.index"))
    error, staff_no, status = None, "", 200
    if request.method == "POST" and not _settings().password_login:
        return _login_page(PASSWORD_OFF, status=403)
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
                start_session(user, "password")
                if user.must_change_password:
                    flash("系统管理员为您设置了初始密码，请先修改密码。")
                    return redirect(url_for("auth.change_password"))
                flash(f"欢迎，{user.name}。")
                return redirect(target)
    return _login_page(error, staff_no, status)


@bp.get("/sso/login")
def sso_login():
    """统一身份认证登录: off to the provider, which sends the person back to the callback below."""
    if not sso.config().staff:
        return redirect(url_for("auth.login"))
    if current_user.is_authenticated:
        return redirect(url_for("workbench.index"))
    try:
        response = sso.start_login("staff", "auth.sso_callback")
    except sso.PROVIDER_ERRORS:
        return _login_page(sso.UNAVAILABLE, status=503)
    session["_sso_next"] = _safe_next(request.args.get("next"))
    return response


@bp.get("/sso/callback")
def sso_callback():
    if not sso.config().staff:
        return redirect(url_for("auth.login"))
    target = session.get("_sso_next") or url_for("workbench.index")
    try:
        claims = sso.finish_login("staff")
    except sso.SsoRefused as exc:
        return render_template("account/sso_refused.html", message=exc.message), 403
    except sso.PROVIDER_ERRORS:
        return _login_page(sso.UNAVAILABLE, status=503)
    # a write transaction of its own (the provider answers with a GET, whose request session only reads);
    # a refusal is committed too, with its line in the system log
    refused = None
    with database().transaction() as s:
        try:
            user = sso.staff_user_for(s, claims, claim=sso.config().staff_claim, address=request.remote_addr or "")
        except sso.SsoRefused as exc:
            refused = exc
    if refused is not None:
        return render_template("account/sso_refused.html", message=refused.message), 403
    start_session(user, "sso")
    session[sso.ID_TOKEN_KEY] = claims["_id_token"]
    flash(f"欢迎，{user.name}。")
    return redirect(_safe_next(target))


@bp.get("/sso/logged-out")
def sso_logged_out():
    """Where the provider sends the person back after its own logout."""
    flash("已退出登录（统一身份认证也已退出）。")
    return redirect(url_for("auth.login"))


@bp.post("/logout")
@login_required
def logout():
    """Ends this session and every copy of its cookie (the epoch moves on); after a single sign-on
    login, the provider's session too (its end_session_endpoint with id_token_hint)."""
    id_token = session.get(sso.ID_TOKEN_KEY)
    passwords.logout(db_session(), current_user._get_current_object(), address=request.remote_addr or "")
    logout_user()
    session.clear()
    if id_token and sso.config().staff:
        url = sso.logout_url(id_token, url_for("auth.sso_logged_out", _external=True))
        if url:
            # a page, not a redirect: the pages' CSP (form-action 'self') would stop a form's redirect to the provider
            return render_template("account/signing_out.html", url=url)
        flash("已退出本系统；统一身份认证服务暂不可用，请关闭浏览器以结束统一身份认证的登录。", "error")
        return redirect(url_for("auth.login"))
    flash("已退出登录。")
    return redirect(url_for("auth.login"))


# ------------------------------------------------------------------ 修改密码

def _password_problems(current: str, new: str, again: str) -> dict[str, str]:
    errors = {}
    if not current:
        errors["current"] = "请填写当前密码。"
    elif len(current) > passwords.PASSWORD_MAX:
        errors["current"] = "当前密码不正确。"
    if not new:
        errors["new"] = "请填写新密码。"
    else:
        try:
            passwords.check_new_password(new)
        except InvalidInput as exc:
            errors["new"] = exc.message
    if "new" not in errors and again != new:
        errors["again"] = "两次输入的新密码不一致。"
    if "new" not in errors and new == current:
        errors["new"] = "新密码不能与当前密码相同。"
    return errors


def _password_page(user: User, errors: dict[str, str]) -> str:
    summary = [(name, errors[name]) for name in ("current", "new", "again") if name in errors]
    return render_template("account/password.html", errors=errors, summary=summary, forced=user.must_change_password)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """修改密码: the current password, the new one twice. This session stays; every other one ends."""
    user = current_user._get_current_object()
    if request.method == "GET":
        return _password_page(user, {})
    form = request.form
    current, new, again = form.get("current") or "", form.get("new") or "", form.get("again") or ""
    errors = _password_problems(current, new, again)
    if not errors:
        try:
            passwords.change_password(db_session(), user, current, new)
        except InvalidInput as exc:
            errors = {"current": exc.message} if "当前密码" in exc.message else {"new": exc.message}
    if errors:
        return _password_page(user, errors), 422
    session[EPOCH_KEY] = user.session_epoch  # the others ended with the change; this one goes on
    flash("密码已修改。")
    return redirect(url_for("workbench.index"))


@bp.before_app_request
def _password_change_first():
    """After a password login with a password an administrator set, nothing else opens until it is changed."""
    if request.endpoint in CHANGE_FIRST_ALLOWS or session.get(METHOD_KEY, "password") != "password":
        return None
    if not current_user.is_authenticated or not getattr(current_user, "must_change_password", False):
        return None
    message = "请先修改系统管理员为您设置的初始密码。"
    if request.path.startswith("/api/"):
        return problem(403, "password_change_required", "须先修改密码", message)
    flash(message)
    return redirect(url_for("auth.change_password"))


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
