"""Platform calls are paced by Prefect global concurrency limits used as rate limits.

Each adapter declares its limit (``PlatformLimits.rate_limit``: ``youtube-api``,
``instagram-api``, ``tiktok-api``); ``ensure_concurrency_limits()`` creates them on the Prefect
server (``creatorflow db upgrade``, ``creatorflow prefect setup``, the flows and the tests) and
``throttle`` takes slots as ``rate_limit(name, strict=True)`` would: a missing limit is an
error, not a silent "no limit".

The server is the authority, but asking it for slots it cannot give is expensive: a denied
request does not decay the limit's slots yet restarts its decay clock (``updated`` moves), and the
client then sleeps for a jittered ``Retry-After`` of about a second. Polling 100,000 posts lost a
second every other request that way. So each process keeps a :class:`SlotBucket` per limit, a
conservative estimate of the server's active slots from its own grants, and waits locally for
exactly as long as the decay needs before it asks. Another process's grants are invisible to it:
then the server denies, ``throttle`` waits as told, and the bucket takes the limit as full.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import httpx

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import RateLimit
from creatorflow.platforms.registry import limits_of, platforms

_ENSURED: set[tuple[str, tuple[str, ...]]] = set()


def rate_limits() -> list[RateLimit]:
    """The rate limit of every registered platform, in registration order."""
    return [limits_of(platform).rate_limit for platform in platforms()]


def rate_limit_of(platform: Platform) -> RateLimit:
    return limits_of(platform).rate_limit


@dataclass
class SlotBucket:
    """This process's estimate of one rate limit's active slots on the Prefect server.

    The server decays ``floor(per_second * seconds since updated)`` slots. Measuring from the
    moment a grant's answer arrived (after the server's update) and up to the moment a request
    leaves (before the server reads the clock) never counts more decay than the server does, so
    a request the bucket allows is granted unless another process took slots meanwhile.
    """

    limit: int
    per_second: float
    clock: Callable[[], float] = time.monotonic
    active: int = 0  # after the last grant (an upper bound on the server's)
    granted_at: float | None = None  # when that grant's answer arrived
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def active_now(self, now: float) -> int:
        if self.granted_at is None:
            return self.active
        decayed = math.floor(self.per_second * max(0.0, now - self.granted_at))
        return max(0, self.active - decayed)

    def free_now(self) -> int:
        return self.limit - self.active_now(self.clock())

    def wait_for(self, slots: int) -> float:
        """Seconds until ``slots`` (at most the limit) are free; 0 when they are."""
        missing = self.active_now(self.clock()) + slots - self.limit
        if missing <= 0:
            return 0.0
        return missing / self.per_second + 0.002  # the floor: a whole slot, not a fraction

    def granted(self, slots: int, *, asked_at: float) -> None:
        """Record a grant of ``slots`` asked for at ``asked_at``."""
        self.active = min(self.limit, self.active_now(asked_at) + slots)
        self.granted_at = self.clock()

    def denied(self) -> None:
        """The server said no: someone else holds slots, and its decay clock restarted now."""
        self.active = self.limit
        self.granted_at = self.clock()


_BUCKETS: dict[str, SlotBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def _bucket(spec: RateLimit) -> SlotBucket:
    with _BUCKETS_LOCK:
        bucket = _BUCKETS.get(spec.name)
        if bucket is None:
            bucket = _BUCKETS[spec.name] = SlotBucket(spec.limit, spec.per_second)
        return bucket


def _live(spec: RateLimit, limit: int, per_second: float) -> None:
    """The server's values for a limit (the operator may have tuned it with ``prefect gcl``)."""
    bucket = _bucket(spec)
    with bucket.lock:
        bucket.limit, bucket.per_second = max(1, limit), per_second


def ensure_concurrency_limits(*, update: bool = False) -> list[str]:
    """Create the platforms' rate limits on the Prefect server when missing; returns their names.

    Existing limits are left as the operator tuned them (``prefect gcl update``) unless
    ``update`` is true; either way ``throttle`` paces itself by the server's values.
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
            limit, per_second = spec.limit, spec.per_second  # what a new limit gets
            if update:
                client.upsert_global_concurrency_limit_by_name(
                    spec.name, spec.limit, slot_decay_per_second=spec.per_second
                )
            else:
                try:
                    live = client.read_global_concurrency_limit_by_name(spec.name)
                except ObjectNotFound:
                    # another process may create it meanwhile: that is fine too
                    with suppress(ObjectAlreadyExists):
                        client.create_global_concurrency_limit(
                            GlobalConcurrencyLimitCreate(
                                name=spec.name, limit=limit, slot_decay_per_second=per_second
                            )
                        )
                else:
                    limit, per_second = live.limit, live.slot_decay_per_second or per_second
            _live(spec, limit, per_second)
    _ENSURED.add(key)
    return names


def throttle(platform: Platform, requests: int, *, up_to: int | None = None) -> int:
    """Wait for ``requests`` slots of the platform's rate limit (in chunks of at most its size);
    with ``up_to``, also take what more of those is free now, without waiting for it. Returns
    the slots taken, at least ``requests``: the caller keeps the rest as credit."""
    spec = rate_limit_of(platform)
    bucket = _bucket(spec)
    taken = 0
    with bucket.lock:  # one asker at a time: two would each count the same free slots
        while taken < requests:
            need = min(requests - taken, bucket.limit)
            if (wait := bucket.wait_for(need)) > 0:
                time.sleep(wait)
            occupy = need
            if up_to is not None and taken + need >= requests:  # the last chunk
                occupy = max(need, min(up_to - taken, bucket.free_now()))
            _acquire(spec.name, occupy, bucket)
            taken += occupy
    return taken


def _acquire(name: str, slots: int, bucket: SlotBucket) -> None:
    """Take ``slots`` of the limit ``name`` on the Prefect server, waiting while it denies.

    The same request and event as ``prefect.concurrency.sync.rate_limit(strict=True)``, made on
    the run's own synchronous client in this thread: that function goes through Prefect's
    event-loop thread, about 100 ms a grant on an idle server and, in a busy polling round,
    now and then two seconds, while the flow's dispatch waited. Here a denial is also seen as
    one, so the bucket knows the limit is full.
    """
    from prefect.client.orchestration import get_client
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

    while True:
        asked_at = bucket.clock()
        try:
            with get_client(sync_client=True) as client:
                answer = client.increment_concurrency_slots(
                    names=[name], slots=slots, mode="rate_limit"
                )
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 423:  # 423 Locked: not now
                raise ConcurrencySlotAcquisitionError(
                    f"rate limit {name!r}: the Prefect server answered"
                    f" {exc.response.status_code} to a request for {slots} slot(s)"
                ) from exc
            bucket.denied()
            retry_after = float(exc.response.headers.get("Retry-After") or 1.0)
            time.sleep(max(retry_after, bucket.wait_for(slots)))
            continue
        bucket.granted(slots, asked_at=asked_at)
        limits = answer.json()
        if not limits:
            raise ConcurrencySlotAcquisitionError(
                f"rate limit {name!r} is missing on the Prefect server:"
                " run `creatorflow prefect setup` (it creates the platforms' limits)"
            )
        for limit in limits:
            _acquired_event(limit, slots)
        return


def _acquired_event(limit: dict[str, Any], slots: int) -> None:
    """The event ``rate_limit`` emits for each limit it takes slots of (the UI's event feed)."""
    from prefect.events import emit_event

    emit_event(
        "prefect.concurrency-limit.acquired",
        resource={
            "prefect.resource.id": f"prefect.concurrency-limit.{limit['id']}",
            "prefect.resource.name": str(limit["name"]),
            "slots-acquired": str(slots),
            "limit": str(limit["limit"]),
        },
    )
