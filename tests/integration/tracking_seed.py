"""Seeding a campaign with accepted creators for the tracking tests (rows, not services)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform, Provenance
from creatorflow.platforms.base import Post, PostMetrics
from creatorflow.sandbox import SandboxAccount, SandboxPost, World
from creatorflow.services.tracking.deliverables import record_deliverable
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Campaign, Creator, Enrollment

SPEC: dict[str, Any] = {
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


def add_campaign(engine: Engine, *, now: datetime, slug: str = "spring-glow", **spec: Any) -> int:
    with session_scope(engine) as session:
        row = Campaign(
            slug=slug,
            name=SPEC["name"],
            brand=SPEC["brand"],
            spec={**SPEC, "slug": slug, **spec},
            spec_sha256="0" * 64,
            status="active",
            created_at=now,
            launched_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def enroll(
    engine: Engine,
    campaign_id: int,
    account: SandboxAccount | tuple[Platform, str, str | None],
    *,
    now: datetime,
    stage: str = "accepted",
    due_in: timedelta = timedelta(days=14),
    name: str | None = None,
) -> int:
    """A creator with one account, enrolled at ``stage``; returns the enrollment id."""
    if isinstance(account, SandboxAccount):
        platform, handle, external = account.platform, account.handle, account.external_id
    else:
        platform, handle, external = account
    with session_scope(engine) as session:
        creator = Creator(
            name=name or handle,
            email=f"{handle}@creators.example",
            lawful_basis="test",
            source="test",
            created_at=now,
            updated_at=now,
        )
        session.add(creator)
        session.flush()
        acc = Account(
            creator_id=creator.id,
            platform=Platform(platform).value,
            handle=handle,
            external_id=external,
            followers=20_000,
            tier="micro",
            status="active",
            created_at=now,
            updated_at=now,
        )
        session.add(acc)
        session.flush()
        enrollment = Enrollment(
            campaign_id=campaign_id,
            creator_id=creator.id,
            account_id=acc.id,
            tier="micro",
            stage=stage,
            accepted_at=now if stage in {"accepted", "posted"} else None,
            due_at=now + due_in if stage in {"accepted", "posted"} else None,
            created_at=now,
            updated_at=now,
        )
        session.add(enrollment)
        session.flush()
        return enrollment.id


def sandbox_settings(settings: Settings, values: dict[str, Any]) -> Settings:
    """The test settings pointed at the sandbox, with quick retries."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        **{
            **{k: v for k, v in settings.model_dump().items() if k not in values},
            **values,
            "http_max_retries": 1,
            "http_backoff_base": 0.01,
        },
    )


def record_world_posts(engine: Engine, world: World, now: datetime) -> None:
    """Every world post of an enrolled account as a deliverable (the path detection takes),
    for tests that need more posts than one detection page shows."""
    with session_scope(engine) as session:
        pairs = session.execute(
            select(Enrollment, Account).join(Account, Account.id == Enrollment.account_id)
        ).all()
        for enrollment, account in pairs:
            for post in world.posts_of(account.platform, account.handle):
                record_deliverable(
                    session,
                    enrollment=enrollment,
                    campaign_id=enrollment.campaign_id,
                    post=_as_post(post),
                    provenance=Provenance.API,
                    now=now,
                    actor="test:seed",
                    kind="deliverable_detected",
                )


def _as_post(post: SandboxPost) -> Post:
    return Post(
        platform=post.platform,
        post_id=post.post_id,
        author_id=None,
        url=post.url,
        title=post.title,
        text=post.text,
        published_at=post.published_at,
        metrics=PostMetrics(),
    )
