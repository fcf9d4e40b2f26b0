"""Hidden like counts: unknown, never low (issue 13, item 3), from the sandbox to the shortlist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.sandbox import World
from creatorflow.services.creators.refresh import refresh_creators
from creatorflow.services.outreach.launch import shortlist_campaign
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account
from tests.support.builders import add_account
from tests.support.campaigns import OUTREACH_SPEC, make_spec

FOLLOWERS = 10_000


@pytest.fixture
def db(settings: Settings) -> Engine:
    return engine_for(settings.database_url)


@pytest.fixture
def refreshed(
    world: World, db: Engine, make_settings: Callable[..., Settings], now: datetime
) -> None:
    """Three Instagram creators: one shows every count, one hides likes on one post, one on
    every post; all refreshed from the sandbox."""
    posts = {
        "open": [(300, 20), (400, 0), (500, 10)],
        "mixed": [(None, 40), (900, 100), (500, 0)],
        "hider": [(None, 40), (None, 90), (None, 3)],
    }
    with session_scope(db) as session:
        for handle, counts in posts.items():
            world.add_account("instagram", handle, followers=FOLLOWERS)
            for day, (likes, comments) in enumerate(counts):
                published = now - timedelta(days=day + 1)
                world.add_post(
                    "instagram", handle, likes=likes, comments=comments, published_at=published
                )
            person = {"email": f"{handle}@creators.example", "country": "US"}
            add_account(
                session, platform="instagram", handle=handle, now=now, creator=person, tier=None
            )
    summary = refresh_creators(
        engine=db, settings=make_settings(), platform=Platform.INSTAGRAM, now=now, actor="test"
    )
    assert summary.refreshed == 3


def _rates(db: Engine) -> dict[str, tuple[Decimal | None, str | None]]:
    with session_scope(db) as session:
        rows = session.execute(
            select(Account.handle, Account.engagement_rate, Account.engagement_unknown)
        ).all()
    return {handle: (rate, unknown) for handle, rate, unknown in rows}


def test_a_post_hiding_likes_is_left_out_and_a_creator_hiding_them_all_is_unknown(
    refreshed: None, db: Engine
) -> None:
    rates = _rates(db)
    assert rates["open"] == (Decimal("0.04000000"), None)
    # the hidden post is not counted as 40 comments / 10,000 followers (which gave 0.05)
    assert rates["mixed"] == (Decimal("0.07500000"), None)
    assert rates["hider"] == (None, "likes_hidden")


@pytest.mark.parametrize("unknown_engagement", ["exclude", "include"])
def test_the_shortlist_says_er_unknown_likes_hidden_and_follows_the_campaigns_choice(
    refreshed: None, db: Engine, settings: Settings, now: datetime, unknown_engagement: str
) -> None:
    selection = {"tiers": {"micro": 5}, "min_engagement_rate": "0.02"}
    spec = make_spec(
        OUTREACH_SPEC, selection={**selection, "unknown_engagement": unknown_engagement}
    )
    result = shortlist_campaign(engine=db, settings=settings, spec=spec, now=now, actor="test")
    picks = [(p["creator"], p["engagement"]) for p in result.picks]  # best rate first
    known = [("instagram:mixed", "7.50%"), ("instagram:open", "4.00%")]
    if unknown_engagement == "exclude":
        assert picks == known
        [excluded] = result.exclusions
        assert (excluded["creator"], excluded["reason"], excluded["engagement"]) == (
            "instagram:hider",
            "ER unknown (likes hidden)",
            "ER unknown (likes hidden)",
        )
    else:  # accepted: ranked after every known rate
        assert picks == [*known, ("instagram:hider", "ER unknown (likes hidden)")]
        assert result.exclusions == []
