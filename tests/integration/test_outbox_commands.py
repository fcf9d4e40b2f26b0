"""Unknowns are the operator's: `campaign outbox` names them, `campaign resolve` settles them.

Through the real entry point (``creatorflow.cli.main``) against a real SMTP server on loopback;
the server's ledger says what arrived.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from creatorflow.services.tracking.run_summary import tracking_summary_markdown
from creatorflow.services.tracking.status import campaign_status
from creatorflow.settings import Settings
from tests.integration.smtpd import RecordingHandler
from tests.support.environment import cli_in_process, settings_env
from tests.support.outbox import (
    follow_ups,
    outbox,
    send_first,
    shortlisted,
    stages,
    statuses,
)
from tests.support.send_runs import loopback_smtp

A, B, C = "ana@mail.example", "bo@mail.example", "cy@mail.example"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def config(settings: Settings, handler: RecordingHandler) -> Iterator[Settings]:
    yield from loopback_smtp(settings, handler)


@pytest.fixture
def cli(
    config: Settings,
    app_env: Callable[[Mapping[str, str]], None],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    app_env(settings_env(config))
    return cli_in_process(monkeypatch, capsys)


def unknown_first_email(config: Settings, handler: RecordingHandler, now: datetime) -> Engine:
    """One creator whose first email's final reply was lost: ``unknown``, and it did arrive."""
    engine = shortlisted(config, now, addresses=(A,))
    handler.drop_after_data = {A}
    send_first(engine, config, now)
    handler.drop_after_data = set()
    return engine


def received(handler: RecordingHandler) -> list[str]:
    return sorted(r for item in handler.received for r in item.rcpt_tos)


def test_outbox_names_every_unknown_failed_and_deferred_message(
    cli: Cli, config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A, B, C))
    handler.drop_after_data = {A}
    handler.final_replies[B] = ["550 5.1.1 no such user"]
    handler.final_replies[C] = ["451 4.3.0 later", "451 4.3.0 later"]
    send_first(engine, config, now)
    ids = {row.to_address: row.message_id for row in outbox(engine)}

    code, out, _ = cli("campaign", "outbox", "spring-glow", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert [(e["creator"], e["step"], e["status"]) for e in listed] == [
        ("instagram:ana", "initial", "unknown"),
        ("instagram:bo", "initial", "failed"),
        ("instagram:cy", "initial", "deferred"),
    ]
    assert [e["message_id"] for e in listed] == [ids[A], ids[B], ids[C]]
    assert all(e["at"] == now.isoformat() for e in listed)
    assert (listed[1]["smtp_code"], listed[1]["smtp_status"]) == (550, "5.1.1")
    assert listed[2]["next_try"] == (now + timedelta(minutes=30)).isoformat()

    code, out, _ = cli(
        "campaign", "outbox", "spring-glow", "--status", "failed", "--format", "json"
    )
    assert [e["creator"] for e in json.loads(out)] == ["instagram:bo"]
    code, out, _ = cli("campaign", "outbox", "spring-glow")
    assert code == 0 and ids[A] in out and "instagram:cy" in out
    code, _, err = cli("campaign", "outbox", "spring-glow", "--status", "sent")
    assert code == 1
    assert err == "error: --status: 'sent' is not one of unknown, failed, deferred\n"


def test_resolve_delivered_marks_it_sent_and_the_sequence_goes_on_from_it(
    cli: Cli, config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = unknown_first_email(config, handler, now)
    first_id = outbox(engine)[0].message_id
    code, out, err = cli(
        "campaign", "resolve", "spring-glow", "instagram:@Ana", "--step", "initial", "--delivered"
    )
    assert (code, err) == (0, "")
    assert out.startswith("instagram:ana initial in spring-glow: unknown -> sent")
    assert stages(engine) == {1: "contacted"}
    report = follow_ups(engine, config, now + timedelta(days=3))
    assert [o.step for o in report.sent] == ["follow_up_1"]
    assert handler.received[-1].message["In-Reply-To"] == first_id
    assert received(handler) == [A, A]  # the first email (it did arrive) and its follow-up


def test_resolve_not_delivered_sends_it_again_exactly_once_under_the_same_message_id(
    cli: Cli, config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = unknown_first_email(config, handler, now)
    handler.received.clear()  # the relay lost it: its log has no queue id for it
    first_id = outbox(engine)[0].message_id
    code, out, _ = cli(
        "campaign",
        "resolve",
        "spring-glow",
        "instagram:ana",
        "--step",
        "initial",
        "--not-delivered",
    )
    assert code == 0 and "unknown -> deferred" in out and "sends it once" in out
    # the hourly run retries a first email released by the operator, then never again
    report = follow_ups(engine, config, now + timedelta(hours=1))
    assert [(o.step, o.message_id) for o in report.sent] == [("initial", first_id)]
    assert follow_ups(engine, config, now + timedelta(hours=2)).sent == []
    assert send_first(engine, config, now + timedelta(hours=3)).sent == []
    assert received(handler) == [A]
    assert handler.received[0].message["Message-ID"] == first_id
    assert statuses(engine) == {"sent": 1} and stages(engine) == {1: "contacted"}
    code, _, err = cli(
        "campaign", "resolve", "spring-glow", "instagram:ana", "--step", "initial", "--delivered"
    )
    assert code == 1
    assert err == "error: instagram:ana initial in spring-glow is sent: nothing to resolve\n"


def test_resolve_refuses_what_it_cannot_settle_in_one_line(
    cli: Cli, config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A, B))
    handler.final_replies[A] = ["550 5.1.1 no such user"]
    send_first(engine, config, now)
    base = ("campaign", "resolve", "spring-glow")
    code, _, err = cli(*base, "instagram:ana", "--step", "initial")
    assert (code, err) == (
        1,
        "error: campaign resolve needs exactly one of --delivered or --not-delivered\n",
    )
    code, _, err = cli(*base, "instagram:ana", "--step", "initial", "--not-delivered")
    assert code == 1
    assert err.startswith("error: instagram:ana: ana@mail.example is suppressed (hard bounce")
    code, _, err = cli(*base, "instagram:zed", "--step", "initial", "--delivered")
    assert (code, err) == (
        1,
        "error: no 'initial' message to instagram:zed in campaign spring-glow\n",
    )
    code, _, err = cli(*base, "instagram:bo", "--step", "follow_up_1", "--delivered")
    assert code == 1 and "no 'follow_up_1' message to instagram:bo" in err
    assert statuses(engine) == {"failed": 1, "sent": 1}


def test_a_follow_up_waits_while_the_earlier_step_is_unresolved_and_says_so(
    cli: Cli, config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A,))
    send_first(engine, config, now)
    handler.drop_after_data = {A}
    assert len(follow_ups(engine, config, now + timedelta(days=3)).unknown) == 1
    handler.drop_after_data = set()
    held = follow_ups(engine, config, now + timedelta(days=7))
    [waiting] = held.waiting
    unknown_id = next(r.message_id for r in outbox(engine) if r.step == "follow_up_1")
    assert (waiting.creator, waiting.step, waiting.message_id) == (
        "instagram:ana",
        "follow_up_2",
        unknown_id,
    )
    assert "waits for follow_up_1 (unknown since 2027-03-04 09:00 UTC" in (waiting.reason or "")
    assert "creatorflow campaign resolve spring-glow instagram:ana --step follow_up_1" in (
        waiting.reason or ""
    )
    assert held.sent == [] and received(handler) == [A, A]
    code, _, _ = cli(
        "campaign",
        "resolve",
        "spring-glow",
        "instagram:ana",
        "--step",
        "follow_up_1",
        "--delivered",
    )
    assert code == 0
    again = follow_ups(engine, config, now + timedelta(days=7, hours=1))
    assert [o.step for o in again.sent] == ["follow_up_2"] and again.waiting == []


def test_status_and_the_tracking_summary_name_every_message_that_did_not_surely_arrive(
    cli: Cli, config: Settings, handler: RecordingHandler, now: datetime
) -> None:
    engine = shortlisted(config, now, addresses=(A, B))
    handler.drop_after_data = {A}
    handler.final_replies[B] = ["550 5.7.1 rejected as spam"]
    report = send_first(engine, config, now)
    ids = {row.to_address: row.message_id for row in outbox(engine)}

    status = campaign_status(engine=engine, campaign_slug="spring-glow").as_json()
    assert [(p["creator"], p["status"], p["message_id"]) for p in status["send_problems"]] == [
        ("instagram:ana", "unknown", ids[A]),
        ("instagram:bo", "failed", ids[B]),
    ]
    code, out, _ = cli("campaign", "status", "spring-glow")
    assert code == 0
    assert f"outbox unknown: instagram:ana initial at {now.isoformat()} Message-ID {ids[A]}" in out
    assert f"outbox failed: instagram:bo initial at {now.isoformat()} Message-ID {ids[B]}" in out

    markdown = tracking_summary_markdown(
        {
            "as_of": now.isoformat(),
            "campaigns": ["spring-glow"],
            "follow_ups": {"spring-glow": report.counts()},
            "send_problems": report.problems(),
        }
    )
    assert "## Send problems" in markdown
    assert f"| instagram:ana | initial | unknown | {now.isoformat()} | {ids[A]} |" in markdown
    assert f"| instagram:bo | initial | failed | {now.isoformat()} | {ids[B]} |" in markdown
    assert "creatorflow campaign resolve SLUG PLATFORM:HANDLE" in markdown
