"""Which adapter serves which platform: the one place that builds platform clients.

Services ask for a client by platform; tests pass their own (``clients=`` on the services) or
point settings at the sandbox servers. A missing key or token fails here, naming the variable.
"""

from __future__ import annotations

from collections.abc import Callable

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import PlatformClient
from creatorflow.settings import Settings


def client_for(
    platform: Platform | str,
    settings: Settings,
    *,
    sleep: Callable[[float], None] | None = None,
) -> PlatformClient:
    """A fresh client (with its own per-run quota budget) for ``platform``.

    Raises ``SettingsError`` naming e.g. ``CREATORFLOW_YOUTUBE_API_KEY`` when it is not set.
    """
    plat = Platform(platform)
    if plat is Platform.YOUTUBE:
        from creatorflow.platforms.youtube import YouTubeClient

        return YouTubeClient(settings, sleep=sleep)
    if plat is Platform.INSTAGRAM:
        from creatorflow.platforms.instagram import InstagramClient

        return InstagramClient(settings, sleep=sleep)
    from creatorflow.platforms.tiktok import TikTokClient

    return TikTokClient(settings, sleep=sleep)


def close_client(client: PlatformClient) -> None:
    """Release the client's HTTP session (clients built by ``client_for`` have ``close()``)."""
    close = getattr(client, "close", None)
    if callable(close):
        close()
