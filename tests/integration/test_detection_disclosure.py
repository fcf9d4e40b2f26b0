"""The detection summary's "without an ad disclosure" count is the caption judgement of issue 16
(the campaign's markers and placement rule), and says how many are missing and how many buried.

A German-only campaign with a marker of its own: ``#ad`` (English) is no disclosure there,
``#Werbung`` at the start is, one only among the closing hashtags is buried, ``#adventure``
is nothing. The stored caption versions and the summary must agree with the counts.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.model import Platform
from creatorflow.platforms.base import Post, PostMetrics
from creatorflow.services.tracking.detection import (
    DetectionReport,
    store_matches,
    undisclosed_split,
)
from creatorflow.services.tracking.run_summary import next_steps, tracking_summary_markdown
from creatorflow.storage.campaigns import get_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import CaptionVersion, Deliverable, Enrollment
from tests.support.builders import enroll
from tests.support.campaigns import add_campaign

LONG = (
    "Meine Morgenroutine mit dem neuen Serum von @lumenskincare, Schritt für Schritt erklärt. " * 2
)
CAPTIONS = {  # post id -> (caption, the verdict under the campaign's rules)
    "p1": ("#ad Morgenroutine ☀️ #springglow", "missing"),  # #ad is English: not a marker here
    "p2": ("#Werbung ✨ Morgenroutine #springglow", "disclosed"),
    "p3": (f"{LONG}\n\n#springglow #glow #skincare #werbung", "buried"),
    "p4": ("#Kooperation mit @lumenskincare 🌸 #springglow", "disclosed"),  # the campaign's own
    "p5": ("Meine #adventure Tour #springglow", "missing"),
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_new_posts_are_judged_by_the_campaigns_rules_and_split_missing_and_buried(
    engine: Engine, now: datetime
) -> None:
    compliance = {"languages": ["de"], "markers": ["#Kooperation"]}
    campaign_id = add_campaign(engine, now=now, compliance=compliance)
    enrollment_id = enroll(engine, campaign_id, ("instagram", "mia.glow", "1784"), now=now)
    campaign = get_campaign(engine, "spring-glow")
    posts = [
        Post(Platform.INSTAGRAM, post_id, "1784", None, None, text, now, PostMetrics(likes=1))
        for post_id, (text, _) in CAPTIONS.items()
    ]
    report = DetectionReport()
    with session_scope(engine) as session:
        enrollment = session.get_one(Enrollment, enrollment_id)
        session.expunge(enrollment)
    store_matches(engine, campaign, enrollment, posts, now=now, actor="test", report=report)
    store_matches(engine, campaign, enrollment, posts, now=now, actor="test", report=report)

    with session_scope(engine) as session:
        ids = dict(session.execute(select(Deliverable.post_id, Deliverable.id)).all())
        stored = dict(
            session.execute(
                select(Deliverable.post_id, CaptionVersion.verdict).join(
                    CaptionVersion, CaptionVersion.deliverable_id == Deliverable.id
                )
            ).all()
        )
    assert stored == {post_id: verdict for post_id, (_, verdict) in CAPTIONS.items()}
    assert len(report.new_deliverables) == 5  # the second sighting adds nothing
    assert sorted(report.undisclosed) == sorted(ids[p] for p in ("p1", "p3", "p5"))
    split = undisclosed_split(engine=engine, deliverable_ids=report.undisclosed)
    assert split == {"missing": 2, "buried": 1}
    assert undisclosed_split(engine=engine, deliverable_ids=[]) == {"missing": 0, "buried": 0}

    detection = {"new": 5, "undisclosed": len(report.undisclosed), "disclosure": split}
    text = tracking_summary_markdown({"campaigns": ["spring-glow"], "detection": detection})
    assert "5 new post(s), 3 without an ad disclosure that counts (2 missing, 1 buried)" in text
    steps = "\n".join(next_steps({"detection": detection}))
    assert "2 with no disclosure marker, 1 with it buried" in steps
    assert "#sponsored" not in text
