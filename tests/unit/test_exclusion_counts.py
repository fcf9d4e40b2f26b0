"""Exclusions counted by the rule they failed, with the next step; a rule the table does not
know is counted under its own text, so a new rule shows in every summary."""

from __future__ import annotations

from decimal import Decimal

from creatorflow.domain.shortlist import Exclusion, ReasonCount, exclusion_counts
from tests.unit.test_shortlist import candidate, shortlist


def test_reasons_are_counted_by_rule_most_frequent_first_with_the_next_step() -> None:
    result = shortlist(
        [
            candidate(1, engagement_rate=None),
            candidate(2, engagement_rate=None),
            candidate(3, niche="gaming"),
            candidate(4, niche="food"),
            candidate(5, niche="travel", engagement_rate=None),  # the niche rule is said first
            candidate(6, has_email=False),
        ],
        niches=["skincare"],
        min_engagement_rate=Decimal("0.02"),
    )
    assert exclusion_counts(result.exclusions) == [
        ReasonCount("niche not in `selection.niches`", 3, ""),
        ReasonCount(
            "engagement rate unknown (profile not refreshed yet)",
            2,
            "run `creatorflow creators refresh`, or set `selection.unknown_engagement: include`",
        ),
        ReasonCount(
            "no email address",
            1,
            "import a file with an `email` column: `creatorflow creators import FILE.csv`",
        ),
    ]


def test_a_reason_without_a_known_kind_is_counted_under_its_own_text() -> None:
    c = candidate(1)
    found = exclusion_counts(
        [
            Exclusion(c, "a rule added later", "a_new_rule"),
            Exclusion(c, "a rule added later", "a_new_rule"),
            Exclusion(c, "tier micro already has 2", "tier_full"),
        ]
    )
    assert found == [
        ReasonCount("a rule added later", 2, ""),
        ReasonCount("tier already full", 1, "raise the tier's count in `selection.tiers`"),
    ]
