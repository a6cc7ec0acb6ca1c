"""The feed upward (报送省级平台): every case change writes one outbox message in its own transaction;
the sender delivers them to a real local HTTP server with idempotency keys, retries with backoff,
and gives up into the dead-letter list; `sunhall feed …` shows, sends and requeues."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine import clock, scheduler
from engine.errors import InvalidInput
from engine.exchange import feed
from engine.models import Case, FeedMessage, SystemEvent
from engine.service import start_case
from tests.conftest import As
from tests.helpers import do

FOOD = "015309300002"


class Platform:
    """A provincial platform on a local port: records every request; fails the first ``failures``."""

    def __init__(self, failures: int = 0, status: int = 503):
        self.requests: list[dict] = []
        self.failures, self.status = failures, status
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                platform.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                failing = len(platform.requests) <= platform.failures
                self.send_response(platform.status if failing else 202)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def configured(database):
    """The database's settings pointed at a platform (restored afterwards)."""
    original = database.settings

    def point(url: str, token: str = "feed-secret"):
        database.settings = dataclasses.replace(original, feed_url=url, feed_token=token)
        return database.settings

    yield point
    database.settings = original


def messages(database, case_id=None) -> list[FeedMessage]:
    with database.transaction(write=False) as s:
        q = select(FeedMessage).order_by(FeedMessage.id)
        if case_id is not None:
            q = q.where(FeedMessage.case_id == case_id)
        return list(s.scalars(q))


def test_each_case_change_writes_one_message_in_its_own_transaction(database, run, company, frozen_clock):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    written = messages(database, case.id)
    assert [m.kind for m in written] == ["receive", "complete"]
    assert [m.event_seq for m in written] == [1, 2]
    assert all(m.state == "pending" for m in written)
    body = written[-1].payload
    assert body["format"] == feed.FORMAT and body["case"]["number"] == case.number
    assert body["case"]["source"] == "sunhall" and body["case"]["item"]["code"] == FOOD
    assert body["case"]["applicant"]["cert_number"] == company.cert_number
    assert [s["name"] for s in body["steps"]][:1] == ["受理"] and body["steps"][0]["opinion"] == "同意。"
    assert len({m.delivery_id for m in written}) == 2


def test_a_rolled_back_command_writes_no_message(database, company, frozen_clock):
    before = len(messages(database))
    with pytest.raises(RuntimeError):
        with database.transaction() as s:
            from engine.models import User
            clerk = s.scalars(select(User).where(User.staff_no == "sc001")).one()
            start_case(s, FOOD, company, clerk, data={"prepackaged_only": False})
            assert s.scalars(select(FeedMessage)).all()  # written in the transaction …
            raise RuntimeError("the command fails after the change")
    assert len(messages(database)) == before  # … and gone with it


def test_without_a_feed_url_messages_stay_pending(database, run, company, frozen_clock):
    run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    assert feed.send_due(database) == 0
    assert {m.state for m in messages(database)} == {"pending"}


def test_the_sender_delivers_in_order_with_idempotency_keys_and_the_token(database, run, company, frozen_clock,
                                                                          configured):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    do(run, database, case.id, As("sc001"), "accept")
    with Platform() as platform:
        configured(platform.url)
        report = scheduler.run_tick(database)  # the scheduler's tick sends (engine.exchange.install)
    assert report.hooks.get("engine.exchange.feed.send_due") == 2
    sent = messages(database, case.id)
    assert [m.state for m in sent] == ["sent", "sent"] and all(m.sent_at for m in sent)
    assert [r["headers"]["Idempotency-Key"] for r in platform.requests] == [m.delivery_id for m in sent]
    assert all(r["headers"]["Authorization"] == "Bearer feed-secret" for r in platform.requests)
    assert [r["body"]["event_seq"] for r in platform.requests] == [1, 2]
    assert [r["body"]["delivery_id"] for r in platform.requests] == [m.delivery_id for m in sent]


def test_failures_are_retried_with_backoff_then_delivered_once(database, run, company, frozen_clock, configured):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    with Platform(failures=2) as platform:
        configured(platform.url)
        assert feed.send_due(database) == 0
        [message] = messages(database, case.id)
        assert (message.state, message.attempts) == ("pending", 1) and "HTTP 503" in message.last_error
        assert message.next_attempt_at == clock.now() + feed.backoff(1)
        assert feed.send_due(database) == 0  # not due yet: nothing is sent
        assert len(platform.requests) == 1
        clock.travel(clock.now() + feed.backoff(1))
        assert feed.send_due(database) == 0
        clock.travel(clock.now() + feed.backoff(2))
        assert feed.send_due(database) == 1
        assert feed.send_due(database) == 0
    [message] = messages(database, case.id)
    assert (message.state, message.attempts) == ("sent", 3)
    keys = {r["headers"]["Idempotency-Key"] for r in platform.requests}
    assert keys == {message.delivery_id} and len(platform.requests) == 3


def test_a_later_message_of_a_case_waits_for_an_earlier_one(database, run, company, frozen_clock, configured):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    with Platform(failures=1) as platform:
        configured(platform.url)
        feed.send_due(database)  # the first fails
        do(run, database, case.id, As("sc001"), "accept")
        assert feed.send_due(database) == 0  # the second is due but waits for the first
        clock.travel(clock.now() + feed.backoff(1))
        assert feed.send_due(database) == 2
    assert [r["body"]["event_seq"] for r in platform.requests] == [1, 1, 2]


def test_after_the_last_attempt_a_message_is_dead_until_requeued(database, run, company, frozen_clock, configured):
    case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
    with Platform(failures=100, status=500) as platform:
        configured(platform.url)
        for attempt in range(1, feed.MAX_ATTEMPTS + 1):
            feed.send_due(database)
            clock.travel(clock.now() + feed.backoff(attempt))
        [message] = messages(database, case.id)
        assert (message.state, message.attempts) == ("dead", feed.MAX_ATTEMPTS)
        feed.send_due(database)
        assert len(platform.requests) == feed.MAX_ATTEMPTS  # a dead message is not tried again
    with Platform() as platform:
        configured(platform.url)
        runner = CliRunner()
        from webapp.cli import main as cli

        status = runner.invoke(cli, ["feed", "status"], env={"SUNHALL_DATABASE_URL": database.settings.database_url})
        assert "已停止重试：1 条" in status.output
        with database.transaction() as s:
            assert feed.requeue(s, None, dead=True) == 1
            logged = s.scalars(select(SystemEvent).where(SystemEvent.action == "feed.requeued")).all()
            assert logged and logged[-1].detail["count"] == 1
        assert feed.send_due(database) == 1
    [message] = messages(database, case.id)
    assert message.state == "sent" and platform.requests[0]["headers"]["Idempotency-Key"] == message.delivery_id


def test_requeue_refuses_what_is_not_there(database):
    with database.transaction() as s:
        with pytest.raises(InvalidInput):
            feed.requeue(s, None)
        from engine.errors import NotFound
        with pytest.raises(NotFound, match="不存在"):
            feed.requeue(s, None, message_id=2**31 - 1)


def test_a_platform_that_does_not_answer_is_a_timeout(database, run, company, frozen_clock, configured, monkeypatch):
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    monkeypatch.setattr(feed, "TIMEOUT_SECONDS", 0.5)
    try:
        run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
        configured(f"http://127.0.0.1:{silent.getsockname()[1]}/feed")
        assert feed.send_due(database) == 0
    finally:
        silent.close()
    [message] = messages(database)
    assert message.state == "pending" and "超时" in message.last_error
    assert message.next_attempt_at > clock.now() - timedelta(seconds=1)


def test_the_cli_status_without_a_url_says_so(database):
    from click.testing import CliRunner

    from webapp.cli import main as cli

    result = CliRunner().invoke(cli, ["feed", "status"], env={"SUNHALL_DATABASE_URL": database.settings.database_url,
                                                             "SUNHALL_FEED_URL": ""})
    assert result.exit_code == 0 and "待发送" in result.output and "尚未配置省级平台地址" in result.output
    bad = CliRunner().invoke(cli, ["feed", "requeue", "abc"], env={"SUNHALL_DATABASE_URL":
                                                                    database.settings.database_url})
    assert bad.exit_code != 0 and "消息编号应为正整数" in bad.output


def test_an_external_report_is_fed_upward_too(database, run, frozen_clock):
    from engine.exchange import report
    from engine.models import Department
    from tests.test_exchange_report import push, sample

    with database.transaction(write=False) as s:
        dept = s.scalars(select(Department.id).where(Department.code == "scjgj")).one()
    outcome = push(run, report.Reporter("scj-spxk", (dept,)), sample())
    [message] = messages(database, outcome.case.id)
    assert message.kind == "report"
    body = message.payload["case"]
    assert body["source"] == "scj-spxk" and body["external_id"] == "SPXK-2026-0001"
    assert body["accepted_by"] == "窗口李娜"
    assert [s["name"] for s in message.payload["steps"]] == ["审查", "决定"]
    assert message.payload["materials"][0]["name"] == "食品经营许可申请书"
    with database.transaction(write=False) as s:
        assert s.get(Case, outcome.case.id).event_count == message.event_seq


def _as_the_orm_reads_it(session, case) -> dict:
    """The message as the listener built it before it read on the cursor: every object through the
    ORM (the reference the cheaper reads must keep matching)."""
    from engine.models import CaseTask, Department, User

    with session.no_autoflush:
        tasks = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)
                                     .order_by(CaseTask.created_at, CaseTask.id)))
        users = {u.id: u.name for u in session.scalars(select(User))}
        depts = {d.id: d for d in session.scalars(select(Department))}
    return {"item": {"code": case.item.code, "name": case.item_version.name, "version": case.item_version.version},
            "department": {"code": depts[case.department_id].code, "name": depts[case.department_id].name},
            "accepted_by": users.get(case.accepted_by_id),
            "steps": [(t.step_id, t.state, depts[t.department_id].code, users.get(t.completed_by_id) if t.completed_at
                       else None, t.opinion, t.approved) for t in tasks if t.state != "cancelled"]}


def test_each_message_is_the_case_as_it_stood_at_its_change(database, run, company, frozen_clock):
    """Built from the case row in hand and two statements, a message carries what the ORM reads at
    that moment; a later change does not rewrite it (the accepting message keeps 审查 as ready)."""
    from engine import listeners

    seen = {}

    def reference(t):
        if t.case.source is None:
            seen[t.case.event_count] = _as_the_orm_reads_it(t.session, t.case)

    listeners.register(reference)
    try:
        case = run(start_case, FOOD, company, As("sc001"), data={"prepackaged_only": False})
        do(run, database, case.id, As("sc001"), "accept")
        do(run, database, case.id, As("sc003"), "review", opinion="材料齐全，同意。")
    finally:
        listeners.unregister(reference)
    written = messages(database, case.id)
    assert [m.event_seq for m in written] == [1, 2, 3] and sorted(seen) == [1, 2, 3]
    for message in written:
        body, expected = message.payload, seen[message.event_seq]
        assert {k: body["case"][k] for k in ("item", "department", "accepted_by")} == \
            {k: expected[k] for k in ("item", "department", "accepted_by")}
        assert [(s["step_id"], s["state"], s["department"], s["handler"], s["opinion"], s["approved"])
                for s in body["steps"]] == expected["steps"]
    accepted, reviewed = written[1].payload, written[2].payload
    assert [(s["step_id"], s["state"]) for s in accepted["steps"]][:2] == [("accept", "completed"), ("review", "ready")]
    assert reviewed["steps"][1]["state"] == "completed" and reviewed["steps"][1]["opinion"] == "材料齐全，同意。"
    assert accepted["case"]["accepted_by"] and reviewed["steps"][0]["handler"] == accepted["case"]["accepted_by"]
