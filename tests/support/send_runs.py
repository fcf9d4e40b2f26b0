"""The send service in a child process, for the exactly-once tests: started, killed, run again.

A child sends the first emails still due in the campaign (what ``send_initial_emails`` picks,
with in-run retries made instant) and prints its report's named problems as JSON, so a test can
check that every ``unknown`` it made was named in the output of the run that made it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from creatorflow.settings import Settings
from tests.integration.smtpd import RecordingHandler, start_smtpd

ROOT = Path(__file__).resolve().parents[2]

SENDER = """
import json, sys
from datetime import datetime, timedelta
from sqlalchemy import select
from creatorflow.domain.model import Stage
from creatorflow.services.outreach.sending import OutboundEmail, send_emails
from creatorflow.settings import Settings
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import Enrollment
config = Settings(_env_file=None, **json.loads(sys.argv[1]))
now, actor, delays = datetime.fromisoformat(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
engine = engine_for(config.database_url)
campaign = get_campaign(engine, "spring-glow")
with session_scope(engine) as session:
    ids = session.scalars(
        select(Enrollment.id).where(Enrollment.campaign_id == campaign.id)
        .where(Enrollment.stage == Stage.SHORTLISTED.value).order_by(Enrollment.id)
    ).all()
template = f"outreach/{campaign.spec.outreach.template_set}/initial"
report = send_emails(
    engine=engine, settings=config, now=now, actor=actor, retry_delays=tuple(delays),
    emails=[OutboundEmail(i, "initial", template, thread=False) for i in ids],
)
print(json.dumps({"counts": report.counts(), "problems": report.problems()}))
"""


def smtp_settings(settings: Settings, port: int, **changes: object) -> Settings:
    """``settings`` sending through the loopback SMTP server on ``port``."""
    return settings.model_copy(
        update={"mail_url": SecretStr(f"smtp://127.0.0.1:{port}"), **changes}
    )


def loopback_smtp(
    settings: Settings, handler: RecordingHandler, **changes: object
) -> Iterator[Settings]:
    """A fixture body: ``handler`` served on loopback, ``settings`` sending through it."""
    controller = start_smtpd(handler)
    yield smtp_settings(settings, controller.port, **changes)
    controller.stop()


def child_fields(config: Settings) -> dict[str, Any]:
    """What a child needs to build the same settings (secrets in the clear: a test's own)."""
    fields = {
        "database_url": config.database_url,
        "mail_url": config.mail_url.get_secret_value(),
        "sender": config.sender,
        "postal_address": config.postal_address,
        "templates_dir": str(config.templates_dir),
        "daily_cap": config.daily_cap,
        "send_retry_minutes": config.send_retry_minutes,
        "send_max_attempts": config.send_max_attempts,
    }
    if config.unsubscribe_base_url and config.secret_key is not None:
        fields["unsubscribe_base_url"] = config.unsubscribe_base_url
        fields["secret_key"] = config.secret_key.get_secret_value()
    return fields


@dataclass
class SendingChild:
    """One sending process: ``kill`` is SIGKILL (nothing runs after it), ``output`` its report."""

    process: subprocess.Popen[str]
    actor: str

    def kill(self) -> None:
        self.process.kill()

    def wait(self, timeout: float = 120) -> dict[str, Any] | None:
        """The child's report, or ``None`` when it was killed (or died)."""
        out, err = self.process.communicate(timeout=timeout)
        if self.process.returncode != 0:
            if self.process.returncode < 0:  # killed by a signal
                return None
            raise AssertionError(f"{self.actor} failed ({self.process.returncode}): {err}")
        return dict(json.loads(out.strip().splitlines()[-1]))


def start_sending(
    config: Settings, now: datetime, actor: str, *, retry_delays: tuple[float, ...] = (0.0,)
) -> SendingChild:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SENDER,
            json.dumps(child_fields(config)),
            now.isoformat(),
            actor,
            json.dumps(list(retry_delays)),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return SendingChild(process, actor)


def wait_until(condition: Callable[[], bool], *, timeout: float = 60, what: str = "it") -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)
