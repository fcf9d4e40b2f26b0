"""Creator import of 100,000 generated rows against a raw ``sqlite3.executemany`` baseline.

Both sides start from the same CSV file and write one fresh SQLite database (WAL, as creatorflow
configures it). The baseline reads the rows with the csv module and inserts them with one
``executemany`` into an equivalent single table (the same columns, unique platform+handle). The
import does everything the product needs: validation and normalisation, merging by handle and
email, tiers, creators + accounts + the event log, all in one transaction. Each side runs
``ROUNDS`` times on a fresh database and the best time counts (the machine is shared).

Run: ``.venv/bin/python benchmarks/import_creators.py [ROWS]``
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from creatorflow.domain.tiers import TierRules
from creatorflow.sandbox.sample_creators import write_csv
from creatorflow.services.creators.importing import import_creators
from creatorflow.storage.db import make_engine
from creatorflow.storage.migrate import upgrade

GOAL = 3.0
ROUNDS = 2


def baseline(csv_path: Path, db_path: Path) -> float:
    started = time.perf_counter()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = list(reader)
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE creators (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, "
            "handle TEXT NOT NULL, email TEXT, name TEXT, followers TEXT, country TEXT, "
            "niche TEXT, UNIQUE (platform, handle))"
        )
        with conn:
            conn.executemany(
                "INSERT INTO creators (platform, handle, email, name, followers, country, niche) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    finally:
        conn.close()
    return time.perf_counter() - started


def service(csv_path: Path, db_path: Path, rows: int) -> float:
    url = f"sqlite:///{db_path}"
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


def schema_floor(imported_db: Path, db_path: Path) -> float:
    """Raw executemany of the rows the import wrote, into the real schema: the database's share.

    Not the goal's baseline; it shows how much of the import's time is SQLite writing three
    tables and their indexes rather than Python.
    """
    upgrade(f"sqlite:///{db_path}")
    source = sqlite3.connect(imported_db)
    tables = {
        name: source.execute(f"SELECT * FROM {name}").fetchall()  # noqa: S608 (fixed names)
        for name in ("creators", "accounts", "events")
    }
    source.close()
    conn = sqlite3.connect(db_path)
    try:
        started = time.perf_counter()
        with conn:
            for name, rows in tables.items():
                marks = ", ".join("?" * len(rows[0]))
                conn.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)  # noqa: S608
        return time.perf_counter() - started
    finally:
        conn.close()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="cf-bench-") as tmp:
        work = Path(tmp)
        csv_path = write_csv(work / "creators.csv", count=rows, seed=7)
        base_times, import_times = [], []
        for round_no in range(ROUNDS):
            base_times.append(baseline(csv_path, work / f"baseline{round_no}.db"))
            import_times.append(service(csv_path, work / f"import{round_no}.db", rows))
        base, ours = min(base_times), min(import_times)
        floor = schema_floor(work / "import0.db", work / "floor.db")
    ratio = ours / base
    print(f"rows: {rows}")
    print(f"baseline csv + sqlite3.executemany: {base:.2f} s (best of {ROUNDS})")
    print(f"creatorflow import_creators:        {ours:.2f} s (best of {ROUNDS})")
    print(
        f"raw executemany of the same creators, accounts and events into the real schema: "
        f"{floor:.2f} s ({floor / base:.1f}x the baseline)"
    )
    verdict = "met" if ratio <= GOAL else "MISSED"
    print(f"import_creators {ratio:.1f}x goal <={GOAL:g}x {verdict}")


if __name__ == "__main__":
    main()
