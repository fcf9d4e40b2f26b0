"""The one rule for a run's ``as_of``: a naive moment means UTC, whatever the machine's TZ.

Flows and commands replay a run for any moment; reading a naive ``09:00`` as the worker's local
time would make the same run act at different hours on different machines.
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime | None, *, now: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive read as UTC), or ``now`` when it is None.

    ``now`` is injected (the domain reads no clock); it follows the same rule.
    """
    moment = now if value is None else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
