"""The decaying polling cadence (metrics.md): often while a post is young, rarely once it settles.

A post's life is cut into phases; inside each phase the poll instants form a grid anchored on the
post's publication time (every 15 min on day one, hourly to day 7, every 6 h to day 30, then
daily).
A post is due when a grid point has passed since its last poll. Anchoring on a grid, rather than
"last poll + interval", keeps an hourly schedule from drifting: a run at 11:00:00 still polls a post
last polled at 10:00:05. Everything is computed from the given instants, so runs can be replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Phase:
    """Poll every ``interval`` while the post is younger than ``until`` (None: no upper bound)."""

    until: timedelta | None
    interval: timedelta


DEFAULT_CADENCE: tuple[Phase, ...] = (
    Phase(until=timedelta(days=1), interval=timedelta(minutes=15)),
    Phase(until=timedelta(days=7), interval=timedelta(hours=1)),
    Phase(until=timedelta(days=30), interval=timedelta(hours=6)),
    Phase(until=None, interval=timedelta(days=1)),
)


def validate_cadence(cadence: tuple[Phase, ...]) -> None:
    """Phases must be increasing, with positive intervals, and the last one unbounded."""
    if not cadence:
        raise ValueError("cadence has no phases")
    previous = timedelta(0)
    for index, phase in enumerate(cadence):
        if phase.interval <= timedelta(0):
            raise ValueError(f"cadence phase {index}: interval must be positive")
        last = index == len(cadence) - 1
        if phase.until is None:
            if not last:
                raise ValueError(f"cadence phase {index}: only the last phase may be unbounded")
        elif phase.until <= previous:
            raise ValueError(f"cadence phase {index}: 'until' must increase")
        else:
            previous = phase.until
    if cadence[-1].until is not None:
        raise ValueError("cadence: the last phase must be unbounded")


def interval_at(age: timedelta, cadence: tuple[Phase, ...] = DEFAULT_CADENCE) -> timedelta:
    """The polling interval for a post of this age (negative ages count as brand new)."""
    for phase in cadence:
        if phase.until is None or age < phase.until:
            return phase.interval
    return cadence[-1].interval  # pragma: no cover - the last phase is unbounded


def _next_grid_point(anchor: datetime, after: datetime, cadence: tuple[Phase, ...]) -> datetime:
    """The first poll instant strictly after ``after`` on the grid anchored at ``anchor``."""
    start = timedelta(0)
    age = after - anchor
    for phase in cadence:
        if phase.until is not None and age >= phase.until:
            start = phase.until
            continue
        elapsed = max(age - start, -phase.interval)
        steps = elapsed // phase.interval + 1
        candidate = start + phase.interval * steps
        if phase.until is not None and candidate > phase.until:
            candidate = phase.until
        return anchor + candidate
    raise AssertionError("unreachable: the last phase is unbounded")  # pragma: no cover


def next_poll_due(
    posted_at: datetime,
    last_polled_at: datetime | None,
    *,
    tracking_ends: datetime | None,
    cadence: tuple[Phase, ...] = DEFAULT_CADENCE,
) -> datetime | None:
    """When the post should next be polled; ``None`` once tracking has ended.

    A post never polled is due at once (its first snapshot); afterwards, at the next grid point.
    """
    if last_polled_at is None:
        due = posted_at
    else:
        due = _next_grid_point(posted_at, last_polled_at, cadence)
    if tracking_ends is not None and due > tracking_ends:
        return None
    return due


def is_due(
    posted_at: datetime,
    last_polled_at: datetime | None,
    *,
    now: datetime,
    tracking_ends: datetime | None,
    cadence: tuple[Phase, ...] = DEFAULT_CADENCE,
) -> bool:
    """Whether a poll at ``now`` is on the cadence; a grid point missed before the end of
    tracking is still caught up once after it."""
    due = next_poll_due(posted_at, last_polled_at, tracking_ends=tracking_ends, cadence=cadence)
    return due is not None and due <= now
