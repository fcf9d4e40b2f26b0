"""Who an outbound email goes to, and what its templates may use.

The outbox loads every recipient of a batch in one query, then builds each template context from
it. Template variables (documented in the README): ``creator``, ``campaign``, ``offer``,
``enrollment``, ``sender``, ``postal_address``, ``unsubscribe_url``, ``unsubscribe_mailto``,
``step``, plus whatever the caller passes in ``OutboundEmail.context``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.model import MessageStatus
from creatorflow.domain.unsubscribe import make_token
from creatorflow.mail.message import Sender
from creatorflow.services.outreach.copy_context import (
    campaign_values,
    creator_values,
    due_values,
    money_values,
    sender_values,
)
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import stored_spec
from creatorflow.storage.models import Account, Campaign, Creator, Enrollment, OutreachMessage


@dataclass(frozen=True)
class Recipient:
    enrollment_id: int
    creator_id: int
    campaign_id: int
    campaign_slug: str
    spec: CampaignSpec
    stage: str
    email: str | None
    name: str | None
    handle: str
    platform: str
    tier: str | None
    followers: int | None
    timezone: str | None
    offer: Decimal | None
    currency: str | None
    due_at: datetime | None
    tracking_url: str | None
    promo_code: str | None
    display_name: str | None = None  # the profile's name or channel title, as last refreshed
    public_handle: str | None = None  # the @handle of an account stored by id (YouTube)

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.handle}"


@dataclass(frozen=True)
class PriorMessage:
    step: str
    message_id: str
    subject: str


def load_recipients(session: Session, enrollment_ids: Iterable[int]) -> dict[int, Recipient]:
    ids = sorted(set(enrollment_ids))
    specs: dict[int, CampaignSpec] = {}
    out: dict[int, Recipient] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Enrollment, Creator, Account, Campaign)
            .join(Creator, Creator.id == Enrollment.creator_id)
            .join(Account, Account.id == Enrollment.account_id)
            .join(Campaign, Campaign.id == Enrollment.campaign_id)
            .where(Enrollment.id.in_(ids[start : start + 500]))
        ).all()
        for enrollment, creator, account, campaign in rows:
            if campaign.id not in specs:
                specs[campaign.id] = stored_spec(campaign)
            out[enrollment.id] = Recipient(
                enrollment_id=enrollment.id,
                creator_id=creator.id,
                campaign_id=campaign.id,
                campaign_slug=campaign.slug,
                spec=specs[campaign.id],
                stage=enrollment.stage,
                email=creator.email,
                name=creator.name,
                handle=account.handle,
                platform=account.platform,
                tier=enrollment.tier or account.tier,
                followers=account.followers,
                timezone=creator.timezone,
                offer=enrollment.offer,
                currency=enrollment.currency,
                due_at=enrollment.due_at,
                tracking_url=enrollment.tracking_url,
                promo_code=enrollment.promo_code,
                display_name=account.display_name,
                public_handle=account.public_handle,
            )
    return out


def load_threads(session: Session, enrollment_ids: Iterable[int]) -> dict[int, list[PriorMessage]]:
    """Earlier messages per enrollment (oldest first) that may have reached the creator."""
    ids = sorted(set(enrollment_ids))
    threads: dict[int, list[PriorMessage]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(OutreachMessage)
            .where(OutreachMessage.enrollment_id.in_(ids[start : start + 500]))
            .where(OutreachMessage.status.in_([MessageStatus.SENT, MessageStatus.UNKNOWN]))
            .order_by(OutreachMessage.claimed_at, OutreachMessage.id)
        ).scalars()
        for row in rows:
            threads[row.enrollment_id].append(PriorMessage(row.step, row.message_id, row.subject))
    return threads


def unsubscribe_links(settings: Settings, sender: Sender, email: str, slug: str) -> list[str]:
    """The HTTPS one-click link (when configured) and the mailto fallback."""
    links = []
    if settings.unsubscribe_base_url and settings.secret_key is not None:
        token = make_token(email, slug, key=settings.secret_key.get_secret_value().encode())
        links.append(f"{settings.unsubscribe_base_url.rstrip('/')}/u/{token}")
    links.append(f"mailto:{sender.address}?subject=unsubscribe")
    return links


def template_context(
    recipient: Recipient,
    *,
    settings: Settings,
    sender: Sender,
    step: str,
    links: list[str],
    extra: dict[str, Any],
) -> dict[str, Any]:
    spec = recipient.spec
    # Names come from imports and platform look-ups (creator-controlled): one line, always,
    # so a line break can neither spill into the Subject nor stop the batch as a template error.
    context: dict[str, Any] = {
        "creator": creator_values(
            name=recipient.name,
            handle=recipient.handle,
            platform=recipient.platform,
            tier=recipient.tier,
            followers=recipient.followers,
            display_name=recipient.display_name,
            public_handle=recipient.public_handle,
        ),
        "campaign": campaign_values(spec),
        "offer": money_values(recipient.offer, recipient.currency),
        "enrollment": {
            "id": recipient.enrollment_id,
            "stage": recipient.stage,
            "due_at": recipient.due_at,
            **due_values(recipient.due_at),
            "tracking_url": recipient.tracking_url,
            "promo_code": recipient.promo_code,
        },
        "sender": sender_values(sender, spec.brand),
        "postal_address": settings.postal_address,
        "unsubscribe_url": next((u for u in links if u.startswith("https://")), None),
        "unsubscribe_mailto": next(u for u in links if u.startswith("mailto:")),
        "step": step,
    }
    context.update(extra)
    return context
