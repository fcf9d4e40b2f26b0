"""The ``launch-campaign`` flow: shortlist, operator approval, first emails.

1. Load the campaign (a YAML path, or the slug of a stored campaign) and build its shortlist
   (table artifacts: picks and exclusions with their reasons).
2. ``dry_run``: render every first email into a preview folder (link artifact); nothing is sent.
3. Otherwise wait for the operator unless ``approve``: ``pause_flow_run`` shows an approval form
   in the Prefect UI whose text is the shortlist's summary (per tier, offers against the budget,
   the exclusions' main reasons, links to the artifacts): approve all, optionally removing
   creators; or reject, which ends the run Cancelled. An empty shortlist never pauses: the run
   completes at once, saying nobody was shortlisted.
4. Send the first emails and publish the results (sent, skipped with reason, failed, unknown),
   and a markdown artifact when the deliverability guard paused sending.
A re-run resumes: the outbox never sends a step twice. ``resume-sending`` (an operator's form)
lifts a pause of the guard.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast

from prefect import State, flow, get_run_logger, pause_flow_run
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.input import RunInput
from prefect.states import Cancelled, Completed
from pydantic import Field

from creatorflow.services.outreach.launch_summary import (
    ShortlistResult,
    approval_markdown,
    shortlist_markdown,
)
from creatorflow.services.tracking.run_summary import sending_paused_markdown
from creatorflow.settings import get_settings
from creatorflow.wiring import run_as_of
from tasks.outreach import (
    load_campaign_task,
    remove_from_shortlist_task,
    resume_sending_task,
    send_initial_task,
    shortlist_task,
)

APPROVAL_TIMEOUT_SECONDS = 7 * 24 * 3600
APPROVAL_POLL_SECONDS = 10  # how often the paused run looks for the operator's answer


class ShortlistApproval(RunInput):
    """The operator's answer to a shortlist (a form in the Prefect UI)."""

    approve_all: bool = Field(
        default=True,
        description="Send the first email to everyone on the shortlist (except those removed "
        "below). Untick to reject the launch: nothing is sent.",
    )
    remove: list[str] = Field(
        default_factory=list,
        description="Creators to take off the shortlist, as PLATFORM:HANDLE or email address.",
    )


def _run_name() -> str:
    from prefect.runtime import flow_run

    source = str((flow_run.parameters or {}).get("campaign", "campaign"))
    slug = Path(source).stem if source.endswith((".yaml", ".yml")) else source
    try:
        import yaml

        if source.endswith((".yaml", ".yml")):
            slug = str(yaml.safe_load(Path(source).read_text(encoding="utf-8"))["slug"])
    except Exception:  # the name is cosmetic; the flow reports a bad file properly
        pass
    return f"launch-{slug}"


def _table(key: str, rows: list[dict[str, Any]], description: str) -> None:
    if rows:
        create_table_artifact(key=key, table=rows, description=description)
    else:
        create_markdown_artifact(
            key=key, markdown=f"{description}\n\n(no rows)", description=description
        )


def _ui_link(key: str) -> str | None:
    """The page of the newest artifact with ``key`` in the Prefect UI (None: no UI address)."""
    from prefect.settings import PREFECT_UI_URL

    base = PREFECT_UI_URL.value()
    return f"{base.rstrip('/')}/artifacts/key/{key}" if base else None


def _publish_shortlist(slug: str, shortlist: ShortlistResult) -> list[tuple[str, str | None]]:
    """The exclusions and picks as table artifacts; (key, UI link) of each, for the form.

    A reused shortlist's exclusions are the artifact of the run that built it (same key).
    """
    excluded = f"shortlist-exclusions-{slug}"
    if shortlist.exclusions:
        text = f"{len(shortlist.exclusions)} creators not shortlisted, with the reason"
        _table(excluded, shortlist.exclusions, text)
    links = [(excluded, _ui_link(excluded))] if shortlist.excluded else []
    picks = f"shortlist-{slug}"
    _table(
        picks, shortlist.picks, f"{shortlist.summary()}\n\n{shortlist_markdown(shortlist, links)}"
    )
    return [(picks, _ui_link(picks)), *links]


def _end(state: State[Any]) -> dict[str, Any]:
    """A flow returning a State ends in it (its message shown in the UI); a caller gets its
    data (a Completed state's summary) or an exception (Cancelled)."""
    return cast(dict[str, Any], state)


@flow(name="launch-campaign", flow_run_name=_run_name, validate_parameters=True)
def launch_campaign(
    campaign: Annotated[
        str, Field(description="Path to the campaign YAML file, or a stored slug.")
    ],
    approve: Annotated[bool, Field(description="Skip the approval form and send.")] = False,
    dry_run: Annotated[bool, Field(description="Render previews only; send nothing.")] = False,
    as_of: Annotated[
        datetime | None, Field(description="Run as of this moment (naive means UTC; default: now).")
    ] = None,
) -> dict[str, Any]:
    """Shortlist, approve and send the first emails of one campaign."""
    logger = get_run_logger()
    now = run_as_of(as_of)
    spec = load_campaign_task(campaign)
    slug = spec.slug
    shortlist = shortlist_task(spec, now)
    links = _publish_shortlist(slug, shortlist)
    summary: dict[str, Any] = {
        "slug": slug,
        "shortlist": shortlist.summary(),
        "shortlisted": len(shortlist.picks),
        "excluded": shortlist.excluded,
        "reasons": shortlist.reason_lines(),
        "unknown_engagement": shortlist.unknown_engagement,
        "approved": False,
        "removed": [],
    }
    for line in shortlist.warnings:
        logger.warning(line)
    if dry_run:
        folder = get_settings().preview_dir.resolve() / slug / now.strftime("%Y%m%dT%H%M%SZ")
        report = send_initial_task(slug, now, dry_run=True, preview_dir=str(folder))
        if report.preview:  # the folder exists only when something was rendered into it
            create_link_artifact(
                key=f"preview-{slug}",
                link=folder.as_uri(),
                link_text=f"{len(report.preview)} rendered first emails",
                description="Dry run: nothing was sent.",
            )
            summary["preview_dir"] = str(folder)
        summary.update(send=report.counts(), summary=report.summary())
        summary["warnings"] = [*shortlist.warnings, *report.warnings]
        return summary
    if not approve and not shortlist.active_picks:
        message = f"nothing to approve: nobody was shortlisted for {slug}; nothing sent"
        logger.info(message)
        summary.update(summary=message, warnings=shortlist.warnings)
        return _end(Completed(message=message, data=summary))
    if not approve:
        logger.info("Waiting for approval of the %s shortlist in the Prefect UI", slug)
        form = ShortlistApproval.with_initial_data(description=approval_markdown(shortlist, links))
        answer = pause_flow_run(
            wait_for_input=form,
            timeout=APPROVAL_TIMEOUT_SECONDS,
            poll_interval=APPROVAL_POLL_SECONDS,
        )
        if not answer.approve_all:
            logger.info("Launch of %s rejected by the operator; nothing sent", slug)
            return _end(Cancelled(message="rejected by the operator: nothing sent"))
        summary["removed"] = remove_from_shortlist_task(slug, answer.remove, now)
    summary["approved"] = True
    report = send_initial_task(slug, now)
    _table(f"send-results-{slug}", report.rows(), report.summary())
    if report.pauses:
        create_markdown_artifact(
            key=f"sending-paused-{slug}",
            markdown=sending_paused_markdown(slug, report.pauses),
            description=f"sending paused for {slug}",
        )
    summary.update(
        send=report.counts(),
        summary=report.summary(),
        problems=report.problems(),
        pauses=report.pauses,
        warnings=[*shortlist.warnings, *report.warnings],
    )
    return summary


@flow(name="resume-sending", flow_run_name="resume-sending-{campaign}", validate_parameters=True)
def resume_sending(
    campaign: Annotated[
        str,
        Field(
            description="The campaign slug whose sending the deliverability guard paused.",
            pattern=r"^[a-z0-9][a-z0-9-]{0,99}$",
        ),
    ],
) -> dict[str, Any]:
    """Lift the guard's pause of a campaign and of its sending mailbox (an operator's form)."""
    result = resume_sending_task(campaign, run_as_of(None))
    create_markdown_artifact(
        key=f"sending-resumed-{campaign}",
        markdown="# Sending resumed\n\n" + "\n".join(f"- {line}" for line in result.lines()),
        description=f"sending resumed for {campaign}",
    )
    return result.as_json()
