"""Prefect tasks for outreach: each calls one service with ids, slugs and small models.

Retries are for the mail server being unreachable or deferring (the outbox makes a retried send
safe: claimed steps are skipped); a template error or bad input fails at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import task
from prefect.tasks import exponential_backoff

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.mail.errors import MailConnectionError, TemporaryMailError
from creatorflow.services.outreach import follow_ups, launch
from creatorflow.services.outreach.sending import SendReport
from creatorflow.settings import get_settings
from creatorflow.storage.campaigns import get_campaign, load_campaign_file
from creatorflow.storage.db import engine_for
from tasks.runtime import current_actor, retry_only_on

_mail_trouble = retry_only_on(MailConnectionError, TemporaryMailError)


_RETRY: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=10),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": _mail_trouble,
}


def is_campaign_file(source: str) -> bool:
    return source.endswith((".yaml", ".yml")) or Path(source).is_file()


@task(name="load-campaign")
def load_campaign_task(source: str) -> CampaignSpec:
    """A campaign file path, or the slug of a campaign already stored."""
    if is_campaign_file(source):
        return load_campaign_file(source)
    settings = get_settings()
    return get_campaign(engine_for(settings.database_url), source).spec


@task(name="shortlist", task_run_name="shortlist-{spec.slug}")
def shortlist_task(spec: CampaignSpec, as_of: datetime) -> launch.ShortlistResult:
    settings = get_settings()
    return launch.shortlist_campaign(
        engine=engine_for(settings.database_url),
        settings=settings,
        spec=spec,
        now=as_of,
        actor=current_actor("task:shortlist"),
    )


@task(name="remove-from-shortlist")
def remove_from_shortlist_task(campaign_slug: str, remove: list[str], as_of: datetime) -> list[str]:
    settings = get_settings()
    return launch.remove_from_shortlist(
        engine=engine_for(settings.database_url),
        campaign_slug=campaign_slug,
        remove=remove,
        now=as_of,
        actor=current_actor("task:remove-from-shortlist"),
    )


@task(name="send-initial-emails", task_run_name="initial-{campaign_slug}", **_RETRY)
def send_initial_task(
    campaign_slug: str, as_of: datetime, dry_run: bool = False, preview_dir: str | None = None
) -> SendReport:
    settings = get_settings()
    return launch.send_initial_emails(
        engine=engine_for(settings.database_url),
        settings=settings,
        campaign_slug=campaign_slug,
        now=as_of,
        actor=current_actor("task:send-initial-emails"),
        dry_run=dry_run,
        preview_dir=Path(preview_dir) if preview_dir else None,
    )


@task(name="send-follow-ups", task_run_name="follow-ups-{campaign_slug}", **_RETRY)
def send_follow_ups_task(campaign_slug: str, as_of: datetime) -> dict[str, int]:
    """Follow-ups due at ``as_of`` for one campaign (called by the track-campaigns flow)."""
    settings = get_settings()
    report = follow_ups.send_follow_ups(
        engine=engine_for(settings.database_url),
        settings=settings,
        campaign_slug=campaign_slug,
        now=as_of,
        actor=current_actor("task:send-follow-ups"),
    )
    return report.counts()
