"""The creator portal's tables (issue 18): links, shipping addresses, drafts, reviews.

Personal data kept apart, keyed by enrollment, so erasure can blank or delete it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from creatorflow.storage.base import Base
from creatorflow.storage.columns import UTCDateTime


class PortalLink(Base):
    """A signed creator-portal link issued for one enrollment (issue 18): the token carries this
    row's id, so revoking or expiring the row refuses the link whatever its signature."""

    __tablename__ = "portal_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(200))
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class ShippingAddress(Base):
    """Where gifted product goes: one per enrollment, personal data kept apart for erasure."""

    __tablename__ = "shipping_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(Text)
    city: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Draft(Base):
    """A draft a creator submitted for review: a link, or a file stored under the upload folder
    (``path`` relative to it; never served but to the operator). One row per version."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "version", name="uq_drafts_enrollment_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    link: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), default="submitted", index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    portal_link_id: Mapped[int | None] = mapped_column(ForeignKey("portal_links.id"))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))


class DraftReview(Base):
    """The operator's decision on one draft version (one per draft: decided once)."""

    __tablename__ = "draft_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(24))  # approved, changes_requested
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(200))
