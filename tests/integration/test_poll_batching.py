"""Polling's writes grow with the calls, not the posts: answers that wait are stored together,
and a round's first sight of its captions takes the same statements for 3 posts or 30."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import Caption, PostMetrics
from creatorflow.services.tracking import compliance, polling
from creatorflow.services.tracking import poll_claims as poll_store
from creatorflow.services.tracking.compliance import Seen
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import (
    CaptionVersion,
    ComplianceProblem,
    Deliverable,
    Event,
    MetricSnapshot,
)
from tests.support.builders import add_live_videos

ACTOR = "flow-run:5e1d0c77"


class _Client:
    """Answers every call at once; says when it has answered ``expected`` calls."""

    def __init__(self, expected: int) -> None:
        self.calls = 0
        self.expected = expected
        self.all_answered = threading.Event()

    def current_metrics(self, post_ids: list[str], *, owners: Any) -> dict[str, PostMetrics]:
        self.calls += 1
        if self.calls == self.expected:
            self.all_answered.set()
        return {
            p: PostMetrics(views=7, caption=Caption(title=f"{p} #ad", text=None)) for p in post_ids
        }


def test_answers_that_wait_for_the_database_are_stored_in_one_transaction(
    engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = add_live_videos(engine, now, 4)
    claims = poll_store.claim(engine, ids, [None] * len(ids), now=now)
    client = _Client(expected=len(claims))
    stores: list[int] = []
    real_store = poll_store.store

    def slow_store(*args: Any, **kwargs: Any) -> tuple[int, list[int]]:
        if not stores:  # the database is busy until every call has been answered
            assert client.all_answered.wait(10)
        stores.append(len(args[2]))
        return real_store(*args, **kwargs)

    monkeypatch.setattr(poll_store, "store", slow_store)
    report = polling.PollReport(platform=Platform.YOUTUBE, claimed=len(claims))
    known = compliance.latest_hashes(engine, ids)  # as poll_batch reads it: none yet
    round_ = polling._Round(engine, client, now=now, actor=ACTOR, report=report, known=known)  # type: ignore[arg-type]
    round_.run([[c] for c in claims], threads=1)  # one call per post: four calls

    assert client.calls == 4
    assert sum(stores) == 4 and len(stores) < 4  # the waiting answers went in together
    assert (report.requests, report.snapshots, report.claimed) == (4, 4, 4)
    with session_scope(engine) as session:
        per_post = session.execute(
            select(MetricSnapshot.deliverable_id, func.count()).group_by(
                MetricSnapshot.deliverable_id
            )
        ).all()
        versions = session.scalar(select(func.count()).select_from(CaptionVersion))
    assert sorted(per_post) == [(d, 1) for d in ids]
    assert versions == 4  # every answer's caption was recorded
    assert known == compliance.latest_hashes(engine, ids)  # and the batch's hashes follow
    assert len(known) == 4


def _first_sight(
    engine: Engine, now: datetime, count: int
) -> tuple[int, compliance.ComplianceReport]:
    ids = add_live_videos(engine, now, count)
    seen = [
        # every third post discloses; the others open a problem
        Seen(d, Caption(title=f"video {n}" + (" #ad" if n % 3 == 0 else ""), text="words"))
        for n, d in enumerate(ids)
    ]
    statements = 0

    def count_statement(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        report = compliance.record_captions(engine=engine, seen=seen, now=now, actor=ACTOR)
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    return statements, report


@pytest.mark.parametrize("count", [3, 30])
def test_a_first_sight_of_captions_takes_statements_per_round_not_per_post(
    engine: Engine, now: datetime, count: int
) -> None:
    statements, report = _first_sight(engine, now, count)
    undisclosed = count - len(range(0, count, 3))
    assert report.versions == count
    assert len(report.opened) == undisclosed
    with session_scope(engine) as session:
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.entity == "deliverable")
        )
        problems = session.scalars(select(ComplianceProblem.version_id)).all()
        flagged = session.scalar(
            select(func.count())
            .select_from(Deliverable)
            .where(Deliverable.disclosure_ok.is_(False))
        )
    assert events == count  # one change event per new version
    assert len(problems) == undisclosed and None not in problems
    assert flagged == undisclosed
    # read hashes, read again in the write, posts, insert versions, two verdict updates, open
    # problems, insert problems, insert events (and the transaction's own statements)
    assert statements <= 12, statements
