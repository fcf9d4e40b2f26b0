"""Day by day: the world moves, people answer mail, creatorflow runs, the operator responds.

Each simulated day: posts appear, grow or vanish in the sandbox world; people read what creatorflow
sent and answer into the inbox; the ``track-campaigns`` flow runs as of that moment (inbox,
follow-ups, reminders, detection, polling); the operator records the answers that came in
(``campaign respond``). Finally the report is written with ``--out`` and its per-tier funnel is
checked against what the simulated people actually did.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from creatorflow.demo.cast import Answer
from creatorflow.demo.run import REPORT_DAY, SLUG, TRACKING_DAYS, Demo, campaign_yaml
from creatorflow.domain.metrics import funnel_step_reached
from creatorflow.services.replies.answers import record_response
from creatorflow.services.reporting.reports import build_report, write_report
from creatorflow.settings import Settings, get_settings
from creatorflow.storage.db import engine_for
from creatorflow.storage.migrate import upgrade
from flows.creators import refresh_creators_flow
from flows.outreach import launch_campaign
from flows.reporting import campaign_report
from flows.tracking import track_campaigns

ACTOR = "cli:demo"
STEPS = ("contacted", "accepted", "posted")
DELETE_DAY = 9


def play(demo: Demo, csv_path: Path) -> int:
    settings = get_settings()
    upgrade(settings.database_url)
    campaign_file = demo.directory / f"{SLUG}.yaml"
    campaign_file.write_text(campaign_yaml())
    outbox, inbox = demo.directory / "outbox", demo.directory / "inbox"

    now = demo.at(-1)
    import_csv(demo, settings, csv_path, now)
    sandbox_rate_limits(demo)
    demo.say(f"refresh-creators: {refresh_creators_flow(as_of=now).line()}")

    now = demo.at(0)
    result = launch_campaign(campaign=str(campaign_file), approve=True, as_of=now)
    demo.say(f"launch-campaign (auto-approved): {result['shortlist']}; {result['summary']}")
    pending = demo.cast.read_mail(outbox, inbox, now=now + timedelta(hours=1))
    deleter = demo.cast.choose_deleter()
    contacted = sum(p.contacted for p in demo.cast.people)
    demo.say(
        f"{contacted} creators received the first email; their fates: {dict(demo.cast.fates())}"
    )
    if deleter is not None:
        demo.say(f"{deleter.handle_ref} will delete their post after a few days")

    for day in TRACKING_DAYS:
        now = demo.at(day)
        events = demo.cast.publish(demo.world, now=now)
        if day == DELETE_DAY:
            events += demo.cast.delete_posts(demo.world)
        for line in events[:3]:
            demo.say(f"day {day}: {line}")
        if len(events) > 3:
            demo.say(f"day {day}: ... and {len(events) - 3} more posted")
        demo.cast.grow(demo.world)
        pending += demo.cast.read_mail(outbox, inbox, now=now - timedelta(hours=2))
        summary = track_campaigns(campaign_slug=SLUG, as_of=now)
        demo.say(f"day {day}: track-campaigns {_tracking_line(summary)}")
        respond(demo, settings, pending, now)
        pending = []

    now = demo.at(REPORT_DAY)
    report_dir = report(demo, settings, now)
    ok = report_dir is not None and check_report(demo, report_dir)
    return finish(demo, settings, ok=ok, report_dir=report_dir)


def import_csv(demo: Demo, settings: Settings, csv_path: Path, now: datetime) -> None:
    from creatorflow.services.creators.importing import import_creators
    from creatorflow.services.creators.tier_rules import load_default_tier_rules

    result = import_creators(
        engine=engine_for(settings.database_url),
        path=csv_path,
        lawful_basis=settings.lawful_basis,
        tier_rules=load_default_tier_rules(settings.config_dir),
        now=now,
        actor=ACTOR,
    )
    demo.say(
        f"imported {csv_path.name}: {result.created} accounts created "
        f"({result.creators_created} people), {len(result.rejected)} rejected"
    )


def sandbox_rate_limits(demo: Demo) -> None:
    """The sandbox has no rate limits: let the platform limits pass requests as fast as they come.

    Production keeps each adapter's default rate limit (``PlatformLimits.rate_limit``; an
    operator tunes them with ``prefect gcl update``); this is the same thing done for the sandbox.
    """
    from prefect.client.orchestration import get_client

    from creatorflow.platforms.rate_limits import rate_limits

    with get_client(sync_client=True) as client:
        for spec in rate_limits():
            client.upsert_global_concurrency_limit_by_name(
                spec.name, spec.limit, slot_decay_per_second=1000.0
            )
    demo.say("Prefect ephemeral server up; platform rate limits opened for the sandbox")


def respond(demo: Demo, settings: Settings, answers: list[Answer], now: datetime) -> None:
    """The operator records each answer, as with `creatorflow campaign respond`."""
    if not answers:
        return
    for answer in answers:
        record_response(
            engine=engine_for(settings.database_url),
            settings=settings,
            campaign_slug=SLUG,
            creator=answer.person.handle_ref,
            accepted=answer.accepted,
            fee=None,
            now=now,
            actor=ACTOR,
        )
        if answer.accepted:
            answer.person.accepted_at = now
    accepted = sum(a.accepted for a in answers)
    demo.say(f"operator recorded {accepted} acceptance(s), {len(answers) - accepted} decline(s)")


def report(demo: Demo, settings: Settings, now: datetime) -> Path | None:
    """`creatorflow campaign report SLUG --out DIR`, as of the end of the demo."""

    out = demo.directory / "report"
    built = build_report(
        engine=engine_for(settings.database_url), settings=settings, slug=SLUG, as_of=now
    )
    write_report(built, out)
    campaign_report(slug=SLUG, as_of=now, send=True)  # the weekly run: artifacts and the email
    demo.say(f"report for {built.period} written to {out}")
    return out


def reported_funnel(report_dir: Path) -> dict[str, Counter[str]]:
    """Per tier: contacted, accepted, posted, read back from the report's per-creator CSV."""
    funnel: dict[str, Counter[str]] = {}
    with (report_dir / "creators.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            reached = funnel_step_reached(row["stage"], has_post=int(row["posts"]) > 0)
            if reached is None:
                continue
            counts = funnel.setdefault(row["tier"] or "none", Counter())
            counts["contacted"] += reached >= 1
            counts["accepted"] += reached >= 3
            counts["posted"] += reached >= 4
    return funnel


def check_report(demo: Demo, report_dir: Path) -> bool:
    """Print world vs report per tier; True when every figure matches."""
    expected = demo.cast.expected_funnel()
    reported = reported_funnel(report_dir)
    (demo.directory / "expected.json").write_text(
        json.dumps({tier: dict(counts) for tier, counts in expected.items()}, indent=2)
    )
    tiers = sorted(set(expected) | set(reported))
    print(f"\n{'tier':<8}" + "".join(f"{s + ' world/report':>24}" for s in STEPS))
    ok = True
    for tier in tiers:
        cells = []
        for step in STEPS:
            world, seen = expected.get(tier, Counter())[step], reported.get(tier, Counter())[step]
            ok &= world == seen
            cells.append(f"{world:>11} / {seen:<6}{'' if world == seen else ' !!':>3}")
        print(f"{tier:<8}" + "".join(f"{c:>24}" for c in cells))
    print("report matches the simulated world" if ok else "MISMATCH between world and report")
    return ok


def finish(demo: Demo, settings: Settings, *, ok: bool, report_dir: Path | None = None) -> int:
    home = demo.directory / "prefect"
    print()
    demo.say("done" if ok else "FAILED")
    print("This demo ran against the SANDBOX: local platform API servers on 127.0.0.1 and")
    print("Maildir folders; no real platform, mailbox or creator was contacted.")
    if report_dir is not None:
        print(f"  report:         {report_dir / 'report.html'} (and report.txt, creators.csv)")
    print(f"  outbox:         {demo.directory / 'outbox'}  (every email sent, one file each)")
    print(f"  inbox:          {demo.directory / 'inbox'}  (the simulated replies and bounces)")
    print(f"  database:       {settings.database_url}")
    print(f"  Prefect runs:   PREFECT_HOME={home} prefect server start  -> http://127.0.0.1:4200")
    return 0 if ok else 1


def _short(result: Any) -> str:
    text = str(result)
    return text if len(text) < 300 else text[:297] + "..."


def _tracking_line(summary: Any) -> str:
    if not isinstance(summary, dict):
        return _short(summary)
    detection, polling = summary.get("detection", {}), summary.get("polling", {})
    return (
        f"new posts {detection.get('new', 0)}, snapshots {polling.get('snapshots', 0)}, "
        f"gone {polling.get('gone', 0)}"
    )
