"""A tracking run names every post it found gone (issue 14): whose, which, when last seen.

"1 post(s) disappeared" left the operator to search for it; the summary artifact and
``campaign track`` now list each post (``gone_posts.describe_gone_posts`` entries).
"""

from __future__ import annotations

from creatorflow.services.tracking.run_summary import (
    gone_post_line,
    next_steps,
    tracking_summary_markdown,
)

CHANNEL = "UC1V7Pcy60Kv33-muYodk9J7"
GONE = [
    {
        "campaign": "spring-glow",
        "account": f"youtube:{CHANNEL}",
        "public_handle": "@glowlab",
        "post_id": "vid123",
        "url": "https://www.youtube.com/watch?v=vid123",
        "last_seen_at": "2027-03-04T09:15:00+00:00",
        "gone_at": "2027-03-04T10:00:00+00:00",
    },
    {
        "campaign": "spring-glow",
        "account": "instagram:hugo.q",
        "public_handle": None,
        "post_id": "17900001",
        "url": None,
        "last_seen_at": None,
        "gone_at": "2027-03-04T10:00:00+00:00",
    },
]
RUN = {
    "as_of": "2027-03-04T10:00:00+00:00",
    "campaigns": ["spring-glow"],
    "detection": {"new": 0, "undisclosed": 0, "failures": 0},
    "polling": {"snapshots": 8, "batches": 1, "requests": 1, "gone": 2, "gone_posts": GONE},
}


def test_each_gone_post_is_named_with_its_creator_link_and_last_sighting() -> None:
    text = tracking_summary_markdown(RUN)
    assert "- 2 post(s) disappeared (deleted, made private or taken down)" in text
    assert (
        f"  - `youtube:{CHANNEL}` (@glowlab), spring-glow: "
        "https://www.youtube.com/watch?v=vid123, last seen 2027-03-04 09:15 UTC\n"
    ) in text
    # no URL stored: the post id; never polled since detection: said so
    assert "  - `instagram:hugo.q`, spring-glow: 17900001, last seen never by a poll\n" in text
    assert "Nothing needs you" not in text


def test_the_lines_follow_the_count_and_a_run_without_names_still_counts() -> None:
    steps = next_steps(RUN)
    first = next(i for i, s in enumerate(steps) if "disappeared" in s)
    assert [s.lstrip().startswith("- `") for s in steps[first + 1 : first + 3]] == [True, True]
    older = {"polling": {"gone": 1}}  # a summary from before the names were kept
    assert [s for s in next_steps(older) if "disappeared" in s] and len(next_steps(older)) == 1
    assert gone_post_line(GONE[1] | {"url": "https://instagram.com/p/x"}).endswith(
        "https://instagram.com/p/x, last seen never by a poll"
    )
