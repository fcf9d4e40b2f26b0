"""Which adapter serves which platform: one line per platform, the one place clients are built.

Services ask for a client, limits or the ownership check by platform; tests pass their own
clients (``clients=`` on the services), point settings at the sandbox servers, or register a
platform of their own for a while (``registered``). A missing key or token fails when the
client is built, naming the variable; a platform nothing is registered for fails naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from creatorflow.domain.model import Platform, UnknownPlatform
from creatorflow.platforms import instagram, tiktok, youtube
from creatorflow.platforms.base import PlatformAdapter, PlatformClient, PlatformLimits
from creatorflow.settings import Settings

__all__ = [
    "UnknownPlatform",
    "adapter_for",
    "client_for",
    "close_client",
    "limits_of",
    "platforms",
    "quota_budget",
    "register",
    "registered",
    "with_quota_budget",
]

_ADAPTERS: dict[Platform, PlatformAdapter] = {}


def register(adapter: PlatformAdapter) -> Platform:
    """Make ``adapter`` serve its platform (a name ``Platform(...)`` accepts from now on)."""
    platform = Platform.register(adapter.name)
    _ADAPTERS[platform] = adapter
    return platform


register(youtube.ADAPTER)
register(instagram.ADAPTER)
register(tiktok.ADAPTER)


@contextmanager
def registered(adapter: PlatformAdapter) -> Iterator[Platform]:
    """The adapter's platform exists inside the block only (a test's extra platform)."""
    platform = register(adapter)
    try:
        yield platform
    finally:
        _ADAPTERS.pop(platform, None)
        Platform.unregister(adapter.name)


def platforms() -> tuple[Platform, ...]:
    """Every platform an adapter serves, in registration order."""
    return tuple(_ADAPTERS)


def adapter_for(platform: Platform | str) -> PlatformAdapter:
    """The platform's adapter; ``UnknownPlatform`` names it and the known ones otherwise."""
    try:
        return _ADAPTERS[Platform(platform)]
    except (KeyError, UnknownPlatform):
        raise UnknownPlatform(platform, _ADAPTERS) from None


def limits_of(platform: Platform | str) -> PlatformLimits:
    return adapter_for(platform).limits


def quota_budget(platform: Platform | str, settings: Settings) -> int | None:
    """The units one run may spend on the platform, where its adapter keeps a budget
    (YouTube's ``youtube_quota_budget``); None elsewhere."""
    name = limits_of(platform).quota_budget_setting
    return None if name is None else int(getattr(settings, name))


def with_quota_budget(settings: Settings, platform: Platform | str, units: int) -> Settings:
    """``settings`` with the platform's run budget set to what is left of it (``units``)."""
    name = limits_of(platform).quota_budget_setting
    return settings if name is None else settings.model_copy(update={name: units})


def client_for(
    platform: Platform | str,
    settings: Settings,
    *,
    sleep: Callable[[float], None] | None = None,
) -> PlatformClient:
    """A fresh client (with its own per-run quota budget) for ``platform``.

    Raises ``SettingsError`` naming e.g. ``CREATORFLOW_YOUTUBE_API_KEY`` when it is not set.
    """
    return adapter_for(platform).connect(settings, sleep=sleep)


def close_client(client: PlatformClient) -> None:
    """Release the client's HTTP session (clients built by ``client_for`` have ``close()``)."""
    close = getattr(client, "close", None)
    if callable(close):
        close()
