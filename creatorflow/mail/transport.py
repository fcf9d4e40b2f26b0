"""Where mail goes: a Maildir folder (default, for demos and previews) or an SMTP server.

A transport is a context manager holding one connection for a batch. ``send`` speaks the SMTP
conversation step by step (MAIL, RCPT, DATA, the message, the final reply) and checks every
reply, the final one included: ``SMTP.data`` returns a refusal after the message data instead of
raising, and a caller that ignores it records a refused message as sent. A lost connection is
placed exactly: until the end of the message data has been written nothing can have been
delivered, so it is safe to reconnect and try again; between the end of the data and the final
reply the outcome is unknown and the caller must not resend. Errors name host and port, never
the credentials.
"""

from __future__ import annotations

import contextlib
import mailbox
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from creatorflow.errors import ConfigError
from creatorflow.mail.errors import (
    MailConnectionError,
    MailOutcomeUnknown,
    TemporaryMailError,
)
from creatorflow.mail.smtp_replies import refusal, reply_text

if TYPE_CHECKING:
    from creatorflow.settings import Settings

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


@dataclass(frozen=True)
class Delivered:
    """The server took the message: its final reply (250 and the queue id it names)."""

    code: int
    reply: str


class Transport:
    """One batch's connection; ``send`` raises the typed errors of ``creatorflow.mail.errors``."""

    description = "transport"

    def __enter__(self) -> Transport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, msg: EmailMessage) -> Delivered:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection (idempotent)."""


class MaildirTransport(Transport):
    """Writes each message as a file into ``PATH/new`` (the demo default; nothing leaves)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"maildir {path}"
        self._box: mailbox.Maildir | None = None

    def send(self, msg: EmailMessage) -> Delivered:
        if self._box is None:
            self._box = mailbox.Maildir(self.path, create=True)
        key = self._box.add(msg)
        return Delivered(250, f"written to {self.path} as {key}")

    def close(self) -> None:
        self._box = None


class SMTPTransport(Transport):
    """SMTP, SMTP with STARTTLS, or SMTP over implicit TLS, one connection per batch."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        mode: str = "plain",
        username: str | None = None,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> None:
        if mode not in ("plain", "starttls", "ssl"):
            raise ConfigError(f"unknown SMTP mode {mode!r}")
        self.host, self.port, self.mode = host, port, mode
        self._username, self._password = username, password
        self._context = ssl_context
        self._timeout = timeout
        self._conn: smtplib.SMTP | None = None
        self.description = f"{mode} smtp {host}:{port}"

    @property
    def _where(self) -> str:
        return f"SMTP {self.host}:{self.port}"

    def _ssl_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    def _connect(self) -> smtplib.SMTP:
        conn: smtplib.SMTP
        try:
            if self.mode == "ssl":
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, context=self._ssl_context(), timeout=self._timeout
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailConnectionError(
                f"cannot connect to {self._where}: {type(exc).__name__}"
            ) from None
        try:
            conn.ehlo()
            if self.mode == "starttls":
                conn.starttls(context=self._ssl_context())
                conn.ehlo()
            if self._username is not None:
                conn.login(self._username, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(conn)
            raise MailConnectionError(
                f"{self._where}: authentication failed ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPNotSupportedError:
            _close_quietly(conn)
            raise MailConnectionError(
                f"{self._where}: the server does not offer AUTH here "
                "(use smtp+starttls:// or smtps://)"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close_quietly(conn)
            raise MailConnectionError(
                f"{self._where}: connection set-up failed: {type(exc).__name__}"
            ) from None
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            _close_quietly(self._conn)
        self._conn = None

    def send(self, msg: EmailMessage) -> Delivered:
        """Deliver ``msg`` to every recipient or raise what happened (``creatorflow.mail.errors``).

        A connection lost before the end of the message data is retried once on a new
        connection (nothing was delivered); a lost final reply is ``MailOutcomeUnknown``.
        """
        sender = getaddresses([str(msg["From"])])[0][1]
        recipients = [a for _, a in getaddresses([str(v) for v in msg.get_all("To", [])]) if a]
        recipients += [a for _, a in getaddresses([str(v) for v in msg.get_all("Cc", [])]) if a]
        data = _data_block(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
        for attempt in range(2):
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                self._envelope(conn, sender, recipients)
                code, reply = conn.docmd("data")
                if code != 354:
                    self._reset(conn, closing=code == 421)
                    raise refusal(code, reply, where=self._where, phase="data")
                conn.send(data)  # nothing is delivered before its final CRLF.CRLF is written
                break
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop()
                if attempt == 1:
                    raise TemporaryMailError(
                        f"{self._where}: connection lost before the end of the message data "
                        f"({type(exc).__name__}); nothing was delivered"
                    ) from None
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise MailOutcomeUnknown(
                f"{self._where}: connection lost after the message data, before the final reply "
                f"({type(exc).__name__}); the message may have been delivered"
            ) from None
        if code == 250:
            return Delivered(code, reply_text(reply))
        if code == 421:
            self._drop()
        raise refusal(code, reply, where=self._where, phase="end")

    def _envelope(self, conn: smtplib.SMTP, sender: str, recipients: list[str]) -> None:
        """MAIL and one RCPT per recipient; a refusal resets the transaction and raises.

        A refused sender concerns every message of the batch: the batch stops (nothing sent).
        """
        code, reply = conn.mail(sender)
        if code != 250:
            self._reset(conn, closing=code == 421)
            error = refusal(code, reply, where=self._where, phase="mail")
            if code >= 500:
                raise MailConnectionError(f"the server refuses the sender <{sender}>: {error}")
            raise error
        for rcpt in recipients:
            code, reply = conn.rcpt(rcpt)
            if code not in (250, 251):
                self._reset(conn, closing=code == 421)
                raise refusal(code, reply, where=f"{self._where} <{rcpt}>", phase="rcpt")

    def _reset(self, conn: smtplib.SMTP, *, closing: bool = False) -> None:
        if closing:
            self._drop()
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
            _close_quietly(self._conn)
        self._conn = None


def _data_block(raw: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, leading dots doubled, a final dot line."""
    body = _LEADING_DOT.sub(b"..", _LINE_ENDS.sub(b"\r\n", raw))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"


def _close_quietly(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


def transport_from_url(
    url: str, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0
) -> Transport:
    """The transport a ``CREATORFLOW_MAIL_URL`` names.

    ``maildir://PATH``, ``smtp://HOST:PORT``, ``smtp+starttls://USER:PASS@HOST:587``,
    ``smtps://USER:PASS@HOST:465``. User and password are URL-decoded (``%40`` for ``@``).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "maildir":
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise ConfigError("CREATORFLOW_MAIL_URL: maildir:// needs a path")
        return MaildirTransport(Path(path))
    if scheme not in DEFAULT_PORTS:
        raise ConfigError(
            f"CREATORFLOW_MAIL_URL: unsupported scheme {scheme!r} "
            "(maildir, smtp, smtp+starttls, smtps)"
        )
    try:
        host, port = parts.hostname, parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ConfigError("CREATORFLOW_MAIL_URL: invalid port") from None
    if not host:
        raise ConfigError(f"CREATORFLOW_MAIL_URL: {scheme}:// needs a host")
    mode = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}[scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return SMTPTransport(
        host,
        port,
        mode=mode,
        username=username,
        password=password,
        ssl_context=ssl_context,
        timeout=timeout,
    )


def transport_for(settings: Settings) -> Transport:
    """The transport for ``settings`` (trusting ``CREATORFLOW_MAIL_CA_FILE`` when set)."""
    context = None
    if settings.mail_ca_file is not None:
        context = ssl.create_default_context(cafile=str(settings.mail_ca_file))
    return transport_from_url(settings.mail_url.get_secret_value(), ssl_context=context)
