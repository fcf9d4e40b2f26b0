"""Many machines, for real: Prefect server on PostgreSQL, deployments from prefect.yaml, 2 workers.

Runs are started the way an operator starts them (`prefect deployment run NAME --params -` with a
parameter file on stdin) and checked where an operator looks: creatorflow's PostgreSQL database and
the run's state and artifacts in the Prefect API.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from creatorflow.storage.db import engine_for
from creatorflow.storage.models import MetricSnapshot
from tests.e2e.conftest import AS_OF, SCALE_POSTS, SCALE_SLUG
from tests.e2e.stack import Stack

pytestmark = pytest.mark.slow


def _snapshots_at(creatorflow_url: str, taken_at: object) -> Counter[int]:
    with engine_for(creatorflow_url).connect() as conn:
        rows = conn.execute(
            select(MetricSnapshot.deliverable_id, func.count())
            .where(MetricSnapshot.taken_at == taken_at)
            .group_by(MetricSnapshot.deliverable_id)
        ).all()
    return Counter({deliverable: count for deliverable, count in rows})


def _worker_of(stack: Stack, run_id: str) -> set[str]:
    """Which workers' logs say they submitted the run."""
    return {
        s.name
        for s in stack.services
        if s.name.startswith("worker") and re.search(run_id, s.log.read_text(errors="replace"))
    }


def test_polling_1000_posts_on_two_workers_stores_every_snapshot_once(
    e2e_stack: Stack, e2e_databases: tuple[str, str]
) -> None:
    """Two overlapping polling runs, one per worker (each worker takes one run at a time):
    they split the posts between them and no snapshot is stored twice."""
    params = {"campaign_slug": SCALE_SLUG, "as_of": AS_OF.isoformat()}
    runs = [e2e_stack.run_deployment("poll-engagement/manual", params) for _ in range(2)]
    finished = [e2e_stack.wait_for_run(run, timeout=240) for run in runs]
    assert [r["state_type"] for r in finished] == ["COMPLETED", "COMPLETED"], e2e_stack.logs()

    per_post = _snapshots_at(e2e_databases[1], AS_OF)
    assert len(per_post) == SCALE_POSTS
    assert set(per_post.values()) == {1}
    assert _worker_of(e2e_stack, runs[0]) | _worker_of(e2e_stack, runs[1]) == {
        "worker-1",
        "worker-2",
    }
    with engine_for(e2e_databases[1]).connect() as conn:
        by_run = dict(
            conn.execute(
                select(MetricSnapshot.flow_run_id, func.count())
                .where(MetricSnapshot.taken_at == AS_OF)
                .group_by(MetricSnapshot.flow_run_id)
            ).all()
        )
    assert set(by_run) <= set(runs)
    assert sum(by_run.values()) == SCALE_POSTS
    progress = [a for r in runs for a in e2e_stack.artifacts(r) if a["type"] == "progress"]
    assert progress and all(a["data"] == 100.0 for a in progress)


def test_an_overlapping_tracking_run_is_cancelled_not_run_twice(
    e2e_stack: Stack, e2e_databases: tuple[str, str]
) -> None:
    """track-campaigns/hourly has a deployment concurrency limit of 1 with CANCEL_NEW."""
    as_of = AS_OF + timedelta(hours=1)
    params = {"campaign_slug": SCALE_SLUG, "as_of": as_of.isoformat()}
    runs = [e2e_stack.run_deployment("track-campaigns/hourly", params) for _ in range(2)]
    states = sorted(e2e_stack.wait_for_run(run, timeout=240)["state_type"] for run in runs)
    assert states == ["CANCELLED", "COMPLETED"], e2e_stack.logs()
    completed = next(
        e2e_stack.api("GET", f"/flow_runs/{run}")
        for run in runs
        if e2e_stack.api("GET", f"/flow_runs/{run}")["state_type"] == "COMPLETED"
    )
    assert completed["name"] == f"track-{SCALE_SLUG}-{as_of:%Y-%m-%dT%H:%M}"
    per_post = _snapshots_at(e2e_databases[1], as_of)
    assert len(per_post) == SCALE_POSTS
    assert set(per_post.values()) == {1}
