"""What the deliverability guard paused, and the operator resuming it.

A pause stops one scope's sending: a mailbox (the sender address: every campaign it sends) or a
campaign. It is a ``sending_pauses`` row until resumed, with a ``sending_paused`` event; resuming
stamps it (``sending_resumed``), and the guard counts that scope's sends from then on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from creatorflow.mail.message import Sender
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Enrollment, OutreachMessage, SendingPause

MAILBOX, CAMPAIGN = "mailbox", "campaign"


@dataclass(frozen=True)
class Pause:
    scope: str  # mailbox or campaign
    key: str  # the sender address or the campaign slug
    reason: str
    paused_at: datetime

    def line(self, slug: str | None = None) -> str:
        """The one line the CLI prints and the artifacts show."""
        target = f"campaign {self.key}" if self.scope == CAMPAIGN else f"mailbox {self.key}"
        resume = slug or (self.key if self.scope == CAMPAIGN else "SLUG")
        return (
            f"sending paused for {target} since {self.paused_at:%Y-%m-%d %H:%M} UTC: "
            f"{self.reason}; resume with `creatorflow campaign resume {resume}`"
        )

    def as_json(self) -> dict[str, str]:
        return {
            "scope": self.scope,
            "key": self.key,
            "reason": self.reason,
            "paused_at": self.paused_at.isoformat(),
        }


def active_pauses(session: Session, scopes: Iterable[tuple[str, str]]) -> list[Pause]:
    """The pauses not resumed yet among ``scopes`` (the oldest of each scope)."""
    wanted = set(scopes)
    if not wanted:
        return []
    rows = session.scalars(
        select(SendingPause)
        .where(SendingPause.resumed_at.is_(None))
        .where(SendingPause.key.in_({key for _, key in wanted}))
        .order_by(SendingPause.paused_at, SendingPause.id)
    )
    found: dict[tuple[str, str], Pause] = {}
    for row in rows:
        if (row.scope, row.key) in wanted and (row.scope, row.key) not in found:
            found[(row.scope, row.key)] = Pause(row.scope, row.key, row.reason, row.paused_at)
    return list(found.values())


def last_resumed(session: Session, scope: str, key: str) -> datetime | None:
    return session.scalar(
        select(func.max(SendingPause.resumed_at))
        .where(SendingPause.scope == scope)
        .where(SendingPause.key == key)
    )


def pause(
    session: Session,
    *,
    scope: str,
    key: str,
    reason: str,
    figures: dict[str, int],
    campaign_id: int | None,
    now: datetime,
    actor: str,
) -> Pause:
    row = SendingPause(
        scope=scope,
        key=key,
        reason=reason,
        figures=figures,
        paused_at=now,
        paused_by=actor,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        kind="sending_paused",
        entity="sending_pause",
        entity_id=row.id,
        detail={"scope": scope, "key": key, "reason": reason, **figures},
        actor=actor,
        at=now,
        campaign_id=campaign_id,
    )
    return Pause(scope, key, reason, now)


@dataclass(frozen=True)
class Resumed:
    campaign: str
    resumed: list[Pause]

    def lines(self) -> list[str]:
        if not self.resumed:
            return [f"nothing was paused for campaign {self.campaign}"]
        out = []
        for pause in self.resumed:
            target = "campaign" if pause.scope == CAMPAIGN else "mailbox (every campaign it sends)"
            out.append(
                f"resumed sending for {target} {pause.key}, paused since "
                f"{pause.paused_at:%Y-%m-%d %H:%M} UTC ({pause.reason})"
            )
        out.append(
            "the next runs send what is due (follow-ups hourly; the rest of the first emails "
            f"with `creatorflow campaign launch` for {self.campaign})"
        )
        return out

    def as_json(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "resumed": [p.as_json() for p in self.resumed]}


def resume_sending(
    *, engine: Engine, settings: Settings, campaign_slug: str, now: datetime, actor: str
) -> Resumed:
    """Lift the pauses that stop ``campaign_slug``: its own and its sending mailbox's."""
    campaign = get_campaign(engine, campaign_slug)  # an unknown slug fails here, naming it
    scopes = [(CAMPAIGN, campaign.slug)]
    if settings.sender:
        scopes.append((MAILBOX, Sender.parse(settings.sender).address))
    with session_scope(engine) as session:
        resumed = active_pauses(session, scopes)
        for pause in resumed:
            ids = session.scalars(
                update(SendingPause)
                .where(SendingPause.scope == pause.scope, SendingPause.key == pause.key)
                .where(SendingPause.resumed_at.is_(None))
                .values(resumed_at=now, resumed_by=actor)
                .returning(SendingPause.id)
            ).all()
            for row_id in ids:
                record_event(
                    session,
                    kind="sending_resumed",
                    entity="sending_pause",
                    entity_id=row_id,
                    detail={"scope": pause.scope, "key": pause.key, "reason": pause.reason},
                    actor=actor,
                    at=now,
                    campaign_id=campaign.id,
                )
    return Resumed(campaign.slug, resumed)


def pauses_for(
    session: Session, *, campaign_slug: str, campaign_id: int, sender: str | None
) -> list[Pause]:
    """What stops a campaign's sending now: its own pause, and its mailboxes' (``sender`` and
    every address it has sent from)."""
    senders = {
        address
        for address in session.scalars(
            select(OutreachMessage.from_address)
            .join(Enrollment, Enrollment.id == OutreachMessage.enrollment_id)
            .where(Enrollment.campaign_id == campaign_id)
            .distinct()
        )
        if address
    }
    if sender:
        senders.add(Sender.parse(sender).address)
    return active_pauses(
        session, [(CAMPAIGN, campaign_slug)] + [(MAILBOX, s) for s in sorted(senders)]
    )
