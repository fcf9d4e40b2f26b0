"""Metric formulas, funnel, report periods and the EMV price table."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from creatorflow.domain.metrics import (
    CreatorInputs,
    PriceTable,
    cost_per_engagement,
    cost_per_lead,
    cost_per_view,
    cpm_by_views,
    derive,
    earned_media_value,
    engagement,
    engagement_rate,
    finish_creator,
    funnel_counts,
    funnel_step_reached,
)
from creatorflow.domain.report_period import ReportCronError, period_kind, report_period
from creatorflow.errors import ConfigError
from creatorflow.services.reporting import numbers as fmt
from creatorflow.services.reporting.prices import load_price_table
from creatorflow.services.reporting.render import markdown_text
from creatorflow.settings import PROJECT_ROOT

PRICES = PriceTable(
    version="t", currency="USD", prices={"like": Decimal("0.15"), "view": Decimal("0.003")}
)


def test_engagement_sums_exposed_counts_and_is_unknown_when_likes_or_comments_are_hidden() -> None:
    assert engagement(10, 2, None, 1) == 13  # shares not exposed: left out
    assert engagement(None, None, None, None) is None
    assert engagement(0, None, None, None) is None  # comments hidden
    assert engagement(None, 7, 3, 1) is None  # likes hidden: not taken as 7 + 3 + 1


def test_ratios_are_unknown_for_unknown_or_zero_denominators() -> None:
    assert engagement_rate(50, 1000) == Decimal("0.05")
    assert engagement_rate(50, 0) is None and engagement_rate(None, 10) is None
    assert cost_per_engagement(Decimal("100"), 400) == Decimal("0.25")
    assert cost_per_view(Decimal("100"), 20000) == Decimal("0.005")
    assert cpm_by_views(Decimal("100"), 20000) == Decimal("5.000")
    assert cost_per_lead(Decimal("90"), 3) == Decimal("30")
    assert cost_per_lead(None, 3) is None


def test_emv_prices_known_counts_only() -> None:
    assert earned_media_value({"like": 100, "view": None, "click": 5}, PRICES) == Decimal("15.00")


def test_a_paid_creator_whose_post_hides_a_count_is_left_out_of_that_ratio() -> None:
    hidden_views = CreatorInputs(posts=1, views_unknown=1, engagements=10)
    done = finish_creator(
        hidden_views,
        fee=Decimal("50"),
        accepted=True,
        followers=1000,
        clicks=0,
        leads=2,
        sales=0,
        revenue=Decimal(0),
    )
    figures = derive(done, PRICES)
    assert (done.cpe_creators, done.cpv_creators) == (1, 0)
    assert figures.cpe == Decimal(5) and figures.cpv is None
    assert figures.cost_per_lead == Decimal(25)
    unpaid = finish_creator(
        CreatorInputs(),
        fee=None,
        accepted=True,
        followers=None,
        clicks=0,
        leads=0,
        sales=0,
        revenue=Decimal(0),
    )
    assert (unpaid.paid, unpaid.fee_unknown, unpaid.reach_unknown) == (0, 1, 0)


def test_funnel_is_cumulative_and_a_post_counts_as_posted() -> None:
    reached = [
        funnel_step_reached("shortlisted", has_post=False),
        funnel_step_reached("bounced", has_post=False),
        funnel_step_reached("declined", has_post=False),
        funnel_step_reached("accepted", has_post=True),
        funnel_step_reached("removed", has_post=False),
    ]
    assert funnel_counts(reached) == {
        "shortlisted": 4,
        "contacted": 3,
        "replied": 2,
        "accepted": 1,
        "posted": 1,
    }


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 8 * * 1", "2027-W09"),
        ("0 8 1 * *", "2027-03"),
        ("30 7 * * *", "2027-03-01"),
        ("0 * * * *", "2027-03-01T09"),
        (None, "2027-W09"),
    ],
)
def test_report_period_follows_the_cron(cron: str | None, expected: str) -> None:
    assert report_period(cron, datetime(2027, 3, 1, 9, 30, tzinfo=UTC)) == expected


def test_iso_week_crosses_the_year_boundary() -> None:
    assert report_period("0 8 * * 1", datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"
    with pytest.raises(ReportCronError):
        period_kind("every monday")


def test_decimal_formats_are_fixed() -> None:
    assert fmt.money(Decimal("1234.5"), "USD") == "1,234.50 USD"
    assert fmt.money(Decimal("0.125")) == "0.12"  # half-even
    assert fmt.unit_money(Decimal(100) / 281) == "0.3559"
    assert fmt.percent(Decimal("0.0125909")) == "1.26 %"
    assert fmt.percent(None) == fmt.UNKNOWN and fmt.count(None) == fmt.UNKNOWN
    assert fmt.csv_decimal(None, "money") == ""


def test_markdown_text_cannot_break_a_table_or_inject_html() -> None:
    assert markdown_text("<b>x</b> | [y](z)") == "&lt;b&gt;x&lt;/b&gt; \\| \\[y\\](z)"


def test_the_shipped_price_table_loads(tmp_path: Path) -> None:
    table = load_price_table(PROJECT_ROOT / "config", "emv-2026-01")
    assert table.currency == "USD" and table.price("like") == Decimal("0.15")
    with pytest.raises(ConfigError, match="not found"):
        load_price_table(tmp_path, "emv-1999-01")
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "bad.yaml").write_text(
        "version: bad\ncurrency: USD\nprices: {like: cheap}\n"
    )
    with pytest.raises(ConfigError, match=r"bad\.yaml: prices\.like: 'cheap' is not a number"):
        load_price_table(tmp_path, "bad")
