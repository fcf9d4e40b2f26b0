"""Overlapping runs for the exactly-once tests: calls released together, each in its own thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_together(
    calls: list[Callable[[], T]], *, timeout: float = 120
) -> tuple[list[T], list[BaseException]]:
    """Start every call at the same moment (a barrier); returns what they returned and raised."""
    start = threading.Barrier(len(calls))
    results: list[T] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], T]) -> None:
        try:
            start.wait(timeout=timeout)
            results.append(call())
        except BaseException as exc:  # surfaced to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors
