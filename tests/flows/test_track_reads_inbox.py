"""`campaign track` says what it read from the inbox, and the tracking artifact says the same."""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from creatorflow.sandbox import SandboxServers
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Suppression
from tests.support.artifacts import latest_artifact
from tests.support.builders import contacted
from tests.support.environment import settings_env
from tests.support.mail import arf_complaint, bounce_of, reply_from


def test_campaign_track_names_each_class_it_read_and_warns_about_complaints(
    sandbox: SandboxServers,
    settings: Settings,
    now: datetime,
    app_env: Callable[[Mapping[str, str]], None],
) -> None:
    from creatorflow.cli import app

    engine = engine_for(settings.database_url)
    anna, gone, full, angry = contacted(engine, now, "anna", "gone", "full", "angry")
    inbox = mailbox.Maildir(
        Path(settings.inbox_url.get_secret_value().removeprefix("maildir://")), create=True
    )
    inbox.add(reply_from(anna, "<r-1@creator.example>"))
    inbox.add(bounce_of(gone, "<dsn-1@mx>"))
    inbox.add(bounce_of(full, "<dsn-2@mx>", status="5.2.2", diagnostic="552 5.2.2 Mailbox full"))
    inbox.add(
        arf_complaint(
            recipient=None, original_message_id=angry.message_ids["initial"], message_id="<f-1>"
        )
    )
    app_env({**sandbox.env(), **settings_env(settings)})

    result = CliRunner().invoke(
        app, ["campaign", "track", "spring-glow", "--as-of", (now + timedelta(hours=1)).isoformat()]
    )

    output = result.output
    assert result.exit_code == 0, output
    assert (
        "inbox: 4 read, 4 new: 1 reply, 0 auto-replies, 1 hard bounce, 1 soft bounce, "
        "0 blocked, 1 complaint, 0 opt-outs, 0 unrelated; 1 creator(s) replied, 1 bounced, "
        "1 opted out, 2 address(es) suppressed"
    ) in output
    assert "warning: 1 spam complaint(s): those people are suppressed for good" in output
    assert "Inbox: 4 new: 1 reply, 0 auto-replies, 1 hard bounce" in latest_artifact(
        "tracking-summary"
    )
    with session_scope(engine) as session:
        assert set(session.scalars(select(Suppression.email))) == {gone.email, angry.email}
