"""Bulk writes (imports, the event log, a poll's captions): rows handed to the driver at once.

SQLAlchemy's per-row parameter processing and RETURNING (row by row on SQLite) cost more than
the database work itself at 100,000 rows. Here each column's bind processor runs only where the
type needs one (timestamps, JSON), constants are processed once, and the rows go to the driver
directly: one ``executemany`` on SQLite, one ``COPY ... FROM STDIN`` on PostgreSQL (psycopg's
pipelined ``executemany`` still pays a round of protocol messages per row: about four times
COPY's cost, and PostgreSQL imports were ten times slower than SQLite's).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.dialects import sqlite

#: ``n`` values from the table's sequence: only the range when they came out contiguous (the
#: usual case: 100,000 ids are two numbers, not 100,000 rows), else every value (another session
#: drew from the sequence meanwhile). The sequence is named once (a regclass parameter): calling
#: ``pg_get_serial_sequence`` per value, and sorting the values in the query, had cost 0.27 s
#: per 100,000 ids, against 0.03 s.
_NEXT_IDS = (
    "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = count(*) THEN NULL"
    " ELSE array_agg(v) END"
    " FROM (SELECT nextval(%(sequence)s::regclass) AS v"
    " FROM generate_series(1, %(n)s)) AS drawn"
)


def allocate_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table`` (PostgreSQL: from its sequence, safe to share).

    On SQLite the transaction's write lock makes ``max(id) + n`` safe from the first write on;
    a concurrent writer between the read and the first insert fails on the primary key instead
    of corrupting anything.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        sequence = conn.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%(table)s, 'id')", {"table": table.name}
        ).scalar_one()
        drawn = conn.exec_driver_sql(_NEXT_IDS, {"sequence": sequence, "n": count}).one()
        low, high, scattered = drawn
        return list(range(low, high + 1)) if scattered is None else sorted(map(int, scattered))
    start = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + count))


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    constants: Mapping[str, Any] | None = None,
    serialized: Collection[str] = (),
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order), each completed by the same ``constants``.

    Columns in neither take their scalar Python default (``default=0``), as an ORM insert would.
    Constants go through their column type's bind processing once; per-row values only where
    the type has a processor (e.g. JSON), so plain strings and integers reach the driver as is.
    Columns named in ``serialized`` hold JSON text made by the caller (``json.dumps`` output,
    or text identical to it): stored as is, never encoded twice. Same transaction as ``conn``.
    """
    if not rows:
        return
    dialect = conn.dialect
    constants = dict(constants or {})
    for column in table.c:  # what an ORM insert would fill in: the scalar Python defaults
        default = column.default
        if default is not None and default.is_scalar and column.name not in columns:
            constants.setdefault(column.name, default.arg)  # type: ignore[attr-defined]
    names = [*columns, *constants]
    tail = tuple(_process(table, name, value, dialect) for name, value in constants.items())
    if dialect.name == "postgresql":  # COPY text: a timestamp formatted once, not per row
        tail = tuple(v.isoformat() if isinstance(v, datetime | date) else v for v in tail)
    active: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        if name in serialized:
            continue
        found = _processor(table, name, dialect)
        if found is not None:
            active.append((index, found))
    params: list[tuple[Any, ...]]
    if active:
        params = []
        for row in rows:
            values = list(row)
            for index, processor in active:
                values[index] = processor(values[index])
            params.append((*values, *tail))
    elif tail:
        params = [row + tail for row in rows]
    else:
        params = list(rows)
    quote = dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(n) for n in names)})"
    if dialect.name == "postgresql":
        _copy(conn, target, params)
        return
    markers = ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(names))
    conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({markers})", params)


def insert_new(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    unique: Sequence[str],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """``INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING returning`` for many rows (each with
    the same keys): the rows this statement inserted; one another transaction stored first is
    absent.

    PostgreSQL gets one statement whose rows go as one array per column (``unnest``): its text
    is the same whatever the number of rows, so psycopg converts and prepares it once.
    SQLAlchemy's multi-row ``VALUES`` differs in length each time, and psycopg converted its
    hundreds of placeholders anew for every statement. SQLite takes SQLAlchemy's executemany.
    """
    if not rows:
        return []
    columns = list(rows[0])
    dialect = conn.dialect
    if dialect.name != "postgresql":
        statement = (
            sqlite.insert(table)
            .on_conflict_do_nothing(index_elements=list(unique))
            .returning(*(table.c[name] for name in returning))
        )
        return [tuple(row) for row in conn.execute(statement, list(rows))]
    quote = dialect.identifier_preparer.quote
    arrays = ", ".join(
        f"%(c{n})s::{table.c[name].type.compile(dialect=dialect)}[]"
        for n, name in enumerate(columns)
    )
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)})"
        f" SELECT * FROM unnest({arrays})"
        f" ON CONFLICT ({', '.join(quote(c) for c in unique)}) DO NOTHING"
        f" RETURNING {', '.join(quote(c) for c in returning)}"
    )
    params: dict[str, list[Any]] = {}
    for n, name in enumerate(columns):
        processor = _processor(table, name, dialect)
        values = [row[name] for row in rows]
        params[f"c{n}"] = values if processor is None else [processor(v) for v in values]
    return [tuple(row) for row in conn.exec_driver_sql(sql, params)]


def _copy(conn: Connection, target: str, params: Sequence[tuple[Any, ...]]) -> None:
    """``COPY target FROM STDIN`` (text format) on the connection's own psycopg connection.

    Text format lets the server parse each value for its column (JSON text included), so no
    type has to be declared here; psycopg escapes tabs, newlines and backslashes.
    """
    driver: Any = conn.connection.dbapi_connection  # psycopg.Connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in params:
            copy.write_row(row)


def _processor(table: Table, name: str, dialect: Any) -> Callable[[Any], Any] | None:
    """The column type's bind processing for ``dialect`` (None: values go to the driver as is)."""
    return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)


def _process(table: Table, name: str, value: Any, dialect: Any) -> Any:
    processor = _processor(table, name, dialect)
    return processor(value) if processor is not None else value


@contextmanager
def bulk_cache(conn: Connection, megabytes: int = 128) -> Iterator[None]:
    """A larger SQLite page cache while bulk-writing (index updates stop spilling), then reset."""
    if conn.dialect.name != "sqlite":
        yield
        return
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(megabytes) * 1024}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")
