"""Engagement polling: due deliverables only, batched to each platform's maximum, one snapshot each.

A round is planned (``plan_polling``, in ``poll_planning``) and then worked batch by batch
(``poll_batch``). Inside a batch every platform call (as many ids as the adapter's
``ids_per_call``: 50 YouTube ids, one Instagram creator, 20 TikTok ids) is stored and
committed as soon as it is answered (with any other answers that arrived while the last ones
were stored: one commit for them all), so a quota error ends the round with everything polled
so far stored, and the next round resumes with whatever is still due.

Overlapping rounds (two workers, a manual run during a scheduled one) are safe: a batch first
claims its deliverables (``poll_claims.claim``: a compare-and-set on the ``last_polled_at`` seen
when planning), and the snapshot insert is ``ON CONFLICT DO NOTHING`` on (deliverable, taken_at).
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import PlatformClient, PostMetrics
from creatorflow.platforms.errors import (
    AccountProblem,
    PermanentPlatformError,
    QuotaExhausted,
    Throttled,
)
from creatorflow.platforms.registry import limits_of
from creatorflow.services.tracking import poll_claims as poll_store
from creatorflow.services.tracking.account_problems import (
    note_account_problem,
    note_deferral,
    waiting,
)
from creatorflow.services.tracking.call_pool import CallPool
from creatorflow.services.tracking.compliance import latest_hashes, record_poll
from creatorflow.services.tracking.deliverables import ClientFactory
from creatorflow.services.tracking.poll_claims import Claim
from creatorflow.services.tracking.poll_planning import PollBatch, plan_polling

__all__ = ["CallPool", "PollBatch", "PollReport", "plan_polling", "poll_batch", "poll_round"]


@dataclass
class PollReport:
    platform: Platform
    claimed: int = 0
    snapshots: int = 0
    gone: list[int] = field(default_factory=list)
    skipped: int = 0  # no longer due, or held by another run
    requests: int = 0
    quota_exhausted: bool = False  # the platform stopped this run's work (quota, throttle)
    deferred: str | None = None  # why, and when access returns
    failures: list[str] = field(default_factory=list)  # permanent errors of single calls


def poll_batch(
    *,
    engine: Engine,
    clients: ClientFactory,
    batch: PollBatch,
    now: datetime,
    actor: str,
    throttle: Callable[[Platform, int], None] | None = None,
    fetch_threads: int = 0,
    calls_in_flight: threading.Semaphore | None = None,
    call_pool: CallPool | None = None,
) -> PollReport:
    """Poll one batch: claim the deliverables still due, ask the platform call by call (each
    its maximum) and store every answer in its own transaction as it arrives. A quota error
    keeps what was answered and releases the rest for the next round.

    ``fetch_threads=0`` makes the calls in this thread, one after the other. With ``n`` threads
    up to ``n`` calls are in flight while this thread stores the answers; the first call goes
    alone, so a spent quota or a rejected key costs one request, not ``n``.

    ``calls_in_flight``, shared by the batches a process works at once, caps their calls in
    flight together: each batch may have more fetch threads than its share, so while one batch
    claims its rows (or its task starts) the others' threads keep every slot busy.

    ``call_pool`` (the process's ``CallPool``: what the poll-metrics task passes) makes the
    calls on the pool's threads instead, as many in flight as it has threads; the fetch threads
    and ``calls_in_flight`` are then not used.
    """
    report = PollReport(platform=batch.platform)
    report.deferred = waiting(engine, batch.platform, now=now)
    if report.deferred is not None:  # a throttle still running: asking again prolongs it
        report.quota_exhausted = True
        return report
    claimed = poll_store.claim(engine, batch.deliverable_ids, batch.last_polled, now=now)
    report.claimed = len(claimed)
    report.skipped = len(batch.deliverable_ids) - len(claimed)
    if not claimed:
        return report
    calls = _calls(batch.platform, claimed)
    if throttle is not None:
        throttle(batch.platform, len(calls))
    # the posts' latest caption hashes, read once: each answer's captions are compared with them
    known = latest_hashes(engine, [c.deliverable_id for c in claimed])
    _Round(
        engine,
        clients(batch.platform),
        now=now,
        actor=actor,
        report=report,
        known=known,
        gate=calls_in_flight,
        pool=call_pool,
    ).run(calls, fetch_threads)
    return report


#: Answers stored in one transaction at most: those waiting when the storing thread is free.
ANSWERS_PER_COMMIT = 20

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
        known: dict[int, str] | None = None,
        gate: threading.Semaphore | None = None,
        pool: CallPool | None = None,
    ) -> None:
        self.engine = engine
        self.pool = pool  # the process's call threads (``poll_batch``)
        self.gate = gate  # calls in flight across the process's batches (``poll_batch``)
        self.known = known  # deliverable -> latest caption hash (``record_captions``)
        self.client = client
        self.now = now
        self.actor = actor
        self.report = report
        self.stop = threading.Event()  # quota spent or an unexpected error: no further calls
        self.autocommit: Connection | None = None  # the batch's store connection (``run``)

    def run(self, calls: list[list[Claim]], threads: int) -> None:
        todo = deque(calls)
        try:
            if self.pool is not None:
                outcomes = self._pooled(todo, self.pool)
            elif threads > 0:
                outcomes = self._threaded(todo, threads)
            else:
                outcomes = self._here(todo)
            # one connection for the batch's snapshots (PostgreSQL), not one per answer
            with poll_store.storing(self.engine) as self.autocommit, closing(outcomes):
                self._consume(outcomes)
        finally:  # calls never made are released for the next round
            self.autocommit = None
            rest = [c for call in todo for c in call]
            todo.clear()
            if rest:
                self._release(rest)

    def _consume(self, outcomes: Iterator[list[_Outcome]]) -> None:
        error: BaseException | None = None
        for group in outcomes:
            failed = [(call, problem) for call, answer, problem in group if answer is None]
            if failed:  # nothing to store for them: the next round asks again
                self._release([c for call, _ in failed for c in call])
            answered = [(call, answer) for call, answer, _ in group if answer is not None]
            if answered:
                self._store(answered)
            for _, problem in failed:
                unexpected = self._failure(problem)
                error = error or unexpected
        if error is not None:
            raise error

    def _store(self, answered: list[tuple[list[Claim], dict[str, PostMetrics]]]) -> None:
        """The answers that arrived while the last ones were stored, in one transaction: the
        same rows and events as one by one, and fewer commits when the database is what
        the round waits for (each commit syncs SQLite's log to disk)."""
        claims = [c for call, _ in answered for c in call]
        # a post is in one call of a batch only (``_calls``): the answers do not overlap
        merged = {post: m for _, answer in answered for post, m in answer.items()}
        try:
            inserted, gone = poll_store.store(
                self.engine,
                self.report.platform,
                claims,
                merged,
                now=self.now,
                actor=self.actor,
                autocommit=self.autocommit,
            )
        except BaseException:
            self.stop.set()
            self._release(claims)
            raise
        self.report.requests += len(answered)
        self.report.snapshots += inserted
        self.report.gone.extend(gone)
        # the captions the answers carried, and early removals (issue 16)
        record_poll(
            engine=self.engine,
            claims=claims,
            answer=merged,
            gone=gone,
            now=self.now,
            actor=self.actor,
            known=self.known,
        )

    def _failure(self, problem: BaseException | None) -> BaseException | None:
        """Note a failed call (its claims are released); an unexpected error is returned."""
        if isinstance(problem, QuotaExhausted | Throttled):  # this run's work stops here
            self.stop.set()
            self.report.quota_exhausted = True
            if self.report.deferred is None:
                stop = note_deferral(self.engine, problem, now=self.now, actor=self.actor)
                self.report.deferred = stop.reason if stop is not None else str(problem)
        elif isinstance(problem, AccountProblem):  # the owner's account only: marked, named
            self.report.failures.append(
                note_account_problem(
                    self.engine,
                    problem,
                    platform=self.report.platform,
                    now=self.now,
                    actor=self.actor,
                )
            )
        elif isinstance(problem, PermanentPlatformError):  # this call only
            self.report.failures.append(str(problem))
        else:
            self.stop.set()
            return problem
        return None

    def _attempt(self, call: list[Claim]) -> _Outcome:
        post_ids = list(dict.fromkeys(c.post_id for c in call))
        owners = {c.post_id: c.owner for c in call}
        try:
            if self.gate is None:
                return call, self.client.current_metrics(post_ids, owners=owners), None
            with self.gate:
                if self.stop.is_set():  # stopped while waiting for a slot: not asked
                    return call, None, None
                return call, self.client.current_metrics(post_ids, owners=owners), None
        except BaseException as exc:  # handed to the storing thread, which decides
            if isinstance(exc, QuotaExhausted) or not isinstance(exc, PermanentPlatformError):
                self.stop.set()  # only a single call's permanent error lets the others go on
            return call, None, exc

    def _here(self, todo: deque[list[Claim]]) -> Generator[list[_Outcome], None, None]:
        """One call after the other in this thread, each answer stored before the next call."""
        while todo and not self.stop.is_set():
            outcome = self._attempt(todo.popleft())
            yield [outcome]

    def _threaded(
        self, todo: deque[list[Claim]], threads: int
    ) -> Generator[list[_Outcome], None, None]:
        """``_pooled`` on ``threads`` threads of this batch's own (ended with it)."""
        with CallPool(threads) as pool:
            yield from self._pooled(todo, pool)

    def _pooled(
        self, todo: deque[list[Claim]], pool: CallPool
    ) -> Generator[list[_Outcome], None, None]:
        """The calls made on ``pool``'s threads while this thread stores the answers: each
        time, all those that arrived meanwhile (at most ``ANSWERS_PER_COMMIT``). One job per
        call, taking it off ``todo`` only once a thread is free for it, so after a stop the
        calls not made are still there (released). The first call goes alone: a spent quota
        or a rejected key costs one request."""
        answers: queue.SimpleQueue[_Outcome | None] = queue.SimpleQueue()
        pending = 0

        def job() -> None:
            outcome: _Outcome | None = None
            try:
                if not self.stop.is_set() and todo:
                    outcome = self._attempt(todo.popleft())
            except IndexError:  # another job took the last call
                pass
            finally:
                answers.put(outcome)

        def send(count: int, *, first: bool = False) -> None:
            nonlocal pending
            pending += count
            pool.submit(job, count, first=first)

        send(1, first=True)  # ahead of other batches' calls: this batch's others wait for it
        opened = False
        try:
            while pending:
                group: list[_Outcome] = []
                outcome = answers.get()
                pending -= 1
                while True:
                    if outcome is not None:
                        group.append(outcome)
                    if not opened:  # the first call is answered: the others may go
                        opened = True
                        if not self.stop.is_set():
                            send(len(todo))
                    if len(group) >= ANSWERS_PER_COMMIT or not pending:
                        break
                    try:
                        outcome = answers.get_nowait()
                    except queue.Empty:
                        break
                    pending -= 1
                if group:
                    yield group
        finally:  # storing failed: the jobs not run yet ask nothing; release what was fetched
            self.stop.set()
            while pending:
                left = answers.get()
                pending -= 1
                if left is not None:
                    self._release(left[0])

    def _release(self, claims: Sequence[Claim]) -> None:
        poll_store.release(self.engine, claims, now=self.now)
        self.report.claimed -= len(claims)


def _calls(platform: Platform, claims: Sequence[Claim]) -> list[list[Claim]]:
    """The claims split into the fewest platform calls (deliverables sharing a post together)."""
    limits = limits_of(platform)
    size = limits.ids_per_call
    groups: dict[str, dict[str, list[Claim]]] = {}
    for claim in claims:
        owner = claim.owner if limits.per_owner else ""
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
