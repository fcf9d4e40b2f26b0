"""Issue 13's "done when": a refresh of 100 Instagram and 40 TikTok accounts in trouble.

Two revoked TikTok tokens, one token without ``video.list``, ten Instagram accounts that are not
professional, throttling on 5 % of the calls and one 10-minute regain estimate: the run saves
every readable account it reached, names every other with the next step, defers the rest of
Instagram; a second run after the estimate completes the deferred ones. Backoffs are recorded,
never slept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from creatorflow.sandbox import SandboxServers, World
from creatorflow.services.creators.refresh import refresh_creators
from creatorflow.settings import Settings
from tests.support.trouble import (
    SandboxClients,
    creators_on,
    refreshed_at,
    statuses,
    tiktok_tokens,
)

NOT_BUSINESS = [f"ig{n}" for n in range(5, 100, 10)]  # ten personal accounts
REVOKED = ["tt7", "tt31"]
UNSCOPED = "tt12"
REGAIN_AT = "ig70"  # reading it answers: come back in 10 minutes


def test_every_readable_account_is_saved_every_other_named_and_the_second_run_completes(
    world: World,
    sandbox: SandboxServers,
    db: Engine,
    clients: SandboxClients,
    make_settings: Callable[..., Settings],
    sleeps: list[float],
    now: datetime,
) -> None:
    creators_on(world, db, "instagram", 100, now=now, prefix="ig")
    creators_on(world, db, "tiktok", 40, now=now, prefix="tt")
    for handle in NOT_BUSINESS:
        world.update_account("instagram", handle, professional=False)
    unscoped = world.account("tiktok", UNSCOPED).tiktok_token  # type: ignore[union-attr]
    sandbox.tiktok.fail("permission", token=unscoped, path="/v2/video/list/", times=None)
    sandbox.instagram.fail("rate_limit", code=80002, delay=10, account=REGAIN_AT)
    for server in (sandbox.instagram, sandbox.tiktok):
        server.fail_every(20, "rate_limit")  # 5 % of the calls: short throttles
    settings = make_settings(tiktok_access_token=tiktok_tokens(sandbox, revoked=REVOKED))

    first = refresh_creators(
        engine=db, settings=settings, now=now, actor="test", client_factory=clients
    )

    reached = [f"ig{n}" for n in range(70)]
    readable = [h for h in reached if h not in NOT_BUSINESS] + [
        f"tt{n}" for n in range(40) if f"tt{n}" not in {*REVOKED, UNSCOPED}
    ]
    assert first.refreshed == len(readable) == 63 + 37
    assert (first.not_found, first.unreadable) == (7, 3)
    named = {issue.account: issue.status for issue in first.problems}
    assert named == {
        **{f"instagram:{h}": "not_business" for h in NOT_BUSINESS[:7]},
        **{f"tiktok:{h}": "token_revoked" for h in REVOKED},
        f"tiktok:{UNSCOPED}": "scope_missing",
    }
    assert all("ask the creator to" in issue.reason for issue in first.problems)
    [deferred] = first.deferred
    assert (deferred.platform, deferred.left) == ("instagram", 30)
    assert deferred.returns_at == now + timedelta(minutes=10)
    ig, tt = statuses(db, "instagram"), statuses(db, "tiktok")
    assert {h for h, (s, _) in ig.items() if s == "active"} | {
        h for h, (s, _) in tt.items() if s == "active"
    } == set(readable)
    assert sleeps and max(sleeps) <= 60  # the short throttles were waited out, not slept for real
    assert "act." not in str(first.model_dump())  # no token anywhere in the summary

    clients.close()
    later = now + timedelta(minutes=11)
    second = refresh_creators(
        engine=db, settings=settings, now=later, actor="test", client_factory=clients
    )

    assert second.deferred == []
    ig_after = refreshed_at(db, "instagram")
    assert {h for h, at in ig_after.items() if at == later} == {f"ig{n}" for n in range(70, 100)}
    assert {h for h, (s, _) in statuses(db, "instagram").items() if s == "not_business"} == set(
        NOT_BUSINESS
    )
    assert second.refreshed == 27 + 37  # the deferred Instagram accounts, and TikTok again
