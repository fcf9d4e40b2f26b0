"""Tracking's side of per-account isolation and deferral, and what needs the operator.

Detection, polling and submission read creators' feeds and posts. When one creator's account
cannot be read (a revoked token, a missing scope, not connected, not a professional account) the
account is marked with the reason and the next step (``storage/account_status``) and the other
creators go on; when a platform throttles for longer than a sensible wait, or its quota is
spent, its work stops for the run and when access returns is recorded
(``storage/platform_access``). ``needs_attention`` then names, for the tracking summary, the
``campaign track`` output and ``campaign status``, every tracked creator whose account has a
problem and every platform whose work waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.errors import AccountProblem, Deferral, deferral
from creatorflow.services.portal.reviews import early_posts
from creatorflow.services.tracking.compliance_status import open_problems
from creatorflow.services.tracking.deliverables import TRACKED_STAGES
from creatorflow.storage import platform_access
from creatorflow.storage.account_status import (
    PROBLEM_VALUES,
    mark_readable,
    mark_unreadable,
    mark_unreadable_by_handle,
)
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Campaign, Enrollment


def note_account_problem(
    engine: Engine,
    problem: AccountProblem,
    *,
    platform: Platform,
    now: datetime,
    actor: str,
    account_id: int | None = None,
) -> str:
    """Mark the account ``problem`` is about (``account_id``, else the handle the error
    names); returns the line an operator reads: ``tiktok:mia: token revoked on ...``."""
    with session_scope(engine) as session:
        if account_id is not None:
            account = session.get(Account, account_id)
            reason = (
                None
                if account is None
                else mark_unreadable(
                    session,
                    account,
                    status=problem.status,
                    what=problem.what,
                    now=now,
                    actor=actor,
                )
            )
            handle = account.handle if account is not None else problem.account
        else:
            handle = problem.account
            reason = (
                mark_unreadable_by_handle(
                    session,
                    platform=platform.value,
                    handle=handle,
                    status=problem.status,
                    what=problem.what,
                    now=now,
                    actor=actor,
                )
                if handle
                else None
            )
    return f"{platform.value}:{handle or '?'}: {reason or problem.what}"


def note_readable(engine: Engine, account_ids: Iterable[int], *, now: datetime, actor: str) -> None:
    """Accounts read fine again lose their problem (a creator who reconnected)."""
    ids = list(account_ids)
    if ids:
        with session_scope(engine) as session:
            mark_readable(session, ids, now=now, actor=actor)


def note_deferral(
    engine: Engine, error: BaseException, *, now: datetime, actor: str
) -> Deferral | None:
    """Record the deferral ``error`` means (None: it is not one, the caller decides)."""
    found = deferral(error, now=now)
    if found is not None:
        with session_scope(engine) as session:
            platform_access.record_deferral(session, found, now=now, actor=actor)
    return found


def waiting(engine: Engine, platform: Platform, *, now: datetime) -> str | None:
    """Why ``platform`` is left alone at ``now`` (a throttle still running), else None."""
    with session_scope(engine) as session:
        access = platform_access.blocked(session, platform.value, now=now)
    return None if access is None else access.line(now)


@dataclass(frozen=True)
class AccountAttention:
    """A tracked creator whose account the platform will not show."""

    campaign: str
    account: str  # "tiktok:mia"
    status: str
    reason: str  # with the next step

    def line(self) -> str:
        return f"{self.account} ({self.campaign}): {self.reason}"


def needs_attention(
    *, engine: Engine, campaign_slugs: Sequence[str], now: datetime, actor: str
) -> dict[str, Any]:
    """What the operator must act on after a tracking run, as plain JSON-able values:
    ``accounts`` (tracked creators whose account has a problem) and ``deferred`` (a line per
    platform whose work waits: a throttle, a quota, this run's deferrals)."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(Campaign.slug, Account.platform, Account.handle, Account.status)
            .add_columns(Account.status_detail)
            .join(Enrollment, Enrollment.campaign_id == Campaign.id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Campaign.slug.in_(list(campaign_slugs)))
            .where(Enrollment.stage.in_(TRACKED_STAGES))
            .where(Account.status.in_(PROBLEM_VALUES))
            .order_by(Campaign.slug, Account.platform, Account.handle)
        ).all()
        deferred = platform_access.open_deferrals(session, now=now, actor=actor)
        compliance = open_problems(session, campaign_slugs=campaign_slugs)  # issue 16
    accounts = [
        AccountAttention(slug, f"{platform}:{handle}", status, detail or status)
        for slug, platform, handle, status, detail in rows
    ]
    return {
        "accounts": [asdict(a) for a in accounts],
        "deferred": [access.line(now) for access in deferred],
        "compliance": compliance,
        "early_posts": early_posts(engine=engine, campaign_slugs=campaign_slugs),  # issue 18
    }
