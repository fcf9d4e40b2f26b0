"""Where mail goes: a Maildir folder (default, for demos and previews) or an SMTP server.

A transport is a context manager holding one connection for a batch. ``send`` speaks the SMTP
conversation step by step (MAIL, RCPT, DATA) so that a lost connection can be placed exactly:
before DATA it is safe to reconnect and try again; once DATA began, the outcome is unknown and the
caller must not resend. Errors name host and port, never the credentials.
"""

from __future__ import annotations

import contextlib
import mailbox
import re
import smtplib
import ssl
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
    PermanentMailError,
    TemporaryMailError,
)

if TYPE_CHECKING:
    from creatorflow.settings import Settings

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_ENHANCED = re.compile(rb"^\s*([245])\.(\d{1,3})\.(\d{1,3})")


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

    def send(self, msg: EmailMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection (idempotent)."""


class MaildirTransport(Transport):
    """Writes each message as a file into ``PATH/new`` (the demo default; nothing leaves)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"maildir {path}"
        self._box: mailbox.Maildir | None = None

    def send(self, msg: EmailMessage) -> None:
        if self._box is None:
            self._box = mailbox.Maildir(self.path, create=True)
        self._box.add(msg)

    def close(self) -> None:
        self._box = None


def _classify(code: int, text: bytes, *, where: str, phase: str) -> Exception:
    """A reply code as the error the caller acts on (4xx temporary, 5xx permanent)."""
    reply = text.decode("utf-8", "replace")[:200]
    message = f"{where}: {code} {reply}"
    if 400 <= code < 500:
        return TemporaryMailError(message, code=code)
    enhanced = _ENHANCED.match(text)
    if enhanced:
        unknown = enhanced.group(1) == b"5" and enhanced.group(2) in (b"1", b"2")
    else:
        unknown = phase == "rcpt" and code in (550, 551, 553)
    return PermanentMailError(message, code=code, address_unknown=unknown)


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

    def send(self, msg: EmailMessage) -> None:
        sender = getaddresses([str(msg["From"])])[0][1]
        recipients = [a for _, a in getaddresses([str(v) for v in msg.get_all("To", [])]) if a]
        recipients += [a for _, a in getaddresses([str(v) for v in msg.get_all("Cc", [])]) if a]
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        for attempt in range(2):
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                self._envelope(conn, sender, recipients)
                break
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop()
                if attempt == 1:
                    raise TemporaryMailError(
                        f"{self._where}: connection lost before DATA: {type(exc).__name__}"
                    ) from None
        try:
            code, reply = conn.data(data)
        except smtplib.SMTPDataError as exc:
            self._reset(conn)
            raise _classify(
                exc.smtp_code, _as_bytes(exc.smtp_error), where=self._where, phase="data"
            ) from None
        except (smtplib.SMTPServerDisconnected, OSError, smtplib.SMTPResponseException) as exc:
            self._drop()
            raise MailOutcomeUnknown(
                f"{self._where}: connection lost during DATA ({type(exc).__name__}); "
                "the message may have been delivered"
            ) from None

    def _envelope(self, conn: smtplib.SMTP, sender: str, recipients: list[str]) -> None:
        code, reply = conn.mail(sender)
        if code != 250:
            self._reset(conn, closing=code == 421)
            raise _classify(code, reply, where=self._where, phase="mail")
        for rcpt in recipients:
            code, reply = conn.rcpt(rcpt)
            if code not in (250, 251):
                self._reset(conn, closing=code == 421)
                raise _classify(code, reply, where=f"{self._where} <{rcpt}>", phase="rcpt")

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


def _as_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "replace")


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
