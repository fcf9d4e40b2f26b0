"""What an inbound email is, and which of our messages it answers.

Pure: it reads one parsed ``EmailMessage`` (policy ``email.policy.default``) and says what it is.
Matching the ids and addresses to enrollments, and acting on the result, is the replies
service's job. The checks run from the most specific shape to the least:

1. a feedback-loop complaint (``complaints``: ARF, Hotmail JMRP, Amazon SES);
2. a challenge-response notice (``auto_replies``): machine noise, even when it is a DSN;
3. a delivery report (``bounces``): hard, soft or blocked per recipient, RFC 3464 or plain text;
4. an unsubscribe request sent by a mail client (Apple Mail's ``X-Apple-Unsubscribe``);
5. an auto-reply by its headers or subject;
6. an opt-out in the new text of the reply (``opt_out_wording``), in several languages;
7. an auto-reply by its words alone, when it quotes nothing;
8. otherwise a person answering.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from typing import Final

from creatorflow.domain.auto_replies import (
    auto_reply_headers,
    auto_reply_subject,
    is_challenge,
    sounds_away,
)
from creatorflow.domain.bounces import read_bounce
from creatorflow.domain.complaints import read_complaint
from creatorflow.domain.inbound import BOUNCES, Kind, RecipientStatus
from creatorflow.domain.mail_parts import (
    address,
    addresses_in,
    date,
    header,
    message_ids,
    notice_text,
    references,
    returned_headers,
)
from creatorflow.domain.opt_out_wording import asks_to_opt_out, reply_text

__all__ = [
    "BOUNCES",
    "Classification",
    "Kind",
    "RecipientStatus",
    "classify",
    "message_ids",
    "message_key",
]

_MAX_KEY: Final = 300


@dataclass(frozen=True)
class Classification:
    kind: Kind
    message_key: str  # Message-ID, or a digest of the raw bytes when there is none
    from_address: str | None
    subject: str | None
    referenced_ids: tuple[str, ...]  # our candidate Message-IDs, most specific first
    recipients: tuple[RecipientStatus, ...] = ()  # bounces and complaints: who, and how
    sent_at: datetime | None = None  # the Date header, in UTC

    @property
    def failed_permanently(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.permanent)


def message_key(msg: Message, raw: bytes) -> str:
    """The message's identity for recording it once: its Message-ID, else a digest."""
    ids = message_ids(header(msg, "Message-ID"))
    if ids and len(ids[0]) <= _MAX_KEY:
        return ids[0]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def classify(msg: EmailMessage, raw: bytes) -> Classification:
    """Classify ``msg`` (parsed from ``raw``)."""
    subject = header(msg, "Subject")
    key = message_key(msg, raw)
    from_address = address(header(msg, "From"))
    sent_at = date(header(msg, "Date"))
    own_refs = references(msg)

    def result(
        kind: Kind, refs: tuple[str, ...] = (), recipients: tuple[RecipientStatus, ...] = ()
    ) -> Classification:
        merged = tuple(dict.fromkeys((*refs, *own_refs)))
        return Classification(kind, key, from_address, subject, merged, recipients, sent_at)

    complaint = read_complaint(msg)
    if complaint is not None:
        return result(complaint.kind, complaint.reported_ids, complaint.recipients)
    notice = notice_text(msg)
    if is_challenge(msg, notice):
        return result(Kind.AUTO_REPLY, _returned_ids(msg))
    own = {a for a in (from_address, *addresses_in(header(msg, "To") or "")) if a}
    bounce = read_bounce(msg, own=own)
    if bounce is not None:
        return result(bounce.kind, bounce.returned_ids, bounce.recipients)
    if (header(msg, "X-Apple-Unsubscribe") or "").strip().lower() == "true":
        return result(Kind.UNSUBSCRIBE)
    if auto_reply_headers(msg) or auto_reply_subject(msg):
        return result(Kind.AUTO_REPLY)
    text, quoted = reply_text(msg)
    if asks_to_opt_out(subject=subject or "", text=text):
        return result(Kind.UNSUBSCRIBE)
    if not quoted and sounds_away(text):
        return result(Kind.AUTO_REPLY)
    return result(Kind.REPLY)


def _returned_ids(msg: Message) -> tuple[str, ...]:
    returned = returned_headers(msg)
    return message_ids(header(returned, "Message-ID")) if returned is not None else ()
