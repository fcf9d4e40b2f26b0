"""Planner statistics refreshed after a bulk write (PostgreSQL), not a minute later.

PostgreSQL plans from statistics that autovacuum refreshes once a table has changed by a tenth,
checking about once a minute. Until then a table that just grew from nothing by 10,000 rows is
planned as a few hundred rows of 2 kB each (no column widths yet): a send run started right after
the shortlist read each chunk's 50 enrollments by full scans and hash joins of creators and
accounts, 10 ms a query instead of well under one, and sped up mid-run when autovacuum's
ANALYZE came (measured at 10,000 emails: 6.7-8.0 ms per email before, 4.1-5.5 after). Importing
creators and shortlisting a campaign, the two writes that add thousands of rows at once, so
refresh the statistics of what they wrote as soon as it is committed.

SQLite plans without statistics unless ``ANALYZE`` has been run once; after that it would need
running again as tables grow, so it is left to its defaults (which suit creatorflow's queries).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

#: Rows a write adds to a table before its statistics are refreshed at once. Fewer leave the
#: planner's estimates close enough, and autovacuum catches up within about a minute.
BULK_ROWS = 1000

_log = logging.getLogger(__name__)


def analyze_written(engine: Engine, written: Mapping[str, int]) -> list[str]:
    """``ANALYZE`` the tables that a committed write added ``BULK_ROWS`` or more rows to.

    ``written`` maps table names to the rows added. Runs in its own short transaction, after
    the write's: the write never waits on it. A failure (a role that may not analyze a table
    only warns, on the server) is logged, not raised: the rows are stored and autovacuum will
    refresh the statistics. Returns the tables analyzed (none on SQLite).
    """
    if engine.dialect.name != "postgresql":
        return []
    tables = sorted(name for name, rows in written.items() if rows >= BULK_ROWS)
    if not tables:
        return []
    quote = engine.dialect.identifier_preparer.quote
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE " + ", ".join(quote(name) for name in tables))
    except SQLAlchemyError as exc:
        _log.warning(
            "could not refresh the statistics of %s (autovacuum will): %s",
            ", ".join(tables),
            type(exc).__name__,
        )
        return []
    return tables
