"""The one rule for a run's ``as_of``: a naive moment means UTC, whatever the machine's TZ.

Flows and commands replay a run for any moment; reading a naive ``09:00`` as the worker's local
time would make the same run act at different hours on different machines. The moment must also
lie in ``[AS_OF_MIN, AS_OF_MAX)``: ``0001-01-01`` or ``9999-12-31`` pass ``fromisoformat`` but
break the date arithmetic every run does (a year back for history, months ahead for due dates),
far from the flag that caused it.
"""

from __future__ import annotations

from datetime import UTC, datetime

AS_OF_MIN = datetime(2000, 1, 1, tzinfo=UTC)
AS_OF_MAX = datetime(2100, 1, 1, tzinfo=UTC)


class AsOfRangeError(ValueError):
    """The moment is outside the range creatorflow runs in."""


def in_range(moment: datetime) -> datetime:
    """``moment`` (aware) when it lies in ``[AS_OF_MIN, AS_OF_MAX)``, else ``AsOfRangeError``."""
    if not AS_OF_MIN <= moment < AS_OF_MAX:
        raise AsOfRangeError(
            f"{moment.isoformat()} is outside {AS_OF_MIN:%Y-%m-%d} .. {AS_OF_MAX:%Y-%m-%d}"
        )
    return moment


def as_utc(value: datetime | None, *, now: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive read as UTC), or ``now`` when it is None.

    ``now`` is injected (the domain reads no clock); it follows the same rule. A moment outside
    ``[AS_OF_MIN, AS_OF_MAX)`` raises ``AsOfRangeError``; one that cannot even be converted to UTC
    (``0001-01-01T00:00+01:00``) raises ``OverflowError``.
    """
    moment = now if value is None else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return in_range(moment.astimezone(UTC))
