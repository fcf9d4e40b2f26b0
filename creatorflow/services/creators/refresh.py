"""Refresh every known account from its platform: followers, recent posts, engagement, tier.

Accounts are refreshed in batches of 50 (the YouTube ``channels.list`` maximum): the platform is
asked first, then the whole batch is written in one transaction (a profile snapshot per account,
the account's new figures, an event per change), so a malformed answer or a crash never leaves a
batch half-written.

One account the platform will not show (no such account, not professional, not connected, a
revoked token, a missing scope) is marked with the reason and the next step; the others are
saved in the same run. A throttle or a quota that outlasts a sensible wait stops that
platform's work for the run: what was fetched is saved, when access returns is recorded
(``storage/platform_access``), and the next run resumes with the accounts not reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.engagement import RECENT_POSTS, profile_engagement
from creatorflow.domain.model import AccountStatus, Platform
from creatorflow.domain.tiers import TierRules, assign_tier
from creatorflow.platforms.base import (
    AccountProfile,
    AccountUnreadable,
    LookupResult,
    PlatformClient,
)
from creatorflow.platforms.errors import AccountProblem, Deferral, PlatformError, deferral
from creatorflow.platforms.registry import client_for, close_client, limits_of
from creatorflow.services.creators.refresh_summary import PlatformDeferral, RefreshSummary
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import Settings, SettingsError
from creatorflow.storage import platform_access
from creatorflow.storage.account_status import mark_unreadable
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_account_event
from creatorflow.storage.models import Account, ProfileSnapshot

__all__ = ["BATCH_SIZE", "RefreshSummary", "plan_refresh", "refresh_batch", "refresh_creators"]

BATCH_SIZE = 50


def plan_refresh(
    *, engine: Engine, platform: Platform | None = None, now: datetime, actor: str
) -> list[tuple[str, list[int]]]:
    """``(platform, account ids)`` batches of at most 50, in a stable order.

    A platform whose last refresh was deferred resumes with the accounts that refresh did not
    reach (refreshed before it started); once none is left, its refresh starts from the top.
    """
    with session_scope(engine) as session:
        query = select(Account.platform, Account.id, Account.refreshed_at).order_by(
            Account.platform, Account.id
        )
        if platform is not None:
            query = query.where(Account.platform == platform.value)
        rows = session.execute(query).all()
        pending = {
            plat: since
            for plat in {row[0] for row in rows}
            if (since := platform_access.refresh_pending_since(session, plat)) is not None
        }
        for plat, since in list(pending.items()):
            if not any(p == plat and (at is None or at < since) for p, _, at in rows):
                platform_access.finish_refresh(session, plat, now=now, actor=actor)
                del pending[plat]
    by_platform: dict[str, list[int]] = {}
    for plat, account_id, refreshed_at in rows:
        since = pending.get(plat)
        if since is not None and refreshed_at is not None and refreshed_at >= since:
            continue  # done by the deferred refresh
        by_platform.setdefault(plat, []).append(account_id)
    return [
        (plat, ids[start : start + BATCH_SIZE])
        for plat, ids in by_platform.items()
        for start in range(0, len(ids), BATCH_SIZE)
    ]


def _lookup_key(account: Account) -> str:
    """By external id once known where the adapter asks for it (YouTube: 50 channel ids a
    call); by handle otherwise."""
    if account.external_id and limits_of(account.platform).lookup_by_id:
        return account.external_id
    return account.handle


def refresh_batch(
    *,
    engine: Engine,
    platform: Platform,
    account_ids: Sequence[int],
    client: PlatformClient,
    rules: TierRules,
    now: datetime,
    actor: str,
    recent_posts: int = RECENT_POSTS,
    completes: bool = False,
) -> RefreshSummary:
    """Ask the platform about up to 50 accounts, then write all of them in one transaction.

    ``completes``: the platform's last batch of the run; when nothing was deferred, the
    platform's refresh is complete and the next one starts from the top.
    """
    with session_scope(engine) as session:
        waiting = platform_access.blocked(session, platform.value, now=now)
        accounts = session.scalars(select(Account).where(Account.id.in_(list(account_ids)))).all()
        keys = {account.id: _lookup_key(account) for account in accounts}
    if waiting is not None:  # asking a throttled platform again only prolongs the throttle
        summary = RefreshSummary()
        summary.defer(_deferral(platform.value, waiting.reason, waiting.blocked_until, len(keys)))
        return summary
    calls_before = _calls(client)
    results, stop = _lookup(client, platform, list(dict.fromkeys(keys.values())), recent_posts, now)
    summary = RefreshSummary(batches=1, api_calls=_calls(client) - calls_before)
    with session_scope(engine) as session:
        query = select(Account).where(Account.id.in_(list(keys))).order_by(Account.id)
        for account in session.scalars(query):
            result = results.get(keys[account.id])
            if result is None:  # not reached before the platform stopped us
                continue
            changed_tier = _apply(session, account, result, rules=rules, now=now, actor=actor)
            if isinstance(result, AccountUnreadable):
                label = f"{account.platform}:{account.handle}"
                summary.note_problem(label, account.status, account.status_detail or "")
            else:
                summary.refreshed += 1
                summary.tier_changes += int(changed_tier)
        if stop is not None:
            access = platform_access.record_deferral(
                session, stop, now=now, actor=actor, refresh_started=now
            )
            left = sum(1 for key in keys.values() if key not in results)
            summary.defer(_deferral(access.platform, stop.reason, stop.until, left))
        elif completes:
            platform_access.finish_refresh(session, platform.value, now=now, actor=actor)
    return summary


def _lookup(
    client: PlatformClient,
    platform: Platform,
    keys: list[str],
    recent_posts: int,
    now: datetime,
) -> tuple[dict[str, LookupResult], Deferral | None]:
    """Look ``keys`` up as many at a time as the adapter's lookup covers, keeping every answer
    until a throttle or a quota stops the platform (returned as the deferral)."""
    step = limits_of(platform).accounts_per_lookup or max(1, len(keys))
    results: dict[str, LookupResult] = {}
    for start in range(0, len(keys), step):
        chunk = keys[start : start + step]
        try:
            results.update(client.lookup(chunk, with_posts=recent_posts))
        except AccountProblem as problem:  # an adapter that raises instead of answering
            if len(chunk) != 1:
                raise
            results[chunk[0]] = AccountUnreadable(platform, chunk[0], problem.what, problem.status)
        except PlatformError as error:
            stop = deferral(error, now=now)
            if stop is None:
                raise
            return results, stop
    return results, None


def _deferral(platform: str, reason: str, until: datetime | None, left: int) -> PlatformDeferral:
    return PlatformDeferral(platform=platform, reason=reason, returns_at=until, left=left)


def _apply(
    session: Session,
    account: Account,
    result: LookupResult,
    *,
    rules: TierRules,
    now: datetime,
    actor: str,
) -> bool:
    """Store one account's result; True when its tier changed. An unreadable account keeps
    its last known figures and gets the problem (reason and next step) as its status."""
    if isinstance(result, AccountUnreadable):
        mark_unreadable(
            session, account, status=result.status, what=result.reason, now=now, actor=actor
        )
        account.refreshed_at = now
        return False
    assert isinstance(result, AccountProfile)
    measured = profile_engagement(
        ((p.metrics.likes, p.metrics.comments) for p in result.recent_posts),
        result.followers,
        shown=limits_of(account.platform).engagement_counts,
    )
    rate, considered = measured.rate, measured.considered
    tier = assign_tier(result.followers, rules)
    old = {
        "followers": account.followers,
        "tier": account.tier,
        "status": account.status,
        "engagement_rate": _text(account.engagement_rate),
    }
    already = session.scalar(
        select(ProfileSnapshot.id).where(
            ProfileSnapshot.account_id == account.id, ProfileSnapshot.taken_at == now
        )
    )
    if already is None:  # a replay for the same instant keeps the first snapshot
        session.add(
            ProfileSnapshot(
                account_id=account.id,
                taken_at=now,
                followers=result.followers,
                media_count=result.media_count,
                engagement_rate=rate,
                posts_considered=considered,
                provenance="api",
                flow_run_id=actor.removeprefix("flow-run:")
                if actor.startswith("flow-run:")
                else None,
            )
        )
    if result.followers is not None or account.followers is None:
        account.followers = result.followers
        account.tier = tier.value if tier is not None else None
    account.engagement_rate = rate
    account.engagement_unknown = measured.unknown.value if measured.unknown else None
    account.external_id = result.external_id or account.external_id
    # what outreach greets and names when the creator's name is unknown (a channel id import)
    account.display_name = shown_text(result.name) or account.display_name
    account.public_handle = shown_text(result.public_handle) or account.public_handle
    account.status = AccountStatus.ACTIVE.value
    account.status_detail = None
    account.refreshed_at = now
    account.updated_at = now
    new = {
        "followers": account.followers,
        "tier": account.tier,
        "status": account.status,
        "engagement_rate": _text(account.engagement_rate),
    }
    if new != old:
        record_account_event(
            session,
            account,
            kind="account_refreshed",
            detail={
                "before": old,
                "after": new,
                "posts_considered": considered,
                "posts_hidden": measured.hidden,
            },
            actor=actor,
            at=now,
        )
    if new["tier"] != old["tier"]:
        record_account_event(
            session,
            account,
            kind="tier_changed",
            detail={"from": old["tier"], "to": new["tier"], "followers": account.followers},
            actor=actor,
            at=now,
        )
        return True
    return False


def shown_text(value: str | None) -> str | None:
    """A name or handle as the platform shows it, on one line and cut to its column (200)."""
    text = " ".join((value or "").split())[:200]
    return text or None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _calls(client: PlatformClient) -> int:
    http = getattr(client, "http", None)
    return int(getattr(http, "requests_sent", 0))


def quota_units(client: PlatformClient) -> int:
    budget = getattr(client, "budget", None)
    return int(getattr(budget, "used", 0))


def refresh_creators(
    *,
    engine: Engine,
    settings: Settings,
    platform: Platform | None = None,
    now: datetime,
    actor: str,
    clients: Mapping[Platform, PlatformClient] | None = None,
    client_factory: Callable[[Platform, Settings], PlatformClient] = client_for,
) -> RefreshSummary:
    """Refresh every known account (of ``platform``, or all) batch by batch.

    With ``platform`` unset, a platform whose key/token is not configured is skipped (and said
    so); asked for explicitly, the missing setting is an error naming the variable. A platform
    that defers (a throttle or quota outlasting a sensible wait) stops; the others go on.
    """
    rules = load_default_tier_rules(settings.config_dir)
    summary = RefreshSummary()
    batches = plan_refresh(engine=engine, platform=platform, now=now, actor=actor)
    made: dict[Platform, PlatformClient] = {}
    try:
        for plat in dict.fromkeys(Platform(p) for p, _ in batches):
            mine = [ids for p, ids in batches if p == plat.value]
            if clients and plat in clients:
                client = clients[plat]
            else:
                try:
                    client = made[plat] = client_factory(plat, settings)
                except SettingsError as exc:
                    if platform is not None:
                        raise
                    summary.skipped.append(f"{plat.value} ({exc})")
                    continue
            for number, ids in enumerate(mine):
                result = refresh_batch(
                    engine=engine,
                    platform=plat,
                    account_ids=ids,
                    client=client,
                    rules=rules,
                    now=now,
                    actor=actor,
                    completes=number == len(mine) - 1,
                )
                summary = summary.add(result)
                if result.deferred:  # the platform stopped us: its other batches wait too
                    summary.add_left(plat.value, sum(len(rest) for rest in mine[number + 1 :]))
                    break
            summary.quota_units += quota_units(client)
    finally:
        for client in made.values():
            close_client(client)
    return summary
