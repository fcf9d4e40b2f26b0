"""Caps and windows applied at send time, and the recovery of claims left by crashed runs.

Counts cover the last 24 hours of claims (``queued``, ``sending``, ``sent``, ``unknown``) from
this database: every message leaves through the one sending mailbox. Two overlapping runs may
each pass the cap check before the other's claims are counted, so a cap can be exceeded by at
most one batch's in-flight messages; exactly-once never depends on it.

A crashed run's claims are recovered once they are older than ``stale_after``: its one
``sending`` row per connection becomes ``unknown`` (the message may have left: an operator
decides), its ``queued`` rows were never tried and become ``deferred``, sent by the next run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, select, update

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.model import MessageStatus
from creatorflow.domain.send_rules import SendPolicy, recipient_domain, why_not_send
from creatorflow.services.outreach.recipients import Recipient
from creatorflow.services.outreach.send_results import SendOutcome
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Enrollment, OutreachMessage

COUNTED = (
    MessageStatus.QUEUED.value,
    MessageStatus.SENDING.value,
    MessageStatus.SENT.value,
    MessageStatus.UNKNOWN.value,
)


def policy_for(spec: CampaignSpec, settings: Settings) -> SendPolicy:
    out = spec.outreach
    window = out.send_window
    cap = min(settings.daily_cap, out.daily_cap) if out.daily_cap else settings.daily_cap
    return SendPolicy(
        daily_cap=cap,
        per_domain_cap=out.per_domain_cap,
        window_start=window.start,
        window_end=window.end,
        weekdays=frozenset(window.weekdays),
        default_timezone=window.timezone,
    )


@dataclass
class SendLimits:
    settings: Settings
    mailbox: int
    domains: Counter[str] = field(default_factory=Counter)
    _policies: dict[str, SendPolicy] = field(default_factory=dict)

    @classmethod
    def load(cls, *, engine: Engine, settings: Settings, now: datetime) -> SendLimits:
        since = now - timedelta(hours=24)
        with session_scope(engine) as session:
            addresses = session.scalars(
                select(OutreachMessage.to_address)
                .where(OutreachMessage.claimed_at > since, OutreachMessage.claimed_at <= now)
                .where(OutreachMessage.status.in_(COUNTED))
            ).all()
        return cls(
            settings=settings,
            mailbox=len(addresses),
            domains=Counter(recipient_domain(a) for a in addresses),
        )

    def policy(self, spec: CampaignSpec) -> SendPolicy:
        if spec.slug not in self._policies:
            self._policies[spec.slug] = policy_for(spec, self.settings)
        return self._policies[spec.slug]

    def why_not(self, recipient: Recipient, *, suppressed: bool, now: datetime) -> str | None:
        return why_not_send(
            now=now,
            timezone=recipient.timezone,
            suppressed=suppressed,
            sent_today_by_mailbox=self.mailbox,
            sent_today_to_domain=self.domains[recipient_domain(recipient.email or "")],
            policy=self.policy(recipient.spec),
        )

    def count(self, recipient: Recipient) -> None:
        self.mailbox += 1
        self.domains[recipient_domain(recipient.email or "")] += 1

    def uncount(self, recipient: Recipient) -> None:
        self.mailbox -= 1
        self.domains[recipient_domain(recipient.email or "")] -= 1


def recover_stale(
    *, engine: Engine, now: datetime, actor: str, older_than: timedelta
) -> list[SendOutcome]:
    """Claims taken before ``now - older_than`` by runs that never finished.

    ``sending`` rows become ``unknown`` (never resent; the claim token stays, so a run that was
    only slow still writes the outcome it saw); ``queued`` rows become ``deferred`` (never tried).
    Returns the unknowns, named, for the operator.
    """
    cutoff = now - older_than
    out: list[SendOutcome] = []
    with session_scope(engine) as session:
        released = session.execute(
            update(OutreachMessage)
            .where(OutreachMessage.status == MessageStatus.QUEUED.value)
            .where(OutreachMessage.claimed_at < cutoff)
            .values(
                status=MessageStatus.DEFERRED.value,
                claim_token=None,
                deferred_until=None,
                detail="not attempted: the run that claimed it stopped",
            )
            .returning(OutreachMessage.id, OutreachMessage.enrollment_id, OutreachMessage.step)
            .execution_options(synchronize_session=False)
        ).all()
        for row_id, enrollment_id, step in released:
            record_event(
                session,
                kind="message_released",
                entity="message",
                entity_id=row_id,
                detail={"step": step, "enrollment_id": enrollment_id, "detail": "stale claim"},
                actor=actor,
                at=now,
            )
        rows = session.execute(
            select(OutreachMessage, Enrollment, Account)
            .join(Enrollment, Enrollment.id == OutreachMessage.enrollment_id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(OutreachMessage.status == MessageStatus.SENDING.value)
            .where(OutreachMessage.claimed_at < cutoff)
        ).all()
        for message, enrollment, account in rows:
            changed = _affected(
                session.execute(
                    update(OutreachMessage)
                    .where(OutreachMessage.id == message.id)
                    .where(OutreachMessage.status == MessageStatus.SENDING.value)
                    .values(
                        status=MessageStatus.UNKNOWN.value,
                        detail="stale claim: the run that claimed it never finished",
                    )
                    .execution_options(synchronize_session=False)
                )
            )
            if not changed:
                continue
            record_event(
                session,
                kind="message_unknown",
                entity="message",
                entity_id=message.id,
                detail={
                    "step": message.step,
                    "enrollment_id": enrollment.id,
                    "message_id": message.message_id,
                    "detail": "stale claim",
                },
                actor=actor,
                at=now,
                creator_id=enrollment.creator_id,
                campaign_id=enrollment.campaign_id,
            )
            out.append(
                SendOutcome(
                    enrollment.id,
                    message.step,
                    f"{account.platform}:{account.handle}",
                    message.to_address,
                    "unknown",
                    "stale claim from a crashed run: needs an operator",
                    message.message_id,
                    message.claimed_at,
                )
            )
    return out


def existing_reason(row: OutreachMessage) -> str:
    """Why a step that already has an outbox row is not sent again now."""
    status = row.status
    if status == MessageStatus.DEFERRED.value and row.deferred_until is not None:
        return f"deferred until {row.deferred_until:%Y-%m-%d %H:%M} UTC: {row.detail or ''}".strip()
    return {
        MessageStatus.SENT.value: "already sent",
        MessageStatus.QUEUED.value: f"in flight (claimed {row.claimed_at:%Y-%m-%d %H:%M} UTC)",
        MessageStatus.SENDING.value: f"in flight (claimed {row.claimed_at:%Y-%m-%d %H:%M} UTC)",
        MessageStatus.UNKNOWN.value: "outcome unknown from an earlier run: needs an operator",
        MessageStatus.FAILED.value: f"failed earlier: {row.detail or ''}".strip(),
        MessageStatus.DEFERRED.value: "deferred: claimed by another run",
    }.get(status, f"already {status}")


def _affected(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched (``Result`` does not declare ``rowcount``)."""
    return int(cast(CursorResult[Any], result).rowcount)
