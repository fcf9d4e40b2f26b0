"""Engagement polling: due deliverables only, batched to each platform's maximum, one snapshot each.

A round is planned (``plan_polling``) and then worked batch by batch (``poll_batch``). Inside a
batch every platform call (50 YouTube ids, one Instagram creator, 20 TikTok ids) is stored and
committed as soon as it is answered, so a quota error ends the round with everything polled so
far stored, and the next round resumes with whatever is still due.

Overlapping rounds (two workers, a manual run during a scheduled one) are safe: a batch first
claims its deliverables (``poll_store.claim``: a compare-and-set on the ``last_polled_at`` seen
when planning), and the snapshot insert is ``ON CONFLICT DO NOTHING`` on (deliverable, taken_at).
"""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, model_validator
from sqlalchemy import Engine, func, or_, select

from creatorflow.domain.cadence import is_due
from creatorflow.domain.model import DeliverableStatus, Platform, Provenance
from creatorflow.platforms.base import PlatformClient, PostMetrics
from creatorflow.platforms.errors import PermanentPlatformError, QuotaExhausted
from creatorflow.services.tracking import poll_claims as poll_store
from creatorflow.services.tracking.campaign_terms import load_tracked
from creatorflow.services.tracking.deliverables import ClientFactory
from creatorflow.services.tracking.poll_claims import ACCOUNTS, DELIVERABLES, ENROLLMENTS, Claim
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import UTCDateTime

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
#: Most posts one task polls: a multiple of the call size, so only a round's last call is
#: partial. A task makes many calls in a row (task runs cost the orchestrator far more than
#: calls do); ``plan_polling`` splits a round into fewer, evenly sized batches when it can.
POSTS_PER_BATCH: dict[Platform, int] = {
    Platform.YOUTUBE: 1250,
    Platform.INSTAGRAM: 50,
    Platform.TIKTOK: 400,
}


class PollBatch(BaseModel):
    """Deliverables one task polls (a small value: ids only, safe as a task parameter).

    ``last_polled`` is each deliverable's ``last_polled_at`` when the round was planned: the
    claim stamps a row only if it still holds that value, i.e. no other run polled it since.
    """

    platform: Platform
    deliverable_ids: list[int]
    last_polled: list[datetime | None]
    requests: int  # API calls this batch needs

    @model_validator(mode="after")
    def _aligned(self) -> PollBatch:
        if len(self.last_polled) != len(self.deliverable_ids):
            raise ValueError("last_polled must give one value per deliverable id")
        return self


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
    last_polled: datetime | None


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


_D, _E, _A = DELIVERABLES.c, ENROLLMENTS.c, ACCOUNTS.c


def plan_polling(
    *, engine: Engine, campaign_slug: str | None, now: datetime, parallelism: int = 1
) -> list[PollBatch]:
    """The round's batches: live, API-tracked deliverables whose cadence says poll at ``now``.

    ``parallelism`` is how many batches the caller works at once: a round is split into a
    multiple of it (batches of even size, each at most ``POSTS_PER_BATCH``) so that no worker
    idles while another finishes a long last batch.
    """
    due: list[_Due] = []
    with session_scope(engine) as session:
        campaigns = {c.id: c for c in load_tracked(session, campaign_slug)}
        if not campaigns:
            return []
        # Core rows (no ORM loading): a round reads every tracked deliverable
        rows = (
            session.connection()
            .execute(
                select(
                    _D.id,
                    _D.platform,
                    _D.post_id,
                    func.coalesce(_D.posted_at, _D.detected_at, type_=UTCDateTime()),
                    _D.last_polled_at,
                    _E.campaign_id,
                    _A.handle,
                )
                .join(ENROLLMENTS, _E.id == _D.enrollment_id)
                .join(ACCOUNTS, _A.id == _E.account_id)
                .where(_E.campaign_id.in_(list(campaigns)))
                .where(_D.status == DeliverableStatus.LIVE.value)
                .where(_D.provenance == Provenance.API.value)
                # a post polled at or after ``now`` cannot be due (replays of earlier instants)
                .where(or_(_D.last_polled_at.is_(None), _D.last_polled_at < now))
                .order_by(_D.platform, _A.handle, _D.id)
            )
            .all()
        )
    for d_id, platform, post_id, posted, last_polled, campaign_id, handle in rows:
        ends = campaigns[campaign_id].tracking_ends
        if is_due(posted, last_polled, now=now, tracking_ends=ends):
            due.append(_Due(d_id, Platform(platform), post_id, handle, last_polled))
    return _batches(due, max(1, parallelism))


def _batch_size(limit: int, step: int, total: int, parallelism: int) -> int:
    """Posts per batch: at most ``limit``, a multiple of ``step``, as even as a multiple of
    ``parallelism`` batches allows."""
    count = math.ceil(total / limit)
    count = math.ceil(count / parallelism) * parallelism
    size = math.ceil(total / count)
    return min(limit, max(step, math.ceil(size / step) * step))


def _batches(due: Sequence[_Due], parallelism: int) -> list[PollBatch]:
    batches: list[PollBatch] = []
    for platform in Platform:
        items = [d for d in due if d.platform is platform]
        if not items:
            continue
        step = IDS_PER_CALL[platform] or 1
        if platform in PER_OWNER:
            groups: dict[str, list[_Due]] = {}
            for item in items:
                groups.setdefault(item.owner, []).append(item)
            limit = _batch_size(POSTS_PER_BATCH[platform], 1, len(items), parallelism)
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
        limit = _batch_size(POSTS_PER_BATCH[platform], step, len(posts), parallelism)
        for start in range(0, len(posts), limit):
            batches.append(
                _batch(platform, [d for group in posts[start : start + limit] for d in group])
            )
    return batches


def _batch(platform: Platform, items: Sequence[_Due]) -> PollBatch:
    return PollBatch(
        platform=platform,
        deliverable_ids=[d.deliverable_id for d in items],
        last_polled=[d.last_polled for d in items],
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
    fetch_threads: int = 0,
) -> PollReport:
    """Poll one batch: claim the deliverables still due, ask the platform call by call (each
    its maximum) and store every answer in its own transaction as it arrives. A quota error
    keeps what was answered and releases the rest for the next round.

    ``fetch_threads=0`` makes the calls in this thread, one after the other. With ``n`` threads
    up to ``n`` calls are in flight while this thread stores the answers; the first call goes
    alone, so a spent quota or a rejected key costs one request, not ``n``.
    """
    report = PollReport(platform=batch.platform)
    claimed = poll_store.claim(engine, batch.deliverable_ids, batch.last_polled, now=now)
    report.claimed = len(claimed)
    report.skipped = len(batch.deliverable_ids) - len(claimed)
    if not claimed:
        return report
    calls = _calls(batch.platform, claimed)
    if throttle is not None:
        throttle(batch.platform, len(calls))
    _Round(engine, clients(batch.platform), now=now, actor=actor, report=report).run(
        calls, fetch_threads
    )
    return report


#: What a call came to: its claims, the answer (None when it failed) and the failure.
_Outcome = tuple[list[Claim], dict[str, PostMetrics] | None, BaseException | None]


class _Round:
    """The calls of one batch: make them, store each answer, release what was not polled."""

    def __init__(
        self,
        engine: Engine,
        client: PlatformClient,
        *,
        now: datetime,
        actor: str,
        report: PollReport,
    ) -> None:
        self.engine = engine
        self.client = client
        self.now = now
        self.actor = actor
        self.report = report
        self.stop = threading.Event()  # quota spent or an unexpected error: no further calls

    def run(self, calls: list[list[Claim]], threads: int) -> None:
        todo = deque(calls)
        try:
            outcomes = self._threaded(todo, threads) if threads > 0 else self._here(todo)
            with closing(outcomes):
                self._consume(outcomes)
        finally:  # calls never made are released for the next round
            rest = [c for call in todo for c in call]
            todo.clear()
            if rest:
                self._release(rest)

    def _consume(self, outcomes: Iterator[_Outcome]) -> None:
        error: BaseException | None = None
        for call, answer, problem in outcomes:
            if answer is not None:
                try:
                    inserted, gone = poll_store.store(
                        self.engine,
                        self.report.platform,
                        call,
                        answer,
                        now=self.now,
                        actor=self.actor,
                    )
                except BaseException:
                    self.stop.set()
                    self._release(call)
                    raise
                self.report.requests += 1
                self.report.snapshots += inserted
                self.report.gone.extend(gone)
                continue
            self._release(call)
            if isinstance(problem, QuotaExhausted):
                self.stop.set()
                self.report.quota_exhausted = True
            elif isinstance(problem, PermanentPlatformError):  # this call only
                self.report.failures.append(str(problem))
            else:
                self.stop.set()
                error = error or problem
        if error is not None:
            raise error

    def _attempt(self, call: list[Claim]) -> _Outcome:
        post_ids = list(dict.fromkeys(c.post_id for c in call))
        owners = {c.post_id: c.owner for c in call}
        try:
            return call, self.client.current_metrics(post_ids, owners=owners), None
        except BaseException as exc:  # handed to the storing thread, which decides
            if isinstance(exc, QuotaExhausted) or not isinstance(exc, PermanentPlatformError):
                self.stop.set()  # only a single call's permanent error lets the others go on
            return call, None, exc

    def _here(self, todo: deque[list[Claim]]) -> Generator[_Outcome, None, None]:
        """One call after the other in this thread."""
        while todo and not self.stop.is_set():
            outcome = self._attempt(todo.popleft())
            yield outcome

    def _threaded(self, todo: deque[list[Claim]], threads: int) -> Generator[_Outcome, None, None]:
        """``threads`` helpers take calls off ``todo`` while this thread stores the answers.
        The first call goes alone: a spent quota or a rejected key costs one request."""
        answers: queue.SimpleQueue[_Outcome | None] = queue.SimpleQueue()
        opened = threading.Event()

        def work(first: bool) -> None:
            try:
                if not first:
                    opened.wait()
                while not self.stop.is_set():
                    try:
                        call = todo.popleft()
                    except IndexError:
                        break
                    answers.put(self._attempt(call))
                    opened.set()
            finally:
                opened.set()
                answers.put(None)

        helpers = [
            threading.Thread(target=work, args=(n == 0,), name="poll-fetch", daemon=True)
            for n in range(threads)
        ]
        for helper in helpers:
            helper.start()
        running = len(helpers)
        try:
            while running:
                outcome = answers.get()
                if outcome is None:
                    running -= 1
                else:
                    yield outcome
        finally:  # storing failed: let the helpers finish, release what they fetched
            self.stop.set()
            for helper in helpers:
                helper.join()
            while not answers.empty():
                left = answers.get()
                if left is not None:
                    self._release(left[0])

    def _release(self, claims: Sequence[Claim]) -> None:
        poll_store.release(self.engine, claims, now=self.now)
        self.report.claimed -= len(claims)


def _calls(platform: Platform, claims: Sequence[Claim]) -> list[list[Claim]]:
    """The claims split into the fewest platform calls (deliverables sharing a post together)."""
    size = IDS_PER_CALL[platform]
    groups: dict[str, dict[str, list[Claim]]] = {}
    for claim in claims:
        owner = claim.owner if platform in PER_OWNER else ""
        groups.setdefault(owner, {}).setdefault(claim.post_id, []).append(claim)
    calls: list[list[Claim]] = []
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
