"""Platform clients for one unit of work (a task, a command), built on demand and closed after."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import PlatformClient
from creatorflow.platforms.registry import client_for, close_client
from creatorflow.settings import Settings


class PlatformClients:
    """A client per platform asked for, built from ``settings`` the first time (thread-safe):
    the ``clients=`` factory the tracking services take."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._made: dict[Platform, PlatformClient] = {}
        self._lock = threading.Lock()

    def __call__(self, platform: Platform) -> PlatformClient:
        with self._lock:
            if platform not in self._made:
                self._made[platform] = client_for(platform, self.settings)
            return self._made[platform]

    def close(self) -> None:
        for client in self._made.values():
            close_client(client)


@contextmanager
def platform_clients(settings: Settings) -> Iterator[PlatformClients]:
    made = PlatformClients(settings)
    try:
        yield made
    finally:
        made.close()
