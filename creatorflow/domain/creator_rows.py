"""One row of a creators CSV, validated into a typed record (or a reason it was rejected).

The file-level concerns (encoding, header, reading) live in ``services.creator_csv``; this module
only turns a header-keyed row into a ``CreatorRow`` so the rules are testable without files.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from creatorflow.domain.handles import (
    normalise_email,
    normalise_handle,
    parse_followers,
    usual_email,
    usual_followers,
    usual_handle,
)
from creatorflow.domain.model import Platform

#: Column names as they appear in the header (matched case-insensitively, spaces trimmed).
COLUMNS: tuple[str, ...] = ("platform", "handle", "email", "name", "followers", "country", "niche")
REQUIRED_COLUMNS: tuple[str, ...] = ("platform", "handle")

NAME_MAX = 200
NICHE_MAX = 100
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class CreatorRow(NamedTuple):
    """A valid row: normalised keys, ``None`` for every empty (unknown) cell.

    A named tuple because imports build 100,000 of them and it is the cheapest record.
    """

    line: int
    platform: Platform
    handle: str
    email: str | None = None
    name: str | None = None
    followers: int | None = None
    country: str | None = None
    niche: str | None = None

    @property
    def account_key(self) -> tuple[str, str]:
        return (self.platform.value, self.handle)


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not imported: where it is, why, and the cells as read (for ``--rejects``)."""

    file: str
    line: int
    reason: str
    raw: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class UnknownColumn:
    """A header name creatorflow does not read, with the known column it most resembles."""

    name: str  # as in the header, lower-cased; "" for an empty header cell
    position: int  # 1 = the first column
    closest: str | None  # a known column absent from the header that the name resembles

    def describe(self) -> str:
        """``unknown column 'emial' (did you mean 'email'?)``, or ``unnamed column 4``."""
        label = f"unknown column {self.name!r}" if self.name else f"unnamed column {self.position}"
        return label + (f" (did you mean {self.closest!r}?)" if self.closest else "")


def unknown_columns(header: Sequence[str]) -> list[UnknownColumn]:
    """Header names that are not ``COLUMNS``; a misspelt one gets its likely meaning.

    An unknown column's cells are never read, so ``emial`` would silently import creators with
    no email: the import names each one (``--strict`` refuses the file). The suggestion is the
    closest known column (``difflib``) the header lacks, since a present one is not misspelt.
    """
    present = set(header)
    missing = [name for name in COLUMNS if name not in present]
    found = []
    for position, name in enumerate(header, start=1):
        if name in COLUMNS:
            continue
        close = difflib.get_close_matches(name, missing, n=1, cutoff=0.6) if name else []
        found.append(UnknownColumn(name, position, close[0] if close else None))
    return found


@lru_cache(maxsize=64)
def parse_platform(raw: str) -> Platform:
    value = raw.strip().lower()
    if not value:
        raise ValueError("platform is empty")
    try:
        return Platform(value)
    except ValueError:
        expected = ", ".join(p.value for p in Platform)
        raise ValueError(f"unknown platform {raw.strip()!r} (expected {expected})") from None


@lru_cache(maxsize=1024)
def parse_country(raw: str) -> str | None:
    value = raw.strip().upper()
    if not value:
        return None
    if not _COUNTRY.match(value):
        raise ValueError(f"country {raw.strip()!r} must be a two-letter ISO 3166 code such as US")
    return value


def _text(raw: str, column: str, max_length: int) -> str | None:
    value = " ".join(raw.split())
    if not value:
        return None
    if len(value) > max_length:
        raise ValueError(f"{column} is longer than {max_length} characters")
    return value


@lru_cache(maxsize=1024)
def parse_niche(raw: str) -> str | None:
    """Niches are lower-cased so campaign filters match however a tool spelled them."""
    value = _text(raw, "niche", NICHE_MAX)
    return value.lower() if value is not None else None


def parse_creator_row(cells: Mapping[str, str], *, line: int) -> CreatorRow:
    """Validate one row keyed by lower-case column name; ``ValueError`` names the first problem."""
    return RowParser(tuple(cells)).parse(tuple(cells.values()), line)


class RowParser:
    """Parses rows of one file, with the header's column positions worked out once."""

    def __init__(self, header: Sequence[str]) -> None:
        position = {name: index for index, name in enumerate(header)}
        self.platform, self.handle = position["platform"], position["handle"]
        self.optional = tuple(position.get(name) for name in COLUMNS[2:])

    def parse(self, cells: Sequence[str], line: int) -> CreatorRow:
        """Validate one row (as many cells as the header); ``ValueError`` names the problem."""
        email_at, name_at, followers_at, country_at, niche_at = self.optional
        platform = parse_platform(cells[self.platform])
        handle = normalise_handle(platform, cells[self.handle])
        raw_email = cells[email_at].strip() if email_at is not None else ""
        return CreatorRow(
            line,
            platform,
            handle,
            normalise_email(raw_email) if raw_email else None,
            _text(cells[name_at], "name", NAME_MAX) if name_at is not None else None,
            parse_followers(cells[followers_at]) if followers_at is not None else None,
            parse_country(cells[country_at]) if country_at is not None else None,
            parse_niche(cells[niche_at]) if niche_at is not None else None,
        )


_REFUSED: Any = object()  # a value the column's parser refuses: the row takes the full rules
_new_row = tuple.__new__


def parse_rows(
    parser: RowParser, records: Iterable[tuple[int, Sequence[str]]]
) -> tuple[list[CreatorRow], list[tuple[int, str]]]:
    """Every record as ``parser.parse`` would make it: the rows, and (line, reason) of the others.

    Records are (first line, cells), as many cells as the header; rows keep their order. Cells
    already in their usual form (a known platform, country and niche, each parsed once per
    distinct value; a valid handle needing no trimming; a plain email and count) are taken in
    line; any other record goes through ``parser.parse``, which normalises it or names the
    problem, so the result is the same. At 100,000 rows an import had spent more time in the
    per-cell checks' layers of calls than SQLite took to store the rows: this takes half.
    """
    rows: list[CreatorRow] = []
    failed: list[tuple[int, str]] = []
    parse = parser.parse
    platform_at, handle_at = parser.platform, parser.handle
    email_at, name_at, followers_at, country_at, niche_at = parser.optional
    platforms: dict[str, Any] = {}
    countries: dict[str, Any] = {}
    niches: dict[str, Any] = {}
    for line, cells in records:
        raw = cells[platform_at]
        if raw not in platforms:
            platforms[raw] = _parsed(parse_platform, raw)
        platform = platforms[raw]
        handle = usual_handle(platform, cells[handle_at]) if platform is not _REFUSED else None
        email = name = followers = country = niche = None
        usual = handle is not None
        if usual and email_at is not None and (raw := cells[email_at]):
            email = usual_email(raw)
            usual = email is not None
        if usual and name_at is not None and (raw := cells[name_at]):
            name = " ".join(raw.split()) or None
            usual = name is None or len(name) <= NAME_MAX
        if (
            usual
            and followers_at is not None
            and (raw := cells[followers_at])
            and (followers := usual_followers(raw)) is None  # spaces, or not a count
        ):
            followers = _parsed(parse_followers, raw)
            usual = followers is not _REFUSED
        if usual and country_at is not None and (raw := cells[country_at]):
            if raw not in countries:
                countries[raw] = _parsed(parse_country, raw)
            country = countries[raw]
            usual = country is not _REFUSED
        if usual and niche_at is not None and (raw := cells[niche_at]):
            if raw not in niches:
                niches[raw] = _parsed(parse_niche, raw)
            niche = niches[raw]
            usual = niche is not _REFUSED
        if usual:
            rows.append(
                _new_row(
                    CreatorRow, (line, platform, handle, email, name, followers, country, niche)
                )
            )
            continue
        try:  # not in the usual form: the full rules normalise it or name the problem
            rows.append(parse(cells, line))
        except ValueError as exc:
            failed.append((line, str(exc)))
    return rows, failed


def _parsed(parse: Callable[[str], Any], raw: str) -> Any:
    """``parse(raw)``, or ``_REFUSED`` when it raises (the row then takes the full rules)."""
    try:
        return parse(raw)
    except ValueError:
        return _REFUSED
