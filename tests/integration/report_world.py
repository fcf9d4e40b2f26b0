"""A small campaign with known posts, snapshots and conversions, for the report tests.

Figures expected from it are computed by hand in the tests. Every row (and the ``stage_changed``
event the services record with each stage change) is written with the storage
models directly, so the report tests need no other service than the campaign registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from creatorflow.storage.campaigns import parse_campaign, register_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.events import record_event
from creatorflow.storage.models import (
    Account,
    Conversion,
    Creator,
    Deliverable,
    Enrollment,
    MetricSnapshot,
    ProfileSnapshot,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "campaigns" / "spring-glow.yaml"
HOSTILE = "<script>alert(1)</script>"
T0 = datetime(2027, 2, 1, tzinfo=UTC)
AS_OF = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=UTC)


ACCEPTED_AT = at(2, 6)
_SHORTLISTED = [("shortlisted", T0)]
_REPLIED = [*_SHORTLISTED, ("contacted", at(2, 2)), ("replied", at(2, 4))]
STAGE_PATHS: dict[str, list[tuple[str, datetime]]] = {
    "shortlisted": _SHORTLISTED,
    "removed": [*_SHORTLISTED, ("removed", at(2, 1))],
    "contacted": _REPLIED[:2],
    "declined": [*_REPLIED, ("declined", at(2, 6))],
    "accepted": [*_REPLIED, ("accepted", ACCEPTED_AT)],
    "posted": [*_REPLIED, ("accepted", ACCEPTED_AT)],  # then "posted" with the first post
}
"""Each stage's history in the world, as (stage, when) events."""


@dataclass
class World:
    campaign_id: int
    enrollments: dict[str, int]


def campaign_spec(slug: str = "spring-glow", recipients: list[str] | None = None) -> Any:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["slug"] = slug
    data["report"] = {
        "recipients": recipients or ["marketing@lumen.example"],
        "cron": "0 8 * * 1",
        "timezone": "UTC",
    }
    return parse_campaign(data, source="test")


def _creator(
    session: Any,
    *,
    campaign_id: int,
    key: str,
    name: str,
    platform: str,
    tier: str | None,
    stage: str,
    fee: str | None,
    followers: int | None,
    promo: str | None = None,
) -> int:
    creator = Creator(
        name=name,
        email=f"{key}@creators.example",
        lawful_basis="test",
        source="test",
        created_at=T0,
        updated_at=T0,
    )
    session.add(creator)
    session.flush()
    account = Account(
        creator_id=creator.id,
        platform=platform,
        handle=key,
        followers=followers,
        tier=tier,
        status="active",
        created_at=T0,
        updated_at=T0,
    )
    session.add(account)
    session.flush()
    enrollment = Enrollment(
        campaign_id=campaign_id,
        creator_id=creator.id,
        account_id=account.id,
        tier=tier,
        followers_at_shortlist=followers,
        stage=stage,
        fee=Decimal(fee) if fee is not None else None,
        currency="USD",
        promo_code=promo,
        created_at=T0,
        updated_at=T0,
        tracking_url=f"https://lumen.example/spring?utm_content={key}",
    )
    session.add(enrollment)
    session.flush()
    before = None
    for to, moment in STAGE_PATHS[stage]:
        _stage_event(session, enrollment, before, to, moment)
        before = to
    if stage in ("accepted", "posted"):
        enrollment.accepted_at = ACCEPTED_AT
    return enrollment.id


def _stage_event(
    session: Any, enrollment: Enrollment, before: str | None, to: str, moment: datetime
) -> None:
    """The ``stage_changed`` event the services record with every stage change."""
    record_event(
        session,
        kind="stage_changed",
        entity="enrollment",
        entity_id=enrollment.id,
        detail={"from": before, "to": to, "reason": "test world"},
        actor="test",
        at=moment,
        creator_id=enrollment.creator_id,
        campaign_id=enrollment.campaign_id,
    )


def _post(
    session: Any,
    *,
    enrollment_id: int,
    platform: str,
    post_id: str,
    posted: datetime,
    provenance: str,
    snapshots: list[tuple[datetime, tuple[int | None, ...]]],
    gone_at: datetime | None = None,
    first: bool = False,
) -> None:
    """One post and its snapshots; ``first`` moves an enrollment stored as posted to posted."""
    deliverable = Deliverable(
        enrollment_id=enrollment_id,
        platform=platform,
        post_id=post_id,
        posted_at=posted,
        provenance=provenance,
        status="gone" if gone_at else "live",
        detected_at=posted,
        gone_at=gone_at,
    )
    session.add(deliverable)
    session.flush()
    if first:
        enrollment = session.get(Enrollment, enrollment_id)
        _stage_event(session, enrollment, "accepted", "posted", posted)
    for taken_at, (views, likes, comments, shares, saves) in snapshots:
        session.add(
            MetricSnapshot(
                deliverable_id=deliverable.id,
                taken_at=taken_at,
                views=views,
                likes=likes,
                comments=comments,
                shares=shares,
                saves=saves,
                provenance=provenance,
            )
        )


def build_world(
    engine: Engine, *, slug: str = "spring-glow", recipients: list[str] | None = None
) -> World:
    stored = register_campaign(
        engine=engine, spec=campaign_spec(slug, recipients), now=T0, actor="test"
    )
    cid = stored.id
    e: dict[str, int] = {}
    with session_scope(engine) as s:
        e["ana"] = _creator(
            s,
            campaign_id=cid,
            key="ana",
            name="Ana",
            platform="instagram",
            tier="nano",
            stage="posted",
            fee="100.00",
            followers=5000,
            promo="ANA10",
        )
        e["ben"] = _creator(
            s,
            campaign_id=cid,
            key="ben",
            name="Ben",
            platform="youtube",
            tier="micro",
            stage="accepted",
            fee="300.00",
            followers=50000,
        )
        e["hostile"] = _creator(
            s,
            campaign_id=cid,
            key="hostile",
            name=HOSTILE,
            platform="tiktok",
            tier="micro",
            stage="posted",
            fee="200.00",
            followers=20000,
        )
        e["dee"] = _creator(
            s,
            campaign_id=cid,
            key="dee",
            name="Dee",
            platform="instagram",
            tier="micro",
            stage="accepted",
            fee="150.00",
            followers=30000,
        )
        e["eve"] = _creator(
            s,
            campaign_id=cid,
            key="eve",
            name="Eve",
            platform="instagram",
            tier="nano",
            stage="contacted",
            fee=None,
            followers=4000,
        )
        e["fay"] = _creator(
            s,
            campaign_id=cid,
            key="fay",
            name="Fay",
            platform="youtube",
            tier="mid",
            stage="declined",
            fee=None,
            followers=200000,
        )
        e["gus"] = _creator(
            s,
            campaign_id=cid,
            key="gus",
            name="Gus",
            platform="instagram",
            tier="nano",
            stage="shortlisted",
            fee=None,
            followers=3000,
        )
        e["hal"] = _creator(
            s,
            campaign_id=cid,
            key="hal",
            name="Hal",
            platform="instagram",
            tier="micro",
            stage="removed",
            fee=None,
            followers=60000,
        )
        # Ana's follower count grew before she posted: ER uses the count at posting time
        ana_account = s.get(Enrollment, e["ana"]).account_id
        s.add(
            ProfileSnapshot(
                account_id=ana_account, taken_at=at(2, 10), followers=8000, provenance="api"
            )
        )
        s.add(
            ProfileSnapshot(
                account_id=ana_account, taken_at=at(3, 10), followers=9000, provenance="api"
            )
        )  # after as_of: ignored
        # (views, likes, comments, shares, saves); None = hidden by the platform
        _post(
            s,
            enrollment_id=e["ana"],
            platform="instagram",
            post_id="a1",
            posted=at(2, 15),
            provenance="api",
            first=True,
            snapshots=[
                (at(2, 16), (1000, 100, 10, None, None)),
                (at(2, 20), (2000, 200, 20, None, 5)),
                (at(3, 5), (9999, 9999, 99, None, 9)),  # after as_of: ignored
            ],
        )
        _post(
            s,
            enrollment_id=e["ana"],
            platform="instagram",
            post_id="a2",
            posted=at(2, 25),
            provenance="submitted",
            snapshots=[(at(2, 26), (None, 50, 5, 1, 0))],
        )
        _post(
            s,
            enrollment_id=e["ben"],
            platform="youtube",
            post_id="b1",
            posted=at(2, 18),
            provenance="api",
            snapshots=[(at(2, 19), (10000, 500, 50, None, None))],
            gone_at=at(2, 27),
        )
        _post(
            s,
            enrollment_id=e["hostile"],
            platform="tiktok",
            post_id="c1",
            posted=at(2, 20),
            provenance="api",
            first=True,
            snapshots=[(at(2, 21), (None, None, None, None, None))],
        )
        _post(
            s,
            enrollment_id=e["ana"],
            platform="instagram",
            post_id="a3",
            posted=at(3, 3),
            provenance="api",
            snapshots=[(at(3, 4), (5, 5, 5, 5, 5))],
        )  # after as_of
        for enrollment, key, day, clicks, leads, sales, revenue in (
            ("ana", "a", at(2, 20), 40, 4, 1, "50.00"),
            ("ben", "b1", at(2, 21), 60, 3, 0, None),
            ("ben", "b2", at(2, 22), 40, 2, 0, None),
            ("dee", "d", at(2, 23), 10, 1, 0, None),
            ("ana", "late", at(3, 2), 500, 100, 9, "900.00"),  # after as_of: ignored
        ):
            s.add(
                Conversion(
                    campaign_id=cid,
                    enrollment_id=e[enrollment],
                    row_key=key,
                    occurred_on=day,
                    clicks=clicks,
                    leads=leads,
                    sales=sales,
                    revenue=Decimal(revenue) if revenue else None,
                    source="test",
                    imported_at=day,
                )
            )
    return World(campaign_id=cid, enrollments=e)


def add_bulk_creators(engine: Engine, *, campaign_id: int, count: int) -> None:
    """``count`` more posting creators, each with one post and three snapshots."""
    with session_scope(engine) as s:
        for n in range(count):
            enrollment_id = _creator(
                s,
                campaign_id=campaign_id,
                key=f"bulk{n}",
                name=f"Bulk {n}",
                platform="instagram",
                tier="micro",
                stage="posted",
                fee="50.00",
                followers=10000 + n,
            )
            _post(
                s,
                enrollment_id=enrollment_id,
                platform="instagram",
                post_id=f"bulk{n}",
                posted=at(2, 10),
                provenance="api",
                first=True,
                snapshots=[
                    (at(2, day), (100 * day, 10 * day, day, None, None)) for day in (11, 12, 13)
                ],
            )
