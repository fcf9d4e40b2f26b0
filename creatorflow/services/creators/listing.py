"""Creators as the `creators list` command shows them: one entry per platform account."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import Engine, select

from creatorflow.domain.model import Tier
from creatorflow.storage.models import Account, Creator

#: The stable JSON/CSV shape of one entry (``creators list --format json|csv``), in this order.
LISTING_FIELDS = (
    "id",
    "platform",
    "handle",
    "name",
    "email",
    "followers",
    "tier",
    "engagement_rate",
)


class CreatorListing(BaseModel):
    """One creator account; ``id`` is the creator's id (shared by a person's accounts)."""

    id: int
    platform: str
    handle: str
    name: str | None
    email: str | None
    followers: int | None
    tier: str | None
    engagement_rate: Decimal | None

    def as_json(self) -> dict[str, object]:
        """Plain JSON values: the engagement rate as a number (fraction, e.g. 0.0345) or null."""
        data = self.model_dump()
        rate = self.engagement_rate
        data["engagement_rate"] = float(rate) if rate is not None else None
        return {name: data[name] for name in LISTING_FIELDS}


def list_creators(*, engine: Engine, tier: Tier | None = None) -> list[CreatorListing]:
    """Every account (optionally of one tier), ordered by creator id, platform, handle."""
    query = (
        select(
            Creator.id,
            Account.platform,
            Account.handle,
            Creator.name,
            Creator.email,
            Account.followers,
            Account.tier,
            Account.engagement_rate,
        )
        .join(Account, Account.creator_id == Creator.id)
        .order_by(Creator.id, Account.platform, Account.handle)
    )
    if tier is not None:
        query = query.where(Account.tier == tier.value)
    with engine.connect() as conn:
        return [
            CreatorListing(
                id=row[0],
                platform=row[1],
                handle=row[2],
                name=row[3],
                email=row[4],
                followers=row[5],
                tier=row[6],
                engagement_rate=row[7],
            )
            for row in conn.execute(query)
        ]
