"""The strict parsers hostile input meets first: numbers, moments, cron, cells, tokens, lines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.cli.app import ERROR_LINE_MAX, error_line, terminal_text
from creatorflow.csv_output import neutralise
from creatorflow.domain.as_of import AS_OF_MAX, AS_OF_MIN, AsOfRangeError, as_utc
from creatorflow.domain.campaign import check_cron
from creatorflow.domain.numbers import (
    COUNT_MAX,
    MONEY_MAX,
    NumberError,
    parse_count,
    parse_money,
    parse_rate,
)
from creatorflow.domain.unsubscribe import InvalidToken, make_token, read_token
from tests.support.campaigns import make_spec

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12500", 12500), ("12,500", 12500), (" 7 ", 7), ("", None), (str(COUNT_MAX), COUNT_MAX)],
)
def test_counts_in_the_forms_people_write(raw: str, expected: int | None) -> None:
    assert parse_count(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["²", "٣", "1²", "１２", "-1", "1.5", "1e3", "0x10", str(2**64), str(COUNT_MAX + 1), "9" * 60],
)
def test_counts_refuse_unicode_digits_fractions_and_values_beyond_the_bound(raw: str) -> None:
    with pytest.raises(NumberError):
        parse_count(raw)


def test_scaled_counts_only_where_asked_and_within_the_bound() -> None:
    assert parse_count("12.5k", scaled=True) == 12500
    with pytest.raises(NumberError, match="not a count"):
        parse_count("12.5k")
    with pytest.raises(NumberError, match="more than"):
        parse_count("99999999b", scaled=True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("450", Decimal("450.00")), ("1,250.5", Decimal("1250.50")), (".5", Decimal("0.50"))],
)
def test_money_is_rounded_to_cents(raw: str, expected: Decimal) -> None:
    assert parse_money(raw) == expected


@pytest.mark.parametrize(
    "raw", ["1e999", "1e30", "NaN", "Infinity", "-5", "abc", "1.2.3", "1000000000000", "0x1"]
)
def test_money_refuses_exponents_nan_negatives_and_amounts_beyond_the_columns(raw: str) -> None:
    with pytest.raises(NumberError):
        parse_money(raw)


def test_money_bound_is_what_the_columns_hold() -> None:
    assert parse_money(str(MONEY_MAX)) == MONEY_MAX


@pytest.mark.parametrize(("raw", "expected"), [("0.035", "0.035"), ("3.5%", "0.035"), ("", None)])
def test_rates_as_fractions_or_percentages(raw: str, expected: str | None) -> None:
    assert parse_rate(raw) == (Decimal(expected) if expected else None)


def test_a_campaign_may_write_its_minimum_engagement_rate_as_a_percentage() -> None:
    spec = make_spec(selection={"tiers": {"micro": 1}, "min_engagement_rate": "3.5%"})
    assert spec.selection.min_engagement_rate == Decimal("0.035")


@pytest.mark.parametrize("raw", ["101%", "1.5", "-0.1", "NaN", "3.5 percent"])
def test_rates_outside_zero_to_one_are_refused(raw: str) -> None:
    with pytest.raises(NumberError):
        parse_rate(raw)


@given(st.integers(min_value=0, max_value=COUNT_MAX))
def test_every_count_in_bounds_reads_back_plain_and_grouped(count: int) -> None:
    assert parse_count(str(count)) == count == parse_count(f"{count:,}")


@pytest.mark.parametrize(
    "moment",
    [datetime(1, 1, 1), datetime(1999, 12, 31, 23, 59), datetime(9999, 12, 31), AS_OF_MAX],
)
def test_an_as_of_outside_the_range_is_refused(moment: datetime) -> None:
    with pytest.raises(AsOfRangeError, match="outside 2000-01-01 .. 2100-01-01"):
        as_utc(moment, now=NOW)


def test_the_range_ends_are_half_open() -> None:
    assert as_utc(AS_OF_MIN, now=NOW) == AS_OF_MIN


@pytest.mark.parametrize(
    ("cron", "problem"),
    [
        ("61 25 * * 8", "not a valid cron"),
        ("0 8 * *", "five-field"),
        ("0 8 * * 1 2030", "five-field"),
        ("H 8 * * 1", "not a valid cron"),
        ("R 8 * * 1", "not a valid cron"),
        ("0 8 1W * *", "not a valid cron"),
        ("*/0 8 * * 1", "not a valid cron"),
        ("0 8 31 2 *", "never fires"),
    ],
)
def test_report_cron_is_checked_with_prefects_parser(cron: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_cron(cron)


@pytest.mark.parametrize("cron", ["0 8 * * 1", "*/15 * * * *", "0 8 1 * *", "0 9 * * MON-FRI"])
def test_ordinary_report_crons_pass_and_prefect_agrees(cron: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    assert check_cron(cron) == cron
    CronSchedule(cron=cron)  # what `creatorflow serve` would build from it


@pytest.mark.parametrize("cron", ["61 25 * * 8", "H 8 * * 1", "R 8 * * 1", "0 8 1W * *"])
def test_every_cron_we_refuse_for_syntax_prefect_refuses_too(cron: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        CronSchedule(cron=cron)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+SUM(1,2)", "'+SUM(1,2)"),
        ("@SUM(1,2)", "'@SUM(1,2)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("Ana", "Ana"),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    cell: object, expected: str
) -> None:
    assert neutralise(cell) == expected


KEY = b"k" * 32


def test_a_token_spelt_any_other_way_than_its_canonical_form_is_refused() -> None:
    token = make_token("ana@example.com", "spring-glow", key=KEY)
    payload, signature = token.split(".")
    last = signature[-1]
    flipped = "N" if last == "M" else "M"  # 43 characters: the last one carries 2 unused bits
    for altered in (
        f"{token}A",
        f"{token}==",
        f"{payload}.{signature}=",
        f"{payload}.{signature[:-1]}{flipped}",
        f"{payload}=.{signature}",
        f" {token}",
        f"{payload}!.{signature}",
    ):
        with pytest.raises(InvalidToken):
            read_token(altered, key=KEY)
    assert read_token(token, key=KEY).email == "ana@example.com"


def test_an_error_line_is_one_line_cut_in_the_middle_with_control_characters_shown() -> None:
    message = "x.csv:3: url: '" + "a" * 100_000 + "\x1b[31m' is not a post URL\nsecond line"
    line = error_line(message)
    assert "\n" not in line and len(line) <= ERROR_LINE_MAX + len("error: ")
    assert line.startswith("error: x.csv:3: url: 'aaa") and line.endswith("second line")
    assert "\x1b" not in error_line("name \x1b[2J") and "\\x1b" in error_line("name \x1b[2J")


def test_terminal_text_shows_markup_and_escapes_literally() -> None:
    from rich.console import Console

    console = Console(record=True, width=200, force_terminal=True)
    console.print(terminal_text("[link=https://evil.example]click[/link] \x1b[31mred"))
    text = console.export_text()
    assert "[link=https://evil.example]click[/link]" in text and "\\x1b[31mred" in text
