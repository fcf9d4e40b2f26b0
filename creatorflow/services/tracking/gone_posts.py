"""Which posts a tracking run found gone: the creator, the post and when it was last seen.

Polling and detection's feed reads mark a post gone when the platform's answer no longer holds it
(deleted, made private, taken down); they return the deliverables' ids. "1 post(s) disappeared"
tells the operator nothing to act on, so the run names each one (``run_summary``, ``campaign
track``): whose it was, which post, and the last time a poll still saw it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Campaign, Deliverable, Enrollment


def describe_gone_posts(*, engine: Engine, deliverable_ids: Iterable[int]) -> list[dict[str, Any]]:
    """One JSON-able entry per gone deliverable (campaign, account, then post order):
    ``campaign``, ``account`` (``platform:handle``, as commands take it), ``public_handle``
    (``@customUrl`` of a channel stored by id, else None), ``post_id``, ``url``,
    ``last_seen_at`` and ``gone_at`` (ISO, or None)."""
    ids = sorted(set(deliverable_ids))
    found: list[dict[str, Any]] = []
    with session_scope(engine) as session:
        for start in range(0, len(ids), 500):
            rows = session.execute(
                select(Deliverable, Account.platform, Account.handle, Account.public_handle)
                .add_columns(Campaign.slug)
                .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
                .join(Account, Account.id == Enrollment.account_id)
                .join(Campaign, Campaign.id == Enrollment.campaign_id)
                .where(Deliverable.id.in_(ids[start : start + 500]))
            ).all()
            for post, platform, handle, public, slug in rows:
                found.append(
                    {
                        "campaign": slug,
                        "account": f"{platform}:{handle}",
                        "public_handle": f"@{public}" if public and public != handle else None,
                        "post_id": post.post_id,
                        "url": post.url,
                        "last_seen_at": _iso(post.last_seen_at),
                        "gone_at": _iso(post.gone_at),
                    }
                )
    return sorted(found, key=lambda g: (g["campaign"], g["account"], g["post_id"]))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
