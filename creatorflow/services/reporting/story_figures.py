"""Instagram Stories in the report: counted apart, never mixed into the API's figures.

A story's figures come only from its creator (provenance ``submitted``): Meta shows them to
nobody else. So the report says how many stories there were, the sums the creators reported,
and how many stories still have no figures; the headline, tier and platform figures (measured
through the API, ``aggregates.post_rows``) leave stories out altogether. A count a creator left
out is unknown, not zero: each sum says over how many stories it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from creatorflow.domain.model import Provenance
from creatorflow.services.reporting import numbers as fmt
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Deliverable, Enrollment, MetricSnapshot

STORY = "story"
FIGURES = ("views", "reach", "link_taps", "replies")
LABELS = {"views": "Views", "reach": "Reach", "link_taps": "Link taps", "replies": "Replies"}


@dataclass(frozen=True)
class StoryFigures:
    """Stories recorded by ``as_of``; ``sums[name]`` over ``known[name]`` stories."""

    stories: int
    with_results: int
    sums: dict[str, int]
    known: dict[str, int]

    @property
    def missing(self) -> int:
        return self.stories - self.with_results


def story_figures(*, engine: Engine, campaign_id: int, as_of: datetime) -> StoryFigures:
    """Each story's latest submitted figures as of ``as_of``, summed."""
    with session_scope(engine) as session:
        ids = list(
            session.scalars(
                select(Deliverable.id)
                .join(Enrollment, Enrollment.id == Deliverable.enrollment_id)
                .where(Enrollment.campaign_id == campaign_id, Deliverable.kind == STORY)
                .where(Deliverable.detected_at <= as_of)
            )
        )
        latest: dict[int, MetricSnapshot] = {}
        for snap in session.scalars(
            select(MetricSnapshot)
            .where(MetricSnapshot.deliverable_id.in_(ids))
            .where(MetricSnapshot.provenance == Provenance.SUBMITTED.value)
            .where(MetricSnapshot.taken_at <= as_of)
            .order_by(MetricSnapshot.taken_at, MetricSnapshot.id)
        ):
            latest[snap.deliverable_id] = snap
    sums = dict.fromkeys(FIGURES, 0)
    known = dict.fromkeys(FIGURES, 0)
    for snap in latest.values():
        for name in FIGURES:
            value = getattr(snap, name)
            if value is not None:
                sums[name] += int(value)
                known[name] += 1
    return StoryFigures(len(ids), len(latest), sums, known)


def story_view(*, engine: Engine, campaign_id: int, as_of: datetime) -> dict[str, object]:
    """The report's stories section as strings (``templates/report/_stories.html.j2``)."""
    f = story_figures(engine=engine, campaign_id=campaign_id, as_of=as_of)
    lines = [
        {
            "label": LABELS[name],
            "value": fmt.count(f.sums[name]) if f.known[name] else fmt.UNKNOWN,
            "note": f"{f.known[name]:,} of {f.stories:,} stories reported",
        }
        for name in FIGURES
    ]
    return {
        "count": f.stories,
        "stories": fmt.count(f.stories),
        "with_results": fmt.count(f.with_results),
        "missing": fmt.count(f.missing),
        "lines": lines,
    }
