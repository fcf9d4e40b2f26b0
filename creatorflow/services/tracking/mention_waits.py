"""Mentions by creators not tracked yet: kept pending while a campaign could still count them.

A creator often posts before creatorflow tracks them (the brief is on its way, the acceptance is
recorded a day later, the enrollment comes with the next launch). Their caption or story
mention stays ``pending`` and every later tracking run tries it again, while an active
campaign's window that holds it is still open (at most ``MAX_WAIT`` after it happened); the
author is kept with the event, so a retry reads Meta again only once there is someone to
record it for. After that it is ignored with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Engine, update

from creatorflow.domain.matching import in_window
from creatorflow.services.tracking.mentions import (
    IGNORED,
    PENDING,
    MentionsReport,
    Tracked,
    settle,
)
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import WebhookEvent

#: How long a mention from a creator not tracked yet waits, at most (an open-ended window).
MAX_WAIT = timedelta(days=90)
#: The payload key where the run keeps a waiting mention's author (no second read of Meta).
AUTHOR_KEY = "creatorflow_author"


def waiting_until(
    at: datetime | None, campaigns: Iterable[StoredCampaign], *, now: datetime
) -> datetime | None:
    """Until when a mention made at ``at`` by a creator not tracked yet is tried again: the
    latest end of the open campaign windows that hold it (``MAX_WAIT`` at most); ``None``: no
    campaign it could belong to is still open, it is ignored."""
    if at is None:
        return None
    ends = []
    for campaign in campaigns:
        terms = campaign.spec.terms()
        if in_window(at, terms):
            end = at + MAX_WAIT
            ends.append(min(end, terms.window_end) if terms.window_end is not None else end)
    latest = max(ends, default=None)
    return latest if latest is not None and now <= latest else None


def known_author(event: WebhookEvent) -> str | None:
    """The author an earlier run read for a waiting mention."""
    author = (event.payload or {}).get(AUTHOR_KEY)
    return author if isinstance(author, str) and author else None


def wait_or_ignore(
    engine: Engine,
    event: WebhookEvent,
    *,
    author: str,
    why: str,
    tracked: Tracked,
    now: datetime,
    report: MentionsReport,
) -> None:
    """A mention by ``author``, not tracked where it could count: left pending for later runs
    while a campaign window that holds it is open, else ignored (``why``)."""
    until = waiting_until(
        event.occurred_at or event.received_at, tracked.campaigns.values(), now=now
    )
    if until is None:
        settle(engine, event.id, IGNORED, f"@{author}: {why}", now=now)
        report.ignored += 1
        return
    detail = f"@{author}: {why} yet; tried again until {until:%Y-%m-%d %H:%M} UTC"
    with session_scope(engine) as session:
        session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event.id, WebhookEvent.status == PENDING)
            .values(
                detail=detail,
                processed_at=now,
                payload={**(event.payload or {}), AUTHOR_KEY: author},
            )
        )
    report.waiting += 1
