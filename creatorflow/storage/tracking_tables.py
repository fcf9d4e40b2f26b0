"""Tables that tracking added beside the deliverables: the Instagram webhook inbox (issue 17)
and the caption history with its compliance problems (issue 16)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from creatorflow.storage.base import Base
from creatorflow.storage.columns import UTCDateTime


class WebhookEvent(Base):
    """A platform webhook notification as received: one row per event, whatever the number of
    deliveries (``event_key`` is the event's own id or a digest of it). The tracking run does
    the work (``status`` pending, done, ignored, unmatched); personal data lives only here and
    in ``payload``, so erasure deletes the rows."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # caption_mention, comment_mention, story_mention
    account_id: Mapped[str | None] = mapped_column(String(64))  # the brand account notified
    sender: Mapped[str | None] = mapped_column(String(200))  # IGSID or username, when given
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deliverable_id: Mapped[int | None] = mapped_column(Integer)


class CaptionVersion(Base):
    """One version of a post's caption as polls saw it, with its disclosure verdict (issue 16).

    ``seq`` numbers a deliverable's versions; a text seen again after a change is a new version.
    ``last_seen_at`` is written when the version is superseded (polls that change nothing write
    nothing; the snapshots say when the post was polled). Kept apart from ``deliverables`` so
    erasing a person deletes or blanks these rows only.
    """

    __tablename__ = "caption_versions"
    __table_args__ = (
        UniqueConstraint("deliverable_id", "seq", name="uq_caption_versions_deliverable_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverables.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))  # disclosed, missing, buried
    marker: Mapped[str | None] = mapped_column(String(200))
    found: Mapped[str | None] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(16))
    position: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplianceProblem(Base):
    """A post's disclosure missing or buried, or the post removed early: opened once, nudged
    once (outbox step ``compliance_<id>``), reminded once, closed when fixed or waived."""

    __tablename__ = "compliance_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverables.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # missing, buried, removed_early
    version_id: Mapped[int | None] = mapped_column(ForeignKey("caption_versions.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waived_by: Mapped[str | None] = mapped_column(String(200))
    waive_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_reason: Mapped[str | None] = mapped_column(String(16))  # fixed, waived, changed, gone
