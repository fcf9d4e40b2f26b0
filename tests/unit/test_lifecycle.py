"""The lifecycle table: what the code does is allowed, the rest is refused, the sets agree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from creatorflow.domain import lifecycle
from creatorflow.domain.classify import Kind
from creatorflow.domain.lifecycle import (
    ACTIVE,
    AGREED,
    BEFORE_ACCEPTANCE,
    CLOSED,
    FIRST_STAGE,
    OPEN,
    REACHED_CONTACT,
    REACHED_REPLY,
    TRACKED,
    TRANSITIONS,
    Cause,
    StageMoveRefused,
    allowed_from,
    check_move,
    moves,
    next_stage,
    refuse_acceptance,
    refuse_decline,
    stage_after_mail,
    target_of,
)
from creatorflow.domain.metrics import funnel_step_reached
from creatorflow.domain.model import Stage
from creatorflow.errors import TransitionError

PACKAGE = Path(lifecycle.__file__).resolve().parents[1]

SETS = {
    "OPEN": OPEN,
    "BEFORE_ACCEPTANCE": BEFORE_ACCEPTANCE,
    "AGREED": AGREED,
    "TRACKED": TRACKED,
    "ACTIVE": ACTIVE,
    "CLOSED": CLOSED,
    "REACHED_CONTACT": REACHED_CONTACT,
    "REACHED_REPLY": REACHED_REPLY,
}

#: Every stage and exactly the named sets it belongs to.
MEMBERSHIP: dict[Stage, set[str]] = {
    Stage.SHORTLISTED: {"BEFORE_ACCEPTANCE"},
    Stage.REMOVED: set(),
    Stage.CONTACTED: {"OPEN", "BEFORE_ACCEPTANCE", "ACTIVE", "REACHED_CONTACT"},
    Stage.FINISHED: {"OPEN", "BEFORE_ACCEPTANCE", "REACHED_CONTACT"},
    Stage.REPLIED: {"BEFORE_ACCEPTANCE", "ACTIVE", "REACHED_CONTACT", "REACHED_REPLY"},
    Stage.DECLINED: {"BEFORE_ACCEPTANCE", "CLOSED", "REACHED_CONTACT", "REACHED_REPLY"},
    Stage.ACCEPTED: {"AGREED", "TRACKED", "ACTIVE", "REACHED_CONTACT", "REACHED_REPLY"},
    Stage.POSTED: {"AGREED", "TRACKED", "ACTIVE", "REACHED_CONTACT", "REACHED_REPLY"},
    Stage.OPTED_OUT: {"CLOSED", "REACHED_CONTACT"},
    Stage.BOUNCED: {"CLOSED", "REACHED_CONTACT"},
}


def test_every_cause_has_one_row_leading_away_from_where_it_starts() -> None:
    assert sorted(t.cause for t in TRANSITIONS) == sorted(Cause)
    for t in TRANSITIONS:
        assert t.from_, t.cause
        assert t.to not in t.from_, t.cause  # a move can never apply twice to one row
        assert target_of(t.cause) is t.to and allowed_from(t.cause) == t.from_


@pytest.mark.parametrize(("from_", "to", "cause"), list(moves()))
def test_every_move_of_the_table_is_allowed(from_: Stage, to: Stage, cause: Cause) -> None:
    assert check_move(from_, cause) is to
    assert next_stage(from_, cause) is to


@pytest.mark.parametrize("cause", list(Cause))
def test_a_move_the_table_does_not_have_is_refused_naming_from_to_and_cause(cause: Cause) -> None:
    refused = [s for s in Stage if s not in allowed_from(cause)]
    assert refused  # every cause has stages it cannot move
    for stage in refused:
        assert next_stage(stage, cause) is None
        with pytest.raises(StageMoveRefused) as caught:
            check_move(stage, cause)
        message = str(caught.value)
        assert message.startswith(
            f"cannot move an enrollment from {stage.value} to {target_of(cause).value} "
            f"by {cause.value}: {cause.value} moves only from "
        )
        assert (caught.value.from_, caught.value.to, caught.value.cause) == (
            stage,
            target_of(cause),
            cause,
        )
        assert isinstance(caught.value, TransitionError)  # the CLI prints it as one line


def test_closed_stages_and_removal_are_final() -> None:
    leaving = {stage for stage, _to, _cause in moves()}
    assert not leaving & (CLOSED - {Stage.DECLINED})
    assert Stage.REMOVED not in leaving and Stage.POSTED not in leaving
    assert FIRST_STAGE is Stage.SHORTLISTED


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_is_in_exactly_the_sets_expected(stage: Stage) -> None:
    assert {name for name, members in SETS.items() if stage in members} == MEMBERSHIP[stage]


def test_the_sets_agree_with_each_other() -> None:
    assert not ACTIVE & CLOSED
    assert not AGREED & BEFORE_ACCEPTANCE
    assert AGREED | BEFORE_ACCEPTANCE | {Stage.REMOVED, Stage.OPTED_OUT, Stage.BOUNCED} == set(
        Stage
    )
    assert TRACKED == AGREED <= ACTIVE
    assert OPEN <= BEFORE_ACCEPTANCE and OPEN <= REACHED_CONTACT
    assert AGREED <= REACHED_REPLY <= REACHED_CONTACT
    assert FIRST_STAGE not in REACHED_CONTACT


def test_mail_moves_stages_before_acceptance_only() -> None:
    for kind in Kind:
        for stage in AGREED:
            assert stage_after_mail(kind, stage) is None
    assert stage_after_mail(Kind.AUTO_REPLY, Stage.CONTACTED) is None
    assert stage_after_mail(Kind.UNSUBSCRIBE, Stage.DECLINED) is Stage.OPTED_OUT
    assert stage_after_mail(Kind.HARD_BOUNCE, Stage.DECLINED) is None


def test_only_a_refusal_at_send_time_bounces_an_accepted_creator() -> None:
    assert next_stage(Stage.ACCEPTED, Cause.ADDRESS_REJECTED) is Stage.BOUNCED
    assert next_stage(Stage.ACCEPTED, Cause.BOUNCE) is None
    assert next_stage(Stage.POSTED, Cause.ADDRESS_REJECTED) is None


def test_operator_answers_are_refused_in_the_words_the_cli_prints() -> None:
    assert {s: refuse_acceptance(s) for s in Stage if refuse_acceptance(s)} == {
        Stage.SHORTLISTED: "has not been contacted yet",
        Stage.REMOVED: "was removed from the shortlist",
        Stage.OPTED_OUT: "opted out (never contact them again)",
        Stage.BOUNCED: "has an address that bounced",
        Stage.POSTED: "has already posted",
    }
    assert {s: refuse_decline(s) for s in Stage if refuse_decline(s)} == {
        Stage.SHORTLISTED: "has not been contacted yet",
        Stage.REMOVED: "was removed from the shortlist",
        Stage.OPTED_OUT: "opted out",
        Stage.BOUNCED: "has an address that bounced",
        Stage.POSTED: "has already posted",
        Stage.DECLINED: "has already declined",
    }


def test_the_report_funnel_reads_the_lifecycle_sets() -> None:
    reached = {s: funnel_step_reached(s, has_post=False) for s in Stage}
    assert reached == {
        Stage.SHORTLISTED: 0,
        Stage.REMOVED: None,
        Stage.CONTACTED: 1,
        Stage.FINISHED: 1,
        Stage.OPTED_OUT: 1,
        Stage.BOUNCED: 1,
        Stage.REPLIED: 2,
        Stage.DECLINED: 2,
        Stage.ACCEPTED: 3,
        Stage.POSTED: 4,
    }
    assert funnel_step_reached("contacted", has_post=True) == 4  # stored stages are plain text


def _causes_named_in_code() -> dict[Cause, list[str]]:
    """Every ``Cause.X`` the package names outside the lifecycle, with where it is named."""
    named: dict[Cause, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "lifecycle.py" and path.parent.name == "domain":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "Cause"
            ):
                cause = Cause[node.attr]  # KeyError: a cause the table does not know
                named.setdefault(cause, []).append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return named


def test_every_cause_the_code_performs_is_in_the_table_and_every_row_is_used() -> None:
    named = _causes_named_in_code()
    for via_mail in (lifecycle.cause_of_mail(k) for k in Kind):
        if via_mail is not None:
            named.setdefault(via_mail, []).append("domain/lifecycle.py (cause_of_mail)")
    assert set(named) == set(Cause), f"never performed: {set(Cause) - set(named)}"
