"""Platform calls are paced by Prefect global concurrency limits used as rate limits.

Each adapter declares its limit (``PlatformLimits.rate_limit``: ``youtube-api``,
``instagram-api``, ``tiktok-api``); ``ensure_concurrency_limits()`` creates them on the Prefect
server (``creatorflow db upgrade``, ``creatorflow prefect setup``, the flows and the tests) and
``throttle`` takes slots with ``rate_limit(name, strict=True)``: strict means a missing limit is
an error, not a silent "no limit".
"""

from __future__ import annotations

from contextlib import suppress

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import RateLimit
from creatorflow.platforms.registry import limits_of, platforms

_ENSURED: set[tuple[str, tuple[str, ...]]] = set()


def rate_limits() -> list[RateLimit]:
    """The rate limit of every registered platform, in registration order."""
    return [limits_of(platform).rate_limit for platform in platforms()]


def rate_limit_of(platform: Platform) -> RateLimit:
    return limits_of(platform).rate_limit


def ensure_concurrency_limits(*, update: bool = False) -> list[str]:
    """Create the platforms' rate limits on the Prefect server when missing; returns their names.

    Existing limits are left as the operator tuned them (``prefect gcl update``) unless
    ``update`` is true.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.settings import PREFECT_API_URL

    specs = rate_limits()
    names = [spec.name for spec in specs]
    key = (str(PREFECT_API_URL.value() or "ephemeral"), tuple(names))
    # once per process, server and set of platforms: each check is a call
    if not update and key in _ENSURED:
        return names
    with get_client(sync_client=True) as client:
        for spec in specs:
            if update:
                client.upsert_global_concurrency_limit_by_name(
                    spec.name, spec.limit, slot_decay_per_second=spec.per_second
                )
                continue
            try:
                client.read_global_concurrency_limit_by_name(spec.name)
            except ObjectNotFound:
                # another process may create it meanwhile: that is fine too
                with suppress(ObjectAlreadyExists):
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(
                            name=spec.name, limit=spec.limit, slot_decay_per_second=spec.per_second
                        )
                    )
    _ENSURED.add(key)
    return names


def throttle(platform: Platform, requests: int) -> None:
    """Wait for ``requests`` slots of the platform's rate limit (in chunks of at most its size)."""
    from prefect.concurrency.sync import rate_limit

    spec = rate_limit_of(platform)
    remaining = requests
    while remaining > 0:
        occupy = min(remaining, spec.limit)
        rate_limit(spec.name, occupy=occupy, strict=True)
        remaining -= occupy
