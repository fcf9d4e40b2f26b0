"""``move_stages`` on a real database (SQLite and PostgreSQL): compare-and-set, one event a row."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from creatorflow.domain.lifecycle import Cause, Stage, StageMoveRefused
from creatorflow.errors import TransitionError
from creatorflow.storage.db import session_scope
from creatorflow.storage.enrollments import StageMove, enroll, move_stage, move_stages
from creatorflow.storage.models import Account, Campaign, Creator, Enrollment, Event


def _shortlist(engine: Engine, now: datetime, count: int) -> list[int]:
    """A campaign with ``count`` creators enrolled (shortlisted), the way a launch enrolls them."""
    with session_scope(engine) as s:
        campaign = Campaign(
            slug="spring-glow",
            name="Spring",
            brand="Glow",
            spec={},
            spec_sha256="0" * 64,
            status="draft",
            created_at=now,
        )
        s.add(campaign)
        rows = []
        for n in range(count):
            creator = Creator(
                name=f"c{n}",
                email=f"c{n}@creator.example",
                lawful_basis="legitimate_interest",
                source="test",
                created_at=now,
                updated_at=now,
            )
            account = Account(
                creator=creator,
                platform="instagram",
                handle=f"c{n}",
                created_at=now,
                updated_at=now,
            )
            s.add_all([creator, account])
            s.flush()
            rows.append(
                {"campaign_id": campaign.id, "creator_id": creator.id, "account_id": account.id}
            )
        return enroll(s, rows, now=now, actor="test", reason="selected by the campaign's rules")


def _stages(engine: Engine) -> dict[int, str]:
    with session_scope(engine) as s:
        return dict(s.execute(select(Enrollment.id, Enrollment.stage)).tuples().all())


def _stage_events(engine: Engine) -> list[tuple[int | None, dict[str, object], datetime]]:
    with session_scope(engine) as s:
        rows = s.scalars(select(Event).where(Event.kind == "stage_changed").order_by(Event.id))
        return [(e.entity_id, e.detail, e.occurred_at) for e in rows]


def test_enrolling_starts_at_shortlisted_with_one_event_each_and_only_once(
    engine: Engine, now: datetime
) -> None:
    ids = _shortlist(engine, now, 3)

    assert set(_stages(engine).values()) == {"shortlisted"}
    events = _stage_events(engine)
    assert [e[0] for e in events] == ids
    assert events[0][1] == {
        "from": None,
        "to": "shortlisted",
        "reason": "selected by the campaign's rules",
    }
    with session_scope(engine) as s:
        again = [
            {"campaign_id": e.campaign_id, "creator_id": e.creator_id, "account_id": e.account_id}
            for e in s.scalars(select(Enrollment))
        ]
        assert enroll(s, again, now=now, actor="test", reason="again") == []
    assert len(_stage_events(engine)) == 3


def test_every_row_still_where_the_cause_starts_moves_with_its_own_event(
    engine: Engine, now: datetime
) -> None:
    a, b, c = _shortlist(engine, now, 3)
    later = now + timedelta(hours=1)
    with session_scope(engine) as s:
        moved = move_stages(
            s,
            [c, a, b, a],
            cause=Cause.FIRST_EMAIL_SENT,
            reason="initial email sent",
            now=later,
            actor="flow-run:1",
        )
        campaign_id, creator_of_c = s.execute(
            select(Enrollment.campaign_id, Enrollment.creator_id).where(Enrollment.id == c)
        ).one()

    assert [m.enrollment_id for m in moved] == [c, a, b]  # the caller's order, each once
    assert moved[0] == StageMove(c, creator_of_c, campaign_id, Stage.SHORTLISTED, Stage.CONTACTED)
    assert _stages(engine) == {a: "contacted", b: "contacted", c: "contacted"}
    events = _stage_events(engine)[3:]
    assert [(e[0], e[2]) for e in events] == [(c, later), (a, later), (b, later)]
    assert events[0][1] == {
        "from": "shortlisted",
        "to": "contacted",
        "reason": "initial email sent",
    }
    with session_scope(engine) as s:
        row = s.get_one(Enrollment, a)
        assert row.updated_at == later


def test_a_move_from_several_stages_names_each_rows_own_starting_stage(
    engine: Engine, now: datetime
) -> None:
    a, b, c = _shortlist(engine, now, 3)
    with session_scope(engine) as s:
        move_stages(s, [b, c], cause=Cause.FIRST_EMAIL_SENT, now=now, actor="test")
        move_stages(s, [c], cause=Cause.REPLY, now=now, actor="test")
        moved = move_stages(
            s,
            [a, b, c],
            cause=Cause.OPT_OUT,
            detail={"inbound_message_id": 7},
            now=now,
            actor="test",
        )

    assert [(m.enrollment_id, m.from_) for m in moved] == [
        (a, Stage.SHORTLISTED),
        (b, Stage.CONTACTED),
        (c, Stage.REPLIED),
    ]
    details = [e[1] for e in _stage_events(engine)[-3:]]
    assert details == [
        {"from": "shortlisted", "to": "opted_out", "inbound_message_id": 7},
        {"from": "contacted", "to": "opted_out", "inbound_message_id": 7},
        {"from": "replied", "to": "opted_out", "inbound_message_id": 7},
    ]


def test_a_stale_move_does_nothing_and_writes_no_event(engine: Engine, now: datetime) -> None:
    a, b = _shortlist(engine, now, 2)
    with session_scope(engine) as s:
        move_stages(s, [a, b], cause=Cause.FIRST_EMAIL_SENT, now=now, actor="test")
        read = Stage(s.get_one(Enrollment, a).stage)  # one run reads "contacted" ...
    with session_scope(engine) as s:  # ... another answers first ...
        move_stages(s, [a], cause=Cause.REPLY, now=now, actor="inbox")
    before = len(_stage_events(engine))

    with session_scope(engine) as s:  # ... so the first run's move finds nothing to move
        ended = move_stages(
            s, [a], cause=Cause.SEQUENCE_ENDED, expected_from=read, now=now, actor="test"
        )
        sent_again = move_stages(s, [a, b], cause=Cause.FIRST_EMAIL_SENT, now=now, actor="test")

    assert ended == [] and sent_again == []
    assert _stages(engine) == {a: "replied", b: "contacted"}
    assert len(_stage_events(engine)) == before


def test_two_runs_moving_the_same_rows_at_once_move_each_row_once(
    engine: Engine, now: datetime
) -> None:
    ids = _shortlist(engine, now, 4)
    first_moved, may_commit = threading.Event(), threading.Event()
    results: dict[str, list[StageMove]] = {}

    def first() -> None:
        with session_scope(engine) as s:
            results["first"] = move_stages(
                s, ids, cause=Cause.FIRST_EMAIL_SENT, now=now, actor="first"
            )
            first_moved.set()
            may_commit.wait(10)  # holds its row locks (SQLite: the write lock) until told

    def second() -> None:
        first_moved.wait(10)
        with session_scope(engine) as s:  # blocks on the first run's locks, then re-checks
            results["second"] = move_stages(
                s, ids, cause=Cause.FIRST_EMAIL_SENT, now=now, actor="second"
            )

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_moved.wait(10)
    threading.Timer(0.3, may_commit.set).start()
    for t in threads:
        t.join(30)

    assert [m.enrollment_id for m in results["first"]] == ids
    assert results["second"] == []
    with session_scope(engine) as s:
        actors = s.scalars(
            select(Event.actor).where(
                Event.kind == "stage_changed", Event.detail["to"].as_string() == "contacted"
            )
        ).all()
    assert actors == ["first"] * 4


def test_a_move_the_lifecycle_does_not_allow_is_refused_before_any_write(
    engine: Engine, now: datetime
) -> None:
    (a,) = _shortlist(engine, now, 1)
    with session_scope(engine) as s, pytest.raises(StageMoveRefused) as caught:
        move_stages(
            s,
            [a],
            cause=Cause.DELIVERABLE_FOUND,
            expected_from=Stage.SHORTLISTED,
            now=now,
            actor="test",
        )

    assert str(caught.value) == (
        "cannot move an enrollment from shortlisted to posted by deliverable_found: "
        "deliverable_found moves only from accepted"
    )
    assert _stages(engine) == {a: "shortlisted"}
    assert len(_stage_events(engine)) == 1


def test_an_enrollment_loaded_in_the_session_sees_its_new_stage(
    engine: Engine, now: datetime
) -> None:
    (a,) = _shortlist(engine, now, 1)
    with session_scope(engine) as s:
        loaded = s.get_one(Enrollment, a)
        move_stages(s, [a], cause=Cause.REMOVED_BY_OPERATOR, now=now, actor="test")
        assert loaded.stage == "removed"


def test_an_answer_checked_against_a_stage_another_run_has_left_is_refused(
    engine: Engine, now: datetime
) -> None:
    (a,) = _shortlist(engine, now, 1)
    with session_scope(engine) as s:
        move_stages(s, [a], cause=Cause.FIRST_EMAIL_SENT, now=now, actor="test")
    with session_scope(engine) as s:
        declined = move_stage(
            s, a, cause=Cause.DECLINED, expected_from=Stage.CONTACTED, now=now, actor="operator"
        )
    assert (declined.from_, declined.to) == (Stage.CONTACTED, Stage.DECLINED)
    before = len(_stage_events(engine))

    with session_scope(engine) as s, pytest.raises(TransitionError) as caught:
        move_stage(
            s, a, cause=Cause.ACCEPTED, expected_from=Stage.CONTACTED, now=now, actor="operator"
        )

    assert str(caught.value) == (
        f"enrollment {a} is no longer contacted: another run moved it first; try again"
    )
    assert _stages(engine) == {a: "declined"} and len(_stage_events(engine)) == before
