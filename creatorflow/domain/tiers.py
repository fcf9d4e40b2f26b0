"""Tier rules: follower count -> tier, with inclusive upper bounds as configured."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from creatorflow.domain.model import TIER_ORDER, Tier


class TierRulesError(ValueError):
    """The tier configuration is inconsistent (bounds not increasing, unknown tier name)."""


@dataclass(frozen=True)
class TierRules:
    """Upper bounds (inclusive) for every tier but the last, which is open-ended.

    ``nano_max=9_999`` means nano is < 10,000 followers; ``micro_max=100_000`` means 100,000 is
    still micro (the brief's "100k followers or less").
    """

    upper_bounds: tuple[tuple[Tier, int], ...]
    top: Tier = Tier.MEGA
    min_followers: int = 0

    def __post_init__(self) -> None:
        previous = -1
        for tier, bound in self.upper_bounds:
            if bound <= previous:
                raise TierRulesError(
                    f"tier {tier.value!r}: upper bound {bound} must exceed the previous tier's "
                    f"bound {previous}"
                )
            previous = bound
        if self.min_followers < 0:
            raise TierRulesError("min_followers must not be negative")
        ranks = [TIER_ORDER.index(tier) for tier in self.tiers()]
        if ranks != sorted(set(ranks)):
            order = ", ".join(t.value for t in TIER_ORDER)
            raise TierRulesError(f"tiers must be listed once each, in the order {order}")

    @classmethod
    def default(cls) -> TierRules:
        """Later x Fohr 2021 tiers (the product's default)."""
        return cls(
            upper_bounds=(
                (Tier.NANO, 9_999),
                (Tier.MICRO, 100_000),
                (Tier.MID, 500_000),
                (Tier.MACRO, 1_000_000),
            ),
            top=Tier.MEGA,
            min_followers=1_000,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TierRules:
        """Build from the parsed `config/tiers.yaml` document.

        Shape: ``{"version": "...", "min_followers": 1000, "tiers": [{"name": "nano", "max": 9999},
        ..., {"name": "mega"}]}``; the last tier has no ``max``.
        """
        raw_tiers = data.get("tiers")
        if not isinstance(raw_tiers, list) or not raw_tiers:
            raise TierRulesError("'tiers' must be a non-empty list")
        bounds: list[tuple[Tier, int]] = []
        top: Tier | None = None
        for index, item in enumerate(raw_tiers):
            if not isinstance(item, Mapping) or "name" not in item:
                raise TierRulesError(f"tiers[{index}] needs a 'name'")
            try:
                tier = Tier(str(item["name"]).lower())
            except ValueError as exc:
                names = ", ".join(t.value for t in TIER_ORDER)
                raise TierRulesError(
                    f"tiers[{index}]: unknown tier {item['name']!r} (expected one of {names})"
                ) from exc
            is_last = index == len(raw_tiers) - 1
            if is_last:
                if item.get("max") is not None:
                    raise TierRulesError(f"tiers[{index}] ({tier.value}) is the last: no 'max'")
                top = tier
            else:
                bound = item.get("max")
                if not isinstance(bound, int) or isinstance(bound, bool):
                    raise TierRulesError(f"tiers[{index}] ({tier.value}): 'max' must be an integer")
                bounds.append((tier, bound))
        assert top is not None
        min_followers = data.get("min_followers", 0)
        if not isinstance(min_followers, int) or isinstance(min_followers, bool):
            raise TierRulesError("'min_followers' must be an integer")
        return cls(upper_bounds=tuple(bounds), top=top, min_followers=min_followers)

    def tiers(self) -> tuple[Tier, ...]:
        return tuple(t for t, _ in self.upper_bounds) + (self.top,)


def assign_tier(followers: int | None, rules: TierRules) -> Tier | None:
    """The tier for a follower count; ``None`` when the count is unknown or negative."""
    if followers is None or followers < 0:
        return None
    for tier, bound in rules.upper_bounds:
        if followers <= bound:
            return tier
    return rules.top


def is_eligible(followers: int | None, rules: TierRules) -> bool:
    """Whether an account meets the configured minimum (unknown counts are not eligible)."""
    return followers is not None and followers >= rules.min_followers
