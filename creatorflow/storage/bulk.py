"""Bulk writes for large imports: ids allocated up front, one driver-level executemany per table.

SQLAlchemy's per-row parameter processing and RETURNING (row by row on SQLite) cost more than
the database work itself at 100,000 rows. Here each column's bind processor runs only where the
type needs one (timestamps, JSON), constants are processed once, and the statement goes to the
driver's ``executemany`` directly. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, func, select, text


def allocate_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table`` (PostgreSQL: from its sequence, safe to share).

    On SQLite the transaction's write lock makes ``max(id) + n`` safe from the first write on;
    a concurrent writer between the read and the first insert fails on the primary key instead
    of corrupting anything.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": count},
        )
        return [int(value) for (value,) in rows]
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

    Constants go through their column type's bind processing once; per-row values only where
    the type has a processor (e.g. JSON), so plain strings and integers reach the driver as is.
    Columns named in ``serialized`` hold JSON text made by the caller (``json.dumps`` output,
    or text identical to it): stored as is on SQLite, cast on PostgreSQL, never encoded twice.
    """
    if not rows:
        return
    dialect = conn.dialect
    constants = dict(constants or {})
    names = [*columns, *constants]
    tail = tuple(_process(table, name, value, dialect) for name, value in constants.items())
    active: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        if name in serialized:
            continue
        found = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
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
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    markers = [
        f"CAST({marker} AS {table.c[name].type.compile(dialect)})"
        if name in serialized and dialect.name != "sqlite"
        else marker
        for name in names
    ]
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(markers)})"
    )
    conn.exec_driver_sql(sql, params)


def _process(table: Table, name: str, value: Any, dialect: Any) -> Any:
    processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
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
