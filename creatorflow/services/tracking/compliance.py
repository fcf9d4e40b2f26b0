"""Caption history and compliance problems: every detection and poll hands its captions here.

Each caption is compared with the last version stored for the post; a new one is inserted as
version ``seq + 1`` with ``ON CONFLICT DO NOTHING``, so of two overlapping runs only the one that
inserted it records the change event and opens or closes the problem: events and problems
happen once. Problems open on a verdict change only (a first sight counts), so a waived problem
stays waived while the caption keeps the same verdict, and a fixed post closes its problem.
A post gone before the campaign's ``keep_live_days`` opens a ``removed_early`` problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, select, text, update
from sqlalchemy.orm import Session

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
from creatorflow.platforms.base import PostMetrics
from creatorflow.services.tracking.caption_store import (
    DISCLOSURE_KINDS,
    ComplianceReport,
    PostOfCaption,
    Seen,
    compliance_of,
    latest_hashes,
    latest_versions,
    posts_of,
    writing_session,
)
from creatorflow.services.tracking.compliance_waivers import waive_problems
from creatorflow.storage.bulk import insert_new
from creatorflow.storage.events import event_values, record_event, record_events
from creatorflow.storage.models import (
    CaptionVersion,
    ComplianceProblem,
    Deliverable,
    MetricSnapshot,
)


def record_captions(
    *,
    engine: Engine,
    seen: Sequence[Seen],
    now: datetime,
    actor: str,
    known: dict[int, str] | None = None,
) -> ComplianceReport:
    """Store what changed in ``seen`` (one transaction): new versions with their verdicts, the
    change events, problems opened and closed.

    The usual poll changes nothing and writes nothing: the hashes are compared on a read. How
    long a version stayed is in the snapshots (one per poll): a version's ``last_seen_at`` is
    written when it is superseded, the evidence export reads the latest one's from them.

    ``known`` (deliverable -> latest hash, from ``latest_hashes``) spares that read: a poll
    batch reads its posts' hashes once, and each call's captions update it. The write still
    reads the latest versions again, so a version another run stored is never stored twice.
    """
    report = ComplianceReport()
    if not seen:
        return report
    digests = {s.deliverable_id: caption_hash(s.caption.title, s.caption.text) for s in seen}
    latest = latest_hashes(engine, list(digests)) if known is None else known
    changed = {
        s.deliverable_id: s
        for s in seen
        if latest.get(s.deliverable_id) != digests[s.deliverable_id]
    }
    if not changed:
        return report
    with writing_session(engine) as session:
        # again, inside the write: another run's versions too
        versions = latest_versions(session, list(changed))
        posts = posts_of(session, list(changed))
        new = [
            _Change(post, item, versions.get(d), digests[d])
            for d, item in changed.items()
            if (post := posts.get(d)) is not None
            and (d not in versions or versions[d].sha256 != digests[d])
        ]
        if new:
            _new_versions(session, new, now, actor, report)
    if known is not None:  # stored now, by this run or another: the posts' latest versions
        known.update({d: digests[d] for d in changed})
    return report


@dataclass
class _Change:
    """A caption that differs from its post's latest version: what storing it needs."""

    post: PostOfCaption
    item: Seen
    previous: CaptionVersion | None
    digest: str
    version_id: int | None = None
    verdict: Verdict = Verdict.MISSING
    kind: str = ""  # the change event's kind
    detail: dict[str, Any] = field(default_factory=dict)


def _new_versions(
    session: Session, changes: list[_Change], now: datetime, actor: str, report: ComplianceReport
) -> None:
    """Store the changed captions in a few statements whatever their number (a first poll sees
    every caption of the round): versions, verdicts on the deliverables, the superseded
    versions' last sighting, problems closed and opened, then one event per stored version."""
    rules: dict[int, Any] = {}  # campaign id -> its disclosure rules (one spec parse each)
    rows: list[dict[str, Any]] = []
    for change in changes:
        post, caption = change.post, change.item.caption
        if post.campaign_id not in rules:
            rules[post.campaign_id] = compliance_of(post.spec).rules()
        judged = judge_caption(
            caption.title,
            caption.text,
            rules=rules[post.campaign_id],
            paid_placement=change.item.paid_placement,
        )
        evidence, change.verdict = judged.evidence, judged.verdict
        rows.append(
            {
                "deliverable_id": post.deliverable_id,
                "seq": (change.previous.seq if change.previous is not None else 0) + 1,
                "title": caption.title,
                "text": caption.text,
                "sha256": change.digest,
                "verdict": judged.verdict.value,
                "marker": evidence.marker[:200] if evidence else None,
                "found": evidence.found[:200] if evidence else None,
                "field": evidence.field if evidence else None,
                "position": evidence.position if evidence else None,
                "reason": judged.reason,
                "first_seen_at": now,
                "last_seen_at": now,
            }
        )
    stored = _insert_versions(session, rows)
    kept = []  # the versions this run inserted: another run acts on the ones it stored first
    for change, values in zip(changes, rows, strict=True):
        change.version_id = stored.get((values["deliverable_id"], values["seq"]))
        if change.version_id is None:
            continue
        kept.append(change)
        before = Verdict(change.previous.verdict) if change.previous is not None else None
        change.kind = change_kind(before, change.verdict)
        report.versions += 1
        report.changes[change.kind] = report.changes.get(change.kind, 0) + 1
        change.detail = change.post.detail() | {
            "seq": values["seq"],
            "verdict": change.verdict.value,
            "previous_verdict": before.value if before is not None else None,
            "marker": values["marker"],
            "position": values["position"],
            "reason": values["reason"],
        }
    if not kept:
        return
    _supersede(session, [c.previous for c in kept if c.previous is not None], now)
    for ok in (True, False):
        ids = [c.post.deliverable_id for c in kept if (c.verdict is Verdict.DISCLOSED) is ok]
        if ids:
            session.execute(
                update(Deliverable).where(Deliverable.id.in_(ids)).values(disclosure_ok=ok)
            )
    _problems(session, kept, now, report)
    record_events(
        session,
        [
            event_values(
                kind=c.kind,
                entity="deliverable",
                entity_id=c.post.deliverable_id,
                detail=c.detail,
                actor=actor,
                at=now,
                creator_id=c.post.creator_id,
                campaign_id=c.post.campaign_id,
            )
            for c in kept
        ],
    )


def _insert_versions(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[int, int], int]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` in one statement (``bulk.insert_new``):
    (deliverable, seq) -> id of each row this run inserted; a version another run stored
    first is absent."""
    inserted = insert_new(
        session.connection(),
        cast(Table, CaptionVersion.__table__),
        rows,
        unique=("deliverable_id", "seq"),
        returning=("id", "deliverable_id", "seq"),
    )
    return {(d, seq): ident for ident, d, seq in inserted}


def _supersede(session: Session, previous: list[CaptionVersion], now: datetime) -> None:
    """A superseded version was last seen at its post's poll before this one (its snapshot)."""
    if not previous:
        return
    sighted: dict[int, datetime] = {
        deliverable_id: taken
        for deliverable_id, taken in session.execute(
            select(MetricSnapshot.deliverable_id, func.max(MetricSnapshot.taken_at))
            .where(MetricSnapshot.deliverable_id.in_([v.deliverable_id for v in previous]))
            .where(MetricSnapshot.taken_at < now)
            .group_by(MetricSnapshot.deliverable_id)
        )
    }
    for version in previous:
        last = sighted.get(version.deliverable_id)
        if last is not None and last > version.last_seen_at:
            version.last_seen_at = last


def _problems(
    session: Session, changes: list[_Change], now: datetime, report: ComplianceReport
) -> None:
    """Close the open disclosure problem a new version fixes or changes; open the new one."""
    open_problems = {
        problem.deliverable_id: problem
        for problem in session.scalars(
            select(ComplianceProblem)
            .where(ComplianceProblem.deliverable_id.in_([c.post.deliverable_id for c in changes]))
            .where(ComplianceProblem.kind.in_(DISCLOSURE_KINDS))
            .where(ComplianceProblem.closed_at.is_(None))
            .order_by(ComplianceProblem.id.desc())  # should there be two: the oldest
        )
    }
    opened: list[_Change] = []
    rows: list[dict[str, Any]] = []  # the problems to open
    for change in changes:
        before = change.detail["previous_verdict"]
        wanted = problem_of(change.verdict)
        open_problem = open_problems.get(change.post.deliverable_id)
        if open_problem is not None:
            if wanted is not None and open_problem.kind == wanted.value:
                continue
            open_problem.closed_at = now
            open_problem.closed_reason = "fixed" if wanted is None else "changed"
            report.closed.append(open_problem.id)
            change.detail["closed_problem"] = open_problem.id
        if wanted is None or (open_problem is None and before == change.verdict.value):
            continue  # disclosed, or the same verdict as a problem already waived
        opened.append(change)
        rows.append(
            {
                "deliverable_id": change.post.deliverable_id,
                "kind": wanted.value,
                "version_id": change.version_id,
                "opened_at": now,
            }
        )
    session.flush()  # the problems closed above
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        # each problem's check of its version (a foreign key) planned for the table as it is:
        # a connection keeps the check's plan from its first use, and one made while the
        # first poll had stored few versions scanned them all for every problem it opened
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    stmt = insert(cast(Table, ComplianceProblem.__table__)).returning(
        ComplianceProblem.id, ComplianceProblem.deliverable_id
    )
    ids = {d: ident for ident, d in session.execute(stmt, rows)}  # one per deliverable
    for change in opened:
        report.opened.append(ids[change.post.deliverable_id])
        change.detail["opened_problem"] = ids[change.post.deliverable_id]


def record_gone(
    *, engine: Engine, deliverable_ids: Sequence[int], now: datetime, actor: str
) -> ComplianceReport:
    """Posts just found gone: an early removal opens a problem and records an event; their open
    disclosure problems close (nothing left to fix)."""
    report = ComplianceReport()
    if not deliverable_ids:
        return report
    with writing_session(engine) as session:
        posts = posts_of(session, deliverable_ids)
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


__all__ = [
    "ComplianceReport",
    "Seen",
    "compliance_of",
    "latest_hashes",
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
    known: dict[int, str] | None = None,
) -> ComplianceReport:
    """What one poll call means for compliance: the captions it carried, the posts it found gone
    (``claims`` are ``poll_claims.Claim``: a deliverable id and its post id; ``known``: see
    ``record_captions``)."""
    seen = [
        Seen(claim.deliverable_id, metrics.caption)
        for claim in claims
        if (metrics := answer.get(claim.post_id)) is not None and metrics.caption is not None
    ]
    report = record_captions(engine=engine, seen=seen, now=now, actor=actor, known=known)
    report.extend(record_gone(engine=engine, deliverable_ids=gone, now=now, actor=actor))
    return report
