"""Shared fixtures: real databases (SQLite always, PostgreSQL when reachable), a fixed clock.

``db_url`` is parametrised over both engines for storage tests; ``sqlite_url`` is a fresh,
migrated SQLite file for everything else. The sandbox platforms and the environment fixtures
come from ``tests/support/fixtures.py``. The PostgreSQL database is migrated once per session
and truncated between tests, so each test starts from an empty schema cheaply.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from creatorflow.settings import Settings
from creatorflow.storage.db import dispose_engines, engine_for
from creatorflow.storage.migrate import upgrade
from creatorflow.storage.models import Base
from tests.support.databases import create_database, drop_database, postgres_problem
from tests.support.fixtures import app_env, make_settings, sandbox, sleeps, world  # noqa: F401
from tests.support.prefect import prefect_harness  # noqa: F401

PG_ADMIN_URL = os.environ.get(
    "CREATORFLOW_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_pg_problem: str | None = None


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason (shown in the skip message)."""
    return postgres_problem(PG_ADMIN_URL)


def pytest_report_header(config: pytest.Config) -> str:
    global _pg_problem
    _pg_problem = _postgres_reachable()
    return _pg_problem or f"PostgreSQL reachable at {PG_ADMIN_URL}"


@pytest.fixture(scope="session", autouse=True)
def _close_engines_at_exit() -> Iterator[None]:
    yield
    dispose_engines()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database for this test."""
    target = tmp_path / "creatorflow.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    problem = _postgres_reachable()
    if problem:
        pytest.skip(problem)
    name = create_database(PG_ADMIN_URL, "cf_test")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    engine_for(url).dispose()
    drop_database(PG_ADMIN_URL, name)


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    engine = engine_for(postgres_database)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(db_url: str) -> sa.Engine:
    return engine_for(db_url)


@pytest.fixture
def now() -> datetime:
    """A fixed instant: tests never depend on the wall clock."""
    return datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path) -> Settings:
    """Settings for an isolated run: temp database, maildir outbox and inbox, no real accounts."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlite_url,
        mail_url=f"maildir://{tmp_path / 'outbox'}",
        inbox_url=f"maildir://{tmp_path / 'inbox'}",
        sender="Glow Team <team@brand.example>",
        postal_address="1 Market St, San Francisco, CA 94105, USA",
        unsubscribe_base_url="https://brand.example",
        secret_key="test-secret-key-that-is-long-enough",
        preview_dir=tmp_path / "preview",
        reports_dir=tmp_path / "reports",
    )
