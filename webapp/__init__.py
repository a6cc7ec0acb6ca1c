"""Sunhall web application: ``create_app`` builds everything; nothing is wired at import time."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import clock
from engine.config import Settings
from engine.db import Database

from . import admin, api, auth, catalogue, errors, health, plugins, portal, sso, supervision, workbench
from .db import close_request_session, db_session

csrf = CSRFProtect()

#: On every response. Scripts only from our own files (no inline script, no eval: the bundles in
#: static/build need neither); inline styles stay allowed because bpmn-js and ECharts set them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ]),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def _secret_key(settings: Settings) -> str:
    """The configured key, or one made once per instance directory. Created exclusively, so that
    several processes starting together all end up reading the same key."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip()


#: Which routes a process serves: the public column faces the internet while the workbench stays on
#: the government intranet (``sunhall serve --public`` / ``--staff``); ``all`` serves both.
SURFACES = ("all", "public", "staff")


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    surface = config.pop("surface", None) or os.environ.get("SUNHALL_SURFACE") or "all"
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {SURFACES}")
    overrides = {k: config.pop(k) for k in list(config) if k in Settings.__dataclass_fields__}
    settings = Settings.from_env(**overrides)
    plugins.install()
    app = Flask(__name__, instance_path=str(Path(settings.instance_dir).resolve()))
    app.config.update(SECRET_KEY=_secret_key(settings), SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=settings.secure_cookies, REMEMBER_COOKIE_SECURE=settings.secure_cookies,
                      REMEMBER_COOKIE_HTTPONLY=True, WTF_CSRF_TIME_LIMIT=None, JSON_AS_ASCII=False,
                      MAX_CONTENT_LENGTH=settings.max_request_bytes, **auth.limiter_defaults(settings))
    app.config.update(config)
    app.json.ensure_ascii = False  # JSON a person may open (期限说明) reads as Chinese, not \uXXXX
    app.extensions["sunhall_db"] = Database(settings=settings)
    app.extensions["sunhall_settings"] = settings
    app.extensions["sunhall_surface"] = surface
    identities = auth.Identities(app.extensions["sunhall_db"])
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies,
                                x_host=settings.trusted_proxies)

    csrf.init_app(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "请先登录。"

    @login.user_loader
    def load_user(user_id: str):
        """Only a session from the user's current epoch: one that was logged out (or whose password
        changed, or that was unlocked or deactivated since) is not a login any more."""
        if surface == "public":  # the internet-facing process knows no staff login at all
            return None
        return identities.user(db_session(), int(user_id), cookie_session.get(auth.EPOCH_KEY))

    app.teardown_request(close_request_session)

    @app.context_processor
    def _globals():
        return {"tz": clock.LOCAL_TZ}

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if current_user.is_authenticated and not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")  # a case page stays off shared disks
        return response

    errors.register(app)
    _register_limits_pages(app)
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))
    app.register_blueprint(health.bp)
    if surface in ("all", "public"):
        app.register_blueprint(portal.bp)
    if surface in ("all", "staff"):
        for blueprint in (auth.bp, workbench.bp, supervision.bp, catalogue.bp, admin.bp):
            app.register_blueprint(blueprint)
        api.init_app(app)
        if surface == "staff":  # the intranet's address opens the workbench
            app.add_url_rule("/", "root", lambda: redirect(url_for("workbench.index")))
    sso.init_app(app, surface)
    limiter = auth.install_rate_limits(app, settings)
    if surface in ("all", "public"):
        portal.install_rate_limits(app, limiter, settings)
    return app


def _register_limits_pages(app: Flask) -> None:
    """413 (body over MAX_CONTENT_LENGTH) and 429 (rate limit) in Chinese, as page or JSON."""

    def _answer(message: str, status: int):
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify(error={413: "too_large", 429: "too_many_requests"}[status], message=message), status
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(413)
    def too_large(_exc):
        limit = app.config["MAX_CONTENT_LENGTH"] or 0
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024 or 1} KB"
        return _answer(f"提交的内容太大：每次提交不能超过 {size}。请压缩或拆分后重新提交。", 413)

    @app.errorhandler(429)
    def too_many(_exc):
        if request.endpoint == "auth.login":
            return _answer("登录失败次数过多，请稍后再试（约一分钟后）。", 429)
        return _answer("请求过于频繁，请稍后再试。", 429)
