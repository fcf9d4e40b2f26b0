"""What the report says in words (issue 14): unknown counts, the chart tables, the price note,
the readable per-creator table and the axis numbers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from creatorflow.domain.metrics import CreatorInputs, PriceTable, derive
from creatorflow.services.reporting.charts import THOUSANDS
from creatorflow.services.reporting.figures import Timeline
from creatorflow.services.reporting.views import headline, platform_table, timeline_table

PRICES = PriceTable(version="emv-2026-01", currency="USD", prices={"like": Decimal("0.15")})


def _lines(inputs: CreatorInputs) -> dict[str, tuple[str, str]]:
    figures = derive(inputs, PRICES)
    return {line.label: (line.value, line.note) for line in headline(figures, "USD", "USD", "v1")}


def test_a_count_every_post_hid_is_unknown_not_zero() -> None:
    lines = _lines(CreatorInputs(posts=28, saves_unknown=28, likes=900, likes_unknown=3))
    assert lines["Saves"] == ("unknown", "hidden on all 28 posts")
    assert lines["Likes"] == ("900", "3 of 28 posts unknown")
    assert lines["Comments"] == ("0", "")  # measured on every post: a real zero
    one = _lines(CreatorInputs(posts=1, shares_unknown=1))
    assert one["Shares"] == ("unknown", "hidden on the post")


def test_the_emv_note_names_the_price_table_instead_of_pointing_below() -> None:
    _value, note = _lines(CreatorInputs(posts=2, likes=10))["EMV (earned media value)"]
    assert "below" not in note and "v1" in note


def test_the_engagements_chart_has_its_figures_as_a_table_ending_on_the_latest_day() -> None:
    days = tuple(date(2027, 3, 1) + timedelta(days=n) for n in range(30))
    series = (("nano", tuple(range(0, 3000, 100))), ("micro", tuple(range(0, 30000, 1000))))
    table = timeline_table(Timeline(days=days, series=series))
    rows = table["rows"]
    assert isinstance(rows, list) and len(rows) == 8 and table["shown"] == 8
    assert rows[0]["day"] == "2027-03-01" and rows[-1]["day"] == "2027-03-30"
    assert rows[-1]["values"] == ["2,900", "29,000"] and rows[-1]["total"] == "31,900"
    short = timeline_table(Timeline(days=days[:3], series=(("nano", (1, 2, 3)),)))
    assert [r["day"] for r in short["rows"]] == ["2027-03-01", "2027-03-02", "2027-03-03"]


def test_platforms_are_columns_so_the_table_fits_a_phone() -> None:
    rows = [
        {"name": "Instagram", "creators": "3", "posts": "4", "views": "1,000", "engagements": "9"}
        | {"er_followers": "1.00 %", "cost": "300.00", "cpe": "0.1", "emv": "2.00", "leads": "0"},
        {"name": "YouTube", "creators": "1", "posts": "1", "views": "5", "engagements": "1"}
        | {"er_followers": "–", "cost": "–", "cpe": "–", "emv": "0.00", "leads": "2"},
    ]
    table = platform_table(rows, "USD", "EUR")
    assert table["names"] == ["Instagram", "YouTube"]
    by_label = {r["label"]: r["values"] for r in table["rows"]}
    assert by_label["cost USD"] == ["300.00", "–"] and by_label["EMV EUR"] == ["2.00", "0.00"]


def test_chart_axes_print_thousands_separators() -> None:
    assert THOUSANDS(12000, 0) == "12,000" and THOUSANDS(1_500_000.0, 0) == "1,500,000"
