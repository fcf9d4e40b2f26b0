"""What the simulated world says happened, per tier: the figures the demo's report must show.

The world's side of the check: who was contacted, accepted and posted (``Cast.expected_funnel``);
each posting creator's engagement rate by followers from what their post showed when creatorflow
last looked (a hidden like count makes it unknown, as on the platform); the fees agreed; and the
clicks, leads and sales each creator's link and code brought, which the demo also writes as the
brand's analytics and shop export for ``campaign conversions``.
"""

from __future__ import annotations

import csv
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import parse_qs, urlsplit

from creatorflow.demo.audience import conversions, public_engagement
from creatorflow.demo.cast import ACCEPTING, Cast, Person

#: Columns of the demo's analytics/shop export (what ``campaign conversions`` reads).
EXPORT_HEADER = ("date", "utm_content", "promo_code", "clicks", "leads", "sales", "revenue")


@dataclass
class TierFigures:
    """One tier's figures, each with the creators behind it (world or report side)."""

    contacted: int = 0
    accepted: int = 0
    posted: int = 0
    er_rates: list[float] = field(default_factory=list)  # per posting creator, when known
    er_unknown: int = 0  # posting creators whose rate is unknown (likes hidden)
    cost: Decimal = Decimal(0)  # fees of the accepted creators
    clicks: int = 0
    leads: int = 0
    sales: int = 0
    revenue: Decimal = Decimal(0)

    @property
    def er_median(self) -> float | None:
        return median(self.er_rates) if self.er_rates else None

    @property
    def cost_per_lead(self) -> Decimal | None:
        return (self.cost / self.leads).quantize(Decimal("0.01")) if self.leads else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("er_rates")
        data.update(
            er_followers_median=self.er_median,
            er_followers_creators=len(self.er_rates),
            cost=str(self.cost),
            revenue=str(self.revenue),
            cost_per_lead=None if self.cost_per_lead is None else str(self.cost_per_lead),
        )
        return data


def creator_rate(person: Person) -> float | None:
    """The person's engagement rate by followers over what their posts last showed."""
    if not person.observed or person.enrolled is None:
        return None
    platform = person.enrolled[0]
    engagements = [public_engagement(platform, counts) for counts in person.observed.values()]
    if any(e is None for e in engagements) or not person.followers:
        return None
    return sum(e or 0 for e in engagements) / person.followers


def write_export(cast: Cast, path: Path, *, now: datetime) -> int:
    """The brand's export: link clicks and leads by ``utm_content``, sales by promo code."""
    rng = random.Random(23)
    rows: list[tuple[object, ...]] = []
    for person in cast.people:
        if not person.post_ids or person.tracking_url is None:
            continue
        person.conversions = conversions(person.followers, person.engaged, rng)
        result = person.conversions
        day = person.posted_on.date().isoformat() if person.posted_on else now.date().isoformat()
        utm = parse_qs(urlsplit(person.tracking_url).query)["utm_content"][0]
        if person.promo_code:
            rows.append((day, utm, "", result.clicks, result.leads, "", ""))
            rows.append((day, "", person.promo_code, "", "", result.sales, result.revenue))
        else:
            rows.append((day, utm, "", result.clicks, result.leads, result.sales, result.revenue))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADER)
        writer.writerows(rows)
    return len(rows)


def world_figures(cast: Cast) -> dict[str, TierFigures]:
    """Per tier, everything the report should say, from the people's side of the story."""
    tiers: dict[str, TierFigures] = {}
    for tier, counts in cast.expected_funnel().items():
        tiers[tier] = TierFigures(counts["contacted"], counts["accepted"], counts["posted"])
    for person in cast.people:
        if not person.contacted or not (person.answered and person.fate in ACCEPTING):
            continue
        figures = tiers[cast.tier(person)]
        figures.cost += person.fee or Decimal(0)
        if person.post_ids:
            rate = creator_rate(person)
            if rate is None:
                figures.er_unknown += 1
            else:
                figures.er_rates.append(rate)
        if person.conversions is not None:
            figures.clicks += person.conversions.clicks
            figures.leads += person.conversions.leads
            figures.sales += person.conversions.sales
            figures.revenue += person.conversions.revenue
    return tiers
