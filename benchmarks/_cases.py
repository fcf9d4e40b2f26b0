"""What every benchmark script shares: its cases (database x size), scratch databases, results.

A script runs one or more cases, ``--database sqlite|postgres`` times ``--size N`` (both may be
repeated), each on a database of its own: a file in a temporary folder, or a PostgreSQL database
created for the case and dropped after it (``CREATORFLOW_BENCH_PG_ADMIN_URL``, default the local
server as ``postgres``). For each case it prints what it measured, one ``RESULT {json}`` line
that ``run_all.py`` reads, and one ``name figure goal GOAL met|MISSED`` line per goal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # ``tests.support``: scratch PostgreSQL databases, builders
    sys.path.insert(0, str(PROJECT_ROOT))

DATABASES = ("sqlite", "postgres")
PG_ADMIN_URL = os.environ.get(
    "CREATORFLOW_BENCH_PG_ADMIN_URL",
    os.environ.get(
        "CREATORFLOW_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
)
RESULT_PREFIX = "RESULT "


@dataclass(frozen=True)
class Case:
    database: str  # "sqlite" or "postgres"
    size: int


@dataclass(frozen=True)
class Options:
    cases: list[Case]
    rounds: int | None  # None: the script's own default for the size
    quick: bool  # fewer repetitions: a smoke run that the code still works


def options(description: str, *, default_size: int) -> Options:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", action="append", choices=DATABASES, help="default sqlite")
    parser.add_argument("--size", action="append", type=int, help=f"default {default_size:,}")
    parser.add_argument("--rounds", type=int, help="repetitions per case (best or median counts)")
    parser.add_argument("--quick", action="store_true", help="one round: checks it still runs")
    args = parser.parse_args()
    cases = [
        Case(database, size)
        for database in args.database or ["sqlite"]
        for size in args.size or [default_size]
    ]
    return Options(cases, args.rounds, args.quick)


def rounds(opts: Options, full: int) -> int:
    """Repetitions of a case: ``--rounds``, else one in quick mode, else ``full``."""
    if opts.rounds is not None:
        return max(1, opts.rounds)
    return 1 if opts.quick else full


@contextmanager
def scratch_database(case: Case, name: str = "bench") -> Iterator[str]:
    """A new, empty database for one case (migrations not applied); dropped afterwards."""
    if case.database == "sqlite":
        with tempfile.TemporaryDirectory(prefix="cf-bench-") as folder:
            yield f"sqlite:///{Path(folder) / f'{name}.db'}"
        return
    from creatorflow.storage.db import dispose_engines
    from tests.support.databases import create_database, drop_database

    database = create_database(PG_ADMIN_URL, f"cf_bench_{name}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    finally:
        dispose_engines()  # engine_for's pooled connections would keep the database open
        drop_database(PG_ADMIN_URL, database)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psycopg's own ``connect`` takes it (for hand-written baselines)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def reset_peak_rss() -> None:
    """Start measuring the peak resident memory anew (Linux; elsewhere the process's peak)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """Peak resident memory since the last ``reset_peak_rss`` (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Goal:
    """One figure against its ceiling: ``value <= goal`` is met."""

    measure: str
    value: float
    goal: float
    unit: str = "x"  # "x" (a ratio), "MB", or a count's noun ("queries", "task runs")

    @property
    def met(self) -> bool:
        return self.value <= self.goal + 1e-9

    def shown(self, value: float | None = None) -> str:
        return show(self.value if value is None else value, self.unit)


def show(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g} {unit}"


@dataclass
class Result:
    """One case's outcome: its time per item (the curve) and its goals."""

    benchmark: str
    database: str
    size: int
    seconds: float  # the product side's time for the whole case
    goals: list[Goal] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def per_item(self) -> float:
        return self.seconds / self.size


def emit(result: Result) -> None:
    """Print the case's machine-readable line, then one line per goal, the headline (first) last.

    A goal line reads ``import_creators@sqlite:100000 import / raw executemany: 2.41x goal
    <=3.00x met``: the ``name figure goal GOAL met|MISSED`` form every benchmark ends with.
    """
    data = asdict(result) | {"per_item": result.per_item}
    print(RESULT_PREFIX + json.dumps(data), flush=True)
    tag = f"{result.benchmark}@{result.database}:{result.size}"
    for goal in [*result.goals[1:], *result.goals[:1]]:
        verdict = "met" if goal.met else "MISSED"
        ceiling = show(goal.goal, goal.unit)
        print(f"{tag} {goal.measure}: {goal.shown()} goal <={ceiling} {verdict}", flush=True)
