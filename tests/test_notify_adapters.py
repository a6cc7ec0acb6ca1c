"""Notices leave by real channels (seed 002 §8.4): email to a local SMTP server (aiosmtpd) and SMS to a
local HTTP gateway, after the command commits and never for one that rolls back; a server that is
down, slow or refusing leaves the message queued with an error an administrator can read, and the
scheduler's tick retries it until it goes or has failed MAX_ATTEMPTS times."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine import clock, notify
from engine.db import Database
from engine.models import Case, CaseTask, Notification, User
from engine.service import complete_task, start_case

FOOD = "015309300002"
SENDER = "阳光县政务服务中心 <noreply@ygx.gov.cn>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what it is sent; refuses the recipients it is told to."""

    def __init__(self):
        self.messages, self.refuse = [], set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


class SmtpServer:
    """A real SMTP server on a fixed local port that a test can stop and start again."""

    def __init__(self):
        self.port, self.inbox, self.controller = free_port(), Inbox(), None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Gateway:
    """The county's SMS gateway as docs/notices.md describes it, answering with the statuses it is given."""

    def __init__(self):
        self.received, self.statuses = [], []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append((self.path, dict(self.headers), json.loads(body)))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                answer = b'{"error": "upstream operator unavailable"}' if status >= 300 else b'{"accepted": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


def configured(database, settings, **changes):
    """The same database seen through settings with the channels set up (as SUNHALL_SMTP_* would)."""
    return Database(settings=replace(settings, **changes))


@pytest.fixture
def mail_db(database, settings, smtp):
    db = configured(database, settings, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_sender=SENDER)
    yield db
    db.dispose()


@pytest.fixture
def sms_db(database, settings, gateway):
    db = configured(database, settings, sms_gateway_url=gateway.url, sms_gateway_token="county-secret-token")
    yield db
    db.dispose()


def received_case(db, company, email="li@example.com") -> Case:
    with db.transaction() as s:
        clerk = _user(s, "sc001")
        return start_case(s, FOOD, company, clerk, data={"prepackaged_only": False, "email": email})


def _user(s, staff_no: str) -> User:
    return s.scalars(select(User).where(User.staff_no == staff_no)).one()


def accept(s, case_id: int) -> None:
    """The window clerk completes the 受理 step through the real case service."""
    task = s.scalars(select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).one()
    complete_task(s, task, _user(s, "sc001"), approved=True, opinion="同意受理。")


def rows(db, case_id: int | None = None, channel: str | None = None) -> list[Notification]:
    with db.transaction(write=False) as s:
        query = select(Notification).order_by(Notification.id)
        if case_id is not None:
            query = query.where(Notification.case_id == case_id)
        if channel is not None:
            query = query.where(Notification.channel == channel)
        return list(s.scalars(query))


def later(**delta) -> None:
    clock.travel(clock.now() + timedelta(**delta))


# --- the done-when line: 受理 reaches the SMTP server after commit, never on rollback ---------------------

def test_a_notice_of_acceptance_reaches_the_smtp_server_after_commit_and_not_on_rollback(
        mail_db, smtp, frozen_clock, company, caplog):
    caplog.set_level(logging.INFO, logger="sunhall.notify")
    case = received_case(mail_db, company)
    with mail_db.transaction() as s:
        accept(s, case.id)
        s.flush()
        assert smtp.inbox.messages == []  # queued in the transaction, nothing sent before the commit
    [(to, mail)] = smtp.inbox.messages
    assert to == ["li@example.com"]
    assert mail["Subject"] == f"受理通知：食品经营许可（办件编号 {case.number}）"
    assert mail["To"] == "li@example.com" and mail["From"].addresses[0].display_name == "阳光县政务服务中心"
    assert mail["From"].addresses[0].addr_spec == "noreply@ygx.gov.cn"
    assert mail["Message-ID"].endswith("@ygx.gov.cn>") and mail["Date"].datetime.year == 2026
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    text = mail.get_content()
    assert text.startswith("阳光县好味道餐饮有限公司：您好！")
    assert f"您于2026年9月28日提交的“食品经营许可”申请（办件编号 {case.number}）已于2026年9月28日由阳光县市场监督管理局受理" in text
    email, sms = rows(mail_db, case.id)
    assert (email.channel, email.state, email.attempts, email.kind) == ("email", "sent", 1, "accepted")
    # the SMS channel is not set up on this database: the log adapter takes it, and it counts as sent
    assert (sms.channel, sms.state) == ("sms", "sent") and f"sms to 13912345678 [case:{case.number}]" in caplog.text

    second = received_case(mail_db, company, email="wang@example.com")
    with pytest.raises(RuntimeError), mail_db.transaction() as s:
        accept(s, second.id)
        raise RuntimeError("the command fails after the acceptance")
    assert len(smtp.inbox.messages) == 1  # nothing more arrived
    assert rows(mail_db, second.id) == []  # and nothing stays queued
    with mail_db.transaction(write=False) as s:
        assert s.get(Case, second.id).state == "received"
    assert notify.tick(mail_db) == 0


# --- failures and retries ---------------------------------------------------------------------------

def test_smtp_down_leaves_the_notice_queued_with_its_error_and_the_tick_sends_it_when_back(
        mail_db, smtp, frozen_clock, company):
    case = received_case(mail_db, company)
    smtp.stop()
    with mail_db.transaction() as s:
        accept(s, case.id)  # the command succeeds all the same
    [email] = rows(mail_db, case.id, "email")
    assert (email.state, email.attempts) == ("queued", 1)
    assert email.error == f"无法连接 SMTP 服务器 127.0.0.1:{smtp.port}：连接被拒绝（服务器未启动或端口不对）。"
    smtp.start()
    assert notify.tick(mail_db) == 0  # not due yet: the second attempt waits two minutes
    later(minutes=3)
    assert notify.tick(mail_db) == 1
    [email] = rows(mail_db, case.id, "email")
    assert (email.state, email.attempts, email.error) == ("sent", 2, None)
    [(to, mail)] = smtp.inbox.messages
    assert to == ["li@example.com"] and mail["Subject"].startswith("受理通知")
    later(hours=5)
    assert notify.tick(mail_db) == 0  # sent once


def test_a_notice_that_cannot_go_fails_after_max_attempts_and_an_administrator_can_send_it_again(
        mail_db, smtp, frozen_clock, company):
    case = received_case(mail_db, company)
    smtp.stop()
    with mail_db.transaction() as s:
        accept(s, case.id)
    for attempt in range(2, notify.MAX_ATTEMPTS + 1):
        later(hours=5)
        assert notify.tick(mail_db) == 0
        [email] = rows(mail_db, case.id, "email")
        assert email.attempts == attempt
    assert email.state == "failed" and "连接被拒绝" in email.error
    later(hours=5)
    notify.tick(mail_db)
    assert rows(mail_db, case.id, "email")[0].attempts == notify.MAX_ATTEMPTS  # a failed one is left alone
    smtp.start()
    with mail_db.transaction() as s:
        notify.requeue(s, email.id)
    later(minutes=1)
    assert notify.tick(mail_db) == 1
    assert rows(mail_db, case.id, "email")[0].state == "sent" and len(smtp.inbox.messages) == 1


def test_a_refused_recipient_is_recorded_in_words_and_does_not_stop_the_others(mail_db, smtp, frozen_clock, company):
    smtp.inbox.refuse.add("gone@example.com")
    refused, fine = received_case(mail_db, company, "gone@example.com"), received_case(mail_db, company)
    with mail_db.transaction() as s:
        accept(s, refused.id)
        accept(s, fine.id)
    [bad] = rows(mail_db, refused.id, "email")
    assert bad.state == "queued" and bad.error == "SMTP 服务器拒绝收件人 gone@example.com：550 5.1.1 mailbox unavailable"
    assert rows(mail_db, fine.id, "email")[0].state == "sent"
    assert [to for to, _ in smtp.inbox.messages] == [["li@example.com"]]


def test_a_silent_smtp_server_cannot_hang_the_command(database, settings, frozen_clock, company, monkeypatch):
    monkeypatch.setattr(notify, "AFTER_COMMIT_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        db = configured(database, settings, smtp_host="127.0.0.1", smtp_port=silent.getsockname()[1])
        try:
            case = received_case(db, company)
            started = time.monotonic()
            with db.transaction() as s:
                accept(s, case.id)
            assert time.monotonic() - started < 3
            [email] = rows(db, case.id, "email")
        finally:
            db.dispose()
    assert email.state == "queued" and email.error.startswith("连接 SMTP 服务器 127.0.0.1:")
    assert email.error.endswith("超时（0.5 秒无响应）。")


# --- the SMS gateway ---------------------------------------------------------------------------------

def test_the_sms_gateway_gets_the_documented_json_with_the_token(sms_db, gateway, frozen_clock, company):
    case = received_case(sms_db, company, email="")
    with sms_db.transaction() as s:
        accept(s, case.id)
    [sms] = rows(sms_db, case.id)
    assert (sms.channel, sms.state, sms.attempts) == ("sms", "sent", 1)
    [(path, headers, payload)] = gateway.received
    assert path == "/sms/send" and headers["Authorization"] == "Bearer county-secret-token"
    assert headers["Content-Type"] == "application/json"
    assert payload == {"phone": "13912345678", "text": sms.body, "ref": f"case:{case.number}",
                       "id": f"notification-{sms.id}"}
    assert payload["text"].startswith("阳光县好味道餐饮有限公司：您申请的“食品经营许可”") and "查询码" not in payload["text"]


def test_a_gateway_error_is_retried_by_the_tick(sms_db, gateway, frozen_clock, company):
    case = received_case(sms_db, company, email="")
    gateway.statuses = [500]
    with sms_db.transaction() as s:
        accept(s, case.id)
    [sms] = rows(sms_db, case.id)
    assert sms.state == "queued" and sms.error == '短信网关返回 HTTP 500：{"error": "upstream operator unavailable"}'
    later(minutes=3)
    assert notify.tick(sms_db) == 1
    assert rows(sms_db, case.id)[0].state == "sent"
    assert [p["id"] for _, _, p in gateway.received] == [f"notification-{sms.id}"] * 2  # the same id: a repeat is known


def test_a_wrong_token_and_an_unreachable_gateway_are_told_apart(database, settings, gateway, frozen_clock, company):
    gateway.statuses = [401]
    dead = f"http://127.0.0.1:{free_port()}/sms"
    for url, error in ((gateway.url, "短信网关拒绝了令牌（HTTP 401），请检查短信网关令牌。"),
                       (dead, "无法连接短信网关 127.0.0.1:")):
        db = configured(database, settings, sms_gateway_url=url, sms_gateway_token="wrong")
        try:
            case = received_case(db, company, email="")
            with db.transaction() as s:
                accept(s, case.id)
            [sms] = rows(db, case.id)
        finally:
            db.dispose()
        assert sms.state == "queued" and sms.error.startswith(error)
        assert "wrong" not in sms.error  # the token is never written into the record


def test_without_settings_every_channel_goes_to_the_log(database, frozen_clock, company, caplog):
    caplog.set_level(logging.INFO, logger="sunhall.notify")
    case = received_case(database, company)
    with database.transaction() as s:
        accept(s, case.id)
    assert sorted((n.channel, n.state) for n in rows(database, case.id)) == [("email", "sent"), ("sms", "sent")]
    assert f"email to li@example.com [case:{case.number}] 受理通知：食品经营许可" in caplog.text
