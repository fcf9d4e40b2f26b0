"""The ``forget-person`` flow: an operator erases a person from a form in the Prefect UI.

Deployed as ``forget-person/manual``; the typed ``ErasureRequest`` renders as a form. It does what
``creatorflow creators forget`` does. The run name and the artifact never show the person: a
flow run's name and parameters are visible to every Prefect user long after the erasure (the
parameter itself stays in Prefect's run history: prefer the command for that reason, or delete
the flow run afterwards).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from pydantic import BaseModel, ConfigDict, Field

from creatorflow.wiring import run_as_of
from tasks.personal_data import forget_person_task


class ErasureRequest(BaseModel):
    """One person to erase (GDPR Art. 17) and why."""

    model_config = ConfigDict(extra="forbid")

    person: str = Field(
        description="EMAIL or PLATFORM:HANDLE, e.g. anna@example.com or instagram:anna.glow",
        min_length=3,
        max_length=320,
        pattern=r"^\S+$",
    )
    reason: str = Field(
        default="erasure request",
        description="Why (kept with the erasure, the person's identifiers removed).",
        max_length=200,
    )


@flow(name="forget-person", flow_run_name="forget-person", validate_parameters=True)
def forget_person(request: ErasureRequest, as_of: datetime | None = None) -> dict[str, Any]:
    """Erase ``request.person`` as of ``as_of`` (default: now)."""
    result = forget_person_task(request.person, request.reason, run_as_of(as_of))
    create_markdown_artifact(
        key="forget-person", markdown=result.summary(), description="erasure (GDPR Art. 17)"
    )
    return {"creator_id": result.creator_id, "summary": result.summary(), "rows": result.rows}
