"""Throttles and quotas that outlast a sensible wait defer a platform's work (issue 13, item 2).

Against the sandbox servers: Meta's regain estimate beyond ``CREATORFLOW_HTTP_MAX_WAIT``, a TikTok
429 that outlasts the retries, YouTube's daily quota. What was fetched is saved, when access
returns is recorded, the command exits 3, and the next run resumes with the accounts not reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from creatorflow.domain.model import Platform
from creatorflow.platforms.errors import next_pacific_midnight
from creatorflow.sandbox import SandboxServers, World
from creatorflow.services.creators.refresh import refresh_creators
from creatorflow.services.tracking import polling
from creatorflow.services.tracking.account_problems import needs_attention
from creatorflow.services.tracking.run_summary import next_steps
from creatorflow.settings import Settings
from tests.support.builders import add_unverified, enroll, record_world_posts
from tests.support.campaigns import add_campaign
from tests.support.trouble import (
    SandboxClients,
    creators_on,
    platform_access_row,
    refreshed_at,
    run_creatorflow,
    sandbox_env,
)

ACTOR = "test:deferral"


def test_a_ten_minute_regain_estimate_saves_what_was_read_and_the_next_run_resumes_there(
    world: World, sandbox: SandboxServers, db: Engine, settings: Settings, now: datetime
) -> None:
    creators_on(world, db, "instagram", 30, now=now, prefix="ig")
    sandbox.instagram.fail_every(12, "rate_limit", code=80002, delay=10)  # the 12th read
    env = sandbox_env(sandbox, settings)

    code, output = run_creatorflow(env, "creators", "refresh", "--as-of", now.isoformat())

    assert code == 3, output  # partly deferred, not failed
    lines = output.splitlines()
    assert lines[0].startswith("refreshed 11 account(s), 0 not found, 0 unreadable")
    back = now + timedelta(minutes=10)
    assert lines[-1].startswith(
        f"  deferred instagram: 19 account(s) left, access returns at {back.isoformat()} "
        "(instagram: throttled: business_discovery: (#80002)"
    )
    assert lines[-1].endswith("the next run resumes with them")
    assert sum(at == now for at in refreshed_at(db, "instagram").values()) == 11
    access = platform_access_row(db, "instagram")
    assert access is not None and (access["blocked_until"], access["refresh_pending_since"]) == (
        back,
        now,
    )
    sandbox.instagram.clear_faults()

    # before access returns: Instagram is left alone (asking again prolongs a throttle)
    calls = sandbox.instagram.calls()
    early = now + timedelta(minutes=5)
    code, output = run_creatorflow(env, "creators", "refresh", "--as-of", early.isoformat())
    assert code == 3 and sandbox.instagram.calls() == calls
    assert "deferred instagram: 19 account(s) left" in output

    # after: only the 19 the deferred run did not reach, then the refresh is complete
    later = now + timedelta(minutes=11)
    code, output = run_creatorflow(env, "creators", "refresh", "--as-of", later.isoformat())
    assert code == 0, output
    assert output.startswith("refreshed 19 account(s)")
    assert sandbox.instagram.calls() == calls + 19
    stamps = refreshed_at(db, "instagram").values()
    assert sorted(set(stamps)) == [now, later]
    assert platform_access_row(db, "instagram")["refresh_pending_since"] is None  # type: ignore[index]


def test_a_tiktok_429_outlasting_the_retries_defers_tiktok_for_its_one_minute_window(
    world: World,
    sandbox: SandboxServers,
    db: Engine,
    clients: SandboxClients,
    make_settings: Callable[..., Settings],
    sleeps: list[float],
    now: datetime,
) -> None:
    creators_on(world, db, "tiktok", 5, now=now, prefix="tt")
    creators_on(world, db, "instagram", 2, now=now, prefix="ig")
    sandbox.tiktok.fail("rate_limit", times=None)
    summary = refresh_creators(
        engine=db, settings=make_settings(), now=now, actor=ACTOR, client_factory=clients
    )
    assert summary.refreshed == 2  # Instagram goes on
    [deferred] = summary.deferred
    assert (deferred.platform, deferred.left) == ("tiktok", 5)
    assert deferred.returns_at == now + timedelta(minutes=1)
    assert len(sleeps) == make_settings().http_max_retries  # backed off, never slept for real


def test_youtubes_daily_quota_is_recorded_with_its_reset_and_the_next_run_probes_it(
    world: World,
    sandbox: SandboxServers,
    db: Engine,
    clients: SandboxClients,
    make_settings: Callable[..., Settings],
    now: datetime,
) -> None:
    channels = world.populate("youtube", 3, posts_each=1)
    add_unverified(db, "youtube", [c.external_id for c in channels], now)
    sandbox.youtube.quota_limit = 0
    first = refresh_creators(
        engine=db,
        settings=make_settings(),
        platform=Platform.YOUTUBE,
        now=now,
        actor=ACTOR,
        client_factory=clients,
    )
    assert first.refreshed == 0 and first.deferred[0].left == 3
    assert first.deferred[0].returns_at == next_pacific_midnight(now)
    access = platform_access_row(db, "youtube")
    assert access is not None and access["blocked_until"] is None  # a quota is probed, not waited
    sandbox.youtube.quota_limit = 10_000  # the operator raised the quota
    clients.close()
    second = refresh_creators(
        engine=db,
        settings=make_settings(),
        platform=Platform.YOUTUBE,
        now=now + timedelta(minutes=1),
        actor=ACTOR,
        client_factory=clients,
    )
    assert (second.refreshed, second.deferred) == (3, [])


def test_polling_stops_a_throttled_platform_names_it_and_resumes_once_access_returns(
    world: World, sandbox: SandboxServers, db: Engine, clients: SandboxClients, now: datetime
) -> None:
    campaign = add_campaign(db, now=now)
    for handle in ("ivy", "joy"):
        enroll(db, campaign, world.add_account("instagram", handle, followers=9_000), now=now)
        world.add_post("instagram", handle, text="#springglow", published_at=now, likes=5)
    record_world_posts(db, world, now)
    at = now + timedelta(hours=1)
    sandbox.instagram.fail("rate_limit", code=4, delay=30)  # 30 minutes to regain access

    def poll(moment: datetime) -> list[polling.PollReport]:
        batches = polling.plan_polling(engine=db, campaign_slug="spring-glow", now=moment)
        return [
            polling.poll_batch(engine=db, clients=clients, batch=b, now=moment, actor=ACTOR)
            for b in batches
        ]

    first = poll(at)
    assert [r.quota_exhausted for r in first] == [True] and sum(r.snapshots for r in first) == 0
    attention = needs_attention(engine=db, campaign_slugs=["spring-glow"], now=at, actor=ACTOR)
    [line] = attention["deferred"]
    assert line.startswith(
        f"instagram: access returns at {(at + timedelta(minutes=30)).isoformat()}"
    )
    assert any(
        step.startswith("- Deferred instagram") for step in next_steps({"attention": attention})
    )

    calls = sandbox.instagram.calls()
    assert sum(r.snapshots for r in poll(at + timedelta(minutes=10))) == 0
    assert sandbox.instagram.calls() == calls  # left alone while throttled
    assert sum(r.snapshots for r in poll(at + timedelta(minutes=31))) == 2
