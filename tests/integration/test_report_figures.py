"""Report figures in SQL, checked against values computed by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event

from creatorflow.domain.metrics import DEFINITIONS_VERSION, Figures
from creatorflow.services.reporting.figures import (
    ReportFigures,
    compute_figures,
    compute_timeline,
)
from creatorflow.services.reporting.prices import load_price_table
from creatorflow.settings import PROJECT_ROOT
from creatorflow.storage.campaigns import get_campaign
from tests.support.worlds import AS_OF, add_bulk_creators, at, build_report_world

PRICES = load_price_table(PROJECT_ROOT / "config", "emv-2026-01")


def figures_for(engine: Engine, slug: str = "spring-glow") -> ReportFigures:
    return compute_figures(
        engine=engine, campaign=get_campaign(engine, slug), as_of=AS_OF, prices=PRICES
    )


def by_name(groups: tuple[tuple[str, Figures], ...]) -> dict[str, Figures]:
    return dict(groups)


def test_overall_figures_match_hand_computed_values(engine: Engine) -> None:
    build_report_world(engine)
    report = figures_for(engine)
    f = report.overall
    i = f.inputs
    # removed creator (hal) is not part of the report; seven others are
    assert i.creators == 7
    assert i.posting_creators == 3  # ana, ben, hostile
    # posts detected by as_of: a1, a2, b1, c1; b1 was deleted on 02-27
    assert (i.posts, i.posts_live) == (4, 3)
    # latest snapshots as of 03-01: a1 (2000,200,20,-,5) a2 (-,50,5,1,0) b1 (10000,500,50,-,-)
    # c1 (-,-,-,-,-)
    assert (i.views, i.views_unknown) == (12000, 2)
    assert (i.likes, i.likes_unknown) == (750, 1)
    assert (i.comments, i.comments_unknown) == (75, 1)
    assert (i.shares, i.shares_unknown) == (1, 3)
    assert (i.saves, i.saves_unknown) == (5, 2)
    assert (i.engagements, i.engagements_unknown) == (225 + 56 + 550, 1)
    # ER by followers: a1, a2 at ana's 8,000 followers when posting; b1 at ben's 50,000
    assert (i.er_followers_engagements, i.er_followers_base) == (831, 8000 + 8000 + 50000)
    assert (i.er_followers_posts, i.er_followers_creators) == (3, 2)
    assert f.er_followers == Decimal(831) / Decimal(66000)
    # ER by views: a1 225/2000 and b1 550/10000
    assert f.er_views == Decimal(775) / Decimal(12000)
    assert (i.er_views_posts, i.er_views_creators) == (2, 2)
    # cost: ana 100 + ben 300 + hostile 200 + dee 150 (dee has no posts: spent all the same)
    assert (i.cost, i.paid, i.fee_unknown) == (Decimal("750.00"), 4, 0)
    # CPE: hostile's only post hides every count -> out; ana, ben, dee (0 engagements) in
    assert (i.cpe_creators, i.cpe_cost, i.cpe_engagements) == (3, Decimal("550.00"), 831)
    assert f.cpe == Decimal("550") / Decimal(831)
    # CPV: ana's a2 has no views -> out; ben and dee in
    assert (i.cpv_creators, f.cpv, f.cpm_views) == (2, Decimal("0.045"), Decimal("45.000"))
    # EMV: 12000*.003 + 750*.15 + 75*.5 + 1*.6 + 5*.4 + 150 clicks*3
    assert f.emv == Decimal("36") + Decimal("112.5") + Decimal("37.5") + Decimal("0.6") + 2 + 450
    assert f.emv == Decimal("638.60")
    # potential reach: posting creators' followers as of the report (ana 8000, ben, hostile)
    assert (i.potential_reach, i.reach_unknown) == (8000 + 50000 + 20000, 0)
    # conversions up to as_of
    assert (i.clicks, i.leads, i.sales, i.revenue) == (150, 10, 1, Decimal("50.00"))
    assert f.cost_per_lead == Decimal("75")
    assert report.funnel == {
        "shortlisted": 7,
        "contacted": 6,
        "replied": 5,
        "accepted": 4,
        "posted": 3,
    }
    assert report.definitions_version == DEFINITIONS_VERSION
    assert report.prices.version == "emv-2026-01"


def test_tier_table_puts_er_cpe_cpv_leads_and_cost_per_lead_side_by_side(engine: Engine) -> None:
    build_report_world(engine)
    tiers = by_name(figures_for(engine).tiers)
    assert list(tiers) == ["nano", "micro", "mid"]
    nano, micro, mid = tiers["nano"], tiers["micro"], tiers["mid"]
    assert nano.inputs.creators == 3 and micro.inputs.creators == 3 and mid.inputs.creators == 1
    # nano: only ana posted: 281 engagements over 2 posts at 8,000 followers
    assert (nano.er_followers, nano.inputs.er_followers_creators) == (Decimal(281) / 16000, 1)
    assert (nano.cpe, nano.inputs.cpe_creators) == (Decimal(100) / 281, 1)
    assert (nano.cpv, nano.inputs.cpv_creators) == (None, 0)
    assert (nano.inputs.leads, nano.cost_per_lead, nano.inputs.lead_creators) == (4, Decimal(25), 1)
    # micro: ben posted (550 at 50,000), hostile's counts are hidden, dee has not posted
    assert (micro.er_followers, micro.inputs.er_followers_creators) == (Decimal("0.011"), 1)
    assert (micro.cpe, micro.inputs.cpe_creators) == (Decimal(450) / 550, 2)
    assert (micro.cpv, micro.inputs.cpv_creators) == (Decimal("0.045"), 2)
    assert micro.inputs.engagements_unknown == 1
    assert (micro.inputs.leads, micro.cost_per_lead, micro.inputs.lead_creators) == (
        6,
        Decimal(650) / 6,
        3,
    )
    # mid: fay declined: nothing to divide
    assert (mid.er_followers, mid.cpe, mid.cpv, mid.cost_per_lead) == (None, None, None, None)


def test_platform_creator_and_provenance_splits(engine: Engine) -> None:
    world = build_report_world(engine)
    report = figures_for(engine)
    platforms = by_name(report.platforms)
    assert list(platforms) == ["instagram", "tiktok", "youtube"]
    assert platforms["instagram"].inputs.engagements == 281
    assert platforms["youtube"].inputs.engagements == 550
    assert platforms["tiktok"].inputs.engagements_unknown == 1
    creators = {c.handle: c for c in report.creators}
    assert set(creators) == {"ana", "ben", "hostile", "dee", "eve", "fay", "gus"}
    ana = creators["ana"].figures
    assert (ana.inputs.posts, ana.inputs.views, ana.inputs.views_unknown) == (2, 2000, 1)
    assert ana.er_followers == Decimal(281) / Decimal(16000)
    assert ana.cpe == Decimal(100) / 281 and ana.cpv is None
    dee = creators["dee"].figures  # the creator with no posts
    assert (dee.inputs.posts, dee.inputs.engagements, dee.er_followers) == (0, 0, None)
    assert (dee.cpe, dee.inputs.leads, dee.cost_per_lead) == (None, 1, Decimal(150))
    assert creators["dee"].enrollment_id == world.enrollments["dee"]
    # ordered by tier (nano first), then platform, then handle
    assert [c.handle for c in report.creators] == [
        "ana",
        "eve",
        "gus",
        "dee",
        "hostile",
        "ben",
        "fay",
    ]
    prov = {p.provenance: (p.posts, p.views, p.engagements) for p in report.provenance}
    assert prov == {"api": (3, 12000, 775), "submitted": (1, 0, 56)}


def test_timeline_carries_each_post_forward_per_tier(engine: Engine) -> None:
    world = build_report_world(engine)
    timeline = compute_timeline(engine=engine, campaign_id=world.campaign_id, as_of=AS_OF)
    days = [d.isoformat() for d in timeline.days]
    # 02-21 had only the snapshot with every count hidden: no known engagement, no point;
    # the 03-04/03-05 snapshots are after as_of
    assert days == ["2027-02-16", "2027-02-19", "2027-02-20", "2027-02-26"]
    series = dict(timeline.series)
    assert series["nano"] == (110, 110, 225, 281)  # a1 110 -> 225, then a2's 56 on 02-26
    assert series["micro"] == (0, 550, 550, 550)  # b1 stays at 550 after its last poll


def test_a_report_as_of_an_earlier_moment_sees_only_what_was_known_then(engine: Engine) -> None:
    build_report_world(engine)
    report = compute_figures(
        engine=engine, campaign=get_campaign(engine, "spring-glow"), as_of=at(2, 17), prices=PRICES
    )
    assert (report.overall.inputs.posts, report.overall.inputs.engagements) == (1, 110)
    assert report.overall.inputs.leads == 0


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` runs inside the block."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_number_of_queries_does_not_grow_with_creators(engine: Engine) -> None:
    world = build_report_world(engine)
    with _statements(engine) as small:
        figures_for(engine)
    add_bulk_creators(engine, campaign_id=world.campaign_id, count=40)
    with _statements(engine) as large:
        figures_for(engine)
    assert len(figures_for(engine).creators) == 47
    assert len(small) == len(large)
