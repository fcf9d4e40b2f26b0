"""Readers for the outreach mailbox named by ``CREATORFLOW_INBOX_URL``: IMAP, IMAPS and maildir.

IMAP polling follows the usual recipe: ``UID SEARCH`` narrowed by the stored checkpoint (UID
and UIDVALIDITY), with ``SINCE`` one day before the newest INTERNALDATE already read, because
SINCE ignores the time of day. When UIDVALIDITY changes the old UIDs mean nothing: the reader
falls back to the date window alone and the caller's once-per-Message-ID record absorbs the
overlap. The mailbox is opened read-only (``EXAMINE``): reading never changes \\Seen flags.

A maildir has no UIDs: every message is returned on every read and the caller skips those already
recorded. Nothing here touches the database; the replies service keeps the checkpoint.
"""

from __future__ import annotations

import contextlib
import imaplib
import mailbox
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from creatorflow.errors import ConfigError
from creatorflow.mail.errors import MailError, TemporaryMailError

FETCH_CHUNK = 100
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


class InboxError(MailError):
    """The mailbox answered but refused us (bad login, unknown folder, protocol error)."""


class InboxUnavailable(TemporaryMailError):
    """The mailbox could not be reached (connection refused, timeout): try again later."""


@dataclass(frozen=True)
class Checkpoint:
    uidvalidity: int | None
    last_uid: int
    last_seen_at: datetime | None  # server INTERNALDATE of the newest message read


@dataclass(frozen=True)
class FetchedMessage:
    raw: bytes
    uid: int | None = None
    internal_date: datetime | None = None


@dataclass(frozen=True)
class InboxBatch:
    messages: list[FetchedMessage]
    checkpoint: Checkpoint | None  # what to store once the batch is recorded (None: maildir)


class Inbox(Protocol):
    mailbox: str  # a name for the checkpoint row; never contains a password

    def read(self, checkpoint: Checkpoint | None) -> InboxBatch: ...


def open_inbox(url: str, *, timeout: float = 30.0, ca_file: Path | None = None) -> Inbox:
    """The reader for ``url``: ``maildir://PATH``, ``imap[s]://USER:PASS@HOST:PORT[/FOLDER]``."""
    if url.startswith("maildir://"):
        return MaildirInbox(Path(url[len("maildir://") :]))
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"}:
        raise ConfigError(
            f"CREATORFLOW_INBOX_URL: unsupported scheme {parts.scheme!r} "
            "(use maildir://PATH, imap://USER:PASS@HOST:PORT or imaps://...)"
        )
    if not parts.hostname or parts.username is None or parts.password is None:
        raise ConfigError("CREATORFLOW_INBOX_URL: IMAP needs USER:PASS@HOST")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError:
        raise ConfigError("CREATORFLOW_INBOX_URL: invalid port") from None
    return ImapInbox(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password),
        folder=folder,
        tls=parts.scheme == "imaps",
        timeout=timeout,
        ca_file=ca_file,
    )


class MaildirInbox:
    """Every message in ``new/`` and ``cur/``; a missing maildir is an empty inbox."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mailbox = f"maildir:{path.resolve()}"[:200]

    def read(self, checkpoint: Checkpoint | None) -> InboxBatch:
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            return InboxBatch([], None)
        box = mailbox.Maildir(self.path, factory=None, create=False)
        messages = [FetchedMessage(box.get_bytes(key)) for key in sorted(box.iterkeys())]
        return InboxBatch(messages, None)


class ImapInbox:
    """One IMAP folder, read through a fresh connection per poll (no live client to hand around)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        password: str,
        folder: str,
        tls: bool,
        timeout: float,
        ca_file: Path | None = None,
    ) -> None:
        self.host, self.port, self.user, self.folder = host, port, user, folder
        self._password = password
        self._tls = tls
        self._timeout = timeout
        self._ca_file = ca_file
        scheme = "imaps" if tls else "imap"
        self.mailbox = f"{scheme}://{user}@{host}:{port}/{folder}"[:200]

    def read(self, checkpoint: Checkpoint | None) -> InboxBatch:
        try:
            conn = self._connect()
        except ssl.SSLError as exc:  # a certificate problem does not fix itself: no retry
            raise InboxError(f"TLS with {self.mailbox} failed: {self._safe(exc)}") from None
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise InboxUnavailable(f"cannot reach {self.mailbox}: {self._safe(exc)}") from None
        try:
            return self._read(conn, checkpoint)
        except imaplib.IMAP4.abort as exc:
            raise InboxUnavailable(f"{self.mailbox}: connection lost: {self._safe(exc)}") from None
        except imaplib.IMAP4.error as exc:
            raise InboxError(f"{self.mailbox}: {self._safe(exc)}") from None
        except OSError as exc:
            raise InboxUnavailable(f"{self.mailbox}: {self._safe(exc)}") from None
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()

    def _safe(self, exc: BaseException) -> str:
        """The error's text, with the password masked should a server ever echo it."""
        text = _reason(exc)
        return text.replace(self._password, "***") if self._password else text

    def _connect(self) -> imaplib.IMAP4:
        if self._tls:  # certificate and host name verified; ca_file adds a private CA
            context = ssl.create_default_context(
                cafile=str(self._ca_file) if self._ca_file else None
            )
            return imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=context, timeout=self._timeout
            )
        return imaplib.IMAP4(self.host, self.port, timeout=self._timeout)

    def _read(self, conn: imaplib.IMAP4, checkpoint: Checkpoint | None) -> InboxBatch:
        conn.login(self.user, self._password)
        status, detail = conn.select(_quote(self.folder), readonly=True)
        if status != "OK":
            raise InboxError(f"{self.mailbox}: cannot open folder: {_text(detail)}")
        uidvalidity = int(conn.response("UIDVALIDITY")[1][0])
        same = checkpoint is not None and checkpoint.uidvalidity == uidvalidity
        criteria = search_criteria(checkpoint, same_uidvalidity=same)
        status, data = conn.uid("SEARCH", *criteria)
        if status != "OK":
            raise InboxError(f"{self.mailbox}: search failed: {_text(data)}")
        uids = sorted({int(x) for x in (data[0] or b"").split()})
        last_uid = checkpoint.last_uid if same and checkpoint is not None else 0
        uids = [uid for uid in uids if uid > last_uid]
        messages: list[FetchedMessage] = []
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = ",".join(str(uid) for uid in uids[start : start + FETCH_CHUNK])
            status, data = conn.uid("FETCH", chunk, "(UID INTERNALDATE BODY.PEEK[])")
            if status != "OK":
                raise InboxError(f"{self.mailbox}: fetch failed: {_text(data)}")
            messages.extend(parse_fetch(data))
        messages.sort(key=lambda m: m.uid or 0)
        seen_dates = [m.internal_date for m in messages if m.internal_date is not None]
        previous_seen = checkpoint.last_seen_at if checkpoint is not None else None
        if previous_seen is not None:
            seen_dates.append(previous_seen)
        new_last = max([last_uid, *(m.uid or 0 for m in messages)])
        return InboxBatch(
            messages, Checkpoint(uidvalidity, new_last, max(seen_dates) if seen_dates else None)
        )


def search_criteria(checkpoint: Checkpoint | None, *, same_uidvalidity: bool) -> list[str]:
    """``UID SEARCH`` keys for a poll.

    Same UIDVALIDITY: everything since the day before the newest message read, or any newer UID
    (a message moved in keeps its old INTERNALDATE). New UIDVALIDITY: the date window alone.
    First poll: everything.
    """
    if checkpoint is None:
        return ["ALL"]
    since = None
    if checkpoint.last_seen_at is not None:
        since = imap_date(checkpoint.last_seen_at - timedelta(days=1))
    if same_uidvalidity:
        newer = f"{checkpoint.last_uid + 1}:*"
        return ["OR", "SINCE", since, "UID", newer] if since else ["UID", newer]
    return ["SINCE", since] if since else ["ALL"]


def imap_date(moment: datetime) -> str:
    """``dd-Mon-yyyy`` in English whatever the locale (RFC 3501 date)."""
    day = moment.astimezone(UTC)
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def parse_fetch(data: list[object]) -> list[FetchedMessage]:
    """Turn imaplib's FETCH answer (tuples of meta + literal, then closing bytes) into messages."""
    records: list[tuple[bytes, bytes]] = []
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            records.append((bytes(item[0]), bytes(item[1])))
        elif isinstance(item, bytes) and records:
            meta, raw = records[-1]
            records[-1] = (meta + b" " + item, raw)
    messages = []
    for meta, raw in records:
        uid_match = _UID.search(meta)
        date_match = _INTERNALDATE.search(meta)
        messages.append(
            FetchedMessage(
                raw=raw,
                uid=int(uid_match.group(1)) if uid_match else None,
                internal_date=_internaldate(date_match.group(1).decode()) if date_match else None,
            )
        )
    return messages


def _internaldate(text: str) -> datetime | None:
    """``01-Mar-2027 09:00:00 +0000`` -> aware UTC datetime."""
    try:
        day, month, rest = text.strip().split("-", 2)
        year, clock, zone = rest.split(" ")
        hour, minute, second = (int(x) for x in clock.split(":"))
        sign = -1 if zone.startswith("-") else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        local = datetime(int(year), _MONTHS.index(month) + 1, int(day), hour, minute, second)
        return (local - offset).replace(tzinfo=UTC)
    except (ValueError, IndexError):
        return None


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: object) -> str:
    if isinstance(data, list) and data and isinstance(data[0], bytes):
        return data[0].decode("utf-8", "replace")
    return str(data)


def _reason(exc: BaseException) -> str:
    """An error's text without anything the URL carried (imaplib never echoes the password)."""
    text = str(exc) or type(exc).__name__
    return text.replace("b'", "").replace("'", "") if text.startswith("b'") else text
