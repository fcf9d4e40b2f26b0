"""Where a campaign stands: the funnel, every creator's stage, and what did not surely go out.

Funnel counts are cumulative ("reached at least"): a creator who accepted also counts as
contacted and replied. ``posted`` counts creators with at least one deliverable and ``gone``
creators with at least one deliverable that disappeared. ``send_problems`` names every message
that did not surely arrive (unknown, failed, deferred: creator, step, time, Message-ID, reason)
and ``sending_paused`` what the deliverability guard stopped. A creator whose account the platform
will not show (a revoked token, not a professional account...) carries the ``problem`` and the
next step, so nobody is tracked silently without being read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, case, func, select

from creatorflow.domain.lifecycle import AGREED, REACHED_CONTACT, REACHED_REPLY
from creatorflow.domain.model import DeliverableStatus, Stage
from creatorflow.services.outreach.outbox_review import outbox_entries
from creatorflow.services.outreach.sending_pauses import pauses_for
from creatorflow.services.portal.funnel import portal_funnel
from creatorflow.services.tracking.compliance_status import creator_compliance
from creatorflow.services.tracking.mentions import unmatched_events, unmatched_line
from creatorflow.services.tracking.stories import StoryStatus, story_statuses
from creatorflow.storage.account_status import PROBLEM_VALUES
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
    account_status: str = "active"
    problem: str | None = None  # the account's problem and the next step, when it has one
    compliance: str | None = None  # posts' disclosure verdicts and open problems (issue 16)


@dataclass(frozen=True)
class CampaignStatus:
    campaign: str
    name: str
    status: str
    funnel: dict[str, int]
    creators: list[CreatorStatus]
    send_problems: list[dict[str, Any]] = field(default_factory=list)
    sending_paused: list[dict[str, str]] = field(default_factory=list)
    stories: list[StoryStatus] = field(default_factory=list)  # Instagram stories (issue 17)
    stories_unmatched: list[dict[str, Any]] = field(default_factory=list)  # for match-story
    portal: dict[str, int] = field(default_factory=dict)  # the creator portal (issue 18)

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "name": self.name,
            "status": self.status,
            "funnel": dict(self.funnel),
            "creators": [asdict(c) for c in self.creators],
            "send_problems": list(self.send_problems),
            "sending_paused": list(self.sending_paused),
            "stories": [asdict(s) for s in self.stories],
            "stories_unmatched": list(self.stories_unmatched),
            "portal": dict(self.portal),
        }


def campaign_status(
    *, engine: Engine, campaign_slug: str, sender: str | None = None, now: datetime | None = None
) -> CampaignStatus:
    """The campaign as it stands (``sender``: the sending mailbox, for its pause; ``now``: when
    a story counts as expired, default the current time)."""
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
                Account.status,
                Account.status_detail,
            )
            .join(Account, Account.id == Enrollment.account_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .outerjoin(counts, counts.c.enrollment_id == Enrollment.id)
            .where(Enrollment.campaign_id == campaign.id)
            .order_by(Account.platform, Account.handle)
        ).all()
        send_problems = [e.as_json() for e in outbox_entries(session, campaign_id=campaign.id)]
        paused = pauses_for(
            session, campaign_slug=campaign.slug, campaign_id=campaign.id, sender=sender
        )
        stories = story_statuses(session, campaign_id=campaign.id, now=now or datetime.now(UTC))
        compliance = creator_compliance(session, campaign_id=campaign.id)
        portal = portal_funnel(
            session, engine=engine, campaign_id=campaign.id, campaign_slug=campaign.slug
        )
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
            account_status=r[10],
            problem=(r[11] or r[10]) if r[10] in PROBLEM_VALUES else None,
            compliance=compliance.get(r[0]),
        )
        for r in rows
    ]
    return CampaignStatus(
        campaign=campaign.slug,
        name=campaign.spec.name,
        status=campaign.status,
        funnel=funnel(creators),
        creators=creators,
        send_problems=send_problems,
        sending_paused=[p.as_json() | {"line": p.line(campaign.slug)} for p in paused],
        stories=stories,
        stories_unmatched=[unmatched_line(e) for e in unmatched_events(engine, within=[campaign])],
        portal=portal,
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
