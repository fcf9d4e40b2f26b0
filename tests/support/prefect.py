"""One Prefect test harness per test process (about 9 s to start, so session-scoped).

Heartbeats and the task-run recorder are off (prefect.md pitfalls 1 and 2) and results go to a
temporary directory so nothing leaks between runs. ``tests/conftest.py`` registers the fixture
once, so that the flow tests (tests/flows/conftest.py uses it for all of them) and any other test
that asks for ``prefect_harness`` share the one server a process starts. ``paused_run`` waits for
a flow run to pause on its form, as the operator (or a creator's upload) would find it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_HOME,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings(
            {
                PREFECT_HOME: str(home),
                PREFECT_RESULTS_LOCAL_STORAGE_PATH: str(home / "results"),
                PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED: False,
                PREFECT_SERVER_ANALYTICS_ENABLED: False,
            }
        ),
        prefect_test_harness(server_startup_timeout=60),
    ):
        yield


def paused_run(name: str, *, never: str, timeout: float = 60) -> Any:
    """The flow run called ``name`` once it is paused for input, read through the Prefect
    client as the UI reads it; fails with ``never`` when it has not paused within ``timeout``."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
            )
            paused = next((r for r in runs if r.state and r.state.is_paused()), None)
            if paused is not None:
                return paused
            time.sleep(0.2)
    raise AssertionError(never)
