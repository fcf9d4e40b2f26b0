"""Read the outreach mailbox and act on what came in.

Each inbound message is recorded once (``inbound_messages.message_key`` is unique) with its class
(``domain.inbound.Kind``: reply, auto_reply, hard_bounce, soft_bounce, blocked, complaint,
unsubscribe, unrelated) and its effects are applied only by the transaction that recorded it, so
reading the inbox again, or two runs reading it at once, changes nothing twice. The IMAP
checkpoint is saved in that same transaction: a crash before commit means the next poll reads
the same messages again, harmlessly.

Matching: a message's In-Reply-To / References (or, for a report, the Message-ID of our message
returned inside it) against our ``outreach_messages.message_id``; failing that, the failed or
complaining recipient, or the sender, against the addresses we wrote to. A message that answers
nothing of ours is recorded as ``unrelated`` (a complaint or an unsubscribe request keeps its
class: it is about our mail even when the provider hid who sent it). What each class does is in
``inbound_effects``.

Mail from a person erased on request (its sender's address, or a reported recipient's, on the
list of erased identities) is dropped before anything is stored: no address, name, subject or
effect, only a row keyed by a digest of its Message-ID so it is counted once ("mail from an
erased person, dropped"), and nobody is re-created. (Erasure rewrote the Message-IDs of the mail
sent to them, so an answer from an address they never gave us cannot be told apart: it is mail
from a stranger, recorded as unrelated.)
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesParser
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Table, select
from sqlalchemy.orm import Session

from creatorflow.domain.classify import Classification, Kind, classify
from creatorflow.domain.inbound import BOUNCES, describe_inbox
from creatorflow.mail.inbox import Checkpoint, FetchedMessage, Inbox, open_inbox
from creatorflow.services.creators.forget import any_erased, erased_among
from creatorflow.services.replies.inbound_effects import Effects, apply_effects, latest_to
from creatorflow.settings import Settings
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Enrollment, InboundMessage, InboxCheckpoint, OutreachMessage

_KEY_CHUNK = 500
_INBOUND = cast(Table, InboundMessage.__table__)
_CHECKPOINTS = cast(Table, InboxCheckpoint.__table__)
#: Classes kept when nothing of ours matches: they concern our sending even then.
_KEPT_UNMATCHED = frozenset({Kind.COMPLAINT, Kind.UNSUBSCRIBE})
#: Reports written by a mail system: their From is never the person.
_REPORTS = BOUNCES | {Kind.COMPLAINT}


@dataclass
class InboxReport:
    """What one read of the inbox found and changed (printed by the CLI, shown as an artifact)."""

    mailbox: str
    fetched: int = 0
    recorded: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # Kind value -> messages recorded
    effects: Effects = field(default_factory=Effects)
    erased_dropped: int = 0  # mail from people erased on request: nothing of it stored

    @property
    def replied(self) -> list[int]:
        return self.effects.replied

    @property
    def bounced(self) -> list[int]:
        return self.effects.bounced

    @property
    def opted_out(self) -> list[int]:
        return self.effects.opted_out

    @property
    def suppressed(self) -> list[str]:
        return self.effects.suppressed

    def summary(self) -> str:
        """What was read, and what reading changed for creators (the CLI's inbox line)."""
        return f"{self.mailbox}: {self.fetched} read, " + describe_inbox(self.as_json())

    def as_json(self) -> dict[str, Any]:
        """Counts only (no addresses), for a flow's return value and its run summary."""
        return {
            "mailbox": self.mailbox,
            "fetched": self.fetched,
            "recorded": self.recorded,
            "by_kind": {kind.value: self.counts.get(kind.value, 0) for kind in Kind},
            "replied": len(self.effects.replied),
            "bounced": len(self.effects.bounced),
            "opted_out": len(self.effects.opted_out),
            "suppressed": len(self.effects.suppressed),
            "undeliverable": len(self.effects.undeliverable),
            "erased_dropped": self.erased_dropped,
        }


def read_inbox(
    *, engine: Engine, settings: Settings, now: datetime, actor: str, inbox: Inbox | None = None
) -> InboxReport:
    """Read new messages from ``CREATORFLOW_INBOX_URL`` and apply their effects."""
    if inbox is None:
        inbox = open_inbox(
            settings.inbox_url.get_secret_value(),
            timeout=settings.http_read_timeout,
            ca_file=settings.mail_ca_file,
        )
    with session_scope(engine) as session:
        checkpoint = _load_checkpoint(session, inbox.mailbox)
    batch = inbox.read(checkpoint)  # network I/O outside any transaction
    report = InboxReport(mailbox=inbox.mailbox, fetched=len(batch.messages))
    parsed = [(fetched, _classify(fetched)) for fetched in batch.messages]
    with session_scope(engine) as session:
        keys = [c.message_key for _, c in parsed]
        known = _known_keys(session, keys + [_dropped_key(k) for k in keys])
        erased = _from_erased(session, [c for _, c in parsed], settings=settings)
        for (fetched, classification), was_erased in zip(parsed, erased, strict=True):
            key = classification.message_key
            if key in known or _dropped_key(key) in known:
                continue
            known.add(key)
            if was_erased:
                _drop(session, inbox.mailbox, key, report, now=now)
                continue
            _record(
                session,
                inbox.mailbox,
                fetched,
                classification,
                report,
                settings=settings,
                now=now,
                actor=actor,
            )
        if batch.checkpoint is not None:
            _save_checkpoint(session, inbox.mailbox, batch.checkpoint, now=now)
    return report


def _dropped_key(message_key: str) -> str:
    """What a dropped message is remembered by: a digest of its key, which names nobody."""
    return "erased:" + hashlib.sha256(message_key.encode()).hexdigest()


def _addresses(c: Classification) -> list[str]:
    """Every address a message names a person by: its sender and any reported recipient."""
    found = [c.from_address or ""] + [r.recipient or "" for r in c.recipients]
    return [a for a in dict.fromkeys(found) if "@" in a]


def _from_erased(
    session: Session, messages: list[Classification], *, settings: Settings
) -> list[bool]:
    """Which messages name a person erased on request (one query when nobody ever was)."""
    if not messages or not any_erased(session):
        return [False] * len(messages)
    named = [_addresses(c) for c in messages]
    flat = [a for addresses in named for a in addresses]
    found = erased_among(session, [(a, []) for a in flat], secret_key=settings.secret_key)
    flags = dict(zip(flat, found, strict=True))
    return [any(flags[a] for a in addresses) for addresses in named]


def _drop(session: Session, mailbox: str, key: str, report: InboxReport, *, now: datetime) -> None:
    """Remember that a message from an erased person was dropped, and nothing else of it."""
    result = session.execute(
        insert_ignore(
            session,
            _INBOUND,
            {
                "message_key": _dropped_key(key),
                "mailbox": mailbox,
                "classification": Kind.UNRELATED.value,
                "recorded_at": now,
            },
            conflict_columns=["message_key"],
        )
    )
    if cast(CursorResult[Any], result).rowcount:
        report.erased_dropped += 1


def _classify(fetched: FetchedMessage) -> Classification:
    """Classify one message; one that cannot be parsed is recorded as unrelated, not retried."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(fetched.raw)
        return classify(msg, fetched.raw)
    except Exception:  # a malformed message must not block the rest of the mailbox forever
        digest = "sha256:" + hashlib.sha256(fetched.raw).hexdigest()
        return Classification(Kind.UNRELATED, digest, None, None, ())


def _record(
    session: Session,
    mailbox: str,
    fetched: FetchedMessage,
    c: Classification,
    report: InboxReport,
    *,
    settings: Settings,
    now: datetime,
    actor: str,
) -> None:
    outreach = _match(session, c)
    kind = c.kind if outreach is not None or c.kind in _KEPT_UNMATCHED else Kind.UNRELATED
    result = session.execute(
        insert_ignore(
            session,
            _INBOUND,
            {
                "message_key": c.message_key,
                "mailbox": mailbox,
                "classification": kind.value,
                "from_address": (c.from_address or "")[:320] or None,
                "subject": c.subject.replace("\x00", "") if c.subject else None,
                "enrollment_id": outreach.enrollment_id if outreach else None,
                "outreach_message_id": outreach.id if outreach else None,
                "received_at": fetched.internal_date or c.sent_at,
                "recorded_at": now,
            },
            conflict_columns=["message_key"],
        )
    )
    if not cast(CursorResult[Any], result).rowcount:
        return  # another run recorded it first and applied its effects
    report.recorded += 1
    report.counts[kind.value] += 1
    enrollment = session.get(Enrollment, outreach.enrollment_id) if outreach else None
    inbound_id = session.scalars(
        select(InboundMessage.id).where(InboundMessage.message_key == c.message_key)
    ).one()
    detail: dict[str, Any] = {
        "message_key": c.message_key,
        "from": c.from_address,
        "outreach_message_id": outreach.id if outreach else None,
        "recipients": [
            {
                "recipient": r.recipient,
                "kind": r.kind.value,
                "action": r.action,
                "status": r.status,
                "diagnostic": r.diagnostic,
            }
            for r in c.recipients
        ],
    }
    if kind is not c.kind:
        detail["looked_like"] = c.kind.value  # e.g. backscatter: a bounce of mail we never sent
    record_event(
        session,
        kind=f"{kind.value}_received",
        entity="inbound_message",
        entity_id=inbound_id,
        detail=detail,
        actor=actor,
        at=now,
        creator_id=enrollment.creator_id if enrollment else None,
        campaign_id=enrollment.campaign_id if enrollment else None,
    )
    if kind is not Kind.UNRELATED:
        apply_effects(
            session,
            c,
            kind=kind,
            matched=outreach,
            inbound_id=inbound_id,
            effects=report.effects,
            settings=settings,
            now=now,
            actor=actor,
        )


def _match(session: Session, c: Classification) -> OutreachMessage | None:
    """Our message this one answers: by Message-ID references first, then by address."""
    if c.referenced_ids:
        rows = {
            row.message_id: row
            for row in session.scalars(
                select(OutreachMessage).where(OutreachMessage.message_id.in_(c.referenced_ids))
            )
        }
        for ref in c.referenced_ids:
            if ref in rows:
                return rows[ref]
    if c.recipients or c.kind in _REPORTS:  # the recipients named, never the reporting system
        for recipient in c.recipients:
            found = latest_to(session, recipient.recipient)
            if found is not None:
                return found
        return None
    return latest_to(session, c.from_address) if c.from_address else None


def _known_keys(session: Session, keys: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start : start + _KEY_CHUNK]
        known.update(
            session.scalars(
                select(InboundMessage.message_key).where(InboundMessage.message_key.in_(chunk))
            )
        )
    return known


def _load_checkpoint(session: Session, mailbox: str) -> Checkpoint | None:
    row = session.scalars(
        select(InboxCheckpoint).where(InboxCheckpoint.mailbox == mailbox)
    ).one_or_none()
    if row is None:
        return None
    return Checkpoint(row.uidvalidity, row.last_uid, row.last_seen_at)


def _save_checkpoint(
    session: Session, mailbox: str, checkpoint: Checkpoint, *, now: datetime
) -> None:
    session.execute(
        insert_ignore(
            session,
            _CHECKPOINTS,
            {"mailbox": mailbox, "last_uid": 0, "updated_at": now},
            conflict_columns=["mailbox"],
        )
    )
    row = session.scalars(select(InboxCheckpoint).where(InboxCheckpoint.mailbox == mailbox)).one()
    if row.uidvalidity == checkpoint.uidvalidity and row.last_uid > checkpoint.last_uid:
        return  # a concurrent run got further; keep its position
    row.uidvalidity = checkpoint.uidvalidity
    row.last_uid = checkpoint.last_uid
    row.last_seen_at = checkpoint.last_seen_at
    row.updated_at = now
