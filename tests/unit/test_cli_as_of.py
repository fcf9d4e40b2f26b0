"""``--as-of``: any ISO-8601 moment, naive taken as UTC; nonsense is one clear InputError."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from creatorflow.cli.app import parse_as_of
from creatorflow.errors import InputError


def test_naive_and_offset_moments_become_aware_utc() -> None:
    assert parse_as_of("2027-03-01T09:00:00") == datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert parse_as_of("2027-03-01T10:00:00+01:00") == datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["yesterday", "2027-13-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"]
)
def test_bad_or_out_of_range_moments_are_input_errors(value: str) -> None:
    with pytest.raises(InputError, match="--as-of"):
        parse_as_of(value)
