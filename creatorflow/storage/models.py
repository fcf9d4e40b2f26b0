"""SQLAlchemy 2 tables for the whole business record.

The unique constraints are the safety net of the lifecycle: one account per platform+handle, one
outreach message per (enrollment, step), one snapshot per (deliverable, taken_at), one report per
(campaign, period). Every state change also appends a row to ``events``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from creatorflow.storage.base import Base as Base
from creatorflow.storage.columns import NAMING as NAMING
from creatorflow.storage.columns import Money as Money
from creatorflow.storage.columns import UTCDateTime as UTCDateTime

# ``Base.metadata`` holds every table whenever the models are imported
from creatorflow.storage.erasure_tables import (
    ErasedIdentity as ErasedIdentity,
)
from creatorflow.storage.erasure_tables import (
    Erasure as Erasure,
)
from creatorflow.storage.pause_tables import PlatformAccess as PlatformAccess
from creatorflow.storage.pause_tables import SendingPause as SendingPause
from creatorflow.storage.portal_tables import (
    Draft as Draft,
)
from creatorflow.storage.portal_tables import (
    DraftReview as DraftReview,
)
from creatorflow.storage.portal_tables import (
    PortalLink as PortalLink,
)
from creatorflow.storage.portal_tables import (
    ShippingAddress as ShippingAddress,
)
from creatorflow.storage.tracking_tables import (
    CaptionVersion as CaptionVersion,
)
from creatorflow.storage.tracking_tables import (
    ComplianceProblem as ComplianceProblem,
)
from creatorflow.storage.tracking_tables import (
    WebhookEvent as WebhookEvent,
)


class Creator(Base):
    """One canonical person, whatever number of platform accounts they have."""

    __tablename__ = "creators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    niche: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    lawful_basis: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))  # e.g. "creators.csv:12" or "discover:youtube"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    accounts: Mapped[list[Account]] = relationship(back_populates="creator")


class Account(Base):
    """A creator's account on one platform; the tier and engagement rate live here."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "handle", name="uq_accounts_platform_handle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))  # channel id, IG user id, open_id
    # as the platform shows them (personal data): the profile's name or channel title, and the
    # @handle people know where ``handle`` is a channel id (YouTube customUrl), issue 14
    display_name: Mapped[str | None] = mapped_column(String(200))
    public_handle: Mapped[str | None] = mapped_column(String(200))
    followers: Mapped[int | None] = mapped_column(BigInteger)
    engagement_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 8))
    engagement_unknown: Mapped[str | None] = mapped_column(String(32))  # why the rate is unknown
    tier: Mapped[str | None] = mapped_column(String(16))  # no index: five values (0013)
    status: Mapped[str] = mapped_column(String(16), default="unverified")
    status_detail: Mapped[str | None] = mapped_column(Text)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    creator: Mapped[Creator] = relationship(back_populates="accounts")


class ProfileSnapshot(Base):
    """An account as the platform showed it at one moment (append-only)."""

    __tablename__ = "profile_snapshots"
    __table_args__ = (
        UniqueConstraint("account_id", "taken_at", name="uq_profile_snapshots_account_taken"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    media_count: Mapped[int | None] = mapped_column(BigInteger)
    engagement_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 8))
    posts_considered: Mapped[int] = mapped_column(Integer, default=0)
    provenance: Mapped[str] = mapped_column(String(16), default="api")
    flow_run_id: Mapped[str | None] = mapped_column(String(64))


class Campaign(Base):
    """A campaign as launched; ``spec`` keeps the validated YAML so runs are reproducible."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, active, ended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Enrollment(Base):
    """A creator (through one account) in one campaign, with its stage."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "creator_id", name="uq_enrollments_campaign_creator"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    tier: Mapped[str | None] = mapped_column(String(16))  # tier when shortlisted
    followers_at_shortlist: Mapped[int | None] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(16), default="shortlisted", index=True)
    offer: Mapped[Decimal | None] = mapped_column(Money)
    fee: Mapped[Decimal | None] = mapped_column(Money)  # agreed fee once accepted
    currency: Mapped[str | None] = mapped_column(String(3))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tracking_url: Mapped[str | None] = mapped_column(Text)
    promo_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutreachMessage(Base):
    """The outbox and ledger: claimed before the SMTP conversation, one row per step.

    ``attempts`` counts the runs whose try ended deferred; ``smtp_code``, ``smtp_status`` (RFC 3463)
    and ``failure`` (address, policy, message, mailbox_full, temporary) keep the last refusal;
    ``claim_token`` is the run that holds the claim (``queued`` or ``sending``).
    """

    __tablename__ = "outreach_messages"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step", name="uq_outreach_messages_enrollment_step"),
        Index("ix_outreach_messages_from_claimed", "from_address", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))  # initial, follow_up_1, brief, reminder_before...
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    references: Mapped[str | None] = mapped_column(Text)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    from_address: Mapped[str | None] = mapped_column(String(320))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    smtp_status: Mapped[str | None] = mapped_column(String(16))
    failure: Mapped[str | None] = mapped_column(String(16))
    deferred_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))


class Suppression(Base):
    """Addresses never to be emailed again, across every campaign."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))  # cli, unsubscribe-link, bounce, reply
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundMessage(Base):
    """A message read from the outreach mailbox, recorded once with its classification."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(320), unique=True)  # Message-ID or digest
    mailbox: Mapped[str] = mapped_column(String(200))
    classification: Mapped[str] = mapped_column(String(32))
    from_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    outreach_message_id: Mapped[int | None] = mapped_column(ForeignKey("outreach_messages.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboxCheckpoint(Base):
    """Where the IMAP reader stopped: UIDVALIDITY and the highest UID seen."""

    __tablename__ = "inbox_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200), unique=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    # INTERNALDATE of the newest message read: the server's clock, for `UID SEARCH SINCE`
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Deliverable(Base):
    """A post a creator published for a campaign, detected or submitted."""

    __tablename__ = "deliverables"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "post_id", name="uq_deliverables_enrollment_post"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provenance: Mapped[str] = mapped_column(String(16))
    disclosure_ok: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="live", index=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # detection's sighting; a poll does not write it (the latest snapshot says so) until the
    # post is found gone: then its last snapshot's time (issue 20)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # issue 17: a ``story`` (provenance ``mention``) keeps Meta's CDN URL until it expires
    kind: Mapped[str] = mapped_column(String(16), default="post", server_default=text("'post'"))
    media_url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MetricSnapshot(Base):
    """One poll of one post (append-only); ``None`` is an unknown count, never zero."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        UniqueConstraint(
            "deliverable_id", "taken_at", name="uq_metric_snapshots_deliverable_taken"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # indexed by the unique (deliverable_id, taken_at), which every read of a post's polls uses
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverables.id"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    views: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    comments: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(BigInteger)
    saves: Mapped[int | None] = mapped_column(BigInteger)
    # a story's self-reported results (provenance ``submitted``; issue 17)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    link_taps: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    provenance: Mapped[str] = mapped_column(String(16))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))


class Conversion(Base):
    """Clicks, leads and sales attributed to an enrollment from the brand's export."""

    __tablename__ = "conversions"
    __table_args__ = (
        UniqueConstraint("campaign_id", "row_key", name="uq_conversions_campaign_row_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    row_key: Mapped[str] = mapped_column(String(64))  # digest of the source row: idempotent import
    occurred_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    leads: Mapped[int] = mapped_column(BigInteger, default=0)
    sales: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue: Mapped[Decimal | None] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(500))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Report(Base):
    """A report sent (or written) for a campaign period: one per (campaign, period)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("campaign_id", "period", name="uq_reports_campaign_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    period: Mapped[str] = mapped_column(String(32))  # e.g. 2027-W10
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    definitions_version: Mapped[str] = mapped_column(String(64))
    prices_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # sending, sent, failed
    message_id: Mapped[str | None] = mapped_column(String(255))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    html_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))


#: The rows of ``ix_events_stage_history``: enrollments' stage changes (storage.enrollments).
EVENT_STAGE_CHANGES = "entity = 'enrollment' AND kind = 'stage_changed'"


class Event(Base):
    """Append-only log of every state change: what, for whom, when, and which run or command."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_entity", "entity", "entity_id"),
        # an enrollment's stage at a past moment (reporting.stage_history): one backward step
        Index(
            "ix_events_stage_history",
            "entity_id",
            "occurred_at",
            "id",
            sqlite_where=text(EVENT_STAGE_CHANGES),
            postgresql_where=text(EVENT_STAGE_CHANGES),
        ),
        # most events (imports' changes, refreshes, erasures) name no campaign: kept out of it
        Index(
            "ix_events_campaign_id",
            "campaign_id",
            sqlite_where=text("campaign_id IS NOT NULL"),
            postgresql_where=text("campaign_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # by time: stage history only
    kind: Mapped[str] = mapped_column(String(64))  # e.g. stage_changed, message_sent, suppressed
    entity: Mapped[str] = mapped_column(String(32))  # creator, enrollment, message, suppression...
    entity_id: Mapped[int | None] = mapped_column(Integer)
    creator_id: Mapped[int | None] = mapped_column(Integer, index=True)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(200))  # "flow-run:<id>" or "cli:<command>"
