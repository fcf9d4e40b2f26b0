"""The benchmarks cannot rot: ``run_all.py --quick`` runs each one at its smallest size, one
round, on SQLite and on PostgreSQL (when it answers), and every line of its table ends with a
verdict. Figures are not asserted: a quick run on a busy machine proves nothing about speed."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.databases import postgres_problem

RUN_ALL = Path(__file__).resolve().parents[2] / "benchmarks" / "run_all.py"

pytestmark = pytest.mark.slow


def _run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all_quick", RUN_ALL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_quick_mode_runs_every_benchmark_on_both_databases(tmp_path: Path) -> None:
    run_all = _run_all()
    databases = ["sqlite"] if postgres_problem(run_all.PG_ADMIN_URL) else ["sqlite", "postgres"]
    done = subprocess.run(
        [sys.executable, str(RUN_ALL), "--quick", "--databases", ",".join(databases)]
        + ["--logs", str(tmp_path)]
        + [b.script for b in run_all.BENCHMARKS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [re.split(r"\s{2,}", line.strip()) for line in done.stdout.splitlines()[2:]]
    assert rows and all(row[-1] in ("met", "MISSED") for row in rows), done.stdout
    measured = {(row[0], row[1]) for row in rows}
    expected = {(b.script, d) for b in run_all.BENCHMARKS for d in databases}
    assert expected <= measured, done.stdout
