"""The demo's last step: read the report it wrote and hold every figure against the world.

The report's per-creator CSV is read back the way a person would use it (stage, posts, rate,
cost, clicks, leads, sales, revenue per creator) and summed per tier; the simulated world's side
comes from ``outcomes.world_figures``. Both sides are printed per tier - funnel, median rate by
followers with the creators behind it, cost per lead - and written to ``expected.json`` and
``reported.json`` in the demo directory, so a test (or a curious operator) can compare them.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from creatorflow.demo.outcomes import TierFigures
from creatorflow.domain.metrics import funnel_step_reached

#: The report's CSV rounds rates to 6 decimals; a median of two averages two rounded values.
RATE_TOLERANCE = 2e-6


def _decimal(text: str) -> Decimal:
    return Decimal(text) if text.strip() else Decimal(0)


def reported_figures(creators_csv: Path) -> dict[str, TierFigures]:
    """Per tier, the figures the report's per-creator CSV gives."""
    tiers: dict[str, TierFigures] = {}
    with creators_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            posts = int(row["posts"])
            reached = funnel_step_reached(row["stage"], has_post=posts > 0)
            if reached is None:
                continue
            figures = tiers.setdefault(row["tier"] or "none", TierFigures())
            figures.contacted += reached >= 1
            figures.accepted += reached >= 3
            figures.posted += reached >= 4
            if posts:
                if row["er_followers"].strip():
                    figures.er_rates.append(float(row["er_followers"]))
                else:
                    figures.er_unknown += 1
            figures.cost += _decimal(row["cost"])
            figures.clicks += int(row["clicks"] or 0)
            figures.leads += int(row["leads"] or 0)
            figures.sales += int(row["sales"] or 0)
            figures.revenue += _decimal(row["revenue"])
    return tiers


def differences(world: TierFigures, report: TierFigures) -> list[str]:
    """What differs between the two sides of one tier (empty when they agree)."""
    found = [
        name
        for name in (
            "contacted",
            "accepted",
            "posted",
            "er_unknown",
            "cost",
            "clicks",
            "leads",
            "sales",
            "revenue",
        )
        if getattr(world, name) != getattr(report, name)
    ]
    a, b = world.er_median or 0.0, report.er_median or 0.0
    if len(world.er_rates) != len(report.er_rates) or abs(a - b) > RATE_TOLERANCE:
        found.append("ER median")
    return found


def _rate(figures: TierFigures) -> str:
    if figures.er_median is None:
        return "unknown"
    return f"{figures.er_median * 100:.2f} % (n={len(figures.er_rates)})"


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def check_report(directory: Path, world: dict[str, TierFigures], report_dir: Path) -> bool:
    """Print world vs report per tier and the tier comparison; True when every figure matches."""
    reported = reported_figures(report_dir / "creators.csv")
    for name, side in (("expected", world), ("reported", reported)):
        (directory / f"{name}.json").write_text(
            json.dumps({tier: figures.as_json() for tier, figures in side.items()}, indent=2)
        )
    order = [t for t in ("nano", "micro", "mid", "macro", "mega") if t in world or t in reported]
    order += sorted((set(world) | set(reported)) - set(order))
    print("\nWorld vs report, per tier (world / report):")
    print(f"  {'tier':<7}{'contacted':>12}{'accepted':>12}{'posted':>12}   median ER by followers")
    ok = True
    for tier in order:
        w, r = world.get(tier, TierFigures()), reported.get(tier, TierFigures())
        wrong = differences(w, r)
        ok &= not wrong
        print(
            f"  {tier:<7}{f'{w.contacted} / {r.contacted}':>12}{f'{w.accepted} / {r.accepted}':>12}"
            f"{f'{w.posted} / {r.posted}':>12}   {_rate(w)} / {_rate(r)}"
            + (f"   DIFFERS: {', '.join(wrong)}" if wrong else "")
        )
    print("\nDo micro-influencers beat macro for us? (from the report; n = creators behind it)")
    for tier in order:
        r = reported.get(tier, TierFigures())
        if not r.posted:
            continue
        unknown = f", {r.er_unknown} hid likes" if r.er_unknown else ""
        print(
            f"  {tier:<7} median ER by followers {_rate(r)}{unknown}; fees {_money(r.cost)} USD"
            f" ({r.accepted} creators); {r.clicks:,} clicks, {r.leads:,} leads, {r.sales:,} sales;"
            f" cost per lead {_money(r.cost_per_lead)} USD"
        )
    print("report matches the simulated world" if ok else "MISMATCH between world and report")
    return ok
