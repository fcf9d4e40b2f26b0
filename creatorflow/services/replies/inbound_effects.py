"""What each class of inbound message does to creators, our messages and the suppression list.

- reply: the creator answered: follow-ups stop (``replied``);
- auto_reply, unrelated: recorded, nothing changes (follow-ups go on);
- hard_bounce: the address is dead: our message is ``bounced``, the address suppressed, the
  enrollment ``bounced``;
- soft_bounce: counted per address; ``soft_bounce_limit`` of them spread over at least
  ``soft_bounce_days`` make the address undeliverable (suppressed, enrollment ``bounced``);
- blocked: the person exists but our mail was refused: recorded (the deliverability guard
  counts them), nobody is suppressed;
- complaint: the person marked our mail as spam: suppressed at once, enrollment ``opted_out``;
- unsubscribe: suppressed, enrollment ``opted_out``.

Everything happens in the caller's transaction, the one that recorded the message, so it
happens once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creatorflow.domain.classify import Classification, Kind, RecipientStatus
from creatorflow.domain.inbound import BOUNCES, undeliverable_after
from creatorflow.domain.lifecycle import Cause, cause_of_mail
from creatorflow.domain.model import MessageStatus
from creatorflow.services.replies.opt_outs import normalise_address, suppress_address
from creatorflow.settings import Settings
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Enrollment, InboundMessage, OutreachMessage


@dataclass
class Effects:
    """What reading changed, for the report: enrollment ids and suppressed addresses."""

    replied: list[int] = field(default_factory=list)
    bounced: list[int] = field(default_factory=list)
    opted_out: list[int] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)
    undeliverable: list[str] = field(default_factory=list)  # suppressed after soft bounces


def apply_effects(
    session: Session,
    c: Classification,
    *,
    kind: Kind,
    matched: OutreachMessage | None,
    inbound_id: int,
    effects: Effects,
    settings: Settings,
    now: datetime,
    actor: str,
) -> None:
    """Apply what a newly recorded message of ``kind`` means."""
    if kind in BOUNCES or kind is Kind.COMPLAINT:
        for recipient, message in _targets(session, c, kind, matched):
            if recipient.kind is Kind.HARD_BOUNCE:
                _dead_address(session, recipient, message, effects, now=now, actor=actor)
            elif recipient.kind is Kind.SOFT_BOUNCE:
                _count_soft_bounce(session, recipient, message, effects, settings, now, actor)
            elif recipient.kind is Kind.COMPLAINT:
                _complaint(session, recipient, message, effects, now=now, actor=actor)
        return  # blocked: the inbound record and its event are what the guard counts
    if kind is Kind.UNSUBSCRIBE:
        # a person's request comes From them; an opt-out report names them as its recipients
        addresses = {c.from_address} if c.from_address and not c.recipients else set()
        if matched is not None:
            addresses.add(normalise_address(matched.to_address))
        for address in sorted(a for a in addresses if a):
            _suppress(
                session, address, "asked by mail to unsubscribe", "reply", effects, now, actor
            )
    cause = cause_of_mail(kind)
    if matched is not None and cause is not None:
        moved = move_stages(
            session,
            [matched.enrollment_id],
            cause=cause,
            reason=f"{kind.value} received",
            detail={"inbound_message_id": inbound_id},
            now=now,
            actor=actor,
        )
        if moved and cause is Cause.REPLY:
            effects.replied.append(matched.enrollment_id)
        elif moved and cause is Cause.OPT_OUT:
            effects.opted_out.append(matched.enrollment_id)


def _targets(
    session: Session, c: Classification, kind: Kind, matched: OutreachMessage | None
) -> list[tuple[RecipientStatus, OutreachMessage]]:
    """Each reported recipient we wrote to, with our latest message to them.

    A report that names nobody we wrote to (a forward's target failed, a provider redacted the
    person) but returns our message concerns that message's recipient.
    """
    found: dict[int, tuple[RecipientStatus, OutreachMessage]] = {}
    for recipient in c.recipients:
        message = matched
        if message is None or normalise_address(message.to_address) != recipient.recipient:
            message = latest_to(session, recipient.recipient)
        if message is not None and message.id not in found:
            found[message.id] = (recipient, message)
    if not found and matched is not None:
        stand_in = c.recipients[0] if c.recipients else RecipientStatus("", kind)
        address = normalise_address(matched.to_address)
        found[matched.id] = (
            RecipientStatus(
                address, stand_in.kind, stand_in.action, stand_in.status, stand_in.diagnostic
            ),
            matched,
        )
    return list(found.values())


def _dead_address(
    session: Session,
    recipient: RecipientStatus,
    message: OutreachMessage,
    effects: Effects,
    *,
    now: datetime,
    actor: str,
) -> None:
    """A hard bounce: our message bounced, the address suppressed, the enrollment bounced."""
    enrollment = session.get(Enrollment, message.enrollment_id)
    if message.status != MessageStatus.BOUNCED.value:
        before = message.status
        message.status = MessageStatus.BOUNCED.value
        message.detail = f"bounced: {recipient.status or 'no status'} {recipient.diagnostic}"[:500]
        record_event(
            session,
            kind="message_bounced",
            entity="message",
            entity_id=message.id,
            detail={"from": before, "status": recipient.status, "to": recipient.recipient},
            actor=actor,
            at=now,
            creator_id=enrollment.creator_id if enrollment else None,
            campaign_id=enrollment.campaign_id if enrollment else None,
        )
    reason = f"hard bounce {recipient.status}".strip()
    _suppress(session, recipient.recipient, reason, "bounce", effects, now, actor)
    _close(session, message, Cause.BOUNCE, reason, recipient, effects.bounced, now, actor)


def _count_soft_bounce(
    session: Session,
    recipient: RecipientStatus,
    message: OutreachMessage,
    effects: Effects,
    settings: Settings,
    now: datetime,
    actor: str,
) -> None:
    """A soft bounce: the address is kept, until enough of them over long enough."""
    address = normalise_address(message.to_address)
    rows = session.execute(
        select(InboundMessage.received_at, InboundMessage.recorded_at)
        .join(OutreachMessage, InboundMessage.outreach_message_id == OutreachMessage.id)
        .where(InboundMessage.classification == Kind.SOFT_BOUNCE.value)
        .where(func.lower(OutreachMessage.to_address) == address)
    ).all()
    times = [min(received, recorded) if received else recorded for received, recorded in rows]
    limit, days = settings.soft_bounce_limit, settings.soft_bounce_days
    if not undeliverable_after(times, limit=limit, days=days):
        return
    reason = f"undeliverable: {len(times)} soft bounces over {days}+ days ({recipient.status})"
    if _suppress(session, address, reason, "bounce", effects, now, actor):
        effects.undeliverable.append(address)
    _close(session, message, Cause.BOUNCE, reason, recipient, effects.bounced, now, actor)


def _complaint(
    session: Session,
    recipient: RecipientStatus,
    message: OutreachMessage,
    effects: Effects,
    *,
    now: datetime,
    actor: str,
) -> None:
    """A spam complaint: never mail the person again; the enrollment ends as an opt-out."""
    address = normalise_address(message.to_address)
    reason = "spam complaint (feedback loop)"
    _suppress(session, address, reason, "complaint", effects, now, actor)
    _close(session, message, Cause.COMPLAINT, reason, recipient, effects.opted_out, now, actor)


def _suppress(
    session: Session,
    address: str,
    reason: str,
    source: str,
    effects: Effects,
    now: datetime,
    actor: str,
) -> bool:
    added = suppress_address(
        session, email=address, reason=reason, source=source, now=now, actor=actor
    )
    if added:
        effects.suppressed.append(normalise_address(address))
    return added


def _close(
    session: Session,
    message: OutreachMessage,
    cause: Cause,
    reason: str,
    recipient: RecipientStatus,
    moved_ids: list[int],
    now: datetime,
    actor: str,
) -> None:
    detail = {"status": recipient.status, "message_id": message.message_id}
    if move_stages(
        session,
        [message.enrollment_id],
        cause=cause,
        reason=reason,
        detail=detail,
        now=now,
        actor=actor,
    ):
        moved_ids.append(message.enrollment_id)


def latest_to(session: Session, address: str) -> OutreachMessage | None:
    """Our latest message to ``address`` (any case), or None."""
    return session.scalars(
        select(OutreachMessage)
        .where(func.lower(OutreachMessage.to_address) == normalise_address(address))
        .order_by(OutreachMessage.claimed_at.desc(), OutreachMessage.id.desc())
        .limit(1)
    ).first()
