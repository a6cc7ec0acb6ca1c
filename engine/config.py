"""Settings read from the environment (``SUNHALL_*``), with defaults for the embedded setup.

A value that cannot be read raises :class:`ConfigError` with a Chinese message naming the
variable, so ``sunhall serve`` stops with one clear line instead of a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REPO_ROOT = Path(__file__).resolve().parent.parent
PROCESSES_DIR = REPO_ROOT / "processes"
MIGRATIONS_DIR = REPO_ROOT / "migrations"
MB = 1024 * 1024


class ConfigError(ValueError):
    """An environment variable with a value Sunhall cannot use; the message is for the operator."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _instance_dir() -> Path:
    return Path(os.environ.get("SUNHALL_INSTANCE_DIR", REPO_ROOT / "instance"))


def default_database_url() -> str:
    return f"sqlite:///{_instance_dir() / 'sunhall.sqlite'}"


def _number(name: str, default, kind=int, minimum=None):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        what = "整数" if kind is int else "数字"
        raise ConfigError(f"环境变量 {name} 的值“{raw}”无效，应为{what}。") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"环境变量 {name} 的值“{raw}”无效，不能小于 {minimum}。")
    return value


def _flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"环境变量 {name} 的值“{raw}”无效，应为 1 或 0。")


def _replica_url(raw: str, primary: str) -> str:
    """A replica only makes sense beside a PostgreSQL primary, and must be an address SQLAlchemy can read."""
    if not raw:
        return ""
    try:
        backend, primary_backend = make_url(raw).get_backend_name(), make_url(primary).get_backend_name()
    except ArgumentError:
        raise ConfigError("数据库地址无法识别：请检查 SUNHALL_DATABASE_REPLICA_URL"
                          "（如 postgresql+psycopg://只读用户@副本主机:5432/库名）。") from None
    if backend != "postgresql" or primary_backend != "postgresql":
        raise ConfigError("环境变量 SUNHALL_DATABASE_REPLICA_URL 只能在主库（SUNHALL_DATABASE_URL）和副本"
                          "都是 PostgreSQL 时使用。")
    return raw


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    # a PostgreSQL read replica for public pages and statistics (webapp/db.py); empty: everything reads the primary
    database_replica_url: str = ""
    secret_key: str = ""
    timezone: str = "Asia/Shanghai"
    max_loops: int = 50
    bpmn_max_bytes: int = 2 * MB
    expression_timeout: float = 0.5
    instance_dir: Path = field(default_factory=_instance_dir)
    # serving and accounts
    max_request_bytes: int = 25 * MB  # MAX_CONTENT_LENGTH: larger bodies get the 413 page
    secure_cookies: bool = False  # behind HTTPS: session and remember cookies only over TLS
    login_max_failures: int = 5  # consecutive wrong passwords before the account locks ...
    login_lock_minutes: int = 15  # ... for this long (never for ever; an administrator can unlock sooner)
    login_rate_limit: str = "10 per minute"  # failed logins per client address (Flask-Limiter notation)
    # public forms (网上申请, 结果反馈, 查询码) per client address: lookups cannot be used to guess numbers
    public_rate_limit: str = "30 per minute"
    redis_url: str = ""  # rate-limit counters shared by all workers; empty: each process counts alone
    trusted_proxies: int = 0  # reverse proxies in front (X-Forwarded-For hops to trust for the client address)
    # single sign-on (统一身份认证, OpenID Connect): staff, and optionally citizens on the public column
    password_login: bool = True  # False: staff log in only through the OpenID provider
    oidc_issuer: str = ""  # empty: no single sign-on
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    citizen_oidc_issuer: str = ""  # empty: citizens use the column without logging in
    citizen_oidc_client_id: str = ""
    citizen_oidc_client_secret: str = ""
    # the public column's address as citizens reach it (e.g. https://zwfw.example.gov.cn), named in notices
    public_url: str = ""
    # notices (短信, 电子邮件): empty settings leave the log adapter in place
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_sender: str = ""
    smtp_starttls: bool = False
    # reporting upward (报送省级平台): empty feed_url keeps the feed in the outbox for an administrator
    feed_url: str = ""
    feed_token: str = ""
    report_hours: int = 24  # a department system must report a step within this many hours (seed 004 §4.3)
    # retention and archive: finished cases stay fully online this many years (seed 004 §4.3: at least 3)
    retention_years: int = 3
    archive_dir: Path = field(default_factory=lambda: _instance_dir() / "archive")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        values = dict(
            database_url=env.get("SUNHALL_DATABASE_URL") or default_database_url(),
            database_replica_url=_replica_url(env.get("SUNHALL_DATABASE_REPLICA_URL", "").strip(),
                                              env.get("SUNHALL_DATABASE_URL") or default_database_url()),
            secret_key=env.get("SUNHALL_SECRET_KEY", ""),
            timezone=env.get("SUNHALL_TIMEZONE", "Asia/Shanghai"),
            max_loops=_number("SUNHALL_MAX_LOOPS", 50, minimum=1),
            bpmn_max_bytes=_number("SUNHALL_BPMN_MAX_BYTES", 2 * MB, minimum=1024),
            expression_timeout=_number("SUNHALL_EXPRESSION_TIMEOUT", 0.5, float, minimum=0.01),
            instance_dir=_instance_dir(),
            max_request_bytes=_number("SUNHALL_MAX_REQUEST_MB", 25, minimum=1) * MB,
            secure_cookies=_flag("SUNHALL_SECURE_COOKIES"),
            login_max_failures=_number("SUNHALL_LOGIN_MAX_FAILURES", 5, minimum=1),
            login_lock_minutes=_number("SUNHALL_LOGIN_LOCK_MINUTES", 15, minimum=1),
            login_rate_limit=env.get("SUNHALL_LOGIN_RATE_LIMIT", "").strip() or "10 per minute",
            public_rate_limit=env.get("SUNHALL_PUBLIC_RATE_LIMIT", "").strip() or "30 per minute",
            redis_url=env.get("SUNHALL_REDIS_URL", "").strip(),
            trusted_proxies=_number("SUNHALL_TRUSTED_PROXIES", 0, minimum=0),
            password_login=not _flag("SUNHALL_PASSWORD_LOGIN_OFF"),
            oidc_issuer=env.get("SUNHALL_OIDC_ISSUER", "").strip(),
            oidc_client_id=env.get("SUNHALL_OIDC_CLIENT_ID", "").strip(),
            oidc_client_secret=env.get("SUNHALL_OIDC_CLIENT_SECRET", "").strip(),
            citizen_oidc_issuer=env.get("SUNHALL_CITIZEN_OIDC_ISSUER", "").strip(),
            citizen_oidc_client_id=env.get("SUNHALL_CITIZEN_OIDC_CLIENT_ID", "").strip(),
            citizen_oidc_client_secret=env.get("SUNHALL_CITIZEN_OIDC_CLIENT_SECRET", "").strip(),
            public_url=env.get("SUNHALL_PUBLIC_URL", "").strip().rstrip("/"),
            sms_gateway_url=env.get("SUNHALL_SMS_GATEWAY_URL", "").strip(),
            sms_gateway_token=env.get("SUNHALL_SMS_GATEWAY_TOKEN", "").strip(),
            smtp_host=env.get("SUNHALL_SMTP_HOST", "").strip(),
            smtp_port=_number("SUNHALL_SMTP_PORT", 25, minimum=1),
            smtp_user=env.get("SUNHALL_SMTP_USER", "").strip(),
            smtp_password=env.get("SUNHALL_SMTP_PASSWORD", ""),
            smtp_sender=env.get("SUNHALL_SMTP_SENDER", "").strip(),
            smtp_starttls=_flag("SUNHALL_SMTP_STARTTLS"),
            feed_url=env.get("SUNHALL_FEED_URL", "").strip(),
            feed_token=env.get("SUNHALL_FEED_TOKEN", "").strip(),
            report_hours=_number("SUNHALL_REPORT_HOURS", 24, minimum=1),
            retention_years=_number("SUNHALL_RETENTION_YEARS", 3, minimum=3),
            archive_dir=Path(env["SUNHALL_ARCHIVE_DIR"]) if env.get("SUNHALL_ARCHIVE_DIR", "").strip() else _instance_dir() / "archive",
        )
        values.update(overrides)
        return cls(**values)
