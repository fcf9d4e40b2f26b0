"""Engagement polling at scale: 10,000 YouTube posts, 50 ms server latency.

Compares one polling round of the ``poll-engagement`` flow (the polling part of
``track-campaigns``: plan, claim, videos.list 50 ids a call, each answer's snapshots committed as
it arrives, strict rate limits, progress artifact) with a hand-written loop doing the same calls
(videos.list 50 ids a call with ``requests`` at the same concurrency, snapshots inserted with
``executemany``) in the same run, against the same sandbox server. "Same concurrency" is
``POLL_CONCURRENCY``: the platform calls the flow keeps in flight (poll-metrics tasks at once times
each task's fetch threads). Both sides run after one warm-up flow call, which starts the ephemeral
Prefect server once per process. Prints the time ratio (goal <= 1.25x), the Prefect task runs of
the round (goal <= ceil(N/50) + 10) and the peak RSS (goal <= 500 MB).
"""

from __future__ import annotations

import math
import os
import resource
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTS = int(os.environ.get("BENCH_POSTS", "10000"))
CHANNELS = max(1, POSTS // 50)
LATENCY = 0.05
NOW = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)


def seed(world, url: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from creatorflow.domain.campaign import CampaignSpec
    from creatorflow.storage.db import engine_for
    from creatorflow.storage.models import (
        Account,
        Campaign,
        Creator,
        Deliverable,
        Enrollment,
    )

    engine = engine_for(url)
    # stored as launch stores it: the validated campaign file (every read validates it again)
    spec = CampaignSpec.model_validate(
        {
            "slug": "bench",
            "name": "Bench",
            "brand": "B",
            "platforms": ["youtube"],
            "window": {"start": "2027-03-01", "end": "2027-04-30"},
            "hashtags": ["springglow"],
            "budget": "0",
            "currency": "USD",
            "selection": {"tiers": {"micro": 1}},
            "offer": {"micro": "0"},
        }
    ).model_dump(mode="json")
    creators, accounts, enrollments, deliverables = [], [], [], []
    per = POSTS // CHANNELS
    for c in range(CHANNELS):
        handle = f"bench{c}"
        account = world.add_account("youtube", handle, followers=50_000)
        ident = c + 1
        creators.append(
            dict(
                id=ident,
                name=handle,
                email=f"{handle}@x.example",
                lawful_basis="bench",
                source="bench",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        accounts.append(
            dict(
                id=ident,
                creator_id=ident,
                platform="youtube",
                handle=handle,
                external_id=account.external_id,
                followers=50_000,
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        enrollments.append(
            dict(
                id=ident,
                campaign_id=1,
                creator_id=ident,
                account_id=ident,
                stage="posted",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        for n in range(per):
            post = world.add_post(
                "youtube",
                handle,
                title=f"#springglow {n}",
                published_at=NOW - timedelta(days=3),
                views=1000 + n,
                likes=10,
                comments=1,
            )
            deliverables.append(
                dict(
                    enrollment_id=ident,
                    platform="youtube",
                    post_id=post.post_id,
                    provenance="api",
                    status="live",
                    posted_at=NOW - timedelta(days=3),
                    detected_at=NOW - timedelta(days=3),
                    last_polled_at=NOW - timedelta(hours=2),
                )
            )
    with engine.begin() as conn:
        conn.execute(
            insert(Campaign),
            [
                dict(
                    id=1,
                    slug="bench",
                    name="Bench",
                    brand="B",
                    spec=spec,
                    spec_sha256="0" * 64,
                    status="active",
                    created_at=NOW,
                )
            ],
        )
        conn.execute(insert(Creator), creators)
        conn.execute(insert(Account), accounts)
        conn.execute(insert(Enrollment), enrollments)
        conn.execute(insert(Deliverable), deliverables)


def baseline(db_path: str, base_url: str, key: str, concurrency: int) -> float:
    """The hand-written loop: batched videos.list at the same concurrency, executemany inserts."""
    import requests

    conn = sqlite3.connect(db_path, check_same_thread=False)
    rows = conn.execute("select id, post_id from deliverables order by id").fetchall()
    conn.execute(
        "create table bench_snapshots (deliverable_id int, taken_at text, views int,"
        " likes int, comments int, unique (deliverable_id, taken_at))"
    )
    by_post = {post_id: ident for ident, post_id in rows}
    chunks = [rows[i : i + 50] for i in range(0, len(rows), 50)]
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency)
    session.mount("http://", adapter)
    taken = NOW.isoformat()

    def fetch(chunk: list[tuple[int, str]]) -> list[tuple[int, str, int, int, int]]:
        answer = session.get(
            f"{base_url}/youtube/v3/videos",
            params={
                "part": "snippet,statistics",
                "id": ",".join(p for _, p in chunk),
                "key": key,
                "maxResults": 50,
            },
            timeout=(5, 30),
        ).json()
        return [
            (
                by_post[item["id"]],
                taken,
                int(item["statistics"].get("viewCount", 0)),
                int(item["statistics"].get("likeCount", 0)),
                int(item["statistics"].get("commentCount", 0)),
            )
            for item in answer.get("items", [])
        ]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for result in pool.map(fetch, chunks):
            conn.executemany("insert or ignore into bench_snapshots values (?,?,?,?,?)", result)
            conn.commit()
    elapsed = time.perf_counter() - start
    stored = conn.execute("select count(*) from bench_snapshots").fetchone()[0]
    conn.close()
    session.close()
    assert stored == POSTS, stored
    return elapsed


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    os.environ["PREFECT_HOME"] = str(tmp / "prefect")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    # prefect.md pitfall 2: the ephemeral SQLite server answers "database is locked" otherwise
    os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED"] = "false"
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from creatorflow.sandbox import SANDBOX_YOUTUBE_KEY, SandboxServers, World
    from creatorflow.settings import get_settings
    from creatorflow.storage.migrate import upgrade

    db = tmp / "bench.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    world = World(now=NOW)
    with (
        SandboxServers(world) as sandbox,
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        seed(world, url)
        for name, value in sandbox.env().items():
            os.environ[name] = value
        os.environ["CREATORFLOW_DATABASE_URL"] = url
        get_settings.cache_clear()
        from flows.tracking import POLL_CONCURRENCY, poll_engagement

        if os.environ.get("BENCH_NO_THROTTLE"):  # profiling switch
            import flows.tracking

            flows.tracking.throttle = lambda platform, requests: None

        start = time.perf_counter()
        poll_engagement(campaign_slug="bench", as_of=NOW - timedelta(days=10))  # warm up
        print(f"warm-up flow run (nothing due): {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        poll_engagement(campaign_slug="bench", as_of=NOW - timedelta(days=10))
        fixed = time.perf_counter() - start
        print(f"second empty flow run (fixed overhead): {fixed:.2f} s")
        sandbox.youtube.fail("slow", delay=LATENCY, times=None)

        base = baseline(str(db), sandbox.urls.youtube, SANDBOX_YOUTUBE_KEY, POLL_CONCURRENCY)
        sandbox.youtube.clear_log()
        start = time.perf_counter()
        result = poll_engagement(campaign_slug="bench", as_of=NOW)
        ours = time.perf_counter() - start
        calls = sandbox.youtube.calls("/videos")
        sandbox.youtube.clear_faults()

    assert result["snapshots"] == POSTS, result
    task_runs = result["batches"] + 1  # plan-polling + one poll-metrics task per batch
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ratio = ours / base
    task_goal = math.ceil(POSTS / 50) + 10
    print(f"posts {POSTS}, latency {LATENCY * 1000:.0f} ms, concurrency {POLL_CONCURRENCY}")
    print(f"hand-written batched loop: {base:.2f} s; poll-engagement flow: {ours:.2f} s")
    print(f"videos.list calls: {calls} (minimum {math.ceil(POSTS / 50)})")
    print(
        f"task runs per round: {task_runs} (goal <= {task_goal}) "
        f"{'met' if task_runs <= task_goal else 'MISSED'}"
    )
    print(f"ratio without the fixed per-flow-run overhead: {(ours - fixed) / base:.2f}x")
    print(f"peak RSS: {rss_mb:.0f} MB (goal <= 500) {'met' if rss_mb <= 500 else 'MISSED'}")
    print(f"poll_engagement {ratio:.2f}x goal <=1.25x {'met' if ratio <= 1.25 else 'MISSED'}")


if __name__ == "__main__":
    main()
