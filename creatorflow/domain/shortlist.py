"""Choosing who to invite: the campaign's selection rules over the known creators.

Every candidate account either becomes a pick or gets an exclusion with a reason an operator can
read in the shortlist artifact. Within each tier, the best engagement rate goes first (then
followers, then the oldest record, so the order is stable; an unknown rate, where the campaign
accepts it, comes after every known one); a tier stops at its count, and the whole shortlist
stops at the budget (offer x picks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from creatorflow.domain.campaign import Selection
from creatorflow.domain.engagement import UnknownEngagement
from creatorflow.domain.model import TIER_ORDER, Platform, Tier


@dataclass(frozen=True)
class Candidate:
    """One account of one creator, with what the rules need to know about both."""

    creator_id: int
    account_id: int
    platform: str
    handle: str
    name: str | None
    tier: str | None
    followers: int | None
    engagement_rate: Decimal | None
    country: str | None
    niche: str | None
    has_email: bool
    suppressed: bool = False
    closed_elsewhere: str | None = None  # "declined in spring-2026" and the like
    active_elsewhere: str | None = None  # slug of another campaign in progress
    engagement_unknown: str | None = None  # why the rate is unknown (``UnknownEngagement``)

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.handle}"


@dataclass(frozen=True)
class Pick:
    candidate: Candidate
    tier: Tier
    offer: Decimal
    rank: int  # position within its tier, 1 = best engagement


@dataclass(frozen=True)
class Exclusion:
    candidate: Candidate
    reason: str


@dataclass(frozen=True)
class Shortlist:
    picks: tuple[Pick, ...]
    exclusions: tuple[Exclusion, ...]
    wanted: Mapping[Tier, int] = field(default_factory=dict)

    def spend(self) -> Decimal:
        return sum((p.offer for p in self.picks), start=Decimal("0"))

    def shortfall(self) -> dict[Tier, int]:
        """Tiers that could not be filled, with how many are missing."""
        got: dict[Tier, int] = {}
        for pick in self.picks:
            got[pick.tier] = got.get(pick.tier, 0) + 1
        return {t: n - got.get(t, 0) for t, n in self.wanted.items() if got.get(t, 0) < n}


def _percent(rate: Decimal) -> str:
    return f"{rate * 100:.2f}%"


_UNKNOWN_LABELS = {
    UnknownEngagement.HIDDEN.value: "ER unknown (likes hidden)",
    UnknownEngagement.NO_POSTS.value: "ER unknown (no recent posts)",
    UnknownEngagement.NO_FOLLOWERS.value: "ER unknown (followers unknown)",
}


def engagement_label(rate: Decimal | None, unknown: str | None) -> str:
    """The engagement rate as a shortlist shows it: ``3.45%``, or why it is unknown."""
    if rate is not None:
        return _percent(rate)
    return _UNKNOWN_LABELS.get(unknown or "", "engagement rate unknown (refresh the profile)")


def _rule_failure(c: Candidate, selection: Selection, platforms: set[str]) -> str | None:
    """The first selection rule ``c`` fails, or ``None``."""
    if c.platform not in platforms:
        return f"platform {c.platform} is not in this campaign"
    if c.suppressed:
        return "suppressed (opted out, bounced or blocked)"
    if not c.has_email:
        return "no email address"
    if c.closed_elsewhere:
        return f"already contacted: {c.closed_elsewhere}"
    if selection.exclude_active_elsewhere and c.active_elsewhere:
        return f"active in campaign {c.active_elsewhere}"
    if c.tier is None:
        return "no tier (follower count unknown)"
    if c.tier not in {t.value for t in selection.tiers}:
        return f"tier {c.tier} not wanted"
    if selection.min_followers is not None and (c.followers or 0) < selection.min_followers:
        return f"followers {c.followers or 0:,} below the minimum {selection.min_followers:,}"
    if selection.min_engagement_rate is not None:
        if c.engagement_rate is None:
            if selection.unknown_engagement == "exclude":
                return engagement_label(None, c.engagement_unknown)
        elif c.engagement_rate < selection.min_engagement_rate:
            return (
                f"engagement {_percent(c.engagement_rate)} below the minimum "
                f"{_percent(selection.min_engagement_rate)}"
            )
    if selection.niches and (c.niche or "").strip().lower() not in selection.niches:
        return f"niche {c.niche or 'unknown'} not in {', '.join(selection.niches)}"
    if selection.countries and (c.country or "").upper() not in selection.countries:
        return f"country {c.country or 'unknown'} not in {', '.join(selection.countries)}"
    return None


def _order(c: Candidate) -> tuple[int, Decimal, int, int]:
    tier_index = TIER_ORDER.index(Tier(c.tier)) if c.tier else len(TIER_ORDER)
    return (tier_index, -(c.engagement_rate or Decimal("-1")), -(c.followers or 0), c.creator_id)


def build_shortlist(
    candidates: Iterable[Candidate],
    *,
    selection: Selection,
    offers: Mapping[Tier, Decimal],
    budget: Decimal,
    platforms: Iterable[Platform],
) -> Shortlist:
    """Picks and explained exclusions for one campaign (one account per creator at most)."""
    allowed = {p.value for p in platforms}
    exclusions: list[Exclusion] = []
    eligible: list[Candidate] = []
    for candidate in candidates:
        reason = _rule_failure(candidate, selection, allowed)
        if reason is None:
            eligible.append(candidate)
        else:
            exclusions.append(Exclusion(candidate, reason))
    picks: list[Pick] = []
    picked_creators: dict[int, str] = {}
    per_tier: dict[Tier, int] = {}
    spend = Decimal("0")
    for candidate in sorted(eligible, key=_order):
        tier = Tier(str(candidate.tier))
        if candidate.creator_id in picked_creators:
            other = picked_creators[candidate.creator_id]
            reason = f"another account of this creator was picked ({other})"
            exclusions.append(Exclusion(candidate, reason))
            continue
        wanted = selection.tiers[tier]
        if per_tier.get(tier, 0) >= wanted:
            exclusions.append(Exclusion(candidate, f"tier {tier.value} already has {wanted}"))
            continue
        offer = offers[tier]
        if spend + offer > budget:
            exclusions.append(Exclusion(candidate, f"over budget ({spend} spent of {budget})"))
            continue
        per_tier[tier] = per_tier.get(tier, 0) + 1
        spend += offer
        picked_creators[candidate.creator_id] = candidate.label
        picks.append(Pick(candidate, tier, offer, per_tier[tier]))
    return Shortlist(tuple(picks), tuple(exclusions), dict(selection.tiers))
