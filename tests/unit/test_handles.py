"""Handles, emails and follower counts as people type them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from creatorflow.domain.handles import (
    is_youtube_channel_id,
    normalise_email,
    normalise_handle,
    parse_followers,
)
from creatorflow.domain.model import Platform
from creatorflow.domain.numbers import COUNT_MAX

CHANNEL_ID = "UCVHFbqXqoYvEWM1Ddxl0QDg"


@pytest.mark.parametrize(
    ("platform", "raw", "expected"),
    [
        (Platform.INSTAGRAM, "@Jane.Doe", "jane.doe"),
        (Platform.INSTAGRAM, "  jane_doe  ", "jane_doe"),
        (Platform.TIKTOK, " @ Joe123 ", "joe123"),
        (Platform.YOUTUBE, "@GoogleDevelopers", "googledevelopers"),
        (Platform.YOUTUBE, "my-channel", "my-channel"),
        (Platform.YOUTUBE, CHANNEL_ID, CHANNEL_ID),
        (Platform.YOUTUBE, f" {CHANNEL_ID} ", CHANNEL_ID),
    ],
)
def test_handles_are_trimmed_unprefixed_and_lower_cased(
    platform: Platform, raw: str, expected: str
) -> None:
    assert normalise_handle(platform, raw) == expected


def test_channel_id_shape_is_only_kept_on_youtube() -> None:
    assert is_youtube_channel_id(CHANNEL_ID)
    assert normalise_handle(Platform.INSTAGRAM, CHANNEL_ID) == CHANNEL_ID.lower()


@pytest.mark.parametrize(
    ("platform", "raw", "message"),
    [
        (Platform.INSTAGRAM, "", "empty"),
        (Platform.INSTAGRAM, "  @ ", "empty"),
        (Platform.INSTAGRAM, "jane doe", "invalid characters"),
        (Platform.INSTAGRAM, "jane-doe", "invalid characters"),
        (Platform.TIKTOK, "jane/doe", "invalid characters"),
        (Platform.YOUTUBE, "été", "invalid characters"),
        (Platform.TIKTOK, "a" * 25, "longer than 24"),
        (Platform.INSTAGRAM, "a" * 31, "longer than 30"),
    ],
)
def test_bad_handles_are_rejected_with_the_problem(
    platform: Platform, raw: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_handle(platform, raw)


handle_bodies = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=24)


@given(body=handle_bodies, platform=st.sampled_from(list(Platform)), at=st.booleans())
def test_normalising_a_handle_twice_changes_nothing(
    body: str, platform: Platform, at: bool
) -> None:
    raw = ("@" if at else "") + body.upper() + " "
    once = normalise_handle(platform, raw)
    assert once == body
    assert normalise_handle(platform, once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane.Doe@Example.COM", "jane.doe@example.com"),
        ("  a+tag@mail.example.org ", "a+tag@mail.example.org"),
        ("o'brien@example.co.uk", "o'brien@example.co.uk"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("jane", "exactly one '@'"),
        ("jane@@example.com", "exactly one '@'"),
        ("jane@example", "invalid domain"),
        ("jane@-example.com", "invalid domain"),
        ("jane@example.123", "invalid domain"),
        ("jane doe@example.com", "before '@'"),
        (".jane@example.com", "before '@'"),
        ("jane..doe@example.com", "before '@'"),
        ("@example.com", "before '@'"),
    ],
)
def test_bad_emails_are_rejected_with_the_problem(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_email(raw)


local_parts = st.from_regex(r"\A[a-z0-9_+-]{1,20}(\.[a-z0-9_+-]{1,10})?\Z")
domains = st.from_regex(r"\A[a-z][a-z0-9-]{0,10}[a-z0-9]\.(com|org|example)\Z")


@given(local=local_parts, domain=domains)
def test_email_normalisation_round_trips_any_case(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert normalise_email(f" {address.upper()} ") == address
    assert normalise_email(address) == address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12500", 12500),
        ("12,500", 12500),
        ("1,234,567", 1234567),
        ("12.5k", 12500),
        ("12.5K", 12500),
        ("1.2M", 1_200_000),
        ("1.2m", 1_200_000),
        ("3b", 3_000_000_000),
        ("0", 0),
        (" 950 ", 950),
        ("", None),
        ("   ", None),
    ],
)
def test_follower_counts_in_every_export_format(raw: str, expected: int | None) -> None:
    assert parse_followers(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-5", "negative"),
        ("-1.2k", "negative"),
        ("lots", "not a count"),
        ("12,50", "not a count"),
        ("12.5", "not a count"),
        ("1.2kk", "not a count"),
        ("k", "not a count"),
        ("N/A", "not a count"),
    ],
)
def test_garbage_follower_counts_are_rejected(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_followers(raw)


@given(st.integers(min_value=0, max_value=10**12))
def test_follower_counts_round_trip_plain_and_grouped(count: int) -> None:
    assert parse_followers(str(count)) == count
    assert parse_followers(f"{count:,}") == count


@given(
    st.decimals(min_value=0, max_value=999, places=1, allow_nan=False, allow_infinity=False),
    st.sampled_from([("k", 1_000), ("M", 1_000_000)]),
)
def test_scaled_follower_counts_round_trip(value: Decimal, suffix: tuple[str, int]) -> None:
    letter, factor = suffix
    assert parse_followers(f"{value}{letter}") == int(value * factor)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.2345k", 1235), ("1.2344k", 1234), ("0.0005k", 1), ("0.0004k", 0), ("2.5000005m", 2500001)],
)
def test_scaled_follower_counts_round_half_up(raw: str, expected: int) -> None:
    assert parse_followers(raw) == expected


@given(
    st.integers(min_value=0, max_value=10**6),
    st.text(alphabet="0123456789", max_size=12),
    st.sampled_from([("k", 1_000), ("m", 1_000_000), ("b", 1_000_000_000)]),
)
def test_scaled_follower_counts_are_exact_for_any_precision(
    whole: int, fraction: str, suffix: tuple[str, int]
) -> None:
    letter, factor = suffix
    number = f"{whole}.{fraction}" if fraction else str(whole)
    expected = (Decimal(number) * factor).to_integral_value(rounding=ROUND_HALF_UP)
    assume(expected <= COUNT_MAX)  # beyond it the count is refused (test_numbers.py)
    assert parse_followers(number + letter) == int(expected)
