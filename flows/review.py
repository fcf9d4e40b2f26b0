"""The ``review-draft`` flow: one run per submitted draft, paused on the reviewer's form.

The portal starts it when a creator submits a draft (``review-draft/manual``, parameter
``draft_id``). The run pauses with a form (approve, or request changes with a comment) whose
description shows the draft, the brief and the deadline; the answer is stored once and emailed
to the creator through the outbox (step ``draft_review_<id>``), so a retried or re-run review
never emails twice. A new version of the draft is a new draft id and a new run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from prefect import flow, pause_flow_run
from prefect.artifacts import create_markdown_artifact
from prefect.input import RunInput
from pydantic import Field, model_validator

from creatorflow.wiring import run_as_of
from tasks.review import decide_draft_task, record_review_run_task, review_context_task

REVIEW_TIMEOUT_SECONDS = 14 * 24 * 3600
#: How often the paused run asks the API whether the reviewer answered.
PAUSE_POLL_SECONDS = 10


class DraftDecision(RunInput):
    """The reviewer's answer to one draft (a form in the Prefect UI)."""

    approve: bool = Field(
        default=True,
        description="Approve the draft: the creator may post it. Untick to request changes.",
    )
    comment: str = Field(
        default="",
        max_length=4000,
        description="What to change (required when requesting changes); emailed to the creator.",
    )

    @model_validator(mode="after")
    def _changes_need_a_comment(self) -> DraftDecision:
        if not self.approve and not self.comment.strip():
            raise ValueError("say what to change in comment when not approving")
        return self


def _run_name() -> str:
    from prefect.runtime import flow_run

    return f"review-draft-{(flow_run.parameters or {}).get('draft_id', '?')}"


@flow(name="review-draft", flow_run_name=_run_name, validate_parameters=True)
def review_draft(
    draft_id: Annotated[int, Field(description="The draft to review (portal submission).")],
    as_of: Annotated[
        datetime | None, Field(description="Record the decision as of (default: when given).")
    ] = None,
) -> dict[str, Any]:
    """Pause for the reviewer's decision on ``draft_id``, then record and email it."""
    from prefect.runtime import flow_run

    context = review_context_task(draft_id)
    if context.decided is not None:  # decided before (a re-run): the outbox resends nothing
        decision = DraftDecision(approve=context.decided == "approved", comment="")
    else:
        if flow_run.id:
            record_review_run_task(draft_id, str(flow_run.id))
        decision = pause_flow_run(
            wait_for_input=DraftDecision.with_initial_data(
                description=context.markdown, approve=True
            ),
            timeout=REVIEW_TIMEOUT_SECONDS,
            poll_interval=PAUSE_POLL_SECONDS,
            key=f"review-draft-{draft_id}",
        )
    result = decide_draft_task(draft_id, decision.approve, decision.comment, run_as_of(as_of))
    create_markdown_artifact(
        key=f"draft-review-{draft_id}",
        markdown=f"{context.markdown}\n\n**Decision**: {result.decision} (email {result.email})",
        description=f"draft v{context.version} of {context.creator} in {context.campaign_slug}",
    )
    return result.as_json()
