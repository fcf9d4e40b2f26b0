"""A report as of a past moment does not change when the campaign moves on (SQLite and PG).

The world is built as of T1; then, the way the services do it (stage changes with their
events, an acceptance with its fee and brief, a detected post), creators reply, accept and
post. The report as of T1 must come out identical, bytes and all; as of T2 it shows the moves.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from creatorflow.domain.lifecycle import Cause
from creatorflow.domain.model import Platform, Provenance
from creatorflow.platforms.base import Post, PostMetrics
from creatorflow.services.reporting.figures import compute_figures
from creatorflow.services.reporting.reports import build_report
from creatorflow.services.tracking.deliverables import record_deliverable
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import move_stages
from creatorflow.storage.models import Enrollment, MetricSnapshot
from tests.integration.test_report_figures import PRICES
from tests.support.builders import accept_offer
from tests.support.worlds import AS_OF, ReportWorld, at, build_report_world

T1 = AS_OF
T2 = at(3, 9)


def _move_on(engine: Engine, settings: Settings, world: ReportWorld) -> None:
    """After T1: gus is contacted, eve replies and accepts for 120, dee posts."""
    e = world.enrollments
    with session_scope(engine) as s:
        for key, cause, moment in (
            ("gus", Cause.FIRST_EMAIL_SENT, at(3, 2)),
            ("eve", Cause.REPLY, at(3, 3)),
        ):
            move_stages(s, [e[key]], cause=cause, now=moment, actor="test", reason="moved on")
    accept_offer(
        engine, settings, platform="instagram", handle="eve", now=at(3, 4), fee=Decimal("120.00")
    )
    with session_scope(engine) as s:
        dee = s.get_one(Enrollment, e["dee"])
        post = Post(
            platform=Platform.INSTAGRAM,
            post_id="d1",
            author_id=None,
            url="https://www.instagram.com/p/d1/",
            title=None,
            text="#ad glowing",
            published_at=at(3, 5),
            metrics=PostMetrics(views=700, likes=70, comments=7, shares=None, saves=None),
        )
        new_id = record_deliverable(
            s,
            enrollment=dee,
            campaign_id=world.campaign_id,
            post=post,
            provenance=Provenance.API,
            now=at(3, 5),
            actor="test",
            kind="deliverable_detected",
        )
        assert new_id is not None
        s.add(
            MetricSnapshot(
                deliverable_id=new_id,
                taken_at=at(3, 6),
                views=700,
                likes=70,
                comments=7,
                provenance="api",
            )
        )


def test_a_report_as_of_t1_is_unchanged_after_the_campaign_moves_on(
    engine: Engine, db_url: str, settings: Settings
) -> None:
    settings = settings.model_copy(update={"database_url": db_url})
    world = build_report_world(engine)
    before = build_report(engine=engine, settings=settings, slug="spring-glow", as_of=T1)
    assert before.figures.funnel == {
        "shortlisted": 7,
        "contacted": 6,
        "replied": 5,
        "accepted": 4,
        "posted": 3,
    }
    assert (before.figures.overall.inputs.cost, before.figures.overall.inputs.paid) == (
        Decimal("750.00"),
        4,
    )

    _move_on(engine, settings, world)

    again = build_report(engine=engine, settings=settings, slug="spring-glow", as_of=T1)
    assert again.figures == before.figures
    assert again.html_email == before.html_email
    assert again.html_files == before.html_files
    assert again.csv == before.csv and again.text == before.text

    later = build_report(engine=engine, settings=settings, slug="spring-glow", as_of=T2)
    assert later.figures.funnel == {
        "shortlisted": 7,
        "contacted": 7,  # gus
        "replied": 6,  # eve
        "accepted": 5,  # eve
        "posted": 4,  # dee
    }
    stages = {c.handle: c.stage for c in later.figures.creators}
    assert (stages["gus"], stages["eve"], stages["dee"]) == ("contacted", "accepted", "posted")
    i = later.figures.overall.inputs
    assert (i.cost, i.paid, i.posts) == (Decimal("870.00"), 5, 6)  # + ana's a3 and dee's d1
    assert later.csv != before.csv


def test_stages_before_the_world_moved_come_from_the_event_log(engine: Engine) -> None:
    """On 02-03 everyone but gus (shortlisted) and hal (removed on 02-01) was only contacted."""
    build_report_world(engine)
    report = compute_figures(
        engine=engine, campaign=get_campaign(engine, "spring-glow"), as_of=at(2, 3), prices=PRICES
    )
    assert report.funnel == {
        "shortlisted": 7,
        "contacted": 6,
        "replied": 0,
        "accepted": 0,
        "posted": 0,
    }
    assert report.overall.inputs.cost == Decimal(0)
    assert {c.stage for c in report.creators} == {"shortlisted", "contacted"}
    assert all(c.fee is None for c in report.creators)
