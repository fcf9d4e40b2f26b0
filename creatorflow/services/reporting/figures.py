"""Campaign figures as of a moment, from a fixed handful of SQL aggregates.

The database does the heavy lifting: one statement sums every post's latest snapshot (as of the
report time, one index seek per post) per creator and provenance, one lists the enrollments
(each one's stage as of the report time, from the event log: ``stage_history``), one
sums conversions; for the chart, ``compute_timeline`` gives the daily engagement curve in one
more. The number of statements does not grow with creators or posts; tiers, platforms and the
campaign total are sums of the per-creator sums (``domain.metrics``), so they are exact. The
SQL mirrors ``domain.metrics.engagement``: unknown (NULL) counts are counted, never added as 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, case, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

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
from creatorflow.services.reporting.stage_history import stage_as_of
from creatorflow.storage.campaigns import StoredCampaign
from creatorflow.storage.models import (
    Account,
    Conversion,
    Creator,
    Deliverable,
    Enrollment,
    MetricSnapshot,
    ProfileSnapshot,
)

UNTIERED = "untiered"
COUNTS = ("views", "likes", "comments", "shares", "saves")
ACCEPTED_STAGES = ("accepted", "posted")
REMOVED = "removed"

ms = MetricSnapshot.__table__
dl = Deliverable.__table__
en = Enrollment.__table__
ps = ProfileSnapshot.__table__
cv = Conversion.__table__


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


def _is_null_count(column: ColumnElement[Any]) -> ColumnElement[int]:
    return func.sum(case((column.is_(None), 1), else_=0))


def _engagement_expr(table: Any) -> ColumnElement[Any]:
    """SQL twin of ``domain.metrics.engagement``: sum of known counts, NULL when none known."""
    parts = [table.c.likes, table.c.comments, table.c.shares, table.c.saves]
    all_null = and_(*[p.is_(None) for p in parts])
    total = sum((func.coalesce(p, 0) for p in parts[1:]), func.coalesce(parts[0], 0))
    return case((all_null, None), else_=total)


def _followers_as_of(moment: ColumnElement[Any] | datetime) -> ColumnElement[Any]:
    """Latest known follower count of the enrollment's account at ``moment``, else at shortlist."""
    latest = (
        select(ps.c.followers)
        .where(
            ps.c.account_id == en.c.account_id,
            ps.c.followers.is_not(None),
            ps.c.taken_at <= moment,
        )
        .order_by(ps.c.taken_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, en.c.followers_at_shortlist)


def _post_rows(engine: Engine, campaign_id: int, as_of: datetime) -> list[Any]:
    """Per (enrollment, provenance): sums and unknown counts over each post's latest snapshot."""
    # one index seek per post on (deliverable_id, taken_at): no scan of the polling history
    m2 = ms.alias("m2")
    latest_at = (
        select(m2.c.taken_at)
        .where(m2.c.deliverable_id == dl.c.id, m2.c.taken_at <= as_of)
        .order_by(m2.c.taken_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    live = or_(
        and_(dl.c.gone_at.is_(None), dl.c.status != "gone"),
        dl.c.gone_at > as_of,
    )
    posts = (
        select(
            dl.c.enrollment_id,
            func.coalesce(ms.c.provenance, dl.c.provenance).label("provenance"),
            case((live, 1), else_=0).label("live"),
            *[ms.c[name] for name in COUNTS],
            _engagement_expr(ms).label("eng"),
            _followers_as_of(func.coalesce(dl.c.posted_at, dl.c.detected_at)).label("followers"),
        )
        .select_from(
            dl.join(en, en.c.id == dl.c.enrollment_id).outerjoin(
                ms, and_(ms.c.deliverable_id == dl.c.id, ms.c.taken_at == latest_at)
            )
        )
        .where(en.c.campaign_id == campaign_id, dl.c.detected_at <= as_of)
        .cte("posts")
        .prefix_with("MATERIALIZED")  # compute each post once (SQLite would inline it per use)
    )
    p = posts.c
    er_f = and_(p.eng.is_not(None), p.followers > 0)
    er_v = and_(p.eng.is_not(None), p.views > 0)
    stmt = select(
        p.enrollment_id,
        p.provenance,
        func.count().label("posts"),
        func.sum(p.live).label("posts_live"),
        *[func.sum(p[name]).label(name) for name in COUNTS],
        *[_is_null_count(p[name]).label(f"{name}_unknown") for name in COUNTS],
        func.sum(p.eng).label("engagements"),
        _is_null_count(p.eng).label("engagements_unknown"),
        func.sum(case((er_f, p.eng), else_=literal(0))).label("erf_eng"),
        func.sum(case((er_f, p.followers), else_=literal(0))).label("erf_base"),
        func.sum(case((er_f, 1), else_=0)).label("erf_posts"),
        func.sum(case((er_v, p.eng), else_=literal(0))).label("erv_eng"),
        func.sum(case((er_v, p.views), else_=literal(0))).label("erv_base"),
        func.sum(case((er_v, 1), else_=0)).label("erv_posts"),
    ).group_by(p.enrollment_id, p.provenance)
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def _enrollment_rows(engine: Engine, campaign_id: int, as_of: datetime) -> list[Any]:
    """Enrollments as they stood at ``as_of``: stage from the event log, not the stored one."""
    cr, ac = Creator.__table__, Account.__table__
    stmt = (
        select(
            en.c.id,
            cr.c.name,
            ac.c.platform,
            ac.c.handle,
            en.c.tier,
            stage_as_of(en.c.id, en.c.stage, as_of).label("stage"),
            en.c.fee,
            _followers_as_of(as_of).label("followers"),
        )
        .select_from(en.join(cr, cr.c.id == en.c.creator_id).join(ac, ac.c.id == en.c.account_id))
        .where(en.c.campaign_id == campaign_id, en.c.created_at <= as_of)
        .order_by(en.c.id)
    )
    with engine.connect() as conn:
        # taken off the shortlist by ``as_of``: not part of the campaign (filtered here so that
        # the stage subquery runs once per enrollment)
        return [row for row in conn.execute(stmt) if row[5] != REMOVED]


def _conversion_rows(
    engine: Engine, campaign_id: int, as_of: datetime
) -> dict[int, tuple[Any, ...]]:
    stmt = (
        select(
            cv.c.enrollment_id,
            func.sum(cv.c.clicks).label("clicks"),
            func.sum(cv.c.leads).label("leads"),
            func.sum(cv.c.sales).label("sales"),
            func.sum(cv.c.revenue).label("revenue"),
        )
        .where(
            cv.c.campaign_id == campaign_id,
            func.coalesce(cv.c.occurred_on, cv.c.imported_at) <= as_of,
        )
        .group_by(cv.c.enrollment_id)
    )
    with engine.connect() as conn:
        return {enrollment_id: tuple(sums) for enrollment_id, *sums in conn.execute(stmt)}


def _timeline_rows(engine: Engine, campaign_id: int, as_of: datetime) -> list[Any]:
    """Per tier and UTC day: the change in engagements of every post, summed.

    Each snapshot contributes its engagement minus the post's previous known engagement (a
    window function), so summing a day's changes and then running the sum over the days gives
    every post's latest known engagement carried forward, without a row per post and day.
    """
    if engine.dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", ms.c.taken_at), "YYYY-MM-DD")
    else:  # SQLite stores UTC text 'YYYY-MM-DD HH:MM:SS...'
        day = func.substr(ms.c.taken_at, 1, 10)
    eng = _engagement_expr(ms)
    known = (
        select(
            ms.c.deliverable_id,
            ms.c.taken_at,
            func.coalesce(en.c.tier, UNTIERED).label("tier"),
            day.label("day"),
            eng.label("eng"),
        )
        .select_from(
            ms.join(dl, dl.c.id == ms.c.deliverable_id).join(en, en.c.id == dl.c.enrollment_id)
        )
        .where(
            en.c.campaign_id == campaign_id,
            en.c.created_at <= as_of,
            # the stored stage is enough here: removal only happens on the shortlist, before
            # any contact, so a removed enrollment never has a post
            en.c.stage != REMOVED,
            ms.c.taken_at <= as_of,
            dl.c.detected_at <= as_of,
            eng.is_not(None),
        )
        .subquery("known")
    )
    previous = func.lag(known.c.eng).over(
        partition_by=known.c.deliverable_id, order_by=known.c.taken_at
    )
    changes = select(
        known.c.tier, known.c.day, (known.c.eng - func.coalesce(previous, 0)).label("delta")
    ).subquery("changes")
    stmt = select(changes.c.tier, changes.c.day, func.sum(changes.c.delta)).group_by(
        changes.c.tier, changes.c.day
    )
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def compute_timeline(*, engine: Engine, campaign_id: int, as_of: datetime) -> Timeline:
    """Engagements over time per tier, for the chart: one point per day that had a snapshot.

    Kept apart from ``compute_figures`` because it reads every snapshot (the figures only read
    each post's latest): it is the one part of a report whose cost grows with polling history.
    """
    deltas: dict[str, dict[str, int]] = defaultdict(dict)
    rows = _timeline_rows(engine, campaign_id, as_of)
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
    post_inputs, provenance = _post_inputs(_post_rows(engine, campaign.id, as_of))
    conversions = _conversion_rows(engine, campaign.id, as_of)
    creators: list[CreatorRow] = []
    for row in _enrollment_rows(engine, campaign.id, as_of):
        enrollment_id, name, platform, handle, tier, stage, fee, followers = row
        clicks, leads, sales, revenue = conversions.get(enrollment_id, (0, 0, 0, None))
        accepted = stage in ACCEPTED_STAGES
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
