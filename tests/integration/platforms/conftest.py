"""Sandbox API servers and settings pointing the adapters at them (no real sleeping)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from creatorflow.sandbox import SandboxServers, World
from creatorflow.settings import Settings


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
