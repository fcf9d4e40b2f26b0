"""An enrollment's lifecycle: its stages, every allowed move with its cause, and the named sets.

One table says which stage each cause moves an enrollment to and from which stages it may;
``storage.enrollments.move_stages`` (the only writer of a stage) reads it and refuses anything
else, and every service filters by the sets named here, so what may happen to a creator in a
campaign is read, and tested, in one place. Stages after acceptance (accepted, posted) are not
undone by mail: the suppression list already stops further emails. The usual path (``TRANSITIONS``
has every move):

    shortlisted ── removed_by_operator, contact_cap ──> removed
        │ first_email_sent
        v
    contacted ── sequence_ended ──> finished
        │ reply (also from finished)
        v
    replied ── accepted ──> accepted ── deliverable_found ──> posted
        └───── declined ──> declined
    opt_out, complaint, bounce, address_rejected ──> opted_out, bounced: from the stages before
    acceptance (a complaint is a spam report from the person's mailbox provider: an opt-out)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from creatorflow.domain.classify import Kind
from creatorflow.domain.model import Stage
from creatorflow.errors import TransitionError

__all__ = [
    "ACTIVE",
    "AGREED",
    "BEFORE_ACCEPTANCE",
    "CLOSED",
    "FIRST_STAGE",
    "OPEN",
    "REACHED_CONTACT",
    "REACHED_REPLY",
    "TRACKED",
    "TRANSITIONS",
    "Cause",
    "Stage",
    "StageMoveRefused",
    "Transition",
    "allowed_from",
    "cause_of_mail",
    "check_move",
    "moves",
    "next_stage",
    "refuse_acceptance",
    "refuse_decline",
    "stage_after_mail",
    "target_of",
    "why_not",
]


class Cause(StrEnum):
    """What moves an enrollment: an email leaving, an answer coming in, an operator, a post."""

    REMOVED_BY_OPERATOR = "removed_by_operator"  # taken off the shortlist at approval
    CONTACT_CAP = "contact_cap"  # first email held back at send: the person is at the cap
    FIRST_EMAIL_SENT = "first_email_sent"
    SEQUENCE_ENDED = "sequence_ended"  # every follow-up sent, no answer
    REPLY = "reply"  # a person answered by mail
    BOUNCE = "bounce"  # a delivery status report came back
    ADDRESS_REJECTED = "address_rejected"  # the SMTP server refused the address as we sent
    OPT_OUT = "opt_out"  # by mail or through the one-click unsubscribe link
    COMPLAINT = "complaint"  # marked as spam: a feedback-loop report from their provider
    ACCEPTED = "accepted"  # the operator recorded the creator's acceptance
    DECLINED = "declined"  # the operator recorded the creator's refusal
    DELIVERABLE_FOUND = "deliverable_found"  # a campaign post detected or submitted


#: The stage a new enrollment starts in (the shortlist built at launch).
FIRST_STAGE: Final = Stage.SHORTLISTED

# -- the named stage sets --------------------------------------------------------------------

#: Contacted and not answered (or run out): an answer by mail can still move these.
OPEN: Final = frozenset({Stage.CONTACTED, Stage.FINISHED})
#: Nothing agreed yet: an opt-out or a bounce still closes these.
BEFORE_ACCEPTANCE: Final = frozenset(
    {Stage.SHORTLISTED, Stage.CONTACTED, Stage.REPLIED, Stage.FINISHED, Stage.DECLINED}
)
#: A deal was struck: the fee counts, the feed is searched, the funnel says accepted.
AGREED: Final = frozenset({Stage.ACCEPTED, Stage.POSTED})
#: Enrollments whose feeds are searched: accepted (nothing posted yet) and posted (more to come).
TRACKED: Final = AGREED
#: In conversation or delivering: a creator here is busy for another campaign's shortlist.
ACTIVE: Final = frozenset({Stage.CONTACTED, Stage.REPLIED, Stage.ACCEPTED, Stage.POSTED})
#: Ended by the creator or their address: never shortlisted again, in any campaign.
CLOSED: Final = frozenset({Stage.DECLINED, Stage.OPTED_OUT, Stage.BOUNCED})
#: Got at least the first email (the funnel's "contacted").
REACHED_CONTACT: Final = frozenset(Stage) - {Stage.SHORTLISTED, Stage.REMOVED}
#: Answered, whatever the answer (the funnel's "replied"); an opt-out or a bounce is no answer.
REACHED_REPLY: Final = frozenset({Stage.REPLIED, Stage.ACCEPTED, Stage.DECLINED, Stage.POSTED})


@dataclass(frozen=True)
class Transition:
    """``cause`` moves an enrollment at any stage of ``from_`` to ``to``."""

    cause: Cause
    from_: frozenset[Stage]
    to: Stage


def _row(cause: Cause, from_: frozenset[Stage] | set[Stage], to: Stage) -> Transition:
    return Transition(cause, frozenset(from_), to)


#: Every move the code may make, one row per cause (a cause always leads to the same stage).
TRANSITIONS: Final[tuple[Transition, ...]] = (
    _row(Cause.REMOVED_BY_OPERATOR, {Stage.SHORTLISTED}, Stage.REMOVED),
    # another campaign's first email reached the person after this shortlist was built
    _row(Cause.CONTACT_CAP, {Stage.SHORTLISTED}, Stage.REMOVED),
    _row(Cause.FIRST_EMAIL_SENT, {Stage.SHORTLISTED}, Stage.CONTACTED),
    _row(Cause.SEQUENCE_ENDED, {Stage.CONTACTED}, Stage.FINISHED),
    _row(Cause.REPLY, OPEN, Stage.REPLIED),
    # a declined creator gets no more mail: a late bounce says nothing new
    _row(Cause.BOUNCE, BEFORE_ACCEPTANCE - {Stage.DECLINED}, Stage.BOUNCED),
    # refused while sending, so also after acceptance: a brief or a reminder was on its way
    _row(
        Cause.ADDRESS_REJECTED,
        (BEFORE_ACCEPTANCE - {Stage.DECLINED}) | {Stage.ACCEPTED},
        Stage.BOUNCED,
    ),
    _row(Cause.OPT_OUT, BEFORE_ACCEPTANCE, Stage.OPTED_OUT),
    _row(Cause.COMPLAINT, BEFORE_ACCEPTANCE, Stage.OPTED_OUT),
    _row(
        Cause.ACCEPTED,
        {Stage.CONTACTED, Stage.REPLIED, Stage.FINISHED, Stage.DECLINED},
        Stage.ACCEPTED,
    ),
    _row(
        Cause.DECLINED,
        {Stage.CONTACTED, Stage.REPLIED, Stage.FINISHED, Stage.ACCEPTED},
        Stage.DECLINED,
    ),
    _row(Cause.DELIVERABLE_FOUND, {Stage.ACCEPTED}, Stage.POSTED),
)

_BY_CAUSE: Final[Mapping[Cause, Transition]] = {t.cause: t for t in TRANSITIONS}


class StageMoveRefused(TransitionError):
    """A move the table does not allow; names the stage, the stage asked for and the cause."""

    def __init__(self, from_: Stage, to: Stage, cause: Cause) -> None:
        allowed = ", ".join(sorted(allowed_from(cause))) or "nowhere"
        super().__init__(
            f"cannot move an enrollment from {from_.value} to {to.value} by {cause.value}: "
            f"{cause.value} moves only from {allowed}"
        )
        self.from_ = from_
        self.to = to
        self.cause = cause


def moves() -> Iterator[tuple[Stage, Stage, Cause]]:
    """The table as (from, to, cause) triples, one per allowed move."""
    for t in TRANSITIONS:
        for stage in sorted(t.from_):
            yield stage, t.to, t.cause


def target_of(cause: Cause) -> Stage:
    """The stage ``cause`` leads to."""
    return _BY_CAUSE[cause].to


def allowed_from(cause: Cause) -> frozenset[Stage]:
    """The stages ``cause`` may move an enrollment from."""
    return _BY_CAUSE[cause].from_


def next_stage(current: Stage, cause: Cause) -> Stage | None:
    """The stage ``cause`` moves ``current`` to, or None when the stage stays."""
    t = _BY_CAUSE[cause]
    return t.to if current in t.from_ else None


def check_move(current: Stage, cause: Cause) -> Stage:
    """The stage ``cause`` moves ``current`` to; ``StageMoveRefused`` when the table says no."""
    to = next_stage(current, cause)
    if to is None:
        raise StageMoveRefused(current, target_of(cause), cause)
    return to


# -- answers by mail -------------------------------------------------------------------------

_CAUSE_OF_MAIL: Final[Mapping[Kind, Cause]] = {
    Kind.REPLY: Cause.REPLY,
    Kind.HARD_BOUNCE: Cause.BOUNCE,
    Kind.UNSUBSCRIBE: Cause.OPT_OUT,
    Kind.COMPLAINT: Cause.COMPLAINT,
}


def cause_of_mail(kind: Kind) -> Cause | None:
    """What an inbound message of ``kind`` may cause (auto-replies, soft bounces, refusals and
    unrelated mail: nothing; a soft bounce counts towards ``soft_bounce_limit`` instead)."""
    return _CAUSE_OF_MAIL.get(kind)


def stage_after_mail(kind: Kind, current: Stage) -> Stage | None:
    """The stage an inbound message of ``kind`` leads to, or None when the stage stays."""
    cause = cause_of_mail(kind)
    return None if cause is None else next_stage(current, cause)


# -- answers recorded by the operator --------------------------------------------------------

#: Where a creator stands, in words, when the operator's answer cannot apply.
_STANDING: Final[Mapping[Stage, str]] = {
    Stage.SHORTLISTED: "has not been contacted yet",
    Stage.REMOVED: "was removed from the shortlist",
    Stage.OPTED_OUT: "opted out",
    Stage.BOUNCED: "has an address that bounced",
    Stage.POSTED: "has already posted",
    Stage.DECLINED: "has already declined",
    Stage.ACCEPTED: "has already accepted",
}
_STANDING_FOR: Final[Mapping[tuple[Cause, Stage], str]] = {
    # accepting means sending the brief: say why that must not happen
    (Cause.ACCEPTED, Stage.OPTED_OUT): "opted out (never contact them again)",
}


def why_not(current: Stage, cause: Cause) -> str | None:
    """Why ``cause`` cannot move a creator at ``current``, in words for the operator; or None."""
    if current in allowed_from(cause):
        return None
    return _STANDING_FOR.get((cause, current)) or _STANDING.get(current) or f"is {current.value}"


def refuse_acceptance(current: Stage) -> str | None:
    """Why a creator at ``current`` cannot accept, or None when they can.

    None also when they already accepted: repeating the answer only sends a missing brief.
    """
    return None if current is Stage.ACCEPTED else why_not(current, Cause.ACCEPTED)


def refuse_decline(current: Stage) -> str | None:
    """Why a creator at ``current`` cannot be marked as declining, or None when they can."""
    return why_not(current, Cause.DECLINED)
