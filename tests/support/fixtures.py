"""The fixtures every test folder shares, loaded by ``tests/conftest.py``.

``world`` and ``sandbox`` are the simulated platforms (a test adds accounts and posts to the world,
the servers answer from it); ``make_settings`` points the adapters at them; ``app_env`` gives code
that reads ``get_settings()`` (flows, tasks, commands) this test's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import pytest

from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings, get_settings


@pytest.fixture
def world(now: datetime) -> World:
    return World(now=now)


@pytest.fixture
def sandbox(world: World) -> Iterator[SandboxServers]:
    with SandboxServers(world) as servers:
        yield servers


@pytest.fixture
def sleeps() -> list[float]:
    """Every backoff the HTTP layer asked for, instead of sleeping."""
    return []


@pytest.fixture
def make_settings(settings: Settings, sandbox: SandboxServers) -> Callable[..., Settings]:
    """Settings for the sandbox, built after the test has set up its world (TikTok tokens)."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            **settings.model_dump(),
            **sandbox.settings_values(),
            "http_backoff_base": 0.01,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Mapping[str, str]], None]]:
    """Sets environment variables for this test and forgets the settings built before them."""

    def apply(values: Mapping[str, str]) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()
