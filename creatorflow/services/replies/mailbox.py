"""Read the outreach mailbox and act on what came in: replies, auto-replies, bounces, opt-outs.

Each inbound message is recorded once (``inbound_messages.message_key`` is unique) and its effects
are applied only by the transaction that recorded it, so reading the inbox again, or two runs
reading it at once, changes nothing twice. The IMAP checkpoint is saved in that same transaction:
a crash before commit means the next poll reads the same messages again, harmlessly.

Matching: a message's In-Reply-To / References (or, for a bounce, the Message-ID in the returned
headers) against our ``outreach_messages.message_id``; failing that, the sender's address (the
failed recipient for a bounce) against the addresses we wrote to.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesParser
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Table, func, select
from sqlalchemy.orm import Session

from creatorflow.domain.classify import Classification, Kind, classify
from creatorflow.domain.lifecycle import Cause, cause_of_mail
from creatorflow.domain.model import MessageStatus
from creatorflow.mail.inbox import Checkpoint, FetchedMessage, Inbox, open_inbox
from creatorflow.services.replies.opt_outs import normalise_address, suppress_address
from creatorflow.settings import Settings
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Enrollment, InboundMessage, InboxCheckpoint, OutreachMessage

_KEY_CHUNK = 500
_INBOUND = cast(Table, InboundMessage.__table__)
_CHECKPOINTS = cast(Table, InboxCheckpoint.__table__)


@dataclass
class InboxReport:
    """What one read of the inbox found and changed (printed by the CLI, shown as an artifact)."""

    mailbox: str
    fetched: int = 0
    recorded: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    replied: list[int] = field(default_factory=list)  # enrollment ids now `replied`
    bounced: list[int] = field(default_factory=list)
    opted_out: list[int] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "nothing new"
        return f"{self.mailbox}: {self.fetched} read, {self.recorded} new ({kinds})"

    def as_json(self) -> dict[str, Any]:
        """Counts only (no addresses), for a flow's return value and its run summary."""
        return {
            "mailbox": self.mailbox,
            "fetched": self.fetched,
            "recorded": self.recorded,
            "by_kind": dict(self.counts),
            "replied": len(self.replied),
            "bounced": len(self.bounced),
            "opted_out": len(self.opted_out),
            "suppressed": len(self.suppressed),
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
        known = _known_keys(session, [c.message_key for _, c in parsed])
        for fetched, classification in parsed:
            if classification.message_key in known:
                continue
            known.add(classification.message_key)
            _record(session, inbox.mailbox, fetched, classification, report, now=now, actor=actor)
        if batch.checkpoint is not None:
            _save_checkpoint(session, inbox.mailbox, batch.checkpoint, now=now)
    return report


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
    now: datetime,
    actor: str,
) -> None:
    outreach = _match(session, c)
    kind = c.kind
    if kind is Kind.REPLY and outreach is None:
        kind = Kind.UNRELATED
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
    record_event(
        session,
        kind=f"{kind.value}_received",
        entity="inbound_message",
        entity_id=inbound_id,
        detail={
            "message_key": c.message_key,
            "from": c.from_address,
            "outreach_message_id": outreach.id if outreach else None,
            "recipients": [
                {"recipient": r.recipient, "action": r.action, "status": r.status}
                for r in c.recipients
            ],
        },
        actor=actor,
        at=now,
        creator_id=enrollment.creator_id if enrollment else None,
        campaign_id=enrollment.campaign_id if enrollment else None,
    )
    if kind is Kind.BOUNCE:
        _apply_bounce(session, c, outreach, report, now=now, actor=actor)
        return
    if kind is Kind.UNSUBSCRIBE:
        addresses = {c.from_address} if c.from_address else set()
        if outreach is not None:
            addresses.add(normalise_address(outreach.to_address))
        for address in sorted(a for a in addresses if a):
            if suppress_address(
                session,
                email=address,
                reason="asked by mail to unsubscribe",
                source="reply",
                now=now,
                actor=actor,
            ):
                report.suppressed.append(address)
    cause = cause_of_mail(kind)
    if enrollment is not None and cause is not None:
        moved = move_stages(
            session,
            [enrollment.id],
            cause=cause,
            reason=f"{kind.value} received",
            detail={"inbound_message_id": inbound_id},
            now=now,
            actor=actor,
        )
        if moved and cause is Cause.REPLY:
            report.replied.append(enrollment.id)
        elif moved and cause is Cause.OPT_OUT:
            report.opted_out.append(enrollment.id)


def _apply_bounce(
    session: Session,
    c: Classification,
    matched: OutreachMessage | None,
    report: InboxReport,
    *,
    now: datetime,
    actor: str,
) -> None:
    """Permanent failures: message bounced, enrollment bounced, address suppressed."""
    for recipient in c.failed_permanently:
        message = matched
        if message is None or normalise_address(message.to_address) != recipient.recipient:
            message = _latest_to(session, recipient.recipient)
        if message is None:  # never written to by us: backscatter, nothing to change
            continue
        enrollment = session.get(Enrollment, message.enrollment_id)
        creator_id = enrollment.creator_id if enrollment else None
        campaign_id = enrollment.campaign_id if enrollment else None
        if message.status != MessageStatus.BOUNCED.value:
            before = message.status
            message.status = MessageStatus.BOUNCED.value
            message.detail = f"bounced: {recipient.status} ({recipient.action})"
            record_event(
                session,
                kind="message_bounced",
                entity="message",
                entity_id=message.id,
                detail={"from": before, "status": recipient.status, "to": recipient.recipient},
                actor=actor,
                at=now,
                creator_id=creator_id,
                campaign_id=campaign_id,
            )
        if suppress_address(
            session,
            email=recipient.recipient,
            reason=f"hard bounce {recipient.status}",
            source="bounce",
            now=now,
            actor=actor,
        ):
            report.suppressed.append(recipient.recipient)
        if enrollment is not None and move_stages(
            session,
            [enrollment.id],
            cause=Cause.BOUNCE,
            reason=f"hard bounce {recipient.status}",
            detail={"status": recipient.status, "message_id": message.message_id},
            now=now,
            actor=actor,
        ):
            report.bounced.append(enrollment.id)


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
    if c.kind is Kind.BOUNCE:
        for recipient in c.recipients:
            found = _latest_to(session, recipient.recipient)
            if found is not None:
                return found
        return None
    return _latest_to(session, c.from_address) if c.from_address else None


def _latest_to(session: Session, address: str) -> OutreachMessage | None:
    return session.scalars(
        select(OutreachMessage)
        .where(func.lower(OutreachMessage.to_address) == normalise_address(address))
        .order_by(OutreachMessage.claimed_at.desc(), OutreachMessage.id.desc())
        .limit(1)
    ).first()


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
