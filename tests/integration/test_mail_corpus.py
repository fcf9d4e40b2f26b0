"""Real inbound mail, made to answer our outreach, read through the real inbox path.

Every file of ``tests/fixtures/mail_corpus`` (bounces from dozens of MTAs and providers, real
auto-replies, challenge-response notices, feedback-loop complaints, replies from real mail
clients) is rewritten to answer one creator's first email (``tests/support/corpus.py``), put
in the inbox, and read by ``read_inbox``. Each must get its class and its action: a hard bounce
suppresses and bounces, a complaint or an unsubscribe suppresses and opts out, a soft bounce,
a refusal or an auto-reply changes nothing, a reply stops the follow-ups.

The goal is 98% right overall, with every hard bounce and every complaint acted on; the misses
are printed. A complaint whose provider redacted both the person and our message leaves nobody
to act on: it must still be recorded as a complaint, and nothing else may change.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from creatorflow.services.replies.mailbox import read_inbox
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment, InboundMessage, Suppression
from tests.integration.dovecot import ImapFolder
from tests.support.builders import Contacted, contact
from tests.support.campaigns import register_example
from tests.support.corpus import CorpusMessage, answer_to, load_corpus, unchanged

SENT = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)  # our first emails
ANSWERED = SENT + timedelta(days=1)  # Dovecot refuses arrival dates in the future
READ = ANSWERED + timedelta(hours=2)
GOAL = 0.98

#: corpus folder -> (classification, enrollment stage, address suppressed)
EXPECTED: dict[str, tuple[str, str, bool]] = {
    "hard_bounce": ("hard_bounce", "bounced", True),
    "soft_bounce": ("soft_bounce", "contacted", False),
    "blocked": ("blocked", "contacted", False),
    "auto_reply": ("auto_reply", "contacted", False),
    "human_reply": ("reply", "replied", False),
    "complaint": ("complaint", "opted_out", True),
    "unsubscribe": ("unsubscribe", "opted_out", True),
}


@dataclass(frozen=True)
class Outcome:
    item: CorpusMessage
    classification: str | None
    stage: str
    suppressed: bool

    @property
    def expected(self) -> tuple[str, str, bool]:
        kind, stage, suppressed = EXPECTED[self.item.label]
        if self.item.shape == "report" and not self.item.recipients and not self.item.message_id:
            return kind, "contacted", False  # nothing in the report names the person
        return kind, stage, suppressed

    @property
    def right(self) -> bool:
        return (self.classification, self.stage, self.suppressed) == self.expected

    @property
    def acted_on(self) -> bool:
        return self.stage == self.expected[1] and self.suppressed == self.expected[2]

    def line(self) -> str:
        got = f"{self.classification}/{self.stage}/{'suppressed' if self.suppressed else 'kept'}"
        want = "/".join(str(x) for x in self.expected[:2])
        return f"{self.item.file} ({self.item.reason}): got {got}, expected {want}"


def _contact_everyone(engine: Engine, items: list[CorpusMessage]) -> list[Contacted]:
    campaign = register_example(engine, SENT - timedelta(days=2))
    return [
        contact(engine, campaign, handle=f"corpus{i:03d}", now=SENT + timedelta(days=1))
        for i in range(len(items))
    ]


def _answers(items: list[CorpusMessage], people: list[Contacted]) -> list[tuple[str, bytes]]:
    """Each file as it answers its creator's first email, with the Message-ID it carries."""
    answers = []
    for i, (item, person) in enumerate(zip(items, people, strict=True)):
        raw = answer_to(
            item,
            creator=person.email,
            our_message_id=person.message_ids["initial"],
            when=ANSWERED + timedelta(seconds=i),
            key=f"corpus-{i:03d}",
        )
        answers.append((str(message_from_bytes(raw)["Message-ID"]).strip(), raw))
    return answers


def _outcomes(
    engine: Engine,
    items: list[CorpusMessage],
    people: list[Contacted],
    keys: list[str],
) -> list[Outcome]:
    with session_scope(engine) as session:
        kinds = {
            row.message_key: row.classification for row in session.scalars(select(InboundMessage))
        }
        stages = {row.id: row.stage for row in session.scalars(select(Enrollment))}
        suppressed = set(session.scalars(select(Suppression.email)))
    return [
        Outcome(item, kinds.get(key), stages[person.enrollment_id], person.email in suppressed)
        for item, person, key in zip(items, people, keys, strict=True)
    ]


def _report(outcomes: Iterable[Outcome], where: str) -> tuple[float, list[Outcome]]:
    done = list(outcomes)
    misses = [o for o in done if not o.right]
    score = 1 - len(misses) / len(done)
    print(
        f"\nmail corpus over {where}: {len(done) - len(misses)} of {len(done)} right ({score:.1%})"
    )
    for miss in misses:
        print(f"  miss: {miss.line()}")
    return score, misses


def test_real_inbound_mail_is_classified_and_acted_on_through_the_maildir(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    items = load_corpus()
    assert [i.file for i in items if not unchanged(i)] == []  # the published bytes, untouched
    engine = engine_for(settings.database_url)
    people = _contact_everyone(engine, items)
    answers = _answers(items, people)
    assert len({key for key, _ in answers}) == len(items)
    box = mailbox.Maildir(
        Path(settings.inbox_url.get_secret_value().removeprefix("maildir://")), create=True
    )
    for _, raw in answers:
        box.add(raw)

    report = read_inbox(engine=engine, settings=settings, now=READ, actor="corpus")
    outcomes = _outcomes(engine, items, people, [key for key, _ in answers])

    with capsys.disabled():
        score, misses = _report(outcomes, "maildir")
    assert report.recorded == len(items)
    assert score >= GOAL, "\n".join(m.line() for m in misses)
    must_act = [o for o in outcomes if o.item.label in {"hard_bounce", "complaint"}]
    assert [o.line() for o in must_act if not o.acted_on] == []


@pytest.fixture
def imap_settings(settings: Settings, imap_folder: ImapFolder) -> Settings:
    return settings.model_copy(update={"inbox_url": SecretStr(imap_folder.url)})


def test_a_sample_of_real_mail_is_read_the_same_way_over_imap(
    imap_settings: Settings, imap_folder: ImapFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every tenth file of the manifest, delivered to Dovecot with IMAP APPEND."""
    items = load_corpus()[::10]
    engine = engine_for(imap_settings.database_url)
    people = _contact_everyone(engine, items)
    answers = _answers(items, people)
    for i, (_, raw) in enumerate(answers):
        imap_folder.append(raw, when=ANSWERED + timedelta(seconds=i))

    report = read_inbox(engine=engine, settings=imap_settings, now=READ, actor="corpus")
    outcomes = _outcomes(engine, items, people, [key for key, _ in answers])

    with capsys.disabled():
        _, misses = _report(outcomes, "IMAP (every tenth file)")
    assert report.fetched == len(items) and report.recorded == len(items)
    assert {o.item.label for o in outcomes} == set(EXPECTED)
    assert [m.line() for m in misses] == []
