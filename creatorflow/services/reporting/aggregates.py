"""The SQL aggregates a report's figures come from: a fixed handful of statements per report.

One statement gives every post's latest snapshot (as of the report time, one index seek per
post) as its terms of the creator's sums (added up per creator in ``figures``), one lists the
enrollments (each one's stage as of the report time, from the event log: ``stage_history``),
one sums conversions, one gives the daily engagement changes for the chart. The number of
statements does not grow with creators or posts. The SQL mirrors ``domain.metrics.engagement``:
unknown (NULL) counts are counted, never added as 0, and a post whose owner hid its likes or
comments has no engagement at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Engine, and_, case, cast, func, literal, or_, select, true
from sqlalchemy.sql import ColumnElement

from creatorflow.domain.lifecycle import Stage
from creatorflow.platforms.registry import limits_of, platforms
from creatorflow.services.reporting.stage_history import stage_as_of
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

ms = MetricSnapshot.__table__
dl = Deliverable.__table__
en = Enrollment.__table__
ps = ProfileSnapshot.__table__
cv = Conversion.__table__


def _total(expr: ColumnElement[Any]) -> ColumnElement[int]:
    """SUM as an integer, 0 over no known value: PostgreSQL's SUM(bigint) is numeric, and
    converting twenty sums per creator back to int in Python costs more than the query."""
    return func.coalesce(cast(func.sum(expr), BigInteger), 0)


def _known(column: ColumnElement[Any]) -> ColumnElement[int]:
    """A count as added to a sum: an unknown (NULL) one adds nothing (and is counted apart)."""
    return func.coalesce(column, 0)


def _is_null(column: ColumnElement[Any]) -> ColumnElement[int]:
    return case((column.is_(None), 1), else_=0)


def _engagement_expr(table: Any, platform: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQL twin of ``domain.metrics.engagement``: NULL when the owner hid the likes or the
    comments (missing where the post's platform shows them, as its adapter declares), else
    the sum of the counts the platform exposes."""
    shown = {p.value: limits_of(p).engagement_counts for p in platforms()}
    likes_shown = sorted(name for name, counts in shown.items() if "likes" in counts)
    comments_shown = sorted(name for name, counts in shown.items() if "comments" in counts)
    likes, comments = table.c.likes, table.c.comments
    hidden = or_(
        and_(likes.is_(None), platform.in_(likes_shown)),
        and_(comments.is_(None), platform.in_(comments_shown)),
        and_(likes.is_(None), comments.is_(None)),
    )
    parts = [likes, comments, table.c.shares, table.c.saves]
    total = sum((func.coalesce(c, 0) for c in parts[1:]), func.coalesce(parts[0], 0))
    return case((hidden, None), else_=total)


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


def _latest_snapshot(engine: Engine, as_of: datetime) -> tuple[Any, Any]:
    """Each post's latest snapshot at ``as_of`` (or none), joined to the post and enrollment.

    One backward step per post on the (deliverable_id, taken_at) index, never a pass over the
    polling history. PostgreSQL gets it as a LATERAL join: given the correlated subquery in
    the join condition instead, its planner hashes every snapshot of every post and runs the
    subquery twice per post. SQLite has no LATERAL but seeks with the subquery's value.
    """
    posts = dl.join(en, en.c.id == dl.c.enrollment_id)
    if engine.dialect.name == "postgresql":
        latest = (
            select(ms)
            .where(ms.c.deliverable_id == dl.c.id, ms.c.taken_at <= as_of)
            .order_by(ms.c.taken_at.desc())
            .limit(1)
            .lateral("latest")
        )
        return latest, posts.outerjoin(latest, true())
    m2 = ms.alias("m2")
    latest_id = (  # the index holds the row id: the snapshot is then one primary-key seek
        select(m2.c.id)
        .where(m2.c.deliverable_id == dl.c.id, m2.c.taken_at <= as_of)
        .order_by(m2.c.taken_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return ms, posts.outerjoin(ms, ms.c.id == latest_id)


def post_rows(engine: Engine, campaign_id: int, as_of: datetime) -> list[Any]:
    """Per post: enrollment, provenance, then its latest snapshot's counts, unknowns and ER
    parts, as the terms of the creator's sums (``POST_SUMS``)."""
    snap, joined = _latest_snapshot(engine, as_of)
    live = or_(
        and_(dl.c.gone_at.is_(None), dl.c.status != "gone"),
        dl.c.gone_at > as_of,
    )
    posts = (
        select(
            dl.c.enrollment_id,
            func.coalesce(snap.c.provenance, dl.c.provenance).label("provenance"),
            case((live, 1), else_=0).label("live"),
            *[snap.c[name] for name in COUNTS],
            _engagement_expr(snap, dl.c.platform).label("eng"),
            _followers_as_of(func.coalesce(dl.c.posted_at, dl.c.detected_at)).label("followers"),
        )
        .select_from(joined)
        .where(en.c.campaign_id == campaign_id, dl.c.detected_at <= as_of)
        .where(dl.c.kind != "story")  # stories are counted apart (reporting/story_figures.py)
        .cte("posts")
        .prefix_with("MATERIALIZED")  # compute each post once (SQLite would inline it per use)
    )
    p = posts.c
    er_f = and_(p.eng.is_not(None), p.followers > 0)
    er_v = and_(p.eng.is_not(None), p.views > 0)
    # one row per post, in ``domain.metrics.POST_SUMS`` order: its share of each sum. Most
    # creators have one post; a GROUP BY would cost the database more than the report pays
    # adding a second post's row to the first (``figures._post_sums``).
    stmt = select(
        p.enrollment_id,
        p.provenance,
        literal(1).label("posts"),
        p.live,
        *[_known(p[name]).label(name) for name in COUNTS],
        *[_is_null(p[name]).label(f"{name}_unknown") for name in COUNTS],
        _known(p.eng).label("engagements"),
        _is_null(p.eng).label("engagements_unknown"),
        case((er_f, p.eng), else_=literal(0)).label("erf_eng"),
        case((er_f, p.followers), else_=literal(0)).label("erf_base"),
        case((er_f, 1), else_=0).label("erf_posts"),
        case((er_v, p.eng), else_=literal(0)).label("erv_eng"),
        case((er_v, p.views), else_=literal(0)).label("erv_base"),
        case((er_v, 1), else_=0).label("erv_posts"),
    )
    return _tuples(engine, stmt)


def _tuples(engine: Engine, stmt: Any) -> list[tuple[Any, ...]]:
    """The rows as plain tuples, read one at a time: the report keeps thousands of them for
    the length of its loop, and a tuple of numbers and strings is one the garbage collector
    stops following after its first pass (a ``Row`` is not)."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(stmt)]


def enrollment_rows(engine: Engine, campaign_id: int, as_of: datetime) -> list[Any]:
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
    # taken off the shortlist by ``as_of``: not part of the campaign (filtered here so that
    # the stage subquery runs once per enrollment)
    return [row for row in _tuples(engine, stmt) if row[5] != Stage.REMOVED]


def conversion_rows(
    engine: Engine, campaign_id: int, as_of: datetime
) -> dict[int, tuple[Any, ...]]:
    stmt = (
        select(
            cv.c.enrollment_id,
            _total(cv.c.clicks).label("clicks"),
            _total(cv.c.leads).label("leads"),
            _total(cv.c.sales).label("sales"),
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


def timeline_rows(engine: Engine, campaign_id: int, as_of: datetime) -> list[Any]:
    """Per tier and UTC day: the change in engagements of every post, summed.

    Each snapshot contributes its engagement minus the post's previous known engagement (a
    window function), so summing a day's changes and then running the sum over the days gives
    every post's latest known engagement carried forward, without a row per post and day.
    """
    if engine.dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", ms.c.taken_at), "YYYY-MM-DD")
    else:  # SQLite stores UTC text 'YYYY-MM-DD HH:MM:SS...'
        day = func.substr(ms.c.taken_at, 1, 10)
    eng = _engagement_expr(ms, dl.c.platform)
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
            en.c.stage != Stage.REMOVED.value,
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
