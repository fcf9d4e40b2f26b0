"""The ``respond`` flow: an operator records a creator's answer from a form in the Prefect UI.

Deployed as ``respond/manual``; the typed ``CreatorResponse`` parameter renders as a form (and the
server validates it). It does what ``creatorflow campaign respond`` does: accepting sets the fee,
the due date, the tracking link and promo code and sends the brief; declining ends the sequence.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel, ConfigDict, Field, field_validator

from creatorflow.domain.model import Platform
from creatorflow.wiring import run_as_of
from tasks.replies import respond_task


class Answer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CreatorResponse(BaseModel):
    """One creator's answer to a campaign's offer."""

    model_config = ConfigDict(extra="forbid")

    campaign_slug: str = Field(
        description="The campaign, e.g. spring-glow.", pattern=r"^[a-z0-9][a-z0-9-]{0,99}$"
    )
    creator: str = Field(
        description="PLATFORM:HANDLE, e.g. instagram:anna.glow",
        pattern=r"^[a-z][a-z0-9_]*:@?\S+$",
    )
    answer: Answer = Field(description="accepted (sends the brief) or declined.")
    fee: Decimal | None = Field(
        default=None, ge=0, description="Agreed fee (accepted only); empty keeps the offer."
    )

    @field_validator("creator")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        """The platform must be one an adapter serves (``UnknownPlatform`` lists them)."""
        Platform(value.partition(":")[0])
        return value


def _run_name() -> str:
    from prefect.runtime import flow_run

    response = (flow_run.parameters or {}).get("response") or {}
    if isinstance(response, BaseModel):
        response = response.model_dump()
    return f"respond-{response.get('campaign_slug', '?')}-{response.get('creator', '?')}"


@flow(name="respond", flow_run_name=_run_name, validate_parameters=True)
def respond(response: CreatorResponse, as_of: datetime | None = None) -> dict[str, Any]:
    """Record ``response`` as of ``as_of`` (default: now)."""
    result = respond_task(
        response.campaign_slug,
        response.creator,
        response.answer is Answer.ACCEPTED,
        response.fee,
        run_as_of(as_of),
    )
    create_markdown_artifact(
        key="respond",
        markdown="```\n" + result.summary() + "\n```",
        description=f"{response.creator} in {response.campaign_slug}",
    )
    return result.as_json()
