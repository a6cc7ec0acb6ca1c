"""The read replica (SUNHALL_DATABASE_REPLICA_URL) on PostgreSQL: public pages and statistics read
through it, writes and staff pages through the primary.

The "replica" is the test database reached as a second role with SELECT-only grants: each request
records ``current_user`` on its own session, and a replica page that tried to write would fail.
"""

from __future__ import annotations

import os

import pytest
from flask import request
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from engine.config import ConfigError, Settings
from engine.disclosure import service as gk
from engine.models import FaqCategory, FaqEntry, Item
from webapp import create_app
from webapp.db import REPLICA_ENDPOINTS, db_session

from .webhelpers import _csrf, login

PG_URL = os.environ.get("SUNHALL_TEST_DATABASE_URL")
postgres = pytest.mark.skipif(not PG_URL, reason="a read replica needs PostgreSQL (set SUNHALL_TEST_DATABASE_URL)")
ROLE = "sunhall_replica_test"


@pytest.fixture
def replica_url(database, settings):
    """A SELECT-only login role on the test database, dropped afterwards."""
    engine = create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    name = make_url(settings.database_url).database
    with engine.connect() as conn:
        conn.execute(text(f"DROP OWNED BY {ROLE}") if _role_exists(conn) else text("SELECT 1"))
        conn.execute(text(f"DROP ROLE IF EXISTS {ROLE}"))
        conn.execute(text(f"CREATE ROLE {ROLE} LOGIN"))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{name}" TO {ROLE}'))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {ROLE}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE}"))
    yield make_url(settings.database_url).set(username=ROLE).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f"DROP OWNED BY {ROLE}"))
        conn.execute(text(f"DROP ROLE {ROLE}"))
    engine.dispose()


def _role_exists(conn) -> bool:
    return conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}) is not None


@pytest.fixture
def app(replica_url, settings):
    app = create_app({"database_url": settings.database_url, "database_replica_url": replica_url,
                      "instance_dir": settings.instance_dir, "TESTING": True, "RATELIMIT_ENABLED": False})
    app.config["roles"] = roles = []

    @app.after_request
    def _who(response):  # the role the request's own session talks to the database as
        roles.append((request.endpoint, db_session().execute(text("SELECT current_user")).scalar()))
        return response

    yield app
    app.extensions["sunhall_db"].dispose()


def _role_of(app, client, method, url, expect=(200, 302), **kw):
    app.config["roles"].clear()
    response = client.open(url, method=method, **kw)
    assert response.status_code in expect, (url, response.status_code, response.get_data(as_text=True)[:400])
    roles = {role for _, role in app.config["roles"]}
    assert len(roles) == 1, (url, app.config["roles"])
    return app.config["roles"][0][0], roles.pop()


def _public_urls(session) -> list[str]:
    item = session.scalars(select(Item).where(Item.status == "active").order_by(Item.code)).first()
    category = session.scalars(select(FaqCategory)).first()
    entry = session.scalars(select(FaqEntry)).first()
    gk_body = gk.bodies(session)[0]
    return ["/", "/hall", "/elder", "/items", f"/items/{item.code}", f"/items/{item.code}/faq",
            f"/items/{item.code}/forms", f"/items/{item.code}/results", "/results", "/search?q=营业执照", "/faq",
            f"/faq/category/{category.id}", f"/faq/{entry.id}", "/questions", "/gk", "/gk/entries",
            f"/gk/{gk_body.code}", "/gk/reports"]


STATISTICS = ["/supervision", "/supervision/performance", "/supervision/performance?by=step",
              "/supervision/performance.xlsx", "/supervision/gk", "/supervision/gk/report",
              "/supervision/gk/report.xlsx", "/supervision/gk/report.docx", "/supervision/qa/report",
              "/supervision/qa/report/print", "/supervision/qa/report.xlsx", "/supervision/qa/report.docx"]


@postgres
def test_the_replica_role_cannot_write(replica_url):
    engine = create_engine(replica_url)
    with pytest.raises(ProgrammingError, match="permission denied"), engine.begin() as conn:
        conn.execute(text("UPDATE department SET phone = phone"))
    engine.dispose()


@postgres
def test_public_pages_and_statistics_read_the_replica(app, database):
    client = app.test_client()
    with database.transaction(write=False) as s:
        public = _public_urls(s)
    seen = set()
    for url in public:
        endpoint, role = _role_of(app, client, "GET", url)
        assert role == ROLE, (url, role)
        seen.add(endpoint)
    login(client, "jw001")
    for url in STATISTICS:
        endpoint, role = _role_of(app, client, "GET", url)
        assert role == ROLE, (url, role)
        seen.add(endpoint)
    assert seen <= REPLICA_ENDPOINTS
    assert len(seen) >= 25, sorted(REPLICA_ENDPOINTS - seen)


@postgres
def test_writes_and_staff_pages_use_the_primary(app, database):
    primary = make_url(PG_URL).username
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    assert _role_of(app, client, "POST", "/login",
                    data={"staff_no": "sc001", "password": "Sunhall@2026", "csrf_token": token})[1] == primary
    assert _role_of(app, client, "GET", "/workbench")[1] == primary  # the worklist shows what was just done
    assert _role_of(app, client, "GET", "/intake")[1] == primary
    public = app.test_client()
    token = _csrf(public.get("/progress").get_data(as_text=True))
    lookup = {"number": "NOPE", "code": "x", "csrf_token": token}  # not found, but asked on the primary
    assert _role_of(app, public, "POST", "/progress", expect=(404,), data=lookup)[1] == primary


def test_without_a_replica_every_read_uses_the_primary(database, settings):
    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True})
    db = app.extensions["sunhall_db"]
    assert db.replica_engine is db.engine and db.ReadSession.kw["bind"] is db.engine
    db.dispose()


def test_the_replica_address_is_checked(monkeypatch):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", "postgresql+psycopg://sunhall@db/sunhall")
    monkeypatch.setenv("SUNHALL_DATABASE_REPLICA_URL", "not a url")
    with pytest.raises(ConfigError, match="SUNHALL_DATABASE_REPLICA_URL"):
        Settings.from_env()
    monkeypatch.setenv("SUNHALL_DATABASE_URL", "sqlite:///x.sqlite")
    monkeypatch.setenv("SUNHALL_DATABASE_REPLICA_URL", "postgresql+psycopg://reader@replica/sunhall")
    with pytest.raises(ConfigError, match="PostgreSQL"):
        Settings.from_env()
    monkeypatch.setenv("SUNHALL_DATABASE_URL", "postgresql+psycopg://sunhall@db/sunhall")
    assert Settings.from_env().database_replica_url == "postgresql+psycopg://reader@replica/sunhall"
