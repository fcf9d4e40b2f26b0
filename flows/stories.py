"""Operator forms for Instagram Stories (issue 17): a story's self-reported results, and whose
story a queued story mention is. Each is a flow with a pydantic parameter, so the Prefect UI
renders it as a form; the commands `campaign story-results` and `campaign match-story` do the
same from a terminal."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from prefect import flow
from pydantic import BaseModel, Field

from creatorflow.wiring import run_as_of
from tasks.tracking import match_story_task, record_story_results_task


class StoryResultsForm(BaseModel):
    """What the creator reported for one story (leave a figure empty when they did not say: a
    correction keeps it from the story's previous figures)."""

    campaign_slug: str = Field(description="campaign slug, e.g. spring-glow")
    creator: str = Field(description="PLATFORM:HANDLE, e.g. instagram:mia.glow")
    views: int | None = Field(default=None, ge=0)
    reach: int | None = Field(default=None, ge=0)
    link_taps: int | None = Field(default=None, ge=0)
    replies: int | None = Field(default=None, ge=0)
    story: int | None = Field(
        default=None, description="the story's deliverable id (default: the oldest without figures)"
    )


class StoryMatchForm(BaseModel):
    """A queued story mention (campaign status lists them) and the creator it belongs to."""

    campaign_slug: str = Field(description="campaign slug, e.g. spring-glow")
    event_id: int = Field(description="the story mention's number in campaign status")
    creator: str = Field(description="PLATFORM:HANDLE whose story it is")


@flow(name="record-story-results", flow_run_name="story-results-{form.campaign_slug}")
def record_story_results(form: StoryResultsForm, as_of: datetime | None = None) -> dict[str, Any]:
    """Record a story's figures as its creator reported them (provenance submitted)."""
    return asdict(record_story_results_task(form, run_as_of(as_of)))


@flow(name="match-story", flow_run_name="match-story-{form.campaign_slug}")
def match_story(form: StoryMatchForm, as_of: datetime | None = None) -> dict[str, Any]:
    """Say whose story a queued story mention is; it is then recorded as a story."""
    return asdict(
        match_story_task(form.campaign_slug, form.event_id, form.creator, run_as_of(as_of))
    )
