"""The demo's simulated creators: who they are on the platforms and how each one behaves.

Every person from the sample CSV becomes accounts in the sandbox ``World`` (the platforms' truth)
and gets a fate, drawn with a fixed seed: accept (post on time, late, or post and delete it later,
or answer only the follow-up), decline, bounce, answer with an out-of-office, or stay silent.
People act only on mail they actually received in the outbox, so whatever creatorflow decides
(shortlist, follow-ups, briefs) is what the world reacts to. The cast also keeps the expected
figures - who was contacted, accepted and posted per tier - to check the report against.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

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

    @property
    def contacted(self) -> bool:
        return bool(self.received)

    @property
    def handle_ref(self) -> str:
        """``platform:handle`` as the operator types it for `campaign respond`."""
        platform, handle = self.accounts[0]
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


class Cast:
    def __init__(self, people: list[Person], rules: TierRules) -> None:
        self.people = people
        self.rules = rules
        self._by_email = {p.email: p for p in people if p.email}
        self._seen: set[str] = set()

    @classmethod
    def from_rows(cls, rows: list[SampleCreator], rules: TierRules, *, seed: int = 7) -> Cast:
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
        cast = cls(list(people.values()), rules)
        fates, weights = zip(*_WEIGHTS.items(), strict=True)
        for person in cast.people:
            person.fate = rng.choices(fates, weights=weights)[0]
        return cast

    # -- the platforms' side -------------------------------------------------------------------
    def populate(self, world: World, *, now: datetime) -> None:
        """Accounts (a person's two accounts with the same audience) with three ordinary posts.

        A YouTube handle that is a channel id (``UC...``) is the account's id as well."""
        rng = random.Random(11)
        for person in self.people:
            for platform, handle in person.accounts:
                followers = person.followers
                world.add_account(
                    platform,
                    handle,
                    followers=followers,
                    name=person.name,
                    external_id=handle if handle.startswith("UC") else None,
                )
                for day in (3, 9, 15):
                    views = max(50, int(followers * rng.uniform(0.1, 0.5)))
                    world.add_post(
                        platform,
                        handle,
                        title=f"Week in my life, part {day}",
                        text="Everyday things, nothing sponsored",
                        published_at=now - timedelta(days=day, hours=rng.randint(0, 12)),
                        views=views,
                        likes=int(views * rng.uniform(0.02, 0.08)),
                        comments=int(views * 0.004),
                        shares=int(views * 0.002),
                        saves=int(views * 0.003) if platform is Platform.INSTAGRAM else None,
                    )

    def publish(self, world: World, *, now: datetime) -> list[str]:
        """Accepted people whose day has come post with the campaign hashtag; one later deletes."""
        lines = []
        for person in self.people:
            due = person.post_due()
            if due is None or person.post_ids or due > now:
                continue
            for platform, handle in person.accounts:
                views = max(100, int(person.followers * 0.4))
                post = world.add_post(
                    platform,
                    handle,
                    title="My spring glow routine",
                    text=f"Morning routine with @{MENTION} #{HASHTAG} #ad",
                    published_at=now - timedelta(hours=2),
                    views=views,
                    likes=int(views * 0.06),
                    comments=int(views * 0.005),
                    shares=int(views * 0.003),
                    saves=int(views * 0.004) if platform is Platform.INSTAGRAM else None,
                    paid_placement=platform is Platform.YOUTUBE,
                )
                person.post_ids.append(post.post_id)
            lines.append(f"{person.handle_ref} posted ({person.fate.value})")
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

    def grow(self, world: World, factor: float = 1.4) -> None:
        """A couple of days pass: every live campaign post gains views and engagement."""
        for person in self.people:
            for post_id in person.post_ids:
                if world.post(post_id) is not None:
                    world.grow_metrics(post_id, factor)

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
                text = _ACCEPT_TEXT if accepts else _DECLINE_TEXT
                deliver(inbox, human_reply(message, name=person.name, when=now, text=text))
                person.answered = True
                answers.append(Answer(person, accepted=accepts))
        return answers

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
