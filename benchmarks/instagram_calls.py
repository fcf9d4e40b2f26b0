"""Instagram calls of a tracking run against the minimum the Graph API allows.

One ``track-campaigns`` flow run (Prefect's ephemeral server, the sandbox Graph API) over 100
Instagram creators enrolled in one campaign: 40 with a live post due for polling, 10 of them with
that post 120 media down their feed, 30 who just published a campaign post, 10 who tagged the
brand in a photo without a campaign word, 10 with nothing new; every feed has a month of other
posts. Every request is counted at the server. The minimum, worked out from the world alone, is one
business-discovery call per creator (50 media each) plus the further pages its due posts need,
plus the pages of the brand's tags edge. Prints calls / minimum for the run and for a second run an
hour later (goal 1.00: nothing but the minimum).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CREATORS = 100
NOW = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
PAGE = 50  # media per business-discovery call (the adapter's page; Meta's is larger)


def seed(world: Any, url: str) -> int:
    """The campaign, creators and deliverables; returns the minimum calls of the first run."""
    from sqlalchemy import insert

    from creatorflow.domain.campaign import CampaignSpec
    from creatorflow.sandbox import SANDBOX_BRAND_USERNAME
    from creatorflow.storage.db import engine_for
    from creatorflow.storage.models import Account, Campaign, Creator, Deliverable, Enrollment

    spec = CampaignSpec.model_validate(
        {
            "slug": "bench",
            "name": "Bench",
            "brand": "Lumen",
            "platforms": ["instagram"],
            "window": {"start": "2027-03-01", "end": "2027-04-30"},
            "hashtags": ["springglow"],
            "mentions": [SANDBOX_BRAND_USERNAME],
            "budget": "0",
            "currency": "USD",
            "selection": {"tiers": {"micro": 1}},
            "offer": {"micro": "0"},
        }
    ).model_dump(mode="json")
    rows: dict[str, list[dict[str, Any]]] = {"creators": [], "accounts": [], "enrollments": []}
    deliverables: list[dict[str, Any]] = []
    pages_needed = 0
    for n in range(CREATORS):
        handle = f"creator{n:03d}"
        account = world.add_account("instagram", handle, followers=20_000)
        for day in range(1, 31):  # a month of other posts
            world.add_post(
                "instagram", handle, text="coffee", published_at=NOW - timedelta(days=day)
            )
        stage, position = "accepted", 0
        if n < 40:  # a live deliverable due for polling
            stage = "posted"
            posted = NOW - timedelta(days=2)
            post = world.add_post("instagram", handle, text="#springglow", published_at=posted)
            deep = n < 10
            for m in range(120 if deep else 0):  # 120 newer media above it
                world.add_post(
                    "instagram", handle, text="later", published_at=NOW - timedelta(minutes=m + 1)
                )
            position = 121 if deep else 1  # its place in the feed, newest first, from 0
            deliverables.append(
                {
                    "enrollment_id": n + 1,
                    "platform": "instagram",
                    "post_id": post.post_id,
                    "provenance": "api",
                    "status": "live",
                    "posted_at": posted,
                    "detected_at": posted,
                    "last_polled_at": NOW - timedelta(hours=2),
                }
            )
        elif n < 70:  # a campaign post just published
            world.add_post(
                "instagram",
                handle,
                text="#springglow launch",
                published_at=NOW - timedelta(minutes=30),
            )
        elif n < 80:  # the brand tagged in the photo, no campaign word in the caption
            world.add_post(
                "instagram",
                handle,
                text="sunday",
                tagged=(SANDBOX_BRAND_USERNAME,),
                published_at=NOW - timedelta(minutes=20),
            )
        pages_needed += max(1, math.ceil((position + 1) / PAGE))
        rows["creators"].append(
            {
                "id": n + 1,
                "name": handle,
                "email": f"{handle}@bench.example",
                "lawful_basis": "bench",
            }
            | {"source": "bench", "created_at": NOW, "updated_at": NOW}
        )
        rows["accounts"].append(
            {"id": n + 1, "creator_id": n + 1, "platform": "instagram", "handle": handle}
            | {"external_id": account.external_id, "followers": 20_000, "status": "active"}
            | {"tier": "micro", "created_at": NOW, "updated_at": NOW}
        )
        rows["enrollments"].append(
            {"id": n + 1, "campaign_id": 1, "creator_id": n + 1, "account_id": n + 1}
            | {"stage": stage, "tier": "micro", "accepted_at": NOW - timedelta(days=5)}
            | {"due_at": NOW + timedelta(days=9), "created_at": NOW, "updated_at": NOW}
        )
    campaign = {"id": 1, "slug": "bench", "name": "Bench", "brand": "Lumen", "spec": spec}
    campaign |= {"spec_sha256": "0" * 64, "status": "active", "created_at": NOW}
    campaign |= {"launched_at": NOW - timedelta(days=10)}
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(insert(Campaign), [campaign])
        conn.execute(insert(Creator), rows["creators"])
        conn.execute(insert(Account), rows["accounts"])
        conn.execute(insert(Enrollment), rows["enrollments"])
        conn.execute(insert(Deliverable), deliverables)
    tag_pages = max(1, math.ceil(10 / PAGE))
    return pages_needed + tag_pages


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-instagram-"))
    os.environ["PREFECT_HOME"] = str(tmp / "prefect")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED"] = "false"
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from creatorflow.sandbox import SandboxServers, World
    from creatorflow.settings import get_settings
    from creatorflow.storage.migrate import upgrade

    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    world = World(now=NOW)
    with (
        SandboxServers(world) as sandbox,
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        minimum = seed(world, url)
        os.environ.update(sandbox.env())
        os.environ |= {
            "CREATORFLOW_DATABASE_URL": url,
            "CREATORFLOW_MAIL_URL": f"maildir://{tmp / 'outbox'}",
            "CREATORFLOW_INBOX_URL": f"maildir://{tmp / 'inbox'}",
            "CREATORFLOW_SENDER": "Bench <bench@brand.example>",
            "CREATORFLOW_POSTAL_ADDRESS": "1 Bench Street, Springfield",
        }
        get_settings.cache_clear()
        from flows.tracking import track_campaigns

        sandbox.instagram.clear_log()
        first = track_campaigns(campaign_slug="bench", as_of=NOW)
        first_calls = sandbox.instagram.calls()
        discovery = sum(
            "business_discovery" in e.params.get("fields", "") for e in sandbox.instagram.log
        )
        sandbox.instagram.clear_log()
        later = NOW + timedelta(hours=1)
        world.set_now(later)
        second = track_campaigns(campaign_slug="bench", as_of=later)
        second_calls = sandbox.instagram.calls()
    # an hour later the same posts are due again (hourly to day 7, every 15 min on day one): the
    # same reads, the deep pages included, are the minimum once more
    print(
        f"creators {CREATORS}; first run: {first_calls} Instagram calls ({discovery} business "
        f"discovery), minimum {minimum}; detection {first['detection']}; polling "
        f"{ {k: first['polling'][k] for k in ('snapshots', 'requests', 'gone')} }"
    )
    print(
        f"second run an hour later: {second_calls} calls, minimum {minimum}; polling "
        f"{ {k: second['polling'][k] for k in ('snapshots', 'requests')} }"
    )
    ratio = max(first_calls, second_calls) / minimum
    print(f"instagram_calls_per_run {ratio:.2f} goal 1.00 {'met' if ratio <= 1.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
