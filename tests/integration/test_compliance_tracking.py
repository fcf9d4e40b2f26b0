"""Sponsored-post compliance over simulated days: caption history and change events on every
platform (sandbox servers, real adapters), nudges once through the outbox, waivers."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from creatorflow.errors import InputError
from creatorflow.sandbox import World
from creatorflow.services.reporting.compliance_figures import compliance_view
from creatorflow.services.reporting.reports import build_report
from creatorflow.services.tracking import detection, polling
from creatorflow.services.tracking.compliance import waive_problems
from creatorflow.services.tracking.compliance_nudges import send_compliance_nudges
from creatorflow.services.tracking.compliance_status import open_problems, problem_line
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import (
    CaptionVersion,
    ComplianceProblem,
    Event,
    OutreachMessage,
)
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign
from tests.support.cli import run_main
from tests.support.concurrency import run_together
from tests.support.trouble import SandboxClients

ACTOR = "test:compliance"
CHANGE_EVENTS = (
    "caption_recorded",
    "disclosure_added",
    "disclosure_removed",
    "caption_changed",
    "post_removed_early",
)


@pytest.fixture
def clients(make_settings: Callable[..., Settings]) -> Iterator[SandboxClients]:
    """Real adapters against the sandbox, one per platform, closed at the end."""
    with SandboxClients(make_settings, http_max_retries=1) as made:
        yield made


def track(engine: Engine, clients: SandboxClients, at: datetime) -> None:
    """What a tracking run does for compliance: detection's feed reads, then a polling round."""
    for batch in detection.plan_detection(engine=engine, campaign_slug="spring-glow"):
        detection.detect_deliverables(
            engine=engine, clients=clients, batch=batch, now=at, actor=ACTOR
        )
    polling.poll_round(engine=engine, clients=clients, campaign_slug=None, now=at, actor=ACTOR)


def changes(engine: Engine) -> list[tuple[str, str | None]]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(Event).where(Event.kind.in_(CHANGE_EVENTS)).order_by(Event.id)
        ).all()
        return [(e.kind, e.detail.get("verdict")) for e in rows]


def problems(engine: Engine) -> list[tuple[str, str | None]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(ComplianceProblem).order_by(ComplianceProblem.id)).all()
        return [(p.kind, p.closed_reason) for p in rows]


PLATFORM_POSTS = {
    # platform, handle, title, and the caption's versions over the days
    "youtube": ("glowwithmia", "My #springglow routine", "description"),
    "instagram": ("mia.glow", None, "caption"),
    "tiktok": ("miaglow", "glow", "description"),
}


@pytest.mark.parametrize("platform", sorted(PLATFORM_POSTS))
def test_every_change_of_a_caption_is_an_event_with_its_verdict(
    platform: str, settings: Settings, world: World, clients: SandboxClients, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    handle, title, _ = PLATFORM_POSTS[platform]
    account = world.add_account(platform, handle, followers=20_000)
    enroll(engine, campaign, account, now=now)
    post = world.add_post(
        platform,
        handle,
        title=title,
        text="Mi rutina de primavera 🌸 con @lumenskincare #springglow",
        published_at=now,
    )
    hour = timedelta(hours=1)
    track(engine, clients, now + hour)  # detected: no disclosure
    track(engine, clients, now + 2 * hour)  # polled again, unchanged: no new version
    world.update_post(post.post_id, text="#Publicidad ✨ Mi rutina 🌸 #springglow")
    track(engine, clients, now + 3 * hour)
    world.update_post(post.post_id, text="Mi rutina 🌸\n\n#springglow #glow #skincare #publicidad")
    track(engine, clients, now + 4 * hour)
    world.update_post(post.post_id, text="Mi rutina 🌷\n\n#springglow #glow #skincare #publicidad")
    track(engine, clients, now + 5 * hour)
    world.delete_post(post.post_id)
    track(engine, clients, now + 6 * hour)  # gone after hours, not 30 days: early

    assert changes(engine) == [
        ("caption_recorded", "missing"),
        ("disclosure_added", "disclosed"),
        ("disclosure_removed", "buried"),
        ("caption_changed", "buried"),
        ("post_removed_early", None),
    ]
    assert problems(engine) == [
        ("missing", "fixed"),
        ("buried", "gone"),
        ("removed_early", None),
    ]
    with session_scope(engine) as session:
        versions = session.scalars(select(CaptionVersion).order_by(CaptionVersion.seq)).all()
        assert [v.seq for v in versions] == [1, 2, 3, 4]
        assert versions[0].first_seen_at == now + hour
        assert versions[0].last_seen_at == now + 2 * hour
        assert versions[1].marker == "#publicidad" and versions[1].position == 0
        assert versions[2].found == "#publicidad" and versions[2].title == title
        event = session.scalars(select(Event).where(Event.kind == "disclosure_removed")).one()
        assert event.detail["post_id"] == post.post_id
        assert event.detail["creator"] == f"{platform}:{handle}"
        assert event.creator_id is not None


def _mails(folder: Path) -> list[mailbox.MaildirMessage]:
    """The messages the settings' maildir outbox (``tmp_path / "outbox"``) holds."""
    return list(mailbox.Maildir(folder, create=False)) if folder.exists() else []


def _nudge(engine: Engine, settings: Settings, at: datetime) -> dict[str, int]:
    return send_compliance_nudges(
        engine=engine, settings=settings, campaign_slug="spring-glow", now=at, actor=ACTOR
    ).counts()


def test_one_nudge_per_problem_under_reruns_then_one_reminder_then_waived(
    settings: Settings, world: World, clients: SandboxClients, now: datetime, tmp_path: Path
) -> None:
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    account = world.add_account("instagram", "mia.glow", followers=20_000)
    enroll(engine, campaign, account, now=now)
    post = world.add_post(
        "instagram", "mia.glow", text="Morning glow ☀️ #springglow #glow #ad", published_at=now
    )
    start = now + timedelta(hours=1)
    track(engine, clients, start)
    assert _nudge(engine, settings, start)["sent"] == 1
    assert _nudge(engine, settings, start + timedelta(minutes=5)) == {"planned": 0}
    track(engine, clients, start + timedelta(hours=2))  # unchanged: no second problem
    assert _nudge(engine, settings, start + timedelta(days=1)) == {"planned": 0}
    assert _nudge(engine, settings, start + timedelta(days=3))["sent"] == 1  # the reminder
    assert _nudge(engine, settings, start + timedelta(days=4)) == {"planned": 0}

    mails = _mails(tmp_path / "outbox")
    assert len(mails) == 2
    bodies = [m.get_payload(0).get_payload(decode=True).decode() for m in mails]
    assert all("#ad" in body and "first 125 characters" in body for body in bodies)
    assert sorted(str(m["Subject"]).startswith("Reminder:") for m in mails) == [False, True]
    with session_scope(engine) as session:
        steps = session.scalars(select(OutreachMessage.step).order_by(OutreachMessage.id)).all()
        problem = session.scalars(select(ComplianceProblem)).one()
        assert steps == [f"compliance_{problem.id}", f"compliance_{problem.id}_reminder"]
        assert problem.kind == "buried"
        assert problem.nudged_at == start and problem.reminded_at == start + timedelta(days=3)

    with pytest.raises(InputError, match="after the waiver's time"):  # closed before opened
        waive_problems(
            engine=engine,
            campaign_slug="spring-glow",
            post_id=post.post_id,
            reason="too early",
            now=problem.opened_at - timedelta(seconds=1),
            actor="cli:campaign waive",
        )
    assert problems(engine) == [("buried", None)]
    waived = waive_problems(
        engine=engine,
        campaign_slug="spring-glow",
        post_id=post.post_id,
        reason="brand agreed: the Reel carries the paid-partnership label",
        now=start + timedelta(days=5),
        actor="cli:campaign waive",
    )
    assert waived == [problem.id]
    # the caption changes but keeps the same verdict: the waiver holds, nothing reopens
    world.update_post(post.post_id, text="Morning glow 🌞 #springglow #glow #ad")
    track(engine, clients, start + timedelta(days=5, hours=1))
    assert problems(engine) == [("buried", "waived")]
    assert _nudge(engine, settings, start + timedelta(days=6)) == {"planned": 0}


def test_evidence_status_attention_and_report_show_the_history(
    settings: Settings, world: World, clients: SandboxClients, now: datetime, tmp_path: Path
) -> None:
    """One creator forgets the disclosure and fixes it after the nudge, one deletes early; the
    export run twice for the same --as-of gives identical files, a later one shows more."""
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    forgets = world.add_account("youtube", "glowwithmia", followers=20_000)
    deletes = world.add_account("tiktok", "miaglow", followers=20_000)
    for account in (forgets, deletes):
        enroll(engine, campaign, account, now=now)
    late = world.add_post(
        "youtube", forgets.handle, title="Spring #springglow", text="My routine", published_at=now
    )
    early = world.add_post(
        "tiktok", deletes.handle, title="glow", text="#ad #springglow 🌸", published_at=now
    )
    start = now + timedelta(hours=1)
    # the sandbox changes the posts over simulated time: the fix after the nudge, the deletion
    world.plan_edit(late.post_id, start + timedelta(hours=20), text="Anzeige: My routine")
    world.plan_removal(early.post_id, start + timedelta(hours=20))
    world.set_now(start)
    track(engine, clients, start)
    _nudge(engine, settings, start)
    attention = run_main("campaign", "status", "spring-glow", env=_env(settings))
    assert attention.code == 0, attention.err
    assert "compliance: youtube:glowwithmia: 1 missing, no ad disclosure (nudged" in attention.out
    world.set_now(start + timedelta(days=1))
    track(engine, clients, start + timedelta(days=1))

    with session_scope(engine) as session:
        attention_items = open_problems(session, campaign_slugs=["spring-glow"])
    assert [(i["account"], i["kind"]) for i in attention_items] == [
        ("tiktok:miaglow", "removed_early")
    ]
    assert "campaign waive spring-glow" in problem_line(attention_items[0])

    out = tmp_path / "evidence"
    mid = (start + timedelta(hours=1)).isoformat()
    args = ("campaign", "evidence", "spring-glow", "--out", str(out), "--as-of", mid)
    first = run_main(*args, env=_env(settings))
    assert first.code == 0, first.err
    files = sorted(out.iterdir())
    before = [f.read_bytes() for f in files]
    assert run_main(*args, env=_env(settings)).code == 0
    assert [f.read_bytes() for f in sorted(out.iterdir())] == before
    record = json.loads((out / "spring-glow-compliance.json").read_text())
    history = {p["post_id"]: p for p in record["posts"]}
    assert [v["verdict"] for v in history[late.post_id]["versions"]] == ["missing"]
    assert history[late.post_id]["problems"][0]["closed_at"] is None  # not fixed yet then
    assert history[early.post_id]["status"] == "live"

    later = (start + timedelta(days=2)).isoformat()
    assert run_main(*args[:-1], later, env=_env(settings)).code == 0
    record = json.loads((out / "spring-glow-compliance.json").read_text())
    history = {p["post_id"]: p for p in record["posts"]}
    assert [v["verdict"] for v in history[late.post_id]["versions"]] == ["missing", "disclosed"]
    seen = [(v["first_seen_at"], v["last_seen_at"]) for v in history[late.post_id]["versions"]]
    fixed_at = (start + timedelta(days=1)).isoformat()
    assert seen == [(start.isoformat(), start.isoformat()), (fixed_at, fixed_at)]
    assert history[late.post_id]["problems"][0]["closed_reason"] == "fixed"
    assert history[early.post_id]["status"] == "gone"
    assert [p["kind"] for p in history[early.post_id]["problems"]] == ["removed_early"]
    rows = (out / "spring-glow-compliance.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 and rows[0].startswith("creator,platform,post_id")

    view = compliance_view(engine=engine, campaign_id=campaign, as_of=start + timedelta(days=2))
    assert view["totals"] == ["2", "1", "1", "0", "1"]
    report = build_report(
        engine=engine, settings=settings, slug="spring-glow", as_of=start + timedelta(days=2)
    )
    assert "Ad disclosure" in report.html_files and "fixed after a nudge" in report.html_files


def _env(settings: Settings) -> dict[str, str | None]:
    return {"CREATORFLOW_DATABASE_URL": settings.database_url}


@pytest.mark.postgres
def test_two_overlapping_tracking_runs_record_and_nudge_each_problem_once(
    postgres_url: str,
    settings: Settings,
    world: World,
    make_settings: Callable[..., Settings],
    now: datetime,
    tmp_path: Path,
) -> None:
    engine = engine_for(postgres_url)
    config = settings.model_copy(update={"database_url": postgres_url})
    campaign = add_campaign(engine, now=now)
    for platform, handle in (("youtube", "glowwithmia"), ("instagram", "mia.glow")):
        enroll(engine, campaign, world.add_account(platform, handle, followers=9_000), now=now)
        world.add_post(platform, handle, text="my routine #springglow", published_at=now)
    at = now + timedelta(hours=1)

    def run() -> dict[str, int]:
        made = SandboxClients(make_settings, http_max_retries=1)
        try:
            track(engine, made, at)
            return _nudge(engine, config, at)
        finally:
            made.close()

    results, errors = run_together([run, run])
    assert errors == []
    assert sum(r.get("sent", 0) for r in results) == 2  # one per post, whichever run sent it
    assert [kind for kind, _ in changes(engine)] == ["caption_recorded"] * 2
    assert problems(engine) == [("missing", None), ("missing", None)]
    with session_scope(engine) as session:
        steps = session.scalars(select(OutreachMessage.step)).all()
    assert len(steps) == len(set(steps)) == 2
    assert len(_mails(tmp_path / "outbox")) == 2


def test_waive_and_evidence_refuse_bad_input_with_one_line(
    settings: Settings, now: datetime, tmp_path: Path
) -> None:
    engine = engine_for(settings.database_url)
    add_campaign(engine, now=now)
    unknown = run_main(
        "campaign", "waive", "spring-glow", "nope", "--reason", "x", env=_env(settings)
    )
    assert unknown.code != 0 and "has no post 'nope'" in unknown.err
    blank = run_main(
        "campaign", "waive", "spring-glow", "nope", "--reason", " ", env=_env(settings)
    )
    assert blank.code != 0 and "--reason" in blank.err
    taken = tmp_path / "a-file"
    taken.write_text("keep")
    refused = run_main(
        "campaign", "evidence", "spring-glow", "--out", str(taken), env=_env(settings)
    )
    assert refused.code != 0 and "--out" in refused.err and len(refused.err.splitlines()) == 1
    assert taken.read_text() == "keep"
    bad_time = run_main(
        "campaign",
        "evidence",
        "spring-glow",
        "--out",
        str(tmp_path),
        "--as-of",
        "soon",
        env=_env(settings),
    )
    assert bad_time.code != 0 and "--as-of" in bad_time.err
    assert list(tmp_path.glob("*-compliance.*")) == []
