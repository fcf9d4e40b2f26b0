"""A platform added by registering its adapter alone: refresh, detection and polling serve it.

"clips" (``extra_platform.py``) exists only in this test: nothing in services, tasks or flows
names it, yet the services refresh its accounts, find its campaign posts and poll them in
calls of its own size, paced by its own rate limit.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from creatorflow.domain.model import Platform, UnknownPlatform
from creatorflow.domain.post_urls import PostRef
from creatorflow.platforms import registry
from creatorflow.platforms.clients import platform_clients
from creatorflow.platforms.rate_limits import rate_limits
from creatorflow.sandbox import World
from creatorflow.services.creators.refresh import refresh_creators
from creatorflow.services.tracking import detection, polling
from creatorflow.services.tracking.deliverables import profile_of
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account, Deliverable, MetricSnapshot
from tests.integration.platforms.extra_platform import (
    IDS_PER_CALL,
    NAME,
    ClipsServer,
    clips_adapter,
    post_url,
)
from tests.support.builders import add_account, enroll
from tests.support.campaigns import add_campaign

ACTOR = "test:clips"


@pytest.fixture
def clips(world: World) -> Iterator[ClipsServer]:
    """The clips server on loopback, its adapter registered for this test only."""
    with ClipsServer(world) as server, registry.registered(clips_adapter(server.url)):
        yield server


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return settings.model_copy(update={"http_max_retries": 1, "http_backoff_base": 0.01})


def test_refresh_looks_up_the_new_platform_through_the_registry(
    clips: ClipsServer, world: World, quick: Settings, now: datetime
) -> None:
    engine = engine_for(quick.database_url)
    for n in range(30):
        world.add_account(NAME, f"clipper{n}", followers=20_000 + n)
    world.add_post(NAME, "clipper0", text="hello", views=1000, likes=80)
    with session_scope(engine) as session:
        for n in range(31):  # clipper30 does not exist on clips
            add_account(session, platform=NAME, handle=f"clipper{n}", now=now, status="unverified")

    summary = refresh_creators(engine=engine, settings=quick, now=now, actor=ACTOR)

    assert (summary.refreshed, summary.not_found, summary.skipped) == (30, 1, [])
    lookups = [e for e in clips.log if e.path == "/v1/accounts"]
    assert [len(e.params["handles"].split(",")) for e in lookups] == [25, 6]  # the adapter's size
    with session_scope(engine) as session:
        first = session.scalars(select(Account).where(Account.handle == "clipper0")).one()
        assert (first.status, first.followers, first.tier) == ("active", 20_000, "micro")
        assert first.external_id == world.accounts(NAME)[0].external_id
        assert first.engagement_rate == Decimal("0.004")  # 80 likes / 20,000 followers


def test_detection_and_polling_follow_the_adapter_limits(
    clips: ClipsServer, world: World, quick: Settings, now: datetime
) -> None:
    engine = engine_for(quick.database_url)
    campaign = add_campaign(engine, now=now, platforms=[NAME])
    accounts = [world.add_account(NAME, handle, followers=20_000) for handle in ("mia", "leo")]
    for account in accounts:
        enroll(engine, campaign, account, now=now)
    tagged = [
        world.add_post(
            NAME,
            account.handle,
            text=f"day {n} #springglow #ad",
            published_at=now + timedelta(hours=1, minutes=n),
            views=100 * n,
            likes=n,
        )
        for account, count in zip(accounts, (13, 12), strict=True)
        for n in range(count)
    ]
    world.add_post(NAME, "mia", text="just dancing", published_at=now + timedelta(hours=2))
    reserved: list[tuple[Platform, int]] = []

    def throttle(platform: Platform, requests: int) -> None:
        reserved.append((platform, requests))

    later = now + timedelta(hours=3)
    with platform_clients(quick) as clients:
        batches = detection.plan_detection(engine=engine, campaign_slug="spring-glow")
        found = [
            detection.detect_deliverables(
                engine=engine,
                clients=clients,
                batch=batch,
                now=later,
                actor=ACTOR,
                throttle=throttle,
            )
            for batch in batches
        ]
        plan = polling.plan_polling(engine=engine, campaign_slug="spring-glow", now=later)
        world.delete_post(tagged[0].post_id)
        reports = [
            polling.poll_batch(engine=engine, clients=clients, batch=batch, now=later, actor=ACTOR)
            for batch in plan
        ]

    clips_platform = Platform(NAME)
    assert [b.platform for b in batches] == [clips_platform]
    assert sum(len(r.new_deliverables) for r in found) == 25  # the untagged post is not one
    assert reserved == [(clips_platform, 2)]  # one feed read per account (feed_read_calls=1)
    assert [(b.platform, len(b.deliverable_ids), b.requests) for b in plan] == [
        (clips_platform, 20, 2),  # 20 posts a batch at most (posts_per_batch), 10 ids a call
        (clips_platform, 5, 1),
    ]
    metric_calls = [e for e in clips.log if e.path == "/v1/posts"]
    assert [len(e.params["ids"].split(",")) for e in metric_calls] == [10, 10, 5]
    assert all(len(e.params["ids"].split(",")) <= IDS_PER_CALL for e in metric_calls)
    assert sum(r.snapshots for r in reports) == 24 and not any(r.failures for r in reports)
    assert sum(len(r.gone) for r in reports) == 1  # the post deleted after planning
    with session_scope(engine) as session:
        assert session.scalar(select(MetricSnapshot.id).limit(1)) is not None
        platforms = set(session.scalars(select(Deliverable.platform)))
        assert platforms == {NAME}


def test_the_ownership_check_comes_with_the_adapter(
    clips: ClipsServer, world: World, quick: Settings, now: datetime
) -> None:
    engine = engine_for(quick.database_url)
    campaign = add_campaign(engine, now=now, platforms=[NAME])
    mia = world.add_account(NAME, "mia", followers=20_000)
    world.add_account(NAME, "someone", followers=1_000)
    enroll(engine, campaign, mia, now=now)
    theirs = world.add_post(NAME, "someone", text="#springglow")
    hers = world.add_post(NAME, "mia", text="#springglow")
    with session_scope(engine) as session:
        candidates = [profile_of(a) for a in session.scalars(select(Account))]
    owns = registry.adapter_for(NAME).owns
    platform = Platform(NAME)

    with platform_clients(quick) as clients:
        client = clients(platform)
        mine = owns(client, PostRef(platform, hers.post_id, post_url(hers.post_id)), candidates)
        other = owns(
            client, PostRef(platform, theirs.post_id, post_url(theirs.post_id)), candidates
        )
        gone = owns(client, PostRef(platform, "nope", post_url("nope")), candidates)

    someone = world.accounts(NAME)[1]
    assert mine.owner is not None and mine.owner.handle == "mia"
    assert (other.owner, other.other) == (None, f"clips account {someone.external_id}")
    assert (gone.post, gone.owner, gone.other) == (None, None, None)


def test_an_unknown_platform_is_refused_naming_the_registered_ones(
    clips: ClipsServer, quick: Settings
) -> None:
    assert NAME in Platform and Platform(NAME) in registry.platforms()
    assert [spec.name for spec in rate_limits()][-1] == "clips-api"
    with pytest.raises(
        UnknownPlatform, match=r"'myspace' \(known: youtube, instagram, tiktok, clips\)"
    ):
        registry.client_for("myspace", quick)


def test_a_registration_ends_with_its_block() -> None:
    with ClipsServer(World()) as server, registry.registered(clips_adapter(server.url)) as clips:
        assert list(Platform)[-1] is clips and Platform(NAME) is clips

    assert NAME not in Platform and len(registry.platforms()) == 3
    with pytest.raises(UnknownPlatform, match="unknown platform 'clips'"):
        Platform(NAME)
    with pytest.raises(UnknownPlatform, match=r"\(known: youtube, instagram, tiktok\)"):
        registry.limits_of(NAME)


def test_platform_behaves_as_the_enum_did_for_the_known_three() -> None:
    class Row(BaseModel):
        platform: Platform

    row = Row.model_validate_json('{"platform": "tiktok"}')

    assert list(Platform) == [Platform.YOUTUBE, Platform.INSTAGRAM, Platform.TIKTOK]
    assert Platform("youtube") is Platform.YOUTUBE and Platform.YOUTUBE == "youtube"
    assert Platform.INSTAGRAM.value == "instagram" and f"{Platform.TIKTOK}" == "tiktok"
    assert pickle.loads(pickle.dumps(Platform.YOUTUBE)) is Platform.YOUTUBE
    assert row.platform is Platform.TIKTOK and row.model_dump(mode="json") == {"platform": "tiktok"}
    assert Row.model_json_schema()["properties"]["platform"]["enum"] == [
        "youtube",
        "instagram",
        "tiktok",
    ]
    with pytest.raises(ValidationError, match="unknown platform 'myspace'"):
        Row(platform="myspace")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="built in"):
        Platform.unregister("youtube")
