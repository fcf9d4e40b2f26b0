"""Shortlisting: best engagement first per tier, counts and budget, every exclusion explained."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from creatorflow.domain.campaign import Selection
from creatorflow.domain.model import Platform, Tier
from creatorflow.domain.shortlist import Candidate, build_shortlist


def candidate(n: int, **changes: Any) -> Candidate:
    values: dict[str, Any] = {
        "creator_id": n,
        "account_id": n,
        "platform": "instagram",
        "handle": f"c{n}",
        "name": f"C{n}",
        "tier": "micro",
        "followers": 20_000,
        "engagement_rate": Decimal("0.03"),
        "country": "US",
        "niche": "skincare",
        "has_email": True,
    }
    values.update(changes)
    return Candidate(**values)


def shortlist(candidates: list[Candidate], budget: str = "100000", **selection: Any) -> Any:
    rules = {"tiers": {Tier.MICRO: 2, Tier.NANO: 1}, **selection}
    return build_shortlist(
        candidates,
        selection=Selection(**rules),
        offers={Tier.MICRO: Decimal("400"), Tier.NANO: Decimal("100")},
        budget=Decimal(budget),
        platforms=[Platform.INSTAGRAM, Platform.TIKTOK],
    )


def reasons(result: Any) -> dict[str, str]:
    return {e.candidate.handle: e.reason for e in result.exclusions}


def test_best_engagement_goes_first_within_each_tier_up_to_its_count() -> None:
    result = shortlist(
        [
            candidate(1, engagement_rate=Decimal("0.02")),
            candidate(2, engagement_rate=Decimal("0.06")),
            candidate(3, engagement_rate=Decimal("0.04")),
            candidate(4, tier="nano", followers=5_000),
        ]
    )
    assert [(p.candidate.handle, p.tier, p.rank) for p in result.picks] == [
        ("c4", Tier.NANO, 1),
        ("c2", Tier.MICRO, 1),
        ("c3", Tier.MICRO, 2),
    ]
    assert reasons(result) == {"c1": "tier micro already has 2"}
    assert result.spend() == Decimal("900") and result.shortfall() == {}


def test_the_budget_stops_the_shortlist() -> None:
    result = shortlist([candidate(1), candidate(2)], budget="500")
    assert [p.candidate.handle for p in result.picks] == ["c1"]
    assert reasons(result)["c2"].startswith("over budget")
    assert result.shortfall() == {Tier.MICRO: 1, Tier.NANO: 1}


def test_each_rule_excludes_with_its_own_reason() -> None:
    result = shortlist(
        [
            candidate(1, platform="youtube"),
            candidate(2, suppressed=True),
            candidate(3, has_email=False),
            candidate(4, closed_elsewhere="declined in campaign winter"),
            candidate(5, active_elsewhere="summer-sun"),
            candidate(6, tier=None),
            candidate(7, tier="mega"),
            candidate(8, followers=1_500),
            candidate(9, engagement_rate=None),
            candidate(10, engagement_rate=Decimal("0.01")),
            candidate(11, niche="gaming"),
            candidate(12, country="FR"),
        ],
        niches=["skincare"],
        countries=["us"],
        min_followers=2_000,
        min_engagement_rate=Decimal("0.02"),
    )
    assert result.picks == ()
    assert reasons(result) == {
        "c1": "platform youtube is not in this campaign",
        "c2": "suppressed (opted out, bounced or blocked)",
        "c3": "no email address",
        "c4": "already contacted: declined in campaign winter",
        "c5": "active in campaign summer-sun",
        "c6": "no tier (follower count unknown)",
        "c7": "tier mega not wanted",
        "c8": "followers 1,500 below the minimum 2,000",
        "c9": "engagement rate unknown (refresh the profile)",
        "c10": "engagement 1.00% below the minimum 2.00%",
        "c11": "niche gaming not in skincare",
        "c12": "country FR not in US",
    }


def test_creators_active_elsewhere_may_be_allowed() -> None:
    result = shortlist(
        [candidate(1, active_elsewhere="summer-sun")], exclude_active_elsewhere=False
    )
    assert [p.candidate.handle for p in result.picks] == ["c1"]


def test_one_account_per_creator_the_best_one() -> None:
    result = shortlist(
        [
            candidate(1, account_id=10, handle="ig", engagement_rate=Decimal("0.02")),
            candidate(
                1, account_id=11, handle="tt", platform="tiktok", engagement_rate=Decimal("0.05")
            ),
        ]
    )
    assert [p.candidate.label for p in result.picks] == ["tiktok:tt"]
    assert reasons(result) == {"ig": "another account of this creator was picked (tiktok:tt)"}
