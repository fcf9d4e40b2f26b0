"""Instagram calls at the minimum: one business-discovery read per tracked creator per run (plus
the media pages its due posts need), shared by detection and polling, counted at the server."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from creatorflow.platforms.clients import platform_clients
from creatorflow.sandbox import SANDBOX_BRAND_USERNAME, SandboxServers, World
from creatorflow.services.tracking import brand_tags, detection, polling
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Deliverable, MetricSnapshot
from tests.support.builders import add_post, enroll, enroll_again
from tests.support.campaigns import add_campaign

ACTOR = "test:instagram-calls"
DISCOVERED = re.compile(r"business_discovery\.username\(([^()]*)\)")


def discovery_calls(sandbox: SandboxServers) -> Counter[str]:
    """Business-discovery requests the server answered, by username."""
    found = (DISCOVERED.search(e.params.get("fields", "")) for e in sandbox.instagram.log)
    return Counter(match.group(1) for match in found if match)


def track(make_settings: Callable[..., Settings], engine: Engine, at: datetime) -> dict[str, int]:
    """One tracking run's platform steps in the flow's order, with the run's own clients."""
    with platform_clients(make_settings(http_max_retries=1)) as clients:
        tagged = brand_tags.detect_brand_tags(
            engine=engine, clients=clients, campaign_slug=None, now=at, actor=ACTOR
        )
        found = snapshots = 0
        for batch in detection.plan_detection(engine=engine, campaign_slug=None):
            report = detection.detect_deliverables(
                engine=engine, clients=clients, batch=batch, now=at, actor=ACTOR
            )
            found += len(report.new_deliverables)
            snapshots += report.snapshots
        rounds = polling.poll_round(
            engine=engine, clients=clients, campaign_slug=None, now=at, actor=ACTOR
        )
    return {
        "tagged": len(tagged.new_deliverables),
        "found": found,
        "detection_snapshots": snapshots,
        "polling_requests": sum(r.requests for r in rounds),
        "polling_snapshots": sum(r.snapshots for r in rounds),
    }


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return engine_for(settings.database_url)


def test_one_discovery_call_per_creator_shared_by_detection_and_polling(
    engine: Engine,
    world: World,
    sandbox: SandboxServers,
    make_settings: Callable[..., Settings],
    now: datetime,
) -> None:
    spring = add_campaign(engine, now=now)
    summer = add_campaign(engine, now=now, slug="summer-glow")
    at = now + timedelta(days=3)
    handles = ("ana", "ben", "cara", "dan", "eve")
    enrolled = {
        h: enroll(engine, spring, world.add_account("instagram", h), now=now) for h in handles
    }
    enroll_again(engine, summer, platform="instagram", handle="dan", now=now)  # two campaigns
    for handle in handles:  # some unrelated history in every feed
        for hours in range(1, 6):
            world.add_post(
                "instagram", handle, text="coffee", published_at=at - timedelta(days=hours)
            )
    new = world.add_post("instagram", "ana", text="#springglow day one", likes=5, published_at=at)
    posted = world.add_post(
        "instagram", "ben", text="#springglow", likes=9, published_at=now + timedelta(hours=2)
    )
    deep = world.add_post(  # 70 posts newer than it: the read pages on to find it
        "instagram", "cara", text="#springglow", likes=3, published_at=now + timedelta(hours=1)
    )
    for minutes in range(70):
        world.add_post(
            "instagram", "cara", text="later", published_at=at - timedelta(minutes=minutes)
        )
    tag_only = world.add_post(  # no campaign word in the caption: the brand is tagged in the photo
        "instagram",
        "eve",
        text="sunday",
        tagged=(SANDBOX_BRAND_USERNAME,),
        likes=4,
        published_at=at,
    )
    with session_scope(engine) as session:
        for handle, post in (("ben", posted), ("cara", deep)):
            add_post(
                session,
                enrolled[handle],
                platform="instagram",
                post_id=post.post_id,
                posted_at=post.published_at,
            )
    world.set_now(at)

    first = track(make_settings, engine, at)

    calls = discovery_calls(sandbox)
    assert calls == {"ana": 1, "ben": 1, "cara": 2, "dan": 1, "eve": 1}  # cara: one more page
    cara = [
        e.params["fields"]
        for e in sandbox.instagram.log
        if "username(cara)" in e.params.get("fields", "")
    ]
    assert "media.after(" in cara[1]
    assert (
        sandbox.instagram.calls("/tags")
        + sum("tags.limit(" in e.params.get("fields", "") for e in sandbox.instagram.log)
        == 1
    )
    assert sandbox.instagram.calls("ig_hashtag_search") == 0  # no campaign asks for it
    assert first["found"] == 1 and first["tagged"] == 1
    assert first["polling_requests"] == 0 and first["polling_snapshots"] == 0
    assert first["detection_snapshots"] == 4  # ana's and eve's new posts, ben's and cara's
    with session_scope(engine) as session:
        rows = session.execute(
            select(Deliverable.post_id, MetricSnapshot.likes)
            .join(MetricSnapshot, MetricSnapshot.deliverable_id == Deliverable.id)
            .where(MetricSnapshot.taken_at == at)
        ).all()
    assert dict(rows) == {new.post_id: 5, posted.post_id: 9, deep.post_id: 3, tag_only.post_id: 4}

    # an hour later every post is due again (hourly to day 7): the same reads, nothing more
    sandbox.instagram.clear_log()
    world.grow_metrics(new.post_id, 2.0)
    later = at + timedelta(hours=1)
    world.set_now(later)
    second = track(make_settings, engine, later)
    assert discovery_calls(sandbox) == calls
    assert second["polling_requests"] == 0 and second["found"] == 0
    assert second["detection_snapshots"] == 4


def test_polling_still_reads_creators_detection_does_not(
    engine: Engine,
    world: World,
    sandbox: SandboxServers,
    make_settings: Callable[..., Settings],
    now: datetime,
) -> None:
    """A creator detection no longer reads (opted out of email after posting) still has a live
    post to poll: polling reads that creator, once."""
    campaign = add_campaign(engine, now=now)
    account = world.add_account("instagram", "fay")
    enrollment = enroll(engine, campaign, account, now=now, stage="opted_out")
    post = world.add_post("instagram", "fay", text="#springglow", likes=2, published_at=now)
    with session_scope(engine) as session:
        add_post(session, enrollment, platform="instagram", post_id=post.post_id, posted_at=now)
    at = now + timedelta(hours=1)
    world.set_now(at)

    run = track(make_settings, engine, at)

    assert discovery_calls(sandbox) == {"fay": 1}
    assert run["polling_requests"] == 1 and run["polling_snapshots"] == 1
