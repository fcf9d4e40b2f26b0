"""`creatorflow demo` end to end: the report it writes agrees with what the simulated world did.

Beyond the funnel: the tier comparison must tell a story (median engagement rate by followers
falls with audience size, best tier at least 1.5x the worst, as the simulated world says), fees,
clicks, leads and sales per tier must be the world's, the emails carry the production
unsubscribe shape (RFC 8058), and the report email is dated by the demo's clock.
"""

from __future__ import annotations

import csv
import json
import mailbox
import os
import subprocess
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from statistics import median
from typing import Any, cast

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

    world = json.loads((target / "expected.json").read_text())
    expected = {
        tier: {step: figures[step] for step in ("contacted", "accepted", "posted")}
        for tier, figures in world.items()
    }
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
    narration = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert not [line for line in narration if "{'" in line]  # human lines, no Python dict

    _assert_tier_story(rows, world)
    _assert_conversions(rows, world)
    messages = _outbox(target / "outbox")
    _assert_unsubscribe_shape(messages)
    _assert_report_email_dated_as_of(messages)


def _outbox(path: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(path, factory=None, create=False)
    parser = BytesParser(policy=policy.default)
    return [cast(EmailMessage, parser.parsebytes(box.get_bytes(key))) for key in box.iterkeys()]


def _assert_tier_story(rows: list[dict[str, str]], world: dict[str, Any]) -> None:
    """Median ER by followers per tier, from the report's CSV: as the world says, and varied."""
    rates: dict[str, list[float]] = {}
    for row in rows:
        if int(row["posts"]) and row["er_followers"]:
            rates.setdefault(row["tier"], []).append(float(row["er_followers"]))
    medians = {tier: median(values) for tier, values in rates.items() if len(values) >= 3}
    for tier, value in medians.items():
        assert world[tier]["er_followers_creators"] == len(rates[tier])
        assert abs(world[tier]["er_followers_median"] - value) < 2e-6, tier
    assert {"nano", "micro", "macro"} <= set(medians)
    best, worst = max(medians.values()), min(medians.values())
    assert best >= 1.5 * worst, medians
    assert medians["nano"] > medians["macro"] and medians["micro"] > medians["macro"]
    # not a uniform world: creators within a tier differ too
    assert max(rates["micro"]) > 1.5 * min(rates["micro"])
    hidden = [r for r in rows if int(r["posts"]) and not r["er_followers"]]
    assert sum(world[t]["er_unknown"] for t in world) == len(hidden) > 0  # some hide likes


def _assert_conversions(rows: list[dict[str, str]], world: dict[str, Any]) -> None:
    """Fees, clicks, leads, sales and revenue per tier, summed from the CSV, are the world's."""
    for tier, figures in world.items():
        mine = [r for r in rows if r["tier"] == tier]
        assert sum(int(r["clicks"] or 0) for r in mine) == figures["clicks"], tier
        assert sum(int(r["leads"] or 0) for r in mine) == figures["leads"], tier
        assert sum(int(r["sales"] or 0) for r in mine) == figures["sales"], tier
        assert sum(Decimal(r["revenue"] or 0) for r in mine) == Decimal(figures["revenue"])
        assert sum(Decimal(r["cost"] or 0) for r in mine) == Decimal(figures["cost"]), tier
    posting = [r for r in rows if int(r["posts"])]
    assert sum(int(r["clicks"]) > 0 for r in posting) >= 0.8 * len(posting)
    assert sum(int(r["leads"]) for r in posting) > 0 and sum(int(r["sales"]) for r in posting) > 0
    fees = {Decimal(r["cost"]) for r in rows if r["tier"] == "micro" and r["cost"]}
    assert len(fees) > 1  # some creators asked for more than the offer


def _assert_unsubscribe_shape(messages: list[EmailMessage]) -> None:
    """Every email to a creator: an HTTPS one-click link and a mailto, and the POST header."""
    outreach = [m for m in messages if "marketing@" not in str(m["To"])]
    assert outreach
    for msg in outreach:
        links = [part.strip().strip("<>") for part in str(msg["List-Unsubscribe"]).split(",")]
        assert links[0].startswith("https://unsubscribe.example.test/u/"), links
        assert links[1].startswith("mailto:"), links
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None and links[0] in str(body.get_content())


def _assert_report_email_dated_as_of(messages: list[EmailMessage]) -> None:
    reports = [m for m in messages if "marketing@glow-brand.example" in str(m["To"])]
    assert len(reports) == 1
    assert parsedate_to_datetime(str(reports[0]["Date"])) == datetime(2027, 3, 13, 9, tzinfo=UTC)
