"""Merging imported rows into the creators already known: one person, one record.

Rules: the same platform+handle is the same account; the same email is the same creator (who may
then have several accounts). Within one import the last non-empty value of a field wins and an
empty cell never erases what is known, so importing the same file twice changes nothing. A row
that would join two different people (its account belongs to one creator, its email to another)
is rejected rather than guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from creatorflow.domain.creator_rows import CreatorRow
from creatorflow.domain.model import Platform, Tier
from creatorflow.domain.tiers import TierRules, assign_tier

AccountKey = tuple[str, str]


class _PlainNames(dict[Platform, str]):
    """Platform -> its name as a plain ``str`` (what stored keys and the driver hold), for every
    platform, those registered after this module was loaded included; a hit is one dict read."""

    def __missing__(self, platform: Platform) -> str:
        self[platform] = name = platform.value
        return name


PLATFORM_NAMES = _PlainNames()
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


NewCreator = CreatorRow | PlannedCreator
NewAccount = CreatorRow | PlannedAccount


@dataclass
class MergePlan:
    """What an import will do; ``rejected``: (line, reason) of rows that would merge two people.

    Most rows of a file name someone new whom no other row and no stored record shares a
    handle or email with: such a row is one new creator with one new account, exactly as read,
    and the plan keeps the row itself (a ``CreatorRow`` in ``created`` and ``opened``) instead
    of two planned records: at 100,000 rows those records cost more than writing them. Rows
    that meet another row or a stored record are planned field by field (``planned``,
    ``planned_accounts``). ``creators`` and ``accounts`` show every record either way.
    """

    planned: dict[int, PlannedCreator] = field(default_factory=dict)
    planned_accounts: dict[AccountKey, PlannedAccount] = field(default_factory=dict)
    #: Every new creator in the order of their placeholders (-1, -2, ...) and every new
    #: account in the order it was met: the order their ids are given in.
    created: list[NewCreator] = field(default_factory=list)
    opened: list[NewAccount] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    label: str = ""  # the file's name: a source is "label:line"
    tiers: dict[int | None, str | None] = field(default_factory=dict)  # followers -> tier

    @property
    def creators(self) -> dict[int, PlannedCreator]:
        """Every creator the import touches or creates, by id or placeholder (built on demand)."""
        found = dict(self.planned)
        for position, entry in enumerate(self.created):
            if isinstance(entry, CreatorRow):
                found[-position - 1] = self._creator_of(entry, -position - 1)
        return found

    @property
    def accounts(self) -> dict[AccountKey, PlannedAccount]:
        """Every account the import touches or opens, by (platform, handle) (built on demand)."""
        found = dict(self.planned_accounts)
        refs = iter(self._fresh_refs())
        for entry in self.opened:
            if isinstance(entry, CreatorRow):
                account = self._account_of(entry, next(refs))
                found[(account.platform, account.handle)] = account
        return found

    def _fresh_refs(self) -> list[int]:
        return [-i - 1 for i, entry in enumerate(self.created) if isinstance(entry, CreatorRow)]

    def source(self, row: CreatorRow) -> str:
        return f"{self.label}:{row.line}"

    def _account_of(self, row: CreatorRow, ref: int) -> PlannedAccount:
        account = PlannedAccount(
            PLATFORM_NAMES[row.platform], row.handle, ref, row.followers, self.source(row)
        )
        account.tier = self.tiers.get(row.followers)
        return account

    def _creator_of(self, row: CreatorRow, ref: int) -> PlannedCreator:
        account = self._account_of(row, ref)
        return PlannedCreator(
            ref, row.email, row.name, row.country, row.niche, account.source, None, [account]
        )

    def new_creators(self) -> list[PlannedCreator]:
        """The creators to create, in placeholder order (-1 first)."""
        return [
            self._creator_of(entry, -i - 1) if isinstance(entry, CreatorRow) else entry
            for i, entry in enumerate(self.created)
        ]

    def changed_creators(self) -> list[PlannedCreator]:
        return [c for c in self.planned.values() if c.known is not None and c.changes()]

    def assign_tiers(self, rules: TierRules) -> None:
        cache = self.tiers
        names: dict[Tier | None, str | None] = {tier: tier.value for tier in Tier}
        names[None] = None  # (``Tier.value`` is a Python-level property: too slow per account)
        counts = {row.followers for row in self.opened if isinstance(row, CreatorRow)}
        counts.update(account.followers for account in self.planned_accounts.values())
        for followers in counts:
            if followers not in cache:
                cache[followers] = names[assign_tier(followers, rules)]
        for account in self.planned_accounts.values():
            account.tier = cache[account.followers]


def plan_merge(
    rows: Sequence[CreatorRow],
    *,
    accounts: Mapping[AccountKey, KnownAccount],
    creators: Mapping[int, KnownCreator],
    emails: Mapping[str, int],
    source_label: str,
) -> MergePlan:
    """Resolve every row to one account and one creator (known or new).

    A row whose handle and email no other row and no stored record has is someone new, kept
    as read; the others go through the planner row by row, in the file's order.
    """
    plan = _Planner(accounts, creators, emails, source_label)
    keys = [(PLATFORM_NAMES[row.platform], row.handle) for row in rows]
    handles = Counter(keys)
    addresses = Counter([row.email for row in rows])
    shared_keys = {key for key, count in handles.items() if count > 1}
    shared_keys.update(handles.keys() & accounts.keys())
    shared_emails = {email for email, count in addresses.items() if count > 1}
    shared_emails.update(addresses.keys() & emails.keys())
    shared_emails.discard(None)  # no email joins nobody
    created, opened, add = plan.result.created, plan.result.opened, plan.add
    for row, key in zip(rows, keys, strict=True):
        if key in shared_keys or row.email in shared_emails:
            add(row)
        else:
            created.append(row)
            opened.append(row)
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
        self.result = MergePlan(label=source_label)

    def _account(self, key: AccountKey) -> PlannedAccount | None:
        account = self.result.planned_accounts.get(key)
        if account is None:
            known = self.known_accounts.get(key)
            if known is not None:
                account = PlannedAccount(
                    key[0], key[1], known.creator_id, known.followers, "", known
                )
        return account

    def _creator(self, ref: int) -> PlannedCreator:
        creator = self.result.planned.get(ref)
        if creator is None:
            known = self.known_creators[ref]
            creator = PlannedCreator(ref, *known, source="", known=known)
        return creator

    def add(self, row: CreatorRow) -> None:
        key = (PLATFORM_NAMES[row.platform], row.handle)
        email = row.email
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
        if creator is None:  # placeholders -1, -2, ... in the order creators are made
            creator = PlannedCreator(-len(self.result.created) - 1, None, None, None, None, source)
            self.result.created.append(creator)
        self.result.planned[creator.ref] = creator
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
            self.result.planned_accounts[key] = account
            self.result.opened.append(account)
            return
        if row.followers is not None:
            account.followers = row.followers
        if not account.source:
            account.source = source
        self.result.planned_accounts[key] = account
