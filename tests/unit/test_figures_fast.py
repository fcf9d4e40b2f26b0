"""The report's fast paths (issue 20) against the plain formulas they replace.

``creator_inputs`` builds each creator's inputs positionally, ``summed`` adds column by column,
``derive`` writes ``ratio`` and the EMV sum out and ``funnel_counts`` counts per step: each is
checked here, on many generated cases, against the straightforward version it must equal,
figure for figure and digit for digit (reports are reproducible: ``repr`` must match too).
"""

from __future__ import annotations

import random
from dataclasses import fields
from decimal import Decimal

from creatorflow.domain.metrics import (
    FUNNEL_STEPS,
    POST_SUMS,
    CreatorInputs,
    Figures,
    PriceTable,
    cost_per_engagement,
    cost_per_lead,
    cost_per_view,
    cpm_by_views,
    creator_inputs,
    derive,
    engagement_rate,
    finish_creator,
    funnel_counts,
    summed,
)

PRICES = PriceTable(
    version="t",
    currency="USD",
    prices={"view": Decimal("0.003"), "like": Decimal("0.15"), "click": Decimal("3.00")},
)

TEN_A_SHARE = PriceTable(
    version="u", currency="EUR", prices={"share": Decimal("1E+1"), "save": Decimal("0.4")}
)


def _reference_inputs(
    sums: tuple[int, ...], provenance: dict[str, int], **creator: object
) -> CreatorInputs:
    """The creator-level rules as first written: set field by field, by name."""
    inputs = CreatorInputs(**dict(zip(POST_SUMS, sums, strict=True)), provenance_posts=provenance)
    fee, accepted, followers = creator["fee"], creator["accepted"], creator["followers"]
    inputs.creators = 1
    inputs.posting_creators = 1 if inputs.posts else 0
    inputs.er_followers_creators = 1 if inputs.er_followers_posts else 0
    inputs.er_views_creators = 1 if inputs.er_views_posts else 0
    if inputs.posts:
        if followers is None:
            inputs.reach_unknown = 1
        else:
            inputs.potential_reach = followers  # type: ignore[assignment]
    if accepted and fee is None:
        inputs.fee_unknown = 1
    if accepted and fee is not None:
        inputs.paid, inputs.cost, inputs.lead_creators = 1, fee, 1  # type: ignore[assignment]
        if inputs.engagements_unknown == 0:
            inputs.cpe_creators, inputs.cpe_cost = 1, fee  # type: ignore[assignment]
            inputs.cpe_engagements = inputs.engagements
        if inputs.views_unknown == 0:
            inputs.cpv_creators, inputs.cpv_cost = 1, fee  # type: ignore[assignment]
            inputs.cpv_views = inputs.views
    for name in ("clicks", "leads", "sales", "revenue"):
        setattr(inputs, name, creator[name])
    return inputs


def _reference_derive(inputs: CreatorInputs, prices: PriceTable) -> Figures:
    counts: dict[str, int | None] = {
        "view": inputs.views,
        "like": inputs.likes,
        "comment": inputs.comments,
        "share": inputs.shares,
        "save": inputs.saves,
        "click": inputs.clicks,
    }
    return Figures(
        inputs=inputs,
        er_followers=engagement_rate(inputs.er_followers_engagements, inputs.er_followers_base),
        er_views=engagement_rate(inputs.er_views_engagements, inputs.er_views_base),
        cpe=cost_per_engagement(inputs.cpe_cost, inputs.cpe_engagements),
        cpv=cost_per_view(inputs.cpv_cost, inputs.cpv_views),
        cpm_views=cpm_by_views(inputs.cpv_cost, inputs.cpv_views),
        emv=_plain_emv(counts, prices),
        cost_per_lead=cost_per_lead(inputs.cost if inputs.paid else None, inputs.leads),
    )


def _plain_emv(counts: dict[str, int | None], prices: PriceTable) -> Decimal:
    """metrics.md's EMV as written: the known counts times their prices, in Decimal."""
    total = Decimal(0)
    for action, price in prices.priced:
        count = counts.get(action)
        if count is not None:
            total += price * count
    return total


def _cases(n: int, seed: int = 20) -> list[tuple[tuple[int, ...], dict[str, object]]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        posts = rng.choice((0, 1, 1, 3))
        sums = tuple(rng.choice((0, 0, 1, 7, 1234, 10**9)) if posts else 0 for _ in POST_SUMS)
        sums = (posts, *sums[1:])
        creator = {
            "fee": rng.choice((None, Decimal("150.00"), Decimal("0.10"), Decimal("99"))),
            "accepted": rng.random() < 0.7,
            "followers": rng.choice((None, 0, 8000, 10**7)),
            "clicks": rng.choice((0, 5)),
            "leads": rng.choice((0, 3)),
            "sales": rng.choice((0, 1)),
            "revenue": rng.choice((Decimal(0), Decimal("12.50"))),
        }
        cases.append((sums, creator))
    return cases


def test_creator_inputs_sets_every_field_as_the_rules_by_name_do() -> None:
    for sums, creator in _cases(400):
        fast = creator_inputs(sums, {"api": sums[0]}, **creator)  # type: ignore[arg-type]
        slow = _reference_inputs(sums, {"api": sums[0]}, **creator)
        for f in fields(CreatorInputs):  # by name: a field order mix-up fails here
            assert repr(getattr(fast, f.name)) == repr(getattr(slow, f.name)), f.name


def test_finish_creator_keeps_its_contract() -> None:
    done = finish_creator(
        CreatorInputs(posts=2, views=10, provenance_posts={"api": 2}),
        fee=Decimal("20"),
        accepted=True,
        followers=None,
        clicks=1,
        leads=0,
        sales=0,
        revenue=Decimal(0),
    )
    assert (done.creators, done.paid, done.reach_unknown, done.cpv_views) == (1, 1, 1, 10)
    assert done.provenance_posts == {"api": 2}


def test_summed_and_derive_equal_one_add_at_a_time_and_the_plain_formulas() -> None:
    items = [
        creator_inputs(sums, {"api": 1, "manual": sums[0]}, **creator)  # type: ignore[arg-type]
        for sums, creator in _cases(300, seed=7)
    ]
    one_by_one = CreatorInputs()
    for item in items:
        one_by_one.add(item)
    assert repr(summed(items)) == repr(one_by_one)
    assert repr(summed([])) == repr(CreatorInputs())
    huge = CreatorInputs(views=10**17, likes=3, clicks=10**16)  # past the integer EMV path
    tables = (PRICES, TEN_A_SHARE, PriceTable(version="none", currency="USD", prices={}))
    for inputs in [*items, one_by_one, huge, CreatorInputs()]:
        for prices in tables:
            assert repr(derive(inputs, prices)) == repr(_reference_derive(inputs, prices))


def test_funnel_counts_are_cumulative_per_step() -> None:
    rng = random.Random(3)
    reached = [rng.choice((None, 0, 1, 2, 3, 4)) for _ in range(500)]
    expected = {
        step: sum(1 for r in reached if r is not None and r >= k)
        for k, step in enumerate(FUNNEL_STEPS)
    }
    assert funnel_counts(reached) == expected
    assert list(funnel_counts(reached)) == list(FUNNEL_STEPS)
    assert funnel_counts([]) == dict.fromkeys(FUNNEL_STEPS, 0)
