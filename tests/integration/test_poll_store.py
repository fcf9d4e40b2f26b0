"""``poll_store.store`` on SQLite and PostgreSQL: the driver-level snapshot insert stores what a
Core insert would, counts only new rows and leaves unknown counts unknown."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import PostMetrics
from creatorflow.services.tracking import poll_claims as poll_store
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Deliverable, Event, MetricSnapshot
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign

ACTOR = "flow-run:1b7e4c2a"


def _claims(engine: Engine, now: datetime, posts: list[str]) -> list[poll_store.Claim]:
    campaign = add_campaign(engine, now=now)
    enrollment = enroll(engine, campaign, (Platform.YOUTUBE, "chan", "UC" + "x" * 22), now=now)
    with engine.begin() as conn:
        ids = [
            conn.execute(
                insert(Deliverable)
                .values(
                    enrollment_id=enrollment,
                    platform="youtube",
                    post_id=post,
                    provenance="api",
                    status="live",
                    posted_at=now,
                    detected_at=now,
                )
                .returning(Deliverable.id)
            ).scalar_one()
            for post in posts
        ]
    return poll_store.claim(engine, ids, [None] * len(ids), now=now)


def test_store_keeps_unknown_counts_and_counts_only_new_snapshots(
    engine: Engine, now: datetime
) -> None:
    claims = _claims(engine, now, ["video00000a", "video00000b"])
    answer = {
        "video00000a": PostMetrics(views=1200, likes=None, comments=4),
        "video00000b": PostMetrics(),
    }
    first = poll_store.store(engine, Platform.YOUTUBE, claims, answer, now=now, actor=ACTOR)
    again = poll_store.store(engine, Platform.YOUTUBE, claims, answer, now=now, actor=ACTOR)
    assert first == (2, [])
    assert again == (0, [])  # same (deliverable, taken_at): nothing stored twice
    with session_scope(engine) as session:
        rows = session.scalars(
            # the filter compares taken_at as stored: the raw insert must match the ORM's form
            select(MetricSnapshot)
            .where(MetricSnapshot.taken_at == now)
            .order_by(MetricSnapshot.deliverable_id)
        ).all()
        assert [
            (r.deliverable_id, r.views, r.likes, r.comments, r.shares, r.saves) for r in rows
        ] == [
            (claims[0].deliverable_id, 1200, None, 4, None, None),
            (claims[1].deliverable_id, None, None, None, None, None),
        ]
        assert {(r.taken_at, r.provenance, r.flow_run_id) for r in rows} == {
            (now, "api", "1b7e4c2a")
        }
        # a live post's last sighting is its latest snapshot: the deliverable is not written
        seen = session.scalars(select(Deliverable.last_seen_at)).all()
        assert seen == [None, None]


def test_store_marks_posts_missing_from_the_answer_gone_with_an_event(
    engine: Engine, now: datetime
) -> None:
    claims = _claims(engine, now, ["video00000a", "video00000b"])
    later = now + timedelta(hours=1)
    answer = {"video00000b": PostMetrics(views=3)}
    inserted, gone = poll_store.store(
        engine, Platform.YOUTUBE, claims, answer, now=later, actor=ACTOR
    )
    assert (inserted, gone) == (1, [claims[0].deliverable_id])
    with session_scope(engine) as session:
        row = session.get(Deliverable, claims[0].deliverable_id)
        assert row is not None and (row.status, row.gone_at, row.last_seen_at) == (
            "gone",
            later,
            None,
        )
        events = session.scalars(select(Event).where(Event.kind == "deliverable_gone")).all()
        assert [(e.entity_id, e.actor) for e in events] == [(claims[0].deliverable_id, ACTOR)]
        assert session.scalars(select(MetricSnapshot.views)).all() == [3]
