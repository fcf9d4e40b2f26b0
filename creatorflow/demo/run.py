"""The demo's timeline: simulated days pass through ``as_of`` and production code runs at each.

Import -> refresh -> launch (auto-approved) -> tracking runs (inbox, follow-ups, reminders,
detection, polling) with the operator recording answers in between -> report. Flows run in
Prefect's ephemeral mode, so the run history lands in the demo directory; only the endpoints
differ from production: sandbox platform APIs on 127.0.0.1 and Maildir folders for mail.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from creatorflow.demo.cast import HASHTAG, MENTION, Cast
from creatorflow.sandbox import SandboxServers, World
from creatorflow.sandbox.sample_creators import generate, write_csv

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday: the campaign's launch
SLUG = "glow-demo"
TRACKING_DAYS = (1, 3, 5, 7, 9, 11)
REPORT_DAY = 12
#: Offers per post as rate cards go (nano a gift-sized fee, macro thousands); some creators ask
#: for more (``cast._COUNTER``) and the operator records their rate.
OFFERS = {"nano": 150, "micro": 500, "mid": 2000, "macro": 6000}
WANTED = {"nano": 20, "micro": 30, "mid": 10, "macro": 6}
BUDGET = 80_000


def campaign_yaml() -> str:
    """The demo's campaign file: every tier but mega, any niche, sends at any hour."""
    tiers = ", ".join(f"{k}: {v}" for k, v in WANTED.items())
    offers = ", ".join(f"{k}: {v}" for k, v in OFFERS.items())
    end = (START + timedelta(days=30)).date()
    return f"""\
slug: {SLUG}
name: Glow Demo Spring
brand: Glow Cosmetics
platforms: [youtube, instagram, tiktok]
window: {{start: {START.date()}, end: {end}}}
hashtags: ["#{HASHTAG}"]
mentions: ["@{MENTION}"]
budget: {BUDGET}
currency: USD
landing_url: https://glow-brand.example/spring
promo_codes: true
selection:
  tiers: {{{tiers}}}
offer: {{{offers}}}
deliverables: {{count: 1, days_after_acceptance: 7, reminder_days_before: [2]}}
outreach:
  follow_up_days: [3, 7]
  daily_cap: 500
  per_domain_cap: 500
  send_window: {{start: "00:00", end: "23:59", weekdays: [1, 2, 3, 4, 5, 6, 7], timezone: UTC}}
report:
  recipients: [marketing@glow-brand.example]
  cron: "0 8 * * 1"
"""


@dataclass
class Demo:
    directory: Path
    cast: Cast
    world: World
    started: float = field(default_factory=time.monotonic)

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:5.1f}s] {text}", flush=True)

    def at(self, day: float) -> datetime:
        moment = START + timedelta(days=day)
        self.world.set_now(moment)
        return moment


def run_demo(directory: Path, *, creators: int = 300) -> int:
    """Run the demo in ``directory`` (already fresh, environment set); the exit code."""
    from creatorflow.services.creators.tier_rules import load_default_tier_rules
    from creatorflow.settings import get_settings

    rules = load_default_tier_rules(get_settings().config_dir)
    rows = list(generate(creators))
    csv_path = write_csv(directory / "creators.csv", creators)
    world = World(now=START - timedelta(days=1))
    cast = Cast.from_rows(rows, rules, offers=OFFERS)
    cast.populate(world, now=START - timedelta(days=1))
    demo = Demo(directory, cast, world)
    demo.say(f"demo directory {directory}")
    with SandboxServers(world) as sandbox:
        os.environ.update(sandbox.env())
        get_settings.cache_clear()
        demo.say(
            f"sandbox platform APIs: youtube {sandbox.urls.youtube}, instagram "
            f"{sandbox.urls.instagram}, tiktok {sandbox.urls.tiktok}"
        )
        from creatorflow.demo.timeline import play

        code = play(demo, csv_path)
    return code
