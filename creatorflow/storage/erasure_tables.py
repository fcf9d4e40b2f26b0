"""What erasure keeps (issue 19): each erasure, and the keyed hashes that refuse the person
for good."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from creatorflow.storage.base import Base
from creatorflow.storage.columns import UTCDateTime


class Erasure(Base):
    """A person erased on request or by retention (``services/creators/forget.py``): the creator
    row stays as "erased creator #id" so figures add up; ``reason`` is redacted."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))  # request, retention
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))


class ErasedIdentity(Base):
    """The suppression list of erased people: HMAC-SHA256 (secret key) of a normalised address
    or ``platform:handle``, so they are never imported or contacted again, yet not named."""

    __tablename__ = "erased_identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # email, handle
    erasure_id: Mapped[int | None] = mapped_column(ForeignKey("erasures.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
