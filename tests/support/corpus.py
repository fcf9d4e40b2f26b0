"""Real inbound mail (``tests/fixtures/mail_corpus``) made to answer our own outreach.

The corpus files are byte-for-byte copies of messages published by bounce- and reply-parsing
projects (``manifest.csv``: source, licence, label; ``LICENSES.txt``). They answer somebody else's
mail, so each one is rewritten the way the answering server or mail client would have written it
had it answered one of our messages. ``answers.csv`` says, per file, what to rewrite; it was read
off each file by hand, never derived from the classifier:

- ``shape``: ``report`` (a bounce, a feedback-loop report, a challenge: it returns our message),
  ``answer`` (a person's or an autoresponder's message From the creator) or ``body`` (a reply
  body without headers, which gets the headers a mail client writes);
- ``recipient``: the address(es) the original was sent to, written as the creator's address. A
  provider that redacts the person (AOL, Rackspace) has none: only our Message-ID names them;
- ``sender``: the original sender's address(es), written as ours;
- ``message_id``: the Message-ID of the original as returned inside the report (or answered by
  In-Reply-To), written as the id of our outreach message; ``+`` when the returned copy lost it.

Addresses are rewritten by context: in a report, ``From:``/``Return-Path:`` lines and the
report's own ``To:`` are the sender's even when the anonymised file used one address for both.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail_corpus"
OUR_SENDER = "team@brand.example"

_SENDER_LINE = re.compile(
    rb"^[ \t>]*(?:From|Return-Path|Reply-To|Sender|X-Postfix-Sender|Original-Mail-From|Errors-To"
    rb"|X-Apparently-From|X-Sender|Envelope-From)[ \t]*:|envelope-(?:from|sender)|MAIL FROM",
    re.IGNORECASE,
)
_OUTER_SENDER_HEADERS = frozenset({b"to", b"cc", b"delivered-to", b"x-original-to", b"envelope-to"})


@dataclass(frozen=True)
class CorpusMessage:
    file: str  # path in the corpus, e.g. "hard_bounce/sisimai-lhost-qmail-02.eml"
    label: str  # the folder: hard_bounce, soft_bounce, blocked, auto_reply, ...
    reason: str
    shape: str  # report, answer or body
    recipients: tuple[str, ...]
    senders: tuple[str, ...]
    message_id: str  # "" (none), "+" (insert ours) or the original's id
    sha256: str

    @property
    def path(self) -> Path:
        return CORPUS / self.file

    @property
    def stem(self) -> str:
        return Path(self.file).stem


def load_corpus() -> list[CorpusMessage]:
    """Every corpus file with its label and its rewriting instructions."""
    with (CORPUS / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        manifest = {row["file"]: row for row in csv.DictReader(handle)}
    with (CORPUS / "answers.csv").open(newline="", encoding="utf-8") as handle:
        answers = list(csv.DictReader(handle))
    assert {a["file"] for a in answers} == set(manifest), "answers.csv must cover the manifest"
    return [
        CorpusMessage(
            file=a["file"],
            label=manifest[a["file"]]["class"],
            reason=manifest[a["file"]]["reason"],
            shape=a["shape"],
            recipients=tuple(a["recipient"].split()),
            senders=tuple(a["sender"].split()),
            message_id=a["message_id"],
            sha256=manifest[a["file"]]["sha256"],
        )
        for a in answers
    ]


def unchanged(item: CorpusMessage) -> bool:
    """The fixture is still the published file (the manifest's hash)."""
    return hashlib.sha256(item.path.read_bytes()).hexdigest() == item.sha256


def answer_to(
    item: CorpusMessage,
    *,
    creator: str,
    our_message_id: str,
    when: datetime,
    key: str,
    subject: str = "Spring Glow x you?",
) -> bytes:
    """``item`` as it would have arrived had it answered our message ``our_message_id`` to
    ``creator``; ``key`` makes its own Message-ID unique (``<key@answers.example>``)."""
    raw = item.path.read_bytes()
    if item.shape == "body":
        return _wrap_body(
            raw, creator=creator, our_message_id=our_message_id, when=when, key=key, subject=subject
        )
    newline = b"\r\n" if b"\r\n" in raw[:4000] else b"\n"
    lines = raw.split(b"\n")
    end = next((i for i, line in enumerate(lines) if not line.strip(b"\r")), len(lines))
    out: list[bytes] = []
    current = b""
    for number, line in enumerate(lines):
        outer = number < end
        if outer and line[:1] not in (b" ", b"\t"):
            current = line.split(b":", 1)[0].strip().lower()
        sender_first = item.shape == "report" and (
            (outer and current in _OUTER_SENDER_HEADERS) or bool(_SENDER_LINE.search(line))
        )
        out.append(
            _rewrite_line(
                line,
                item,
                creator=creator,
                sender_first=sender_first,
                our_message_id=our_message_id,
            )
        )
    headers, body = out[:end], out[end:]
    headers = _set_header(headers, b"Date", format_datetime(when).encode(), newline)
    own_id = f"<{key}@answers.example>".encode()
    existing = _header_value(headers, b"Message-ID")
    if existing is None or our_message_id.encode() not in existing:
        headers = _set_header(headers, b"Message-ID", own_id, newline)
    if item.label == "human_reply":
        headers = _set_header(headers, b"In-Reply-To", our_message_id.encode(), newline)
        headers = _set_header(headers, b"References", our_message_id.encode(), newline)
    message = b"\n".join(headers + body)
    if item.message_id == "+":
        message = _insert_returned_id(message, our_message_id.encode(), newline)
    return message


def _rewrite_line(
    line: bytes, item: CorpusMessage, *, creator: str, sender_first: bool, our_message_id: str
) -> bytes:
    people = [(a, creator) for a in item.recipients]
    ours = [(a, OUR_SENDER) for a in item.senders]
    for address, replacement in (ours + people) if sender_first else (people + ours):
        line = _address(address).sub(replacement.encode(), line)
    if item.message_id not in {"", "+"}:
        line = line.replace(item.message_id.encode(), our_message_id.encode())
    return line


def _address(address: str) -> re.Pattern[bytes]:
    return re.compile(
        rb"(?<![A-Za-z0-9._%+=#-])"
        + re.escape(address.encode())
        + rb"(?![A-Za-z0-9-]|\.[A-Za-z0-9])",
        re.IGNORECASE,
    )


def _header_value(headers: list[bytes], name: bytes) -> bytes | None:
    prefix = name.lower() + b":"
    for line in headers:
        if line.lower().startswith(prefix):
            return line[len(prefix) :]
    return None


def _set_header(headers: list[bytes], name: bytes, value: bytes, newline: bytes) -> list[bytes]:
    """Replace the header (and its continuation lines) or add it at the end."""
    cr = b"\r" if newline == b"\r\n" else b""
    prefix = name.lower() + b":"
    kept: list[bytes] = []
    skipping = False
    for line in headers:
        if line.lower().startswith(prefix):
            skipping = True
            continue
        if skipping and line[:1] in (b" ", b"\t"):
            continue
        skipping = False
        kept.append(line)
    return [*kept, name + b": " + value + cr]


def _insert_returned_id(message: bytes, our_id: bytes, newline: bytes) -> bytes:
    """Put our Message-ID back into a returned copy that lost it (before its Subject line)."""
    at = message.lower().find(b"content-type: message/rfc822")
    subject = message.find(newline + b"Subject:", at)
    if at < 0 or subject < 0:
        return message
    return message[:subject] + newline + b"Message-ID: " + our_id + message[subject:]


def _wrap_body(
    raw: bytes, *, creator: str, our_message_id: str, when: datetime, key: str, subject: str
) -> bytes:
    """A reply body as a mail client sends it: threaded on our message, from the creator."""
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    headers = [
        f"From: Creator <{creator}>",
        f"To: Glow Team <{OUR_SENDER}>",
        f"Subject: Re: {subject}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: <{key}@answers.example>",
        f"In-Reply-To: {our_message_id}",
        f"References: {our_message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return newline.join(h.encode() for h in headers) + newline + newline + raw
