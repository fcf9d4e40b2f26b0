"""The scale-out set-up, once per session: Prefect server on PostgreSQL, a work pool, two workers.

What runs here is what an operator runs (README, "Running"): `prefect server start` with
``PREFECT_API_DATABASE_CONNECTION_URL`` on a PostgreSQL database made for the session,
`prefect work-pool create creatorflow --type process`, `prefect deploy --all` with the project's
prefect.yaml, and two `prefect worker start --pool creatorflow`. creatorflow's own database is a
second PostgreSQL database. Everything is torn down (process groups killed, databases dropped)
whatever the tests did. The scheduler service is off so that no scheduled run fires mid-test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from creatorflow.sandbox import SandboxServers, World
from creatorflow.storage.db import engine_for
from creatorflow.storage.migrate import upgrade
from tests.conftest import PG_ADMIN_URL, _postgres_reachable
from tests.e2e.stack import BIN, Stack
from tests.support.databases import create_database, drop_database
from tests.support.servers import free_port
from tests.support.worlds import seed_tracked_campaign

pytestmark = pytest.mark.slow

WORKERS = 2
AS_OF = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
SCALE_SLUG = "scale-test"
SCALE_POSTS = 1_000


def _database_url(name: str, driver: str) -> str:
    return make_url(PG_ADMIN_URL).set(drivername=driver, database=name).render_as_string(False)


def _clean_environ() -> dict[str, str]:
    """The parent environment without any Prefect or creatorflow setting of the developer's."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "CREATORFLOW_")) and k != "PYTEST_CURRENT_TEST"
    }


@pytest.fixture(scope="session")
def e2e_databases() -> Iterator[tuple[str, str]]:
    """(Prefect server database name, creatorflow database URL), both new and dropped after."""
    problem = _postgres_reachable()
    if problem:
        pytest.skip(problem)
    prefect_db = create_database(PG_ADMIN_URL, "cf_e2e_prefect")
    creatorflow_db = create_database(PG_ADMIN_URL, "cf_e2e_app")
    creatorflow_url = _database_url(creatorflow_db, "postgresql+psycopg")
    try:
        upgrade(creatorflow_url)
        yield prefect_db, creatorflow_url
    finally:
        engine_for(creatorflow_url).dispose()
        drop_database(PG_ADMIN_URL, creatorflow_db)
        drop_database(PG_ADMIN_URL, prefect_db)


def stack_env(workdir: Path, api_url: str, creatorflow_url: str) -> dict[str, str]:
    env = _clean_environ()
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PREFECT_HOME": str(workdir / "prefect-home"),
            "PREFECT_API_URL": api_url,
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(workdir / "results"),
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "CREATORFLOW_DATABASE_URL": creatorflow_url,
            "CREATORFLOW_MAIL_URL": f"maildir://{workdir / 'outbox'}",
            "CREATORFLOW_INBOX_URL": f"maildir://{workdir / 'inbox'}",
            "CREATORFLOW_SENDER": "Glow Team <team@brand.example>",
            "CREATORFLOW_POSTAL_ADDRESS": "1 Market St, San Francisco, CA 94105, USA",
            "CREATORFLOW_UNSUBSCRIBE_BASE_URL": "https://brand.example",
            "CREATORFLOW_SECRET_KEY": "e2e-secret-key-that-is-long-enough",
            "CREATORFLOW_PREVIEW_DIR": str(workdir / "preview"),
            "CREATORFLOW_REPORTS_DIR": str(workdir / "reports"),
        }
    )
    return env


@pytest.fixture(scope="session")
def e2e_world(e2e_databases: tuple[str, str]) -> Iterator[tuple[World, SandboxServers]]:
    """The sandbox platforms with the scale test's posts, seeded before the workers start
    (they read the sandbox URLs and the TikTok creators' tokens from their environment)."""
    _, creatorflow_url = e2e_databases
    world = World(now=AS_OF)
    seed_tracked_campaign(
        engine_for(creatorflow_url), world, slug=SCALE_SLUG, posts=SCALE_POSTS, as_of=AS_OF
    )
    with SandboxServers(world) as sandbox:
        yield world, sandbox


@pytest.fixture(scope="session")
def e2e_stack(
    tmp_path_factory: pytest.TempPathFactory,
    e2e_databases: tuple[str, str],
    e2e_world: tuple[World, SandboxServers],
) -> Iterator[Stack]:
    """Server, work pool, deployments from prefect.yaml and two workers, all real processes."""
    prefect_db, creatorflow_url = e2e_databases
    workdir = tmp_path_factory.mktemp("e2e")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = stack_env(workdir, api_url, creatorflow_url) | e2e_world[1].env()
    stack = Stack(workdir=workdir, env=env, api_url=api_url)
    server_env = {
        "PREFECT_API_DATABASE_CONNECTION_URL": _database_url(prefect_db, "postgresql+asyncpg"),
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    }
    prefect = str(BIN / "prefect")
    try:
        stack.env.update(server_env)
        server = stack.start(
            "server", [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)]
        )
        for key in server_env:
            del stack.env[key]
        stack.wait_healthy(server)
        stack.run([prefect, "work-pool", "create", "creatorflow", "--type", "process"])
        stack.run([prefect, "--no-prompt", "deploy", "--all"], timeout=180)
        for number in range(1, WORKERS + 1):
            stack.start(
                f"worker-{number}",
                [
                    prefect,
                    "worker",
                    "start",
                    "--pool",
                    "creatorflow",
                    "--name",
                    f"w{number}",
                    "--limit",
                    "1",
                ],
                cwd=workdir,
            )
        yield stack
    finally:
        stack.stop_all()
