"""Campaign figures as of a moment, from a fixed handful of SQL aggregates (``aggregates``).

The database does the heavy lifting: per creator and provenance, the sums of every post's latest
snapshot; the enrollments with their stage as of the report time; the conversions; and, for the
chart, ``compute_timeline``'s daily engagement curve. Tiers, platforms and the campaign total
are sums of the per-creator sums (``domain.metrics``), so they are exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from creatorflow.domain.lifecycle import AGREED
from creatorflow.domain.metrics import (
    DEFINITIONS_VERSION,
    CreatorInputs,
    Figures,
    PriceTable,
    derive,
    finish_creator,
    funnel_counts,
    funnel_step_reached,
)
from creatorflow.domain.model import TIER_ORDER
from creatorflow.services.reporting.aggregates import (
    UNTIERED,
    conversion_rows,
    enrollment_rows,
    post_rows,
    timeline_rows,
)
from creatorflow.storage.campaigns import StoredCampaign


@dataclass(frozen=True)
class CreatorRow:
    """One enrolled creator's identity and figures (names are creator-controlled text)."""

    enrollment_id: int
    name: str
    platform: str
    handle: str
    tier: str
    stage: str
    followers: int | None
    fee: Decimal | None
    figures: Figures


@dataclass(frozen=True)
class ProvenanceRow:
    provenance: str
    posts: int
    views: int
    engagements: int


@dataclass(frozen=True)
class Timeline:
    """Engagements of every post (latest snapshot as of each day's end), summed per tier."""

    days: tuple[date, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]


@dataclass(frozen=True)
class ReportFigures:
    campaign_id: int
    slug: str
    name: str
    brand: str
    currency: str
    as_of: datetime
    definitions_version: str
    prices: PriceTable
    overall: Figures
    tiers: tuple[tuple[str, Figures], ...]
    platforms: tuple[tuple[str, Figures], ...]
    creators: tuple[CreatorRow, ...]
    funnel: dict[str, int]
    provenance: tuple[ProvenanceRow, ...]


def _int(value: Any) -> int:
    """PostgreSQL returns SUM(bigint) as numeric: bring every count back to int."""
    return int(value or 0)


def compute_timeline(*, engine: Engine, campaign_id: int, as_of: datetime) -> Timeline:
    """Engagements over time per tier, for the chart: one point per day that had a snapshot.

    Kept apart from ``compute_figures`` because it reads every snapshot (the figures only read
    each post's latest): it is the one part of a report whose cost grows with polling history.
    """
    deltas: dict[str, dict[str, int]] = defaultdict(dict)
    rows = timeline_rows(engine, campaign_id, as_of)
    for tier, day, delta in rows:
        deltas[tier][day] = _int(delta)
    days = sorted({day for _tier, day, _delta in rows})
    series = []
    for tier in _tier_order(deltas):
        running, values = 0, []
        for day in days:
            running += deltas[tier].get(day, 0)
            values.append(running)
        series.append((tier, tuple(values)))
    return Timeline(days=tuple(date.fromisoformat(d) for d in days), series=tuple(series))


def _tier_order(names: Any) -> list[str]:
    order = {t.value: i for i, t in enumerate(TIER_ORDER)}
    return sorted(names, key=lambda t: (order.get(t, len(order)), t))


def _post_inputs(rows: list[Any]) -> tuple[dict[int, CreatorInputs], tuple[ProvenanceRow, ...]]:
    per_creator: dict[int, CreatorInputs] = {}
    prov: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        # positional: attribute access on thousands of rows costs more than the query
        enrollment_id, provenance_name, *sums = row
        n = [int(v or 0) for v in sums]
        item = CreatorInputs(
            posts=n[0],
            posts_live=n[1],
            views=n[2],
            likes=n[3],
            comments=n[4],
            shares=n[5],
            saves=n[6],
            views_unknown=n[7],
            likes_unknown=n[8],
            comments_unknown=n[9],
            shares_unknown=n[10],
            saves_unknown=n[11],
            engagements=n[12],
            engagements_unknown=n[13],
            er_followers_engagements=n[14],
            er_followers_base=n[15],
            er_followers_posts=n[16],
            er_views_engagements=n[17],
            er_views_base=n[18],
            er_views_posts=n[19],
            provenance_posts={provenance_name: n[0]},
        )
        if enrollment_id in per_creator:
            per_creator[enrollment_id].add(item)
        else:
            per_creator[enrollment_id] = item
        totals = prov[provenance_name]
        totals[0] += item.posts
        totals[1] += item.views
        totals[2] += item.engagements
    provenance = tuple(
        ProvenanceRow(provenance=k, posts=v[0], views=v[1], engagements=v[2])
        for k, v in sorted(prov.items())
    )
    return per_creator, provenance


def compute_figures(
    *, engine: Engine, campaign: StoredCampaign, as_of: datetime, prices: PriceTable
) -> ReportFigures:
    """Every figure of the campaign as of ``as_of`` (a pure function of the stored data)."""
    post_inputs, provenance = _post_inputs(post_rows(engine, campaign.id, as_of))
    conversions = conversion_rows(engine, campaign.id, as_of)
    creators: list[CreatorRow] = []
    for row in enrollment_rows(engine, campaign.id, as_of):
        enrollment_id, name, platform, handle, tier, stage, fee, followers = row
        clicks, leads, sales, revenue = conversions.get(enrollment_id, (0, 0, 0, None))
        accepted = stage in AGREED
        fee = fee if accepted else None  # agreed on acceptance: no fee before it
        inputs = finish_creator(
            post_inputs.get(enrollment_id) or CreatorInputs(),
            fee=fee,
            accepted=accepted,
            followers=followers,
            clicks=_int(clicks),
            leads=_int(leads),
            sales=_int(sales),
            revenue=Decimal(revenue or 0),
        )
        creators.append(
            CreatorRow(
                enrollment_id=enrollment_id,
                name=name or handle,
                platform=platform,
                handle=handle,
                tier=tier or UNTIERED,
                stage=stage,
                followers=followers,
                fee=fee,
                figures=derive(inputs, prices),
            )
        )
    order = {t: i for i, t in enumerate(_tier_order({c.tier for c in creators}))}
    creators.sort(key=lambda c: (order[c.tier], c.platform, c.handle, c.enrollment_id))

    by_tier: dict[str, CreatorInputs] = defaultdict(CreatorInputs)
    by_platform: dict[str, CreatorInputs] = defaultdict(CreatorInputs)
    for c in creators:  # one pass: each creator's sums go to its tier and its platform
        by_tier[c.tier].add(c.figures.inputs)
        by_platform[c.platform].add(c.figures.inputs)
    overall = CreatorInputs()
    for group in by_tier.values():  # tiers partition the creators: their sum is the total
        overall.add(group)

    reached = [funnel_step_reached(c.stage, has_post=c.figures.inputs.posts > 0) for c in creators]
    return ReportFigures(
        campaign_id=campaign.id,
        slug=campaign.slug,
        name=campaign.spec.name,
        brand=campaign.spec.brand,
        currency=campaign.spec.currency,
        as_of=as_of,
        definitions_version=DEFINITIONS_VERSION,
        prices=prices,
        overall=derive(overall, prices),
        tiers=tuple((t, derive(by_tier[t], prices)) for t in _tier_order(by_tier)),
        platforms=tuple((p, derive(by_platform[p], prices)) for p in sorted(by_platform)),
        creators=tuple(creators),
        funnel=funnel_counts(reached),
        provenance=provenance,
    )
