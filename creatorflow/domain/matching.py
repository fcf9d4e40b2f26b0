"""Does a post belong to a campaign? Hashtags and mentions in its text, inside the window.

Matching is case-insensitive and on whole tags: ``#glow`` does not match ``#glowup``. Mentions
match with or without ``@``, because Instagram drops the ``@`` from captions for non-admin readers
(platform_apis.md 2.3). The ad-disclosure check looks for ``#ad`` / ``#sponsored`` or YouTube's
paid-placement flag; a post without any is flagged, not refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DISCLOSURE_TAGS: tuple[str, ...] = ("ad", "sponsored")


@dataclass(frozen=True)
class CampaignTerms:
    """What identifies a campaign's posts: tags and handles (no ``#``/``@``), and the window."""

    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    window_start: datetime | None
    window_end: datetime | None

    @classmethod
    def build(
        cls,
        *,
        hashtags: Iterable[str],
        mentions: Iterable[str],
        window_start: datetime | None,
        window_end: datetime | None,
    ) -> CampaignTerms:
        """Normalise: strip ``#``/``@`` and blanks, lower-case, keep order, drop repeats."""
        tags = _clean(hashtags, "#")
        handles = _clean(mentions, "@")
        return cls(tags, handles, window_start, window_end)


@dataclass(frozen=True)
class PostMatch:
    """Which campaign terms a post carries (lower-cased, without ``#``/``@``)."""

    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]


def _clean(values: Iterable[str], prefix: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        term = value.strip().lstrip(prefix).strip().lower()
        if term:
            seen.setdefault(term, None)
    return tuple(seen)


def _hashtag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w#])#{re.escape(tag)}(?![\w])", re.IGNORECASE)


def _mention_pattern(handle: str) -> re.Pattern[str]:
    # Handles may contain '.', so "@glow.beauty." ends at the sentence's full stop, while
    # "@glow.beautyshop" is another account; a bare word must not be part of a longer word,
    # an e-mail address or a URL path.
    return re.compile(rf"(?<![\w@./#])@?{re.escape(handle)}(?![\w])(?!\.[\w])", re.IGNORECASE)


def _texts(title: str | None, text: str | None) -> str:
    return "\n".join(part for part in (title, text) if part)


def in_window(published_at: datetime | None, terms: CampaignTerms) -> bool:
    """Whether the post was published inside the campaign window (bounds inclusive).

    A post with no known publication time cannot be placed in the window and does not match.
    """
    if published_at is None:
        return False
    if terms.window_start is not None and published_at < terms.window_start:
        return False
    return not (terms.window_end is not None and published_at > terms.window_end)


def find_terms(title: str | None, text: str | None, terms: CampaignTerms) -> PostMatch:
    """The campaign hashtags and mentions found in a post's title and text."""
    body = _texts(title, text)
    tags = tuple(t for t in terms.hashtags if _hashtag_pattern(t).search(body))
    handles = tuple(m for m in terms.mentions if _mention_pattern(m).search(body))
    return PostMatch(tags, handles)


def match_post(
    *,
    title: str | None,
    text: str | None,
    published_at: datetime | None,
    terms: CampaignTerms,
) -> PostMatch | None:
    """The match when the post is a campaign post (a term, inside the window), else ``None``."""
    if not in_window(published_at, terms):
        return None
    found = find_terms(title, text, terms)
    if not found.hashtags and not found.mentions:
        return None
    return found


def has_ad_disclosure(title: str | None, text: str | None, paid_placement: bool | None) -> bool:
    """``#ad`` / ``#sponsored`` in the text, or the platform's paid-promotion flag set."""
    if paid_placement:
        return True
    body = _texts(title, text)
    return any(_hashtag_pattern(tag).search(body) for tag in DISCLOSURE_TAGS)
