"""What stops work until a moment or an operator: the guard's sending pauses and a platform's
deferred access (each with its own store: ``services/outreach/sending_pauses.py``,
``storage/platform_access.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from creatorflow.storage.base import Base
from creatorflow.storage.columns import UTCDateTime


class SendingPause(Base):
    """The deliverability guard stopped a mailbox's or a campaign's sending until resumed."""

    __tablename__ = "sending_pauses"
    __table_args__ = (Index("ix_sending_pauses_scope_key", "scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # mailbox or campaign
    key: Mapped[str] = mapped_column(String(320))  # the sender address, or the campaign slug
    reason: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    paused_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paused_by: Mapped[str] = mapped_column(String(200))
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resumed_by: Mapped[str | None] = mapped_column(String(200))


class PlatformAccess(Base):
    """When a platform lets creatorflow in again after a throttle or a spent quota, and where a
    deferred refresh resumes: one row per platform (``storage/platform_access.py``)."""

    __tablename__ = "platform_access"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    returns_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: the next run
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # runs leave it alone
    refresh_pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
