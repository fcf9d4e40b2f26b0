"""Run every benchmark in this folder and print one table of figures against their goals.

Each benchmark is a script that ends with exactly one line ``<name> <figure> goal <goal> met``
(or ``MISSED``). This runner starts each in its own interpreter (so one cannot skew another's
memory or timing), keeps its full output in ``var/bench/<name>.log``, and reads only the last
line. It exits non-zero when a script crashes, times out or ends without a result line; a MISSED
goal is reported, not a failure of the runner.

    .venv/bin/python benchmarks/run_all.py            # all of them (``make bench``)
    .venv/bin/python benchmarks/run_all.py report     # only benchmarks/report.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Outcome:
    script: str
    name: str
    figure: str
    goal: str
    status: str  # met, MISSED, or what went wrong
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status in ("met", "MISSED")


def parse_result_line(line: str) -> tuple[str, str, str, str] | None:
    """``name figure goal GOAL met|MISSED`` as (name, figure, goal, status), else None."""
    tokens = line.split()
    if len(tokens) < 5 or tokens[-1] not in ("met", "MISSED") or "goal" not in tokens[2:-1]:
        return None
    at = tokens.index("goal", 2)
    return tokens[0], " ".join(tokens[1:at]), " ".join(tokens[at + 1 : -1]), tokens[-1]


def scripts(folder: Path, selected: list[str]) -> list[Path]:
    found = sorted(
        p
        for p in folder.glob("*.py")
        if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    if selected:
        wanted = {s.removesuffix(".py") for s in selected}
        unknown = wanted - {p.stem for p in found}
        if unknown:
            raise SystemExit(f"error: no benchmark named {', '.join(sorted(unknown))}")
        found = [p for p in found if p.stem in wanted]
    return found


def run_one(script: Path, log_dir: Path) -> Outcome:
    started = time.monotonic()
    log = log_dir / f"{script.stem}.log"
    try:
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        log.write_text(f"{exc.stdout or ''}\n{exc.stderr or ''}")
        return Outcome(script.name, script.stem, "-", "-", f"timeout {TIMEOUT_SECONDS}s", 0.0)
    seconds = time.monotonic() - started
    log.write_text(result.stdout + ("\n--- stderr ---\n" + result.stderr if result.stderr else ""))
    if result.returncode != 0:
        return Outcome(
            script.name, script.stem, "-", "-", f"crashed ({result.returncode})", seconds
        )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    parsed = parse_result_line(lines[-1]) if lines else None
    if parsed is None:
        return Outcome(script.name, script.stem, "-", "-", "no result line", seconds)
    name, figure, goal, status = parsed
    return Outcome(script.name, name, figure, goal, status, seconds)


def table(outcomes: list[Outcome]) -> str:
    rows = [("benchmark", "figure", "goal", "result", "time")] + [
        (o.name, o.figure, o.goal, o.status, f"{o.seconds:.0f}s") for o in outcomes
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="benchmark names (default: all)")
    parser.add_argument("--dir", type=Path, default=HERE, help="folder of benchmark scripts")
    parser.add_argument(
        "--logs", type=Path, default=PROJECT_ROOT / "var" / "bench", help="full outputs go here"
    )
    args = parser.parse_args(argv)
    log_dir = args.logs
    log_dir.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for script in scripts(args.dir, args.names):
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        outcome = run_one(script, log_dir)
        print(f"  {outcome.status} in {outcome.seconds:.0f}s", file=sys.stderr, flush=True)
        outcomes.append(outcome)
    if not outcomes:
        print("no benchmarks found", file=sys.stderr)
        return 1
    print(table(outcomes))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        print(f"\n{len(failed)} benchmark(s) failed; output in {log_dir}/", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
