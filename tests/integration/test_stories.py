"""Instagram Stories end to end: the sandbox's signed story mention over loopback HTTP, the story
deliverable in ``campaign status`` (live, then expired) and in the report (counted apart from
the API's figures), the request for results sent once, the creator's figures recorded, and the
operator matching a story Meta did not name the sender of."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.clients import platform_clients
from creatorflow.sandbox import SANDBOX_BRAND_IG_USER_ID, SANDBOX_BRAND_USERNAME, World
from creatorflow.sandbox.instagram_webhooks import WebhookSender
from creatorflow.services.reporting.reports import build_report
from creatorflow.services.tracking.mentions import MentionsReport, process_mentions
from creatorflow.services.tracking.status import campaign_status
from creatorflow.services.tracking.story_results import (
    record_story_results,
    request_story_results,
)
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Deliverable, OutreachMessage
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign
from tests.support.environment import cli_in_process, settings_env

ACTOR = "test:stories"


def work_inbox(settings: Settings, at: datetime) -> MentionsReport:
    """What the tracking run does with the webhook inbox."""
    with platform_clients(settings) as clients:
        return process_mentions(
            engine=engine_for(settings.database_url), clients=clients, now=at, actor=ACTOR
        )


def mails(settings: Settings) -> list[str]:
    folder = Path(settings.mail_url.get_secret_value().removeprefix("maildir://")) / "new"
    return [p.read_text() for p in folder.iterdir()] if folder.exists() else []


def test_a_story_mention_reaches_status_and_report_and_results_are_asked_once(
    sender: WebhookSender, hooked: Settings, mia_enrolled: Engine, world: World, now: datetime
) -> None:
    engine = mia_enrolled
    posted = now + timedelta(days=2, hours=1)
    feed = world.add_post(
        "instagram", "mia.glow", text=f"@{SANDBOX_BRAND_USERNAME} #ad", published_at=posted
    )
    sender.caption_mention(feed)
    story = sender.story_mention("mia.glow", at=posted)
    world.set_now(posted + timedelta(minutes=5))
    assert sender.deliver_due() == [200, 200]

    report = work_inbox(hooked, world.now())
    assert (len(report.new_deliverables), len(report.stories)) == (1, 1)
    live = campaign_status(engine=engine, campaign_slug="spring-glow", now=world.now())
    [shown] = live.stories
    assert (shown.creator, shown.state, shown.media_url) == (
        "instagram:mia.glow",
        "live",
        story.url,
    )
    assert shown.results == "waiting"
    with session_scope(engine) as session:  # the media itself is never stored: only its URL
        row = session.scalars(select(Deliverable).where(Deliverable.kind == "story")).one()
        assert (row.provenance, row.media_url, row.expires_at) == (
            "mention",
            story.url,
            story.expires_at,
        )

    expired_at = story.expires_at + timedelta(hours=1)
    before = request_story_results(
        engine=engine, settings=hooked, campaign_slug=None, now=posted, actor=ACTOR
    )
    asked = [
        request_story_results(
            engine=engine, settings=hooked, campaign_slug="spring-glow", now=at, actor=ACTOR
        )
        for at in (expired_at, expired_at, expired_at + timedelta(hours=1))
    ]
    assert before.planned == 0  # still live: its figures are not final
    assert [a.counts().get("sent", 0) for a in asked] == [1, 0, 0]
    [mail] = mails(hooked)
    assert "Spring Glow 2027" in mail and "link taps" in mail
    status = campaign_status(engine=engine, campaign_slug="spring-glow", now=expired_at)
    assert [(s.state, s.media_url, s.results) for s in status.stories] == [
        ("expired", None, "asked")
    ]

    missing = build_report(engine=engine, settings=hooked, slug="spring-glow", as_of=expired_at)
    assert missing.figures.overall.inputs.posts == 1  # the API's figures: the feed post only
    assert "Instagram Stories" in missing.html_files and "1 still missing" in missing.html_files

    record_story_results(
        engine=engine,
        campaign_slug="spring-glow",
        creator="instagram:@Mia.Glow",
        views=12_345,
        reach=9_000,
        taps=40,
        replies=None,
        now=expired_at + timedelta(hours=2),
        actor=ACTOR,
    )
    after = build_report(
        engine=engine, settings=hooked, slug="spring-glow", as_of=expired_at + timedelta(hours=3)
    )
    assert "12,345" in after.html_files and "0 still missing" in after.html_files
    assert "INSTAGRAM STORIES" in after.text and "12,345" in after.text
    assert (
        "INSTAGRAM STORIES"
        not in build_report(
            engine=engine, settings=hooked, slug="spring-glow", as_of=posted - timedelta(hours=1)
        ).text
    )  # before the story: no section at all
    assert "0 of 1 stories reported" in after.html_files  # replies: left out, not zero
    assert after.figures.overall.inputs.views == missing.figures.overall.inputs.views
    with session_scope(engine) as session:
        steps = session.scalars(select(OutreachMessage.step)).all()
    assert steps == [f"story_results_{shown.deliverable_id}"]


def test_a_story_whose_sender_meta_does_not_name_waits_for_the_operator(
    sender: WebhookSender,
    hooked: Settings,
    mia_enrolled: Engine,
    world: World,
    now: datetime,
    app_env: Callable[[dict[str, str]], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = mia_enrolled
    at = now + timedelta(days=3)
    sender.story_mention("mia.glow", at=at, consented=False)
    world.set_now(at)
    assert sender.deliver_due() == [200]
    assert work_inbox(hooked, at).unmatched == 1
    app_env(settings_env(hooked))
    cli = cli_in_process(monkeypatch, capsys)

    code, out, _ = cli("campaign", "status", "spring-glow")
    assert code == 0 and "waits for a match" in out
    [waiting] = campaign_status(engine=engine, campaign_slug="spring-glow").stories_unmatched
    event = str(waiting["event_id"])
    code, out, err = cli("campaign", "story-results", "spring-glow", "instagram:mia.glow")
    assert code == 1 and "give at least one of --views" in err
    code, out, err = cli(
        "campaign", "story-results", "spring-glow", "instagram:mia.glow", "--views", "1"
    )
    assert code == 1 and "no story recorded" in err

    code, out, _ = cli("campaign", "match-story", "spring-glow", event, "instagram:mia.glow")
    assert code == 0 and out.startswith("recorded: story")
    code, _, err = cli("campaign", "match-story", "spring-glow", event, "instagram:mia.glow")
    assert code == 1 and "not waiting for a match" in err
    assert work_inbox(hooked, at).processed == 0  # matched: nothing left for the run

    args = ("--views", "800", "--reach", "600", "--taps", "12", "--replies", "2")
    code, out, _ = cli("campaign", "story-results", "spring-glow", "instagram:mia.glow", *args)
    assert code == 0 and "provenance submitted" in out
    code, _, err = cli("campaign", "story-results", "spring-glow", "instagram:mia.glow", *args)
    assert code == 1 and "every story of instagram:mia.glow has figures" in err
    code, out, _ = cli("campaign", "status", "spring-glow")
    assert "results submitted (views 800, reach 600, taps 12, replies 2)" in out
    assert "waits for a match" not in out


def test_a_comment_mention_counts_only_on_the_creators_own_media(
    sender: WebhookSender, hooked: Settings, mia_enrolled: Engine, world: World, now: datetime
) -> None:
    engine = mia_enrolled
    world.add_account("instagram", "stranger")
    at = now + timedelta(days=1)
    own = world.add_post("instagram", "mia.glow", text="my routine #ad", published_at=at)
    theirs = world.add_post("instagram", "stranger", text="look", published_at=at)
    brand = f"@{SANDBOX_BRAND_USERNAME}"
    sender.comment_mention(own, author="mia.glow", text=f"thanks {brand}!", at=at)
    sender.comment_mention(theirs, author="mia.glow", text=f"love {brand}", at=at)
    world.set_now(at)
    assert sender.deliver_due() == [200, 200]
    report = work_inbox(hooked, at)
    with session_scope(engine) as session:
        recorded = session.scalars(select(Deliverable.post_id)).all()
    assert recorded == [own.post_id]
    assert (len(report.new_deliverables), report.ignored) == (1, 1)


def test_the_sandbox_answers_mentioned_comment_in_the_recorded_comment_shape(
    sender: WebhookSender, hooked: Settings, world: World, now: datetime
) -> None:
    from tests.integration.platforms.test_sandbox_shapes import reference

    world.add_account("instagram", "mia.glow")
    post = world.add_post("instagram", "mia.glow", text="routine", published_at=now)
    comment_id = sender.comment_mention(post, author="mia.glow", text="@lumenskincare <3")
    fields = "id,text,timestamp,username,media{id,caption,username}"
    answer = requests.get(
        f"{sender.server.url}/v25.0/{SANDBOX_BRAND_IG_USER_ID}",
        params={
            "fields": f"mentioned_comment.comment_id({comment_id}){{{fields}}}",
            "access_token": hooked.instagram_access_token.get_secret_value(),  # type: ignore[union-attr]
        },
        timeout=5,
    ).json()
    captured = reference(
        "instagram/bk-rs_instagram-apis-rs_v14.0/ig_comment_17857647179815901__reading.json"
    )
    assert set(answer["mentioned_comment"]) <= set(captured)
    assert answer["mentioned_comment"]["media"]["id"] == post.post_id
    with platform_clients(hooked) as clients:
        found = clients(Platform.INSTAGRAM).mentioned_comment(comment_id)  # type: ignore[attr-defined]
    assert (found.author, found.text, found.media.post_id) == (
        "mia.glow",
        "@lumenskincare <3",
        post.post_id,
    )


def test_story_sql_runs_alike_on_sqlite_and_postgresql(engine: Engine, now: datetime) -> None:
    """Recording, planning the one request, recording results and the report's sums."""
    from creatorflow.services.reporting.story_figures import story_figures
    from creatorflow.services.tracking.mentions import pending_events, receive_notification
    from creatorflow.services.tracking.stories import store_story
    from creatorflow.services.tracking.story_results import plan_story_requests
    from creatorflow.storage.campaigns import campaign_by_id
    from creatorflow.storage.models import Enrollment

    campaign_id = add_campaign(engine, now=now)
    enrollment_id = enroll(engine, campaign_id, ("instagram", "mia.glow", None), now=now)
    item = {"sender": {"id": "1"}, "timestamp": int(now.timestamp() * 1000)}
    item["message"] = {"mid": "m1", "attachments": [{"type": "story_mention", "payload": {}}]}
    body = {"object": "instagram", "entry": [{"id": "17841405309211844", "messaging": [item]}]}
    receive_notification(engine=engine, payload=body, brand_account=None, now=now)
    [event] = pending_events(engine, now=now)
    with session_scope(engine) as session:
        enrollment = session.get(Enrollment, enrollment_id)
        session.expunge_all()
    assert enrollment is not None
    story_id, created = store_story(engine, enrollment, event, now=now, actor=ACTOR)
    assert created and store_story(engine, enrollment, event, now=now, actor=ACTOR) == (
        story_id,
        False,
    )
    with session_scope(engine) as session:
        campaign = campaign_by_id(session, campaign_id)
    later = now + timedelta(hours=25)
    [email] = plan_story_requests(engine=engine, campaign=campaign, now=later)
    assert email.step == f"story_results_{story_id}"
    assert plan_story_requests(engine=engine, campaign=campaign, now=now) == []  # still live
    record_story_results(
        engine=engine,
        campaign_slug="spring-glow",
        creator="instagram:mia.glow",
        views=5,
        reach=4,
        taps=None,
        replies=0,
        now=later,
        actor=ACTOR,
    )
    assert plan_story_requests(engine=engine, campaign=campaign, now=later) == []  # reported
    figures = story_figures(engine=engine, campaign_id=campaign_id, as_of=later)
    assert (
        figures.stories,
        figures.missing,
        figures.sums["views"],
        figures.known["link_taps"],
    ) == (
        1,
        0,
        5,
        0,
    )
