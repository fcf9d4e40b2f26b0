"""The enrollment funnel a report shows: how far each enrollment got, counted per step.

Kept apart from ``domain.metrics`` (which re-exports it): it depends only on the lifecycle's
stage sets, not on any metric formula.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from creatorflow.domain.lifecycle import AGREED, REACHED_CONTACT, REACHED_REPLY, Stage

FUNNEL_STEPS: tuple[str, ...] = ("shortlisted", "contacted", "replied", "accepted", "posted")

#: Furthest step per stage, from the lifecycle's sets: a bounce or an opt-out still counts as
#: contacted, a decline as replied; a removed enrollment is not in the funnel at all.
_STAGE_REACHED: dict[str, int] = {
    stage: (stage in REACHED_CONTACT)
    + (stage in REACHED_REPLY)
    + (stage in AGREED)
    + (stage is Stage.POSTED)
    for stage in Stage
    if stage is not Stage.REMOVED
}


def funnel_step_reached(stage: str, *, has_post: bool) -> int | None:
    """Index in FUNNEL_STEPS of the furthest step an enrollment reached (None: removed).

    A bounce or an opt-out still counts as contacted; a decline as replied; a detected post as
    posted whatever the stored stage says.
    """
    reached = _STAGE_REACHED.get(stage)
    if reached is None:
        return None
    return 4 if has_post else reached


def funnel_counts(reached: Iterable[int | None]) -> dict[str, int]:
    """Cumulative funnel: each step counts the enrollments that got at least that far."""
    furthest = Counter(reached)  # one count per step, then the steps at or beyond each one
    counts, beyond = {}, 0
    for index in reversed(range(len(FUNNEL_STEPS))):
        beyond += furthest[index]
        counts[FUNNEL_STEPS[index]] = beyond
    return {step: counts[step] for step in FUNNEL_STEPS}
