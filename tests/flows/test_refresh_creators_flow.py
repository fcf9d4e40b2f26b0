"""The refresh-creators flow against the sandbox servers: batches as tasks, summary returned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import pytest
from sqlalchemy import select

from creatorflow.domain.model import Platform
from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import get_settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account
from flows.creators import refresh_creators_flow
from tests.support.builders import add_unverified


@pytest.fixture
def sandbox_env(
    world: World,
    sandbox: SandboxServers,
    sqlite_url: str,
    now: datetime,
    app_env: Callable[[Mapping[str, str]], None],
) -> SandboxServers:
    """60 YouTube channels in the sandbox and, unverified, in the database the flow reads."""
    channels = world.populate("youtube", 60, posts_each=2)
    app_env({**sandbox.env(), "CREATORFLOW_DATABASE_URL": sqlite_url})
    add_unverified(engine_for(sqlite_url), "youtube", [c.external_id for c in channels], now)
    return sandbox


def test_refresh_creators_flow_refreshes_every_batch(
    sandbox_env: SandboxServers, sqlite_url: str, now: datetime
) -> None:
    summary = refresh_creators_flow(platform=Platform.YOUTUBE, as_of=now)
    assert (summary.refreshed, summary.batches) == (60, 2)
    assert sandbox_env.youtube.calls("/channels") == 2
    with session_scope(engine_for(sqlite_url)) as session:
        refreshed = session.scalars(select(Account.refreshed_at)).all()
    assert refreshed == [now] * 60


def test_a_spent_quota_stops_the_flow_cleanly_with_the_reset_time(
    sandbox_env: SandboxServers, sqlite_url: str, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATORFLOW_YOUTUBE_QUOTA_BUDGET", "55")  # first batch needs 53 units
    get_settings.cache_clear()
    summary = refresh_creators_flow(platform=Platform.YOUTUBE, as_of=now)
    assert summary.refreshed == 50
    assert summary.stopped and "resets at" in summary.stopped
    assert sandbox_env.youtube.units_used <= 55


def test_only_transient_platform_errors_are_retried_by_prefect() -> None:
    from prefect.states import Completed, Failed

    from creatorflow.platforms.errors import AuthError, QuotaExhausted, TransientPlatformError
    from tasks.runtime import retry_transient_only

    assert retry_transient_only(None, None, Failed(data=TransientPlatformError("youtube", "5xx")))
    assert not retry_transient_only(None, None, Failed(data=AuthError("youtube", "bad key")))
    assert not retry_transient_only(None, None, Failed(data=QuotaExhausted("youtube", "spent")))
    assert not retry_transient_only(None, None, Completed(data=1))
