"""Submission by URL: a post a creator (or the operator) sends in, checked through the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from creatorflow.domain.model import Platform, Provenance
from creatorflow.domain.post_urls import PostRef, PostUrlError, parse_post_url
from creatorflow.errors import InputError
from creatorflow.platforms.base import Caption, PlatformClient, Post
from creatorflow.platforms.errors import AccountProblem
from creatorflow.platforms.registry import adapter_for
from creatorflow.services.tracking.account_problems import note_account_problem
from creatorflow.services.tracking.compliance import Seen, record_captions
from creatorflow.services.tracking.deliverables import (
    TRACKED_STAGES,
    ClientFactory,
    profile_of,
    record_deliverable,
)
from creatorflow.storage.campaigns import load_campaign
from creatorflow.storage.db import session_scope
from creatorflow.storage.models import Account, Creator, Deliverable, Enrollment


class SubmissionRefused(InputError):
    """A submitted URL cannot become a deliverable; the message says why."""


@dataclass(frozen=True)
class SubmissionResult:
    deliverable_id: int
    created: bool
    provenance: Provenance
    platform: Platform
    post_id: str
    handle: str
    disclosure_ok: bool | None
    note: str


def _parse_creator(value: str | None) -> tuple[Platform, str] | None:
    if value is None:
        return None
    platform, sep, handle = value.partition(":")
    try:
        plat = Platform(platform.strip().lower())
    except ValueError:
        raise InputError(f"--creator {value!r}: expected PLATFORM:HANDLE") from None
    if not sep or not handle.strip():
        raise InputError(f"--creator {value!r}: expected PLATFORM:HANDLE")
    return plat, handle.strip().lstrip("@").lower()


def submit_deliverable(
    *,
    engine: Engine,
    clients: ClientFactory,
    campaign_slug: str,
    url: str,
    now: datetime,
    actor: str,
    creator: str | None = None,
) -> SubmissionResult:
    """Record a post a creator (or the operator) submitted by URL, after checking its owner.

    The URL is parsed, never fetched. Ownership is checked through the API, as the platform's
    adapter declares (``PlatformAdapter.owns``: YouTube's ``channelId``, the permalink among the
    creator's Instagram media, TikTok's owner-only video query). When the API cannot tell, the
    post is recorded with provenance ``submitted``; a post the API shows belongs to someone else
    is refused. A creator's account the API will not show (a revoked token, not professional any
    more) is marked with the reason and the post recorded as submitted, the note naming both.
    """
    try:
        ref = parse_post_url(url)
    except PostUrlError:
        raise
    wanted = _parse_creator(creator)
    if wanted is not None and wanted[0] is not ref.platform:
        raise SubmissionRefused(
            f"{url}: a {ref.platform.value} post cannot be a deliverable of a "
            f"{wanted[0].value} account"
        )
    handle_filter = ref.handle or (wanted[1] if wanted else None)
    if ref.handle and wanted and wanted[1] != ref.handle:
        raise SubmissionRefused(
            f"{url}: the post is by @{ref.handle}, not by {wanted[0].value}:{wanted[1]}"
        )
    with session_scope(engine) as session:
        campaign = load_campaign(session, campaign_slug)
        candidates = _candidates(session, campaign.id, ref.platform, handle_filter)
        session.expunge_all()
    if not candidates:
        who = f" @{handle_filter}" if handle_filter else ""
        raise SubmissionRefused(
            f"{url}: no accepted {ref.platform.value} creator{who} in campaign {campaign_slug!r}"
        )
    client = clients(ref.platform)
    problem: str | None = None
    try:
        post, owner = _verify(client, ref, candidates, url=url, campaign_slug=campaign_slug)
    except AccountProblem as exc:  # the creator's account cannot be read: the API cannot tell
        problem = _note(engine, exc, ref.platform, candidates, now=now, actor=actor)
        post, owner = None, None
    if owner is None:
        if len(candidates) != 1:
            raise SubmissionRefused(
                f"{url}: the {ref.platform.value} API does not show this post, so its creator "
                "cannot be told; give the creator (--creator PLATFORM:HANDLE) to record it as "
                "submitted"
            )
        owner = candidates[0]
    enrollment, account = owner
    provenance = Provenance.API if post is not None else Provenance.SUBMITTED
    with session_scope(engine) as session:
        new_id = record_deliverable(
            session,
            enrollment=enrollment,
            campaign_id=campaign.id,
            post=post,
            ref=ref,
            provenance=provenance,
            now=now,
            actor=actor,
            kind="deliverable_submitted",
        )
    if new_id is not None and post is not None:  # judged by the campaign's compliance rules,
        # as detection's posts are: the caption's first version, its verdict, a problem if any
        seen = Seen(new_id, Caption(post.title, post.text), post.paid_placement)
        record_captions(engine=engine, seen=[seen], now=now, actor=actor)
    with session_scope(engine) as session:
        post_id = post.post_id if post is not None else ref.post_id
        row = session.scalar(
            select(Deliverable).where(
                Deliverable.enrollment_id == enrollment.id, Deliverable.post_id == post_id
            )
        )
        assert row is not None
    note = (
        "confirmed through the API"
        if provenance is Provenance.API
        else "the API could not confirm it; recorded as submitted (not polled)"
    )
    if problem is not None:
        note += f"; {problem}"
    return SubmissionResult(
        deliverable_id=row.id,
        created=new_id is not None,
        provenance=Provenance(row.provenance),
        platform=ref.platform,
        post_id=post_id,
        handle=account.handle,
        disclosure_ok=row.disclosure_ok,
        note=note if new_id is not None else "already recorded",
    )


Candidate = tuple[Enrollment, Account]


def _note(
    engine: Engine,
    problem: AccountProblem,
    platform: Platform,
    candidates: Sequence[Candidate],
    *,
    now: datetime,
    actor: str,
) -> str:
    """Mark the candidate account ``problem`` is about; the line naming it and the next step."""
    named = [a for _, a in candidates if a.handle == problem.account]
    account = named[0] if named else (candidates[0][1] if len(candidates) == 1 else None)
    return note_account_problem(
        engine,
        problem,
        platform=platform,
        now=now,
        actor=actor,
        account_id=account.id if account is not None else None,
    )


def _candidates(
    session: Session, campaign_id: int, platform: Platform, handle: str | None
) -> list[Candidate]:
    query = (
        select(Enrollment, Account)
        .join(Account, Account.id == Enrollment.account_id)
        .join(Creator, Creator.id == Enrollment.creator_id)
        .where(Enrollment.campaign_id == campaign_id)
        .where(Enrollment.stage.in_(TRACKED_STAGES))
        .where(Account.platform == platform.value)
        .order_by(Enrollment.id)
    )
    if handle is not None:
        query = query.where(Account.handle == handle)
    return [(e, a) for e, a in session.execute(query).all()]


def _verify(
    client: PlatformClient,
    ref: PostRef,
    candidates: Sequence[Candidate],
    *,
    url: str,
    campaign_slug: str,
) -> tuple[Post | None, Candidate | None]:
    """The post as the API shows it and whose it is (the adapter's ownership check); (None,
    None) when the API cannot tell."""
    profiles = [profile_of(account) for _, account in candidates]
    answer = adapter_for(ref.platform).owns(client, ref, profiles)
    if answer.other is not None:
        raise SubmissionRefused(
            f"{url}: the post belongs to {answer.other}, which is not an accepted "
            f"creator of campaign {campaign_slug!r}"
            + (f" (expected {candidates[0][1].handle})" if len(candidates) == 1 else "")
        )
    if answer.post is None or answer.owner is None:
        return None, None
    return answer.post, candidates[profiles.index(answer.owner)]
