"""``bulk.insert_new``: many rows in one statement (``unnest`` arrays on PostgreSQL), the ones a
unique key already holds skipped, and only the inserted rows returned, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from creatorflow.storage.bulk import insert_new
from creatorflow.storage.models import CaptionVersion
from tests.support.builders import add_live_videos

TABLE = cast(sa.Table, CaptionVersion.__table__)
ODD = 'quote " comma , braces {x} backslash \\ tab \t newline \n NULL ünï ✓'


def _row(deliverable: int, seq: int, now: datetime, **values: Any) -> dict[str, Any]:
    return {
        "deliverable_id": deliverable,
        "seq": seq,
        "title": None,
        "text": ODD,
        "sha256": f"{seq:064d}",
        "verdict": "missing",
        "marker": None,
        "found": None,
        "field": None,
        "position": None,  # a column of NULLs only
        "reason": "",
        "first_seen_at": now,
        "last_seen_at": now + timedelta(hours=1),
        **values,
    }


def _insert(engine: sa.Engine, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    with engine.begin() as conn:
        return insert_new(
            conn,
            TABLE,
            rows,
            unique=("deliverable_id", "seq"),
            returning=("id", "deliverable_id", "seq"),
        )


def test_rows_are_stored_as_given_and_taken_ones_skipped(engine: sa.Engine, now: datetime) -> None:
    first, second = add_live_videos(engine, now, 2)
    done = _insert(engine, [_row(first, 1, now, title="", position=3), _row(second, 1, now)])
    assert sorted((d, s) for _, d, s in done) == [(first, 1), (second, 1)]
    # one already stored, two new: only the new come back
    again = _insert(
        engine, [_row(first, 1, now, text="other"), _row(first, 2, now), _row(second, 2, now)]
    )
    assert sorted((d, s) for _, d, s in again) == [(first, 2), (second, 2)]
    assert not {i for i, _, _ in done} & {i for i, _, _ in again}
    assert _insert(engine, []) == []
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(CaptionVersion).order_by(CaptionVersion.deliverable_id, CaptionVersion.seq)
        ).all()
    assert [(r.deliverable_id, r.seq) for r in stored] == [
        (first, 1),
        (first, 2),
        (second, 1),
        (second, 2),
    ]
    head = stored[0]
    assert (head.title, head.text, head.position, head.marker) == ("", ODD, 3, None)
    assert head.first_seen_at == now and head.last_seen_at == now + timedelta(hours=1)
    assert stored[1].title is None and stored[1].position is None
