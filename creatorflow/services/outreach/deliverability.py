"""The deliverability guard: too many hard bounces or complaints pause sending until resumed.

Per sending mailbox (the sender address) and per campaign, over the last ``guard_window``
sends since that scope was last resumed: hard bounces (a dead-address refusal at SMTP time, a
message marked bounced, an inbound ``hard_bounce``) above ``guard_bounce_rate``, or complaints
(an inbound ``complaint``, an ARF report) above ``guard_complaint_rate``, pause that sending:
a ``sending_pauses`` row, a ``sending_paused`` event and a line in the send report, which the
CLI prints and the flows publish as a markdown artifact. Fewer sends than the window count as
the window, so a young campaign is not paused by its first bounce. Policy refusals (5.7.x at
SMTP time, an inbound ``blocked``) above ``guard_blocked_rate`` only warn: the people exist,
the mail is what is refused. ``creatorflow campaign resume SLUG`` (or the ``resume-sending``
flow) lifts the campaign's pause and its mailbox's (``sending_pauses``); counting starts again
from that moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from creatorflow.domain.model import MessageStatus
from creatorflow.mail.message import Sender
from creatorflow.services.outreach.sending_pauses import (
    CAMPAIGN,
    MAILBOX,
    Pause,
    active_pauses,
    last_resumed,
    pause,
)
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Enrollment, InboundMessage, OutreachMessage

#: ``inbound_messages.classification`` values the guard counts (the inbox records them).
HARD_BOUNCE, BLOCKED, COMPLAINT = "hard_bounce", "blocked", "complaint"
#: Outbox rows that went out to the server and got its answer (or may have).
_SENDS = (
    MessageStatus.SENT.value,
    MessageStatus.BOUNCED.value,
    MessageStatus.UNKNOWN.value,
    MessageStatus.FAILED.value,
)
#: Refusals of the message itself; a message failed after too many deferrals never went out.
_REFUSED = ("address", "policy", "message")


@dataclass(frozen=True)
class Thresholds:
    window: int
    bounce_rate: float
    complaint_rate: float
    blocked_rate: float

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(
            window=settings.guard_window,
            bounce_rate=settings.guard_bounce_rate,
            complaint_rate=settings.guard_complaint_rate,
            blocked_rate=settings.guard_blocked_rate,
        )


@dataclass(frozen=True)
class Figures:
    """One scope's last sends and what came of them."""

    sends: int
    hard_bounces: int
    complaints: int
    blocked: int

    def rate(self, count: int, window: int) -> float:
        return count / max(self.sends, window, 1)

    def as_json(self) -> dict[str, int]:
        return {
            "sends": self.sends,
            "hard_bounces": self.hard_bounces,
            "complaints": self.complaints,
            "blocked": self.blocked,
        }


def figures(
    session: Session,
    *,
    window: int,
    since: datetime | None,
    sender: str | None = None,
    campaign_id: int | None = None,
) -> Figures:
    """The last ``window`` sends of a mailbox (``sender``) or a campaign, after ``since``."""
    query = (
        select(OutreachMessage.id, OutreachMessage.enrollment_id, OutreachMessage.status)
        .add_columns(OutreachMessage.failure)
        .where(OutreachMessage.status.in_(_SENDS))
        .where(
            or_(
                OutreachMessage.status != MessageStatus.FAILED.value,
                OutreachMessage.failure.in_(_REFUSED),
            )
        )
    )
    if sender is not None:
        query = query.where(OutreachMessage.from_address == sender)
    if campaign_id is not None:
        query = query.join(Enrollment, Enrollment.id == OutreachMessage.enrollment_id).where(
            Enrollment.campaign_id == campaign_id
        )
    if since is not None:
        query = query.where(OutreachMessage.claimed_at > since)
    rows = session.execute(
        query.order_by(OutreachMessage.claimed_at.desc(), OutreachMessage.id.desc()).limit(window)
    ).all()
    if not rows:
        return Figures(0, 0, 0, 0)
    ids = {r.id for r in rows}
    enrollments = {r.enrollment_id for r in rows}
    bounced = {
        r.id for r in rows if r.status == MessageStatus.BOUNCED.value or r.failure == "address"
    }
    blocked = {r.id for r in rows if r.failure == "policy"}
    complained: set[int] = set()  # enrollments: one person complains once, whatever the step
    for message_id, enrollment_id, kind in session.execute(
        select(
            InboundMessage.outreach_message_id,
            InboundMessage.enrollment_id,
            InboundMessage.classification,
        )
        .where(InboundMessage.classification.in_((HARD_BOUNCE, BLOCKED, COMPLAINT)))
        .where(
            or_(
                InboundMessage.outreach_message_id.in_(ids),
                InboundMessage.enrollment_id.in_(enrollments),
            )
        )
    ):
        if kind == COMPLAINT and enrollment_id in enrollments:
            complained.add(enrollment_id)
        elif kind == HARD_BOUNCE and message_id in ids:
            bounced.add(message_id)
        elif kind == BLOCKED and message_id in ids:
            blocked.add(message_id)
    return Figures(len(rows), len(bounced), len(complained), len(blocked - bounced))


def verdict(found: Figures, limits: Thresholds) -> tuple[str | None, str | None]:
    """(why this scope must pause, what to warn about), either possibly ``None``."""
    window = limits.window
    bounce = found.rate(found.hard_bounces, window)
    complaint = found.rate(found.complaints, window)
    blocked = found.rate(found.blocked, window)
    over = found.sends if found.sends >= window else f"{found.sends} (counted as {window})"
    pause = None
    if bounce > limits.bounce_rate:
        pause = (
            f"{found.hard_bounces} hard bounce(s) in the last {over} sends "
            f"({bounce:.1%} > {limits.bounce_rate:.1%}): clean the list before sending more"
        )
    elif complaint > limits.complaint_rate:
        pause = (
            f"{found.complaints} spam complaint(s) in the last {over} sends "
            f"({complaint:.2%} > {limits.complaint_rate:.2%}): review targeting and content"
        )
    warning = None
    if blocked > limits.blocked_rate:
        warning = (
            f"{found.blocked} message(s) refused as policy or spam (5.7.x) in the last {over} "
            f"sends ({blocked:.1%} > {limits.blocked_rate:.1%}): check SPF, DKIM, DMARC and content"
        )
    return pause, warning


@dataclass
class Guard:
    """Which of a batch's scopes are paused; loaded before the batch, reassessed during it."""

    limits: Thresholds
    sender: str
    campaigns: dict[int, str]  # campaign id -> slug, for this batch
    paused: dict[tuple[str, str], Pause] = field(default_factory=dict)
    pauses: list[str] = field(default_factory=list)  # lines for the report
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        *,
        engine: Engine,
        settings: Settings,
        sender: Sender,
        campaigns: Mapping[int, str],
        now: datetime,
        actor: str,
    ) -> Guard:
        guard = cls(Thresholds.of(settings), sender.address, dict(campaigns))
        with session_scope(engine) as session:
            for pause in active_pauses(session, guard.scopes()):
                guard.paused[(pause.scope, pause.key)] = pause
        guard.reassess(engine=engine, now=now, actor=actor)
        for pause in guard.paused.values():
            line = pause.line(guard.slug_for(pause))
            if line not in guard.pauses:
                guard.pauses.append(line)
        return guard

    def scopes(self) -> list[tuple[str, str]]:
        return [(MAILBOX, self.sender)] + [(CAMPAIGN, s) for s in sorted(self.campaigns.values())]

    def slug_for(self, pause: Pause) -> str | None:
        if pause.scope == CAMPAIGN:
            return pause.key
        return next(iter(sorted(self.campaigns.values())), None)

    def why_paused(self, campaign_slug: str) -> str | None:
        for key in ((CAMPAIGN, campaign_slug), (MAILBOX, self.sender)):
            pause = self.paused.get(key)
            if pause is not None:
                return pause.line(campaign_slug)
        return None

    def reassess(self, *, engine: Engine, now: datetime, actor: str) -> list[Pause]:
        """Count again for every scope not paused yet; pause those over a threshold."""
        new: list[Pause] = []
        by_slug = {slug: cid for cid, slug in self.campaigns.items()}
        with session_scope(engine) as session:
            for scope, key in self.scopes():
                if (scope, key) in self.paused:
                    continue
                since = last_resumed(session, scope, key)
                found = figures(
                    session,
                    window=self.limits.window,
                    since=since,
                    sender=key if scope == MAILBOX else None,
                    campaign_id=by_slug.get(key) if scope == CAMPAIGN else None,
                )
                reason, warning = verdict(found, self.limits)
                if warning is not None:
                    text = f"{scope} {key}: {warning}"
                    if text not in self.warnings:
                        self.warnings.append(text)
                if reason is None:
                    continue
                paused = pause(
                    session,
                    scope=scope,
                    key=key,
                    reason=reason,
                    figures=found.as_json(),
                    campaign_id=by_slug.get(key) if scope == CAMPAIGN else None,
                    now=now,
                    actor=actor,
                )
                self.paused[(scope, key)] = paused
                self.pauses.append(paused.line(self.slug_for(paused)))
                new.append(paused)
        return new
