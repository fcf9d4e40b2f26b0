"""Refresh every known account from its platform: followers, recent posts, engagement, tier.

Accounts are refreshed in batches of 50 (the YouTube ``channels.list`` maximum): the platform is
asked first, then the whole batch is written in one transaction (a profile snapshot per account,
the account's new figures, an event per change), so a malformed answer or a crash never leaves a
batch half-written. A spent quota stops the run cleanly: what was written stays, the summary says
when the quota resets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.engagement import RECENT_POSTS, profile_engagement_rate
from creatorflow.domain.model import AccountStatus, Platform
from creatorflow.domain.tiers import TierRules, assign_tier
from creatorflow.platforms.base import AccountNotFound, AccountProfile, LookupResult, PlatformClient
from creatorflow.platforms.errors import QuotaExhausted
from creatorflow.platforms.registry import client_for, close_client, limits_of
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import Settings, SettingsError
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, ProfileSnapshot

BATCH_SIZE = 50


class RefreshSummary(BaseModel):
    """What a refresh did; ``stopped`` explains an early stop (quota), ``skipped`` platforms
    that are not configured."""

    refreshed: int = 0
    not_found: int = 0
    tier_changes: int = 0
    api_calls: int = 0
    quota_units: int = 0
    batches: int = 0
    stopped: str | None = None
    skipped: list[str] = []

    def add(self, other: RefreshSummary) -> RefreshSummary:
        return RefreshSummary(
            refreshed=self.refreshed + other.refreshed,
            not_found=self.not_found + other.not_found,
            tier_changes=self.tier_changes + other.tier_changes,
            api_calls=self.api_calls + other.api_calls,
            quota_units=self.quota_units + other.quota_units,
            batches=self.batches + other.batches,
            stopped=self.stopped or other.stopped,
            skipped=self.skipped + other.skipped,
        )

    def line(self) -> str:
        text = (
            f"refreshed {self.refreshed} account(s), {self.not_found} not found, "
            f"{self.tier_changes} tier change(s), {self.api_calls} API call(s)"
        )
        for reason in self.skipped:
            text += f"; skipped {reason}"
        if self.stopped:
            text += f"; stopped early: {self.stopped}"
        return text


def plan_refresh(
    *, engine: Engine, platform: Platform | None = None
) -> list[tuple[str, list[int]]]:
    """``(platform, account ids)`` batches of at most 50, in a stable order."""
    with session_scope(engine) as session:
        query = select(Account.platform, Account.id).order_by(Account.platform, Account.id)
        if platform is not None:
            query = query.where(Account.platform == platform.value)
        rows = session.execute(query).all()
    by_platform: dict[str, list[int]] = {}
    for plat, account_id in rows:
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
) -> RefreshSummary:
    """Ask the platform about up to 50 accounts, then write all of them in one transaction."""
    with session_scope(engine) as session:
        accounts = session.scalars(select(Account).where(Account.id.in_(list(account_ids)))).all()
        keys = {account.id: _lookup_key(account) for account in accounts}
    calls_before = _calls(client)
    results = client.lookup(list(dict.fromkeys(keys.values())), with_posts=recent_posts)
    summary = RefreshSummary(batches=1, api_calls=_calls(client) - calls_before)
    with session_scope(engine) as session:
        for account in session.scalars(select(Account).where(Account.id.in_(list(keys)))):
            result = results.get(keys[account.id])
            if result is None:
                continue
            changed_tier = _apply(session, account, result, rules=rules, now=now, actor=actor)
            if isinstance(result, AccountNotFound):
                summary.not_found += 1
            else:
                summary.refreshed += 1
                summary.tier_changes += int(changed_tier)
    return summary


def _apply(
    session: Session,
    account: Account,
    result: LookupResult,
    *,
    rules: TierRules,
    now: datetime,
    actor: str,
) -> bool:
    """Store one account's result; True when its tier changed."""
    if isinstance(result, AccountNotFound):
        if account.status != AccountStatus.NOT_FOUND.value:
            record_event(
                session,
                kind="account_not_found",
                entity="account",
                entity_id=account.id,
                detail={
                    "platform": account.platform,
                    "handle": account.handle,
                    "reason": result.reason,
                    "previous_status": account.status,
                },
                actor=actor,
                at=now,
                creator_id=account.creator_id,
            )
        account.status = AccountStatus.NOT_FOUND.value
        account.status_detail = result.reason
        account.refreshed_at = now
        account.updated_at = now
        return False
    assert isinstance(result, AccountProfile)
    rate, considered = profile_engagement_rate(
        ((p.metrics.likes, p.metrics.comments) for p in result.recent_posts), result.followers
    )
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
    account.external_id = result.external_id or account.external_id
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
        record_event(
            session,
            kind="account_refreshed",
            entity="account",
            entity_id=account.id,
            detail={
                "platform": account.platform,
                "handle": account.handle,
                "before": old,
                "after": new,
                "posts_considered": considered,
            },
            actor=actor,
            at=now,
            creator_id=account.creator_id,
        )
    if new["tier"] != old["tier"]:
        record_event(
            session,
            kind="tier_changed",
            entity="account",
            entity_id=account.id,
            detail={
                "platform": account.platform,
                "handle": account.handle,
                "from": old["tier"],
                "to": new["tier"],
                "followers": account.followers,
            },
            actor=actor,
            at=now,
            creator_id=account.creator_id,
        )
        return True
    return False


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
    so); asked for explicitly, the missing setting is an error naming the variable.
    """
    rules = load_default_tier_rules(settings.config_dir)
    summary = RefreshSummary()
    batches = plan_refresh(engine=engine, platform=platform)
    made: dict[Platform, PlatformClient] = {}
    try:
        for plat in dict.fromkeys(Platform(p) for p, _ in batches):
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
            for _, ids in (b for b in batches if b[0] == plat.value):
                try:
                    summary = summary.add(
                        refresh_batch(
                            engine=engine,
                            platform=plat,
                            account_ids=ids,
                            client=client,
                            rules=rules,
                            now=now,
                            actor=actor,
                        )
                    )
                except QuotaExhausted as exc:
                    summary.stopped = str(exc)
                    break
            summary.quota_units += quota_units(client)
    finally:
        for client in made.values():
            close_client(client)
    return summary
