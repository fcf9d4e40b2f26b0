"""Amazon SES bounce and complaint notifications, delivered by e-mail through Amazon SNS.

The body is one JSON document (``notificationType`` Bounce or Complaint). SNS wraps lines longer
than its limit by inserting ``!`` + line break + space, which must be undone before parsing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.message import Message
from typing import Any

from creatorflow.domain.mail_parts import address, body_texts, header

_WRAP = re.compile(r"!\r?\n ")


@dataclass(frozen=True)
class SesRecipient:
    address: str
    action: str = ""
    status: str = ""
    diagnostic: str = ""


@dataclass(frozen=True)
class SesNotification:
    type: str  # "bounce" or "complaint"
    permanent: bool  # bounceType Permanent (a complaint: always)
    recipients: tuple[SesRecipient, ...]
    message_ids: tuple[str, ...]  # our Message-ID, when SES kept the headers


def notification_in(msg: Message) -> SesNotification | None:
    """The notification ``msg`` carries, when Amazon SNS/SES sent it; else None."""
    sender = address(header(msg, "From")) or ""
    if not sender.endswith(("amazonaws.com", "amazonses.com")):
        return None
    for text in body_texts(msg):
        found = ses_notification(text)
        if found is not None:
            return found
    return None


def ses_notification(text: str) -> SesNotification | None:
    """The notification in ``text``, or None when it holds none."""
    if '"notificationType"' not in text:
        return None
    body = _WRAP.sub("", text)
    start = body.find("{")
    try:
        document, _ = json.JSONDecoder().raw_decode(body[start:])
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    kind = str(document.get("notificationType", "")).lower()
    if kind not in {"bounce", "complaint"}:
        return None
    detail = _mapping(document.get(kind))
    listed = detail.get("bouncedRecipients" if kind == "bounce" else "complainedRecipients")
    recipients = tuple(
        SesRecipient(
            address=str(item.get("emailAddress", "")).strip().lower(),
            action=str(item.get("action", "")).lower(),
            status=str(item.get("status", "")),
            diagnostic=str(item.get("diagnosticCode", "")),
        )
        for item in (listed if isinstance(listed, list) else [])
        if isinstance(item, dict) and item.get("emailAddress")
    )
    mail = _mapping(document.get("mail"))
    ids: list[str] = []
    for entry in mail.get("headers") or []:
        if isinstance(entry, dict) and str(entry.get("name", "")).lower() == "message-id":
            ids.append(str(entry.get("value", "")).strip())
    permanent = kind == "complaint" or str(detail.get("bounceType", "")).lower() == "permanent"
    return SesNotification(kind, permanent, recipients, tuple(i for i in ids if i))


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
