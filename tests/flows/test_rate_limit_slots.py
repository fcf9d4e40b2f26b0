"""``throttle`` against a real Prefect server (the harness): it asks only for slots the server
can give, waits out another holder's slots, and names a missing limit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from creatorflow.domain.model import Platform
from creatorflow.platforms import rate_limits
from creatorflow.platforms.rate_limits import (
    SlotBucket,
    ensure_concurrency_limits,
    rate_limit_of,
    throttle,
)


@pytest.fixture
def denials(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Each 423 the server answers; the YouTube limit restored as declared afterwards."""
    seen: list[float] = []
    real = SlotBucket.denied

    def counted(self: SlotBucket) -> None:
        seen.append(time.monotonic())
        real(self)

    monkeypatch.setattr(SlotBucket, "denied", counted)
    ensure_concurrency_limits(update=True)
    yield seen
    ensure_concurrency_limits(update=True)


def test_a_burst_of_requests_is_paced_without_one_denial(denials: list[float]) -> None:
    spec = rate_limit_of(Platform.YOUTUBE)  # 200 slots, 200 a second
    time.sleep(spec.limit / spec.per_second)  # whatever an earlier test took has decayed
    start = time.monotonic()
    taken = [throttle(Platform.YOUTUBE, 50, up_to=spec.limit) for _ in range(6)]
    elapsed = time.monotonic() - start
    assert denials == []
    assert all(got >= 50 for got in taken)
    # the first burst is free; the rest comes back at the decay rate
    assert elapsed >= (sum(taken) - spec.limit) / spec.per_second * 0.95


def test_slots_another_process_holds_are_waited_out(denials: list[float]) -> None:
    from prefect.client.orchestration import get_client

    spec = rate_limit_of(Platform.YOUTUBE)
    time.sleep(spec.limit / spec.per_second)
    with get_client(sync_client=True) as client:  # another process takes the whole burst
        client.increment_concurrency_slots(names=[spec.name], slots=spec.limit, mode="rate_limit")
    assert throttle(Platform.YOUTUBE, 20) == 20
    assert len(denials) >= 1  # asked too early, told to wait, then granted


def test_a_missing_limit_is_an_error_that_says_how_to_create_it(
    denials: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

    spec = rate_limit_of(Platform.YOUTUBE)
    with get_client(sync_client=True) as client:
        client.delete_global_concurrency_limit_by_name(spec.name)
    monkeypatch.setattr(rate_limits, "_ENSURED", set())
    with pytest.raises(ConcurrencySlotAcquisitionError, match="creatorflow prefect setup"):
        throttle(Platform.YOUTUBE, 1)
