"""Wide polling on a Dask cluster, chosen by settings alone (``CREATORFLOW_TASK_RUNNER=dask``).

The cluster is real: a scheduler and two worker processes, started after the test's environment
is set, so the workers read the same settings (database, sandbox APIs) as a deployment's would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings, SettingsError
from creatorflow.storage.db import engine_for
from creatorflow.storage.models import MetricSnapshot
from tests.support.environment import settings_env
from tests.support.worlds import seed_tracked_campaign

POSTS = 1_000
SLUG = "dask-wide"


@contextmanager
def two_workers() -> Iterator[str]:
    """A local Dask cluster of two worker processes (they inherit the environment as it is)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=4, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_a_polling_round_on_two_dask_workers_stores_every_snapshot_once(
    settings: Settings,
    world: World,
    sandbox: SandboxServers,
    now: datetime,
    app_env: Callable[[Mapping[str, str]], None],
) -> None:
    from distributed import Client

    from flows.tracking import poll_engagement

    engine = engine_for(settings.database_url)
    as_of = now + timedelta(hours=3)
    seed_tracked_campaign(engine, world, slug=SLUG, posts=POSTS, as_of=as_of)
    app_env({**sandbox.env(), **settings_env(settings)})  # after seeding: TikTok tokens

    with two_workers() as address:
        app_env({"CREATORFLOW_TASK_RUNNER": "dask", "CREATORFLOW_DASK_ADDRESS": address})
        polled = poll_engagement(campaign_slug=SLUG, as_of=as_of)
        with Client(address) as client:  # the batches ran in the worker processes
            ran = client.run(lambda: "tasks.tracking" in __import__("sys").modules)

    with engine.connect() as conn:
        per_post = Counter(
            dict(
                conn.execute(
                    select(MetricSnapshot.deliverable_id, func.count())
                    .where(MetricSnapshot.taken_at == as_of)
                    .group_by(MetricSnapshot.deliverable_id)
                ).all()
            )
        )
    assert polled["snapshots"] == POSTS and not polled["failures"], polled
    assert len(per_post) == POSTS and set(per_post.values()) == {1}
    assert len(ran) == 2 and all(ran.values())


def test_the_dask_runner_without_its_extra_names_the_install_command(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from tasks.runtime import task_runner_for

    monkeypatch.setitem(sys.modules, "prefect_dask.task_runners", None)  # not installed
    dask = settings.model_copy(update={"task_runner": "dask"})
    with pytest.raises(SettingsError, match=r"pip install -e '\.\[dask\]'"):
        task_runner_for(dask, max_workers=2)


def test_thread_runner_is_the_default_and_an_empty_address_means_a_local_cluster(
    settings: Settings,
) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask.task_runners import DaskTaskRunner

    from tasks.runtime import task_runner_for

    default = task_runner_for(settings, max_workers=3)
    local = task_runner_for(settings.model_copy(update={"task_runner": "dask"}), max_workers=3)
    remote = settings.model_copy(update={"task_runner": "dask", "dask_address": "tcp://s:8786"})
    assert isinstance(default, ThreadPoolTaskRunner) and default._max_workers == 3
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert task_runner_for(remote, max_workers=3).address == "tcp://s:8786"  # type: ignore[attr-defined]
