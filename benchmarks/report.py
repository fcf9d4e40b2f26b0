"""Report figures for N creators x 60 snapshots against one hand-written SQL GROUP BY.

Builds a campaign in a fresh SQLite or PostgreSQL database (one post per creator, 60 polls over
30 days, some counts hidden, a profile snapshot per account, each enrollment's stage history in
the event log, conversions for a third of the creators), then times ``compute_figures`` (every
figure overall, per tier, per platform and per creator, funnel, provenance) against the simplest
query a person would write for "latest snapshot per post, summed per tier" (best of ``--rounds``,
interleaved). The whole report (with the engagements-over-time series, which reads every
snapshot, the charts and the HTML) is timed once and printed. It also counts the SQL statements
issued (SQLAlchemy ``before_cursor_execute``) for a 100-creator campaign in the same database:
the N-creator campaign must take no more.

Run: ``.venv/bin/python benchmarks/report.py [--database postgres] [--size 20000]``
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from _cases import Case, Goal, Options, Result, emit, options, rounds, scratch_database
from sqlalchemy import Connection, Engine, bindparam, event, text

from creatorflow.services.reporting.figures import compute_figures, compute_timeline
from creatorflow.services.reporting.prices import load_price_table
from creatorflow.services.reporting.reports import build_report
from creatorflow.settings import PROJECT_ROOT, Settings
from creatorflow.storage.bulk import bulk_insert
from creatorflow.storage.campaigns import get_campaign, parse_campaign, register_campaign
from creatorflow.storage.db import make_engine
from creatorflow.storage.migrate import upgrade
from creatorflow.storage.models import Base, UTCDateTime

GOAL = 3.0
SMALL = 100  # the second campaign, for the query count
CHUNK = 1_000  # creators written per batch (60 snapshots each): memory stays flat
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
).bindparams(bindparam("as_of", type_=UTCDateTime()))
TABLES = Base.metadata.tables


def build(engine: Engine, slug: str, creators: int, offset: int) -> int:
    import yaml

    data = yaml.safe_load((PROJECT_ROOT / "config" / "campaigns" / "spring-glow.yaml").read_text())
    data["slug"] = slug
    campaign_id = register_campaign(
        engine=engine, spec=parse_campaign(data, source="bench"), now=T0, actor="bench"
    ).id
    with engine.begin() as conn:
        for first in range(0, creators, CHUNK):
            _write_chunk(conn, campaign_id, range(first, min(creators, first + CHUNK)), offset)
    return campaign_id


def _write_chunk(conn: Connection, campaign_id: int, numbers: range, offset: int) -> None:
    """Creators ``numbers`` of one campaign, with everything the report reads about them."""
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
    for n in numbers:
        i = offset + n + 1
        tier, followers = TIERS[n % len(TIERS)]
        platform = PLATFORMS[n % len(PLATFORMS)]
        posted = T0 + timedelta(hours=n % 48)
        rows["creators"].append((i, f"Creator {i}", f"c{i}@x.example"))
        rows["accounts"].append((i, i, platform, f"h{i}", followers, tier))
        fee = Decimal(100 + n % 7 * 50)
        rows["enrollments"].append((i, campaign_id, i, i, tier, followers, fee))
        rows["deliverables"].append((i, i, platform, f"p{i}", posted, posted))
        rows["profile_snapshots"].append((i, followers + n % 100))
        # the stage history the services record: the report reads each stage as of AS_OF
        for k, (before, to) in enumerate(STAGE_HISTORY):
            at = T0 + timedelta(hours=k) if to != "posted" else posted
            detail = json.dumps({"from": before, "to": to, "reason": "bench"})
            rows["events"].append((at, i, i, campaign_id, detail))
        hidden = platform == "instagram"
        for k in range(SNAPSHOTS):
            rows["metric_snapshots"].append(
                (
                    i,
                    posted + timedelta(hours=12 * k + 1),
                    None if hidden and n % 5 == 0 else 100 * k + n % 13,
                    10 * k + n % 7,
                    k,
                    None if hidden else k // 2,
                    k // 3,
                )
            )
        if n % 3 == 0:
            rows["conversions"].append((campaign_id, i, f"r{i}", n % 50, n % 5, n % 2))
    for name, values in rows.items():
        columns, constants = COLUMNS[name]
        serialized = ("detail",) if name == "events" else ()
        bulk_insert(conn, TABLES[name], columns, values, constants=constants, serialized=serialized)


_STAMPS = {"created_at": T0, "updated_at": T0}
COLUMNS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "creators": (
        ("id", "name", "email"),
        {"lawful_basis": "bench", "source": "bench", **_STAMPS},
    ),
    "accounts": (
        ("id", "creator_id", "platform", "handle", "followers", "tier"),
        {"status": "active", **_STAMPS},
    ),
    "enrollments": (
        ("id", "campaign_id", "creator_id", "account_id", "tier", "followers_at_shortlist", "fee"),
        {"stage": "posted", "currency": "USD", **_STAMPS},
    ),
    "deliverables": (
        ("id", "enrollment_id", "platform", "post_id", "posted_at", "detected_at"),
        {"provenance": "api", "status": "live"},
    ),
    "profile_snapshots": (("account_id", "followers"), {"taken_at": T0, "provenance": "api"}),
    "events": (
        ("occurred_at", "entity_id", "creator_id", "campaign_id", "detail"),
        {"kind": "stage_changed", "entity": "enrollment", "actor": "bench"},
    ),
    "metric_snapshots": (
        ("deliverable_id", "taken_at", "views", "likes", "comments", "shares", "saves"),
        {"provenance": "api"},
    ),
    "conversions": (
        ("campaign_id", "enrollment_id", "row_key", "clicks", "leads", "sales"),
        {"occurred_on": T0, "source": "bench", "imported_at": T0},
    ),
}


def timed_pair(first: Any, second: Any, repeat: int) -> tuple[float, float]:
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


def count_queries(engine: Engine, fn: Callable[[], Any]) -> int:
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


def run(case: Case, opts: Options) -> Result:
    prices = load_price_table(PROJECT_ROOT / "config", "emv-2026-01")
    size = case.size
    with scratch_database(case, "report") as url:
        upgrade(url)
        engine = make_engine(url)
        start = time.perf_counter()
        build(engine, "bench-small", SMALL, offset=0)
        large_id = build(engine, "bench-large", size, offset=SMALL)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        print(
            f"{case.database}: {SMALL + size:,} creators, {(SMALL + size) * SNAPSHOTS:,}"
            f" snapshots, built in {time.perf_counter() - start:.1f} s"
        )

        def figures(slug: str) -> Callable[[], Any]:
            campaign = get_campaign(engine, slug)
            return lambda: compute_figures(
                engine=engine, campaign=campaign, as_of=AS_OF, prices=prices
            )

        def baseline() -> None:
            with engine.connect() as conn:
                conn.execute(BASELINE, {"as_of": AS_OF, "cid": large_id}).all()

        result = figures("bench-large")()
        assert len(result.creators) == size and result.overall.inputs.posts == size
        assert result.funnel["posted"] == size and result.overall.inputs.paid == size
        report_s, baseline_s = timed_pair(figures("bench-large"), baseline, rounds(opts, 9))
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]

        def whole(slug: str) -> Callable[[], Any]:
            return lambda: build_report(engine=engine, settings=settings, slug=slug, as_of=AS_OF)

        start = time.perf_counter()
        whole("bench-large")()
        full_s = time.perf_counter() - start
        start = time.perf_counter()
        compute_timeline(engine=engine, campaign_id=large_id, as_of=AS_OF)
        timeline_s = time.perf_counter() - start
        queries = {
            slug: count_queries(engine, figures(slug)) for slug in ("bench-small", "bench-large")
        }
        reports = {
            slug: count_queries(engine, whole(slug)) for slug in ("bench-small", "bench-large")
        }
        engine.dispose()
    print(
        f"  figures ({size:,} creators): {report_s * 1000:.0f} ms; one GROUP BY:"
        f" {baseline_s * 1000:.0f} ms"
    )
    print(
        f"  whole report (figures, daily chart series over all {size * SNAPSHOTS:,} snapshots,"
        f" 3 charts, HTML, CSV): {full_s * 1000:.0f} ms, of which chart series"
        f" {timeline_s * 1000:.0f} ms"
    )
    print(
        f"  queries: figures {queries['bench-small']} at {SMALL} creators and"
        f" {queries['bench-large']} at {size:,}; whole report {reports['bench-small']} and"
        f" {reports['bench-large']}"
    )
    return Result(
        "report",
        case.database,
        size,
        report_s,
        goals=[
            Goal("figures / one GROUP BY", report_s / baseline_s, GOAL),
            Goal(
                f"figures' queries (at {SMALL} creators: {queries['bench-small']})",
                queries["bench-large"],
                queries["bench-small"],
                "queries",
            ),
            Goal(
                f"whole report's queries (at {SMALL} creators: {reports['bench-small']})",
                reports["bench-large"],
                reports["bench-small"],
                "queries",
            ),
        ],
        details={"baseline_seconds": baseline_s, "whole_report_seconds": full_s},
    )


def main() -> None:
    opts = options(__doc__.split("\n\n")[0], default_size=2_000)
    for case in opts.cases:
        emit(run(case, opts))


if __name__ == "__main__":
    main()
