"""When a platform lets creatorflow in again, and where a deferred refresh resumes.

One row per platform (``platform_access``). A throttle that outlasts a sensible wait or a spent
quota stops that platform's work for the run (``platforms.errors.deferral``); the run records
here when access returns and, for a refresh, the moment the unfinished refresh started. The next
run reads it: a throttle's time is honoured (the platform is left alone until then, since asking
again only prolongs a throttle), a daily quota is probed with one call (the operator may have
raised it), and a refresh goes on with the accounts the deferred one did not reach. Every change
is also in the event log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from creatorflow.platforms.errors import Deferral
from creatorflow.storage.db import insert_ignore
from creatorflow.storage.events import record_event
from creatorflow.storage.models import PlatformAccess


@dataclass(frozen=True)
class Access:
    """A platform's recorded deferral, as runs and summaries read it."""

    platform: str
    reason: str
    returns_at: datetime | None  # None: as soon as the next run starts
    blocked_until: datetime | None  # runs before it leave the platform alone
    refresh_pending_since: datetime | None  # accounts refreshed before it are still to do
    actor: str

    def line(self, now: datetime) -> str:
        """``instagram: access returns at 2027-03-01T09:40:00+00:00 (throttled: ...)``."""
        when = (
            f"access returns at {self.returns_at.isoformat()}"
            if self.returns_at is not None and self.returns_at > now
            else "the next run resumes"
        )
        return f"{self.platform}: {when} ({self.reason})"


def _access(row: PlatformAccess) -> Access:
    return Access(
        platform=row.platform,
        reason=row.reason or "",
        returns_at=row.returns_at,
        blocked_until=row.blocked_until,
        refresh_pending_since=row.refresh_pending_since,
        actor=row.actor,
    )


def _row(session: Session, platform: str, now: datetime, actor: str) -> PlatformAccess:
    """The platform's row, created when missing (safe against a concurrent creator)."""
    values = {"platform": platform, "updated_at": now, "actor": actor}
    table = cast(Table, PlatformAccess.__table__)
    session.execute(insert_ignore(session, table, values, conflict_columns=["platform"]))
    row = session.get(PlatformAccess, platform, populate_existing=True, with_for_update=True)
    assert row is not None
    return row


def record_deferral(
    session: Session,
    deferral: Deferral,
    *,
    now: datetime,
    actor: str,
    refresh_started: datetime | None = None,
) -> Access:
    """Store ``deferral``; ``refresh_started`` (the deferred refresh's moment) marks where the
    next refresh resumes, kept from the first deferral until the refresh completes."""
    row = _row(session, deferral.platform, now, actor)
    row.returns_at = deferral.until
    row.blocked_until = deferral.until if deferral.honoured else None
    row.reason = deferral.reason
    if refresh_started is not None and row.refresh_pending_since is None:
        row.refresh_pending_since = refresh_started
    row.updated_at, row.actor = now, actor
    record_event(
        session,
        kind="platform_deferred",
        entity="platform",
        entity_id=None,
        detail={
            "platform": deferral.platform,
            "reason": deferral.reason,
            "returns_at": deferral.until.isoformat() if deferral.until else None,
            "honoured": deferral.honoured,
            "refresh_pending_since": (
                row.refresh_pending_since.isoformat() if row.refresh_pending_since else None
            ),
        },
        actor=actor,
        at=now,
    )
    return _access(row)


def blocked(session: Session, platform: str, *, now: datetime) -> Access | None:
    """The platform's throttle still running at ``now`` (runs leave the platform alone)."""
    row = session.get(PlatformAccess, platform)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return _access(row)


def refresh_pending_since(session: Session, platform: str) -> datetime | None:
    """The moment of the platform's unfinished refresh (None: nothing pending)."""
    row = session.get(PlatformAccess, platform)
    return None if row is None else row.refresh_pending_since


def finish_refresh(session: Session, platform: str, *, now: datetime, actor: str) -> None:
    """Every account of the platform is refreshed: the next refresh starts from the top."""
    row = session.get(PlatformAccess, platform)
    if row is None or row.refresh_pending_since is None:
        return
    record_event(
        session,
        kind="platform_refresh_completed",
        entity="platform",
        entity_id=None,
        detail={"platform": platform, "pending_since": row.refresh_pending_since.isoformat()},
        actor=actor,
        at=now,
    )
    row.refresh_pending_since = None
    row.updated_at, row.actor = now, actor


def open_deferrals(
    session: Session, *, now: datetime, actor: str | None = None, refresh: bool = False
) -> list[Access]:
    """Deferrals that still matter at ``now``: a throttle still running, one the run ``actor``
    recorded, or (``refresh``) a refresh still pending. A quota another run met is not listed:
    it is probed again, and the run that meets it lists it."""
    table = PlatformAccess
    conditions = [table.blocked_until > now]
    if actor is not None:
        conditions.append(table.actor == actor)
    if refresh:
        conditions.append(table.refresh_pending_since.is_not(None))
    rows = session.scalars(select(table).where(or_(*conditions)).order_by(table.platform))
    return [_access(row) for row in rows]
