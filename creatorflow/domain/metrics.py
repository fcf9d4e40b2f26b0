"""Campaign metric formulas: engagement, ER, CPE, CPV, CPM by views, EMV, cost per lead.

Vendors disagree on every one of these and some changed theirs retroactively, so the definitions
carry a version (``DEFINITIONS_VERSION``) that every report prints. A count the platform hides is
``None`` (unknown): it is left out of both numerator and denominator, and the figures say how many
were unknown, instead of pretending it was zero.

The report works in two steps: SQL sums the additive parts per creator (``CreatorInputs``), then
``derive`` turns any group of them (one creator, a tier, a platform, the whole campaign) into
``Figures``. Sums are additive, so a group's figures are exact whatever the grouping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, getcontext
from functools import cached_property
from operator import add as _plus
from operator import attrgetter
from operator import mul as _times
from typing import Any

from creatorflow.domain.engagement import SHOWN, post_engagement
from creatorflow.domain.funnel import FUNNEL_STEPS as FUNNEL_STEPS  # re-exported
from creatorflow.domain.funnel import funnel_counts as funnel_counts
from creatorflow.domain.funnel import funnel_step_reached as funnel_step_reached

DEFINITIONS_VERSION = "cf-metrics-2027.2"
"""Bump when any formula below changes meaning; reports name the version they used."""

PRICE_KEYS: tuple[str, ...] = ("view", "like", "comment", "share", "save", "click")


@dataclass(frozen=True)
class PriceTable:
    """A versioned EMV price list: the value of one action, in ``currency``."""

    version: str
    currency: str
    prices: Mapping[str, Decimal]
    source: str = ""

    def price(self, action: str) -> Decimal:
        return self.prices.get(action, _ZERO)

    @cached_property
    def priced(self) -> tuple[tuple[str, Decimal], ...]:
        """Every action with its price, in ``PRICE_KEYS`` order, looked up once per table."""
        return tuple((a, self.price(a)) for a in PRICE_KEYS)

    @cached_property
    def scaled(self) -> tuple[int, tuple[int, ...]]:
        """The prices as integers at one exponent (``PRICE_KEYS`` order): EMV in integers.

        The exponent is the smallest of the prices' and 0 (the sum starts from Decimal(0)):
        the one an exact Decimal sum of price x count ends with.
        """
        exponent = min(0, *(int(p.as_tuple().exponent) for _a, p in self.priced))
        return exponent, tuple(int(p.scaleb(-exponent)) for _a, p in self.priced)


_ZERO = Decimal(0)


def engagement(
    likes: int | None,
    comments: int | None,
    shares: int | None,
    saves: int | None,
    *,
    shown: tuple[str, ...] = SHOWN,
) -> int | None:
    """Likes + comments + shares + saves over the counts the platform exposes (metrics.md).

    Likes or comments missing where the platform shows them (``shown``, as its adapter
    declares) means the owner hid them: the post's engagement is then unknown (None) and left
    out of numerator and denominator alike. Shares and saves are added where the platform
    exposes them (Instagram does not show them to other accounts, TikTok shows no saves).
    """
    base = post_engagement(likes, comments, shown=shown)
    if base is None:
        return None
    return base + (shares or 0) + (saves or 0)


def ratio(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    """numerator / denominator, or None when either is unknown or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return Decimal(numerator) / Decimal(denominator)


def engagement_rate(engagements: int | None, base: int | None) -> Decimal | None:
    """Engagement rate as a fraction (0.0345 = 3.45 %), by followers or by views."""
    return ratio(engagements, base)


def cost_per_engagement(cost: Decimal | None, engagements: int | None) -> Decimal | None:
    return ratio(cost, engagements)


def cost_per_view(cost: Decimal | None, views: int | None) -> Decimal | None:
    return ratio(cost, views)


def cpm_by_views(cost: Decimal | None, views: int | None) -> Decimal | None:
    """Cost per thousand views (not impressions: label it "CPM by views")."""
    per_view = ratio(cost, views)
    return None if per_view is None else per_view * 1000


def cost_per_lead(cost: Decimal | None, leads: int | None) -> Decimal | None:
    return ratio(cost, leads)


def earned_media_value(counts: Mapping[str, int | None], prices: PriceTable) -> Decimal:
    """Sum of known counts times their price (unknown counts add nothing)."""
    return emv_of(tuple(counts.get(action) for action, _price in prices.priced), prices)


_DIGITS = 18
_EXACT = 10**_DIGITS  # far below the default 28 digits: no rounding either way


def emv_of(counts: Sequence[int | None], prices: PriceTable) -> Decimal:
    """``earned_media_value`` of counts given in ``PRICE_KEYS`` order.

    With every count known, the sum is taken in integers at the prices' one exponent
    (``PriceTable.scaled``) and turned into the same Decimal an exact sum gives (coefficient
    and exponent): a report prices every creator, tier and platform.
    """
    if None not in counts:
        exponent, scaled = prices.scaled
        total = sum(map(_times, scaled, counts))  # no None: checked above
        if -_EXACT < total < _EXACT and getcontext().prec >= _DIGITS:
            return Decimal(total).scaleb(exponent)
    emv = _ZERO  # an unknown count, or beyond what is exact without rounding: the plain sum
    for (_action, price), count in zip(prices.priced, counts, strict=True):
        if count is not None:
            emv += price * count
    return emv


@dataclass(slots=True)
class CreatorInputs:
    """The additive parts of one creator's figures (or of a group's, once summed).

    ``*_unknown`` count posts whose latest snapshot did not carry that count. ``paid`` means the
    creator accepted with a known fee; ``fee_unknown`` accepted without one. Slots: with more
    fields than an instance keeps inline, each would otherwise carry a dict of its own, one
    more object per creator for the garbage collector to walk on every full collection.
    """

    creators: int = 0
    posting_creators: int = 0
    posts: int = 0
    posts_live: int = 0
    views: int = 0
    views_unknown: int = 0
    likes: int = 0
    likes_unknown: int = 0
    comments: int = 0
    comments_unknown: int = 0
    shares: int = 0
    shares_unknown: int = 0
    saves: int = 0
    saves_unknown: int = 0
    engagements: int = 0
    engagements_unknown: int = 0
    # ER by followers: posts where both engagement and followers at posting are known
    er_followers_engagements: int = 0
    er_followers_base: int = 0
    er_followers_posts: int = 0
    er_followers_creators: int = 0
    # ER by views: posts where both engagement and views are known
    er_views_engagements: int = 0
    er_views_base: int = 0
    er_views_posts: int = 0
    er_views_creators: int = 0
    potential_reach: int = 0
    reach_unknown: int = 0
    paid: int = 0
    fee_unknown: int = 0
    cost: Decimal = Decimal(0)
    # creator-level sets behind CPE / CPV: paid creators whose every post has the count known
    cpe_creators: int = 0
    cpe_cost: Decimal = Decimal(0)
    cpe_engagements: int = 0
    cpv_creators: int = 0
    cpv_cost: Decimal = Decimal(0)
    cpv_views: int = 0
    clicks: int = 0
    leads: int = 0
    sales: int = 0
    revenue: Decimal = Decimal(0)
    lead_creators: int = 0
    provenance_posts: dict[str, int] = field(default_factory=dict)

    def add(self, other: CreatorInputs) -> None:
        """Add ``other`` in place (every field is a sum; for many at once, ``summed``)."""
        for name, value in zip(_ADDITIVE, map(_plus, _SUMS(self), _SUMS(other)), strict=True):
            setattr(self, name, value)
        for key, value in other.provenance_posts.items():
            self.provenance_posts[key] = self.provenance_posts.get(key, 0) + value


_ADDITIVE: tuple[str, ...] = tuple(
    f.name for f in fields(CreatorInputs) if f.name != "provenance_posts"
)
_SUMS = attrgetter(*_ADDITIVE)
_ZERO_SUMS = _SUMS(CreatorInputs())

#: The sums over a creator's posts, in the order the report's SQL gives them
#: (``reporting.aggregates.post_rows``); the creator-level parts come from ``finish_creator``.
POST_SUMS: tuple[str, ...] = (
    "posts",
    "posts_live",
    *("views", "likes", "comments", "shares", "saves"),
    *("views_unknown", "likes_unknown", "comments_unknown", "shares_unknown", "saves_unknown"),
    "engagements",
    "engagements_unknown",
    *("er_followers_engagements", "er_followers_base", "er_followers_posts"),
    *("er_views_engagements", "er_views_base", "er_views_posts"),
)


_POST_SUMS_OF = attrgetter(*POST_SUMS)


def summed(items: Iterable[CreatorInputs]) -> CreatorInputs:
    """The sum of many inputs, column by column: a tier of thousands of creators costs one
    C-level pass per field instead of a Python call per creator."""
    items = list(items)
    if not items:
        return CreatorInputs()
    # sum(column, start) from the zero row: the same additions, in the same order, as ``add``
    columns: list[Any] = list(map(sum, zip(*map(_SUMS, items), strict=True), _ZERO_SUMS))
    provenance: dict[str, int] = {}
    for item in items:
        for key, value in item.provenance_posts.items():
            provenance[key] = provenance.get(key, 0) + value
    return CreatorInputs(*columns, provenance)  # type: ignore[call-arg]  # in field order


@dataclass(frozen=True)
class Figures:
    """Every reported figure of one group, with the counts behind and the unknowns."""

    inputs: CreatorInputs
    er_followers: Decimal | None
    er_views: Decimal | None
    cpe: Decimal | None
    cpv: Decimal | None
    cpm_views: Decimal | None
    emv: Decimal
    cost_per_lead: Decimal | None


#: The counts EMV prices, in ``PRICE_KEYS`` order.
_PRICED_COUNTS = attrgetter("views", "likes", "comments", "shares", "saves", "clicks")


def derive(inputs: CreatorInputs, prices: PriceTable) -> Figures:
    """Figures of a group from its summed inputs (ratios of sums, never averages of ratios)."""
    i = inputs
    return Figures(  # positionally, in field order: see creator_inputs
        i,
        engagement_rate(i.er_followers_engagements, i.er_followers_base),
        engagement_rate(i.er_views_engagements, i.er_views_base),
        cost_per_engagement(i.cpe_cost, i.cpe_engagements),
        cost_per_view(i.cpv_cost, i.cpv_views),
        cpm_by_views(i.cpv_cost, i.cpv_views),
        emv_of(_PRICED_COUNTS(i), prices),
        cost_per_lead(i.cost if i.paid else None, i.leads),
    )


def finish_creator(
    inputs: CreatorInputs,
    *,
    fee: Decimal | None,
    accepted: bool,
    followers: int | None,
    clicks: int,
    leads: int,
    sales: int,
    revenue: Decimal,
) -> CreatorInputs:
    """``creator_inputs`` from the post sums (``POST_SUMS``) of ``inputs``: a new instance."""
    return creator_inputs(
        _POST_SUMS_OF(inputs),
        inputs.provenance_posts,
        fee=fee,
        accepted=accepted,
        followers=followers,
        clicks=clicks,
        leads=leads,
        sales=sales,
        revenue=revenue,
    )


def creator_inputs(
    post_sums: Sequence[int],
    provenance_posts: dict[str, int],
    *,
    fee: Decimal | None,
    accepted: bool,
    followers: int | None,
    clicks: int,
    leads: int,
    sales: int,
    revenue: Decimal,
) -> CreatorInputs:
    """One creator's inputs: the sums over their posts (``POST_SUMS`` order) completed with the
    creator-level parts (fee, reach, conversions).

    A paid creator counts towards CPE (or CPV) only when every one of their posts has the count
    known; a paid creator with no posts yet counts with zero engagements (the money is spent).
    Built in one call with every field named: this runs once per creator of every report.
    """
    (
        posts,
        posts_live,
        views,
        likes,
        comments,
        shares,
        saves,
        views_unknown,
        likes_unknown,
        comments_unknown,
        shares_unknown,
        saves_unknown,
        engagements,
        engagements_unknown,
        er_followers_engagements,
        er_followers_base,
        er_followers_posts,
        er_views_engagements,
        er_views_base,
        er_views_posts,
    ) = post_sums
    cost = fee if accepted else None  # None: not accepted, or accepted without a known fee
    cpe_cost = cost if engagements_unknown == 0 else None
    cpv_cost = cost if views_unknown == 0 else None
    # positionally, in field order (tests/unit/test_figures_fast.py checks it): matching 43
    # keyword arguments to their parameters costs four times the construction itself
    return CreatorInputs(
        1,  # creators
        1 if posts else 0,  # posting_creators
        posts,
        posts_live,
        views,
        views_unknown,
        likes,
        likes_unknown,
        comments,
        comments_unknown,
        shares,
        shares_unknown,
        saves,
        saves_unknown,
        engagements,
        engagements_unknown,
        er_followers_engagements,
        er_followers_base,
        er_followers_posts,
        1 if er_followers_posts else 0,  # er_followers_creators
        er_views_engagements,
        er_views_base,
        er_views_posts,
        1 if er_views_posts else 0,  # er_views_creators
        followers if posts and followers is not None else 0,  # potential_reach
        1 if posts and followers is None else 0,  # reach_unknown
        0 if cost is None else 1,  # paid
        1 if accepted and fee is None else 0,  # fee_unknown
        _ZERO if cost is None else cost,  # cost
        0 if cpe_cost is None else 1,  # cpe_creators
        _ZERO if cpe_cost is None else cpe_cost,  # cpe_cost
        0 if cpe_cost is None else engagements,  # cpe_engagements
        0 if cpv_cost is None else 1,  # cpv_creators
        _ZERO if cpv_cost is None else cpv_cost,  # cpv_cost
        0 if cpv_cost is None else views,  # cpv_views
        clicks,
        leads,
        sales,
        revenue,
        0 if cost is None else 1,  # lead_creators
        provenance_posts,
    )
