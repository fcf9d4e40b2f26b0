"""The tracking artifacts tell the operator what happened and what to do next."""

from __future__ import annotations

from creatorflow.services.tracking.run_summary import (
    next_steps,
    submission_markdown,
    tracking_summary_markdown,
)

QUIET_RUN = {
    "as_of": "2027-03-04T10:00:00+00:00",
    "campaigns": ["spring-glow"],
    "inbox": {"recorded": 2, "by_kind": {"reply": 1, "auto_reply": 1}, "replied": 1},
    "briefs": {"spring-glow": {"sent": 1, "skipped": 0}},
    "follow_ups": {"spring-glow": {"sent": 3}},
    "reminders": {"spring-glow": {}},
    "detection": {"new": 2, "undisclosed": 0, "failures": 0},
    "polling": {"snapshots": 40, "batches": 2, "requests": 3, "gone": 0, "quota_exhausted": []},
}


def test_a_quiet_run_says_nothing_needs_the_operator() -> None:
    text = tracking_summary_markdown(QUIET_RUN)
    assert "| spring-glow | sent 1 | sent 3 | nothing |" in text
    assert "Deliverables: 2 new post(s), 0 without an ad disclosure" in text
    assert "Polling: 40 snapshot(s) in 2 batch(es), 3 API request(s), 0 post(s) gone" in text
    assert "Nothing needs you" in text


def test_quota_undisclosed_posts_unknown_mail_and_failures_each_get_a_next_step() -> None:
    run = dict(QUIET_RUN)
    run["follow_ups"] = {"spring-glow": {"sent": 2, "unknown": 1}}
    run["detection"] = {"new": 1, "undisclosed": 1, "failures": 0}
    run["polling"] = {
        "snapshots": 5,
        "quota_exhausted": ["youtube"],
        "gone": 1,
        "failed_batches": ["tiktok: 500 after 4 tries"],
        "failures": [],
    }
    steps = "\n".join(next_steps(run))
    assert "1 email(s) in state `unknown`" in steps
    assert "not disclosed as the campaign requires (missing or buried)" in steps
    assert "Quota spent on youtube" in steps
    assert "1 post(s) disappeared" in steps
    assert "1 batch(es) failed after retries (first: tiktok: 500 after 4 tries)" in steps
    assert "Nothing needs you" not in tracking_summary_markdown(run)


def test_a_submission_without_disclosure_asks_for_it() -> None:
    text = submission_markdown(
        {
            "created": True,
            "platform": "instagram",
            "handle": "mia",
            "post_id": "1789",
            "provenance": "submitted",
            "disclosure_ok": False,
            "note": "the API could not confirm the owner",
        }
    )
    assert text.startswith("# Deliverable recorded")
    assert "provenance: `submitted`" in text
    assert "none that counts (missing, or buried" in text and "campaign status" in text
