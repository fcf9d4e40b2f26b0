"""The one ``as_of`` rule: a naive moment is UTC, an aware one is converted, none is ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from creatorflow.domain.as_of import as_utc

NOW = datetime(2027, 3, 1, 12, 30, tzinfo=UTC)


def test_a_naive_moment_is_read_as_utc() -> None:
    assert as_utc(datetime(2027, 3, 1, 9), now=NOW) == datetime(2027, 3, 1, 9, tzinfo=UTC)


def test_an_aware_moment_is_converted_to_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    moment = as_utc(datetime(2027, 3, 1, 9, tzinfo=new_york), now=NOW)
    assert moment == datetime(2027, 3, 1, 14, tzinfo=UTC) and moment.tzinfo is UTC


def test_no_moment_is_now_under_the_same_rule() -> None:
    assert as_utc(None, now=NOW) == NOW
    assert as_utc(None, now=datetime(2027, 3, 1, 9)) == datetime(2027, 3, 1, 9, tzinfo=UTC)
