"""Correcting a story's self-reported figures (issue 17): a correction that gives some figures
keeps the others from the previous submitted snapshot (the report reads the latest only), and a
correction at an instant that already has figures is refused, never silently dropped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from creatorflow.sandbox import World
from creatorflow.sandbox.instagram_webhooks import WebhookSender
from creatorflow.services.reporting.story_figures import StoryFigures, story_figures
from creatorflow.services.tracking.story_results import record_story_results
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Campaign, Deliverable, Event, MetricSnapshot
from tests.integration.test_stories import work_inbox
from tests.support.environment import cli_in_process, settings_env

ACTOR = "test:story-corrections"
MIA = "instagram:mia.glow"


def a_story(sender: WebhookSender, hooked: Settings, world: World, at: datetime) -> int:
    """Mia's story mention, signed and delivered over loopback, worked into a deliverable."""
    sender.story_mention("mia.glow", at=at)
    world.set_now(at + timedelta(minutes=5))
    assert sender.deliver_due() == [200]
    assert len(work_inbox(hooked, world.now()).stories) == 1
    return story_id(engine_for(hooked.database_url))


def story_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalars(select(Deliverable.id).where(Deliverable.kind == "story")).one()


def reported(engine: Engine, as_of: datetime) -> StoryFigures:
    """The report's story figures (each story's latest submitted snapshot)."""
    with session_scope(engine) as session:
        campaign_id = session.scalars(select(Campaign.id)).one()
    return story_figures(engine=engine, campaign_id=campaign_id, as_of=as_of)


def snapshots(engine: Engine) -> list[tuple[int | None, int | None, int | None, int | None]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                MetricSnapshot.views,
                MetricSnapshot.reach,
                MetricSnapshot.link_taps,
                MetricSnapshot.replies,
            ).order_by(MetricSnapshot.taken_at)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_partial_correction_keeps_the_other_figures_and_a_same_instant_one_is_refused(
    sender: WebhookSender,
    hooked: Settings,
    mia_enrolled: Engine,
    world: World,
    now: datetime,
    app_env: Callable[[dict[str, str]], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = mia_enrolled
    posted = now + timedelta(days=2)
    story = str(a_story(sender, hooked, world, posted))
    app_env(settings_env(hooked))
    cli = cli_in_process(monkeypatch, capsys)
    first, second = posted + timedelta(days=2), posted + timedelta(days=3)
    results = ("campaign", "story-results", "spring-glow", MIA)

    full = ("--views", "90000", "--reach", "63341", "--taps", "12", "--replies", "2")
    code, out, _ = cli(*results, *full, "--as-of", first.isoformat())
    assert code == 0 and "given: views 90000, reach 63341, taps 12, replies 2" in out
    assert "kept" not in out and "unknown" not in out

    correction = ("--story", story, "--views", "111", "--as-of", second.isoformat())
    code, out, _ = cli(*results, *correction)
    assert code == 0 and "replaces the figures recorded before" in out
    assert "given: views 111; kept: reach 63341, taps 12, replies 2" in out
    figures = reported(engine, second)
    assert (figures.sums["views"], figures.sums["reach"], figures.known["reach"]) == (
        111,
        63341,
        1,
    )

    code, out, _ = cli(*results, *correction)  # a rerun: the same figures at the same instant
    assert code == 0 and out.startswith("already recorded")
    different = ("--story", story, "--views", "112", "--as-of", second.isoformat())
    code, out, err = cli(*results, *different)
    assert code == 1 and out == ""
    assert "2027-03-06T09:00:00Z" in err and "later --as-of" in err
    assert len(err.strip().splitlines()) == 1
    between = (first + timedelta(hours=1)).isoformat()
    code, _, err = cli(*results, "--story", story, "--reach", "5", "--as-of", between)
    assert code == 1 and "2027-03-06T09:00:00Z" in err  # before the latest: it would not count
    assert snapshots(engine) == [(90000, 63341, 12, 2), (111, 63341, 12, 2)]

    later = (
        "--story",
        story,
        "--views",
        "112",
        "--as-of",
        (second + timedelta(hours=1)).isoformat(),
    )
    code, out, _ = cli(*results, *later)
    assert code == 0 and "given: views 112; kept: reach 63341, taps 12, replies 2" in out
    with session_scope(engine) as session:
        details = session.scalars(
            select(Event.detail).where(Event.kind == "story_results_recorded").order_by(Event.id)
        ).all()
    assert [(d["given"], d["kept"], d["reach"]) for d in details] == [
        (["views", "reach", "taps", "replies"], [], 63341),
        (["views"], ["reach", "taps", "replies"], 63341),
        (["views"], ["reach", "taps", "replies"], 63341),
    ]


def test_a_figure_is_unknown_only_while_it_was_never_given(
    sender: WebhookSender, hooked: Settings, mia_enrolled: Engine, world: World, now: datetime
) -> None:
    engine = mia_enrolled
    posted = now + timedelta(days=1)
    story = a_story(sender, hooked, world, posted)
    at = posted + timedelta(days=2)

    def record(moment: datetime, **given: int | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        figures: dict[str, int | None] = dict.fromkeys(("views", "reach", "taps", "replies"))
        result = record_story_results(
            engine=engine,
            campaign_slug="spring-glow",
            creator=MIA,
            story=story,
            now=moment,
            actor=ACTOR,
            **(figures | given),  # type: ignore[arg-type]
        )
        assert result.recorded
        return result.given, result.kept

    assert record(at, views=500) == (("views",), ())
    assert record(at + timedelta(hours=1), reach=300) == (("reach",), ("views",))
    assert record(at + timedelta(hours=2), replies=0, views=520) == (
        ("views", "replies"),
        ("reach",),
    )
    assert snapshots(engine) == [
        (500, None, None, None),
        (500, 300, None, None),
        (520, 300, None, 0),
    ]
    figures = reported(engine, at + timedelta(hours=3))
    assert (figures.sums["views"], figures.known["link_taps"], figures.known["replies"]) == (
        520,
        0,
        1,
    )
