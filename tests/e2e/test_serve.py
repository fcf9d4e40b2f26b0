"""One machine: `prefect server start` (SQLite) + `creatorflow serve`, runs started by the CLI.

The same operator command as with workers (`prefect deployment run 'launch-campaign/manual'`
with a parameter file) must work against the deployments `creatorflow serve` registers, with
their schedules, and on creatorflow's default database, SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from creatorflow.deployments import DEPLOYMENTS
from creatorflow.storage.db import engine_for
from creatorflow.storage.migrate import upgrade
from creatorflow.storage.models import Campaign, Enrollment, OutreachMessage
from tests.e2e.conftest import AS_OF, stack_env
from tests.e2e.stack import BIN, Stack
from tests.support.servers import free_port
from tests.support.worlds import LAUNCH_SLUG, prepare_launch

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    """A Prefect server on SQLite and `creatorflow serve` against it; creatorflow on SQLite."""
    database = tmp_path / "creatorflow.db"
    creatorflow_url = f"sqlite:///{database}"
    upgrade(creatorflow_url)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    stack = Stack(
        workdir=tmp_path, env=stack_env(tmp_path, api_url, creatorflow_url), api_url=api_url
    )
    try:
        stack.env.update(
            PREFECT_UI_ENABLED="false", PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false"
        )
        server = stack.start(
            "server",
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        )
        stack.wait_healthy(server)
        serve = stack.start("serve", [str(BIN / "creatorflow"), "serve"], cwd=tmp_path)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if serve.process.poll() is not None:
                raise AssertionError(f"creatorflow serve exited:\n{serve.tail()}")
            found = requests.get(f"{api_url}/deployments/name/launch-campaign/manual", timeout=5)
            if found.ok:
                break
            time.sleep(1)
        else:
            raise AssertionError(f"deployments not registered:\n{serve.tail()}")
        yield stack, creatorflow_url
    finally:
        stack.stop_all()
        engine_for(creatorflow_url).dispose()


def test_deployment_run_with_a_parameter_file_works_against_creatorflow_serve(
    served: tuple[Stack, str], tmp_path: Path
) -> None:
    stack, creatorflow_url = served
    params = prepare_launch(engine_for(creatorflow_url), tmp_path, AS_OF)

    run_id = stack.run_deployment("launch-campaign/manual", params)
    run = stack.wait_for_run(run_id, timeout=180)

    assert run["state_type"] == "COMPLETED", stack.run_logs(run_id) + stack.logs()
    with engine_for(creatorflow_url).connect() as conn:
        sent = conn.scalar(
            select(func.count())
            .select_from(OutreachMessage)
            .join(Enrollment, Enrollment.id == OutreachMessage.enrollment_id)
            .join(Campaign, Campaign.id == Enrollment.campaign_id)
            .where(Campaign.slug == LAUNCH_SLUG, OutreachMessage.status == "sent")
        )
    assert sent == 10
    for deployment in DEPLOYMENTS:
        served_one = stack.api("GET", f"/deployments/name/{deployment.full_name}")
        crons = [s["schedule"].get("cron") for s in served_one["schedules"]]
        assert crons == ([deployment.cron] if deployment.cron else []), deployment.full_name
        assert served_one["paused"] is False
    limits = {limit["name"] for limit in stack.api("POST", "/v2/concurrency_limits/filter", {})}
    assert {"youtube-api", "instagram-api", "tiktok-api"} <= limits  # made by `serve` itself
