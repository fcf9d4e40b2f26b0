"""Every flow test runs against the one Prefect test harness of its process
(``prefect_harness`` in tests/support/prefect.py, registered by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import pytest

from creatorflow.sandbox import SandboxServers
from creatorflow.settings import Settings
from tests.support.tracking_flows import TrackedCampaign, tracked_campaign


@pytest.fixture(scope="session", autouse=True)
def _flows_use_the_prefect_harness(prefect_harness: None) -> None:
    """Started by the first flow test of a process and kept for the session."""


@pytest.fixture
def tracked(
    settings: Settings,
    sandbox: SandboxServers,
    app_env: Callable[[Mapping[str, str]], None],
    now: datetime,
) -> TrackedCampaign:
    """spring-glow, tracked by the flows on the sandbox platforms (tests/support/tracking_flows.py);
    a test that needs TikTok accounts adds them first and calls ``tracked_campaign`` itself."""
    return tracked_campaign(settings, sandbox, app_env, now)
