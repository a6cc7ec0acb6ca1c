"""The channels a notification goes out by: email through SMTP, SMS through the county's HTTP
gateway, and the log (the default for a channel that is not configured).

An adapter is built per delivery round from the settings of the database the messages belong to
(no module-level registry, no connection at import time) and closed after it. A failure raises
:class:`AdapterFailure` with a sentence an administrator can act on (“SMTP 服务器拒绝：…”), and says
whether the whole channel is down (unreachable, timed out, refused our login) or only this message
failed (a recipient refused).
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import urlsplit

import requests

from . import clock
from .config import Settings
from .models import Notification

log = logging.getLogger("sunhall.notify")


class AdapterFailure(Exception):
    def __init__(self, message: str, channel_down: bool = False):
        super().__init__(message)
        self.message = message
        self.channel_down = channel_down


class LogAdapter:
    """Writes the message to the log ``sunhall.notify``: the default, and enough for a trial."""

    def send(self, message: Notification) -> None:
        log.info("%s to %s [%s] %s: %s", message.channel, message.recipient, message.ref, message.subject,
                 message.body)

    def close(self) -> None:
        pass


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}"


def sender_of(settings: Settings) -> tuple[str, str]:
    """(display name, address) of ``smtp_sender`` (“阳光县政务服务中心 <noreply@…>” or a bare address)."""
    name, address = parseaddr(settings.smtp_sender or "")
    return name, address or f"sunhall@{settings.smtp_host}"


def build_email(message: Notification, settings: Settings) -> EmailMessage:
    """A UTF-8 text message; the subject and the sender's name are encoded per RFC 2047. The
    Message-ID is the notification's own, so a retry is recognisably the same message."""
    name, address = sender_of(settings)
    domain = address.rpartition("@")[2] or "localhost"
    email = EmailMessage()
    email["Subject"] = " ".join(message.subject.split())  # a header is one line, whatever the text held
    email["From"] = formataddr((name, address)) if name else address
    email["To"] = message.recipient
    email["Date"] = format_datetime(clock.now().astimezone(clock.LOCAL_TZ))
    email["Message-ID"] = f"<notification-{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body, charset="utf-8")
    return email


class SmtpAdapter:
    """Email through the county's SMTP server: STARTTLS when ``smtp_starttls``, TLS from the first
    byte on port 465, a login when ``smtp_user`` is set. One connection per delivery round."""

    def __init__(self, settings: Settings, timeout: float):
        self.settings, self.timeout = settings, timeout
        self.where = f"{settings.smtp_host}:{settings.smtp_port}"
        self.server: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.smtp_port == 465:
                server = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
                if s.smtp_starttls:
                    server.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                server.login(s.smtp_user, s.smtp_password)
        except smtplib.SMTPAuthenticationError as exc:
            raise AdapterFailure(f"SMTP 服务器拒绝登录（请检查用户名和密码）：{_reply(exc)}", True) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise AdapterFailure(f"SMTP 服务器 {self.where} 不支持 STARTTLS 或登录，请检查加密和登录设置。", True) from exc
        except smtplib.SMTPResponseException as exc:
            raise AdapterFailure(f"SMTP 服务器拒绝连接：{_reply(exc)}", True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise AdapterFailure(self._network(exc), True) from exc
        return server

    def _network(self, exc: BaseException) -> str:
        # smtplib turns a read that timed out into SMTPServerDisconnected: the timeout is its context
        if isinstance(exc, (socket.timeout, TimeoutError)) or isinstance(exc.__context__, (socket.timeout, TimeoutError)):
            return f"连接 SMTP 服务器 {self.where} 超时（{self.timeout:g} 秒无响应）。"
        if isinstance(exc, ConnectionRefusedError):
            return f"无法连接 SMTP 服务器 {self.where}：连接被拒绝（服务器未启动或端口不对）。"
        if isinstance(exc, socket.gaierror):
            return f"无法解析 SMTP 服务器地址 {self.settings.smtp_host}。"
        if isinstance(exc, ssl.SSLError):
            return f"与 SMTP 服务器 {self.where} 建立加密连接失败：{exc}"
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return f"SMTP 服务器 {self.where} 断开了连接。"
        return f"无法连接 SMTP 服务器 {self.where}：{exc}"

    def send(self, message: Notification) -> None:
        if self.server is None:
            self.server = self._connect()
        email = build_email(message, self.settings)
        try:
            self.server.send_message(email, from_addr=sender_of(self.settings)[1], to_addrs=[message.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            reply = f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            raise AdapterFailure(f"SMTP 服务器拒绝收件人 {message.recipient}：{reply}") from exc
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise AdapterFailure(f"SMTP 服务器拒绝发件人 {sender_of(self.settings)[1]}：{_reply(exc)}", True) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise AdapterFailure(f"SMTP 服务器拒绝：{_reply(exc)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise AdapterFailure(self._network(exc), True) from exc

    def close(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()


class SmsGatewayAdapter:
    """SMS through the county's gateway (docs/notices.md): POST JSON {"phone", "text", "ref", "id"}
    with ``Authorization: Bearer <sms_gateway_token>``; any 2xx answer means accepted for sending."""

    def __init__(self, settings: Settings, timeout: float):
        self.url, self.token, self.timeout = settings.sms_gateway_url, settings.sms_gateway_token, timeout
        self.where = urlsplit(self.url).netloc or self.url
        self.http = requests.Session()

    def send(self, message: Notification) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {"phone": message.recipient, "text": message.body, "ref": message.ref, "id": f"notification-{message.id}"}
        try:
            answer = self.http.post(self.url, json=payload, headers=headers, timeout=self.timeout, allow_redirects=False)
        except requests.Timeout as exc:
            raise AdapterFailure(f"短信网关 {self.where} 超时（{self.timeout:g} 秒无响应）。", True) from exc
        except requests.ConnectionError as exc:
            raise AdapterFailure(f"无法连接短信网关 {self.where}（网关未启动或地址不对）。", True) from exc
        except requests.RequestException as exc:
            raise AdapterFailure(f"短信网关地址无效或请求失败：{type(exc).__name__}", True) from exc
        if 200 <= answer.status_code < 300:
            return
        said = " ".join(answer.text.split())[:200]
        if answer.status_code in (401, 403):
            raise AdapterFailure(f"短信网关拒绝了令牌（HTTP {answer.status_code}），请检查短信网关令牌。{said}", True)
        raise AdapterFailure(f"短信网关返回 HTTP {answer.status_code}：{said or '（无内容）'}")

    def close(self) -> None:
        self.http.close()


def adapters_for(settings: Settings, timeout: float) -> dict:
    """The adapter of each channel under these settings (the log where a channel is not set up)."""
    return {"email": SmtpAdapter(settings, timeout) if settings.smtp_host else LogAdapter(),
            "sms": SmsGatewayAdapter(settings, timeout) if settings.sms_gateway_url else LogAdapter()}


__all__ = ["AdapterFailure", "LogAdapter", "SmsGatewayAdapter", "SmtpAdapter", "adapters_for", "build_email"]
