"""Instagram webhook notifications: the signature check and the events a notification holds.

Meta signs every POST with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed
with the app secret>``; anything else is refused before the body is even parsed. A notification
(``{"object": "instagram", "entry": [...]}``) can hold several events: ``changes`` with
``field: mentions`` (``media_id``, plus ``comment_id`` for a comment) and ``messaging`` items whose
attachment has ``type: story_mention`` and the story's CDN URL. Each event gets a stable key (the
message id of a story mention, the media and comment ids of a mention) so a redelivery, which Meta
makes whenever an answer is slow or not 200, is recognised and stored once. Other fields (comments,
plain messages, reactions) are not campaign work and are skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SIGNATURE_PREFIX = "sha256="
CAPTION_MENTION = "caption_mention"
COMMENT_MENTION = "comment_mention"
STORY_MENTION = "story_mention"
#: How long a story stays up, and so how long its CDN URL renders.
STORY_LIFETIME_HOURS = 24


class MalformedNotification(ValueError):
    """The body is JSON but not a notification Meta sends; the message names the place."""


def signature(body: bytes, secret: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body`` (what a sender computes)."""
    return SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: bytes) -> bool:
    """Whether ``header`` signs exactly ``body`` with ``secret`` (compared in constant time)."""
    if not header or not secret:
        return False
    return hmac.compare_digest(header.strip().lower().encode(), signature(body, secret).encode())


@dataclass(frozen=True)
class InboundEvent:
    """One event of a notification: what it is, for which account, and its stable key."""

    key: str
    kind: str
    account_id: str | None
    sender: str | None  # a story mention's IGSID
    occurred_at: datetime | None
    data: dict[str, Any] = field(default_factory=dict)


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def meta_time(value: object) -> datetime | None:
    """Meta's times: Unix seconds (``entry.time`` of changes) or milliseconds (messaging)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = value / 1000 if value > 100_000_000_000 else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _text(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def parse_notification(payload: object) -> list[InboundEvent]:
    """The campaign events in one notification body (already JSON-decoded)."""
    if not isinstance(payload, dict):
        raise MalformedNotification("the body is not a JSON object")
    if payload.get("object") != "instagram":
        raise MalformedNotification(f"object: expected 'instagram', got {payload.get('object')!r}")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedNotification("entry: expected a list")
    events: list[InboundEvent] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise MalformedNotification(f"entry[{index}]: expected an object")
        account = _text(entry.get("id"))
        sent = meta_time(entry.get("time"))
        changes = entry.get("changes", [])
        messaging = entry.get("messaging", [])
        if not isinstance(changes, list) or not isinstance(messaging, list):
            raise MalformedNotification(f"entry[{index}]: changes and messaging must be lists")
        for change in changes:
            event = _mention(change, account, sent)
            if event is not None:
                events.append(event)
        for item in messaging:
            events.extend(_story_mentions(item, account, sent))
    return events


def _mention(change: object, account: str | None, sent: datetime | None) -> InboundEvent | None:
    if not isinstance(change, dict) or change.get("field") != "mentions":
        return None
    value = change.get("value")
    if not isinstance(value, dict):
        return None
    media_id = _text(value.get("media_id"))
    comment_id = _text(value.get("comment_id"))
    if media_id is None and comment_id is None:
        return None
    kind = COMMENT_MENTION if comment_id else CAPTION_MENTION
    data = {"media_id": media_id, "comment_id": comment_id}
    key = _key("instagram", kind, account or "", media_id or "", comment_id or "")
    return InboundEvent(key, kind, account, None, sent, data)


def _story_mentions(item: object, account: str | None, sent: datetime | None) -> list[InboundEvent]:
    if not isinstance(item, dict):
        return []
    message = item.get("message")
    if not isinstance(message, dict) or message.get("is_echo"):
        return []
    attachments = message.get("attachments")
    if not isinstance(attachments, list):
        return []
    sender = item.get("sender")
    sender_id = _text(sender.get("id")) if isinstance(sender, dict) else None
    at = meta_time(item.get("timestamp")) or sent
    mid = _text(message.get("mid"))
    found: list[InboundEvent] = []
    for position, attachment in enumerate(attachments):
        if not isinstance(attachment, dict) or attachment.get("type") != STORY_MENTION:
            continue
        body = attachment.get("payload")
        url = _text(body.get("url")) if isinstance(body, dict) else None
        identity = mid or json.dumps(item, sort_keys=True, default=str)
        key = _key("instagram", STORY_MENTION, account or "", identity, str(position))
        data = {"mid": mid, "url": url, "story_id": mid or key[:32]}
        found.append(InboundEvent(key, STORY_MENTION, account, sender_id, at, data))
    return found
