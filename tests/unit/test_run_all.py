"""`make bench`: every benchmark's last line becomes one row; a crash fails the run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"


@pytest.fixture(scope="module")
def run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", RUN_ALL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module
    spec.loader.exec_module(module)
    return module


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


def _script(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(body)


def test_table_lists_every_benchmark_and_a_crash_fails_the_run(
    run_all: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _script(tmp_path, "fast", "print('warming up')\nprint('fast 1.2x goal <=1.5x met')\n")
    _script(tmp_path, "slow", "print('slow 4.0x goal <=3x MISSED')\n")
    _script(tmp_path, "broken", "raise SystemExit(3)\n")
    code = run_all.main(["--dir", str(tmp_path), "--logs", str(tmp_path / "logs")])
    out = capsys.readouterr().out
    assert code == 1
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert rows["fast"][1:4] == ["1.2x", "<=1.5x", "met"]
    assert rows["slow"][1:4] == ["4.0x", "<=3x", "MISSED"]
    assert rows["broken"][3:5] == ["crashed", "(3)"]
    assert (tmp_path / "logs" / "fast.log").read_text().startswith("warming up")


def test_all_goals_reported_is_success_even_when_one_is_missed(
    run_all: ModuleType, tmp_path: Path
) -> None:
    _script(tmp_path, "slow", "print('slow 4.0x goal <=3x MISSED')\n")
    _script(tmp_path, "silent", "print('ok')\n")
    assert run_all.main(["--dir", str(tmp_path), "--logs", str(tmp_path), "slow"]) == 0
    assert run_all.main(["--dir", str(tmp_path), "--logs", str(tmp_path), "silent"]) == 1
