"""The track-campaigns flow reads each Instagram creator once: detection's read also polls."""

from __future__ import annotations

from datetime import datetime, timedelta

from creatorflow.sandbox import SANDBOX_BRAND_USERNAME, SandboxServers, World
from creatorflow.storage.db import session_scope
from tests.integration.platforms.test_instagram_tracking_calls import discovery_calls
from tests.support.builders import add_post, enroll
from tests.support.tracking_flows import TrackedCampaign


def test_track_campaigns_reads_each_instagram_creator_once(
    tracked: TrackedCampaign, now: datetime, world: World, sandbox: SandboxServers
) -> None:
    from flows.tracking import track_campaigns

    engine = tracked.engine
    ids = {h: enroll(engine, tracked.id, world.add_account("instagram", h), now=now) for h in "abc"}
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
