"""The local mirror of a Prefect rate limit's slots (creatorflow/platforms/rate_limits.py)."""

from __future__ import annotations

import pytest

from creatorflow.platforms.rate_limits import SlotBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_bucket_offers_the_whole_limit() -> None:
    bucket = SlotBucket(200, 200.0, clock=Clock())
    assert bucket.free_now() == 200
    assert bucket.wait_for(200) == 0.0


def test_slots_come_back_at_the_decay_rate_counted_in_whole_slots() -> None:
    clock = Clock()
    bucket = SlotBucket(200, 200.0, clock=clock)
    bucket.granted(200, asked_at=clock.now)
    assert bucket.free_now() == 0
    clock.now += 0.5049  # 100.98 slots decayed: the server counts 100
    assert bucket.free_now() == 100
    assert bucket.wait_for(150) == pytest.approx(50 / 200 + 0.002)
    clock.now += 1.0
    assert bucket.free_now() == 200  # never more than the limit


def test_a_grant_counts_the_decay_only_until_the_request_left() -> None:
    clock = Clock()
    bucket = SlotBucket(100, 10.0, clock=clock)
    bucket.granted(100, asked_at=clock.now)
    clock.now += 5.0  # 50 decayed by the time the next request leaves
    asked_at = clock.now
    clock.now += 2.0  # the answer took two seconds: the 20 decayed meanwhile are not counted
    bucket.granted(30, asked_at=asked_at)
    assert bucket.active == 80
    assert bucket.free_now() == 20


def test_a_denial_takes_the_limit_as_full_from_then_on() -> None:
    clock = Clock()
    bucket = SlotBucket(50, 5.0, clock=clock)
    bucket.granted(10, asked_at=clock.now)
    clock.now += 1.0
    bucket.denied()
    assert bucket.free_now() == 0
    assert bucket.wait_for(10) == pytest.approx(2.0 + 0.002)
