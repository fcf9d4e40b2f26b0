"""Choosing who to invite: the campaign's selection rules over the known creators.

Every candidate account either becomes a pick or gets an exclusion with a reason an operator can
read in the shortlist artifact. Within each tier, the best engagement rate goes first (then
followers, then the oldest record, so the order is stable; an unknown rate, where the campaign
accepts it, comes after every known one); a tier stops at its count, and the whole shortlist
stops at the budget (offer x picks).

Each exclusion also carries a ``kind``: the rule it failed, without the creator's own figures, so
a summary can count them ("176 engagement rate unknown: run `creatorflow creators refresh`").
``EXCLUSION_KINDS`` says what each kind is called and what the operator can do; a reason with
no kind, or a kind not in the table, is counted under its own text, so a new rule appears in
every summary without touching it.
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
    # (kind, reason) set by services/outreach/contact_cap.py: erased on request, or the cap
    held_back: tuple[str, str] | None = None

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
    kind: str = ""  # the rule, for counting (``EXCLUSION_KINDS``); "" = count by ``reason``


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


#: kind -> (what a summary calls it, the operator's next step or "").
EXCLUSION_KINDS: dict[str, tuple[str, str]] = {
    "platform": ("platform not in the campaign's `platforms`", ""),
    "suppressed": ("suppressed (opted out, bounced or blocked)", ""),
    "no_email": (
        "no email address",
        "import a file with an `email` column: `creatorflow creators import FILE.csv`",
    ),
    "closed_elsewhere": ("already contacted in another campaign (declined, opted out...)", ""),
    "active_elsewhere": (
        "in progress in another campaign",
        "set `selection.exclude_active_elsewhere: false` to allow them",
    ),
    "no_tier": ("no tier (follower count unknown)", "run `creatorflow creators refresh`"),
    "tier": ("tier not in `selection.tiers`", ""),
    "min_followers": ("followers below `selection.min_followers`", ""),
    "niche": ("niche not in `selection.niches`", ""),
    "country": ("country not in `selection.countries`", ""),
    "engagement_unread": (
        "engagement rate unknown (profile not refreshed yet)",
        "run `creatorflow creators refresh`, or set `selection.unknown_engagement: include`",
    ),
    f"engagement_{UnknownEngagement.HIDDEN.value}": (
        "ER unknown (likes hidden)",
        "set `selection.unknown_engagement: include` to accept them",
    ),
    f"engagement_{UnknownEngagement.NO_POSTS.value}": ("ER unknown (no recent posts)", ""),
    f"engagement_{UnknownEngagement.NO_FOLLOWERS.value}": (
        "ER unknown (followers unknown)",
        "run `creatorflow creators refresh`",
    ),
    "min_engagement": ("engagement below `selection.min_engagement_rate`", ""),
    "other_account": ("another account of the same creator was picked", ""),
    "tier_full": ("tier already full", "raise the tier's count in `selection.tiers`"),
    "budget": ("over budget", "raise `budget` (or lower `offer`)"),
    "erased": ("erased on request (never contacted again)", ""),
    "contact_cap": (
        "contacted cold by too many campaigns in 90 days",
        "CREATORFLOW_MAX_CAMPAIGNS_PER_PERSON sets the cap",
    ),
}


@dataclass(frozen=True)
class ReasonCount:
    """How many candidates one kind of exclusion took out, and what to do about it."""

    reason: str
    count: int
    next_step: str = ""


def exclusion_counts(exclusions: Iterable[Exclusion]) -> list[ReasonCount]:
    """Exclusions counted by kind, the most frequent first (then by name, for a stable order)."""
    counts: dict[str, int] = {}
    labels: dict[str, tuple[str, str]] = {}
    for e in exclusions:
        key = e.kind if e.kind in EXCLUSION_KINDS else f"reason:{e.reason}"
        counts[key] = counts.get(key, 0) + 1
        labels.setdefault(key, EXCLUSION_KINDS.get(e.kind, (e.reason, "")))
    ranked = sorted(counts, key=lambda k: (-counts[k], labels[k][0]))
    return [ReasonCount(labels[k][0], counts[k], labels[k][1]) for k in ranked]


def _rule_failure(
    c: Candidate, selection: Selection, platforms: set[str]
) -> tuple[str, str] | None:
    """(kind, reason) of the first selection rule ``c`` fails, or ``None``.

    The engagement rules come last: an unknown rate is the one failure a refresh can cure, so
    the count of creators it excludes is the count a refresh (or ``unknown_engagement:
    include``) would bring in.
    """
    if c.platform not in platforms:
        return "platform", f"platform {c.platform} is not in this campaign"
    if c.suppressed:
        return "suppressed", "suppressed (opted out, bounced or blocked)"
    if c.held_back:
        return c.held_back
    if not c.has_email:
        return "no_email", "no email address"
    if c.closed_elsewhere:
        return "closed_elsewhere", f"already contacted: {c.closed_elsewhere}"
    if selection.exclude_active_elsewhere and c.active_elsewhere:
        return "active_elsewhere", f"active in campaign {c.active_elsewhere}"
    if c.tier is None:
        return "no_tier", "no tier (follower count unknown)"
    if c.tier not in {t.value for t in selection.tiers}:
        return "tier", f"tier {c.tier} not wanted"
    if selection.min_followers is not None and (c.followers or 0) < selection.min_followers:
        return (
            "min_followers",
            f"followers {c.followers or 0:,} below the minimum {selection.min_followers:,}",
        )
    if selection.niches and (c.niche or "").strip().lower() not in selection.niches:
        return "niche", f"niche {c.niche or 'unknown'} not in {', '.join(selection.niches)}"
    if selection.countries and (c.country or "").upper() not in selection.countries:
        return (
            "country",
            f"country {c.country or 'unknown'} not in {', '.join(selection.countries)}",
        )
    if selection.min_engagement_rate is not None:
        if c.engagement_rate is None:
            if selection.unknown_engagement == "exclude":
                kind = f"engagement_{c.engagement_unknown or 'unread'}"
                return kind, engagement_label(None, c.engagement_unknown)
        elif c.engagement_rate < selection.min_engagement_rate:
            return "min_engagement", (
                f"engagement {_percent(c.engagement_rate)} below the minimum "
                f"{_percent(selection.min_engagement_rate)}"
            )
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
        failure = _rule_failure(candidate, selection, allowed)
        if failure is None:
            eligible.append(candidate)
        else:
            exclusions.append(Exclusion(candidate, failure[1], failure[0]))
    picks: list[Pick] = []
    picked_creators: dict[int, str] = {}
    per_tier: dict[Tier, int] = {}
    spend = Decimal("0")
    for candidate in sorted(eligible, key=_order):
        tier = Tier(str(candidate.tier))
        if candidate.creator_id in picked_creators:
            other = picked_creators[candidate.creator_id]
            reason = f"another account of this creator was picked ({other})"
            exclusions.append(Exclusion(candidate, reason, "other_account"))
            continue
        wanted = selection.tiers[tier]
        if per_tier.get(tier, 0) >= wanted:
            exclusions.append(
                Exclusion(candidate, f"tier {tier.value} already has {wanted}", "tier_full")
            )
            continue
        offer = offers[tier]
        if spend + offer > budget:
            reason = f"over budget ({spend} spent of {budget})"
            exclusions.append(Exclusion(candidate, reason, "budget"))
            continue
        per_tier[tier] = per_tier.get(tier, 0) + 1
        spend += offer
        picked_creators[candidate.creator_id] = candidate.label
        picks.append(Pick(candidate, tier, offer, per_tier[tier]))
    return Shortlist(tuple(picks), tuple(exclusions), dict(selection.tiers))
