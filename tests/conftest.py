"""Fixtures: one real database per run (SQLite file by default, PostgreSQL when
SUNHALL_TEST_DATABASE_URL is set), migrated with Alembic and loaded with the demo county;
case tables are emptied after every test."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, select, text

from engine import clock, migrate
from engine.config import Settings
from engine.db import Database
from engine.models import (
    Base,
    Case,
    CaseCounter,
    CaseEvent,
    CasePause,
    CaseTask,
    InfoAppeal,
    InfoAssignment,
    InfoConsultation,
    InfoEntry,
    InfoReportText,
    InfoRequest,
    Notification,
    Question,
    QuestionTurn,
    SchedulerLease,
    SeriesCounter,
    User,
)
from engine.service import Applicant
from forms.models import DocumentCounter
from rules.models import Alert, Complaint, Watch
from webapp import plugins
from webapp.demo import load_demo

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("SUNHALL_TEST_DATABASE_URL")


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    if PG_URL:
        _reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'sunhall-test.sqlite'}"


@pytest.fixture(scope="session")
def settings(db_url, tmp_path_factory) -> Settings:
    return Settings(database_url=db_url, secret_key="test-secret", instance_dir=tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def database(settings) -> Database:
    plugins.install()
    migrate.upgrade(settings.database_url)
    db = Database(settings=settings)
    with db.transaction() as session:
        load_demo(session)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def _clean_cases(request):
    yield
    if "database" not in request.fixturenames:
        return
    clean_cases(request.getfixturevalue("database"))


def clean_cases(db) -> None:
    """Delete every case (and every API token a test issued); SQLite then reuses their ids, so the
    cached live workflows go too."""
    from engine import runtime

    runtime.live_workflows.clear()
    with db.transaction() as session:
        from engine import search
        from engine.models import FaqEntry
        search.withdraw_source(session, "qa")
        search.withdraw_source(session, "disclosure")
        for entry_id in session.scalars(select(FaqEntry.id).where(FaqEntry.source_question_id.is_not(None))):
            search.withdraw(session, "faq", f"lib/{entry_id}")  # answers a test promoted into the library
        session.execute(delete(FaqEntry).where(FaqEntry.source_question_id.is_not(None)))
        from engine.models import ApiToken, CaseArchive, FeedMessage
        from engine.models.stats import StatCaseMonth, StatStepMonth
        for model in (StatCaseMonth, StatStepMonth, ApiToken, FeedMessage, CaseArchive, Alert, Watch, Complaint, Notification, QuestionTurn, Question, InfoConsultation, InfoAssignment,
                      InfoAppeal, InfoReportText, InfoRequest, InfoEntry, CaseEvent, CasePause, CaseTask, Case, CaseCounter, SeriesCounter, SchedulerLease,
                      DocumentCounter):
            session.execute(delete(model))


@pytest.fixture
def restore_catalogue(database):
    """Tests that publish item or flow versions put the demo catalogue back afterwards (the product
    never deletes a published version; these tests do)."""
    from engine import runtime
    from engine.models import Item, ItemChange, ItemVersion, ProcessDefinition

    with database.transaction(write=False) as s:
        definitions = set(s.scalars(select(ProcessDefinition.id)))
        versions = set(s.scalars(select(ItemVersion.id)))
        items = {i.id: (i.current_version_id, i.status) for i in s.scalars(select(Item))}
    yield
    clean_cases(database)
    with database.transaction() as s:
        s.execute(delete(ItemChange))
        for item in s.scalars(select(Item)):
            if item.id in items:
                item.current_version_id, item.status = items[item.id]
        s.flush()
        for definition in s.scalars(select(ProcessDefinition).where(ProcessDefinition.id.not_in(definitions))):
            runtime.spec_cache.forget(definition.id)
            s.delete(definition)
        s.execute(delete(ItemVersion).where(ItemVersion.id.not_in(versions)))
        s.execute(delete(Item).where(Item.id.not_in(list(items))))


@pytest.fixture
def frozen_clock():
    """Monday 2026-09-28 09:00 in China; tests move it with clock.travel."""
    with clock.frozen(datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)):
        yield clock


@pytest.fixture
def session(database):
    """A write session the test commits itself through ``run``."""
    s = database.WriteSession()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def run(database):
    """Run one command in its own transaction, like the web app does: ``run(fn, *args)``."""

    def _run(fn, *args, **kwargs):
        with database.transaction() as s:
            resolved = [_actor(s, a) for a in args]
            return fn(s, *resolved, **{k: _actor(s, v) for k, v in kwargs.items()})

    return _run


class As:
    """Marks an argument to be replaced by the User with this 工号 inside the command's session."""

    def __init__(self, staff_no: str):
        self.staff_no = staff_no


def _actor(session, value):
    if isinstance(value, As):
        return session.scalars(select(User).where(User.staff_no == value.staff_no)).one()
    return value


@pytest.fixture
def person():
    return Applicant(name="张三", cert_type="111", cert_number="11010519491231002X", phone="13800000000",
                     address="阳光县城关镇")


@pytest.fixture
def company():
    return Applicant(name="阳光县好味道餐饮有限公司", type="2", cert_type="001", cert_number="91530930MA6N8X0Q31",
                     contact_name="李四", phone="13912345678")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL")


__all__ = ["As", "Base", "DATA"]


@pytest.fixture
def app(database, settings):
    from webapp import create_app

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir, "TESTING": True})
    yield app
    app.extensions["sunhall_db"].dispose()


@pytest.fixture
def hostile_app(database, settings):
    """The app as a hostile client meets it, without the CSRF token and rate limits that would stop
    the request before the checks under test (both have their own tests)."""
    from webapp import create_app

    app = create_app({"database_url": settings.database_url, "instance_dir": settings.instance_dir,
                      "TESTING": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    yield app
    app.extensions["sunhall_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def faq_snapshot(database):
    """The FAQ library and its category tree as they are; calling the result puts them back (tests
    that add, edit or withdraw entries or categories, as the hostile crawler and the authority matrix do)."""
    from engine import search
    from engine.models import FaqCategory, FaqEntry
    from engine.qa import faq

    columns = [c.key for c in FaqEntry.__table__.columns]
    with database.transaction(write=False) as s:
        categories = {c.id: (c.name, c.parent_id, c.position) for c in s.scalars(select(FaqCategory))}
        entries = {e.id: {k: getattr(e, k) for k in columns} for e in s.scalars(select(FaqEntry))}

    def restore():
        with database.transaction() as s:
            for entry in s.scalars(select(FaqEntry)):
                if entry.id not in entries:
                    search.withdraw(s, "faq", f"lib/{entry.id}")
                    s.delete(entry)
                    continue
                for key, value in entries[entry.id].items():
                    setattr(entry, key, value)
                faq.publish_entry(s, entry)
            s.flush()
            for category in sorted(s.scalars(select(FaqCategory)), key=lambda c: -c.id):
                if category.id not in categories:
                    s.delete(category)
                    s.flush()
                else:
                    category.name, category.parent_id, category.position = categories[category.id]
    return restore


@pytest.fixture
def restore_faq(database):
    restore = faq_snapshot(database)
    yield
    restore()
