"""The polling flow names the posts it found gone (issue 14), on the Prefect harness and the
sandbox YouTube server: the creator, the post's link and when a poll last saw it."""

from __future__ import annotations

from datetime import datetime, timedelta

from creatorflow.sandbox import World
from tests.support.builders import enroll, record_world_posts
from tests.support.tracking_flows import TrackedCampaign


def test_poll_engagement_names_the_post_that_disappeared(
    tracked: TrackedCampaign, now: datetime, world: World
) -> None:
    from flows.tracking import poll_engagement

    engine = tracked.engine
    account = world.add_account("youtube", "glowwithmia", followers=40_000)
    enroll(engine, tracked.id, account, now=now, stage="posted")
    kept = world.add_post("youtube", "glowwithmia", title="#springglow one", published_at=now)
    lost = world.add_post("youtube", "glowwithmia", title="#springglow two", published_at=now)
    record_world_posts(engine, world, now)  # detected (and seen) at ``now``
    world.delete_post(lost.post_id)

    polled = poll_engagement(campaign_slug="spring-glow", as_of=now + timedelta(hours=1))

    assert (polled["snapshots"], polled["gone"]) == (1, 1)
    assert polled["gone_posts"] == [
        {
            "campaign": "spring-glow",
            "account": "youtube:glowwithmia",
            "public_handle": None,
            "post_id": lost.post_id,
            "url": lost.url,
            "last_seen_at": now.isoformat(),
            "gone_at": (now + timedelta(hours=1)).isoformat(),
        }
    ]
    assert kept.post_id not in str(polled["gone_posts"]) and "gone_ids" not in polled
