"""Day by day: the world moves, people answer mail, creatorflow runs, the operator responds.

Each simulated day: posts appear, grow or vanish in the sandbox world; people read what creatorflow
sent and answer into the inbox; the ``track-campaigns`` flow runs as of that moment (inbox,
follow-ups, reminders, detection, polling); the operator records the answers that came in
(``campaign respond``, with the creator's own rate when they asked for more). At the end the
brand's analytics and shop export goes in (``campaign conversions``), the report is written with
``--out`` and ``check`` holds its per-tier figures against what the simulated people did.
A further scene is a function of its own module taking ``(demo, settings, now)``, called from
``play`` at its day with one line.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from creatorflow.demo.cast import Answer
from creatorflow.demo.check import check_report
from creatorflow.demo.compliance_scene import compliance_scene
from creatorflow.demo.outcomes import world_figures, write_export
from creatorflow.demo.portal_scene import portal_scene
from creatorflow.demo.run import REPORT_DAY, SLUG, TRACKING_DAYS, Demo, campaign_yaml
from creatorflow.demo.story_scene import story_scene
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
PORTAL_DAY = 7


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
    demo.say(f"launch-campaign (auto-approved): {result.get('shortlist')}")
    demo.say(f"launch-campaign: {result.get('summary')}")
    pending = demo.cast.read_mail(outbox, inbox, now=now + timedelta(hours=1))
    deleter = demo.cast.choose_deleter()
    contacted = sum(p.contacted for p in demo.cast.people)
    demo.say(f"{contacted} creators received the first email; what each will do:")
    for fate, count in demo.cast.fates().most_common():
        demo.say(f"  {count:>3} {fate}")
    if deleter is not None:
        demo.say(f"{deleter.name} will delete their post a few days after posting it")

    for day in TRACKING_DAYS:
        now = demo.at(day)
        # mail first: a brief that arrived says which account to post on, with link and code
        pending += demo.cast.read_mail(outbox, inbox, now=now - timedelta(hours=3))
        events = demo.cast.publish(demo.world, now=now)
        if day == DELETE_DAY:
            events += demo.cast.delete_posts(demo.world)
        for line in events[:3]:
            demo.say(f"day {day}: {line}")
        if len(events) > 3:
            demo.say(f"day {day}: ... and {len(events) - 3} more posted")
        demo.cast.grow(demo.world, now=now)
        demo.cast.observe(demo.world)  # what the tracking run is about to see
        if day == PORTAL_DAY:  # before tracking: their new posts come in through the portal
            portal_scene(demo, settings, now)  # two creators use their portal link (issue 18)
        story_scene(demo, settings, now, day)  # two Instagram stories, by webhook (issue 17)
        compliance_scene(demo, settings, now, day)  # a dropped #ad, nudged and fixed (issue 16)
        summary = track_campaigns(campaign_slug=SLUG, as_of=now)
        demo.say(f"day {day}: track-campaigns {_tracking_line(summary)}")
        respond(demo, settings, pending, now)
        pending = []

    now = demo.at(REPORT_DAY)
    conversions(demo, settings, now)
    report_dir = report(demo, settings, now)
    ok = report_dir is not None and check_report(
        demo.directory, world_figures(demo.cast), report_dir
    )
    return finish(demo, settings, ok=ok, report_dir=report_dir)


def conversions(demo: Demo, settings: Settings, now: datetime) -> None:
    """The brand's analytics and shop export, imported as `campaign conversions SLUG FILE`."""
    from creatorflow.services.tracking.conversions import import_conversions

    path = demo.directory / "conversions.csv"
    rows = write_export(demo.cast, path, now=now)
    result = import_conversions(
        engine=engine_for(settings.database_url), slug=SLUG, path=path, now=now, actor=ACTOR
    )
    unmatched = len(result.unknown) + len(result.ambiguous)
    demo.say(
        f"campaign conversions {SLUG} {path.name}: {rows} rows (clicks and leads by link, "
        f"sales by promo code), {result.imported} imported, {unmatched} unmatched"
    )


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
        result = record_response(
            engine=engine_for(settings.database_url),
            settings=settings,
            campaign_slug=SLUG,
            creator=answer.person.handle_ref,
            accepted=answer.accepted,
            fee=answer.fee,  # the creator's own rate when they asked for more
            now=now,
            actor=ACTOR,
        )
        if answer.accepted:
            answer.person.accepted_at = now
            answer.person.fee = answer.fee if answer.fee is not None else result.fee
    accepted = sum(a.accepted for a in answers)
    asked = sum(a.fee is not None for a in answers)
    demo.say(
        f"operator recorded {accepted} acceptance(s) ({asked} at the creator's own rate), "
        f"{len(answers) - accepted} decline(s)"
    )


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
    print(f"  conversions:    {demo.directory / 'conversions.csv'}  (the brand's export, imported)")
    base = settings.unsubscribe_base_url
    print(f"  unsubscribe:    every email has List-Unsubscribe <{base}/u/...> and")
    print("                  List-Unsubscribe-Post (RFC 8058 one-click); in production that base")
    print("                  URL is `creatorflow web` served behind HTTPS")
    print(f"  database:       {settings.database_url}")
    from creatorflow.shell_hints import prefect_ui_command, ui_address

    print(f"  Prefect runs:   {prefect_ui_command(home)}")
    print(f"                  then open {ui_address()} (another port: change both 4200s)")
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
