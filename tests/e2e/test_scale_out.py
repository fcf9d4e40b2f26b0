"""Many machines, for real: Prefect server on PostgreSQL, deployments from prefect.yaml, 2 workers.

Runs are started the way an operator starts them (`prefect deployment run NAME --params -` with a
parameter file on stdin) and checked where an operator looks: creatorflow's PostgreSQL database and
the run's state and artifacts in the Prefect API.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from creatorflow.deployments import DEPLOYMENTS, WORK_POOL
from creatorflow.storage.db import engine_for
from creatorflow.storage.models import Campaign, Enrollment, MetricSnapshot, OutreachMessage
from tests.e2e.conftest import AS_OF, SCALE_POSTS, SCALE_SLUG
from tests.e2e.stack import PROJECT_ROOT, Stack
from tests.support.worlds import LAUNCH_SLUG, prepare_launch

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
    runs = e2e_stack.run_deployments_together("poll-engagement/manual", params, 2)
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
    runs = e2e_stack.run_deployments_together("track-campaigns/hourly", params, 2)
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


def test_launch_campaign_deployment_run_with_a_parameter_file_sends_the_first_emails(
    e2e_stack: Stack, e2e_databases: tuple[str, str], tmp_path: Path
) -> None:
    creatorflow_url = e2e_databases[1]
    params = prepare_launch(engine_for(creatorflow_url), tmp_path, AS_OF)
    outbox = e2e_stack.workdir / "outbox" / "new"
    before = set(outbox.iterdir()) if outbox.exists() else set()

    run_id = e2e_stack.run_deployment("launch-campaign/manual", params)
    run = e2e_stack.wait_for_run(run_id, timeout=180)

    assert run["state_type"] == "COMPLETED", e2e_stack.run_logs(run_id) + e2e_stack.logs()
    assert run["name"] == f"launch-{LAUNCH_SLUG}"
    with engine_for(creatorflow_url).connect() as conn:
        stages = Counter(
            dict(
                conn.execute(
                    select(Enrollment.stage, func.count())
                    .join(Campaign, Campaign.id == Enrollment.campaign_id)
                    .where(Campaign.slug == LAUNCH_SLUG)
                    .group_by(Enrollment.stage)
                ).all()
            )
        )
        sent = conn.execute(
            select(OutreachMessage.status, OutreachMessage.flow_run_id)
            .join(Enrollment, Enrollment.id == OutreachMessage.enrollment_id)
            .join(Campaign, Campaign.id == Enrollment.campaign_id)
            .where(Campaign.slug == LAUNCH_SLUG, OutreachMessage.step == "initial")
        ).all()
    assert stages == {"contacted": 10}
    assert [status for status, _ in sent] == ["sent"] * 10
    assert {flow_run for _, flow_run in sent} == {run_id}
    assert len(set(outbox.iterdir()) - before) == 10
    keys = {a["key"] for a in e2e_stack.artifacts(run_id)}
    assert {f"shortlist-{LAUNCH_SLUG}", f"send-results-{LAUNCH_SLUG}"} <= keys


def test_prefect_deploy_all_registers_every_deployment_for_the_work_pool(e2e_stack: Stack) -> None:
    for deployment in DEPLOYMENTS:
        found = e2e_stack.api("GET", f"/deployments/name/{deployment.full_name}")
        assert found["work_pool_name"] == WORK_POOL, deployment.full_name
        crons = [s["schedule"].get("cron") for s in found["schedules"]]
        assert crons == ([deployment.cron] if deployment.cron else []), deployment.full_name
        assert found["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_ROOT)}}
        ]
    tracking = e2e_stack.api("GET", "/deployments/name/track-campaigns/hourly")
    assert tracking["global_concurrency_limit"]["limit"] == 1
    assert tracking["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"
