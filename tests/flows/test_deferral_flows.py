"""The flows defer and name as the services do (issue 13): refresh-creators and track-campaigns
on the Prefect harness against the sandbox APIs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign
from tests.support.environment import settings_env
from tests.support.trouble import creators_on, run_creatorflow, sandbox_env, tiktok_tokens


@pytest.fixture
def db(settings: Settings) -> Engine:
    return engine_for(settings.database_url)


def _artifact(key: str) -> str:
    """The newest artifact with ``key`` (earlier flow tests leave theirs on the same server)."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    return str(found[0].data) if found else ""


def test_the_refresh_flow_defers_instagram_and_its_next_run_resumes_with_the_rest(
    world: World,
    sandbox: SandboxServers,
    db: Engine,
    settings: Settings,
    now: datetime,
    app_env: Callable[[Mapping[str, str]], None],
) -> None:
    from flows.creators import refresh_creators_flow

    creators_on(world, db, "instagram", 6, now=now, prefix="ig")
    creators_on(world, db, "tiktok", 2, now=now, prefix="tt")
    sandbox.instagram.fail("rate_limit", code=80002, delay=10, account="ig3")
    app_env({**sandbox.env(), **settings_env(settings)})

    first = refresh_creators_flow(as_of=now)

    assert first.refreshed == 3 + 2  # ig0-ig2, and TikTok goes on
    [deferred] = first.deferred
    assert (deferred.platform, deferred.left) == ("instagram", 3)
    assert deferred.returns_at == now + timedelta(minutes=10)
    assert "### Deferred" in _artifact("refresh-creators")
    second = refresh_creators_flow(as_of=now + timedelta(minutes=11))
    assert (second.refreshed, second.deferred) == (3 + 2, [])


def test_campaign_track_names_a_disconnected_creator_and_a_throttled_platform_and_exits_3(
    world: World, sandbox: SandboxServers, db: Engine, settings: Settings, now: datetime
) -> None:
    campaign = add_campaign(db, now=now)
    for platform, handle in (("tiktok", "miaglow"), ("tiktok", "sam"), ("instagram", "ivy")):
        account = world.add_account(platform, handle, followers=9_000)
        enroll(db, campaign, account, now=now)
        world.add_post(platform, handle, text="#springglow #ad", published_at=now, likes=3)
    sandbox.instagram.fail("rate_limit", code=4, delay=30, account="ivy", times=None)
    tokens = tiktok_tokens(sandbox, revoked=["miaglow"])
    env = {**sandbox_env(sandbox, settings, tiktok_access_token=tokens), **settings_env(settings)}
    as_of = now + timedelta(hours=1)

    code, output = run_creatorflow(
        env, "campaign", "track", "spring-glow", "--as-of", as_of.isoformat()
    )

    assert code == 3, output
    assert "needs attention: tiktok:miaglow (token_revoked): TikTok token revoked" in output
    back = as_of + timedelta(minutes=30)
    assert f"deferred instagram: access returns at {back.isoformat()}" in output
    assert "deliverables: 1 new" in output  # sam's post: the others' problems did not stop it
    summary = _artifact("tracking-summary")
    assert "- `tiktok:miaglow` (spring-glow, token_revoked): TikTok token revoked" in summary
    assert "ask the creator to reconnect." in summary
    assert f"- Deferred instagram: access returns at {back.isoformat()}" in summary
