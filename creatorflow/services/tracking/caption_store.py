"""The caption store's reads: what a poll compares against and what a write starts from.

Kept apart from ``compliance`` (the writes: versions, change events, problems) so each stays
small. ``latest_hashes`` is read outside any write transaction (a poll batch reads it once);
``latest_versions`` is read again inside the write, so a version another run stored in the
meantime is never stored twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.campaign import Compliance
from creatorflow.domain.compliance import ProblemKind
from creatorflow.platforms.base import Caption
from creatorflow.services.tracking.poll_claims import writing
from creatorflow.storage.id_lists import among
from creatorflow.storage.models import Account, Campaign, CaptionVersion, Deliverable, Enrollment

DISCLOSURE_KINDS = (ProblemKind.MISSING.value, ProblemKind.BURIED.value)


@dataclass(frozen=True)
class Seen:
    """A caption one platform answer showed for a deliverable."""

    deliverable_id: int
    caption: Caption
    paid_placement: bool | None = None


@dataclass
class ComplianceReport:
    versions: int = 0  # new caption versions stored
    changes: dict[str, int] = field(default_factory=dict)  # event kind -> count
    opened: list[int] = field(default_factory=list)  # problems opened
    closed: list[int] = field(default_factory=list)

    def extend(self, other: ComplianceReport) -> None:
        self.versions += other.versions
        for kind, n in other.changes.items():
            self.changes[kind] = self.changes.get(kind, 0) + n
        self.opened += other.opened
        self.closed += other.closed


@contextmanager
def writing_session(engine: Engine) -> Iterator[Session]:
    """A session in one of polling's write transactions (``poll_claims.writing``: SQLite's
    writers queue on a lock, not in its busy handler), committed when the block ends."""
    with writing(engine) as connection:
        session = Session(bind=connection)
        try:
            yield session
            session.flush()
        finally:
            session.close()


def compliance_of(spec: dict[str, Any]) -> Compliance:
    """A stored campaign spec's ``compliance`` section (defaults where the file had none)."""
    return Compliance.model_validate(spec.get("compliance") or {})


@dataclass(frozen=True)
class PostOfCaption:
    deliverable_id: int
    platform: str
    post_id: str
    url: str | None
    posted_at: datetime | None
    detected_at: datetime
    creator_id: int
    campaign_id: int
    handle: str
    spec: dict[str, Any]

    def detail(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "post_id": self.post_id,
            "url": self.url,
            "creator": f"{self.platform}:{self.handle}",
        }


def posts_of(session: Session, ids: Sequence[int]) -> dict[int, PostOfCaption]:
    """The posts ``ids`` with their creator and campaign; each campaign's spec is read once and
    shared by its posts (read per row, a first poll of 100,000 posts parsed it 100,000 times)."""
    rows = session.execute(
        select(
            Deliverable.id,
            Deliverable.platform,
            Deliverable.post_id,
            Deliverable.url,
            Deliverable.posted_at,
            Deliverable.detected_at,
            Enrollment.creator_id,
            Enrollment.campaign_id,
            Account.handle,
        )
        .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
        .join(Account, Account.id == Enrollment.account_id)
        .where(Deliverable.id.in_(list(ids)))
    ).all()
    if not rows:
        return {}
    specs = {
        ident: spec
        for ident, spec in session.execute(
            select(Campaign.id, Campaign.spec).where(Campaign.id.in_({r.campaign_id for r in rows}))
        )
    }
    return {
        row.id: PostOfCaption(
            row.id,
            row.platform,
            row.post_id,
            row.url,
            row.posted_at,
            row.detected_at,
            row.creator_id,
            row.campaign_id,
            row.handle,
            specs[row.campaign_id],
        )
        for row in rows
    }


def _newest_last(column: Any, ids: Sequence[int], dialect: str) -> Any:
    """(deliverable, ``column``) of every version of ``ids`` by the (deliverable, seq) index,
    oldest first: a dict of the rows keeps each post's newest (a caption rarely changes)."""
    return (
        select(CaptionVersion.deliverable_id, column)
        .where(among(CaptionVersion.deliverable_id, ids, dialect))
        .order_by(CaptionVersion.deliverable_id, CaptionVersion.seq)
    )


def latest_versions(session: Session, ids: Sequence[int]) -> dict[int, CaptionVersion]:
    """Each of ``ids``' newest version: the versions' numbers by the (deliverable, seq) index,
    then the newest rows by primary key. Joined to a ``max(seq)`` grouping instead, PostgreSQL
    judged the grouping by statistics from before the first poll (an empty table) and scanned
    every stored version for each batch: quadratic in a first round's posts."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(_newest_last(CaptionVersion.id, ids, dialect))
    newest = {deliverable_id: version_id for deliverable_id, version_id in rows}
    if not newest:
        return {}
    found = session.scalars(select(CaptionVersion).where(CaptionVersion.id.in_(newest.values())))
    return {row.deliverable_id: row for row in found}


def latest_hashes(engine: Engine, ids: Sequence[int]) -> dict[int, str]:
    """Each deliverable's latest caption hash, read outside any write transaction: every
    version of the posts by the (deliverable, seq) index, the newest kept here (a caption
    rarely changes; no grouping for the planner to misjudge on a table it has not analysed)."""
    with engine.connect() as connection:
        rows = connection.execute(_newest_last(CaptionVersion.sha256, ids, engine.dialect.name))
        return {deliverable_id: sha for deliverable_id, sha in rows}  # the last: the newest
