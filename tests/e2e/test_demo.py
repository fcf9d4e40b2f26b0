"""`creatorflow demo` end to end: the report it writes agrees with what the simulated world did."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.stack import BIN

pytestmark = pytest.mark.slow

#: Stages an enrollment reaches only after the first email went out / after the creator said yes.
CONTACTED = {
    "contacted",
    "replied",
    "accepted",
    "declined",
    "opted_out",
    "bounced",
    "posted",
    "finished",
}
ACCEPTED = {"accepted", "posted"}


def _report_funnel(creators_csv: Path) -> dict[str, dict[str, int]]:
    funnel: dict[str, Counter[str]] = {}
    with creators_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            posted = int(row["posts"]) > 0
            counts = funnel.setdefault(row["tier"], Counter())
            counts["contacted"] += row["stage"] in CONTACTED or posted
            counts["accepted"] += row["stage"] in ACCEPTED or posted
            counts["posted"] += posted
    return {tier: dict(counts) for tier, counts in funnel.items()}


def test_demo_runs_the_lifecycle_and_its_report_matches_the_simulated_world(
    tmp_path: Path,
) -> None:
    target = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CREATORFLOW_"))}
    result = subprocess.run(
        [str(BIN / "creatorflow"), "demo", "--dir", str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "ran against the SANDBOX" in output
    assert "SKIPPED" not in output

    expected = json.loads((target / "expected.json").read_text())
    reported = _report_funnel(target / "report" / "creators.csv")
    assert reported == expected
    assert sum(t["posted"] for t in expected.values()) > 0
    assert len(expected) >= 3  # several tiers, so the tier comparison means something
    assert (target / "report" / "report.html").stat().st_size > 0
    sent = list((target / "outbox" / "new").iterdir())
    assert len(sent) > sum(t["contacted"] for t in expected.values())  # follow-ups, briefs too
    assert (target / "prefect" / "prefect.db").exists()
    with (target / "report" / "creators.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    gone = sum(int(r["posts"]) - int(r["posts_live"]) for r in rows)
    assert gone == 1  # the one creator who deleted their post
