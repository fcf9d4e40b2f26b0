"""The track-campaigns flow reads each Instagram creator once: detection's read also polls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from creatorflow.sandbox import SANDBOX_BRAND_USERNAME, SandboxServers, World
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from tests.integration.platforms.test_instagram_tracking_calls import discovery_calls
from tests.support.builders import add_post, enroll
from tests.support.campaigns import add_campaign
from tests.support.environment import settings_env


def test_track_campaigns_reads_each_instagram_creator_once(
    settings: Settings,
    now: datetime,
    world: World,
    sandbox: SandboxServers,
    app_env: Callable[[Mapping[str, str]], None],
) -> None:
    from flows.tracking import track_campaigns

    app_env({**sandbox.env(), **settings_env(settings), "CREATORFLOW_HTTP_MAX_RETRIES": "1"})
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    ids = {h: enroll(engine, campaign, world.add_account("instagram", h), now=now) for h in "abc"}
    at = now + timedelta(days=2)
    old = world.add_post("instagram", "a", text="#springglow", likes=3, published_at=now)
    world.add_post("instagram", "b", text="#springglow new", likes=1, published_at=at)
    world.add_post("instagram", "c", text="hi", tagged=(SANDBOX_BRAND_USERNAME,), published_at=at)
    with session_scope(engine) as session:
        add_post(session, ids["a"], platform="instagram", post_id=old.post_id, posted_at=now)
    world.set_now(at)

    summary = track_campaigns(campaign_slug="spring-glow", as_of=at)

    assert discovery_calls(sandbox) == {"a": 1, "b": 1, "c": 1}
    assert summary["detection"]["new"] == 2 and summary["detection"]["brand_tags"] == 1
    assert summary["polling"]["snapshots"] == 3 and summary["polling"]["requests"] == 0
