"""The track-campaigns flow end to end on the Prefect harness and the sandbox APIs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import pytest

from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from tests.support.builders import enroll, record_world_posts
from tests.support.tracking_flows import tracked_campaign


@pytest.fixture
def campaign(
    settings: Settings,
    world: World,
    sandbox: SandboxServers,
    now: datetime,
    app_env: Callable[[Mapping[str, str]], None],
) -> int:
    """spring-glow, with glowwithmia (YouTube) and miaglow (TikTok) on the sandbox platforms,
    which the flows reach through their environment."""
    world.add_account("youtube", "glowwithmia", followers=40_000)
    world.add_account("tiktok", "miaglow", followers=9_000)
    return tracked_campaign(settings, sandbox, app_env, now).id


def test_track_campaigns_detects_then_polls_and_a_rerun_adds_nothing(
    settings: Settings, now: datetime, world: World, sandbox: SandboxServers, campaign: int
) -> None:
    from creatorflow.platforms.rate_limits import ensure_concurrency_limits, rate_limits
    from flows.tracking import DeliverableSubmission, submit_deliverable, track_campaigns

    engine = engine_for(settings.database_url)
    for platform, handle in (("youtube", "glowwithmia"), ("tiktok", "miaglow")):
        account = world.account(platform, handle)
        assert account is not None
        enroll(engine, campaign, account, now=now)
    hour_one = now + timedelta(hours=1)
    tagged = {"title": "#springglow day one #ad", "views": 500, "likes": 20}
    world.add_post("youtube", "glowwithmia", published_at=hour_one, **tagged)
    untagged = world.add_post("tiktok", "miaglow", text="just dancing", published_at=hour_one)
    as_of = now + timedelta(hours=2)

    first = track_campaigns(campaign_slug="spring-glow", as_of=as_of)
    again = track_campaigns(campaign_slug="spring-glow", as_of=as_of + timedelta(minutes=5))
    submitted = submit_deliverable(
        DeliverableSubmission(campaign_slug="spring-glow", url=untagged.url), as_of=as_of
    )

    assert first["detection"]["new"] == 1
    assert first["polling"]["snapshots"] == 1 and first["polling"]["requests"] == 1
    assert again["detection"]["new"] == 0 and again["polling"]["snapshots"] == 0
    assert submitted["provenance"] == "api" and submitted["created"] is True
    assert ensure_concurrency_limits() == [spec.name for spec in rate_limits()]
    assert sandbox.youtube.calls("/videos") >= 2

    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["tracking-summary", "deliverable-spring-glow"])
            )
        )
    summaries = [str(a.data) for a in artifacts if a.key == "tracking-summary"]
    submissions = [str(a.data) for a in artifacts if a.key == "deliverable-spring-glow"]
    assert any("Deliverables: 1 new post(s)" in text for text in summaries)  # the first run
    assert any("Deliverables: 0 new post(s)" in text for text in summaries)  # the re-run
    assert all("## Next steps" in text for text in summaries)
    assert any("provenance: `api`" in text for text in submissions)


def test_polling_flow_stops_cleanly_on_quota_and_the_next_run_resumes(
    settings: Settings, now: datetime, world: World, sandbox: SandboxServers, campaign: int
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.tracking import poll_engagement

    engine = engine_for(settings.database_url)
    account = world.account("youtube", "glowwithmia")
    assert account is not None
    enroll(engine, campaign, account, now=now, stage="posted")
    for n in range(60):
        world.add_post("youtube", "glowwithmia", title=f"#springglow {n}", published_at=now)
    record_world_posts(engine, world, now)
    sandbox.youtube.quota_limit = sandbox.youtube.units_used + 1  # one videos.list call left

    first = poll_engagement(campaign_slug="spring-glow", as_of=now + timedelta(hours=1))
    sandbox.youtube.quota_limit = 10_000
    second = poll_engagement(campaign_slug="spring-glow", as_of=now + timedelta(hours=1, minutes=1))

    # the round is two calls (50 + 10 ids) racing for the one call left: either may win
    assert first["quota_exhausted"] == ["youtube"] and first["snapshots"] in (50, 10)
    assert second["quota_exhausted"] == []
    assert first["snapshots"] + second["snapshots"] == 60  # every post once, none twice
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["tracking-polling"]))
        )
    assert artifacts and artifacts[-1].type == "progress"
