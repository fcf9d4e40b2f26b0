"""``12.5k``-style counts: integer arithmetic gives what Decimal rounding half up gives."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.numbers import COUNT_MAX, NumberError, parse_count


@given(
    st.integers(min_value=0, max_value=10**9),
    st.text(alphabet="0123456789", max_size=7),
    st.sampled_from(["k", "m", "b", "K", "M", "B"]),
)
def test_scaled_counts_round_half_up_exactly(whole: int, fraction: str, suffix: str) -> None:
    number = f"{whole}.{fraction}" if fraction else str(whole)
    scale = {"k": 10**3, "m": 10**6, "b": 10**9}[suffix.lower()]
    expected = int((Decimal(number) * scale).to_integral_value(rounding=ROUND_HALF_UP))
    if expected > COUNT_MAX:
        with pytest.raises(NumberError, match="is more than"):
            parse_count(number + suffix, scaled=True)
    else:
        assert parse_count(number + suffix, scaled=True) == expected


def test_halves_round_up() -> None:
    assert parse_count("1.0005k", scaled=True) == 1001
    assert parse_count("2.5k", scaled=True) == 2500
    assert parse_count("0.0000005m", scaled=True) == 1
    assert parse_count("0.0000004m", scaled=True) == 0
