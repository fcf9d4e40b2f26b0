"""One creator's account the platform will not show never sinks the batch (issue 13, item 1).

Against the sandbox servers: a revoked TikTok token, a token without the ``video.list`` scope, an
Instagram account that is not professional. Each is marked with the reason and the next step; the
batch's other accounts are saved in the same run, by refresh, detection, polling and submission.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.errors import Throttled
from creatorflow.sandbox import SandboxServers, World
from creatorflow.services.creators.discovery import discover_creators
from creatorflow.services.creators.refresh import refresh_creators
from creatorflow.services.tracking import detection, polling, submission
from creatorflow.services.tracking.account_problems import needs_attention
from creatorflow.services.tracking.status import campaign_status
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Deliverable, Event
from tests.support.builders import enroll, record_world_posts
from tests.support.campaigns import add_campaign
from tests.support.trouble import (
    SandboxClients,
    creators_on,
    run_creatorflow,
    sandbox_env,
    statuses,
    tiktok_tokens,
)

ACTOR = "test:isolation"


def test_a_revoked_token_and_a_missing_scope_mark_two_creators_and_the_other_32_are_saved(
    world: World, sandbox: SandboxServers, db: Engine, settings: Settings, now: datetime
) -> None:
    handles = creators_on(world, db, "tiktok", 34, now=now, prefix="tt")
    revoked, unscoped = handles[3], handles[20]
    token = world.account("tiktok", unscoped).tiktok_token  # type: ignore[union-attr]
    sandbox.tiktok.fail("permission", token=token, path="/v2/video/list/", times=None)
    env = sandbox_env(
        sandbox, settings, tiktok_access_token=tiktok_tokens(sandbox, revoked=[revoked])
    )

    code, output = run_creatorflow(
        env, "creators", "refresh", "--platform", "tiktok", "--as-of", now.isoformat()
    )

    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("refreshed 32 account(s), 0 not found, 2 unreadable")
    assert (
        f"  tiktok:{revoked}: token_revoked: TikTok token revoked or expired on 2027-03-01: "
        "ask the creator to reconnect"
    ) in lines
    assert (
        f"  tiktok:{unscoped}: scope_missing: TikTok token without the video.list scope on "
        "2027-03-01: ask the creator to reconnect and allow it"
    ) in lines
    stored = statuses(db, "tiktok")
    assert sum(status == "active" for status, _ in stored.values()) == 32
    assert stored[revoked][0] == "token_revoked" and stored[unscoped][0] == "scope_missing"
    assert "act.revoked" not in output + str(stored)  # no token in any message


def test_a_personal_instagram_account_is_marked_not_business_with_the_next_step(
    world: World, db: Engine, make_settings: Callable[..., Settings], now: datetime
) -> None:
    creators_on(world, db, "instagram", 3, now=now, prefix="ig")
    world.update_account("instagram", "ig1", professional=False)
    summary = refresh_creators(
        engine=db, settings=make_settings(), platform=Platform.INSTAGRAM, now=now, actor=ACTOR
    )
    assert (summary.refreshed, summary.not_found) == (2, 1)
    [issue] = summary.problems
    assert issue.account == "instagram:ig1" and issue.status == "not_business"
    assert issue.reason.endswith(
        "on 2027-03-01: ask the creator to switch to a professional (business or creator) "
        "account, or correct the handle"
    )


def test_a_creator_who_reconnects_is_active_again_and_the_first_seen_date_is_kept(
    world: World,
    sandbox: SandboxServers,
    db: Engine,
    make_settings: Callable[..., Settings],
    now: datetime,
) -> None:
    [handle] = creators_on(world, db, "tiktok", 1, now=now, prefix="mia")
    revoked = tiktok_tokens(sandbox, revoked=[handle])
    for day in (0, 1):
        refresh_creators(
            engine=db,
            settings=make_settings(tiktok_access_token=revoked),
            now=now + timedelta(days=day),
            actor=ACTOR,
        )
    assert "on 2027-03-01:" in (statuses(db, "tiktok")[handle][1] or "")  # first seen, kept
    refresh_creators(engine=db, settings=make_settings(), now=now + timedelta(days=2), actor=ACTOR)
    assert statuses(db, "tiktok")[handle] == ("active", None)
    with session_scope(db) as session:
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds.count("account_token_revoked") == 1


@pytest.fixture
def tracked(world: World, db: Engine, now: datetime) -> dict[str, int]:
    """spring-glow with two accepted TikTok creators and one Instagram creator, each posting."""
    campaign = add_campaign(db, now=now)
    ids = {}
    for platform, handle in (("tiktok", "mia"), ("tiktok", "sam"), ("instagram", "ivy")):
        account = world.add_account(platform, handle, followers=20_000)
        ids[handle] = enroll(db, campaign, account, now=now)
        world.add_post(
            platform,
            handle,
            text="my #springglow routine #ad",
            title="glow",
            published_at=now + timedelta(hours=1),
            views=100,
            likes=10,
            comments=1,
        )
    return ids


@pytest.mark.parametrize(
    ("how", "status", "step"),
    [
        ("revoked", "token_revoked", "ask the creator to reconnect"),
        ("removed", "not_connected", "ask the creator to connect their account"),
    ],
)
def test_a_tiktok_creator_who_disconnects_mid_campaign_is_named_not_skipped(
    tracked: dict[str, int],
    sandbox: SandboxServers,
    db: Engine,
    settings: Settings,
    disconnected: Callable[..., SandboxClients],
    now: datetime,
    how: str,
    status: str,
    step: str,
) -> None:
    at = now + timedelta(hours=2)
    clients = disconnected("mia") if how == "revoked" else disconnected(removed=["mia"])
    new = []
    for batch in detection.plan_detection(engine=db, campaign_slug="spring-glow"):
        report = detection.detect_deliverables(
            engine=db, clients=clients, batch=batch, now=at, actor=ACTOR
        )
        new += report.new_deliverables
    assert len(new) == 2  # sam's and ivy's posts; mia's feed could not be read
    attention = needs_attention(engine=db, campaign_slugs=["spring-glow"], now=at, actor=ACTOR)
    [item] = attention["accounts"]
    assert item["account"] == "tiktok:mia" and item["status"] == status
    assert item["reason"].endswith(step)
    shown = {c.handle: c for c in campaign_status(engine=db, campaign_slug="spring-glow").creators}
    assert shown["mia"].problem == item["reason"] and shown["sam"].problem is None

    env = sandbox_env(sandbox, settings)
    code, output = run_creatorflow(env, "campaign", "status", "spring-glow")
    assert code == 0 and f"needs attention: tiktok:mia ({status}): {item['reason']}" in output


def test_polling_marks_the_owner_whose_token_was_revoked_and_polls_the_others(
    tracked: dict[str, int],
    world: World,
    db: Engine,
    disconnected: Callable[..., SandboxClients],
    now: datetime,
) -> None:
    record_world_posts(db, world, now)
    clients, at = disconnected("sam"), now + timedelta(hours=2)
    reports = [
        polling.poll_batch(engine=db, clients=clients, batch=batch, now=at, actor=ACTOR)
        for batch in polling.plan_polling(engine=db, campaign_slug="spring-glow", now=at)
    ]
    assert sum(r.snapshots for r in reports) == 2  # mia's and ivy's posts
    failures = [f for r in reports for f in r.failures]
    assert len(failures) == 1 and failures[0].startswith("tiktok:sam: TikTok token revoked")
    assert statuses(db, "tiktok")["sam"][0] == "token_revoked"


def test_a_submitted_post_of_a_disconnected_creator_is_recorded_as_submitted_and_named(
    tracked: dict[str, int],
    world: World,
    db: Engine,
    disconnected: Callable[..., SandboxClients],
    now: datetime,
) -> None:
    [post] = world.posts_of("tiktok", "mia")
    result = submission.submit_deliverable(
        engine=db,
        clients=disconnected("mia"),
        campaign_slug="spring-glow",
        url=post.url,
        now=now + timedelta(hours=2),
        actor=ACTOR,
    )
    assert result.provenance.value == "submitted" and result.handle == "mia"
    assert "token revoked or expired on 2027-03-01: ask the creator to reconnect" in result.note
    with session_scope(db) as session:
        assert session.scalar(select(Deliverable.post_id)) == post.post_id
        account = session.scalars(select(Account).where(Account.handle == "mia")).one()
        assert account.status == "token_revoked"


def test_discovery_names_a_username_it_cannot_read_and_waits_out_a_throttle(
    world: World,
    sandbox: SandboxServers,
    db: Engine,
    make_settings: Callable[..., Settings],
    now: datetime,
) -> None:
    world.add_account("instagram", "mia.glow", followers=12_500)
    world.add_account("instagram", "private.sam", professional=False)
    search = {"platform": Platform.INSTAGRAM, "max_results": 5, "actor": ACTOR}
    found = discover_creators(
        engine=db, settings=make_settings(), query="@mia.glow @private.sam", now=now, **search
    )
    assert found.added == ["mia.glow"]
    assert found.line(Platform.INSTAGRAM).endswith(
        "not added: private.sam (no such Instagram account, or not a professional "
        "(business/creator) account)"
    )
    sandbox.instagram.fail("rate_limit", code=4, delay=15)
    with pytest.raises(Throttled):
        discover_creators(engine=db, settings=make_settings(), query="@ana", now=now, **search)
    calls = sandbox.instagram.calls()
    with pytest.raises(Throttled, match="access returns at 2027-03-01T09:15:00"):
        discover_creators(
            engine=db,
            settings=make_settings(),
            query="@ana",
            now=now + timedelta(minutes=5),
            **search,
        )
    assert sandbox.instagram.calls() == calls  # not asked while throttled
