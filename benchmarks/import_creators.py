"""Creator import of N generated rows against a raw ``executemany`` of the same rows.

Both sides start from the same CSV file and write a fresh database of their own, on SQLite (WAL,
as creatorflow configures it) or PostgreSQL. The baseline reads the rows with the csv module and
inserts them with one driver ``executemany`` (``sqlite3``, or psycopg's pipelined one) into an
equivalent single table (the same columns, unique platform+handle). The import does everything
the product needs: validation and normalisation, merging by handle and email, tiers, creators +
accounts + the event log, all in one transaction. The sides alternate for ``--rounds`` rounds and
each side's best time counts (the machine is shared). Goal: import <= 3x the baseline.

Run: ``.venv/bin/python benchmarks/import_creators.py [--database postgres] [--size 100000]``
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _cases import Case, Goal, Options, Result, emit, libpq_url, options, rounds, scratch_database

from creatorflow.domain.tiers import TierRules
from creatorflow.sandbox.sample_creators import write_csv
from creatorflow.services.creators.importing import import_creators
from creatorflow.storage.db import make_engine
from creatorflow.storage.migrate import upgrade

GOAL = 3.0
TABLE = (
    "CREATE TABLE creators (id {key}, platform TEXT NOT NULL, handle TEXT NOT NULL, email TEXT,"
    " name TEXT, followers TEXT, country TEXT, niche TEXT, UNIQUE (platform, handle))"
)
INSERT = (
    "INSERT INTO creators (platform, handle, email, name, followers, country, niche)"
    " VALUES ({marks})"
)


def baseline(csv_path: Path, url: str) -> float:
    started = time.perf_counter()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = list(reader)
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(TABLE.format(key="INTEGER PRIMARY KEY"))
            with conn:
                conn.executemany(INSERT.format(marks=", ".join("?" * 7)), rows)
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(libpq_url(url)) as pg:  # commits on leaving the block
            pg.execute(TABLE.format(key="SERIAL PRIMARY KEY"))
            with pg.cursor() as cursor:
                cursor.executemany(INSERT.format(marks=", ".join(["%s"] * 7)), rows)
    return time.perf_counter() - started


def service(csv_path: Path, url: str, rows: int) -> float:
    upgrade(url)
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        result = import_creators(
            engine=engine,
            path=csv_path,
            lawful_basis="legitimate-interest",
            tier_rules=TierRules.default(),
            now=datetime(2027, 3, 1, 9, tzinfo=UTC),
            actor="benchmark",
        )
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    if result.created != rows or result.rejected:
        raise SystemExit(f"unexpected result: {result.created} created, {result.rejected[:3]}")
    return elapsed


def schema_floor(imported: str, folder: Path) -> float:
    """Raw executemany of the rows the import wrote, into the real schema: the database's share.

    Not the goal's baseline (SQLite only); it shows how much of the import's time is SQLite
    writing three tables and their indexes rather than Python.
    """
    target = folder / "floor.db"
    upgrade(f"sqlite:///{target}")
    source = sqlite3.connect(imported.removeprefix("sqlite:///"))
    tables = {
        name: source.execute(f"SELECT * FROM {name}").fetchall()  # noqa: S608 (fixed names)
        for name in ("creators", "accounts", "events")
    }
    source.close()
    conn = sqlite3.connect(target)
    try:
        started = time.perf_counter()
        with conn:
            for name, rows in tables.items():
                marks = ", ".join("?" * len(rows[0]))
                conn.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)  # noqa: S608
        return time.perf_counter() - started
    finally:
        conn.close()


def run(case: Case, opts: Options) -> Result:
    floor = None
    with tempfile.TemporaryDirectory(prefix="cf-bench-") as tmp:
        csv_path = write_csv(Path(tmp) / "creators.csv", count=case.size, seed=7)
        base_times, import_times = [], []
        for _ in range(rounds(opts, 3)):
            with scratch_database(case, "baseline") as url:
                base_times.append(baseline(csv_path, url))
            with scratch_database(case, "import") as url:
                import_times.append(service(csv_path, url, case.size))
                if case.database == "sqlite" and floor is None:
                    floor = schema_floor(url, Path(tmp))
    base, ours = min(base_times), min(import_times)
    print(f"{case.database}, {case.size:,} rows ({len(import_times)} rounds, best of each):")
    print(f"  baseline csv + executemany: {base:.2f} s ({base / case.size * 1e6:.1f} us/row)")
    print(f"  creatorflow import_creators: {ours:.2f} s ({ours / case.size * 1e6:.1f} us/row)")
    if floor is not None:
        print(
            f"  raw executemany of the creators, accounts and events it wrote, into the real"
            f" schema: {floor:.2f} s ({floor / base:.1f}x the baseline)"
        )
    return Result(
        "import_creators",
        case.database,
        case.size,
        ours,
        goals=[Goal("import / raw executemany", ours / base, GOAL)],
        details={"baseline_seconds": base, "schema_floor_seconds": floor},
    )


def main() -> None:
    opts = options(__doc__.split("\n\n")[0], default_size=100_000)
    for case in opts.cases:
        emit(run(case, opts))


if __name__ == "__main__":
    main()
