"""The track-campaigns flow end to end on the Prefect harness and the sandbox APIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for
from tests.integration.tracking_seed import add_campaign, enroll, record_world_posts


@pytest.fixture
def sandbox_env(
    settings: Settings, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, SandboxServers]]:
    world = World(now=now)
    world.add_account("youtube", "glowwithmia", followers=40_000)
    world.add_account("tiktok", "miaglow", followers=9_000)
    with SandboxServers(world) as sandbox:
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CREATORFLOW_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("CREATORFLOW_MAIL_URL", settings.mail_url.get_secret_value())
        monkeypatch.setenv("CREATORFLOW_INBOX_URL", settings.inbox_url.get_secret_value())
        monkeypatch.setenv("CREATORFLOW_SENDER", settings.sender or "")
        monkeypatch.setenv("CREATORFLOW_POSTAL_ADDRESS", settings.postal_address or "")
        monkeypatch.setenv("CREATORFLOW_HTTP_MAX_RETRIES", "1")
        get_settings.cache_clear()
        yield world, sandbox
        get_settings.cache_clear()


def test_track_campaigns_detects_then_polls_and_a_rerun_adds_nothing(
    settings: Settings, now: datetime, sandbox_env: tuple[World, SandboxServers]
) -> None:
    from flows.tracking import DeliverableSubmission, submit_deliverable, track_campaigns
    from tasks.tracking import RATE_LIMITS, ensure_concurrency_limits

    world, sandbox = sandbox_env
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    for platform, handle in (("youtube", "glowwithmia"), ("tiktok", "miaglow")):
        account = world.account(platform, handle)
        assert account is not None
        enroll(engine, campaign, account, now=now)
    world.add_post(
        "youtube",
        "glowwithmia",
        title="#springglow day one #ad",
        published_at=now + timedelta(hours=1),
        views=500,
        likes=20,
    )
    untagged = world.add_post(
        "tiktok", "miaglow", text="just dancing", published_at=now + timedelta(hours=1)
    )
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
    assert ensure_concurrency_limits() == [spec.name for spec in RATE_LIMITS.values()]
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
    settings: Settings, now: datetime, sandbox_env: tuple[World, SandboxServers]
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.tracking import poll_engagement

    world, sandbox = sandbox_env
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
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
