"""Row validation and the merge rules, without files or databases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.creator_merge import KnownAccount, KnownCreator, plan_merge
from creatorflow.domain.creator_rows import CreatorRow, RowParser, parse_creator_row
from creatorflow.domain.model import Platform, Tier
from creatorflow.domain.tiers import TierRules
from creatorflow.sandbox.sample_creators import generate


def row(line: int, platform: str, handle: str, email: str = "", followers: str = "") -> CreatorRow:
    cells = {"platform": platform, "handle": handle, "email": email, "followers": followers}
    return parse_creator_row(cells, line=line)


def test_a_row_is_normalised_into_a_typed_record() -> None:
    parsed = RowParser(["niche", "platform", "handle", "name", "country"]).parse(
        [" Beauty ", "TikTok", "@Mia", "  Mia   Glow ", "gb"], 7
    )
    assert parsed == CreatorRow(7, Platform.TIKTOK, "mia", None, "Mia Glow", None, "GB", "beauty")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"platform": "vine", "handle": "x"}, "unknown platform 'vine'"),
        ({"platform": "tiktok", "handle": "x", "name": "n" * 201}, "name is longer than 200"),
        ({"platform": "tiktok", "handle": "x", "niche": "n" * 101}, "niche is longer than 100"),
        ({"platform": "tiktok", "handle": "x", "country": "U1"}, "two-letter ISO 3166"),
    ],
)
def test_invalid_cells_name_the_problem(cells: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_creator_row(cells, line=2)


def test_merge_joins_accounts_by_email_and_keeps_the_last_non_empty_count() -> None:
    plan = plan_merge(
        [
            row(2, "instagram", "mia", "mia@example.com", "100"),
            row(3, "tiktok", "mia.t", "mia@example.com"),
            row(4, "instagram", "@MIA", "", "200"),
            row(5, "instagram", "mia", "", ""),
        ],
        accounts={},
        creators={},
        emails={},
        source_label="f.csv",
    )
    assert plan.rejected == []
    assert len(plan.creators) == 1
    assert plan.accounts[("instagram", "mia")].followers == 200
    assert plan.accounts[("instagram", "mia")].source == "f.csv:2"
    (person,) = plan.creators.values()
    assert [a.handle for a in person.new_accounts] == ["mia", "mia.t"]


def test_merge_attaches_rows_to_known_accounts_and_emails() -> None:
    known_accounts = {("youtube", "ava"): KnownAccount(10, 1, 5_000, "nano")}
    known_creators = {1: KnownCreator("ava@example.com", "Ava", None, None)}
    plan = plan_merge(
        [row(2, "youtube", "ava", "", "20000"), row(3, "tiktok", "ava2", "AVA@example.com")],
        accounts=known_accounts,
        creators=known_creators,
        emails={"ava@example.com": 1},
        source_label="f.csv",
    )
    plan.assign_tiers(TierRules.default())
    assert plan.new_creators() == []
    assert plan.changed_creators() == []
    assert plan.accounts[("youtube", "ava")].changes() == {
        "followers": [5_000, 20_000],
        "tier": ["nano", "micro"],
    }
    assert plan.accounts[("tiktok", "ava2")].creator_ref == 1


def test_merge_refuses_to_join_two_people() -> None:
    plan = plan_merge(
        [row(2, "youtube", "a", "a@example.com"), row(3, "youtube", "b", "b@example.com"),
         row(4, "youtube", "a", "b@example.com")],
        accounts={}, creators={}, emails={}, source_label="f.csv",
    )  # fmt: skip
    assert [line for line, _ in plan.rejected] == [4]
    assert plan.creators[-1].email == "a@example.com"


@given(st.permutations(range(6)))
def test_every_planned_account_belongs_to_a_planned_creator_in_any_row_order(
    order: list[int],
) -> None:
    rows = [row(i + 2, "instagram", f"h{i % 3}", f"p{i % 2}@example.com") for i in order]
    first = plan_merge(rows, accounts={}, creators={}, emails={}, source_label="f")
    first.assign_tiers(TierRules.default())
    assert {a.creator_ref for a in first.accounts.values()} <= set(first.creators)


def test_the_sample_covers_every_tier_platform_and_format_and_is_deterministic() -> None:
    sample = list(generate())
    assert sample == list(generate())
    assert len(sample) == 300
    assert {s.platform for s in sample} == set(Platform)
    rows = [
        parse_creator_row(
            {"platform": s.platform.value, "handle": s.handle, "email": s.email,
             "followers": s.followers, "country": s.country, "niche": s.niche},
            line=i,
        )
        for i, s in enumerate(sample)
    ]  # fmt: skip
    plan = plan_merge(rows, accounts={}, creators={}, emails={}, source_label="s")
    plan.assign_tiers(TierRules.default())
    assert plan.rejected == []
    assert {a.tier for a in plan.accounts.values()} == {t.value for t in Tier} | {None}
    assert len(plan.creators) < len(plan.accounts)  # some people have two accounts
    formats = {s.followers[-1:] for s in sample if s.followers}
    assert {"k", "M"} <= formats
    assert any("," in s.followers for s in sample)
    assert any(s.handle.startswith("@") for s in sample)
    assert any(s.handle.startswith("UC") and len(s.handle) == 24 for s in sample)
