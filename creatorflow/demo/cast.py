"""The demo's simulated creators: who they are on the platforms and how each one behaves.

Every person from the sample CSV becomes accounts in the sandbox ``World`` (the platforms' truth)
and gets a fate, drawn with a fixed seed: accept (post on time, late, or post and delete it later,
or answer only the follow-up), decline, bounce, answer with an out-of-office, or stay silent.
People act only on mail they actually received in the outbox, so whatever creatorflow decides
(shortlist, follow-ups, briefs) is what the world reacts to: some accept at their own rate
rather than the offer, and each posts on the account its brief names (with the link and code the
brief gives). Accounts engage as their ``audience`` says (by size, platform, noise, outliers,
hidden likes). The cast also keeps the expected figures - who was contacted, accepted and posted
per tier, what each post showed when creatorflow last looked - to check the report against.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from creatorflow.demo.audience import (
    Audience,
    Conversions,
    campaign_boost,
    draw_audience,
    grown,
    post_counts,
)
from creatorflow.demo.mailbox import (
    Delivered,
    auto_reply,
    bounce,
    deliver,
    human_reply,
    read_outbox,
)
from creatorflow.domain.handles import normalise_handle, parse_followers
from creatorflow.domain.model import Platform
from creatorflow.domain.tiers import TierRules, assign_tier
from creatorflow.sandbox.sample_creators import SampleCreator
from creatorflow.sandbox.world import World

HASHTAG = "glowdemo"
MENTION = "glowcosmetics"


class Fate(StrEnum):
    ACCEPT = "accepts, posts on time"
    ACCEPT_LATE = "accepts, posts late"
    ACCEPT_DELETES = "accepts, posts, deletes the post"
    ACCEPT_AFTER_FOLLOW_UP = "accepts after a follow-up"
    DECLINE = "declines"
    BOUNCE = "address bounces"
    AUTO_REPLY = "out of office, then silent"
    SILENT = "never answers"


ACCEPTING = {Fate.ACCEPT, Fate.ACCEPT_LATE, Fate.ACCEPT_DELETES, Fate.ACCEPT_AFTER_FOLLOW_UP}
_ACCEPT_TEXT = "Sounds lovely - count me in! Send the brief."
_COUNTER_TEXT = "Sounds lovely! My rate for a post is {fee} {currency}; if that works, count me in."
#: How often an accepting creator asks for more than the offer, and how much more, by tier:
#: bigger creators have agents and rate cards.
_COUNTER = {"nano": (0.15, 1.2), "micro": (0.3, 1.25), "mid": (0.45, 1.3), "macro": (0.6, 1.4)}
_LINK = re.compile(r"https?://[^\s<>\"']*utm_content=[^\s<>\"']+")
_CODE = re.compile(r"\b[A-Z0-9]{1,12}-[A-Z0-9]{1,12}-[A-HJ-NP-Z2-9]{6}\b")
_DECLINE_TEXT = "Thanks for thinking of me, but not this time."
#: Fates drawn for everyone but the one person who deletes their post.
_WEIGHTS = {
    Fate.ACCEPT: 34,
    Fate.ACCEPT_LATE: 8,
    Fate.ACCEPT_AFTER_FOLLOW_UP: 8,
    Fate.DECLINE: 15,
    Fate.BOUNCE: 8,
    Fate.AUTO_REPLY: 7,
    Fate.SILENT: 20,
}


@dataclass
class Person:
    email: str
    name: str
    accounts: list[tuple[Platform, str]]  # (platform, handle as the world knows it)
    followers: int
    fate: Fate = Fate.SILENT
    received: list[Delivered] = field(default_factory=list)
    answered: bool = False
    accepted_at: datetime | None = None
    post_ids: list[str] = field(default_factory=list)
    deleted: bool = False
    audiences: dict[tuple[Platform, str], Audience] = field(default_factory=dict)
    counter: float = 1.0  # the fee asked, as a multiple of the offer (1.0: the offer is fine)
    fee: Decimal | None = None  # what was agreed (None until accepted)
    #: What the brief told them: the account the campaign is for, their link and promo code.
    enrolled: tuple[Platform, str] | None = None
    tracking_url: str | None = None
    promo_code: str | None = None
    #: Each campaign post's final counts, and the counts creatorflow last had a chance to see.
    final: dict[str, dict[str, int | None]] = field(default_factory=dict)
    observed: dict[str, dict[str, int | None]] = field(default_factory=dict)
    post_note: str = ""  # "went viral", "flopped"
    posted_on: datetime | None = None
    engaged: int = 0  # people who engaged with the campaign post, hidden counts included
    conversions: Conversions | None = None  # what their link and code brought (the export)

    @property
    def contacted(self) -> bool:
        return bool(self.received)

    @property
    def handle_ref(self) -> str:
        """``platform:handle`` as the operator types it for `campaign respond` (any account of
        the creator will do; once the brief named the campaign's account, that one)."""
        platform, handle = self.enrolled or self.accounts[0]
        return f"{platform.value}:{handle}"

    def post_due(self) -> datetime | None:
        if self.accepted_at is None:
            return None
        days = {Fate.ACCEPT_LATE: 10, Fate.ACCEPT_DELETES: 2}.get(self.fate, 3)
        return self.accepted_at + timedelta(days=days)


@dataclass
class Answer:
    """A person's answer the operator records (`creatorflow campaign respond`)."""

    person: Person
    accepted: bool
    fee: Decimal | None = None  # the fee the creator asked for, when not the offer


class Cast:
    def __init__(
        self, people: list[Person], rules: TierRules, offers: Mapping[str, int] | None = None
    ) -> None:
        self.people = people
        self.rules = rules
        self.offers = dict(offers or {})
        self._by_email = {p.email: p for p in people if p.email}
        self._seen: set[str] = set()

    def tier(self, person: Person) -> str:
        tier = assign_tier(person.followers, self.rules)
        return tier.value if tier else "none"

    @classmethod
    def from_rows(
        cls,
        rows: list[SampleCreator],
        rules: TierRules,
        *,
        offers: Mapping[str, int] | None = None,
        seed: int = 7,
    ) -> Cast:
        """One person per email (people without one are on the platforms but never emailed)."""
        rng = random.Random(seed)
        people: dict[str, Person] = {}
        for index, row in enumerate(rows):
            key = row.email.lower() or f"no-email-{index}"
            person = people.get(key)
            if person is None:
                followers = parse_followers(row.followers) or rng.randint(1_000, 90_000)
                person = Person(row.email.lower(), row.name, [], followers)
                people[key] = person
            person.accounts.append((row.platform, normalise_handle(row.platform, row.handle)))
        cast = cls(list(people.values()), rules, offers)
        fates, weights = zip(*_WEIGHTS.items(), strict=True)
        for person in cast.people:
            person.fate = rng.choices(fates, weights=weights)[0]
        haggle = random.Random(seed + 1)  # a stream of its own: the fates stay as they were
        for person in cast.people:
            chance, factor = _COUNTER.get(cast.tier(person), (0.0, 1.0))
            if haggle.random() < chance:
                person.counter = factor * haggle.uniform(0.9, 1.15)
        return cast

    # -- the platforms' side -------------------------------------------------------------------
    def populate(self, world: World, *, now: datetime) -> None:
        """Accounts (a person's two accounts with the same audience) with three ordinary posts.

        Each account's posts engage at its own audience's rate (``audience``); one who hides
        likes on the campaign post hides them on one ordinary post too, so the profile rate
        stays known. A YouTube handle that is a channel id (``UC...``) is the account's id too.
        """
        rng = random.Random(11)
        for person in self.people:
            for platform, handle in person.accounts:
                followers = person.followers
                audience = draw_audience(followers, platform, rng)
                person.audiences[(platform, handle)] = audience
                world.add_account(
                    platform,
                    handle,
                    followers=followers,
                    name=person.name,
                    external_id=handle if handle.startswith("UC") else None,
                )
                for day in (3, 9, 15):
                    counts: dict[str, Any] = post_counts(
                        audience,
                        followers,
                        platform,
                        rng,
                        hide_likes=audience.hides_likes and day == 9,
                    )
                    world.add_post(
                        platform,
                        handle,
                        title=f"Week in my life, part {day}",
                        text="Everyday things, nothing sponsored",
                        published_at=now - timedelta(days=day, hours=rng.randint(0, 12)),
                        paid_placement=False,
                        media_product_type=_product_type(platform, rng),
                        **counts,
                    )

    def publish(self, world: World, *, now: datetime) -> list[str]:
        """Accepted people whose day has come post with the campaign hashtag on the account
        their brief named: at their due time, or within the last day when they are behind."""
        rng = random.Random(f"posts-{now.isoformat()}")
        lines = []
        for person in self.people:
            due = person.post_due()
            if due is None or person.post_ids or due > now or person.enrolled is None:
                continue
            platform, handle = person.enrolled
            audience = person.audiences[person.enrolled]
            boost, person.post_note = campaign_boost(rng)
            final = post_counts(
                audience,
                person.followers,
                platform,
                rng,
                boost=boost,
                hide_likes=audience.hides_likes,
            )
            published = min(max(due, now - timedelta(hours=18)), now - timedelta(hours=2))
            so_far: dict[str, Any] = grown(final, now - published)
            post = world.add_post(
                platform,
                handle,
                title="My spring glow routine",
                text=f"Morning routine with @{MENTION} #{HASHTAG} #ad",
                published_at=published,
                paid_placement=platform is Platform.YOUTUBE,
                media_product_type="REELS" if platform is Platform.INSTAGRAM else "FEED",
                **so_far,
            )
            person.post_ids.append(post.post_id)
            person.final[post.post_id] = final
            person.posted_on = published
            person.engaged = int(person.followers * audience.rate * boost)
            note = f", {person.post_note}" if person.post_note else ""
            lines.append(f"{person.handle_ref} posted ({person.fate.value}{note})")
        return lines

    def delete_posts(self, world: World) -> list[str]:
        lines = []
        for person in self.people:
            if person.fate is Fate.ACCEPT_DELETES and person.post_ids and not person.deleted:
                for post_id in person.post_ids:
                    world.delete_post(post_id)
                person.deleted = True
                lines.append(f"{person.handle_ref} deleted their post")
        return lines

    def grow(self, world: World, *, now: datetime) -> None:
        """Time passes: every live campaign post has gained what its age says (``reached``)."""
        for person in self.people:
            for post_id in person.post_ids:
                post = world.post(post_id)
                if post is not None:
                    world.update_post(
                        post_id, **grown(person.final[post_id], now - post.published_at)
                    )

    def observe(self, world: World) -> None:
        """Just before creatorflow looks: remember what each live campaign post shows now.

        A deleted post keeps what it showed last: that is what the report can know of it."""
        for person in self.people:
            for post_id in person.post_ids:
                post = world.post(post_id)
                if post is not None:
                    person.observed[post_id] = {
                        name: getattr(post, name)
                        for name in ("views", "likes", "comments", "shares", "saves")
                    }

    # -- the mailbox's side --------------------------------------------------------------------
    def read_mail(self, outbox: Path, inbox: Path, *, now: datetime) -> list[Answer]:
        """Everyone reads what creatorflow sent since last time and answers as their fate says."""
        answers = []
        for message in read_outbox(outbox, self._seen):
            person = self._by_email.get(message.to)
            if person is None:
                continue
            person.received.append(message)
            first = len(person.received) == 1
            self._read_brief(person, message.text)
            if person.fate is Fate.BOUNCE:
                deliver(inbox, bounce(message, when=now))
            elif person.answered:
                continue
            elif person.fate is Fate.AUTO_REPLY and first:
                deliver(inbox, auto_reply(message, name=person.name, when=now))
            else:
                accepts = person.fate in ACCEPTING and (
                    first != (person.fate is Fate.ACCEPT_AFTER_FOLLOW_UP)
                )
                if not accepts and not (person.fate is Fate.DECLINE and first):
                    continue
                fee = self._asked_fee(person) if accepts else None
                text = _ACCEPT_TEXT if accepts else _DECLINE_TEXT
                if fee is not None:
                    text = _COUNTER_TEXT.format(fee=fee, currency="USD")
                deliver(inbox, human_reply(message, name=person.name, when=now, text=text))
                person.answered = True
                answers.append(Answer(person, accepted=accepts, fee=fee))
        return answers

    def _asked_fee(self, person: Person) -> Decimal | None:
        """The creator's own rate when it is above the offer (rounded as rate cards are)."""
        offer = self.offers.get(self.tier(person))
        if offer is None or person.counter <= 1.0:
            return None
        return Decimal(max(offer + 25, round(offer * person.counter / 25) * 25))

    @staticmethod
    def _read_brief(person: Person, text: str) -> None:
        """The brief (and any later email) names the account, the tracking link and the code."""
        if person.enrolled is not None:
            return
        link = _LINK.search(text)
        if link is None:
            return
        query = parse_qs(urlsplit(link.group(0)).query)
        source = query.get("utm_source", [""])[0].lower()
        content = query.get("utm_content", [""])[0].lower()
        for platform, handle in person.accounts:
            if platform.value == source and handle.lower() == content:
                person.enrolled = (platform, handle)
                person.tracking_url = link.group(0)
                code = _CODE.search(text)
                person.promo_code = code.group(0) if code else None

    # -- what the report must say --------------------------------------------------------------
    def expected_funnel(self) -> dict[str, Counter[str]]:
        """Per tier: contacted, accepted and posted, from the people's side of the story."""
        funnel: dict[str, Counter[str]] = {}
        for person in self.people:
            if not person.contacted:
                continue
            tier = assign_tier(person.followers, self.rules)
            counts = funnel.setdefault(tier.value if tier else "none", Counter())
            counts["contacted"] += 1
            accepted = person.answered and person.fate in ACCEPTING
            counts["accepted"] += accepted
            counts["posted"] += accepted and bool(person.post_ids)
        return funnel

    def choose_deleter(self) -> Person | None:
        """Among the people contacted, the first who would post on time deletes it later."""
        for person in self.people:
            if person.contacted and person.fate is Fate.ACCEPT:
                person.fate = Fate.ACCEPT_DELETES
                return person
        return None

    def fates(self) -> Counter[str]:
        return Counter(p.fate.value for p in self.people if p.contacted)


def _product_type(platform: Platform, rng: random.Random) -> str:
    """Instagram posts are reels or feed posts (Meta answers views for reels only)."""
    if platform is not Platform.INSTAGRAM:
        return "FEED"
    return "REELS" if rng.random() < 0.5 else "FEED"
