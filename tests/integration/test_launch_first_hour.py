"""A new operator's first launch: the bundled sample creators and the example campaign, on a
fresh database with nothing refreshed yet (service level, SQLite; no Prefect).

The example must shortlist someone, every exclusion must be counted under a reason with the next
step, and a run that reuses the stored shortlist must report the exclusions that were true when
it was built (it used to say "0 excluded").
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal

from pydantic import SecretStr
from sqlalchemy import func, select

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.domain.shortlist import ReasonCount
from creatorflow.sandbox.sample_creators import SAMPLE_PATH
from creatorflow.services.creators.importing import import_creators
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.services.outreach.launch import shortlist_campaign
from creatorflow.services.outreach.launch_summary import (
    ShortlistResult,
    approval_markdown,
    unsubscribe_warning,
)
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import load_campaign_file, parse_campaign
from creatorflow.storage.db import engine_for
from creatorflow.storage.models import Enrollment
from tests.support.campaigns import EXAMPLE_CAMPAIGN, example_data


def _fresh_install(settings: Settings, now: datetime) -> None:
    import_creators(
        engine=engine_for(settings.database_url),
        path=SAMPLE_PATH,
        lawful_basis="test",
        tier_rules=load_default_tier_rules(settings.config_dir),
        now=now,
        actor="test",
    )


def _shortlist(settings: Settings, spec: CampaignSpec, now: datetime) -> ShortlistResult:
    engine = engine_for(settings.database_url)
    return shortlist_campaign(engine=engine, settings=settings, spec=spec, now=now, actor="test")


def test_the_example_campaign_shortlists_sample_creators_and_counts_every_exclusion(
    settings: Settings, now: datetime
) -> None:
    _fresh_install(settings, now)
    with SAMPLE_PATH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    first = _shortlist(settings, load_campaign_file(EXAMPLE_CAMPAIGN), now)

    assert first.picks and first.unknown_engagement == len(first.picks)  # nothing refreshed yet
    assert first.excluded == len(rows) - len(first.picks)
    assert sum(r.count for r in first.reasons) == first.excluded
    counts = {r.reason: r for r in first.reasons}
    no_email = sum(1 for row in rows if not row["Email"].strip())
    assert counts["no email address"].count == no_email
    assert "creatorflow creators import" in counts["no email address"].next_step
    assert [r.count for r in first.reasons] == sorted(
        (r.count for r in first.reasons), reverse=True
    )

    again = _shortlist(settings, load_campaign_file(EXAMPLE_CAMPAIGN), now)  # after a dry run
    assert again.reused and again.summary().endswith("(shortlist from an earlier run)")
    assert (again.excluded, again.reasons) == (first.excluded, first.reasons)
    assert f"{first.excluded} excluded" in again.summary()
    assert again.shortfall == first.shortfall and again.spend == first.spend


def test_unknown_rates_are_counted_with_the_refresh_as_next_step_when_the_campaign_excludes_them(
    settings: Settings, now: datetime
) -> None:
    _fresh_install(settings, now)
    data = example_data()
    data["selection"] = {**data["selection"], "unknown_engagement": "exclude"}
    result = _shortlist(settings, parse_campaign(data, source="test"), now)
    assert result.picks == [] and result.excluded == 300
    unread = next(r for r in result.reasons if r.reason.startswith("engagement rate unknown"))
    assert unread.next_step.startswith("run `creatorflow creators refresh`")
    # the engagement rule comes last: these are exactly the creators a refresh could bring in
    spec = parse_campaign(example_data() | {"slug": "other"}, source="test")
    full = _shortlist(settings, spec, now)
    later = ("tier already", "over budget", "another account")  # rules after the eligible ones
    assert unread.count == len(full.picks) + sum(
        r.count for r in full.reasons if r.reason.startswith(later)
    )
    with engine_for(settings.database_url).connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Enrollment))
    assert stored == len(full.picks)  # the empty shortlist stored nobody


def test_the_form_text_has_tiers_budget_reasons_links_and_the_unsubscribe_warning(
    settings: Settings,
) -> None:
    result = ShortlistResult(
        slug="spring-glow",
        campaign_id=1,
        reused=False,
        picks=[
            {"tier": "micro", "offer": "400", "stage": "shortlisted"},
            {"tier": "micro", "offer": "400", "stage": "shortlisted"},
            {"tier": "nano", "offer": "150", "stage": "shortlisted"},
        ],
        spend=Decimal("950"),
        budget=Decimal("12000"),
        currency="USD",
        excluded=9,
        reasons=[ReasonCount("no email address", 6, "import emails"), ReasonCount("x", 3)],
        wanted={"nano": 10, "micro": 15},
        offers={"nano": Decimal("150"), "micro": Decimal("400")},
        warnings=["CREATORFLOW_UNSUBSCRIBE_BASE_URL is not set"],
    )
    text = approval_markdown(result, [("shortlist-spring-glow", "http://ui/artifacts/artifact/1")])
    assert "| nano | 1 | 10 | 150 | 150 |" in text and "| micro | 2 | 15 | 400 | 800 |" in text
    assert "offers **950 of the 12,000 USD budget** (8%)" in text
    assert "**9 not shortlisted**" in text and "- 6 no email address: import emails" in text
    assert "[shortlist-spring-glow](http://ui/artifacts/artifact/1)" in text
    assert "> **Warning**: CREATORFLOW_UNSUBSCRIBE_BASE_URL is not set" in text

    relay = SecretStr("smtp://relay.example:25")
    smtp = settings.model_copy(update={"unsubscribe_base_url": None, "mail_url": relay})
    assert "Gmail and Yahoo" in (unsubscribe_warning(smtp) or "")
    assert unsubscribe_warning(settings.model_copy(update={"unsubscribe_base_url": None})) is None
    assert unsubscribe_warning(settings) is None
