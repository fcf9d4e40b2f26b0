"""A claim reads the batch's rows by key on PostgreSQL, never every deliverable.

The claim's ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`` alone let the planner
hash the locked rows and join them to a scan of the whole table: at 100,000 posts each of a
round's 80 claims read 100,000 rows. The plan is what counts here, read with EXPLAIN on a table
of a round's 100,000 posts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from creatorflow.services.tracking.poll_claims import claim_statement
from creatorflow.storage.db import engine_for
from creatorflow.storage.models import Deliverable
from tests.support.builders import add_live_videos

NOW = datetime(2027, 3, 20, 12, tzinfo=UTC)


@pytest.mark.postgres
def test_a_claim_of_a_batch_reads_its_rows_by_key(postgres_url: str) -> None:
    engine = engine_for(postgres_url)
    previous = NOW - timedelta(hours=2)
    add_live_videos(engine, NOW, 1, last_polled_at=previous)
    with engine.begin() as conn:  # a round's size, written by the database itself (fast)
        conn.execute(
            text(
                "INSERT INTO deliverables (enrollment_id, platform, post_id, provenance, status,"
                " posted_at, detected_at, last_polled_at, kind)"
                " SELECT enrollment_id, platform, 'video' || lpad(n::text, 6, '0'), provenance,"
                " status, posted_at, detected_at, last_polled_at, kind"
                " FROM deliverables, generate_series(1, 99999) AS n"
            )
        )
        ids = list(conn.scalars(select(Deliverable.id).order_by(Deliverable.id)))
        conn.execute(text("ANALYZE deliverables"))
        statement = claim_statement(ids[50_000:51_250], previous, NOW, "postgresql")
        compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        plan = "\n".join(conn.execute(text(f"EXPLAIN {compiled}")).scalars())
        stamped = conn.execute(statement).all()
    assert "Seq Scan on deliverables" not in plan, plan
    assert len(stamped) == 1_250
