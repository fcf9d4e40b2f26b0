"""Engagement polling: due deliverables only, batched to each platform's maximum, one snapshot each.

A round is planned (``plan_polling``) and then worked batch by batch (``poll_batch``), each batch
committed on its own, so a quota error ends the round with everything polled so far stored, and
the next round resumes with whatever is still due.

Overlapping rounds (two workers, a manual run during a scheduled one) are safe: a batch first
*claims* its deliverables (re-checks they are due and stamps ``last_polled_at`` in one
transaction, skipping rows another run holds locked on PostgreSQL), and the snapshot insert is
``ON CONFLICT DO NOTHING`` on (deliverable, taken_at).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Engine, Table, select, update
from sqlalchemy.orm import Session

from creatorflow.domain.cadence import is_due
from creatorflow.domain.model import DeliverableStatus, Platform, Provenance
from creatorflow.platforms.base import Post
from creatorflow.platforms.errors import PermanentPlatformError, QuotaExhausted
from creatorflow.services.deliverables import ClientFactory, flow_run_id
from creatorflow.services.tracking_spec import load_tracked, tracked_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import Account, Campaign, Deliverable, Enrollment, MetricSnapshot

#: Ids per metrics call (platform_apis.md): YouTube videos.list 50, TikTok video/query 20;
#: Instagram reads media through one business-discovery call per creator (None: no id limit).
IDS_PER_CALL: dict[Platform, int | None] = {
    Platform.YOUTUBE: 50,
    Platform.INSTAGRAM: None,
    Platform.TIKTOK: 20,
}
#: Platforms whose metrics calls are per owner: Instagram business discovery reads one creator's
#: media; TikTok's video/query answers only for the token owner's videos.
PER_OWNER: frozenset[Platform] = frozenset({Platform.INSTAGRAM, Platform.TIKTOK})
#: Posts per task: a multiple of the call size, so only a round's last call is partial. A task
#: makes a few calls in a row: task runs (and rate-limit acquisitions, each a round trip to the
#: Prefect server) stay few, while the flow keeps several tasks in flight.
POSTS_PER_BATCH: dict[Platform, int] = {
    Platform.YOUTUBE: 250,
    Platform.INSTAGRAM: 50,
    Platform.TIKTOK: 200,
}


class PollBatch(BaseModel):
    """Deliverables one task polls (a small value: ids only, safe as a task parameter)."""

    platform: Platform
    deliverable_ids: list[int]
    requests: int  # API calls this batch needs


@dataclass
class PollReport:
    platform: Platform
    claimed: int = 0
    snapshots: int = 0
    gone: list[int] = field(default_factory=list)
    skipped: int = 0  # no longer due, or held by another run
    requests: int = 0
    quota_exhausted: bool = False
    failures: list[str] = field(default_factory=list)  # permanent errors of single calls


@dataclass(frozen=True)
class _Due:
    deliverable_id: int
    platform: Platform
    post_id: str
    owner: str


def _requests_for(platform: Platform, post_ids: Sequence[str], owners: Sequence[str]) -> int:
    """The fewest calls that cover these posts (``owners[i]`` owns ``post_ids[i]``)."""
    size = IDS_PER_CALL[platform]
    if platform not in PER_OWNER:
        return math.ceil(len(set(post_ids)) / (size or 1))
    per_owner: dict[str, set[str]] = {}
    for post_id, owner in zip(post_ids, owners, strict=True):
        per_owner.setdefault(owner, set()).add(post_id)
    if size is None:
        return len(per_owner)
    return sum(math.ceil(len(ids) / size) for ids in per_owner.values())


def plan_polling(*, engine: Engine, campaign_slug: str | None, now: datetime) -> list[PollBatch]:
    """The round's batches: live, API-tracked deliverables whose cadence says poll at ``now``."""
    due: list[_Due] = []
    with session_scope(engine) as session:
        campaigns = {c.id: c for c in load_tracked(session, campaign_slug)}
        if not campaigns:
            return []
        rows = session.execute(
            select(
                Deliverable.id,
                Deliverable.platform,
                Deliverable.post_id,
                Deliverable.posted_at,
                Deliverable.detected_at,
                Deliverable.last_polled_at,
                Enrollment.campaign_id,
                Account.handle,
            )
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id.in_(list(campaigns)))
            .where(Deliverable.status == DeliverableStatus.LIVE.value)
            .where(Deliverable.provenance == Provenance.API.value)
            .order_by(Deliverable.platform, Account.handle, Deliverable.id)
        ).all()
    for d_id, platform, post_id, posted_at, detected_at, last_polled, campaign_id, handle in rows:
        ends = campaigns[campaign_id].tracking_ends
        if is_due(posted_at or detected_at, last_polled, now=now, tracking_ends=ends):
            due.append(_Due(d_id, Platform(platform), post_id, handle))
    return _batches(due)


def _batches(due: Sequence[_Due]) -> list[PollBatch]:
    batches: list[PollBatch] = []
    for platform in Platform:
        items = [d for d in due if d.platform is platform]
        if not items:
            continue
        limit = POSTS_PER_BATCH[platform]
        if platform in PER_OWNER:
            groups: dict[str, list[_Due]] = {}
            for item in items:
                groups.setdefault(item.owner, []).append(item)
            current: list[_Due] = []
            for group in groups.values():  # an owner's posts stay in one batch: one call
                if current and len(current) + len(group) > limit:
                    batches.append(_batch(platform, current))
                    current = []
                current.extend(group)
            if current:
                batches.append(_batch(platform, current))
            continue
        # posts shared by several deliverables (two campaigns) go in the same batch
        by_post: dict[str, list[_Due]] = {}
        for item in items:
            by_post.setdefault(item.post_id, []).append(item)
        posts = list(by_post.values())
        for start in range(0, len(posts), limit):
            batches.append(
                _batch(platform, [d for group in posts[start : start + limit] for d in group])
            )
    return batches


def _batch(platform: Platform, items: Sequence[_Due]) -> PollBatch:
    return PollBatch(
        platform=platform,
        deliverable_ids=[d.deliverable_id for d in items],
        requests=_requests_for(platform, [d.post_id for d in items], [d.owner for d in items]),
    )


def poll_batch(
    *,
    engine: Engine,
    clients: ClientFactory,
    batch: PollBatch,
    now: datetime,
    actor: str,
    throttle: Callable[[Platform, int], None] | None = None,
) -> PollReport:
    """Poll one batch: claim the due deliverables, ask the platform call by call (each its
    maximum), store snapshots and gones in one transaction. A quota error stores what was
    answered and releases the rest for the next round."""
    report = PollReport(platform=batch.platform)
    claimed = _claim(engine, batch, now=now)
    report.claimed = len(claimed)
    report.skipped = len(batch.deliverable_ids) - len(claimed)
    if not claimed:
        return report
    calls = _calls(batch.platform, list(claimed.values()))
    if throttle is not None:
        throttle(batch.platform, len(calls))
    client = clients(batch.platform)
    answered: list[_Claim] = []
    answers: dict[str, Post] = {}
    try:
        for index, call in enumerate(calls):
            post_ids = list(dict.fromkeys(c.post_id for c in call))
            owners = {c.post_id: c.owner for c in call}
            try:
                answers.update(client.post_metrics(post_ids, owners=owners))
            except QuotaExhausted:
                unpolled = [c for rest in calls[index:] for c in rest]
                _release(engine, unpolled, now=now)
                report.quota_exhausted = True
                report.claimed -= len(unpolled)
                break
            except PermanentPlatformError as exc:  # this call only (e.g. one creator's token)
                _release(engine, call, now=now)
                report.claimed -= len(call)
                report.failures.append(str(exc))
                continue
            except BaseException:
                _release(engine, [c for rest in calls[index:] for c in rest], now=now)
                raise
            report.requests += 1
            answered.extend(call)
    finally:  # whatever was answered is stored, even when a later call fails
        if answered:
            _store(engine, answered, answers, now=now, actor=actor, report=report)
    return report


def _calls(platform: Platform, claims: Sequence[_Claim]) -> list[list[_Claim]]:
    """The claims split into the fewest platform calls (deliverables sharing a post together)."""
    size = IDS_PER_CALL[platform]
    groups: dict[str, dict[str, list[_Claim]]] = {}
    for claim in claims:
        owner = claim.owner if platform in PER_OWNER else ""
        groups.setdefault(owner, {}).setdefault(claim.post_id, []).append(claim)
    calls: list[list[_Claim]] = []
    for by_post in groups.values():
        posts = list(by_post.values())
        step = size or len(posts)
        for start in range(0, len(posts), step):
            calls.append([c for same in posts[start : start + step] for c in same])
    return calls


def poll_round(
    *,
    engine: Engine,
    clients: ClientFactory,
    campaign_slug: str | None,
    now: datetime,
    actor: str,
    throttle: Callable[[Platform, int], None] | None = None,
) -> list[PollReport]:
    """A whole round, batch after batch (the flow runs the same batches concurrently).

    A platform whose quota runs out is not asked again in this round; other platforms go on.
    """
    reports: list[PollReport] = []
    exhausted: set[Platform] = set()
    for batch in plan_polling(engine=engine, campaign_slug=campaign_slug, now=now):
        if batch.platform in exhausted:
            continue
        report = poll_batch(
            engine=engine, clients=clients, batch=batch, now=now, actor=actor, throttle=throttle
        )
        reports.append(report)
        if report.quota_exhausted:
            exhausted.add(batch.platform)
    return reports


@dataclass(frozen=True)
class _Claim:
    deliverable_id: int
    post_id: str
    owner: str
    previous: datetime | None
    creator_id: int
    campaign_id: int


_SQLITE_WRITES = threading.Lock()


def _insert_snapshot(session: Session) -> Any:
    """``INSERT ... ON CONFLICT (deliverable_id, taken_at) DO NOTHING`` for executemany."""
    from sqlalchemy.dialects import postgresql, sqlite

    table = cast(Table, MetricSnapshot.__table__)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(
        index_elements=["deliverable_id", "taken_at"]
    )


@contextmanager
def _writing(engine: Engine) -> Iterator[Session]:
    """A write transaction. SQLite allows one writer: batches of one process queue on a lock
    instead of in SQLite's busy handler, which sleeps in coarse steps (here: 4x slower)."""
    if engine.dialect.name != "sqlite":
        with session_scope(engine) as session:
            yield session
        return
    with _SQLITE_WRITES, session_scope(engine) as session:
        yield session


def _claim(engine: Engine, batch: PollBatch, *, now: datetime) -> dict[int, _Claim]:
    claims: dict[int, _Claim] = {}
    with _writing(engine) as session:
        rows = session.execute(
            select(
                Deliverable.id,
                Deliverable.post_id,
                Deliverable.posted_at,
                Deliverable.detected_at,
                Deliverable.last_polled_at,
                Enrollment.creator_id,
                Enrollment.campaign_id,
                Account.handle,
            )
            .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Deliverable.id.in_(batch.deliverable_ids))
            .where(Deliverable.status == DeliverableStatus.LIVE.value)
            .order_by(Deliverable.id)
            .with_for_update(skip_locked=True, of=Deliverable)
        ).all()
        ends: dict[int, datetime | None] = {}
        for d_id, post_id, posted_at, detected_at, last, creator_id, campaign_id, handle in rows:
            if campaign_id not in ends:
                row = session.get(Campaign, campaign_id)
                ends[campaign_id] = tracked_campaign(row).tracking_ends if row else None
            if is_due(posted_at or detected_at, last, now=now, tracking_ends=ends[campaign_id]):
                claims[d_id] = _Claim(d_id, post_id, handle, last, creator_id, campaign_id)
        if claims:
            session.execute(
                update(Deliverable)
                .where(Deliverable.id.in_(list(claims)))
                .values(last_polled_at=now)
            )
    return claims


def _release(engine: Engine, claims: Sequence[_Claim], *, now: datetime) -> None:
    """Undo the claims of posts that were not polled, so the next round picks them up."""
    with _writing(engine) as session:
        for claim in claims:
            session.execute(
                update(Deliverable)
                .where(Deliverable.id == claim.deliverable_id, Deliverable.last_polled_at == now)
                .values(last_polled_at=claim.previous)
            )


def _store(
    engine: Engine,
    claims: Sequence[_Claim],
    answer: dict[str, Post],
    *,
    now: datetime,
    actor: str,
    report: PollReport,
) -> None:
    run_id = flow_run_id(actor)
    snapshots = []
    seen: list[int] = []
    with _writing(engine) as session:
        for claim in claims:
            post = answer.get(claim.post_id)
            if post is None:
                session.execute(
                    update(Deliverable)
                    .where(Deliverable.id == claim.deliverable_id)
                    .values(status=DeliverableStatus.GONE.value, gone_at=now)
                )
                record_event(
                    session,
                    kind="deliverable_gone",
                    entity="deliverable",
                    entity_id=claim.deliverable_id,
                    detail={"post_id": claim.post_id, "platform": report.platform.value},
                    actor=actor,
                    at=now,
                    creator_id=claim.creator_id,
                    campaign_id=claim.campaign_id,
                )
                report.gone.append(claim.deliverable_id)
                continue
            m = post.metrics
            snapshots.append(
                {
                    "deliverable_id": claim.deliverable_id,
                    "taken_at": now,
                    "views": m.views,
                    "likes": m.likes,
                    "comments": m.comments,
                    "shares": m.shares,
                    "saves": m.saves,
                    "provenance": Provenance.API.value,
                    "flow_run_id": run_id,
                }
            )
            seen.append(claim.deliverable_id)
        if snapshots:
            # executemany of one cached statement (a multi-VALUES insert of 200 rows costs more
            # to compile than to run); RETURNING counts the rows actually inserted.
            stmt = _insert_snapshot(session).returning(MetricSnapshot.id)
            report.snapshots += len(session.execute(stmt, snapshots).all())
        if seen:
            session.execute(
                update(Deliverable).where(Deliverable.id.in_(seen)).values(last_seen_at=now)
            )
