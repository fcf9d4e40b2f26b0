"""What a creator's portal page shows: the offer and terms, what is due, what was received.

A view model only (plain values, no ORM rows), so the page template holds no business rule and
every value a creator typed reaches the template as text, for autoescape to escape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.lifecycle import AGREED, Cause, allowed_from
from creatorflow.domain.model import Stage
from creatorflow.services.portal.terms import Terms, load_terms
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import campaign_by_id
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import (
    Account,
    Creator,
    Deliverable,
    Draft,
    DraftReview,
    Enrollment,
    Event,
    ShippingAddress,
)

TERMS_ACCEPTED = "terms_accepted"


@dataclass(frozen=True)
class DraftLine:
    version: int
    status: str  # submitted, approved, changes_requested
    submitted_at: datetime
    what: str  # the link, or "file (image/jpeg, 1.2 MB)"
    comment: str | None


@dataclass(frozen=True)
class PostLine:
    url: str | None
    status: str
    posted_at: datetime | None


@dataclass(frozen=True)
class PortalView:
    enrollment_id: int
    campaign_slug: str
    campaign_name: str
    brand: str
    creator_name: str
    platform: str
    handle: str
    stage: str
    amount: str | None
    currency: str
    due_at: datetime | None
    draft_due_at: datetime | None  # when the campaign requires approval
    deliverables_due: int
    hashtags: list[str]
    mentions: list[str]
    terms: Terms
    terms_accepted_version: str | None
    terms_accepted_at: datetime | None
    gift: bool
    draft_review: bool
    shipping: dict[str, str] | None
    drafts: list[DraftLine] = field(default_factory=list)
    posts: list[PostLine] = field(default_factory=list)

    @property
    def can_answer(self) -> bool:
        """The offer is open: accepting (or declining) can still move the stage."""
        return Stage(self.stage) in allowed_from(Cause.ACCEPTED) - {Stage.DECLINED}

    @property
    def agreed(self) -> bool:
        return Stage(self.stage) in AGREED

    @property
    def approved(self) -> bool:
        return any(d.status == "approved" for d in self.drafts)

    @property
    def posts_left(self) -> int:
        return max(0, self.deliverables_due - len(self.posts))


def draft_due(due_at: datetime | None, spec: CampaignSpec) -> datetime | None:
    """When the draft is due: ``draft_days_before_due`` before the post, with review on."""
    if due_at is None or not spec.deliverables.draft_review:
        return None
    return due_at - timedelta(days=spec.deliverables.draft_days_before_due)


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def _amount(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def portal_view(*, engine: Engine, settings: Settings, enrollment_id: int) -> PortalView:
    """The page of one enrollment as it stands."""
    with session_scope(engine) as session:
        enrollment, account, creator = session.execute(
            select(Enrollment, Account, Creator)
            .join(Account, Account.id == Enrollment.account_id)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .where(Enrollment.id == enrollment_id)
        ).one()
        campaign = campaign_by_id(session, enrollment.campaign_id)
        spec = campaign.spec
        accepted = session.scalars(
            select(Event)
            .where(Event.entity == "enrollment", Event.entity_id == enrollment_id)
            .where(Event.kind == TERMS_ACCEPTED)
            .order_by(Event.id.desc())
        ).first()
        reviews = {
            r.draft_id: r
            for r in session.scalars(
                select(DraftReview)
                .join(Draft, Draft.id == DraftReview.draft_id)
                .where(Draft.enrollment_id == enrollment_id)
            )
        }
        drafts = [
            DraftLine(
                version=d.version,
                status=d.status,
                submitted_at=d.submitted_at,
                what=d.link or f"file ({d.media_type}, {_size(d.size)})",
                comment=reviews[d.id].comment if d.id in reviews else None,
            )
            for d in session.scalars(
                select(Draft).where(Draft.enrollment_id == enrollment_id).order_by(Draft.version)
            )
        ]
        posts = [
            PostLine(p.url, p.status, p.posted_at)
            for p in session.scalars(
                select(Deliverable)
                .where(Deliverable.enrollment_id == enrollment_id)
                .order_by(Deliverable.id)
            )
        ]
        address = session.scalars(
            select(ShippingAddress).where(ShippingAddress.enrollment_id == enrollment_id)
        ).one_or_none()
        shipping = (
            {
                "name": address.name,
                "street": address.street,
                "city": address.city,
                "postcode": address.postcode,
                "country": address.country,
                "phone": address.phone or "",
            }
            if address is not None
            else None
        )
        offer = enrollment.fee if enrollment.fee is not None else enrollment.offer
        return PortalView(
            enrollment_id=enrollment_id,
            campaign_slug=campaign.slug,
            campaign_name=spec.name,
            brand=spec.brand,
            creator_name=creator.name or account.handle,
            platform=account.platform,
            handle=account.handle,
            stage=enrollment.stage,
            amount=_amount(offer),
            currency=enrollment.currency or spec.currency,
            due_at=enrollment.due_at,
            draft_due_at=draft_due(enrollment.due_at, spec),
            deliverables_due=spec.deliverables.count,
            hashtags=[f"#{h}" for h in spec.hashtags],
            mentions=[f"@{m}" for m in spec.mentions],
            terms=load_terms(settings.templates_dir, spec.outreach.template_set),
            terms_accepted_version=accepted.detail.get("version") if accepted else None,
            terms_accepted_at=accepted.occurred_at if accepted else None,
            gift=spec.gift,
            draft_review=spec.deliverables.draft_review,
            shipping=shipping,
            drafts=drafts,
            posts=posts,
        )
