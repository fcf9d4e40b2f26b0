"""Tier rules: every count gets exactly one tier, monotonic, boundaries inclusive as configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.model import TIER_ORDER, Tier
from creatorflow.domain.tiers import TierRules, TierRulesError, assign_tier, is_eligible
from creatorflow.errors import ConfigError
from creatorflow.services.creators.tier_rules import load_default_tier_rules, load_tier_rules
from creatorflow.settings import PROJECT_ROOT

DEFAULT = TierRules.default()
counts = st.integers(min_value=0, max_value=10**10)


@st.composite
def tier_rules(draw: st.DrawFn) -> TierRules:
    """Any valid configuration: an ordered subset of tiers with increasing bounds."""
    chosen = draw(st.lists(st.sampled_from(TIER_ORDER), min_size=1, max_size=5, unique=True))
    ordered = sorted(chosen, key=TIER_ORDER.index)
    bounds = sorted(
        draw(
            st.lists(
                st.integers(min_value=0, max_value=10**9),
                min_size=len(ordered) - 1,
                max_size=len(ordered) - 1,
                unique=True,
            )
        )
    )
    return TierRules(
        upper_bounds=tuple(zip(ordered[:-1], bounds, strict=True)),
        top=ordered[-1],
        min_followers=draw(st.integers(min_value=0, max_value=10**6)),
    )


def test_the_shipped_config_is_the_documented_default() -> None:
    assert load_default_tier_rules(PROJECT_ROOT / "config") == DEFAULT


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, Tier.NANO),
        (9_999, Tier.NANO),
        (10_000, Tier.MICRO),
        (100_000, Tier.MICRO),
        (100_001, Tier.MID),
        (500_000, Tier.MID),
        (500_001, Tier.MACRO),
        (1_000_000, Tier.MACRO),
        (1_000_001, Tier.MEGA),
    ],
)
def test_default_boundaries_are_inclusive(followers: int, tier: Tier) -> None:
    assert assign_tier(followers, DEFAULT) is tier


def test_unknown_or_negative_followers_have_no_tier() -> None:
    assert assign_tier(None, DEFAULT) is None
    assert assign_tier(-1, DEFAULT) is None


@given(rules=tier_rules(), followers=counts)
def test_every_count_maps_to_exactly_one_configured_tier(rules: TierRules, followers: int) -> None:
    tier = assign_tier(followers, rules)
    assert tier in rules.tiers()
    matching = [
        t
        for index, t in enumerate(rules.tiers())
        if (index == 0 or followers > rules.upper_bounds[index - 1][1])
        and (index == len(rules.upper_bounds) or followers <= rules.upper_bounds[index][1])
    ]
    assert matching == [tier]


@given(rules=tier_rules(), a=counts, b=counts)
def test_tiers_are_monotonic_in_followers(rules: TierRules, a: int, b: int) -> None:
    low, high = sorted((a, b))
    low_tier, high_tier = assign_tier(low, rules), assign_tier(high, rules)
    assert low_tier is not None and high_tier is not None
    assert TIER_ORDER.index(low_tier) <= TIER_ORDER.index(high_tier)


@given(rules=tier_rules())
def test_each_upper_bound_belongs_to_its_own_tier(rules: TierRules) -> None:
    tiers = rules.tiers()
    for index, (tier, bound) in enumerate(rules.upper_bounds):
        assert assign_tier(bound, rules) is tier
        assert assign_tier(bound + 1, rules) is tiers[index + 1]


@given(rules=tier_rules(), followers=counts)
def test_eligibility_is_the_configured_minimum(rules: TierRules, followers: int) -> None:
    assert is_eligible(followers, rules) == (followers >= rules.min_followers)
    assert not is_eligible(None, rules)


def test_default_minimum_is_one_thousand() -> None:
    assert not is_eligible(999, DEFAULT)
    assert is_eligible(1_000, DEFAULT)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_custom_file_is_loaded(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "min_followers: 500\ntiers:\n  - {name: Nano, max: 4999}\n  - {name: micro}\n",
    )
    rules = load_tier_rules(path)
    assert rules.tiers() == (Tier.NANO, Tier.MICRO)
    assert rules.min_followers == 500
    assert assign_tier(5_000, rules) is Tier.MICRO
    assert assign_tier(10**9, rules) is Tier.MICRO


BAD_CONFIGS: list[tuple[str, str]] = [
    ("tiers: []\n", "'tiers' must be a non-empty list"),
    ("min_followers: 10\n", "'tiers' must be a non-empty list"),
    ("tiers:\n  - {max: 10}\n  - {name: micro}\n", r"tiers\[0\] needs a 'name'"),
    ("tiers:\n  - {name: tiny, max: 10}\n  - {name: micro}\n", "unknown tier 'tiny'"),
    ("tiers:\n  - {name: nano}\n  - {name: micro}\n", r"tiers\[0\] \(nano\): 'max'"),
    ("tiers:\n  - {name: nano, max: 'ten'}\n  - {name: micro}\n", "'max' must be an integer"),
    ("tiers:\n  - {name: nano, max: 10}\n  - {name: micro, max: 20}\n", "is the last: no 'max'"),
    (
        "tiers:\n  - {name: nano, max: 100}\n  - {name: micro, max: 50}\n  - {name: mid}\n",
        "must exceed the previous",
    ),
    ("tiers:\n  - {name: micro, max: 100}\n  - {name: nano}\n", "in the order"),
    ("tiers:\n  - {name: nano, max: 100}\n  - {name: nano}\n", "in the order"),
    ("min_followers: -1\ntiers:\n  - {name: nano}\n", "min_followers must not be negative"),
    ("min_followers: many\ntiers:\n  - {name: nano}\n", "'min_followers' must be an integer"),
    ("- just\n- a list\n", "expected a mapping"),
    ("tiers: [\n", "not valid YAML at line"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_bad_tier_files_are_rejected_naming_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_tier_rules(path)
    assert str(path) in str(caught.value)


def test_a_missing_tier_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such tier rules file") as caught:
        load_tier_rules(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(caught.value)


def test_rules_built_in_code_are_validated_too() -> None:
    bad: list[dict[str, Any]] = [
        {"upper_bounds": ((Tier.NANO, 10), (Tier.MICRO, 10))},
        {"upper_bounds": ((Tier.MID, 10),), "top": Tier.NANO},
    ]
    for kwargs in bad:
        with pytest.raises(TierRulesError):
            TierRules(**kwargs)
