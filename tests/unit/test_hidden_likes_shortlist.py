"""Creators who hide likes: their ER is unknown, not low; the campaign says whether that is fine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from creatorflow.domain.campaign import Selection
from creatorflow.domain.engagement import UnknownEngagement
from creatorflow.domain.shortlist import engagement_label
from creatorflow.storage.campaigns import parse_campaign
from tests.support.campaigns import example_data
from tests.unit.test_shortlist import candidate, reasons, shortlist

HIDDEN = UnknownEngagement.HIDDEN.value


def test_a_creator_hiding_likes_is_excluded_by_default_with_the_reason_said() -> None:
    result = shortlist(
        [candidate(1, engagement_rate=None, engagement_unknown=HIDDEN), candidate(2)],
        min_engagement_rate=Decimal("0.02"),
    )
    assert [p.candidate.handle for p in result.picks] == ["c2"]
    assert reasons(result) == {"c1": "ER unknown (likes hidden)"}


def test_a_campaign_may_accept_an_unknown_rate_which_then_ranks_after_known_ones() -> None:
    result = shortlist(
        [
            candidate(1, engagement_rate=None, engagement_unknown=HIDDEN, followers=90_000),
            candidate(2, engagement_rate=Decimal("0.021")),
            candidate(3, engagement_rate=Decimal("0.01")),
        ],
        min_engagement_rate=Decimal("0.02"),
        unknown_engagement="include",
    )
    assert [p.candidate.handle for p in result.picks] == ["c2", "c1"]
    assert reasons(result) == {"c3": "engagement 1.00% below the minimum 2.00%"}


def test_without_a_minimum_an_unknown_rate_never_excludes() -> None:
    result = shortlist([candidate(1, engagement_rate=None, engagement_unknown=HIDDEN)])
    assert [p.candidate.handle for p in result.picks] == ["c1"]


def test_the_label_tells_hidden_likes_from_a_profile_never_read() -> None:
    assert engagement_label(Decimal("0.0345"), None) == "3.45%"
    assert engagement_label(None, HIDDEN) == "ER unknown (likes hidden)"
    assert engagement_label(None, "no_posts") == "ER unknown (no recent posts)"
    assert engagement_label(None, None) == "engagement rate unknown (refresh the profile)"


def test_the_campaign_file_takes_exclude_or_include_and_nothing_else() -> None:
    assert Selection(tiers={"micro": 1}).unknown_engagement == "exclude"
    data = example_data()
    data["selection"] = {**data["selection"], "unknown_engagement": "include"}
    assert parse_campaign(data, source="t").selection.unknown_engagement == "include"
    with pytest.raises(ValidationError):
        Selection(tiers={"micro": 1}, unknown_engagement="maybe")  # type: ignore[arg-type]
