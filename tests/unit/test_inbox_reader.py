"""The pure parts of the inbox readers: URLs, search keys, FETCH parsing, stage rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from creatorflow.domain.classify import Kind
from creatorflow.domain.lifecycle import refuse_acceptance, stage_after_mail
from creatorflow.domain.model import Stage
from creatorflow.errors import ConfigError
from creatorflow.mail.inbox import (
    Checkpoint,
    ImapInbox,
    MaildirInbox,
    imap_date,
    open_inbox,
    parse_fetch,
    search_criteria,
)

SEEN = datetime(2027, 3, 5, 0, 30, tzinfo=UTC)


def test_inbox_urls_pick_the_reader_and_hide_the_password() -> None:
    imap = open_inbox("imaps://team%40brand.example:s3cr%2Ft@imap.brand.example/Outreach")
    assert isinstance(imap, ImapInbox)
    assert (imap.host, imap.port, imap.user, imap.folder) == (
        "imap.brand.example",
        993,
        "team@brand.example",
        "Outreach",
    )
    assert "s3cr" not in imap.mailbox
    assert open_inbox("imap://u:p@localhost").port == 143  # type: ignore[attr-defined]
    maildir = open_inbox("maildir://./var/inbox")
    assert isinstance(maildir, MaildirInbox) and maildir.path == Path("./var/inbox")


@pytest.mark.parametrize(
    "url",
    ["pop3://u:p@host", "imap://host", "imap://user@host", "imap://u:p@host:99x"],
)
def test_bad_inbox_urls_name_the_setting(url: str) -> None:
    with pytest.raises(ConfigError, match="CREATORFLOW_INBOX_URL"):
        open_inbox(url)


def test_search_keys_first_poll_same_and_new_uidvalidity() -> None:
    checkpoint = Checkpoint(uidvalidity=7, last_uid=41, last_seen_at=SEEN)
    assert search_criteria(None, same_uidvalidity=False) == ["ALL"]
    assert search_criteria(checkpoint, same_uidvalidity=True) == [
        "OR",
        "SINCE",
        "04-Mar-2027",
        "UID",
        "42:*",
    ]
    assert search_criteria(checkpoint, same_uidvalidity=False) == ["SINCE", "04-Mar-2027"]
    no_date = Checkpoint(uidvalidity=7, last_uid=41, last_seen_at=None)
    assert search_criteria(no_date, same_uidvalidity=True) == ["UID", "42:*"]


def test_imap_dates_are_english_whatever_the_locale() -> None:
    assert imap_date(datetime(2027, 12, 1, 23, 0, tzinfo=UTC)) == "01-Dec-2027"


def test_fetch_answers_are_parsed_whatever_the_item_order() -> None:
    data = [
        (b'1 (UID 5 INTERNALDATE "01-Mar-2027 10:00:00 +0100" BODY[] {5}', b"hello"),
        b")",
        (b"2 (UID 9 BODY[] {3}", b"bye"),
        b' INTERNALDATE "02-Mar-2027 09:00:00 -0500")',
    ]
    first, second = parse_fetch(data)  # type: ignore[arg-type]
    assert (first.uid, first.raw, first.internal_date) == (
        5,
        b"hello",
        datetime(2027, 3, 1, 9, 0, tzinfo=UTC),
    )
    assert (second.uid, second.raw, second.internal_date) == (
        9,
        b"bye",
        datetime(2027, 3, 2, 14, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("kind", "stage", "after"),
    [
        (Kind.REPLY, Stage.CONTACTED, Stage.REPLIED),
        (Kind.REPLY, Stage.FINISHED, Stage.REPLIED),
        (Kind.REPLY, Stage.ACCEPTED, None),
        (Kind.AUTO_REPLY, Stage.CONTACTED, None),
        (Kind.HARD_BOUNCE, Stage.CONTACTED, Stage.BOUNCED),
        (Kind.HARD_BOUNCE, Stage.ACCEPTED, None),
        (Kind.SOFT_BOUNCE, Stage.CONTACTED, None),
        (Kind.BLOCKED, Stage.CONTACTED, None),
        (Kind.COMPLAINT, Stage.CONTACTED, Stage.OPTED_OUT),
        (Kind.UNSUBSCRIBE, Stage.REPLIED, Stage.OPTED_OUT),
        (Kind.UNSUBSCRIBE, Stage.OPTED_OUT, None),
        (Kind.UNRELATED, Stage.CONTACTED, None),
    ],
)
def test_stage_after_mail(kind: Kind, stage: Stage, after: Stage | None) -> None:
    assert stage_after_mail(kind, stage) == after


def test_acceptance_is_open_to_answered_creators_only() -> None:
    assert refuse_acceptance(Stage.REPLIED) is None
    assert refuse_acceptance(Stage.CONTACTED) is None
    assert refuse_acceptance(Stage.OPTED_OUT) is not None
    assert refuse_acceptance(Stage.BOUNCED) is not None
