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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cached_property
from operator import add as _plus
from operator import attrgetter

from creatorflow.domain.engagement import SHOWN, post_engagement
from creatorflow.domain.lifecycle import AGREED, REACHED_CONTACT, REACHED_REPLY, Stage

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
    total = _ZERO
    for action, price in prices.priced:
        count = counts.get(action)
        if count is not None:
            total += price * count
    return total


@dataclass
class CreatorInputs:
    """The additive parts of one creator's figures (or of a group's, once summed).

    ``*_unknown`` count posts whose latest snapshot did not carry that count. ``paid`` means the
    creator accepted with a known fee; ``fee_unknown`` accepted without one.
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
        """Add ``other`` in place (every field is a sum; thousands of creators go through here)."""
        # C-level: read both rows of sums, add pairwise, write back (no Python loop per field)
        self.__dict__.update(zip(_ADDITIVE, map(_plus, _SUMS(self), _SUMS(other)), strict=True))
        for key, value in other.provenance_posts.items():
            self.provenance_posts[key] = self.provenance_posts.get(key, 0) + value


_ADDITIVE: tuple[str, ...] = tuple(
    f.name for f in fields(CreatorInputs) if f.name != "provenance_posts"
)
_SUMS = attrgetter(*_ADDITIVE)


def summed(items: Iterable[CreatorInputs]) -> CreatorInputs:
    total = CreatorInputs()
    for item in items:
        total.add(item)
    return total


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


def derive(inputs: CreatorInputs, prices: PriceTable) -> Figures:
    """Figures of a group from its summed inputs (ratios of sums, never averages of ratios)."""
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
        emv=earned_media_value(counts, prices),
        cost_per_lead=cost_per_lead(inputs.cost if inputs.paid else None, inputs.leads),
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
    """Complete one creator's post sums with the creator-level parts (fee, reach, conversions).

    A paid creator counts towards CPE (or CPV) only when every one of their posts has the count
    known; a paid creator with no posts yet counts with zero engagements (the money is spent).
    """
    inputs.creators = 1
    inputs.posting_creators = 1 if inputs.posts else 0
    inputs.er_followers_creators = 1 if inputs.er_followers_posts else 0
    inputs.er_views_creators = 1 if inputs.er_views_posts else 0
    if inputs.posts:
        if followers is None:
            inputs.reach_unknown = 1
        else:
            inputs.potential_reach = followers
    if accepted and fee is None:
        inputs.fee_unknown = 1
    if accepted and fee is not None:
        inputs.paid = 1
        inputs.cost = fee
        inputs.lead_creators = 1
        if inputs.engagements_unknown == 0:
            inputs.cpe_creators = 1
            inputs.cpe_cost = fee
            inputs.cpe_engagements = inputs.engagements
        if inputs.views_unknown == 0:
            inputs.cpv_creators = 1
            inputs.cpv_cost = fee
            inputs.cpv_views = inputs.views
    inputs.clicks, inputs.leads, inputs.sales, inputs.revenue = clicks, leads, sales, revenue
    return inputs


FUNNEL_STEPS: tuple[str, ...] = ("shortlisted", "contacted", "replied", "accepted", "posted")

#: Furthest step per stage, from the lifecycle's sets: a bounce or an opt-out still counts as
#: contacted, a decline as replied; a removed enrollment is not in the funnel at all.
_STAGE_REACHED: dict[str, int] = {
    stage: (stage in REACHED_CONTACT)
    + (stage in REACHED_REPLY)
    + (stage in AGREED)
    + (stage is Stage.POSTED)
    for stage in Stage
    if stage is not Stage.REMOVED
}


def funnel_step_reached(stage: str, *, has_post: bool) -> int | None:
    """Index in FUNNEL_STEPS of the furthest step an enrollment reached (None: removed).

    A bounce or an opt-out still counts as contacted; a decline as replied; a detected post as
    posted whatever the stored stage says.
    """
    reached = _STAGE_REACHED.get(stage)
    if reached is None:
        return None
    return 4 if has_post else reached


def funnel_counts(reached: Iterable[int | None]) -> dict[str, int]:
    """Cumulative funnel: each step counts the enrollments that got at least that far."""
    counts = dict.fromkeys(FUNNEL_STEPS, 0)
    for step in reached:
        if step is None:
            continue
        for index in range(step + 1):
            counts[FUNNEL_STEPS[index]] += 1
    return counts
