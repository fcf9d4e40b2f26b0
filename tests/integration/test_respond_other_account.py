"""Accepting through a creator's other account: link and code still name the enrolled account.

A creator with an Instagram and a TikTok account is enrolled (and tracked) on Instagram; the
operator types ``tiktok:...`` for `campaign respond`. The brief greets the Instagram account, so
its tracking link and promo code must be the Instagram account's too (the demo found a brief that
named one account and linked the other).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from creatorflow.domain.tracking_links import promo_code
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Account
from tests.support.builders import accept_offer, contact
from tests.support.campaigns import register_example


def test_link_and_code_name_the_enrolled_account_whichever_account_was_typed(
    settings: Settings, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = register_example(engine, now)
    anna = contact(engine, campaign, handle="anna.glow", now=now, stage="replied")
    tiktok = {
        "platform": "tiktok",
        "handle": "anna_on_tiktok",
        "created_at": now,
        "updated_at": now,
    }
    with session_scope(engine) as session:
        session.add(Account(creator_id=anna.creator_id, **tiktok))

    result = accept_offer(
        engine, settings, platform="tiktok", handle="anna_on_tiktok", now=now + timedelta(hours=6)
    )

    assert result.tracking_url is not None
    query = parse_qs(urlsplit(result.tracking_url).query)
    assert query["utm_source"] == ["instagram"]
    assert query["utm_content"] == ["anna.glow"]
    assert result.promo_code == promo_code(
        campaign_slug="spring-glow", platform="instagram", handle="anna.glow"
    )
