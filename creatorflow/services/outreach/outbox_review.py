"""The operator's side of the outbox: what did not surely arrive, and settling it by hand.

``list_outbox`` names every ``unknown``, ``failed`` and ``deferred`` message of a campaign
(creator, step, when, Message-ID, what the server said). ``resolve_message`` settles one:
``delivered`` (found in the mailbox's Sent folder or the server's log) marks it sent and lets the
sequence go on; ``not delivered`` makes it sendable again, exactly once: the row becomes
``deferred``, which the next run claims by compare-and-set and sends under the same Message-ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.handles import normalise_handle
from creatorflow.domain.lifecycle import Cause
from creatorflow.domain.model import MessageStatus, Platform
from creatorflow.errors import InputError, NotFoundError, TransitionError
from creatorflow.storage.campaigns import get_campaign, mark_launched
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Enrollment, OutreachMessage, Suppression

#: What ``campaign outbox`` lists, in this order.
PROBLEM_STATUSES = (
    MessageStatus.UNKNOWN.value,
    MessageStatus.FAILED.value,
    MessageStatus.DEFERRED.value,
)


@dataclass(frozen=True)
class OutboxEntry:
    """One message an operator should know about."""

    creator: str  # platform:handle
    to: str
    step: str
    status: str
    at: datetime  # when it was last claimed (the try that ended this way)
    message_id: str
    reason: str | None
    smtp_code: int | None
    smtp_status: str | None
    attempts: int
    next_try: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "creator": self.creator,
            "to": self.to,
            "step": self.step,
            "status": self.status,
            "at": self.at.isoformat(),
            "message_id": self.message_id,
            "reason": self.reason or "",
            "smtp_code": self.smtp_code,
            "smtp_status": self.smtp_status,
            "attempts": self.attempts,
            "next_try": self.next_try.isoformat() if self.next_try else None,
        }


def outbox_entries(
    session: Session, *, campaign_id: int, statuses: tuple[str, ...] = PROBLEM_STATUSES
) -> list[OutboxEntry]:
    """The campaign's messages in ``statuses``: unknown first, then failed, then deferred."""
    rows = session.execute(
        select(OutreachMessage, Account.platform, Account.handle)
        .join(Enrollment, Enrollment.id == OutreachMessage.enrollment_id)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Enrollment.campaign_id == campaign_id)
        .where(OutreachMessage.status.in_(statuses))
        .order_by(OutreachMessage.claimed_at, Account.platform, Account.handle)
    ).all()
    order = {status: index for index, status in enumerate(statuses)}
    entries = [
        OutboxEntry(
            creator=f"{platform}:{handle}",
            to=m.to_address,
            step=m.step,
            status=m.status,
            at=m.claimed_at,
            message_id=m.message_id,
            reason=m.detail,
            smtp_code=m.smtp_code,
            smtp_status=m.smtp_status,
            attempts=m.attempts,
            next_try=m.deferred_until if m.status == MessageStatus.DEFERRED.value else None,
        )
        for m, platform, handle in rows
    ]
    return sorted(entries, key=lambda e: order[e.status])


def list_outbox(
    *, engine: Engine, campaign_slug: str, status: str | None = None
) -> list[OutboxEntry]:
    """``creatorflow campaign outbox SLUG [--status unknown|failed|deferred]``."""
    if status is not None and status not in PROBLEM_STATUSES:
        raise InputError(f"--status: {status!r} is not one of {', '.join(PROBLEM_STATUSES)}")
    campaign = get_campaign(engine, campaign_slug)
    with session_scope(engine) as session:
        return outbox_entries(
            session,
            campaign_id=campaign.id,
            statuses=(status,) if status is not None else PROBLEM_STATUSES,
        )


@dataclass(frozen=True)
class Resolution:
    campaign: str
    creator: str
    step: str
    before: str
    after: str
    message_id: str

    def summary(self) -> str:
        head = (
            f"{self.creator} {self.step} in {self.campaign}: {self.before} -> {self.after} "
            f"(Message-ID {self.message_id})"
        )
        if self.after == MessageStatus.SENT.value:
            return f"{head}; the sequence goes on from it"
        return f"{head}; the next run sends it once, under the same Message-ID"

    def as_json(self) -> dict[str, str]:
        return {
            "campaign": self.campaign,
            "creator": self.creator,
            "step": self.step,
            "before": self.before,
            "after": self.after,
            "message_id": self.message_id,
        }


def resolve_message(
    *,
    engine: Engine,
    campaign_slug: str,
    creator: str,
    step: str,
    delivered: bool,
    now: datetime,
    actor: str,
) -> Resolution:
    """Settle one ``unknown``, ``failed`` or ``deferred`` message (see the module docstring)."""
    campaign = get_campaign(engine, campaign_slug)
    label = _creator_label(creator)
    platform, _, handle = label.partition(":")
    with session_scope(engine) as session:
        found = session.execute(
            select(OutreachMessage, Enrollment)
            .join(Enrollment, Enrollment.id == OutreachMessage.enrollment_id)
            .join(Account, Account.creator_id == Enrollment.creator_id)
            .where(Enrollment.campaign_id == campaign.id)
            .where(Account.platform == platform, Account.handle == handle)
            .where(OutreachMessage.step == step)
        ).first()
        if found is None:
            raise NotFoundError(f"no {step!r} message to {label} in campaign {campaign.slug}")
        message, enrollment = found[0], found[1]
        before = message.status
        if before not in PROBLEM_STATUSES:
            raise TransitionError(
                f"{label} {step} in {campaign.slug} is {before}: "
                + (
                    "in flight now; wait for the run to finish"
                    if before in (MessageStatus.QUEUED.value, MessageStatus.SENDING.value)
                    else "nothing to resolve"
                )
            )
        if not delivered:
            _refuse_if_suppressed(session, message.to_address, label)
        after = MessageStatus.SENT.value if delivered else MessageStatus.DEFERRED.value
        values: dict[str, Any] = {
            "status": after,
            "claim_token": None,
            "deferred_until": None,
            "detail": f"settled by the operator ({actor}): "
            + ("delivered" if delivered else f"not delivered (was {before}); send again"),
        }
        if delivered:
            values["sent_at"] = message.claimed_at  # when it left, as far as anyone knows
        else:
            values["attempts"] = 0
        changed = session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.id == message.id, OutreachMessage.status == before)
            .values(**values)
            .returning(OutreachMessage.id)
            .execution_options(synchronize_session=False)
        ).first()
        if changed is None:
            raise TransitionError(f"{label} {step} changed meanwhile; look again and retry")
        record_event(
            session,
            kind="message_resolved",
            entity="message",
            entity_id=message.id,
            detail={
                "step": step,
                "enrollment_id": enrollment.id,
                "message_id": message.message_id,
                "from": before,
                "to": after,
                "delivered": delivered,
            },
            actor=actor,
            at=now,
            creator_id=enrollment.creator_id,
            campaign_id=campaign.id,
        )
        if delivered and step == "initial":
            move_stages(
                session,
                [enrollment.id],
                cause=Cause.FIRST_EMAIL_SENT,
                reason="the operator confirmed the first email arrived",
                now=now,
                actor=actor,
            )
            mark_launched(session=session, campaign_id=campaign.id, now=now, actor=actor)
    return Resolution(campaign.slug, label, step, before, after, message.message_id)


def _creator_label(value: str) -> str:
    """``PLATFORM:HANDLE`` as stored: platform known, handle normalised."""
    platform, sep, handle = value.partition(":")
    if not sep or not platform.strip() or not handle.strip():
        raise InputError(f"{value!r}: expected PLATFORM:HANDLE, e.g. instagram:anna.glow")
    plat = Platform(platform.strip().lower())  # an unknown one raises, naming the known ones
    try:
        return f"{plat.value}:{normalise_handle(plat, handle)}"
    except ValueError as exc:
        raise InputError(f"{value}: {exc}") from None


def _refuse_if_suppressed(session: Session, address: str, label: str) -> None:
    reason = session.scalars(
        select(Suppression.reason).where(Suppression.email == address.strip().lower())
    ).first()
    if reason is not None:
        raise TransitionError(
            f"{label}: {address} is suppressed ({reason}); it is never emailed again"
        )
