"""refresh_creators / discover_creators against the sandbox servers and a real SQLite database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.errors import MalformedResponse
from creatorflow.sandbox import SandboxServers, World
from creatorflow.services.creators.discovery import discover_creators
from creatorflow.services.creators.refresh import RefreshSummary, refresh_creators
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account, Creator, Event, ProfileSnapshot
from tests.support.builders import add_unverified

Refresh = Callable[..., RefreshSummary]


@pytest.fixture
def db(settings: Settings) -> Engine:
    """The test database, which ``make_settings`` points at too."""
    return engine_for(settings.database_url)


@pytest.fixture
def refresh(db: Engine, make_settings: Callable[..., Settings], now: datetime) -> Refresh:
    """One refresh run at ``now`` (of ``platform``, or all), with sandbox settings made at the
    call, so with the TikTok tokens of the world as it stands, changed by ``overrides``."""

    def run(platform: Platform | None = None, **overrides: Any) -> RefreshSummary:
        settings = make_settings(**overrides)
        return refresh_creators(
            engine=db, settings=settings, platform=platform, now=now, actor="test"
        )

    return run


def _youtube_channels(world: World, db: Engine, now: datetime, count: int, posts: int) -> None:
    """``count`` channels in the sandbox, known to the database by their ids, unverified."""
    accounts = world.populate("youtube", count, posts_each=posts)
    add_unverified(db, "youtube", [a.external_id for a in accounts], now)


def test_refresh_stores_snapshots_engagement_and_tiers(
    world: World, db: Engine, refresh: Refresh, now: datetime
) -> None:
    world.add_account("youtube", "mia", followers=48_200)
    for likes in (1000, 2000, 3000):
        world.add_post(
            "youtube",
            "mia",
            views=10_000,
            likes=likes,
            comments=0,
            published_at=now - timedelta(days=likes // 1000),
        )
    world.add_account("instagram", "pro.one", followers=150_000)
    world.add_account("instagram", "personal", professional=False)
    add_unverified(db, "youtube", ["mia"], now)
    add_unverified(db, "instagram", ["pro.one", "personal"], now)

    summary = refresh()

    assert (summary.refreshed, summary.not_found) == (2, 1)
    assert any(s.startswith("tiktok") for s in summary.skipped) is False  # no tiktok accounts
    with session_scope(db) as session:
        mia = session.scalars(select(Account).where(Account.handle == "mia")).one()
        assert (mia.followers, mia.tier, mia.status) == (48_200, "micro", "active")
        assert mia.engagement_rate == Decimal("0.04149378")  # median 2000 / 48,200
        assert mia.external_id and mia.external_id.startswith("UC")
        personal = session.scalars(select(Account).where(Account.handle == "personal")).one()
        assert personal.status == "not_business"
        assert "professional" in (personal.status_detail or "")
        assert session.scalar(select(func.count()).select_from(ProfileSnapshot)) == 2
        kinds = sorted(e.kind for e in session.scalars(select(Event)))
        assert kinds == [
            "account_not_business",
            "account_refreshed",
            "account_refreshed",
            "tier_changed",
            "tier_changed",
        ]


def test_refreshing_twice_for_the_same_instant_keeps_one_snapshot(
    world: World, db: Engine, refresh: Refresh, now: datetime
) -> None:
    world.add_account("tiktok", "miaglow", followers=9_100)
    add_unverified(db, "tiktok", ["miaglow"], now)
    for _ in range(2):
        assert refresh().refreshed == 1  # with the TikTok token of the account added above
    with session_scope(db) as session:
        assert session.scalar(select(func.count()).select_from(ProfileSnapshot)) == 1
        assert [e.kind for e in session.scalars(select(Event))] == [
            "account_refreshed",
            "tier_changed",
        ]


def test_unconfigured_platforms_are_skipped_and_named(
    db: Engine, refresh: Refresh, now: datetime
) -> None:
    add_unverified(db, "tiktok", ["miaglow"], now)
    summary = refresh(tiktok_access_token=None)
    assert summary.refreshed == 0
    assert "CREATORFLOW_TIKTOK_ACCESS_TOKEN" in summary.line()


def test_refresh_of_n_youtube_channels_uses_ceil_n_over_50_channel_calls(
    world: World, sandbox: SandboxServers, refresh: Refresh, db: Engine, now: datetime
) -> None:
    _youtube_channels(world, db, now, 120, posts=1)
    summary = refresh(Platform.YOUTUBE)
    assert summary.refreshed == 120 and summary.batches == 3
    assert sandbox.youtube.calls("/channels") == 3


def test_malformed_answer_stores_nothing_for_the_batch(
    world: World, sandbox: SandboxServers, refresh: Refresh, db: Engine, now: datetime
) -> None:
    world.add_account("instagram", "pro.one", followers=150_000)
    add_unverified(db, "instagram", ["pro.one", "pro.two"], now)
    world.add_account("instagram", "pro.two", followers=5)
    sandbox.instagram.fail("body", body={"business_discovery": {"id": 5}}, times=None)
    with pytest.raises(MalformedResponse, match="business_discovery.id: expected text"):
        refresh(Platform.INSTAGRAM)
    with session_scope(db) as session:
        assert session.scalar(select(func.count()).select_from(ProfileSnapshot)) == 0
        assert {a.status for a in session.scalars(select(Account))} == {"unverified"}


def test_spent_quota_stops_cleanly_and_keeps_finished_batches(
    world: World, sandbox: SandboxServers, refresh: Refresh, db: Engine, now: datetime
) -> None:
    _youtube_channels(world, db, now, 60, posts=0)
    summary = refresh(youtube_quota_budget=55)
    assert summary.refreshed == 50  # the first batch (51 units) is kept
    assert summary.stopped and "quota" in summary.stopped and "resets at" in summary.stopped
    assert sandbox.youtube.units_used <= 55


def test_discover_adds_new_creators_once(
    world: World, db: Engine, make_settings: Callable[..., Settings], now: datetime
) -> None:
    settings = make_settings()
    world.add_account("youtube", "skinbysam", followers=20_000, biography="skincare daily")
    world.add_account("youtube", "skinlab", followers=600_000, biography="skincare science")
    search = {"platform": Platform.YOUTUBE, "query": "skincare", "max_results": 10}
    first = discover_creators(engine=db, settings=settings, now=now, actor="test", **search)
    again = discover_creators(engine=db, settings=settings, now=now, actor="test", **search)
    assert sorted(first.added) == ["skinbysam", "skinlab"]
    assert again.added == [] and sorted(again.already_known) == ["skinbysam", "skinlab"]
    with session_scope(db) as session:
        tiers = {a.handle: a.tier for a in session.scalars(select(Account))}
        assert tiers == {"skinbysam": "micro", "skinlab": "macro"}
        assert session.scalar(select(func.count()).select_from(Creator)) == 2
