"""The report's draft funnel (issue 18) and its compliance section in every part (issue 16).

The report world gets drafts, reviews, caption versions and compliance problems written as the
portal and the tracking run store them, some before the report's ``as_of`` and some after; the
figures are worked out by hand below. Rows after ``as_of`` must change nothing, bytes and all.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.services.portal.funnel import PORTAL_FUNNEL
from creatorflow.services.reporting.draft_figures import COLUMNS, draft_figures
from creatorflow.services.reporting.reports import BuiltReport, build_report
from creatorflow.settings import Settings
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import (
    CaptionVersion,
    ComplianceProblem,
    Deliverable,
    Draft,
    DraftReview,
)
from tests.support.worlds import AS_OF, ReportWorld, at, build_report_world

LATER = at(3, 9)

DraftRow = tuple[str, int, datetime | None, str | None, datetime | None]
# creator, version, submitted at, decision, decided at (ana nano; ben, hostile, dee micro)
DRAFTS: list[DraftRow] = [
    ("ana", 1, at(2, 10), "changes_requested", at(2, 11)),
    ("ana", 2, at(2, 12), "approved", at(2, 13)),
    ("hostile", 1, at(2, 14), "approved", at(2, 15)),
    ("ben", 1, at(2, 20), None, None),  # awaiting review at as_of
]
AFTER_AS_OF: list[DraftRow] = [
    ("ben", 1, None, "approved", at(3, 5)),  # the decision on ben's draft comes later
    ("dee", 1, at(3, 2), None, None),
]


def _add_drafts(engine: Engine, world: ReportWorld, rows: list[DraftRow]) -> None:
    with session_scope(engine) as s:
        for key, version, submitted, decision, decided in rows:
            enrollment_id = world.enrollments[key]
            draft = s.scalars(
                select(Draft).where(Draft.enrollment_id == enrollment_id, Draft.version == version)
            ).one_or_none()
            if draft is None:
                draft = Draft(
                    enrollment_id=enrollment_id,
                    version=version,
                    link=f"https://drafts.example/{key}/{version}",
                    submitted_at=submitted,
                )
                s.add(draft)
                s.flush()
            if decision:
                s.add(
                    DraftReview(
                        draft_id=draft.id, decision=decision, decided_at=decided, decided_by="t"
                    )
                )


def _post(s: Session, post_id: str) -> int:
    return int(s.scalars(select(Deliverable.id).where(Deliverable.post_id == post_id)).one())


def add_drafts_and_compliance(engine: Engine, world: ReportWorld) -> None:
    """The report world's drafts and caption checks as of ``AS_OF`` (the layout test uses it)."""
    _add_drafts(engine, world, DRAFTS)
    _add_compliance(engine)


def _add_compliance(engine: Engine) -> None:
    """a1 (ana, nano) disclosed at first sight; c1 (micro) missing, nudged, then fixed; b1
    (micro) buried and still open; ana's a2 removed early; a3 is seen after as_of."""
    with session_scope(engine) as s:
        for post_id, verdict, seen in (
            ("a1", "disclosed", at(2, 15)),
            ("c1", "missing", at(2, 20)),
            ("b1", "buried", at(2, 18)),
            ("a2", "disclosed", at(2, 25)),
            ("a3", "missing", at(3, 3)),
        ):
            version = CaptionVersion(deliverable_id=_post(s, post_id), seq=1, text="caption")
            version.sha256, version.verdict, version.reason = "0" * 64, verdict, "test"
            version.first_seen_at = version.last_seen_at = seen
            s.add(version)
        s.add(
            ComplianceProblem(
                deliverable_id=_post(s, "c1"),
                kind="missing",
                opened_at=at(2, 20),
                nudged_at=at(2, 21),
                closed_at=at(2, 22),
                closed_reason="fixed",
            )
        )
        s.add(ComplianceProblem(deliverable_id=_post(s, "b1"), kind="buried", opened_at=at(2, 18)))
        s.add(
            ComplianceProblem(
                deliverable_id=_post(s, "a2"), kind="removed_early", opened_at=at(2, 27)
            )
        )
        s.add(ComplianceProblem(deliverable_id=_post(s, "a3"), kind="missing", opened_at=at(3, 3)))


@pytest.fixture
def world(engine: Engine) -> ReportWorld:
    world = build_report_world(engine)
    add_drafts_and_compliance(engine, world)
    return world


def _build(engine: Engine, settings: Settings, as_of: datetime) -> BuiltReport:
    return build_report(engine=engine, settings=settings, slug="spring-glow", as_of=as_of)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_draft_figures_per_tier_count_only_what_happened_by_as_of(
    engine: Engine, world: ReportWorld
) -> None:
    assert set(COLUMNS) - {"creators", "awaiting_review"} <= set(PORTAL_FUNNEL)  # same names
    f = draft_figures(engine=engine, campaign_id=world.campaign_id, as_of=AS_OF, draft_review=True)
    columns = ("creators", "drafts_submitted", "drafts_approved", "changes_requested")
    assert {
        t: tuple(r[c] for c in (*columns, "awaiting_review")) for t, r in f.by_tier.items()
    } == {
        "nano": (1, 2, 1, 1, 0),
        "micro": (2, 2, 1, 0, 1),
    }
    # b1 (ben, 02-18) went live with no approved draft; ana's and hostile's came after approval
    assert f.posted_before_approval == 1
    _add_drafts(engine, world, AFTER_AS_OF)
    later = draft_figures(
        engine=engine, campaign_id=world.campaign_id, as_of=LATER, draft_review=False
    )
    assert later.by_tier["micro"] == {
        "creators": 3,
        "drafts_submitted": 3,
        "drafts_approved": 2,
        "changes_requested": 0,
        "awaiting_review": 1,
    }
    assert later.posted_before_approval is None  # the campaign does not require approval


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_part_shows_drafts_and_compliance_and_a_rerun_is_byte_identical(
    engine: Engine, world: ReportWorld, settings: Settings
) -> None:
    before = _build(engine, settings, AS_OF)
    text, markdown = before.text, before.markdown
    assert (
        "  micro: creators with a draft 2; drafts submitted 2; approved 1; changes requested 0;"
        " awaiting review 1" in text
    )
    assert "  all tiers: creators with a draft 3; drafts submitted 4; approved 2;" in text
    assert "| nano | 1 | 2 | 1 | 1 | 0 |" in markdown
    assert "| all tiers | 3 | 4 | 2 | 1 | 1 |" in markdown
    assert "Drafts, per tier" in before.html_email and "changes requested" in before.html_email
    # compliance, same figures as the HTML: checked, first sight, fixed after nudge, open, removed
    assert (
        "  nano: posts checked 2; compliant at first sight 2; fixed after a nudge 0;"
        " still open 0; removed early 1" in text
    )
    assert "| micro | 2 | 0 | 1 | 1 | 0 |" in markdown
    assert "| all tiers | 4 | 2 | 1 | 1 | 1 |" in markdown
    assert "all tiers: posts checked 4;" in text
    assert "Ad disclosure" in before.html_email

    _add_drafts(engine, world, AFTER_AS_OF)  # ben's review and dee's draft come after as_of
    again = _build(engine, settings, AS_OF)
    assert (again.text, again.markdown, again.html_email) == (text, markdown, before.html_email)
