"""Campaign specs for tests: the example file, and the small specs outreach and tracking start from.

Every spec goes through the project's own parser and store, so a test campaign is exactly what an
operator's file would have produced.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import Engine

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.settings import PROJECT_ROOT
from creatorflow.storage.campaigns import (
    StoredCampaign,
    load_campaign_file,
    mark_launched,
    parse_campaign,
    register_campaign,
)
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Campaign

EXAMPLE_CAMPAIGN = PROJECT_ROOT / "config" / "campaigns" / "spring-glow.yaml"

#: Instagram and YouTube, two tiers, a send window that is open at the test clock (09:00 UTC).
OUTREACH_SPEC: dict[str, Any] = {
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

#: Every platform, one deliverable due 14 days after acceptance, reminders 3 and 1 days before.
TRACKING_SPEC: dict[str, Any] = {
    "slug": "spring-glow",
    "name": "Spring Glow 2027",
    "brand": "Lumen Skincare",
    "platforms": ["youtube", "instagram", "tiktok"],
    "budget": "10000",
    "currency": "USD",
    "selection": {"tiers": {"micro": 5}},
    "offer": {"micro": "400"},
    "window": {"start": "2027-03-01", "end": "2027-04-30"},
    "hashtags": ["springglow"],
    "mentions": ["lumenskincare"],
    "deliverables": {"count": 1, "days_after_acceptance": 14, "reminder_days_before": [3, 1]},
    "outreach": {"template_set": "default"},
    "tracking": {"days_after_window_end": 14},
}


def merged(base: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """``base`` with ``overrides``; a dict value updates the section it names, one level deep."""
    data = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


def example_data() -> dict[str, Any]:
    """The example campaign file (config/campaigns/spring-glow.yaml) as a dict."""
    return dict(yaml.safe_load(EXAMPLE_CAMPAIGN.read_text()))


def make_spec(base: dict[str, Any] = OUTREACH_SPEC, **overrides: Any) -> CampaignSpec:
    return parse_campaign(merged(base, **overrides), source="test")


def store_campaign(
    engine: Engine, spec: CampaignSpec, *, now: datetime, launched: bool = False
) -> StoredCampaign:
    """Register ``spec``; ``launched`` also moves it to active, as the first email sent does."""
    stored = register_campaign(engine=engine, spec=spec, now=now, actor="test")
    if launched:
        with session_scope(engine) as session:
            mark_launched(session=session, campaign_id=stored.id, now=now, actor="test")
    return stored


def register_example(engine: Engine, now: datetime) -> StoredCampaign:
    """The example campaign file, registered as ``campaign launch`` would (a draft)."""
    return store_campaign(engine, load_campaign_file(EXAMPLE_CAMPAIGN), now=now)


def add_campaign(engine: Engine, *, now: datetime, slug: str = "spring-glow", **spec: Any) -> int:
    """A launched tracking campaign: ``TRACKING_SPEC`` with the sections ``spec`` replaces.

    The spec is stored as given, not validated: a test may store what an older version wrote."""
    data = copy.deepcopy({**TRACKING_SPEC, "slug": slug, **spec})
    row = Campaign(slug=slug, name=data["name"], brand=data["brand"], spec=data, status="active")
    row.spec_sha256, row.created_at, row.launched_at = "0" * 64, now, now
    with session_scope(engine) as session:
        session.add(row)
        session.flush()
        return row.id
