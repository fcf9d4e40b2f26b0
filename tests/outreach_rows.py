"""Creators already contacted, written straight into the tables (for reply and response tests).

The example campaign file is registered through the campaigns module; creators, enrollments and
sent outreach messages are inserted as the outbox would have left them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from creatorflow.settings import PROJECT_ROOT
from creatorflow.storage.campaigns import StoredCampaign, load_campaign_file, register_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Creator, Enrollment, OutreachMessage

EXAMPLE_CAMPAIGN = PROJECT_ROOT / "config" / "campaigns" / "spring-glow.yaml"


@dataclass(frozen=True)
class Contacted:
    enrollment_id: int
    creator_id: int
    email: str
    handle: str
    platform: str
    message_ids: dict[str, str]  # step -> Message-ID


def seed_campaign(engine: Engine, now: datetime) -> StoredCampaign:
    spec = load_campaign_file(EXAMPLE_CAMPAIGN)
    return register_campaign(engine=engine, spec=spec, now=now, actor="test")


def seed_contacted(
    engine: Engine,
    campaign: StoredCampaign,
    *,
    handle: str,
    email: str,
    now: datetime,
    platform: str = "instagram",
    stage: str = "contacted",
    steps: tuple[str, ...] = ("initial",),
) -> Contacted:
    """A creator with the given outreach steps sent (one a day, the first one day before now)."""
    with session_scope(engine) as session:
        creator = Creator(
            name=handle.title(),
            email=email,
            lawful_basis="legitimate-interest",
            source="test",
            created_at=now,
            updated_at=now,
        )
        session.add(creator)
        session.flush()
        account = Account(
            creator_id=creator.id,
            platform=platform,
            handle=handle,
            followers=25_000,
            tier="micro",
            status="active",
            created_at=now,
            updated_at=now,
        )
        session.add(account)
        session.flush()
        enrollment = Enrollment(
            campaign_id=campaign.id,
            creator_id=creator.id,
            account_id=account.id,
            tier="micro",
            followers_at_shortlist=25_000,
            stage=stage,
            offer=Decimal("400"),
            currency="USD",
            created_at=now,
            updated_at=now,
        )
        session.add(enrollment)
        session.flush()
        ids: dict[str, str] = {}
        for number, step in enumerate(steps):
            message_id = f"<{step}-{enrollment.id}-{handle}@brand.example>"
            sent = now - timedelta(days=len(steps) - number)
            session.add(
                OutreachMessage(
                    enrollment_id=enrollment.id,
                    step=step,
                    message_id=message_id,
                    to_address=email,
                    subject="Spring Glow x you?",
                    status="sent",
                    claimed_at=sent,
                    sent_at=sent,
                    in_reply_to=next(iter(ids.values()), None),
                    references=" ".join(ids.values()) or None,
                )
            )
            ids[step] = message_id
        return Contacted(enrollment.id, creator.id, email, handle, platform, ids)
