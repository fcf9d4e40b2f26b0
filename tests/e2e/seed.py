"""A tracked campaign with N live posts, in creatorflow's database and in the sandbox world alike.

Written straight into the tables (the launch, reply and detection paths have their own tests):
accepted enrollments, each with a deliverable whose post exists on the sandbox platform, posted
two hours before ``as_of`` so every one of them is due for a poll.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, update

from creatorflow.domain.model import Platform
from creatorflow.sandbox import World
from creatorflow.storage.campaigns import parse_campaign, register_campaign
from creatorflow.storage.models import Account, Campaign, Creator, Deliverable, Enrollment

#: Share of posts per platform, and posts per creator (Instagram and TikTok poll per owner).
MIX = ((Platform.YOUTUBE, 0.6, 1), (Platform.INSTAGRAM, 0.25, 5), (Platform.TIKTOK, 0.15, 3))


def seed_tracked_campaign(
    engine: Engine, world: World, *, slug: str, posts: int, as_of: datetime
) -> list[str]:
    """Store the campaign and ``posts`` live deliverables; returns the post ids."""
    spec = parse_campaign(
        {
            "slug": slug,
            "name": f"Scale test {slug}",
            "brand": "Glow",
            "platforms": ["youtube", "instagram", "tiktok"],
            "window": {
                "start": str((as_of - timedelta(days=5)).date()),
                "end": str((as_of + timedelta(days=30)).date()),
            },
            "hashtags": ["#scaletest"],
            "budget": 1_000_000,
            "currency": "USD",
            "selection": {"tiers": {"micro": 1}},
            "offer": {"micro": 100},
        },
        source="e2e seed",
    )
    stored = register_campaign(engine=engine, spec=spec, now=as_of, actor="test:e2e")
    posted_at = as_of - timedelta(hours=2)
    post_ids: list[str] = []
    with engine.begin() as conn:
        conn.execute(
            update(Campaign)
            .where(Campaign.id == stored.id)
            .values(status="active", launched_at=posted_at)
        )
        number = 0
        for platform, share, per_owner in MIX:
            count = round(posts * share) if platform is not Platform.TIKTOK else posts - number
            for index in range(count):
                owner = f"{slug}-{platform.value}-{index // per_owner}"
                if index % per_owner == 0:
                    world.add_account(platform, owner, followers=50_000)
                    creator_id = conn.execute(
                        insert(Creator)
                        .values(
                            name=owner,
                            email=f"{owner}@creators.example",
                            lawful_basis="legitimate-interest",
                            source="e2e",
                            created_at=posted_at,
                            updated_at=posted_at,
                        )
                        .returning(Creator.id)
                    ).scalar_one()
                    account_id = conn.execute(
                        insert(Account)
                        .values(
                            creator_id=creator_id,
                            platform=platform.value,
                            handle=owner,
                            external_id=world.account(platform, owner).external_id,  # type: ignore[union-attr]
                            followers=50_000,
                            tier="micro",
                            status="active",
                            created_at=posted_at,
                            updated_at=posted_at,
                        )
                        .returning(Account.id)
                    ).scalar_one()
                    enrollment_id = conn.execute(
                        insert(Enrollment)
                        .values(
                            campaign_id=stored.id,
                            creator_id=creator_id,
                            account_id=account_id,
                            tier="micro",
                            stage="accepted",
                            due_at=posted_at + timedelta(days=12),
                            accepted_at=posted_at,
                            created_at=posted_at,
                            updated_at=posted_at,
                        )
                        .returning(Enrollment.id)
                    ).scalar_one()
                post = world.add_post(
                    platform,
                    owner,
                    text="#scaletest",
                    title="scale",
                    published_at=posted_at,
                    views=1000,
                    likes=50,
                    comments=5,
                )
                conn.execute(
                    insert(Deliverable).values(
                        enrollment_id=enrollment_id,
                        platform=platform.value,
                        post_id=post.post_id,
                        url=post.url,
                        posted_at=posted_at,
                        provenance="api",
                        status="live",
                        detected_at=posted_at,
                    )
                )
                post_ids.append(post.post_id)
                number += 1
    return post_ids


#: A small campaign for the launch runs (sends at any hour, so any ``as_of`` works).
LAUNCH_SLUG = "e2e-launch"
LAUNCH_CAMPAIGN = f"""\
slug: {LAUNCH_SLUG}
name: E2E launch
brand: Glow
platforms: [youtube, instagram, tiktok]
window: {{start: 2027-03-01, end: 2027-04-30}}
hashtags: ["#e2eglow"]
budget: 10000
currency: USD
selection:
  tiers: {{nano: 4, micro: 6}}
offer: {{nano: 100, micro: 300}}
outreach:
  per_domain_cap: 100
  send_window: {{start: "00:00", end: "23:59", weekdays: [1, 2, 3, 4, 5, 6, 7], timezone: UTC}}
"""
