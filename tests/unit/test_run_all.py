"""`make bench`: each size of each benchmark in its own process, one table of goals; a crash
fails the run, a missed goal does not."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"

#: A scaled benchmark: 2 us per row growing 1% per tenfold rows, PostgreSQL 1.5x SQLite, and its
#: ratio goal met only from 1,000 rows on.
FAKE = """
import json, sys
args = sys.argv[1:]
size = int(args[args.index("--size") + 1])
for db in [args[i + 1] for i, a in enumerate(args) if a == "--database"]:
    per = 2e-6 * (1.5 if db == "postgres" else 1) * 1.01 ** (len(str(size)) - 3)
    goals = [{"measure": "fake / loop", "value": 2.5 if size >= 1000 else 4.0, "goal": 3.0,
              "unit": "x"}]
    print("RESULT " + json.dumps({"benchmark": "fake", "database": db, "size": size,
          "seconds": per * size, "per_item": per, "goals": goals, "details": {}}))
print("fake@db:size fake / loop: 2.50x goal <=3.00x met")
"""


@pytest.fixture(scope="module")
def run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", RUN_ALL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module
    spec.loader.exec_module(module)
    return module


def _script(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(body)


def _rows(out: str) -> list[list[str]]:
    """The table's rows (header and rule left out), cells split on the column gaps."""
    return [re.split(r"\s{2,}", line.strip()) for line in out.splitlines()[2:] if line.strip()]


def _result(database: str, size: int, per_item: float, ratio: float) -> dict[str, Any]:
    goal = {"measure": "x / y", "value": ratio, "goal": 3.0, "unit": "x"}
    return {"database": database, "size": size, "per_item": per_item, "goals": [goal]}


def test_result_line_is_split_into_name_figure_goal_and_status(run_all: ModuleType) -> None:
    assert run_all.parse_result_line("report 1.8x goal <=3x met") == (
        "report",
        "1.8x",
        "<=3x",
        "met",
    )
    assert run_all.parse_result_line("poll 612 MB goal <= 500 MB MISSED") == (
        "poll",
        "612 MB",
        "<= 500 MB",
        "MISSED",
    )
    assert run_all.parse_result_line("done in 3 s") is None


def test_growth_per_tenfold_is_the_per_item_time_ratio_taken_per_decade(
    run_all: ModuleType,
) -> None:
    bench = run_all.Benchmark("b", "row", (1_000, 10_000, 100_000))
    results = [_result("sqlite", 100_000, 4e-6, 2.9), _result("sqlite", 1_000, 1e-6, 3.5)]
    growth, ratio = run_all.curve_rows(bench, "sqlite", results)
    assert (growth.figure, growth.goal, growth.status) == ("2.00x", "<=1.2x", "MISSED")
    assert growth.by_size == "1k 1.0 us, 100k 4.0 us"
    assert (ratio.measure, ratio.by_size) == ("x / y at 100k", "1k 3.50x, 100k 2.90x")
    assert (ratio.figure, ratio.goal, ratio.status) == ("2.90x", "<=3.00x", "met")


def test_postgres_is_compared_with_sqlite_at_the_largest_size_only_where_a_goal_is_set(
    run_all: ModuleType,
) -> None:
    results = {
        "sqlite": [_result("sqlite", 1_000, 9e-6, 1), _result("sqlite", 10_000, 2e-6, 1)],
        "postgres": [_result("postgres", 1_000, 1e-6, 1), _result("postgres", 10_000, 5e-6, 1)],
    }
    row = run_all.postgres_row(run_all.Benchmark("b", "post", (1_000, 10_000), 2.0), results)
    assert (row.database, row.figure, row.goal, row.status) == ("both", "2.50x", "<=2x", "MISSED")
    assert row.by_size == "postgres 5.0 us, sqlite 2.0 us"
    assert run_all.postgres_row(run_all.Benchmark("b", "post", (1_000, 10_000)), results) is None


def test_every_size_runs_in_its_own_process_and_every_line_ends_met_or_missed(
    run_all: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _script(tmp_path, "fake", FAKE)
    _script(tmp_path, "single", "print('warming up')\nprint('single 1.2x goal <=1.5x met')\n")
    benches = [run_all.Benchmark("fake", "row", (100, 1_000, 10_000))]
    logs = tmp_path / "logs"
    argv = ["--dir", str(tmp_path), "--logs", str(logs), "--databases", "sqlite"]
    assert run_all.main(argv, benchmarks=benches) == 0
    rows = _rows(capsys.readouterr().out)
    assert [r[:3] for r in rows] == [
        ["fake", "sqlite", "growth per tenfold of time per row"],
        ["fake", "sqlite", "fake / loop at 10k"],
        ["single", "sqlite", "its own goal"],
    ]
    assert rows[0][3:] == ["100 2.0 us, 1k 2.0 us, 10k 2.0 us", "1.01x", "<=1.2x", "met"]
    assert rows[1][3:] == ["100 4.00x, 1k 2.50x, 10k 2.50x", "2.50x", "<=3.00x", "met"]
    assert rows[2][4:] == ["1.2x", "<=1.5x", "met"]
    assert sorted(p.name for p in logs.iterdir()) == [
        "fake-sqlite-100.log",
        "fake-sqlite-1000.log",
        "fake-sqlite-10000.log",
        "single.log",
    ]
    assert (logs / "single.log").read_text().startswith("warming up")


def test_quick_mode_runs_the_smallest_size_once_for_all_databases_and_skips_the_rest(
    run_all: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _script(tmp_path, "fake", FAKE + "import sys; assert '--quick' in sys.argv\n")
    _script(tmp_path, "single", "raise SystemExit(3)\n")
    benches = [run_all.Benchmark("fake", "row", (1_000, 10_000))]
    argv = ["--dir", str(tmp_path), "--logs", str(tmp_path / "logs"), "--quick"]
    argv += ["--databases", "sqlite"]
    assert run_all.main(argv, benchmarks=benches) == 0
    captured = capsys.readouterr()
    assert [r[2:] for r in _rows(captured.out)] == [
        ["fake / loop at 1k", "1k 2.50x", "2.50x", "<=3.00x", "met"]
    ]
    assert "quick mode: not run: single" in captured.err


def test_a_crash_or_a_missing_result_fails_the_run_and_a_missed_goal_does_not(
    run_all: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missed = FAKE.replace("2.5 if size >= 1000 else 4.0", "4.0")
    _script(tmp_path, "fake", missed)
    _script(tmp_path, "broken", "raise SystemExit(3)\n")
    _script(tmp_path, "silent", "print('ok')\n")
    benches = [
        run_all.Benchmark("fake", "row", (1_000,)),
        run_all.Benchmark("broken", "row", (1_000,)),
    ]
    argv = ["--dir", str(tmp_path), "--logs", str(tmp_path), "--databases", "sqlite"]
    assert run_all.main([*argv, "fake"], benchmarks=benches) == 0
    assert _rows(capsys.readouterr().out)[0][-1] == "MISSED"
    assert run_all.main([*argv, "broken"], benchmarks=benches) == 1
    assert _rows(capsys.readouterr().out)[0][-1] == "crashed (3)"
    assert run_all.main([*argv, "silent"], benchmarks=benches) == 1
    assert _rows(capsys.readouterr().out)[0][-1] == "no result line"
