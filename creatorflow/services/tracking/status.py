"""Where a campaign stands: the funnel and every creator's stage, in two queries.

Funnel counts are cumulative ("reached at least"): a creator who accepted also counts as
contacted and replied. ``posted`` counts creators with at least one deliverable and ``gone``
creators with at least one deliverable that disappeared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, case, func, select

from creatorflow.domain.lifecycle import AGREED, REACHED_CONTACT, REACHED_REPLY
from creatorflow.domain.model import DeliverableStatus, Stage
from creatorflow.storage.campaigns import load_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Creator, Deliverable, Enrollment

FUNNEL = ("shortlisted", "contacted", "replied", "accepted", "declined", "posted", "gone")


@dataclass(frozen=True)
class CreatorStatus:
    enrollment_id: int
    platform: str
    handle: str
    name: str | None
    tier: str | None
    stage: str
    due_at: str | None
    deliverables: int
    live: int
    gone: int


@dataclass(frozen=True)
class CampaignStatus:
    campaign: str
    name: str
    status: str
    funnel: dict[str, int]
    creators: list[CreatorStatus]

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "name": self.name,
            "status": self.status,
            "funnel": dict(self.funnel),
            "creators": [asdict(c) for c in self.creators],
        }


def campaign_status(*, engine: Engine, campaign_slug: str) -> CampaignStatus:
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        counts = (
            select(
                Deliverable.enrollment_id.label("enrollment_id"),
                func.count().label("total"),
                func.sum(
                    case((Deliverable.status == DeliverableStatus.LIVE.value, 1), else_=0)
                ).label("live"),
                func.sum(
                    case((Deliverable.status == DeliverableStatus.GONE.value, 1), else_=0)
                ).label("gone"),
            )
            .group_by(Deliverable.enrollment_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Enrollment.id,
                Account.platform,
                Account.handle,
                Creator.name,
                Enrollment.tier,
                Enrollment.stage,
                Enrollment.due_at,
                counts.c.total,
                counts.c.live,
                counts.c.gone,
            )
            .join(Account, Account.id == Enrollment.account_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .outerjoin(counts, counts.c.enrollment_id == Enrollment.id)
            .where(Enrollment.campaign_id == campaign.id)
            .order_by(Account.platform, Account.handle)
        ).all()
    creators = [
        CreatorStatus(
            enrollment_id=r[0],
            platform=r[1],
            handle=r[2],
            name=r[3],
            tier=r[4],
            stage=r[5],
            due_at=r[6].isoformat() if r[6] else None,
            deliverables=int(r[7] or 0),
            live=int(r[8] or 0),
            gone=int(r[9] or 0),
        )
        for r in rows
    ]
    return CampaignStatus(
        campaign=campaign.slug,
        name=campaign.spec.name,
        status=campaign.status,
        funnel=funnel(creators),
        creators=creators,
    )


def funnel(creators: list[CreatorStatus]) -> dict[str, int]:
    counts = dict.fromkeys(FUNNEL, 0)
    for c in creators:
        stage = Stage(c.stage)
        if stage is Stage.REMOVED:
            continue
        counts["shortlisted"] += 1
        counts["contacted"] += stage in REACHED_CONTACT
        counts["replied"] += stage in REACHED_REPLY
        counts["accepted"] += stage in AGREED or c.deliverables > 0
        counts["declined"] += stage is Stage.DECLINED
        counts["posted"] += c.deliverables > 0
        counts["gone"] += c.gone > 0
    return counts
