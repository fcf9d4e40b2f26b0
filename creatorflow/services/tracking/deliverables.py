"""Deliverables: the one place a campaign post becomes a deliverable row.

A post becomes a deliverable once, whatever the number of runs: the row is inserted with
``INSERT ... ON CONFLICT DO NOTHING`` on (enrollment, post), and only the run that inserted it
records the event and moves the creator's stage to ``posted``. Posts are found in feeds
(``detection``) or submitted as a URL (``submission``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from creatorflow.domain.lifecycle import TRACKED, Cause
from creatorflow.domain.matching import has_ad_disclosure
from creatorflow.domain.model import DeliverableStatus, Platform, Provenance
from creatorflow.domain.post_urls import PostRef
from creatorflow.platforms.base import AccountProfile, PlatformClient, Post
from creatorflow.storage.db import insert_ignore
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Deliverable, Enrollment

ClientFactory = Callable[[Platform], PlatformClient]

#: The lifecycle's ``TRACKED`` set, as SQL parameters (feeds searched for deliverables).
TRACKED_STAGES = tuple(sorted(stage.value for stage in TRACKED))


def flow_run_id(actor: str) -> str | None:
    return actor.removeprefix("flow-run:") if actor.startswith("flow-run:") else None


def profile_of(account: Account) -> AccountProfile:
    """The port's view of a stored account (what the adapters need to list its posts)."""
    return AccountProfile(
        platform=Platform(account.platform),
        handle=account.handle,
        external_id=account.external_id,
        name=None,
        followers=account.followers,
        media_count=None,
    )


def record_deliverable(
    session: Session,
    *,
    enrollment: Enrollment,
    campaign_id: int,
    post: Post | None,
    ref: PostRef | None = None,
    provenance: Provenance,
    now: datetime,
    actor: str,
    kind: str,
    columns: Mapping[str, Any] | None = None,
) -> int | None:
    """Insert the deliverable unless it exists; returns the new id, or None when it existed.

    The inserting run also records the event and moves the enrollment from accepted to posted.
    ``columns`` sets further columns (a story's kind, CDN URL and expiry: ``stories``).
    """
    post_id = post.post_id if post is not None else (ref.post_id if ref else None)
    if post_id is None:  # pragma: no cover - callers always give one of them
        raise ValueError("a deliverable needs a post id")
    platform = post.platform if post is not None else ref.platform  # type: ignore[union-attr]
    values: dict[str, Any] = {
        "enrollment_id": enrollment.id,
        "platform": platform.value,
        "post_id": post_id,
        "url": (post.url if post is not None and post.url else None) or (ref.url if ref else None),
        "caption": _caption(post),
        "posted_at": post.published_at if post is not None else None,
        "provenance": provenance.value,
        "disclosure_ok": (
            has_ad_disclosure(post.title, post.text, post.paid_placement)
            if post is not None
            else None
        ),
        "status": DeliverableStatus.LIVE.value,
        "detected_at": now,
        "last_seen_at": now if post is not None else None,
        **(columns or {}),
    }
    stmt = insert_ignore(
        session,
        cast(Table, Deliverable.__table__),
        values,
        conflict_columns=["enrollment_id", "post_id"],
    ).returning(Deliverable.id)
    new_id = session.execute(stmt).scalar()
    if new_id is None:
        return None
    record_event(
        session,
        kind=kind,
        entity="deliverable",
        entity_id=new_id,
        detail={
            "platform": platform.value,
            "post_id": post_id,
            "url": values["url"],
            "provenance": provenance.value,
            "disclosure_ok": values["disclosure_ok"],
        },
        actor=actor,
        at=now,
        creator_id=enrollment.creator_id,
        campaign_id=campaign_id,
    )
    move_stages(
        session,
        [enrollment.id],
        cause=Cause.DELIVERABLE_FOUND,
        detail={"deliverable": new_id},
        now=now,
        actor=actor,
    )
    return int(new_id)


def _caption(post: Post | None) -> str | None:
    if post is None:
        return None
    parts = [p for p in (post.title, post.text) if p]
    return "\n".join(parts) if parts else None
