"""Merging imported rows into the creators already known: one person, one record.

Rules: the same platform+handle is the same account; the same email is the same creator (who may
then have several accounts). Within one import the last non-empty value of a field wins and an
empty cell never erases what is known, so importing the same file twice changes nothing. A row
that would join two different people (its account belongs to one creator, its email to another)
is rejected rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from creatorflow.domain.creator_rows import CreatorRow
from creatorflow.domain.model import Platform, Tier
from creatorflow.domain.tiers import TierRules, assign_tier

AccountKey = tuple[str, str]
_PLATFORM_VALUE = {
    platform: platform.value for platform in Platform
}  # (platform value, normalised handle)
CREATOR_FIELDS = ("email", "name", "country", "niche")


class KnownAccount(NamedTuple):
    id: int
    creator_id: int
    followers: int | None
    tier: str | None


class KnownCreator(NamedTuple):
    email: str | None
    name: str | None
    country: str | None
    niche: str | None


@dataclass(slots=True)
class PlannedAccount:
    platform: str
    handle: str
    creator_ref: int  # a creator id, or a negative placeholder for a creator still to create
    followers: int | None
    source: str  # "file.csv:12": the first row that named it in this import
    known: KnownAccount | None = None
    tier: str | None = None

    def changes(self) -> dict[str, list[int | str | None]]:
        """Field -> [before, after] for a known account; empty when nothing changed."""
        if self.known is None:
            return {}
        found: dict[str, list[int | str | None]] = {}
        if self.followers != self.known.followers:
            found["followers"] = [self.known.followers, self.followers]
        if self.tier != self.known.tier:
            found["tier"] = [self.known.tier, self.tier]
        return found


@dataclass(slots=True)
class PlannedCreator:
    ref: int
    email: str | None
    name: str | None
    country: str | None
    niche: str | None
    source: str  # where it was created, or (when known) the first row that touched it
    known: KnownCreator | None = None
    new_accounts: list[PlannedAccount] = field(default_factory=list)

    def values(self) -> KnownCreator:
        return KnownCreator(self.email, self.name, self.country, self.niche)

    def changes(self) -> dict[str, list[str | None]]:
        if self.known is None:
            return {}
        return {
            name: [before, after]
            for name, before, after in zip(CREATOR_FIELDS, self.known, self.values(), strict=True)
            if before != after
        }


@dataclass
class MergePlan:
    """What an import will do; ``rejected``: (line, reason) of rows that would merge two people."""

    creators: dict[int, PlannedCreator] = field(default_factory=dict)
    accounts: dict[AccountKey, PlannedAccount] = field(default_factory=dict)
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def new_creators(self) -> list[PlannedCreator]:
        return [c for c in self.creators.values() if c.known is None]

    def changed_creators(self) -> list[PlannedCreator]:
        return [c for c in self.creators.values() if c.known is not None and c.changes()]

    def assign_tiers(self, rules: TierRules) -> None:
        cache: dict[int | None, str | None] = {}
        names: dict[Tier | None, str | None] = {tier: tier.value for tier in Tier}
        names[None] = None  # (``Tier.value`` is a Python-level property: too slow per account)
        for account in self.accounts.values():
            followers = account.followers
            if followers not in cache:
                cache[followers] = names[assign_tier(followers, rules)]
            account.tier = cache[followers]


def plan_merge(
    rows: Iterable[CreatorRow],
    *,
    accounts: Mapping[AccountKey, KnownAccount],
    creators: Mapping[int, KnownCreator],
    emails: Mapping[str, int],
    source_label: str,
) -> MergePlan:
    """Resolve every row to one account and one creator (known or new)."""
    plan = _Planner(accounts, creators, emails, source_label)
    for row in rows:
        plan.add(row)
    return plan.result


class _Planner:
    def __init__(
        self,
        accounts: Mapping[AccountKey, KnownAccount],
        creators: Mapping[int, KnownCreator],
        emails: Mapping[str, int],
        source_label: str,
    ) -> None:
        self.known_accounts = accounts
        self.known_creators = creators
        self.known_emails = emails
        self.label = source_label
        self.new_emails: dict[str, int] = {}
        self.next_ref = -1
        self.result = MergePlan()

    def _account(self, key: AccountKey) -> PlannedAccount | None:
        account = self.result.accounts.get(key)
        if account is None:
            known = self.known_accounts.get(key)
            if known is not None:
                account = PlannedAccount(
                    key[0], key[1], known.creator_id, known.followers, "", known
                )
        return account

    def _creator(self, ref: int) -> PlannedCreator:
        creator = self.result.creators.get(ref)
        if creator is None:
            known = self.known_creators[ref]
            creator = PlannedCreator(ref, *known, source="", known=known)
        return creator

    def add(self, row: CreatorRow) -> None:
        key = (_PLATFORM_VALUE[row.platform], row.handle)
        email = row.email
        if (
            key not in self.result.accounts
            and key not in self.known_accounts
            and (email is None or (email not in self.new_emails and email not in self.known_emails))
        ):  # the common case: someone new
            source = f"{self.label}:{row.line}"
            new_ref = self.next_ref
            self.next_ref -= 1
            fresh = PlannedAccount(key[0], key[1], new_ref, row.followers, source)
            self.result.creators[new_ref] = PlannedCreator(
                new_ref, email, row.name, row.country, row.niche, source, None, [fresh]
            )
            self.result.accounts[key] = fresh
            if email is not None:
                self.new_emails[email] = new_ref
            return
        account = self._account(key)
        by_account = account.creator_ref if account is not None else None
        by_email = None
        if email is not None:
            by_email = self.new_emails.get(email)
            if by_email is None:
                by_email = self.known_emails.get(email)
        if by_account is not None and by_email is not None and by_account != by_email:
            self.result.rejected.append(
                (
                    row.line,
                    f"email {email} belongs to another creator than {key[0]}:{key[1]} "
                    "(one creator per email: fix the email or the handle)",
                )
            )
            return
        ref = by_account if by_account is not None else by_email
        creator = self._creator(ref) if ref is not None else None
        if creator is not None and email is not None and creator.email not in (None, email):
            self.result.rejected.append(
                (
                    row.line,
                    f"{key[0]}:{key[1]} belongs to a creator whose email is {creator.email}, "
                    f"not {email}",
                )
            )
            return
        source = f"{self.label}:{row.line}"
        if creator is None:
            creator = PlannedCreator(self.next_ref, None, None, None, None, source)
            self.next_ref -= 1
        self.result.creators[creator.ref] = creator
        if email is not None and creator.email is None:
            creator.email = email
            self.new_emails[email] = creator.ref
        if row.name is not None:
            creator.name = row.name
        if row.country is not None:
            creator.country = row.country
        if row.niche is not None:
            creator.niche = row.niche
        if not creator.source:
            creator.source = source
        if account is None:
            account = PlannedAccount(key[0], key[1], creator.ref, row.followers, source)
            creator.new_accounts.append(account)
            self.result.accounts[key] = account
            return
        if row.followers is not None:
            account.followers = row.followers
        if not account.source:
            account.source = source
        self.result.accounts[key] = account
