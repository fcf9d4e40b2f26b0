"""Prefect tasks for outreach: each calls one service with ids, slugs and small models.

Retries are for the mail server being unreachable or deferring (the outbox makes a retried send
safe: claimed steps are skipped); a template error or bad input fails at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import task

from creatorflow.domain.campaign import CampaignSpec
from creatorflow.services.outreach import follow_ups, launch, sending_pauses
from creatorflow.services.outreach.launch import send_initial_emails
from creatorflow.services.outreach.launch_summary import ShortlistResult
from creatorflow.services.outreach.preflight import load_launch_file
from creatorflow.services.outreach.sending import SendReport
from creatorflow.storage.campaigns import get_campaign
from creatorflow.wiring import wire
from tasks.runtime import mail_trouble, retrying, run_service


def is_campaign_file(source: str) -> bool:
    return source.endswith((".yaml", ".yml")) or Path(source).is_file()


@task(name="load-campaign")
def load_campaign_task(source: str) -> CampaignSpec:
    """A campaign file path, or the slug of a campaign already stored."""
    if is_campaign_file(source):
        return load_launch_file(source, templates_dir=wire().settings.templates_dir)
    return get_campaign(wire().engine, source).spec


@task(name="shortlist", task_run_name="shortlist-{spec.slug}")
def shortlist_task(spec: CampaignSpec, as_of: datetime) -> ShortlistResult:
    return run_service(launch.shortlist_campaign, spec=spec, now=as_of)


@task(name="remove-from-shortlist")
def remove_from_shortlist_task(campaign_slug: str, remove: list[str], as_of: datetime) -> list[str]:
    return run_service(
        launch.remove_from_shortlist, campaign_slug=campaign_slug, remove=remove, now=as_of
    )


@task(name="send-initial-emails", task_run_name="initial-{slug}", **retrying(mail_trouble))
def send_initial_task(
    slug: str, as_of: datetime, dry_run: bool = False, preview_dir: str | None = None
) -> SendReport:
    folder = Path(preview_dir) if preview_dir else None
    return run_service(
        send_initial_emails, campaign_slug=slug, now=as_of, dry_run=dry_run, preview_dir=folder
    )


@task(name="send-follow-ups", task_run_name="follow-ups-{campaign_slug}", **retrying(mail_trouble))
def send_follow_ups_task(campaign_slug: str, as_of: datetime) -> SendReport:
    """Follow-ups due at ``as_of`` for one campaign (called by the track-campaigns flow)."""
    return run_service(follow_ups.send_follow_ups, campaign_slug=campaign_slug, now=as_of)


@task(name="resume-sending", task_run_name="resume-{campaign_slug}")
def resume_sending_task(campaign_slug: str, as_of: datetime) -> sending_pauses.Resumed:
    """Lift the deliverability guard's pauses that stop one campaign."""
    return run_service(sending_pauses.resume_sending, campaign_slug=campaign_slug, now=as_of)
