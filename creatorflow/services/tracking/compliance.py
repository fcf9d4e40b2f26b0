"""Caption history and compliance problems: every detection and poll hands its captions here.

Each caption is compared with the last version stored for the post; a new one is inserted as
version ``seq + 1`` with ``ON CONFLICT DO NOTHING``, so of two overlapping runs only the one that
inserted it records the change event and opens or closes the problem: events and problems
happen once. Problems open on a verdict change only (a first sight counts), so a waived problem
stays waived while the caption keeps the same verdict, and a fixed post closes its problem.
A post gone before the campaign's ``keep_live_days`` opens a ``removed_early`` problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.campaign import Compliance
from creatorflow.domain.compliance import (
    REMOVED_EARLY,
    ProblemKind,
    Verdict,
    caption_hash,
    change_kind,
    judge_caption,
    problem_of,
    removed_early,
)
from creatorflow.errors import InputError, NotFoundError
from creatorflow.platforms.base import Caption, PostMetrics
from creatorflow.services.tracking.poll_claims import writing
from creatorflow.storage.db import insert_ignore, session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import (
    Account,
    Campaign,
    CaptionVersion,
    ComplianceProblem,
    Deliverable,
    Enrollment,
    MetricSnapshot,
)

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
def _writing(engine: Engine) -> Iterator[Session]:
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
class _Post:
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


def _posts(session: Session, ids: Sequence[int]) -> dict[int, _Post]:
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
            Campaign.spec,
        )
        .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
        .join(Account, Account.id == Enrollment.account_id)
        .join(Campaign, Campaign.id == Enrollment.campaign_id)
        .where(Deliverable.id.in_(list(ids)))
    ).all()
    return {row[0]: _Post(*row) for row in rows}


def _latest(session: Session, ids: Sequence[int]) -> dict[int, CaptionVersion]:
    newest = (
        select(CaptionVersion.deliverable_id, func.max(CaptionVersion.seq).label("seq"))
        .where(CaptionVersion.deliverable_id.in_(list(ids)))
        .group_by(CaptionVersion.deliverable_id)
        .subquery()
    )
    rows = session.scalars(
        select(CaptionVersion).join(
            newest,
            (newest.c.deliverable_id == CaptionVersion.deliverable_id)
            & (newest.c.seq == CaptionVersion.seq),
        )
    ).all()
    return {row.deliverable_id: row for row in rows}


def record_captions(
    *, engine: Engine, seen: Sequence[Seen], now: datetime, actor: str
) -> ComplianceReport:
    """Store what changed in ``seen`` (one transaction): new versions with their verdicts, the
    change events, problems opened and closed.

    The usual poll changes nothing and writes nothing: the hashes are compared on a read. How
    long a version stayed is in the snapshots (one per poll): a version's ``last_seen_at`` is
    written when it is superseded, the evidence export reads the latest one's from them.
    """
    report = ComplianceReport()
    if not seen:
        return report
    digests = {s.deliverable_id: caption_hash(s.caption.title, s.caption.text) for s in seen}
    known = _latest_hashes(engine, list(digests))
    if all(known.get(d) == digest for d, digest in digests.items()):
        return report
    changed = {
        s.deliverable_id: s
        for s in seen
        if known.get(s.deliverable_id) != digests[s.deliverable_id]
    }
    with _writing(engine) as session:
        latest = _latest(session, list(changed))  # again, inside the write: another run's too
        posts = _posts(session, list(changed))
        for deliverable_id, item in changed.items():
            post, previous = posts.get(deliverable_id), latest.get(deliverable_id)
            if post is None or (
                previous is not None and previous.sha256 == digests[deliverable_id]
            ):
                continue
            _new_version(session, post, item, previous, digests[deliverable_id], now, actor, report)
    return report


def _newest_versions() -> Any:
    return (
        select(CaptionVersion.deliverable_id, func.max(CaptionVersion.seq).label("seq"))
        .group_by(CaptionVersion.deliverable_id)
        .subquery()
    )


def _latest_hashes(engine: Engine, ids: Sequence[int]) -> dict[int, str]:
    """Each deliverable's latest caption hash, read outside any write transaction."""
    newest = _newest_versions()
    with engine.connect() as connection:
        rows = connection.execute(
            select(CaptionVersion.deliverable_id, CaptionVersion.sha256)
            .join(
                newest,
                (newest.c.deliverable_id == CaptionVersion.deliverable_id)
                & (newest.c.seq == CaptionVersion.seq),
            )
            .where(CaptionVersion.deliverable_id.in_(list(ids)))
        )
        return {deliverable_id: sha for deliverable_id, sha in rows}


def _last_sighting(session: Session, deliverable_id: int, *, before: datetime) -> datetime | None:
    """The last poll of the post before ``before`` (its snapshot's time)."""
    return session.scalar(
        select(func.max(MetricSnapshot.taken_at))
        .where(MetricSnapshot.deliverable_id == deliverable_id)
        .where(MetricSnapshot.taken_at < before)
    )


def _new_version(
    session: Session,
    post: _Post,
    item: Seen,
    previous: CaptionVersion | None,
    digest: str,
    now: datetime,
    actor: str,
    report: ComplianceReport,
) -> None:
    rules = compliance_of(post.spec).rules()
    judged = judge_caption(
        item.caption.title, item.caption.text, rules=rules, paid_placement=item.paid_placement
    )
    evidence = judged.evidence
    values = {
        "deliverable_id": post.deliverable_id,
        "seq": (previous.seq if previous is not None else 0) + 1,
        "title": item.caption.title,
        "text": item.caption.text,
        "sha256": digest,
        "verdict": judged.verdict.value,
        "marker": evidence.marker[:200] if evidence else None,
        "found": evidence.found[:200] if evidence else None,
        "field": evidence.field if evidence else None,
        "position": evidence.position if evidence else None,
        "reason": judged.reason,
        "first_seen_at": now,
        "last_seen_at": now,
    }
    stmt = insert_ignore(
        session,
        cast(Table, CaptionVersion.__table__),
        values,
        conflict_columns=["deliverable_id", "seq"],
    ).returning(CaptionVersion.id)
    version_id = session.execute(stmt).scalar()
    if version_id is None:  # another run stored this version first: it acts on it
        return
    if previous is not None:  # superseded: it was last seen at the poll before this one
        sighted = _last_sighting(session, post.deliverable_id, before=now)
        if sighted is not None and sighted > previous.last_seen_at:
            previous.last_seen_at = sighted
    report.versions += 1
    before = Verdict(previous.verdict) if previous is not None else None
    kind = change_kind(before, judged.verdict)
    report.changes[kind] = report.changes.get(kind, 0) + 1
    detail = post.detail() | {
        "seq": values["seq"],
        "verdict": judged.verdict.value,
        "previous_verdict": before.value if before is not None else None,
        "marker": values["marker"],
        "position": values["position"],
        "reason": judged.reason,
    }
    session.execute(
        update(Deliverable)
        .where(Deliverable.id == post.deliverable_id)
        .values(disclosure_ok=judged.verdict is Verdict.DISCLOSED)
    )
    _problems(session, post, judged.verdict, before, int(version_id), now, report, detail)
    record_event(
        session,
        kind=kind,
        entity="deliverable",
        entity_id=post.deliverable_id,
        detail=detail,
        actor=actor,
        at=now,
        creator_id=post.creator_id,
        campaign_id=post.campaign_id,
    )


def _problems(
    session: Session,
    post: _Post,
    verdict: Verdict,
    before: Verdict | None,
    version_id: int,
    now: datetime,
    report: ComplianceReport,
    detail: dict[str, Any],
) -> None:
    """Close the open disclosure problem a new version fixes or changes; open the new one."""
    wanted = problem_of(verdict)
    open_problem = session.scalars(
        select(ComplianceProblem)
        .where(ComplianceProblem.deliverable_id == post.deliverable_id)
        .where(ComplianceProblem.kind.in_(DISCLOSURE_KINDS))
        .where(ComplianceProblem.closed_at.is_(None))
    ).first()
    if open_problem is not None:
        if wanted is not None and open_problem.kind == wanted.value:
            return
        open_problem.closed_at = now
        open_problem.closed_reason = "fixed" if wanted is None else "changed"
        report.closed.append(open_problem.id)
        detail["closed_problem"] = open_problem.id
    if wanted is None or (open_problem is None and before is verdict):
        return  # disclosed, or the same verdict as a problem already waived
    problem = ComplianceProblem(
        deliverable_id=post.deliverable_id, kind=wanted.value, version_id=version_id, opened_at=now
    )
    session.add(problem)
    session.flush()
    report.opened.append(problem.id)
    detail["opened_problem"] = problem.id


def record_gone(
    *, engine: Engine, deliverable_ids: Sequence[int], now: datetime, actor: str
) -> ComplianceReport:
    """Posts just found gone: an early removal opens a problem and records an event; their open
    disclosure problems close (nothing left to fix)."""
    report = ComplianceReport()
    if not deliverable_ids:
        return report
    with _writing(engine) as session:
        posts = _posts(session, deliverable_ids)
        for post in posts.values():
            for problem in session.scalars(
                select(ComplianceProblem)
                .where(ComplianceProblem.deliverable_id == post.deliverable_id)
                .where(ComplianceProblem.kind.in_(DISCLOSURE_KINDS))
                .where(ComplianceProblem.closed_at.is_(None))
            ):
                problem.closed_at, problem.closed_reason = now, "gone"
                report.closed.append(problem.id)
            keep = compliance_of(post.spec).keep_live_days
            live_since = post.posted_at or post.detected_at
            if not removed_early(live_since, now, keep_live_days=keep):
                continue
            exists = session.scalar(
                select(ComplianceProblem.id)
                .where(ComplianceProblem.deliverable_id == post.deliverable_id)
                .where(ComplianceProblem.kind == ProblemKind.REMOVED_EARLY.value)
            )
            if exists is not None:
                continue
            problem = ComplianceProblem(
                deliverable_id=post.deliverable_id,
                kind=ProblemKind.REMOVED_EARLY.value,
                opened_at=now,
            )
            session.add(problem)
            session.flush()
            report.opened.append(problem.id)
            report.changes[REMOVED_EARLY] = report.changes.get(REMOVED_EARLY, 0) + 1
            days = (now - live_since).days
            record_event(
                session,
                kind=REMOVED_EARLY,
                entity="deliverable",
                entity_id=post.deliverable_id,
                detail=post.detail()
                | {"live_days": days, "keep_live_days": keep, "opened_problem": problem.id},
                actor=actor,
                at=now,
                creator_id=post.creator_id,
                campaign_id=post.campaign_id,
            )
    return report


def waive_problems(
    *, engine: Engine, campaign_slug: str, post_id: str, reason: str, now: datetime, actor: str
) -> list[int]:
    """Close the post's open problems as waived by the operator, with the reason: no nudge or
    reminder goes out for them any more."""
    if not reason.strip():
        raise InputError("--reason: say why the problem is waived (kept as evidence)")
    with session_scope(engine) as session:
        found = session.execute(
            select(Deliverable.id, Enrollment.creator_id, Campaign.id)
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Campaign, Campaign.id == Enrollment.campaign_id)
            .where(Campaign.slug == campaign_slug, Deliverable.post_id == post_id)
        ).first()
        if found is None:
            raise NotFoundError(f"campaign {campaign_slug!r} has no post {post_id!r}")
        deliverable_id, creator_id, campaign_id = found
        problems = session.scalars(
            select(ComplianceProblem)
            .where(ComplianceProblem.deliverable_id == deliverable_id)
            .where(ComplianceProblem.closed_at.is_(None))
            .order_by(ComplianceProblem.id)
        ).all()
        for problem in problems:
            problem.waived_at, problem.waived_by, problem.waive_reason = now, actor, reason
            problem.closed_at, problem.closed_reason = now, "waived"
            record_event(
                session,
                kind="compliance_waived",
                entity="deliverable",
                entity_id=deliverable_id,
                detail={"problem": problem.id, "kind": problem.kind, "reason": reason},
                actor=actor,
                at=now,
                creator_id=creator_id,
                campaign_id=campaign_id,
            )
        return [p.id for p in problems]


__all__ = [
    "ComplianceReport",
    "Seen",
    "compliance_of",
    "record_captions",
    "record_gone",
    "record_poll",
    "waive_problems",
]


def record_poll(
    *,
    engine: Engine,
    claims: Sequence[Any],
    answer: Mapping[str, PostMetrics],
    gone: Sequence[int],
    now: datetime,
    actor: str,
) -> ComplianceReport:
    """What one poll call means for compliance: the captions it carried, the posts it found gone
    (``claims`` are ``poll_claims.Claim``: a deliverable id and its post id)."""
    seen = [
        Seen(claim.deliverable_id, metrics.caption)
        for claim in claims
        if (metrics := answer.get(claim.post_id)) is not None and metrics.caption is not None
    ]
    report = record_captions(engine=engine, seen=seen, now=now, actor=actor)
    report.extend(record_gone(engine=engine, deliverable_ids=gone, now=now, actor=actor))
    return report
