"""Markdown summaries of tracking runs, for the Prefect UI: what happened and what to do next.

Pure functions over the JSON-able summaries the flows already collect, so they are tested without
Prefect and the artifact always says the same thing as the run's return value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _counts(values: Mapping[str, Any] | None) -> str:
    if not values:
        return "nothing"
    shown = [f"{key} {value}" for key, value in values.items() if value]
    return ", ".join(shown) if shown else "nothing"


def tracking_summary_markdown(summary: Mapping[str, Any]) -> str:
    """The ``track-campaigns`` artifact: one section per step, then the operator's next steps."""
    lines = [f"# Tracking as of {summary.get('as_of', '?')}", ""]
    campaigns = summary.get("campaigns") or []
    lines.append(f"Campaigns: {', '.join(campaigns) if campaigns else 'none active'}")
    inbox = summary.get("inbox") or {}
    if inbox:
        lines.append(
            f"Inbox: {inbox.get('recorded', 0)} new message(s) recorded "
            f"({_counts(inbox.get('by_kind'))}); replied {inbox.get('replied', 0)}, "
            f"bounced {inbox.get('bounced', 0)}, opted out {inbox.get('opted_out', 0)}"
        )
    lines += ["", "| campaign | briefs | follow-ups | reminders |", "|---|---|---|---|"]
    for slug in campaigns:
        lines.append(
            f"| {slug} | {_counts(summary.get('briefs', {}).get(slug))} "
            f"| {_counts(summary.get('follow_ups', {}).get(slug))} "
            f"| {_counts(summary.get('reminders', {}).get(slug))} |"
        )
    detection = summary.get("detection") or {}
    polling = summary.get("polling") or {}
    lines += [
        "",
        f"Deliverables: {detection.get('new', 0)} new post(s), "
        f"{detection.get('undisclosed', 0)} without an ad disclosure",
        f"Polling: {polling.get('snapshots', 0)} snapshot(s) in {polling.get('batches', 0)} "
        f"batch(es), {polling.get('requests', 0)} API request(s), "
        f"{polling.get('gone', 0)} post(s) gone",
    ]
    lines += ["", "## Next steps", ""]
    lines += next_steps(summary) or ["Nothing needs you: the next scheduled run carries on."]
    return "\n".join(lines) + "\n"


def next_steps(summary: Mapping[str, Any]) -> list[str]:
    """What an operator should do about this run, one bullet each."""
    steps: list[str] = []
    detection = summary.get("detection") or {}
    polling = summary.get("polling") or {}
    unknown = sum(
        (counts or {}).get("unknown", 0)
        for step in ("briefs", "follow_ups", "reminders")
        for counts in (summary.get(step) or {}).values()
    )
    if unknown:
        steps.append(
            f"- {unknown} email(s) in state `unknown` (the connection dropped during sending): "
            "check the mail server's log, they are never resent automatically."
        )
    if detection.get("undisclosed"):
        steps.append(
            f"- {detection['undisclosed']} new post(s) lack `#ad`/`#sponsored` or the paid-"
            "placement flag: ask the creator to add the disclosure."
        )
    exhausted = list(polling.get("quota_exhausted") or [])
    if exhausted or detection.get("quota_exhausted"):
        platforms = ", ".join(exhausted) or "a platform"
        steps.append(
            f"- Quota spent on {platforms}: what was polled is stored; the next run resumes "
            "(or run `poll-engagement/manual` once the quota resets)."
        )
    if polling.get("gone"):
        steps.append(f"- {polling['gone']} post(s) disappeared: their snapshots are kept.")
    failed = list(detection.get("failed_batches") or []) + list(polling.get("failed_batches") or [])
    if failed:
        steps.append(
            f"- {len(failed)} batch(es) failed after retries (first: {failed[0]}); the run is "
            "marked failed. Fix the cause named above, then re-run: nothing is polled twice."
        )
    failures = (detection.get("failures") or 0) + len(polling.get("failures") or [])
    if failures:
        steps.append(
            f"- {failures} creator(s) or post(s) could not be read (token, permission or "
            "unknown account): see the run's log."
        )
    return steps


def submission_markdown(result: Mapping[str, Any]) -> str:
    """The ``submit-deliverable`` artifact: what was recorded and how far it can be trusted."""
    state = "recorded" if result.get("created") else "already recorded"
    lines = [
        f"# Deliverable {state}",
        "",
        f"- creator: {result.get('platform')}:{result.get('handle')}",
        f"- post: {result.get('post_id')}",
        f"- provenance: `{result.get('provenance')}`",
    ]
    disclosure = result.get("disclosure_ok")
    if disclosure is False:
        lines.append("- ad disclosure: missing, ask the creator to add `#ad` or `#sponsored`")
    elif disclosure is True:
        lines.append("- ad disclosure: present")
    if result.get("note"):
        lines.append(f"- note: {result['note']}")
    return "\n".join(lines) + "\n"
