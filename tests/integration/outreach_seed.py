"""Creators, accounts and a campaign in the database, for outreach tests."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.storage.campaigns import parse_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Creator

BASE_SPEC: dict[str, Any] = {
    "slug": "spring-glow",
    "name": "Spring Glow",
    "brand": "Lumen",
    "platforms": ["instagram", "youtube"],
    "window": {"start": "2027-03-15", "end": "2027-04-30"},
    "hashtags": ["#springglow"],
    "mentions": ["@lumen"],
    "budget": 100000,
    "currency": "USD",
    "selection": {"tiers": {"micro": 50, "nano": 50}},
    "offer": {"micro": 400, "nano": 150},
    "outreach": {
        "follow_up_days": [3, 7],
        "per_domain_cap": 1000,
        "send_window": {"start": "08:00", "end": "18:00", "timezone": "UTC"},
    },
}


def make_spec(**overrides: Any) -> CampaignSpec:
    data = copy.deepcopy(BASE_SPEC)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return parse_campaign(data, source="test")


def add_creator(
    engine: Engine,
    now: datetime,
    *,
    handle: str,
    email: str | None = None,
    name: str | None = None,
    platform: str = "instagram",
    followers: int = 20_000,
    tier: str = "micro",
    engagement_rate: str | None = "0.05",
    country: str | None = "US",
    niche: str | None = "skincare",
    timezone: str | None = None,
) -> int:
    with session_scope(engine) as session:
        creator = Creator(
            name=name if name is not None else handle.title(),
            email=email,
            country=country,
            niche=niche,
            timezone=timezone,
            lawful_basis="legitimate-interest",
            source="test",
            created_at=now,
            updated_at=now,
        )
        session.add(creator)
        session.flush()
        session.add(
            Account(
                creator_id=creator.id,
                platform=platform,
                handle=handle,
                followers=followers,
                engagement_rate=Decimal(engagement_rate) if engagement_rate else None,
                tier=tier,
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
        return creator.id


def add_creators(
    engine: Engine, now: datetime, count: int, *, domain: str = "mail.example", **kwargs: Any
) -> list[int]:
    return [
        add_creator(
            engine, now, handle=f"creator{i:04d}", email=f"creator{i:04d}@{domain}", **kwargs
        )
        for i in range(count)
    ]
