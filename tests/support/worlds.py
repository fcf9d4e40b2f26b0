"""Pre-built scenarios: the report world (figures computed by hand in the report tests) and the
scale-out campaign with live posts on the sandbox platforms.

Rows come from ``builders``; the campaigns from the project's own store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.model import Platform
from creatorflow.sandbox import World
from creatorflow.sandbox.sample_creators import write_csv
from creatorflow.services.creators.importing import import_creators
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import PROJECT_ROOT
from creatorflow.storage.campaigns import parse_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Conversion, Enrollment, ProfileSnapshot
from tests.support.builders import Counts, add_account, add_enrollment, add_post, record_stages
from tests.support.campaigns import example_data, store_campaign

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

# key, name, platform, tier, stage, fee, followers, promo code
CAST: list[tuple[str, str, str, str, str, str | None, int, str | None]] = [
    ("ana", "Ana", "instagram", "nano", "posted", "100.00", 5000, "ANA10"),
    ("ben", "Ben", "youtube", "micro", "accepted", "300.00", 50000, None),
    ("hostile", HOSTILE, "tiktok", "micro", "posted", "200.00", 20000, None),
    ("dee", "Dee", "instagram", "micro", "accepted", "150.00", 30000, None),
    ("eve", "Eve", "instagram", "nano", "contacted", None, 4000, None),
    ("fay", "Fay", "youtube", "mid", "declined", None, 200000, None),
    ("gus", "Gus", "instagram", "nano", "shortlisted", None, 3000, None),
    ("hal", "Hal", "instagram", "micro", "removed", None, 60000, None),
]

# creator, post id, posted, provenance, first post (moves the creator to posted), gone at, and
# the snapshots as (taken at, (views, likes, comments, shares, saves)); None = hidden
_A1 = [
    (at(2, 16), (1000, 100, 10, None, None)),
    (at(2, 20), (2000, 200, 20, None, 5)),
    (at(3, 5), (9999, 9999, 99, None, 9)),  # after as_of: ignored
]
POSTS: list[tuple[str, str, datetime, str, bool, datetime | None, list[tuple[datetime, Counts]]]]
POSTS = [
    ("ana", "a1", at(2, 15), "api", True, None, _A1),
    ("ana", "a2", at(2, 25), "submitted", False, None, [(at(2, 26), (None, 50, 5, 1, 0))]),
    ("ben", "b1", at(2, 18), "api", False, at(2, 27), [(at(2, 19), (10000, 500, 50, None, None))]),
    ("hostile", "c1", at(2, 20), "api", True, None, [(at(2, 21), (None, None, None, None, None))]),
    ("ana", "a3", at(3, 3), "api", False, None, [(at(3, 4), (5, 5, 5, 5, 5))]),  # after as_of
]

# creator, row key, day, clicks, leads, sales, revenue
CONVERSIONS = [
    ("ana", "a", at(2, 20), 40, 4, 1, "50.00"),
    ("ben", "b1", at(2, 21), 60, 3, 0, None),
    ("ben", "b2", at(2, 22), 40, 2, 0, None),
    ("dee", "d", at(2, 23), 10, 1, 0, None),
    ("ana", "late", at(3, 2), 500, 100, 9, "900.00"),  # after as_of: ignored
]


@dataclass
class ReportWorld:
    campaign_id: int
    enrollments: dict[str, int]


def report_spec(slug: str = "spring-glow", recipients: list[str] | None = None) -> CampaignSpec:
    """The example campaign, reported every Monday to ``recipients``."""
    data = example_data() | {"slug": slug}
    data["report"] = {"recipients": recipients or ["marketing@lumen.example"], "cron": "0 8 * * 1"}
    data["report"]["timezone"] = "UTC"
    return parse_campaign(data, source="test")


def _cast_member(session: Session, campaign_id: int, row: tuple[Any, ...]) -> Enrollment:
    """One ``CAST`` row: creator, account, enrollment and its stage history."""
    key, name, platform, tier, stage, fee, followers, promo = row
    person = {"name": name, "email": f"{key}@creators.example", "lawful_basis": "test"}
    size = {"tier": tier, "followers": followers}
    account = add_account(session, platform=platform, handle=key, now=T0, creator=person, **size)
    terms: dict[str, Any] = {"stage": stage, "followers_at_shortlist": followers, "currency": "USD"}
    terms |= {"fee": Decimal(fee) if fee is not None else None, "promo_code": promo}
    terms["tracking_url"] = f"https://lumen.example/spring?utm_content={key}"
    enrollment = add_enrollment(session, account, campaign_id=campaign_id, now=T0, **terms)
    record_stages(session, enrollment, STAGE_PATHS[stage])
    if stage in ("accepted", "posted"):
        enrollment.accepted_at = ACCEPTED_AT
    return enrollment


def _post(session: Session, enrollment: Enrollment, platform: str, row: tuple[Any, ...]) -> None:
    """One ``POSTS`` row; the first post moves an enrollment stored as posted to posted."""
    _, post_id, posted, provenance, first, gone_at, snapshots = row
    where = {"platform": platform, "post_id": post_id, "posted_at": posted}
    kept = {"provenance": provenance, "snapshots": snapshots, "gone_at": gone_at}
    add_post(session, enrollment.id, **where, **kept)
    if first:
        record_stages(session, enrollment, [("posted", posted)], before="accepted")


def build_report_world(
    engine: Engine, *, slug: str = "spring-glow", recipients: list[str] | None = None
) -> ReportWorld:
    """Eight creators at every stage, five posts, profile snapshots and conversions."""
    campaign_id = store_campaign(engine, report_spec(slug, recipients), now=T0).id
    with session_scope(engine) as s:
        cast = {row[0]: (_cast_member(s, campaign_id, row), row[2]) for row in CAST}
        # Ana's follower count grew before she posted: ER uses the count at posting time
        ana = cast["ana"][0].account_id
        s.add(ProfileSnapshot(account_id=ana, taken_at=at(2, 10), followers=8000, provenance="api"))
        # after as_of: ignored
        s.add(ProfileSnapshot(account_id=ana, taken_at=at(3, 10), followers=9000, provenance="api"))
        for post in POSTS:
            enrollment, platform = cast[post[0]]
            _post(s, enrollment, platform, post)
        for key, row_key, day, clicks, leads, sales, revenue in CONVERSIONS:
            conversion = Conversion(campaign_id=campaign_id, enrollment_id=cast[key][0].id)
            conversion.row_key, conversion.occurred_on, conversion.imported_at = row_key, day, day
            conversion.clicks, conversion.leads, conversion.sales = clicks, leads, sales
            conversion.revenue, conversion.source = Decimal(revenue) if revenue else None, "test"
            s.add(conversion)
        return ReportWorld(campaign_id, {key: member.id for key, (member, _) in cast.items()})


BULK = ("instagram", "micro", "posted", "50.00")


def add_bulk_creators(engine: Engine, *, campaign_id: int, count: int) -> None:
    """``count`` more posting creators, each with one post and three snapshots."""
    snapshots = [(at(2, day), (100 * day, 10 * day, day, None, None)) for day in (11, 12, 13)]
    with session_scope(engine) as s:
        for n in range(count):
            member = _cast_member(s, campaign_id, (f"bulk{n}", f"Bulk {n}", *BULK, 10000 + n, None))
            _post(
                s, member, "instagram", (None, f"bulk{n}", at(2, 10), "api", True, None, snapshots)
            )


# -- the scale-out campaign ---------------------------------------------------------------------

#: Share of posts per platform, and posts per creator (Instagram and TikTok poll per owner).
MIX = ((Platform.YOUTUBE, 0.6, 1), (Platform.INSTAGRAM, 0.25, 5), (Platform.TIKTOK, 0.15, 3))
MIX_PLATFORMS = [platform for platform, _, _ in MIX]


def scale_spec(slug: str, as_of: datetime) -> CampaignSpec:
    """Every platform, a window from five days before ``as_of`` to thirty days after."""
    data: dict[str, Any] = {"slug": slug, "name": f"Scale test {slug}", "brand": "Glow"}
    data["platforms"] = [p.value for p in MIX_PLATFORMS]
    start, end = (as_of - timedelta(days=5)).date(), (as_of + timedelta(days=30)).date()
    data["window"] = {"start": str(start), "end": str(end)}
    data |= {"hashtags": ["#scaletest"], "budget": 1_000_000, "currency": "USD"}
    data |= {"selection": {"tiers": {"micro": 1}}, "offer": {"micro": 100}}
    return parse_campaign(data, source="e2e seed")


def _scale_owner(
    session: Session, world: World, campaign_id: int, platform: Platform, owner: str, when: datetime
) -> Enrollment:
    """A creator on ``platform`` (in the sandbox world too), accepted at ``when``."""
    external = world.add_account(platform, owner, followers=50_000).external_id
    person = {"email": f"{owner}@creators.example", "source": "e2e"}
    account = add_account(session, platform=platform, handle=owner, now=when, creator=person)
    account.external_id, account.followers = external, 50_000
    dates = {"accepted_at": when, "due_at": when + timedelta(days=12)}
    return add_enrollment(
        session, account, campaign_id=campaign_id, now=when, stage="accepted", **dates
    )


def seed_tracked_campaign(
    engine: Engine, world: World, *, slug: str, posts: int, as_of: datetime
) -> list[str]:
    """The campaign and ``posts`` live deliverables, in creatorflow's database and the sandbox
    world alike, posted two hours before ``as_of`` so every one is due for a poll; returns the
    post ids. Written as rows: the launch, reply and detection paths have their own tests."""
    posted_at = as_of - timedelta(hours=2)
    campaign_id = store_campaign(engine, scale_spec(slug, as_of), now=posted_at, launched=True).id
    content = {"text": "#scaletest", "title": "scale", "published_at": posted_at}
    content |= {"views": 1000, "likes": 50, "comments": 5}
    post_ids: list[str] = []
    with session_scope(engine) as session:
        for platform, share, per_owner in MIX:
            last = platform is MIX_PLATFORMS[-1]
            count = posts - len(post_ids) if last else round(posts * share)
            for index in range(count):
                owner = f"{slug}-{platform.value}-{index // per_owner}"
                if index % per_owner == 0:
                    owned = _scale_owner(session, world, campaign_id, platform, owner, posted_at)
                post = world.add_post(platform, owner, **content)
                where = {"platform": platform, "post_id": post.post_id, "url": post.url}
                add_post(session, owned.id, posted_at=posted_at, **where)
                post_ids.append(post.post_id)
    return post_ids


#: A small campaign for the launch runs (sends at any hour, so any ``as_of`` works).
LAUNCH_SLUG = "e2e-launch"
LAUNCH_CAMPAIGN = f"""\
slug: {LAUNCH_SLUG}
name: E2E launch
brand: Glow
platforms: [youtube, instagram, tiktok]
window: {{start: 2027-03-01, end: 2027-04-30}}
hashtags: ["#e2eglow"]
budget: 10000
currency: USD
selection:
  tiers: {{nano: 4, micro: 6}}
offer: {{nano: 100, micro: 300}}
outreach:
  per_domain_cap: 100
  send_window: {{start: "00:00", end: "23:59", weekdays: [1, 2, 3, 4, 5, 6, 7], timezone: UTC}}
"""


def prepare_launch(engine: Engine, folder: Path, as_of: datetime) -> dict[str, Any]:
    """120 sample creators imported and the launch campaign file written in ``folder``; returns
    the launch-campaign/manual parameters that launch it (approved) as of ``as_of``."""
    import_creators(
        engine=engine,
        path=write_csv(folder / "creators.csv", 120, seed=99),
        lawful_basis="legitimate-interest",
        tier_rules=load_default_tier_rules(PROJECT_ROOT / "config"),
        now=as_of,
        actor="test:e2e",
    )
    campaign_file = folder / f"{LAUNCH_SLUG}.yaml"
    campaign_file.write_text(LAUNCH_CAMPAIGN)
    return {"campaign": str(campaign_file), "approve": True, "as_of": as_of.isoformat()}
