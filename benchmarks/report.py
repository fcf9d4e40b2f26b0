"""Report figures for 2,000 creators x 60 snapshots against one hand-written SQL GROUP BY.

Builds a campaign in a temporary SQLite database (one post per creator, 60 polls over 30 days,
some counts hidden, a profile snapshot per account, each enrollment's stage history in the event
log, conversions for a third of the creators), then times ``compute_figures`` (every figure
overall, per tier, per platform and per creator, funnel, provenance) against the simplest query
a person would write for "latest snapshot per post, summed per tier" (best of 9, interleaved).
The whole report (with the engagements-over-time series, which reads every snapshot, the charts
and the HTML) is timed once and printed. It also counts the SQL statements issued (SQLAlchemy
``before_cursor_execute``) at two campaign sizes: that number must not grow.

Run: ``.venv/bin/python benchmarks/report.py``. Last line: ``report <ratio>x goal <=3x met``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creatorflow.services.reporting.figures import compute_figures, compute_timeline  # noqa: E402
from creatorflow.services.reporting.prices import load_price_table  # noqa: E402
from creatorflow.services.reporting.reports import build_report  # noqa: E402
from creatorflow.settings import PROJECT_ROOT, Settings  # noqa: E402
from creatorflow.storage.campaigns import get_campaign, parse_campaign, register_campaign  # noqa: E402
from creatorflow.storage.db import make_engine  # noqa: E402
from creatorflow.storage.migrate import upgrade  # noqa: E402
from creatorflow.storage.models import (  # noqa: E402
    Account,
    Conversion,
    Creator,
    Deliverable,
    Enrollment,
    Event,
    MetricSnapshot,
    ProfileSnapshot,
)

SNAPSHOTS = 60
T0 = datetime(2027, 2, 1, tzinfo=UTC)
AS_OF = datetime(2027, 3, 10, tzinfo=UTC)
TIERS = (("nano", 5_000), ("micro", 40_000), ("mid", 200_000), ("macro", 700_000))
PLATFORMS = ("instagram", "tiktok", "youtube")
STAGE_HISTORY = (
    (None, "shortlisted"),
    ("shortlisted", "contacted"),
    ("contacted", "replied"),
    ("replied", "accepted"),
    ("accepted", "posted"),
)
BASELINE = text(
    """
    SELECT e.tier, COUNT(*), SUM(ms.views), SUM(ms.likes), SUM(ms.comments), SUM(ms.shares),
           SUM(ms.saves)
    FROM metric_snapshots ms
    JOIN (SELECT deliverable_id, MAX(taken_at) AS t FROM metric_snapshots
          WHERE taken_at <= :as_of GROUP BY deliverable_id) latest
      ON latest.deliverable_id = ms.deliverable_id AND latest.t = ms.taken_at
    JOIN deliverables d ON d.id = ms.deliverable_id
    JOIN enrollments e ON e.id = d.enrollment_id
    WHERE e.campaign_id = :cid
    GROUP BY e.tier
    """
)


def build(engine: Engine, slug: str, creators: int, offset: int) -> int:
    import yaml

    data = yaml.safe_load((PROJECT_ROOT / "config" / "campaigns" / "spring-glow.yaml").read_text())
    data["slug"] = slug
    campaign_id = register_campaign(
        engine=engine, spec=parse_campaign(data, source="bench"), now=T0, actor="bench"
    ).id
    rows: dict[Any, list[dict[str, Any]]] = {
        t: [] for t in (Creator, Account, Enrollment, Deliverable, MetricSnapshot)
    }
    profiles, conversions, events = [], [], []
    snap_id = 0
    for n in range(creators):
        i = offset + n + 1
        tier, followers = TIERS[n % len(TIERS)]
        platform = PLATFORMS[n % len(PLATFORMS)]
        rows[Creator].append(
            dict(
                id=i,
                name=f"Creator {i}",
                email=f"c{i}@x.example",
                lawful_basis="bench",
                source="bench",
                created_at=T0,
                updated_at=T0,
            )
        )
        rows[Account].append(
            dict(
                id=i,
                creator_id=i,
                platform=platform,
                handle=f"h{i}",
                followers=followers,
                tier=tier,
                status="active",
                created_at=T0,
                updated_at=T0,
            )
        )
        rows[Enrollment].append(
            dict(
                id=i,
                campaign_id=campaign_id,
                creator_id=i,
                account_id=i,
                tier=tier,
                followers_at_shortlist=followers,
                stage="posted",
                fee=Decimal(100 + n % 7 * 50),
                currency="USD",
                created_at=T0,
                updated_at=T0,
            )
        )
        posted = T0 + timedelta(hours=n % 48)
        rows[Deliverable].append(
            dict(
                id=i,
                enrollment_id=i,
                platform=platform,
                post_id=f"p{i}",
                posted_at=posted,
                provenance="api",
                status="live",
                detected_at=posted,
            )
        )
        profiles.append(
            dict(account_id=i, taken_at=T0, followers=followers + n % 100, provenance="api")
        )
        # the stage history the services record: the report reads each stage as of AS_OF
        for k, (before, to) in enumerate(STAGE_HISTORY):
            events.append(
                dict(
                    occurred_at=T0 + timedelta(hours=k) if to != "posted" else posted,
                    kind="stage_changed",
                    entity="enrollment",
                    entity_id=i,
                    creator_id=i,
                    campaign_id=campaign_id,
                    detail={"from": before, "to": to, "reason": "bench"},
                    actor="bench",
                )
            )
        for k in range(SNAPSHOTS):
            snap_id += 1
            hidden = platform == "instagram"
            rows[MetricSnapshot].append(
                dict(
                    deliverable_id=i,
                    taken_at=posted + timedelta(hours=12 * k + 1),
                    views=None if hidden and n % 5 == 0 else 100 * k + n % 13,
                    likes=10 * k + n % 7,
                    comments=k,
                    shares=None if hidden else k // 2,
                    saves=k // 3,
                    provenance="api",
                )
            )
        if n % 3 == 0:
            conversions.append(
                dict(
                    campaign_id=campaign_id,
                    enrollment_id=i,
                    row_key=f"r{i}",
                    occurred_on=T0,
                    clicks=n % 50,
                    leads=n % 5,
                    sales=n % 2,
                    source="bench",
                    imported_at=T0,
                )
            )
    with engine.begin() as conn:
        for model, values in rows.items():
            conn.execute(insert(model.__table__), values)
        conn.execute(insert(ProfileSnapshot.__table__), profiles)
        conn.execute(insert(Conversion.__table__), conversions)
        conn.execute(insert(Event.__table__), events)
    return campaign_id


def timed_pair(first: Any, second: Any, repeat: int = 9) -> tuple[float, float]:
    """Best of ``repeat`` for each, interleaved so that other load on the machine hits both."""
    first(), second()  # warm the caches once
    a, b = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        first()
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        second()
        b.append(time.perf_counter() - start)
    return min(a), min(b)


def count_queries(engine: Engine, fn: Any) -> int:
    count = 0

    def before(*_args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def main() -> None:
    prices = load_price_table(PROJECT_ROOT / "config", "emv-2026-01")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        start = time.perf_counter()
        small_id = build(engine, "bench-small", 1_000, offset=0)
        large_id = build(engine, "bench-large", 2_000, offset=1_000)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(
            f"data: 3,000 creators, {3_000 * SNAPSHOTS:,} snapshots, built in "
            f"{time.perf_counter() - start:.1f} s (SQLite)"
        )

        def figures(slug: str) -> Any:
            campaign = get_campaign(engine, slug)
            return lambda: compute_figures(
                engine=engine, campaign=campaign, as_of=AS_OF, prices=prices
            )

        def baseline(campaign_id: int) -> Any:
            def run() -> None:
                with engine.connect() as conn:
                    conn.execute(
                        BASELINE,
                        {"as_of": AS_OF.strftime("%Y-%m-%d %H:%M:%S.%f"), "cid": campaign_id},
                    ).all()

            return run

        result = figures("bench-large")()
        assert len(result.creators) == 2_000 and result.overall.inputs.posts == 2_000
        assert result.funnel["posted"] == 2_000 and result.overall.inputs.paid == 2_000
        report_s, baseline_s = timed_pair(figures("bench-large"), baseline(large_id))
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        start = time.perf_counter()
        build_report(engine=engine, settings=settings, slug="bench-large", as_of=AS_OF)
        full_s = time.perf_counter() - start
        campaign_id = get_campaign(engine, "bench-large").id
        start = time.perf_counter()
        compute_timeline(engine=engine, campaign_id=campaign_id, as_of=AS_OF)
        timeline_s = time.perf_counter() - start
        queries_small = count_queries(engine, figures("bench-small"))
        queries_large = count_queries(engine, figures("bench-large"))
        whole_small, whole_large = (
            count_queries(
                engine,
                lambda slug=slug: build_report(
                    engine=engine, settings=settings, slug=slug, as_of=AS_OF
                ),
            )
            for slug in ("bench-small", "bench-large")
        )
        assert small_id != large_id
        engine.dispose()
    ratio = report_s / baseline_s
    print(
        f"figures (2,000 creators): {report_s * 1000:.0f} ms; one GROUP BY: "
        f"{baseline_s * 1000:.0f} ms"
    )
    print(
        f"whole report (figures, daily chart series over all {2_000 * SNAPSHOTS:,} snapshots, "
        f"3 charts, HTML, CSV): {full_s * 1000:.0f} ms, of which chart series "
        f"{timeline_s * 1000:.0f} ms"
    )
    print(
        f"queries: {queries_small} at 1,000 creators, {queries_large} at 2,000 creators "
        f"({'constant' if queries_small == queries_large else 'GROWS'}); whole report "
        f"{whole_small} and {whole_large}"
    )
    met = ratio <= 3 and queries_small == queries_large and whole_small == whole_large
    print(f"report {ratio:.2f}x goal <=3x {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
