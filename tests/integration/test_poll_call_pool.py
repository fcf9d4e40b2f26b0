"""One pool of call threads for every batch a process polls (``CallPool``), and the plan's
instants read once per distinct value: the same posts polled once each, the same claims."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import Caption, PostMetrics
from creatorflow.platforms.errors import QuotaExhausted
from creatorflow.services.tracking import poll_claims, polling
from creatorflow.services.tracking.call_pool import CallPool
from creatorflow.storage.models import Deliverable, MetricSnapshot
from tests.support.builders import add_live_videos

ACTOR = "flow-run:0c11b001"


class _Client:
    """Answers after a short wait, counting the calls in flight; ``quota`` spends it at once."""

    platform = Platform.YOUTUBE

    def __init__(self, *, quota: bool = False) -> None:
        self.quota = quota
        self.calls = 0
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def current_metrics(self, post_ids: list[str], *, owners: Any) -> dict[str, PostMetrics]:
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            if self.quota:
                raise QuotaExhausted("youtube", "quotaExceeded")
            time.sleep(0.01)  # long enough for the calls of both batches to overlap
            return {
                p: PostMetrics(views=5, caption=Caption(title="#ad", text=None)) for p in post_ids
            }
        finally:
            with self._lock:
                self.in_flight -= 1


def _batch(ids: list[int]) -> polling.PollBatch:
    return polling.PollBatch(
        platform=Platform.YOUTUBE,
        deliverable_ids=ids,
        last_polled=[None] * len(ids),
        requests=-(-len(ids) // 50),
    )


def test_a_call_pool_runs_at_most_its_size_at_once_and_every_job_once() -> None:
    pool = CallPool(2)
    running, peak, done = 0, 0, []
    lock = threading.Lock()
    finished = threading.Semaphore(0)

    def job(n: int) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
            done.append(n)
        finished.release()

    with pool:
        for n in range(6):
            pool.submit(lambda n=n: job(n))  # type: ignore[misc]
        for _ in range(6):
            assert finished.acquire(timeout=10)
    assert (peak, sorted(done)) == (2, list(range(6)))


def test_a_batchs_first_call_goes_ahead_of_the_calls_waiting() -> None:
    """A new batch's other calls wait for its first: it must not queue behind the others'."""
    order: list[str] = []
    held, finished = threading.Event(), threading.Semaphore(0)

    def hold() -> None:
        held.wait(10)

    def note(name: str) -> None:
        order.append(name)
        finished.release()

    with CallPool(1) as pool:
        pool.submit(hold)  # the pool's one thread is busy while the others queue
        pool.submit(lambda: note("waiting"), 2)
        pool.submit(lambda: note("first"), first=True)
        held.set()
        for _ in range(3):
            assert finished.acquire(timeout=10)
    assert order == ["first", "waiting", "waiting"]


def test_two_batches_on_one_pool_share_its_calls_and_store_every_snapshot_once(
    engine: Engine, now: datetime
) -> None:
    ids = add_live_videos(engine, now, 400)  # two batches of 200 posts: 4 calls each
    client = _Client()
    pool = CallPool(3)
    reports: list[polling.PollReport] = []

    def poll(part: list[int]) -> None:
        reports.append(
            polling.poll_batch(
                engine=engine,
                clients=lambda _platform: client,  # type: ignore[arg-type,return-value]
                batch=_batch(part),
                now=now,
                actor=ACTOR,
                call_pool=pool,
            )
        )

    with pool:
        workers = [threading.Thread(target=poll, args=(part,)) for part in (ids[:200], ids[200:])]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
    assert sorted((r.claimed, r.requests, r.snapshots) for r in reports) == [(200, 4, 200)] * 2
    assert client.calls == 8 and 1 < client.peak <= 3  # the pool's three threads, no more
    with engine.connect() as conn:
        per_post = dict(
            conn.execute(
                select(MetricSnapshot.deliverable_id, func.count()).group_by(
                    MetricSnapshot.deliverable_id
                )
            ).all()
        )
    assert per_post == {d: 1 for d in ids}


def test_a_spent_quota_on_the_pool_costs_one_call_and_releases_the_batch(
    engine: Engine, now: datetime
) -> None:
    ids = add_live_videos(engine, now, 200)
    spent = _Client(quota=True)
    with CallPool(4) as pool:
        report = polling.poll_batch(
            engine=engine,
            clients=lambda _platform: spent,  # type: ignore[arg-type,return-value]
            batch=_batch(ids),
            now=now,
            actor=ACTOR,
            call_pool=pool,
        )
    assert (report.quota_exhausted, report.claimed, report.snapshots, spent.calls) == (
        True,
        0,
        0,
        1,  # the first call goes alone: the other three were never asked
    )
    # released: the same plan claims every post again
    assert len(poll_claims.claim(engine, ids, [None] * len(ids), now=now)) == 200


def test_the_plan_carries_each_posts_last_poll_exactly_as_stored(
    engine: Engine, now: datetime
) -> None:
    """The instants are converted once per distinct value: the plan still holds what the
    database holds (aware UTC), so the compare-and-set claim finds every post."""
    ids = add_live_videos(engine, now, 120)
    polled = [now + timedelta(minutes=m, microseconds=7) for m in (5, 10)]
    with engine.begin() as conn:
        for n, at in enumerate(polled):
            conn.execute(
                update(Deliverable).where(Deliverable.id.in_(ids[n::3])).values(last_polled_at=at)
            )
    at = now + timedelta(hours=2)
    [batch] = polling.plan_polling(engine=engine, campaign_slug=None, now=at)
    planned = dict(zip(batch.deliverable_ids, batch.last_polled, strict=True))
    assert sorted(planned) == ids
    expected = {d: None for d in ids} | {d: polled[0] for d in ids[0::3]}
    expected |= {d: polled[1] for d in ids[1::3]}
    assert planned == expected
    assert all(
        v is None or v.tzinfo is not None and v.utcoffset() == UTC.utcoffset(v)
        for v in planned.values()
    )
    claimed = poll_claims.claim(engine, batch.deliverable_ids, batch.last_polled, now=at)
    assert sorted(c.deliverable_id for c in claimed) == ids


def test_a_stored_answer_keeps_each_count_and_each_missing_one(
    engine: Engine, now: datetime
) -> None:
    """PostgreSQL's snapshots go as array text: counts, absent counts and large ones intact."""
    ids = add_live_videos(engine, now, 3)
    claims = poll_claims.claim(engine, ids, [None] * 3, now=now)
    answer = {
        "video000000": PostMetrics(views=0, likes=None, comments=3, shares=None, saves=None),
        "video000001": PostMetrics(views=2**40, likes=7, comments=None, shares=4, saves=None),
        "video000002": PostMetrics(views=None, likes=None, comments=None, shares=None, saves=None),
    }
    inserted, gone = poll_claims.store(
        engine, Platform.YOUTUBE, claims, answer, now=now, actor=ACTOR
    )
    again, _ = poll_claims.store(engine, Platform.YOUTUBE, claims, answer, now=now, actor=ACTOR)
    assert (inserted, gone, again) == (3, [], 0)  # stored once: the second is a conflict
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                MetricSnapshot.views,
                MetricSnapshot.likes,
                MetricSnapshot.comments,
                MetricSnapshot.shares,
                MetricSnapshot.saves,
            ).order_by(MetricSnapshot.deliverable_id)
        ).all()
    assert [tuple(r) for r in rows] == [
        (0, None, 3, None, None),
        (2**40, 7, None, 4, None),
        (None, None, None, None, None),
    ]
