"""The deliverability guard: hard bounces or complaints over the threshold pause sending.

Per sending mailbox and per campaign, over the last ``guard_window`` sends; resuming lets the
rest go, each message once (the SMTP server on loopback counts what arrived).
"""

from __future__ import annotations

import json
import mailbox
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from creatorflow.services.outreach.sending_pauses import resume_sending
from creatorflow.services.replies.mailbox import read_inbox
from creatorflow.settings import Settings
from tests.integration.smtpd import RecordingHandler, start_smtpd
from tests.support.environment import cli_in_process, settings_env
from tests.support.mail import arf_complaint
from tests.support.outbox import (
    ACTOR,
    event_kinds,
    follow_ups,
    outbox,
    record_inbound,
    send_first,
    shortlisted,
    statuses,
)
from tests.support.send_runs import loopback_smtp, smtp_settings

SLUG = "spring-glow"


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def config(settings: Settings, handler: RecordingHandler) -> Iterator[Settings]:
    # a window of 20: 5% is one bounce, so the second one pauses
    yield from loopback_smtp(settings, handler, guard_window=20)


def received(handler: RecordingHandler) -> list[str]:
    return sorted(r for item in handler.received for r in item.rcpt_tos)


def test_hard_bounces_over_the_threshold_pause_and_resuming_sends_the_rest_exactly_once(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, count=30)
    for dead in ("creator0002@mail.example", "creator0004@mail.example"):
        handler.refuse[dead] = "550 5.1.1 no such user"
    report = send_first(engine, config, now)
    assert [o.to for o in report.sent] == [f"creator000{i}@mail.example" for i in (0, 1, 3)]
    assert len(report.failed) == 2 and len(report.skipped) == 25
    assert report.pauses == [
        "sending paused for mailbox team@brand.example since 2027-03-01 09:00 UTC: 2 hard "
        "bounce(s) in the last 5 (counted as 20) sends (10.0% > 5.0%): clean the list before "
        "sending more; resume with `creatorflow campaign resume spring-glow`",
        "sending paused for campaign spring-glow since 2027-03-01 09:00 UTC: 2 hard "
        "bounce(s) in the last 5 (counted as 20) sends (10.0% > 5.0%): clean the list before "
        "sending more; resume with `creatorflow campaign resume spring-glow`",
    ]
    assert {o.reason for o in report.skipped} == {report.pauses[1]}
    assert event_kinds(engine)["sending_paused"] == 2
    assert len(handler.received) == 3

    held = send_first(engine, config, now + timedelta(hours=1))
    assert held.sent == [] and len(held.skipped) == 25 and len(held.pauses) == 2

    resumed = resume_sending(
        engine=engine,
        settings=config,
        campaign_slug=SLUG,
        now=now + timedelta(hours=2),
        actor=ACTOR,
    )
    assert [(p.scope, p.key) for p in resumed.resumed] == [
        ("mailbox", "team@brand.example"),
        ("campaign", SLUG),
    ]
    rest = send_first(engine, config, now + timedelta(hours=2))
    assert len(rest.sent) == 25 and rest.pauses == []
    assert again_sent_nothing(engine, config, now + timedelta(hours=3))
    counts = handler.count_by_recipient()
    assert len(counts) == 28 and set(counts.values()) == {1}
    assert statuses(engine) == {"sent": 28, "failed": 2}
    assert event_kinds(engine)["sending_resumed"] == 2


def again_sent_nothing(engine: object, config: Settings, at: datetime) -> bool:
    return send_first(engine, config, at).sent == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("classification", "count", "wording"),
    [
        ("complaint", 1, "1 spam complaint(s) in the last 3 (counted as 20) sends (5.00% > 0.30%)"),
        ("hard_bounce", 2, "2 hard bounce(s) in the last 3 (counted as 20) sends (10.0% > 5.0%)"),
    ],
)
def test_complaints_and_bounces_read_from_the_inbox_pause_the_follow_ups(
    config: Settings,
    handler: RecordingHandler,
    now: datetime,
    classification: str,
    count: int,
    wording: str,
) -> None:
    engine = shortlisted(config, now, count=3)
    assert len(send_first(engine, config, now).sent) == 3
    for message in outbox(engine)[:count]:
        record_inbound(engine, message, classification, now + timedelta(days=1))
    report = follow_ups(engine, config, now + timedelta(days=3))
    assert report.sent == [] and len(report.skipped) == 3
    assert all(wording in line for line in report.pauses) and len(report.pauses) == 2
    assert len(handler.received) == 3


def test_a_complaint_read_through_the_real_inbox_pauses_the_next_sending(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    """The two halves agree: what the inbox records is what the guard counts."""
    engine = shortlisted(config, now, count=3)
    send_first(engine, config, now)
    first = outbox(engine)[0]
    inbox = mailbox.Maildir(Path(config.inbox_url.get_secret_value().removeprefix("maildir://")))
    inbox.add(
        arf_complaint(
            recipient=first.to_address,
            original_message_id=first.message_id,
            message_id="<fbl-1@provider.example>",
        )
    )
    read = read_inbox(engine=engine, settings=config, now=now + timedelta(days=1), actor=ACTOR)
    assert read.counts["complaint"] == 1
    report = follow_ups(engine, config, now + timedelta(days=3))
    assert report.sent == [] and any("1 spam complaint(s)" in line for line in report.pauses)
    assert len(handler.received) == 3


def test_one_complaint_below_the_rate_over_a_full_window_does_not_pause(
    settings: Settings, handler: RecordingHandler, now: datetime
) -> None:
    controller = start_smtpd(handler)
    try:
        config = smtp_settings(
            settings, controller.port, guard_window=20, guard_complaint_rate=0.06
        )
        engine = shortlisted(config, now, count=3)
        send_first(engine, config, now)
        record_inbound(engine, outbox(engine)[0], "complaint", now)
        report = follow_ups(engine, config, now + timedelta(days=3))
    finally:
        controller.stop()
    assert len(report.sent) == 3 and report.pauses == []


def test_a_high_blocked_rate_warns_without_pausing(
    config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, count=5)
    for i in (0, 1, 2):
        handler.refuse[f"creator000{i}@mail.example"] = "550 5.7.1 rejected as spam"
    report = send_first(engine, config, now)
    assert len(report.sent) == 2 and len(report.failed) == 3 and report.pauses == []
    assert report.warnings == [
        "mailbox team@brand.example: 3 message(s) refused as policy or spam (5.7.x) in the "
        "last 3 (counted as 20) sends (15.0% > 10.0%): check SPF, DKIM, DMARC and content",
        "campaign spring-glow: 3 message(s) refused as policy or spam (5.7.x) in the "
        "last 3 (counted as 20) sends (15.0% > 10.0%): check SPF, DKIM, DMARC and content",
    ]


def test_status_shows_the_pause_and_resume_lifts_it_in_one_line_each(
    config: Settings,
    handler: RecordingHandler,
    now: datetime,
    app_env: Callable[[Mapping[str, str]], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = shortlisted(config, now, count=3)
    for i in (0, 1):
        handler.refuse[f"creator000{i}@mail.example"] = "550 5.1.1 no such user"
    send_first(engine, config, now)
    app_env(settings_env(config))
    run = cli_in_process(monkeypatch, capsys)

    def cli(*args: str) -> str:
        code, out, err = run(*args)
        assert (code, err) == (0, "")
        return out

    status = json.loads(cli("campaign", "status", SLUG, "--format", "json"))
    assert [(p["scope"], p["key"]) for p in status["sending_paused"]] == [
        ("mailbox", "team@brand.example"),
        ("campaign", SLUG),
    ]
    assert "sending paused for campaign spring-glow since 2027-03-01 09:00 UTC" in cli(
        "campaign", "status", SLUG
    )
    lines = cli("campaign", "resume", SLUG).splitlines()
    assert lines[0].startswith("resumed sending for mailbox (every campaign it sends) team@")
    assert lines[1].startswith(
        "resumed sending for campaign spring-glow, paused since 2027-03-01 09:00 UTC (2 hard"
    )
    assert cli("campaign", "resume", SLUG) == "nothing was paused for campaign spring-glow\n"
    assert json.loads(cli("campaign", "status", SLUG, "--format", "json"))["sending_paused"] == []
