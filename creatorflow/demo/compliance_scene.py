"""The demo's compliance scene: a creator forgets the ad disclosure and adds it after the nudge
(issue 16).

On ``FORGET_DAY``, before that day's tracking run, one creator who has just posted turns out to
have left the disclosure out: the run records the caption (``caption_recorded``, verdict
``missing``) and sends the one ``compliance_missing`` nudge. Once the nudge has gone, the
creator edits the post (a change planned in the sandbox's simulated time) with the disclosure
at the start: that tracking day records ``disclosure_added`` and closes the problem. The creator who
deletes a post early (the cast's ``accepts, posts, deletes the post``) is flagged ``removed
early`` by the same runs. The report's "Ad disclosure" section counts both; no metric changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from creatorflow.demo.cast import Fate, Person
from creatorflow.demo.run import Demo
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import ComplianceProblem, Deliverable

FORGET_DAY = 5
_FORGETTERS: dict[int, tuple[Person, str, str]] = {}  # demo -> person, post id, original text


def compliance_scene(demo: Demo, settings: Settings, now: datetime, day: int) -> None:
    """The scene's step for ``day``, before that day's tracking run (see the module docstring)."""
    if day == FORGET_DAY:
        _forget(demo, day)
        return
    scene = _FORGETTERS.get(id(demo))
    if scene is None:
        return
    person, post_id, text = scene
    with session_scope(engine_for(settings.database_url)) as session:
        nudged = session.scalar(
            select(ComplianceProblem.nudged_at)
            .join(Deliverable, Deliverable.id == ComplianceProblem.deliverable_id)
            .where(Deliverable.post_id == post_id)
            .where(ComplianceProblem.nudged_at.is_not(None))
        )
    if nudged is None:
        return  # the nudge waits for the send window: the creator has not read it yet
    fixed = "#ad " + text.replace(" #ad", "")
    demo.world.plan_edit(post_id, now - timedelta(hours=1), text=fixed)
    demo.say(f"day {day}: {person.handle_ref} read the nudge and put #ad at the start")
    del _FORGETTERS[id(demo)]


def _forget(demo: Demo, day: int) -> None:
    for person in sorted(demo.cast.people, key=lambda p: p.email):
        if person.fate is Fate.ACCEPT_DELETES or person.deleted or not person.post_ids:
            continue
        post = demo.world.post(person.post_ids[0])
        if post is None or "#ad" not in post.text:
            continue
        demo.world.update_post(post.post_id, text=post.text.replace(" #ad", ""))
        _FORGETTERS[id(demo)] = (person, post.post_id, post.text)
        demo.say(f"day {day}: {person.handle_ref} forgot the #ad in their caption")
        return
