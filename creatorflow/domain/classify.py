"""What an inbound email is: a human reply, an auto-reply, a bounce, an opt-out request, or noise.

Pure: it reads one parsed ``EmailMessage`` (policy ``email.policy.default``) and says what it is and
which of our Message-IDs it refers to. Matching those ids to enrollments, and what follows from the
classification, is the replies service's job.

- Bounces are RFC 3464 ``multipart/report; report-type=delivery-status`` reports; each
  recipient block gives ``Final-Recipient``, ``Action`` and ``Status``, and our Message-ID sits
  in the returned ``text/rfc822-headers`` or ``message/rfc822`` part (no In-Reply-To of their own).
- Auto-replies follow RFC 3834 (``Auto-Submitted`` with any value but ``no``) or the common
  ``X-Autoreply`` / ``X-Autorespond`` / ``Precedence`` / ``Return-Path: <>`` markers; they never
  count as the creator answering.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum


class Kind(StrEnum):
    REPLY = "reply"  # a person answered one of our messages
    AUTO_REPLY = "auto_reply"  # out-of-office and other machine answers
    BOUNCE = "bounce"  # a delivery status report
    UNSUBSCRIBE = "unsubscribe"  # a person asked by mail to be left alone
    UNRELATED = "unrelated"  # nothing to do with outreach (decided once matching fails)


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a delivery status report."""

    recipient: str
    action: str
    status: str

    @property
    def permanent(self) -> bool:
        """RFC 3463: class 5 is a permanent failure; 4 is transient, 2 is success."""
        return self.action == "failed" and self.status.startswith("5")


@dataclass(frozen=True)
class Classification:
    kind: Kind
    message_key: str  # Message-ID, or a digest of the raw bytes when there is none
    from_address: str | None
    subject: str | None
    referenced_ids: tuple[str, ...]  # our candidate Message-IDs, most specific first
    recipients: tuple[RecipientStatus, ...] = ()  # bounces only
    sent_at: datetime | None = None  # the Date header, in UTC

    @property
    def failed_permanently(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.permanent)


_MSG_ID = re.compile(r"<[^<>\s]+>")
_UNSUBSCRIBE_SUBJECT = re.compile(r"\b(unsubscribe|opt[ -]?out|remove me)\b", re.IGNORECASE)
_UNSUBSCRIBE_LINE = re.compile(
    r"^(unsubscribe|stop|opt[ -]?out|remove me|please remove me)[.!]*$", re.IGNORECASE
)
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every ``<id>`` in a Message-ID / In-Reply-To / References value, in order."""
    if not value:
        return ()
    return tuple(_MSG_ID.findall(str(value)))


def message_key(msg: Message, raw: bytes) -> str:
    """The message's identity for recording it once: its Message-ID, else a digest."""
    ids = message_ids(msg.get("Message-ID"))
    if ids and len(ids[0]) <= 300:
        return ids[0]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def classify(msg: EmailMessage, raw: bytes) -> Classification:
    """Classify ``msg`` (parsed from ``raw``): bounce, auto-reply, opt-out request, or reply."""
    from_address = _address(msg.get("From"))
    subject = _header(msg, "Subject")
    key = message_key(msg, raw)
    sent_at = _date(msg.get("Date"))
    own_refs = _references(msg)
    if is_delivery_report(msg):
        returned = _returned_headers(msg)
        refs: tuple[str, ...] = ()
        if returned is not None:
            refs = tuple(
                dict.fromkeys((*message_ids(returned.get("Message-ID")), *_references(returned)))
            )
        return Classification(
            kind=Kind.BOUNCE,
            message_key=key,
            from_address=from_address,
            subject=subject,
            referenced_ids=refs,
            recipients=delivery_statuses(msg),
            sent_at=sent_at,
        )
    kind = Kind.REPLY
    if is_auto_reply(msg):
        kind = Kind.AUTO_REPLY
    elif asks_to_unsubscribe(msg):
        kind = Kind.UNSUBSCRIBE
    return Classification(kind, key, from_address, subject, own_refs, (), sent_at)


def is_delivery_report(msg: Message) -> bool:
    return (
        msg.get_content_type() == "multipart/report"
        and str(msg.get_param("report-type") or "").lower() == "delivery-status"
    )


def is_auto_reply(msg: Message) -> bool:
    auto_submitted = _header(msg, "Auto-Submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip().lower() != "no":
        return True
    if msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None:
        return True
    precedence = (_header(msg, "Precedence") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return True
    return_path = _header(msg, "Return-Path")
    return return_path is not None and return_path.strip() in {"<>", ""}


def asks_to_unsubscribe(msg: EmailMessage) -> bool:
    """An opt-out by mail: the subject says so, or the first line of the answer is just that."""
    if _UNSUBSCRIBE_SUBJECT.search(_header(msg, "Subject") or ""):
        return True
    for line in _first_text(msg).splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        return bool(_UNSUBSCRIBE_LINE.match(stripped))
    return False


def delivery_statuses(msg: Message) -> tuple[RecipientStatus, ...]:
    """The per-recipient blocks of an RFC 3464 report (the per-message block is skipped)."""
    statuses: list[RecipientStatus] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            continue
        for block in blocks:
            if not isinstance(block, Message):
                continue
            recipient = _typed_address(block.get("Final-Recipient")) or _typed_address(
                block.get("Original-Recipient")
            )
            if recipient is None:
                continue
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip().split()[0] if block.get("Status") else ""
            statuses.append(RecipientStatus(recipient, action, status))
    return tuple(statuses)


def _returned_headers(msg: Message) -> Message | None:
    """The headers of our original message, returned inside the report."""
    for part in msg.walk():
        content_type = part.get_content_type()
        if content_type == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            return HeaderParser().parsestr(text)
        if content_type == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                first = inner[0]
                return first if isinstance(first, Message) else None
    return None


def _references(msg: Message) -> tuple[str, ...]:
    """Ids this message points at: In-Reply-To, then References.

    References are taken newest first: the last one is the message being answered.
    """
    seen: list[str] = []
    candidates = (
        *message_ids(msg.get("In-Reply-To")),
        *reversed(message_ids(msg.get("References"))),
    )
    for value in candidates:
        if value not in seen:
            seen.append(value)
    return tuple(seen)


def _typed_address(value: object) -> str | None:
    """``rfc822; someone@example.com`` -> ``someone@example.com`` (lower-cased)."""
    if value is None:
        return None
    text = str(value)
    address = text.split(";", 1)[1] if ";" in text else text
    address = address.strip().strip("<>").strip()
    return address.lower() or None


def _address(value: object) -> str | None:
    if value is None:
        return None
    pairs = getaddresses([str(value)])
    if not pairs or not pairs[0][1]:
        return None
    return pairs[0][1].strip().lower()


def _header(msg: Message, name: str) -> str | None:
    value = msg.get(name)
    return None if value is None else str(value)


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _first_text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):
        return ""
    return content if isinstance(content, str) else ""
