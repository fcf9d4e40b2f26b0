"""Campaign figures as of a moment, from a fixed handful of SQL aggregates (``aggregates``).

The database does the heavy lifting: every post's latest snapshot, as its terms of the creator's
sums; the enrollments with their stage as of the report time; the conversions; and, for the
chart, ``compute_timeline``'s daily engagement curve. Tiers, platforms and the campaign total
are sums of the per-creator sums (``domain.metrics``), so they are exact.

The loop over creators runs once per enrolled creator of every report: it builds each row
positionally from plain tuples, and sums each creator once (into its tier and platform cell).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import add
from typing import Any

from sqlalchemy import Engine

from creatorflow.domain.lifecycle import AGREED
from creatorflow.domain.metrics import (
    DEFINITIONS_VERSION,
    POST_SUMS,
    CreatorInputs,
    Figures,
    PriceTable,
    creator_inputs,
    derive,
    funnel_counts,
    funnel_step_reached,
    summed,
)
from creatorflow.domain.model import TIER_ORDER
from creatorflow.gc_scopes import long_lived_frozen
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


_NO_CONVERSIONS = (0, 0, 0, None)
_NO_POSTS = (0,) * len(POST_SUMS)


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


#: Where ``POST_SUMS`` has the counts the provenance table shows.
_VIEWS, _ENGAGEMENTS = (POST_SUMS.index(k) for k in ("views", "engagements"))

PostSums = tuple[tuple[int, ...], dict[str, int]]


def _post_sums(rows: list[Any]) -> tuple[dict[int, PostSums], tuple[ProvenanceRow, ...]]:
    """Per enrollment: the sums over its posts (``POST_SUMS`` order), posts per provenance."""
    per_creator: dict[int, PostSums] = {}
    several: list[int] = []
    prov: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        # positional: attribute access on thousands of rows costs more than the query
        enrollment_id, provenance_name = row[0], row[1]
        terms = row[2:]  # a tuple of ints: the garbage collector stops following it at once
        known = per_creator.get(enrollment_id)
        if known is None:
            per_creator[enrollment_id] = (terms, {provenance_name: 1})
        else:  # the creator's second post or more
            sums, by_provenance = known
            by_provenance[provenance_name] = by_provenance.get(provenance_name, 0) + 1
            per_creator[enrollment_id] = (tuple(map(add, sums, terms)), by_provenance)
            several.append(enrollment_id)
        totals = prov[provenance_name]
        totals[0] += 1
        totals[1] += terms[_VIEWS]
        totals[2] += terms[_ENGAGEMENTS]
    for enrollment_id in several:  # rows come in no set order: name provenances in one
        by_provenance = per_creator[enrollment_id][1]
        ordered = sorted(by_provenance.items())
        by_provenance.clear()
        by_provenance.update(ordered)
    provenance = tuple(
        ProvenanceRow(provenance=k, posts=v[0], views=v[1], engagements=v[2])
        for k, v in sorted(prov.items())
    )
    return per_creator, provenance


def compute_figures(
    *, engine: Engine, campaign: StoredCampaign, as_of: datetime, prices: PriceTable
) -> ReportFigures:
    """Every figure of the campaign as of ``as_of`` (a pure function of the stored data).

    Three objects a creator, all kept: the process's older objects stay out of the collector's
    full passes meanwhile (at 20,000 creators each pass walked them all, a third of the time).
    """
    with long_lived_frozen():
        return _compute_figures(engine, campaign, as_of, prices)


def _compute_figures(
    engine: Engine, campaign: StoredCampaign, as_of: datetime, prices: PriceTable
) -> ReportFigures:
    post_sums, provenance = _post_sums(post_rows(engine, campaign.id, as_of))
    conversions = conversion_rows(engine, campaign.id, as_of)
    creators: list[CreatorRow] = []
    for row in enrollment_rows(engine, campaign.id, as_of):
        enrollment_id, name, platform, handle, tier, stage, fee, followers = row
        clicks, leads, sales, revenue = conversions.get(enrollment_id, _NO_CONVERSIONS)
        accepted = stage in AGREED
        fee = fee if accepted else None  # agreed on acceptance: no fee before it
        sums, provenance_posts = post_sums.get(enrollment_id) or (_NO_POSTS, {})
        inputs = creator_inputs(
            sums,
            provenance_posts,
            fee=fee,
            accepted=accepted,
            followers=followers,
            clicks=clicks,
            leads=leads,
            sales=sales,
            revenue=Decimal(revenue or 0),
        )
        figures = derive(inputs, prices)
        # positionally, in field order: keyword matching costs more than the row, per creator
        tier = tier or UNTIERED
        creators.append(
            CreatorRow(
                enrollment_id,
                name or handle,
                platform,
                handle,
                tier,
                stage,
                followers,
                fee,
                figures,
            )
        )
    order = {t: i for i, t in enumerate(_tier_order({c.tier for c in creators}))}
    creators.sort(key=lambda c: (order[c.tier], c.platform, c.handle, c.enrollment_id))

    # one pass: each creator's sums go to its (tier, platform) cell, the cells to their tier and
    # platform: each creator is added once, not once per grouping. The sums are of integers
    # and of two-decimal money, exact either way; in the creators' order, as before
    cells: dict[tuple[str, str], list[CreatorInputs]] = defaultdict(list)
    reached = []
    for c in creators:
        inputs = c.figures.inputs
        cells[c.tier, c.platform].append(inputs)
        reached.append(funnel_step_reached(c.stage, has_post=inputs.posts > 0))
    tier_cells: dict[str, list[CreatorInputs]] = defaultdict(list)
    platform_cells: dict[str, list[CreatorInputs]] = defaultdict(list)
    for (tier, platform), members in cells.items():
        cell = summed(members)
        tier_cells[tier].append(cell)
        platform_cells[platform].append(cell)
    by_tier = {t: summed(group) for t, group in tier_cells.items()}
    by_platform = {p: summed(group) for p, group in platform_cells.items()}
    overall = summed(by_tier.values())  # tiers partition the creators: their sum is the total

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
