"""PostgreSQL databases made for a test session and dropped after it, connections and all."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.pool import NullPool


def postgres_problem(admin_url: str) -> str | None:
    """None when PostgreSQL answers at ``admin_url``, else why not (for a skip or an error)."""
    engine = sa.create_engine(admin_url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        return None
    except Exception as exc:  # any failure to connect means "not reachable"
        return f"PostgreSQL not reachable at {admin_url}: {type(exc).__name__}"
    finally:
        engine.dispose()


def create_database(admin_url: str, prefix: str) -> str:
    """A new, empty PostgreSQL database; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return name


def drop_database(admin_url: str, name: str) -> None:
    """Drop ``name`` after ending every session still connected to it."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()
