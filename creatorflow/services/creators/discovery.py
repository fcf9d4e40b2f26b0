"""Add creators found by a platform search (keyword or usernames), deduplicated on platform+handle.

The platform is asked first; every new creator and account is then written in one transaction,
with an event each. Accounts already known (same platform and handle, or the same YouTube channel
id) are counted and left untouched: a refresh updates them. An account the platform would not show
(an Instagram username that is not a professional account) is named and not added; a throttle
outlasting a sensible wait is recorded, so that every run knows when access returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Engine, or_, select

from creatorflow.domain.handles import normalise_handle
from creatorflow.domain.model import AccountStatus, Platform
from creatorflow.domain.personal_data import ERASED_ON_REQUEST
from creatorflow.domain.tiers import assign_tier
from creatorflow.errors import InputError
from creatorflow.platforms.base import AccountProfile, AccountUnreadable, PlatformClient
from creatorflow.platforms.errors import PlatformError, Throttled, deferral
from creatorflow.platforms.registry import client_for, close_client
from creatorflow.services.creators.forget import erased_among
from creatorflow.services.creators.refresh import shown_text
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import Settings
from creatorflow.storage import platform_access
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Creator


class DiscoverSummary(BaseModel):
    found: int = 0
    added: list[str] = []
    already_known: list[str] = []
    unreadable: list[str] = []  # "handle: reason" of accounts the platform would not show

    def line(self, platform: Platform) -> str:
        added = ", ".join(self.added) or "none"
        text = (
            f"{platform.value}: found {self.found}, added {len(self.added)} ({added}), "
            f"{len(self.already_known)} already known"
        )
        if self.unreadable:
            text += f"; not added: {'; '.join(self.unreadable)}"
        return text


def discover_creators(
    *,
    engine: Engine,
    settings: Settings,
    platform: Platform,
    query: str,
    max_results: int,
    now: datetime,
    actor: str,
    client: PlatformClient | None = None,
    client_factory: Callable[[Platform, Settings], PlatformClient] = client_for,
) -> DiscoverSummary:
    if not query.strip():
        raise InputError("--query: must not be empty")
    if not 1 <= max_results <= 500:
        raise InputError("--max: must be between 1 and 500")
    rules = load_default_tier_rules(settings.config_dir)
    _refuse_while_throttled(engine, platform, now)
    own = client is None
    active = client or client_factory(platform, settings)
    try:
        answers = active.discover(query, max_results=max_results)
    except PlatformError as error:
        stop = deferral(error, now=now)
        if stop is not None:  # the next refresh and tracking runs know it too
            with session_scope(engine) as session:
                platform_access.record_deferral(session, stop, now=now, actor=actor)
        raise
    finally:
        if own:
            close_client(active)
    profiles = [a for a in answers if isinstance(a, AccountProfile)]
    summary = DiscoverSummary(found=len(profiles))
    summary.unreadable = [
        f"{a.handle} ({a.reason})" for a in answers if isinstance(a, AccountUnreadable)
    ]
    with session_scope(engine) as session:
        seen: set[str] = set()
        for profile in profiles:
            handle = normalise_handle(platform, profile.handle)
            if handle in seen:
                continue
            seen.add(handle)
            label = [(None, [f"{platform.value}:{handle}"])]
            if erased_among(session, label, secret_key=settings.secret_key)[0]:
                summary.unreadable.append(f"{handle} ({ERASED_ON_REQUEST})")
                continue
            match = [Account.handle == handle]
            if profile.external_id:
                match.append(Account.external_id == profile.external_id)
            known = session.scalars(
                select(Account).where(Account.platform == platform.value, or_(*match))
            ).first()
            if known is not None:
                summary.already_known.append(handle)
                continue
            creator = Creator(
                name=profile.name,
                country=(profile.country or None) and profile.country[:2],
                lawful_basis=settings.lawful_basis,
                source=f"discover:{platform.value}:{query}"[:500],
                created_at=now,
                updated_at=now,
            )
            session.add(creator)
            session.flush()
            tier = assign_tier(profile.followers, rules)
            account = Account(
                creator_id=creator.id,
                platform=platform.value,
                handle=handle,
                external_id=profile.external_id,
                display_name=shown_text(profile.name),
                public_handle=shown_text(profile.public_handle),
                followers=profile.followers,
                tier=tier.value if tier else None,
                status=AccountStatus.ACTIVE.value,
                refreshed_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(account)
            session.flush()
            record_event(
                session,
                kind="creator_discovered",
                entity="creator",
                entity_id=creator.id,
                detail={
                    "platform": platform.value,
                    "handle": handle,
                    "query": query,
                    "followers": profile.followers,
                    "tier": account.tier,
                },
                actor=actor,
                at=now,
                creator_id=creator.id,
            )
            summary.added.append(handle)
    return summary


def _refuse_while_throttled(engine: Engine, platform: Platform, now: datetime) -> None:
    """A platform still throttled is not asked (asking again only prolongs a throttle)."""
    with session_scope(engine) as session:
        waiting = platform_access.blocked(session, platform.value, now=now)
    if waiting is not None:
        raise Throttled(platform.value, f"{waiting.line(now)}; try again then")
