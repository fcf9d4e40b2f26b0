"""Which campaigns a tracking run covers: the one it names (any status), else every active one.

Detection, reminders, polling and status all start here, so they agree on the campaigns and read
each one's stored spec through the same campaign store.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creatorflow.storage.campaigns import StoredCampaign, active_campaigns, load_campaign
from creatorflow.storage.db import session_scope


def tracked_campaigns(session: Session, slug: str | None) -> list[StoredCampaign]:
    """The named campaign (``NotFoundError`` if unknown), else every active campaign."""
    if slug is not None:
        return [load_campaign(session, slug)]
    return active_campaigns(session)


def tracked_slugs(*, engine: Engine, slug: str | None) -> list[str]:
    """Slugs of the campaigns a tracking run covers (see ``tracked_campaigns``)."""
    with session_scope(engine) as session:
        return [campaign.slug for campaign in tracked_campaigns(session, slug)]
