"""Sunhall web application: ``create_app`` builds everything; nothing is wired at import time."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from engine import clock
from engine.config import Settings
from engine.db import Database
from engine.models import User

from . import admin, auth, catalogue, errors, health, plugins, supervision, workbench
from .db import close_request_session, db_session

csrf = CSRFProtect()


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    overrides = {k: config.pop(k) for k in list(config) if k in Settings.__dataclass_fields__}
    settings = Settings.from_env(**overrides)
    plugins.install()
    app = Flask(__name__, instance_path=str(Path(settings.instance_dir).resolve()))
    app.config.update(SECRET_KEY=_secret_key(settings), SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      WTF_CSRF_TIME_LIMIT=None, JSON_AS_ASCII=False)
    app.config.update(config)
    app.extensions["sunhall_db"] = Database(settings=settings)
    app.extensions["sunhall_settings"] = settings

    csrf.init_app(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "请先登录。"

    @login.user_loader
    def load_user(user_id: str):
        user = db_session().get(User, int(user_id))
        return user if user is not None and user.active else None

    app.teardown_request(close_request_session)

    @app.context_processor
    def _globals():
        return {"tz": clock.LOCAL_TZ}

    errors.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(workbench.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(admin.bp)
    return app
