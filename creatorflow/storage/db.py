"""Engine and session set-up for SQLite (default) and PostgreSQL.

SQLite gets foreign keys, WAL and a busy timeout so that a flow's worker threads and a CLI command
can share the file; PostgreSQL needs nothing special. ``insert_ignore`` is the one dialect-aware
statement the lifecycle relies on (``INSERT ... ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Insert, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.schema import Table

#: Connections an engine keeps open: a polling flow works 8 batches at once, each storing its
#: answers in its own thread, beside the flow's own reads. SQLAlchemy's default keeps 5 and
#: closes every connection above them on return: under load each store then paid a new
#: PostgreSQL connection (or SQLite file open) for one short transaction.
POOL_SIZE = 12


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the per-dialect settings creatorflow needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"timeout": 30, "check_same_thread": False}
        if parsed.database not in (None, "", ":memory:"):  # a file: SQLAlchemy's QueuePool
            kwargs.setdefault("pool_size", POOL_SIZE)
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if parsed.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", POOL_SIZE)
    engine = create_engine(url, pool_pre_ping=True, **kwargs)

    @event.listens_for(engine, "connect")
    def _postgres_session(dbapi_connection: Any, _record: Any) -> None:
        # JIT compiles each report query for 0.1-0.7 s that the query itself never needs (they
        # read an index per row): off for creatorflow's sessions only, not the server's default
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.autocommit = autocommit

    return engine


_ENGINES: OrderedDict[str, Engine] = OrderedDict()
_ENGINES_LOCK = threading.Lock()
_MAX_ENGINES = 8


def engine_for(url: str) -> Engine:
    """One engine per URL per process (flows and tasks pass the URL, not the engine).

    The least recently used engine beyond a few is disposed, so its pooled connections are
    closed deliberately rather than left for the garbage collector.
    """
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is not None:
            _ENGINES.move_to_end(url)
            return engine
        engine = make_engine(url)
        _ENGINES[url] = engine
        while len(_ENGINES) > _MAX_ENGINES:
            _, evicted = _ENGINES.popitem(last=False)
            evicted.dispose()
        return engine


def dispose_engines() -> None:
    """Close every cached engine (end of a test session or of a command)."""
    with _ENGINES_LOCK:
        while _ENGINES:
            _, engine = _ENGINES.popitem()
            engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def insert_ignore(
    session: Session,
    table: Table,
    values: Mapping[str, Any] | list[dict[str, Any]],
    *,
    conflict_columns: list[str] | None = None,
) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the session's dialect (not executed)."""
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(values)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"unsupported database dialect {dialect!r}")
    # preserve_rowcount: without it psycopg reports -1 for INSERT, and callers count inserted rows
    return stmt.on_conflict_do_nothing(index_elements=conflict_columns).execution_options(  # type: ignore[no-any-return]
        preserve_rowcount=True
    )
