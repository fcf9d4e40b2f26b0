"""Detection: campaign posts found in accepted creators' recent posts become deliverables.

Each creator's feed is read once a run: a batch holds every tracked enrollment of its accounts,
so a creator in two campaigns costs one read. Where the platform reads a post's metrics from its
owner's feed (``OwnerFeed``: Instagram business discovery, one call per creator), that same read
also polls the creator's due deliverables, paging on only as far as they need, and stores their
snapshots as polling would: the round planned afterwards finds them polled and asks nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import Engine, func, select

from creatorflow.domain.compliance import Verdict, judge_caption
from creatorflow.domain.matching import match_post
from creatorflow.domain.model import Platform, Provenance
from creatorflow.platforms.base import AccountProfile, Caption, Post
from creatorflow.platforms.errors import (
    AccountProblem,
    PermanentPlatformError,
    QuotaExhausted,
    Throttled,
)
from creatorflow.platforms.registry import limits_of
from creatorflow.services.tracking import poll_claims
from creatorflow.services.tracking.account_problems import (
    note_account_problem,
    note_deferral,
    note_readable,
    waiting,
)
from creatorflow.services.tracking.compliance import Seen, record_captions, record_poll
from creatorflow.services.tracking.deliverables import (
    TRACKED_STAGES,
    ClientFactory,
    profile_of,
    record_deliverable,
)
from creatorflow.services.tracking.poll_planning import DueDeliverable, due_deliverables
from creatorflow.services.tracking.tracked_campaigns import tracked_campaigns
from creatorflow.storage.account_status import PROBLEM_VALUES
from creatorflow.storage.campaigns import StoredCampaign, campaign_by_id
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, CaptionVersion, Deliverable, Enrollment

RECENT_POSTS = 20  # one page on every platform (TikTok's video/list maximum)


@runtime_checkable
class OwnerFeed(Protocol):
    """A client whose post metrics are read from the owner's feed (nothing cheaper exists)."""

    def feed(
        self, account: AccountProfile, *, limit: int, including: Collection[str] = ()
    ) -> list[Post]:
        """The ``limit`` most recent posts, then those of ``including`` found further down
        (paging until all are seen or the feed ends: one missing is gone)."""
        ...


@dataclass(frozen=True)
class DetectionBatch:
    """Tracked enrollments on one platform whose feeds one task reads, an account's together.

    ``campaign_ids`` are the campaigns the run tracks: the due posts of theirs that the feeds
    read here show are polled with the same read.
    """

    platform: Platform
    campaign_ids: tuple[int, ...]
    enrollment_ids: tuple[int, ...]


@dataclass
class DetectionReport:
    accounts_read: int = 0
    posts_seen: int = 0
    new_deliverables: list[int] = field(default_factory=list)
    undisclosed: list[int] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)  # enrollment id -> reason
    quota_exhausted: bool = False  # the platform stopped this run's work (quota, throttle)
    deferred: str | None = None  # why, and when access returns
    snapshots: int = 0  # polls taken from the feeds read (``OwnerFeed`` platforms)
    gone: list[int] = field(default_factory=list)  # deliverables those feeds no longer show


def plan_detection(
    *, engine: Engine, campaign_slug: str | None, batch_size: int = 50
) -> list[DetectionBatch]:
    """Batches of at most ``batch_size`` accounts per platform, with their accepted/posted
    enrollments in every campaign the run tracks."""
    batches: list[DetectionBatch] = []
    with session_scope(engine) as session:
        campaign_ids = tuple(c.id for c in tracked_campaigns(session, campaign_slug))
        if not campaign_ids:
            return []
        rows = session.execute(
            select(Enrollment.id, Enrollment.account_id, Account.platform)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.campaign_id.in_(campaign_ids))
            .where(Enrollment.stage.in_(TRACKED_STAGES))
            .order_by(Account.platform, Enrollment.account_id, Enrollment.id)
        ).all()
    by_platform: dict[str, dict[int, list[int]]] = {}
    for enrollment_id, account_id, platform in rows:
        by_platform.setdefault(platform, {}).setdefault(account_id, []).append(enrollment_id)
    for platform, accounts in by_platform.items():
        groups = list(accounts.values())
        for start in range(0, len(groups), batch_size):
            chunk = tuple(e for group in groups[start : start + batch_size] for e in group)
            batches.append(DetectionBatch(Platform(platform), campaign_ids, chunk))
    return batches


@dataclass
class _Reading:
    """What a batch needs before its feeds are read."""

    campaigns: dict[int, StoredCampaign]
    ends_of: dict[int, datetime]  # tracked campaign id -> when its tracking ends
    accounts: dict[int, tuple[Account, list[Enrollment]]]
    due: dict[str, list[DueDeliverable]]  # owner handle -> due deliverables (``OwnerFeed``)


def _load(engine: Engine, batch: DetectionBatch, *, now: datetime, polls: bool) -> _Reading:
    with session_scope(engine) as session:
        pairs = session.execute(
            select(Enrollment, Account)
            .join(Account, Account.id == Enrollment.account_id)
            .where(Enrollment.id.in_(batch.enrollment_ids))
            .where(Enrollment.stage.in_(TRACKED_STAGES))
            .order_by(Enrollment.account_id, Enrollment.id)
        ).all()
        wanted = set(batch.campaign_ids) | {e.campaign_id for e, _ in pairs}
        campaigns = {cid: campaign_by_id(session, cid) for cid in sorted(wanted)}
        ends_of = {cid: campaigns[cid].spec.tracking_ends() for cid in batch.campaign_ids}
        accounts: dict[int, tuple[Account, list[Enrollment]]] = {}
        for enrollment, account in pairs:
            accounts.setdefault(account.id, (account, []))[1].append(enrollment)
        due: dict[str, list[DueDeliverable]] = {}
        if polls:
            for item in due_deliverables(session, ends_of=ends_of, now=now, account_ids=accounts):
                due.setdefault(item.owner, []).append(item)
        session.expunge_all()
    return _Reading(campaigns, ends_of, accounts, due)


def detect_deliverables(
    *,
    engine: Engine,
    clients: ClientFactory,
    batch: DetectionBatch,
    now: datetime,
    actor: str,
    recent_posts: int = RECENT_POSTS,
    throttle: Callable[[Platform, int], None] | None = None,
) -> DetectionReport:
    """Read each creator's recent posts and store the campaign posts among them.

    Reading happens outside any transaction; each creator's matches (and polls) are committed
    on their own, so a quota error half-way keeps what was found and the next run carries on.
    """
    report = DetectionReport()
    report.deferred = waiting(engine, batch.platform, now=now)
    if report.deferred is not None:  # a throttle still running: asking again prolongs it
        report.quota_exhausted = True
        return report
    client = clients(batch.platform)
    shared = isinstance(client, OwnerFeed)
    reading = _load(engine, batch, now=now, polls=shared)
    if throttle is not None and reading.accounts:
        # one reservation for the batch: a feed read costs the adapter's ``feed_read_calls``
        per_account = limits_of(batch.platform).feed_read_calls
        throttle(batch.platform, per_account * len(reading.accounts))
    for account, enrollments in reading.accounts.values():
        due = reading.due.get(account.handle, [])
        try:
            if isinstance(client, OwnerFeed):
                including = {d.post_id for d in due}
                posts = client.feed(profile_of(account), limit=recent_posts, including=including)
            else:
                posts = client.recent_posts(profile_of(account), limit=recent_posts)
        except (QuotaExhausted, Throttled) as error:  # the platform stops this run's work
            stop = note_deferral(engine, error, now=now, actor=actor)
            report.quota_exhausted = True
            report.deferred = stop.reason if stop is not None else str(error)
            break
        except AccountProblem as problem:  # this creator's account only: marked and named
            line = note_account_problem(
                engine,
                problem,
                platform=batch.platform,
                now=now,
                actor=actor,
                account_id=account.id,
            )
            report.failures.update({enrollment.id: line for enrollment in enrollments})
            continue
        except PermanentPlatformError as exc:  # per-account problems: this creator only
            report.failures.update({enrollment.id: str(exc) for enrollment in enrollments})
            continue
        if account.status in PROBLEM_VALUES:  # read fine again: the creator reconnected
            note_readable(engine, [account.id], now=now, actor=actor)
        report.accounts_read += 1
        report.posts_seen += len(posts)
        for enrollment in enrollments:
            campaign = reading.campaigns[enrollment.campaign_id]
            store_matches(engine, campaign, enrollment, posts, now=now, actor=actor, report=report)
        if shared:
            _poll_from_feed(engine, batch.platform, reading, account, posts, now, actor, report)
    return report


def _poll_from_feed(
    engine: Engine,
    platform: Platform,
    reading: _Reading,
    account: Account,
    posts: Sequence[Post],
    now: datetime,
    actor: str,
    report: DetectionReport,
) -> None:
    """Snapshots of the account's due deliverables (those just found too) from its feed read.

    Only posts the read looked for or returned are claimed: one it looked for and did not find
    is gone; any other is left to polling.
    """
    read = {d.post_id for d in reading.due.get(account.handle, [])} | {p.post_id for p in posts}
    with session_scope(engine) as session:
        due = due_deliverables(session, ends_of=reading.ends_of, now=now, account_ids=[account.id])
    due = [d for d in due if d.post_id in read]
    if not due:
        return
    ids, previous = [d.deliverable_id for d in due], [d.last_polled for d in due]
    claims = poll_claims.claim(engine, ids, previous, now=now)
    if not claims:
        return
    answer = {post.post_id: post.metrics for post in posts}
    inserted, gone = poll_claims.store(engine, platform, claims, answer, now=now, actor=actor)
    report.snapshots += inserted
    report.gone.extend(gone)
    captions = {p.post_id: replace(p.metrics, caption=Caption(p.title, p.text)) for p in posts}
    record_poll(engine=engine, claims=claims, answer=captions, gone=gone, now=now, actor=actor)


class FoundPosts(Protocol):
    """Where new deliverables are counted (a detection, brand-tags or mentions report);
    ``undisclosed``: those the campaign's disclosure rules judge missing or buried."""

    new_deliverables: list[int]
    undisclosed: list[int]


def store_matches(
    engine: Engine,
    campaign: StoredCampaign,
    enrollment: Enrollment,
    posts: Iterable[Post],
    *,
    now: datetime,
    actor: str,
    report: FoundPosts,
    tagged: str | None = None,
) -> None:
    """The campaign's posts among ``posts`` as deliverables of ``enrollment``; ``tagged`` is a
    username the posts tag in the photo, which counts as a mention of it."""
    terms = campaign.spec.terms()
    mention = f"@{tagged}" if tagged else None
    matched = [
        post
        for post in posts
        if match_post(
            title=post.title,
            text="\n".join(t for t in (post.text, mention) if t),
            published_at=post.published_at,
            terms=terms,
        )
    ]
    if not matched:
        return
    rules = campaign.spec.compliance.rules()  # the same judgement as the caption history's
    with session_scope(engine) as session:
        for post in matched:
            new_id = record_deliverable(
                session,
                enrollment=enrollment,
                campaign_id=campaign.id,
                post=post,
                provenance=Provenance.API,
                now=now,
                actor=actor,
                kind="deliverable_detected",
            )
            if new_id is not None:
                report.new_deliverables.append(new_id)
                judged = judge_caption(
                    post.title, post.text, rules=rules, paid_placement=post.paid_placement
                )
                if judged.verdict is not Verdict.DISCLOSED:
                    report.undisclosed.append(new_id)
        ids = {
            post_id: deliverable_id
            for post_id, deliverable_id in session.execute(
                select(Deliverable.post_id, Deliverable.id)
                .where(Deliverable.enrollment_id == enrollment.id)
                .where(Deliverable.post_id.in_([p.post_id for p in matched]))
            )
        }
    # every sighting checks the caption: a first version on detection, changes later (issue 16)
    seen = [
        Seen(ids[p.post_id], Caption(p.title, p.text), p.paid_placement)
        for p in matched
        if p.post_id in ids
    ]
    record_captions(engine=engine, seen=seen, now=now, actor=actor)


def undisclosed_split(*, engine: Engine, deliverable_ids: Sequence[int]) -> dict[str, int]:
    """How many of ``deliverable_ids`` (a run's ``undisclosed``) have no disclosure at all and
    how many bury it, by the verdict on the first caption version stored at detection."""
    counts = {Verdict.MISSING.value: 0, Verdict.BURIED.value: 0}
    if not deliverable_ids:
        return counts
    with session_scope(engine) as session:
        first = (
            select(CaptionVersion.deliverable_id, func.min(CaptionVersion.seq).label("seq"))
            .where(CaptionVersion.deliverable_id.in_(list(deliverable_ids)))
            .group_by(CaptionVersion.deliverable_id)
            .subquery()
        )
        for verdict, count in session.execute(
            select(CaptionVersion.verdict, func.count())
            .join(
                first,
                (first.c.deliverable_id == CaptionVersion.deliverable_id)
                & (first.c.seq == CaptionVersion.seq),
            )
            .group_by(CaptionVersion.verdict)
        ).tuples():
            if verdict in counts:
                counts[verdict] = int(count)
    return counts
