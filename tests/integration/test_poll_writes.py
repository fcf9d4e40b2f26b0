"""Polling's leaner writes (issue 20), on SQLite and PostgreSQL: id lists as one parameter, a
gone post's last sighting taken from its snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import PostMetrics
from creatorflow.services.tracking import poll_claims as poll_store
from creatorflow.storage.db import session_scope
from creatorflow.storage.id_lists import among
from creatorflow.storage.models import Deliverable
from tests.support.builders import add_live_videos

ACTOR = "flow-run:5d1f0c3e"


@pytest.mark.parametrize("picked", [0, 1, 3, 1500])
def test_among_picks_exactly_the_listed_ids(engine: Engine, now: datetime, picked: int) -> None:
    ids = add_live_videos(engine, now, 1600, last_seen_at=now)
    wanted = ids[1 : 1 + picked]
    with engine.connect() as conn:
        found = conn.execute(
            select(Deliverable.id)
            .where(among(Deliverable.id, wanted, engine.dialect.name))
            .order_by(Deliverable.id)
        ).scalars()
        assert list(found) == wanted


def test_a_gone_post_was_last_seen_by_its_latest_snapshot(engine: Engine, now: datetime) -> None:
    ids = add_live_videos(engine, now, 2, last_seen_at=now)
    polls = [now + timedelta(hours=h) for h in (1, 2, 3)]
    for at, answer in zip(
        polls,
        [
            {"video000000": PostMetrics(views=10), "video000001": PostMetrics(views=5)},
            {"video000000": PostMetrics(views=20), "video000001": PostMetrics(views=6)},
            {"video000001": PostMetrics(views=7)},  # video000000 is gone
        ],
        strict=True,
    ):
        claims = poll_store.claim(engine, ids, _stamps(engine, ids), now=at)
        assert len(claims) == 2
        poll_store.store(engine, Platform.YOUTUBE, claims, answer, now=at, actor=ACTOR)
    with session_scope(engine) as session:
        gone, live = (session.get(Deliverable, i) for i in ids)
        assert gone is not None and live is not None
        assert (gone.status, gone.gone_at, gone.last_seen_at) == ("gone", polls[2], polls[1])
        # a live post's deliverable row is not written per poll: detection's sighting stays
        assert (live.status, live.last_seen_at) == ("live", now)


def test_a_post_gone_before_any_poll_keeps_detections_sighting(
    engine: Engine, now: datetime
) -> None:
    ids = add_live_videos(engine, now, 1, last_seen_at=now)
    at = now + timedelta(hours=1)
    claims = poll_store.claim(engine, ids, [None], now=at)
    assert poll_store.store(engine, Platform.YOUTUBE, claims, {}, now=at, actor=ACTOR) == (0, ids)
    with session_scope(engine) as session:
        post = session.get(Deliverable, ids[0])
        assert post is not None and (post.last_seen_at, post.gone_at) == (now, at)


def _stamps(engine: Engine, ids: list[int]) -> list[datetime | None]:
    with session_scope(engine) as session:
        found = dict(
            session.execute(
                select(Deliverable.id, Deliverable.last_polled_at).where(Deliverable.id.in_(ids))
            ).all()
        )
    return [found[i] for i in ids]
