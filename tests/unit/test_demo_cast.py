"""The demo's simulated creators answer real mail the way creatorflow's inbox reader expects."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from creatorflow.demo.cast import Cast, Fate, Person
from creatorflow.demo.environment import MARKER, demo_environment, prepare_directory
from creatorflow.domain.classify import Kind, classify
from creatorflow.domain.model import Platform
from creatorflow.errors import InputError
from creatorflow.sandbox import World
from creatorflow.services.creators.tier_rules import load_default_tier_rules
from creatorflow.settings import PROJECT_ROOT

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def _send(
    outbox: Path, to: str, subject: str, message_id: str, body: str = "Would you like to?"
) -> None:
    msg = EmailMessage()
    msg["From"] = "Glow Team <team@glow-brand.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Mon, 01 Mar 2027 09:00:00 +0000"
    msg.set_content(body)
    mailbox.Maildir(outbox, create=True).add(msg)


def _inbox(inbox: Path) -> list[tuple[Kind, tuple[str, ...]]]:
    found = []
    for raw in (p.read_bytes() for p in sorted((inbox / "new").iterdir())):
        parsed = message_from_bytes(raw, policy=default)
        result = classify(parsed, raw)  # type: ignore[arg-type]
        found.append((result.kind, result.referenced_ids))
    return found


def _cast(*fates: Fate) -> Cast:
    people = [
        Person(f"p{i}@creators.example", f"P {i}", [(Platform.TIKTOK, f"p{i}")], 20_000, fate)
        for i, fate in enumerate(fates)
    ]
    return Cast(people, load_default_tier_rules(PROJECT_ROOT / "config"))


def test_people_answer_the_mail_they_received_as_their_fate_says(tmp_path: Path) -> None:
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    cast = _cast(Fate.ACCEPT, Fate.DECLINE, Fate.BOUNCE, Fate.AUTO_REPLY, Fate.SILENT)
    for i in range(5):
        _send(outbox, f"p{i}@creators.example", "Spring collab", f"<m{i}@glow-brand.example>")

    answers = cast.read_mail(outbox, inbox, now=NOW)

    assert [(a.person.email, a.accepted) for a in answers] == [
        ("p0@creators.example", True),
        ("p1@creators.example", False),
    ]
    assert sorted(_inbox(inbox)) == sorted(
        [
            (Kind.REPLY, ("<m0@glow-brand.example>",)),
            (Kind.REPLY, ("<m1@glow-brand.example>",)),
            (Kind.HARD_BOUNCE, ("<m2@glow-brand.example>",)),
            (Kind.AUTO_REPLY, ("<m3@glow-brand.example>",)),
        ]
    )
    assert cast.read_mail(outbox, inbox, now=NOW) == []  # each message is read once


def test_a_late_accepter_answers_the_follow_up_not_the_first_email(tmp_path: Path) -> None:
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    cast = _cast(Fate.ACCEPT_AFTER_FOLLOW_UP)
    _send(outbox, "p0@creators.example", "Spring collab", "<first@glow-brand.example>")
    assert cast.read_mail(outbox, inbox, now=NOW) == []
    _send(outbox, "p0@creators.example", "Re: Spring collab", "<second@glow-brand.example>")
    answers = cast.read_mail(outbox, inbox, now=NOW)
    assert [a.accepted for a in answers] == [True]
    assert _inbox(inbox) == [(Kind.REPLY, ("<second@glow-brand.example>",))]


def test_expected_funnel_counts_people_who_said_yes_and_posted(tmp_path: Path) -> None:
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    cast = _cast(Fate.ACCEPT, Fate.ACCEPT_LATE, Fate.DECLINE)
    world = World(now=NOW)
    cast.populate(world, now=NOW)
    for i in range(3):
        _send(outbox, f"p{i}@creators.example", "Spring collab", f"<m{i}@glow-brand.example>")
    for answer in cast.read_mail(outbox, inbox, now=NOW):
        if answer.accepted:
            answer.person.accepted_at = NOW
            link = f"https://glow.example/s?utm_source=tiktok&utm_content={answer.person.email[:2]}"
            _send(outbox, answer.person.email, "Your brief", "<b@x>", f"Your link: {link}\n")
    cast.read_mail(outbox, inbox, now=NOW)  # the briefs: which account, link and code
    cast.publish(world, now=NOW.replace(day=5))  # on time: posted; late: not yet
    assert dict(cast.expected_funnel()["micro"]) == {"contacted": 3, "accepted": 2, "posted": 1}
    assert len(world.posts_of(Platform.TIKTOK, "p0")) == 4  # three ordinary posts + the campaign's


def test_a_creator_posts_on_the_account_the_brief_names(tmp_path: Path) -> None:
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    person = Person(
        "p@creators.example",
        "P",
        [(Platform.YOUTUBE, "pyt"), (Platform.INSTAGRAM, "p.ig")],
        20_000,
        Fate.ACCEPT,
    )
    cast = Cast([person], load_default_tier_rules(PROJECT_ROOT / "config"), {"micro": 500})
    world = World(now=NOW)
    cast.populate(world, now=NOW)
    person.accepted_at, person.answered = NOW, True
    link = "https://glow.example/s?utm_source=instagram&utm_medium=influencer&utm_content=p.ig"
    brief = f"Your link: {link}\nYour promo code: GLOWDEMO-PIG-ABCDEF\n"
    _send(outbox, person.email, "Your brief", "<b@x>", brief)
    cast.read_mail(outbox, inbox, now=NOW)

    lines = cast.publish(world, now=NOW.replace(day=5))

    assert len(lines) == 1 and lines[0].startswith("instagram:p.ig posted (accepts, posts on time")
    assert len(world.posts_of(Platform.INSTAGRAM, "p.ig")) == 4
    assert len(world.posts_of(Platform.YOUTUBE, "pyt")) == 3  # nothing on the other account
    assert person.tracking_url == link and person.promo_code == "GLOWDEMO-PIG-ABCDEF"


def test_demo_directory_is_replaced_only_when_a_demo_made_it(tmp_path: Path) -> None:
    first = prepare_directory(tmp_path / "demo-run")
    (first / "creatorflow.db").write_text("old")
    again = prepare_directory(tmp_path / "demo-run")
    assert (again / MARKER).exists() and not (again / "creatorflow.db").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not made by an earlier demo"):
        prepare_directory(foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_demo_environment_drops_the_operators_settings_and_uses_ephemeral_prefect(
    tmp_path: Path,
) -> None:
    env = demo_environment(
        tmp_path,
        {"PATH": "/bin", "PREFECT_API_URL": "http://prod:4200/api", "CREATORFLOW_SENDER": "x"},
    )
    assert "PREFECT_API_URL" not in env
    assert env["PREFECT_HOME"] == str(tmp_path / "prefect")
    assert env["CREATORFLOW_DATABASE_URL"] == f"sqlite:///{tmp_path / 'creatorflow.db'}"
    assert env["CREATORFLOW_SENDER"] != "x"
    # the production shape: an HTTPS one-click link, so emails carry List-Unsubscribe-Post
    assert env["CREATORFLOW_UNSUBSCRIBE_BASE_URL"].startswith("https://")
    assert env["PATH"] == "/bin"
