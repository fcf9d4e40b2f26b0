"""A naive ``as_of`` means UTC in every flow, whatever the worker's TZ (here New York, UTC-5).

launch-campaign and refresh-creators used to read it as the machine's local time: 09:00 became
14:00 UTC. Each flow runs at a naive 09:00 and the times it stores must read 09:00 UTC.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from creatorflow.domain.model import Platform
from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account, Enrollment
from tests.support.builders import add_account, add_creators, contact
from tests.support.campaigns import OUTREACH_SPEC, make_spec, store_campaign
from tests.support.environment import settings_env

SetEnv = Callable[[Mapping[str, str]], None]


@pytest.fixture
def new_york() -> Iterator[None]:
    """The process's local time zone is New York for the test, then back to what it was."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
def naive(now: datetime, new_york: None) -> datetime:
    """The test clock's 09:00 without its zone; read as local time it would be 14:00 UTC."""
    moment = now.replace(tzinfo=None)
    assert moment.astimezone(now.tzinfo) == now + timedelta(hours=5)  # the zone is in effect
    return moment


@pytest.fixture
def flow_env(settings: Settings, app_env: SetEnv) -> Settings:
    app_env(
        {
            **settings_env(settings),
            "CREATORFLOW_UNSUBSCRIBE_BASE_URL": settings.unsubscribe_base_url or "",
            "CREATORFLOW_SECRET_KEY": "test-secret-key-that-is-long-enough",
            "CREATORFLOW_PREVIEW_DIR": str(settings.preview_dir),
        }
    )
    return settings


def test_launch_campaign_reads_a_naive_as_of_as_utc(
    flow_env: Settings, naive: datetime, now: datetime, tmp_path: Path
) -> None:
    from flows.outreach import launch_campaign

    engine = engine_for(flow_env.database_url)
    add_creators(engine, now, 2)
    campaign_file = tmp_path / "spring-glow.yaml"
    campaign_file.write_text(yaml.safe_dump(OUTREACH_SPEC), encoding="utf-8")

    summary = launch_campaign(campaign=str(campaign_file), dry_run=True, as_of=naive)

    with session_scope(engine) as session:
        shortlisted_at = session.scalars(select(Enrollment.created_at)).all()
    assert shortlisted_at == [now, now]
    assert Path(summary["preview_dir"]).name == "20270301T090000Z"


def test_refresh_creators_reads_a_naive_as_of_as_utc(
    world: World,
    sandbox: SandboxServers,
    settings: Settings,
    app_env: SetEnv,
    naive: datetime,
    now: datetime,
) -> None:
    from flows.creators import refresh_creators_flow

    world.populate("youtube", 2, posts_each=1)
    engine = engine_for(settings.database_url)
    with session_scope(engine) as session:
        for account in world.accounts("youtube"):
            add_account(
                session,
                platform="youtube",
                handle=account.external_id,
                now=now,
                status="unverified",
            )
    app_env({**sandbox.env(), "CREATORFLOW_DATABASE_URL": settings.database_url})

    summary = refresh_creators_flow(platform=Platform.YOUTUBE, as_of=naive)

    assert summary.refreshed == 2
    with session_scope(engine) as session:
        assert session.scalars(select(Account.refreshed_at)).all() == [now, now]


def test_respond_reads_a_naive_as_of_as_utc(
    flow_env: Settings, naive: datetime, now: datetime
) -> None:
    from flows.replies import CreatorResponse, respond

    engine = engine_for(flow_env.database_url)
    campaign = store_campaign(engine, make_spec(), now=now, launched=True)
    anna = contact(engine, campaign, handle="anna", now=now - timedelta(days=1))

    result = respond(
        CreatorResponse(campaign_slug="spring-glow", creator="instagram:anna", answer="accepted"),
        as_of=naive,
    )

    assert result["stage"] == "accepted"
    with session_scope(engine) as session:
        row = session.get(Enrollment, anna.enrollment_id)
        assert row is not None and row.accepted_at == now
