"""The portal's part of a campaign's funnel, counted from the event log.

``campaign status`` shows it beside the stage funnel: how many creators accepted the terms in
the portal, how many drafts were submitted, approved and sent back for changes, and (when the
campaign requires approval) how many posts went live before their draft was approved.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from creatorflow.services.portal.reviews import posts_before_approval
from creatorflow.storage.models import Event

#: Funnel name -> the event kind it counts.
PORTAL_FUNNEL = {
    "terms_accepted": "terms_accepted",
    "drafts_submitted": "draft_submitted",
    "drafts_approved": "draft_approved",
    "changes_requested": "draft_changes_requested",
}


def portal_funnel(
    session: Session, *, engine: Engine, campaign_id: int, campaign_slug: str
) -> dict[str, int]:
    """The portal's counts for one campaign (terms: creators; drafts: versions)."""
    counted: dict[str, int] = {}
    terms = session.scalar(
        select(func.count(func.distinct(Event.entity_id)))
        .where(Event.campaign_id == campaign_id)
        .where(Event.kind == PORTAL_FUNNEL["terms_accepted"])
    )
    counted[PORTAL_FUNNEL["terms_accepted"]] = int(terms or 0)
    kinds = [k for name, k in PORTAL_FUNNEL.items() if name != "terms_accepted"]
    for kind, count in session.execute(
        select(Event.kind, func.count())
        .where(Event.campaign_id == campaign_id, Event.kind.in_(kinds))
        .group_by(Event.kind)
    ).tuples():
        counted[kind] = int(count)
    figures = {name: int(counted.get(kind, 0)) for name, kind in PORTAL_FUNNEL.items()}
    figures["posted_before_approval"] = len(
        posts_before_approval(engine=engine, campaign_slug=campaign_slug)
    )
    return figures
