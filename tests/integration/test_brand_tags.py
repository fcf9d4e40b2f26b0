"""The brand's tags and mentions: media pointing at the brand account become deliverables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from creatorflow.platforms.clients import platform_clients
from creatorflow.sandbox import SANDBOX_BRAND_USERNAME, SandboxServers, World
from creatorflow.services.tracking import brand_tags
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Deliverable, Enrollment
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign

ACTOR = "test:brand-tags"


def _posts_by_campaign(engine: Engine) -> dict[int, set[str]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Enrollment.campaign_id, Deliverable.post_id).join(
                Enrollment, Enrollment.id == Deliverable.enrollment_id
            )
        ).all()
    found: dict[int, set[str]] = {}
    for campaign_id, post_id in rows:
        found.setdefault(campaign_id, set()).add(post_id)
    return found


def test_a_photo_tag_of_the_brand_is_a_mention_inside_the_window(
    settings: Settings,
    world: World,
    sandbox: SandboxServers,
    make_settings: Callable[..., Settings],
    now: datetime,
) -> None:
    engine = engine_for(settings.database_url)
    names_brand = add_campaign(engine, now=now)  # mentions: the brand's username
    other = add_campaign(engine, now=now, slug="no-mention", mentions=["someoneelse"])
    for campaign in (names_brand, other):
        enroll(engine, campaign, world.add_account("instagram", f"mia{campaign}"), now=now)
    at = now + timedelta(days=1)
    brand = (SANDBOX_BRAND_USERNAME,)
    tagged = world.add_post("instagram", f"mia{names_brand}", text="sunday", tagged=brand)
    world.add_post("instagram", f"mia{other}", text="sunday", tagged=brand, published_at=at)
    hashtag = world.add_post(
        "instagram", f"mia{other}", text="#springglow", tagged=brand, published_at=at
    )
    world.add_account("instagram", "stranger")  # not enrolled: tagged, but no deliverable
    world.add_post("instagram", "stranger", text="#springglow", tagged=brand, published_at=at)
    world.add_post(  # before the window: Meta lists it, the campaign does not take it
        "instagram", f"mia{names_brand}", tagged=brand, published_at=now - timedelta(days=40)
    )
    world.set_now(at)

    with platform_clients(make_settings()) as clients:
        report = brand_tags.detect_brand_tags(
            engine=engine, clients=clients, campaign_slug=None, now=at, actor=ACTOR
        )
        again = brand_tags.detect_brand_tags(
            engine=engine, clients=clients, campaign_slug=None, now=at, actor=ACTOR
        )

    assert _posts_by_campaign(engine) == {names_brand: {tagged.post_id}, other: {hashtag.post_id}}
    assert len(report.new_deliverables) == 2 and len(report.undisclosed) == 2
    assert again.new_deliverables == []
    assert sandbox.instagram.calls() == 2  # one read a run: the tags came with the username


def test_a_caption_mention_is_read_by_its_media_id(
    settings: Settings, world: World, make_settings: Callable[..., Settings], now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    enroll(engine, campaign, world.add_account("instagram", "ikroskun"), now=now)
    mention = world.add_post(
        "instagram", "ikroskun", text=f"@{SANDBOX_BRAND_USERNAME} hey #ad", published_at=now
    )
    with platform_clients(make_settings()) as clients:
        report = brand_tags.record_mention(
            engine=engine, clients=clients, media_id=mention.post_id, now=now, actor=ACTOR
        )
    assert _posts_by_campaign(engine) == {campaign: {mention.post_id}}
    assert report.undisclosed == []
