"""Markdown summaries of tracking runs, for the Prefect UI: what happened and what to do next.

Pure functions over the JSON-able summaries the flows already collect, so they are tested without
Prefect and the artifact always says the same thing as the run's return value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from creatorflow.domain.inbound import describe_inbox
from creatorflow.services.outreach.send_results import SendReport
from creatorflow.services.tracking.compliance_status import problem_line


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
        lines.append(f"Inbox: {describe_inbox(inbox)}")
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
        f"Deliverables: {detection.get('new', 0)} new post(s), {undisclosed_text(detection)}",
        f"Polling: {polling.get('snapshots', 0)} snapshot(s) in {polling.get('batches', 0)} "
        f"batch(es), {polling.get('requests', 0)} API request(s), "
        f"{polling.get('gone', 0)} post(s) gone",
    ]
    nudges = summary.get("compliance_nudges") or {}  # issue 16
    if any(counts.get("planned") for counts in nudges.values()):
        shown = "; ".join(f"{slug}: {_counts(counts)}" for slug, counts in nudges.items())
        lines.append(f"Compliance nudges: {shown}")
    lines += send_problem_lines(summary)
    lines += ["", "## Next steps", ""]
    lines += next_steps(summary) or ["Nothing needs you: the next scheduled run carries on."]
    return "\n".join(lines) + "\n"


def undisclosed_text(detection: Mapping[str, Any]) -> str:
    """``2 without an ad disclosure that counts (1 missing, 1 buried)``: the campaign's
    disclosure rules (``domain/compliance.py``), as the caption history judges the posts."""
    count = detection.get("undisclosed", 0)
    split = detection.get("disclosure") or {}
    if not count or not split:
        return f"{count} without an ad disclosure that counts"
    return (
        f"{count} without an ad disclosure that counts ({split.get('missing', 0)} missing, "
        f"{split.get('buried', 0)} buried)"
    )


def _cell(value: object) -> str:
    return str(value or "").replace("|", "\\|").replace("\n", " ")


def send_problem_lines(summary: Mapping[str, Any]) -> list[str]:
    """Every message of the run that did not surely arrive, and every follow-up held back, by
    creator (step, time, Message-ID, reason); then the deliverability guard's lines."""
    rows = list(summary.get("send_problems") or []) + list(summary.get("send_waiting") or [])
    lines: list[str] = []
    if rows:
        lines += [
            "",
            "## Send problems",
            "",
            "| creator | step | status | at (UTC) | Message-ID | reason |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_cell(r['creator'])} | {_cell(r['step'])} | {_cell(r['status'])} "
            f"| {_cell(r['at'])} | {_cell(r['message_id'])} | {_cell(r['reason'])} |"
            for r in rows
        ]
    for line in summary.get("sending_paused") or []:
        lines += ["", f"**{line}**"]
    for line in summary.get("sending_warnings") or []:
        lines += ["", f"Warning: {line}"]
    return lines


def add_send_reports(summary: dict[str, Any], reports: Iterable[SendReport]) -> list[str]:
    """Add every send problem by creator, the held-back follow-ups and the guard's lines to a
    tracking summary; returns this campaign's pause lines (sorted, once each)."""
    paused: set[str] = set()
    for report in reports:
        summary.setdefault("send_problems", []).extend(report.problems())
        summary.setdefault("send_waiting", []).extend(o.as_problem() for o in report.waiting)
        for key, lines in (
            ("sending_paused", report.pauses),
            ("sending_warnings", report.warnings),
        ):
            known = summary.setdefault(key, [])
            known += [line for line in lines if line not in known]
        paused.update(report.pauses)
    return sorted(paused)


def sending_paused_markdown(slug: str, lines: list[str]) -> str:
    """The artifact a pause gets of its own: what stopped, why, and the command that resumes."""
    body = "\n".join(f"- {line}" for line in lines)
    return (
        f"# Sending paused: {slug}\n\n{body}\n\nNothing more goes out from the paused mailbox or "
        "campaign until an operator resumes it (`creatorflow campaign resume SLUG` or the "
        "`resume-sending/manual` deployment); what was sent is kept.\n"
    )


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
            f"- {unknown} email(s) in state `unknown` (the connection dropped before the "
            "server's final reply; named under Send problems): check the mail server's log, "
            "then `creatorflow campaign resolve SLUG PLATFORM:HANDLE --step STEP --delivered` "
            "(or `--not-delivered` to send it once more). They are never resent automatically."
        )
    if summary.get("send_waiting"):
        steps.append(
            f"- {len(summary['send_waiting'])} follow-up(s) wait for an earlier step to be "
            "resolved (`creatorflow campaign outbox SLUG`)."
        )
    if summary.get("sending_paused"):
        steps.append(
            "- Sending is paused by the deliverability guard (see above): fix the list, then "
            "`creatorflow campaign resume SLUG`."
        )
    if detection.get("undisclosed"):
        split = detection.get("disclosure") or {}
        why = (
            f"{split.get('missing', 0)} with no disclosure marker, {split.get('buried', 0)} with "
            "it buried (too far into the caption or only among the closing hashtags)"
            if split
            else "missing or buried"
        )
        steps.append(
            f"- {detection['undisclosed']} new post(s) are not disclosed as the campaign requires "
            f"({why}): each is a compliance problem named below, and the creator is nudged to "
            "put the disclosure at the start unless the campaign turned nudges off."
        )
    exhausted = list(polling.get("quota_exhausted") or [])
    if exhausted or detection.get("quota_exhausted"):
        platforms = ", ".join(exhausted) or "a platform"
        steps.append(
            f"- Quota spent on {platforms}: what was polled is stored; the next run resumes "
            "(or run `poll-engagement/manual` once the quota resets)."
        )
    if polling.get("gone"):
        steps.append(
            f"- {polling['gone']} post(s) disappeared (deleted, made private or taken down): "
            "their snapshots are kept; ask the creator if the campaign needs them live."
        )
        steps += [f"  - {gone_post_line(item)}" for item in polling.get("gone_posts") or []]
    failed = list(detection.get("failed_batches") or []) + list(polling.get("failed_batches") or [])
    if failed:
        steps.append(
            f"- {len(failed)} batch(es) failed after retries (first: {failed[0]}); the run is "
            "marked failed. Fix the cause named above, then re-run: nothing is polled twice."
        )
    steps += attention_steps(summary.get("attention") or {})
    steps += inbox_steps(summary.get("inbox") or {})
    failures = (detection.get("failures") or 0) + len(polling.get("failures") or [])
    if failures:
        steps.append(
            f"- {failures} creator(s) or post(s) could not be read (token, permission or "
            "unknown account): see the run's log."
        )
    return steps


def gone_post_line(item: Mapping[str, Any]) -> str:
    """``youtube:UC... (@glowlab), spring-glow: https://youtu.be/x, last seen 2027-03-01 08:00
    UTC`` (an entry of ``gone_posts.describe_gone_posts``)."""
    public = item.get("public_handle")
    who = f"`{item['account']}` ({public})" if public else f"`{item['account']}`"
    seen = item.get("last_seen_at")
    when = f"{datetime.fromisoformat(seen):%Y-%m-%d %H:%M} UTC" if seen else "never by a poll"
    return f"{who}, {item['campaign']}: {item.get('url') or item['post_id']}, last seen {when}"


def inbox_steps(inbox: Mapping[str, Any]) -> list[str]:
    """Refusals and complaints read from the inbox: deliverability problems to look at."""
    by_kind = inbox.get("by_kind") or {}
    steps = []
    if by_kind.get("blocked"):
        steps.append(
            f"- {by_kind['blocked']} message(s) refused as spam or by policy (blocked: the "
            "people exist, nobody was suppressed): check the sending domain's SPF, DKIM and "
            "DMARC, its IP's reputation and the content before more mail goes out."
        )
    if by_kind.get("complaint"):
        steps.append(
            f"- {by_kind['complaint']} spam complaint(s): those people are suppressed for good; "
            "check who is being contacted and how (keep complaints under 0.3%)."
        )
    return steps


def attention_steps(attention: Mapping[str, Any]) -> list[str]:
    """One bullet per tracked creator whose account the platform will not show (with the next
    step) and per platform whose work waits (``account_problems.needs_attention``)."""
    steps = [
        f"- `{item['account']}` ({item['campaign']}, {item['status']}): {item['reason']}."
        for item in attention.get("accounts") or []
    ]
    steps += [
        f"- Deferred {line}: what was done is stored; the next run resumes."
        for line in attention.get("deferred") or []
    ]
    steps += [problem_line(item) for item in attention.get("compliance") or []]  # issue 16
    steps += [  # issue 18: the campaign requires approved drafts before posting
        f"- `{item['account']}` ({item['campaign']}) posted {item['post_id']} before its draft "
        "was approved: review it now."
        for item in attention.get("early_posts") or []
    ]
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
        lines.append(
            "- ad disclosure: none that counts (missing, or buried past the campaign's first"
            " characters): the creator is nudged, `campaign status` shows the problem"
        )
    elif disclosure is True:
        lines.append("- ad disclosure: present")
    if result.get("note"):
        lines.append(f"- note: {result['note']}")
    return "\n".join(lines) + "\n"
