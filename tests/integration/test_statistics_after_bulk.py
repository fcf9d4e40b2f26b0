"""An import or a shortlist refreshes PostgreSQL's statistics of what it wrote, at once.

Before, a send run started right after a shortlist of 10,000 read each chunk's enrollments by
full scans and hash joins (the tables were planned as a few hundred rows) until autovacuum came
by: the send benchmark measures that (``benchmarks/send_outreach.py``). ``pg_class.reltuples``
is -1 for a table never analyzed since it was emptied (the fixture truncates every table before
each test), so it shows whether the write analyzed the table.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from creatorflow.domain.tiers import TierRules
from creatorflow.sandbox.sample_creators import write_csv
from creatorflow.services.creators.importing import import_creators
from creatorflow.services.outreach.launch import shortlist_campaign
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for
from creatorflow.storage.statistics import BULK_ROWS, analyze_written
from tests.support.builders import add_creators
from tests.support.campaigns import make_spec


def _import(engine: Engine, tmp_path: Path, now: datetime, count: int) -> int:
    path = write_csv(tmp_path / "creators.csv", count=count, seed=3)
    result = import_creators(
        engine=engine,
        path=path,
        lawful_basis="legitimate-interest",
        tier_rules=TierRules.default(),
        now=now,
        actor="test:import",
    )
    return result.created


def _estimated_rows(engine: Engine, table: str) -> float:
    with engine.connect() as conn:
        return float(
            conn.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
            ).scalar_one()
        )


@pytest.mark.postgres
def test_an_import_of_thousands_leaves_its_tables_planned_by_their_size(
    postgres_url: str, tmp_path: Path, now: datetime
) -> None:
    engine = engine_for(postgres_url)
    created = _import(engine, tmp_path, now, 3000)
    assert created > BULK_ROWS
    # ANALYZE of a table this small reads every row: the estimate is the count
    assert _estimated_rows(engine, "accounts") == created
    assert _estimated_rows(engine, "creators") > BULK_ROWS


@pytest.mark.postgres
def test_a_small_import_leaves_statistics_to_autovacuum(
    postgres_url: str, tmp_path: Path, now: datetime
) -> None:
    engine = engine_for(postgres_url)
    assert 0 < _import(engine, tmp_path, now, 200) < BULK_ROWS
    assert _estimated_rows(engine, "accounts") == -1


@pytest.mark.postgres
def test_a_shortlist_of_thousands_leaves_enrollments_planned_by_their_size(
    postgres_url: str, settings: Settings, now: datetime
) -> None:
    engine = engine_for(postgres_url)
    count = 2000
    add_creators(engine, now, count)  # the builder writes rows only, as before an ANALYZE
    analyze_written(engine, {"creators": count, "accounts": count})
    shortlist_campaign(
        engine=engine,
        settings=settings.model_copy(update={"database_url": postgres_url}),
        spec=make_spec(
            selection={"tiers": {"micro": count}},
            offer={"micro": 100},
            budget=100 * count,
            outreach={"per_domain_cap": count * 2},
        ),
        now=now,
        actor="test",
    )
    assert _estimated_rows(engine, "enrollments") == count
    assert _estimated_rows(engine, "events") >= count  # each enrollment's stage event


def test_sqlite_is_left_to_its_own_planning(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    assert analyze_written(engine, {"creators": 10 * BULK_ROWS}) == []
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).scalar_one()
    assert found == 0


@pytest.mark.postgres
def test_a_refresh_that_fails_is_logged_and_the_write_stands(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = engine_for(postgres_url)
    with caplog.at_level(logging.WARNING, logger="creatorflow.storage.statistics"):
        assert analyze_written(engine, {"no_such_table": BULK_ROWS}) == []
    assert "could not refresh the statistics of no_such_table" in caplog.text
    assert "ProgrammingError" in caplog.text
