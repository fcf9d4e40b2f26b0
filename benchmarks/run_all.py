"""Run every benchmark at growing sizes on SQLite and PostgreSQL; print one table of goals.

Each size of each benchmark runs in its own interpreter (so one cannot skew another's memory or
timing) on a database of its own, keeps its full output in ``var/bench/``, and reports one
``RESULT {json}`` line (``benchmarks/_cases.py``). From those the table shows, per benchmark and
database, the time per item at every size and its growth per tenfold (goal <= 1.2x: linear), the
benchmark's own goals at its largest size (each figure at every size beside it), and PostgreSQL
against SQLite at the largest size where a goal is set. Every line ends ``met`` or ``MISSED``.
Scripts not listed in ``BENCHMARKS`` run once and their last line (``name figure goal GOAL
met|MISSED``) is their row. The runner exits non-zero when a script crashes, times out or ends
without a result; a MISSED goal is reported, not a failure of the runner.

    .venv/bin/python benchmarks/run_all.py                 # everything (``make bench``)
    .venv/bin/python benchmarks/run_all.py report          # only benchmarks/report.py
    .venv/bin/python benchmarks/run_all.py --quick         # smallest sizes, one round (CI),
                                                           # two scripts at a time
    .venv/bin/python benchmarks/run_all.py --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _cases import DATABASES, PG_ADMIN_URL, PROJECT_ROOT, RESULT_PREFIX, show  # noqa: E402

from tests.support.databases import postgres_problem  # noqa: E402

TIMEOUT_SECONDS = 900
GROWTH_GOAL = 1.2


@dataclass(frozen=True)
class Benchmark:
    """A script run at ``sizes`` on each database (its arguments: ``--database D --size N``)."""

    script: str  # file stem in the benchmarks folder
    unit: str  # one item: "row", "post", "creator", "email"
    sizes: tuple[int, ...]
    postgres_goal: float | None = None  # PostgreSQL / SQLite time per item, largest size


BENCHMARKS = (
    Benchmark("import_creators", "row", (1_000, 10_000, 100_000), postgres_goal=2.0),
    Benchmark("poll_engagement", "post", (1_000, 10_000, 100_000), postgres_goal=2.0),
    Benchmark("report", "creator", (2_000, 20_000)),
    Benchmark("send_outreach", "email", (1_000, 10_000)),
)


@dataclass(frozen=True)
class Row:
    benchmark: str
    database: str
    measure: str
    by_size: str
    figure: str
    goal: str
    status: str  # met, MISSED, or what went wrong

    @property
    def ok(self) -> bool:
        return self.status in ("met", "MISSED")


@dataclass
class Run:
    """What one interpreter reported: its RESULT lines, or why it gave none."""

    results: list[dict[str, Any]] = field(default_factory=list)
    last_line: str = ""
    problem: str | None = None
    seconds: float = 0.0


def parse_result_line(line: str) -> tuple[str, str, str, str] | None:
    """``name figure goal GOAL met|MISSED`` as (name, figure, goal, status), else None."""
    tokens = line.split()
    if len(tokens) < 5 or tokens[-1] not in ("met", "MISSED") or "goal" not in tokens[2:-1]:
        return None
    at = tokens.index("goal", 2)
    return tokens[0], " ".join(tokens[1:at]), " ".join(tokens[at + 1 : -1]), tokens[-1]


def run_script(script: Path, arguments: Sequence[str], log: Path) -> Run:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, str(script), *arguments],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        log.write_text(f"{exc.stdout or ''}\n{exc.stderr or ''}")
        return Run(problem=f"timeout {TIMEOUT_SECONDS}s", seconds=TIMEOUT_SECONDS)
    seconds = time.monotonic() - started
    log.write_text(done.stdout + ("\n--- stderr ---\n" + done.stderr if done.stderr else ""))
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    run = Run(
        results=[
            json.loads(line[len(RESULT_PREFIX) :])
            for line in lines
            if line.startswith(RESULT_PREFIX)
        ],
        last_line=lines[-1] if lines else "",
        seconds=seconds,
    )
    if done.returncode != 0:
        run.problem = f"crashed ({done.returncode})"
    return run


def per_item(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def size_label(size: int) -> str:
    for factor, suffix in ((1_000_000, "M"), (1_000, "k")):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{suffix}"
    return f"{size:,}"


def verdict(value: float, goal: float) -> str:
    return "met" if value <= goal + 1e-9 else "MISSED"


def curve_rows(bench: Benchmark, database: str, results: list[dict[str, Any]]) -> list[Row]:
    """Growth per tenfold, then the benchmark's goals at its largest size, for one database."""
    results = sorted(results, key=lambda r: r["size"])
    name, rows = bench.script, []
    if len(results) >= 2:
        first, last = results[0], results[-1]
        decades = math.log10(last["size"] / first["size"])
        growth = (last["per_item"] / first["per_item"]) ** (1 / decades)
        times = ", ".join(f"{size_label(r['size'])} {per_item(r['per_item'])}" for r in results)
        rows.append(
            Row(
                name,
                database,
                f"growth per tenfold of time per {bench.unit}",
                times,
                f"{growth:.2f}x",
                f"<={GROWTH_GOAL}x",
                verdict(growth, GROWTH_GOAL),
            )
        )
    largest = results[-1]
    for index, goal in enumerate(largest["goals"]):
        figures = ", ".join(
            f"{size_label(r['size'])} {show(r['goals'][index]['value'], goal['unit'])}"
            for r in results
            if len(r["goals"]) > index
        )
        rows.append(
            Row(
                name,
                database,
                f"{goal['measure']} at {size_label(largest['size'])}",
                figures,
                show(goal["value"], goal["unit"]),
                "<=" + show(goal["goal"], goal["unit"]),
                verdict(goal["value"], goal["goal"]),
            )
        )
    return rows


def postgres_row(bench: Benchmark, by_database: dict[str, list[dict[str, Any]]]) -> Row | None:
    if bench.postgres_goal is None or not all(by_database.get(d) for d in DATABASES):
        return None
    sqlite, postgres = (max(by_database[d], key=lambda r: r["size"]) for d in DATABASES)
    if sqlite["size"] != postgres["size"]:
        return None
    ratio = postgres["per_item"] / sqlite["per_item"]
    return Row(
        bench.script,
        "both",
        f"PostgreSQL / SQLite time per {bench.unit} at {size_label(sqlite['size'])}",
        f"postgres {per_item(postgres['per_item'])}, sqlite {per_item(sqlite['per_item'])}",
        f"{ratio:.2f}x",
        f"<={bench.postgres_goal:g}x",
        verdict(ratio, bench.postgres_goal),
    )


def measure(
    bench: Benchmark, folder: Path, databases: Sequence[str], quick: bool, logs: Path
) -> list[Row]:
    """Every size of ``bench`` on every database (quick: the smallest, all in one process)."""
    script = folder / f"{bench.script}.py"
    plan: list[tuple[list[str], str]] = []
    if quick:
        arguments = [a for d in databases for a in ("--database", d)]
        plan.append(([*arguments, "--size", str(min(bench.sizes)), "--quick"], "quick"))
    else:
        for database in databases:
            for size in bench.sizes:
                arguments = ["--database", database, "--size", str(size)]
                plan.append((arguments, f"{database}-{size}"))
    by_database: dict[str, list[dict[str, Any]]] = {d: [] for d in databases}
    rows: list[Row] = []
    for arguments, label in plan:
        print(f"running {bench.script} {' '.join(arguments)} ...", file=sys.stderr, flush=True)
        run = run_script(script, arguments, logs / f"{bench.script}-{label}.log")
        print(f"  {run.problem or 'done'} in {run.seconds:.0f}s", file=sys.stderr, flush=True)
        for result in run.results:
            by_database.setdefault(result["database"], []).append(result)
        if run.problem or not run.results:
            rows.append(
                Row(
                    bench.script,
                    label,
                    " ".join(arguments),
                    "-",
                    "-",
                    "-",
                    run.problem or "no result",
                )
            )
    for database in databases:
        if by_database[database]:
            rows.extend(curve_rows(bench, database, by_database[database]))
    pg = postgres_row(bench, by_database)
    return rows + ([pg] if pg else [])


def measure_single(script: Path, logs: Path) -> list[Row]:
    """A script outside ``BENCHMARKS``: run once, its last line is its row."""
    print(f"running {script.name} ...", file=sys.stderr, flush=True)
    run = run_script(script, [], logs / f"{script.stem}.log")
    print(f"  {run.problem or 'done'} in {run.seconds:.0f}s", file=sys.stderr, flush=True)
    parsed = parse_result_line(run.last_line) if not run.problem else None
    if parsed is None:
        return [Row(script.stem, "sqlite", "-", "-", "-", "-", run.problem or "no result line")]
    name, figure, goal, status = parsed
    return [Row(name, "sqlite", "its own goal", "-", figure, goal, status)]


def table(rows: list[Row]) -> str:
    header = ("benchmark", "database", "measure", "by size", "figure", "goal", "result")
    cells = [header] + [
        (r.benchmark, r.database, r.measure, r.by_size, r.figure, r.goal, r.status) for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None, benchmarks: Sequence[Benchmark] = BENCHMARKS) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="benchmark names (default: all)")
    parser.add_argument("--quick", action="store_true", help="smallest sizes, one round each")
    parser.add_argument(
        "--jobs", type=int, default=0, help="benchmarks run at once (default 1; quick mode 2)"
    )
    parser.add_argument(
        "--databases", default=",".join(DATABASES), help="comma-separated: sqlite,postgres"
    )
    parser.add_argument("--dir", type=Path, default=HERE, help="folder of benchmark scripts")
    parser.add_argument(
        "--logs", type=Path, default=PROJECT_ROOT / "var" / "bench", help="full outputs go here"
    )
    args = parser.parse_args(argv)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if unknown := set(databases) - set(DATABASES):
        print(f"error: unknown database {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "postgres" in databases and (problem := postgres_problem(PG_ADMIN_URL)):
        print(f"error: {problem}; run with --databases sqlite to skip it", file=sys.stderr)
        return 2
    scaled = {b.script: b for b in benchmarks}
    found = sorted(
        p.stem
        for p in args.dir.glob("*.py")
        if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    selected = [s.removesuffix(".py") for s in args.names] or found
    if unknown := set(selected) - set(found):
        print(f"error: no benchmark named {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    args.logs.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    skipped = []
    jobs: list[Callable[[], list[Row]]] = []
    for name in selected:
        if name in scaled:
            jobs.append(partial(measure, scaled[name], args.dir, databases, args.quick, args.logs))
        elif args.quick:
            skipped.append(name)  # one fixed size and no quick mode of its own
        else:
            jobs.append(partial(measure_single, args.dir / f"{name}.py", args.logs))
    # a quick run's figures are not measurements: two benchmarks at a time shorten its wait,
    # the last listed (the longest: report, sending) started first; rows keep the list's order
    at_once = args.jobs or (2 if args.quick else 1)
    order = list(enumerate(jobs))
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        started = {i: pool.submit(job) for i, job in (reversed(order) if at_once > 1 else order)}
        for index in range(len(jobs)):
            rows.extend(started[index].result())
    if not rows:
        print("no benchmarks found", file=sys.stderr)
        return 1
    print(table(rows))
    if skipped:
        print(f"\nquick mode: not run: {', '.join(skipped)}", file=sys.stderr)
    failed = [r for r in rows if not r.ok]
    if failed:
        print(f"\n{len(failed)} benchmark run(s) failed; output in {args.logs}/", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
