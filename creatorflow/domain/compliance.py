"""Is a sponsored post disclosed? The caption is judged ``disclosed``, ``missing`` or ``buried``.

No platform lets a brand read another account's paid-partnership label (YouTube's
``paidProductPlacementDetails`` is readable by the video's owner only), so the caption is the
signal. Regulators (FTC, ASA/CMA, EU consumer law) want the disclosure clear and early: before
Instagram's "more" cut (about the first 125 characters), not hidden in a closing block of
hashtags. The text is folded before matching (Unicode compatibility forms, so the "fancy font"
letters and full-width ``＃`` count; accents and case dropped; zero-width characters removed) and
markers match whole words only, so ``#adventure``, ``#adidas``, "bad" or "ad-free" never count.
Positions in the evidence are offsets in the caption as written.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

#: Accepted markers per language: ``#tag`` is a hashtag, anything else a word or phrase.
DEFAULT_MARKERS: dict[str, tuple[str, ...]] = {
    "en": (
        "#ad",
        "#advert",
        "#advertisement",
        "#sponsored",
        "#paidpartnership",
        "#paidpartner",
        "#paidad",
        "ad",
        "advert",
        "advertisement",
        "sponsored",
        "paid partnership",
        "paid promotion",
    ),
    "de": ("#anzeige", "#werbung", "anzeige", "werbung", "bezahlte partnerschaft"),
    "es": (
        "#publicidad",
        "#patrocinado",
        "#colaboracionpagada",
        "publicidad",
        "patrocinado",
        "colaboración pagada",
    ),
    "fr": (
        "#publicité",
        "#sponsorisé",
        "#partenariatrémunéré",
        "#collaborationcommerciale",
        "publicité",
        "sponsorisé",
        "partenariat rémunéré",
        "collaboration commerciale",
    ),
    "it": ("#pubblicità", "#adv", "#sponsorizzato", "pubblicità", "sponsorizzato"),
    "nl": ("#reclame", "reclame", "betaalde samenwerking"),
    "pt": ("#publi", "#publicidade", "#patrocinado", "publicidade", "parceria paga"),
}
#: Instagram's "more" cut, which regulators' guidance points to.
FIRST_CHARS = 125
#: A closing block of this many hashtags or more hides a disclosure put only there.
BURIED_RUN = 3
#: Characters that render as nothing: dropped before matching.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


class Verdict(StrEnum):
    DISCLOSED = "disclosed"
    MISSING = "missing"
    BURIED = "buried"


@dataclass(frozen=True)
class DisclosureRules:
    """What counts as a disclosure and where it must stand (from the campaign's ``compliance``)."""

    markers: tuple[str, ...]
    first_chars: int = FIRST_CHARS
    buried_run: int = BURIED_RUN  # 0: a closing block of hashtags is never a reason

    @classmethod
    def build(
        cls,
        *,
        languages: tuple[str, ...] | None = None,
        extra: tuple[str, ...] = (),
        first_chars: int = FIRST_CHARS,
        buried_run: int = BURIED_RUN,
    ) -> DisclosureRules:
        chosen = tuple(DEFAULT_MARKERS) if languages is None else languages
        markers = [m for lang in chosen for m in DEFAULT_MARKERS[lang]] + list(extra)
        unique = tuple(dict.fromkeys(m.strip() for m in markers if m.strip()))
        return cls(markers=unique, first_chars=first_chars, buried_run=buried_run)


@dataclass(frozen=True)
class Evidence:
    """Which marker was found, as written, in which field and at which character."""

    marker: str
    found: str
    field: str  # "title", "text" or "label" (the platform's paid-placement flag)
    position: int


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    evidence: Evidence | None
    reason: str


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` folded for matching, with the offset in ``text`` of every folded character."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):  # accents are dropped: no composing needed
        if char in _INVISIBLE or unicodedata.category(char) == "Mn":
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        for part in decomposed:
            if unicodedata.combining(part):
                continue
            for piece in part.casefold():
                folded.append(piece)
                origin.append(index)
    return "".join(folded), origin


@lru_cache(maxsize=1024)
def _pattern(marker: str) -> re.Pattern[str]:
    """A marker as a whole-word pattern over folded text; a phrase's spaces match any gap."""
    folded, _ = fold(marker.strip())
    hashtag = folded.startswith("#")
    words = [w for w in re.split(r"[\W_]+", folded.lstrip("#")) if w]
    body = r"[\W_]+".join(re.escape(w) for w in words)
    if hashtag:
        return re.compile(rf"(?<![\w#])(?<!\w-)#{body}(?![\w]|-\w)")
    return re.compile(rf"(?<![\w@])(?<!\w-){body}(?![\w]|-\w)")


@dataclass(frozen=True)
class _Hit:
    marker: str
    start: int  # in folded text
    end: int


#: A marker right after a negation says the opposite ("not sponsored", "no ad", "kein
#: Werbung", "pas sponsorisé", "non sponsorizzato"): it is no disclosure.
_NEGATED = re.compile(
    r"(?<![\w#@])(?:not|no|non|never|nicht|kein|keine|pas|sin|senza|geen|nao)"
    r"(?:[\W_]+(?:is|es|ist|est|e|an?|un|une|eine?|una?|een|um|uma)){0,2}[\W_]+$"
)


def _negated(folded: str, start: int) -> bool:
    return _NEGATED.search(folded, 0, start) is not None


def _hits(folded: str, markers: tuple[str, ...]) -> list[_Hit]:
    hits = [
        _Hit(marker, m.start(), m.end())
        for marker in markers
        if marker.strip("# ")
        for m in _pattern(marker).finditer(folded)
        if not _negated(folded, m.start())
    ]
    return sorted(hits, key=lambda h: (h.start, -h.end, h.marker))


_TOKEN = re.compile(r"\S+")
_HASHTAGS = re.compile(r"(?:#\w+)+")
_MENTION = re.compile(r"@[\w.]+")


def trailing_run_start(folded: str, *, minimum: int) -> int | None:
    """Where the closing block of ``minimum`` or more hashtags starts (emoji, punctuation and
    @mentions between them do not end it), or None when the caption ends otherwise."""
    if minimum <= 0:
        return None
    start: int | None = None
    count = 0
    for token in reversed(list(_TOKEN.finditer(folded))):
        core = re.sub(r"^[^\w#@]+|[^\w#@]+$", "", token.group())
        if not core:
            continue  # emoji or punctuation only
        if _HASHTAGS.fullmatch(core):
            count += core.count("#")
            start = token.start()
        elif _MENTION.fullmatch(core):
            continue
        else:
            break
    return start if count >= minimum else None


def _written(raw: str, origin: list[int], hit: _Hit) -> tuple[int, str]:
    """Where a hit starts in ``raw`` and its text as written (trailing accents included)."""
    first, end = origin[hit.start], origin[hit.end - 1] + 1
    while end < len(raw) and (raw[end] in _INVISIBLE or unicodedata.combining(raw[end])):
        end += 1
    return first, raw[first:end].rstrip("".join(_INVISIBLE))


def judge_caption(
    title: str | None,
    text: str | None,
    *,
    rules: DisclosureRules,
    paid_placement: bool | None = None,
) -> Judgement:
    """The verdict on one post: a marker in the title, or early in the text and not only in its
    closing hashtags, discloses; a marker only later or only there is buried; none is missing."""
    if paid_placement:
        label = Evidence("paid-placement label", "paid-placement label", "label", 0)
        return Judgement(Verdict.DISCLOSED, label, "the platform's paid-placement label is on")
    folded_title, title_origin = fold(title or "")
    for hit in _hits(folded_title, rules.markers):
        start, found = _written(title or "", title_origin, hit)
        evidence = Evidence(hit.marker, found, "title", start)
        return Judgement(Verdict.DISCLOSED, evidence, f"{hit.marker} in the title")
    raw = text or ""
    folded, origin = fold(raw)
    hits = _hits(folded, rules.markers)
    if not hits:
        return Judgement(Verdict.MISSING, None, "no disclosure marker in the caption")
    run = trailing_run_start(folded, minimum=rules.buried_run)

    def shown(hit: _Hit) -> Evidence:
        start, found = _written(raw, origin, hit)
        return Evidence(hit.marker, found, "text", start)

    for hit in hits:
        early = origin[hit.end - 1] < rules.first_chars
        in_run = run is not None and hit.start >= run
        if early and not in_run:
            return Judgement(Verdict.DISCLOSED, shown(hit), f"{hit.marker} near the start")
    first = hits[0]
    if origin[first.end - 1] >= rules.first_chars:
        why = f"{first.marker} only after the first {rules.first_chars} characters"
    else:
        why = f"{first.marker} only among the closing hashtags"
    return Judgement(Verdict.BURIED, shown(first), why)


def caption_hash(title: str | None, text: str | None) -> str:
    """Identifies a caption version: the title and the text, kept apart (a move between them
    is a change)."""
    payload = f"{title or ''}\x00{text or ''}".encode()
    return hashlib.sha256(payload).hexdigest()


# -- what a new version means -------------------------------------------------------------------

#: Event kinds of a caption seen for the first time, or changed.
FIRST_SEEN = "caption_recorded"
DISCLOSURE_REMOVED = "disclosure_removed"
DISCLOSURE_ADDED = "disclosure_added"
CAPTION_CHANGED = "caption_changed"
REMOVED_EARLY = "post_removed_early"


def change_kind(previous: Verdict | None, current: Verdict) -> str:
    """The event a new caption version records, judged against the version before it."""
    if previous is None:
        return FIRST_SEEN
    if previous is Verdict.DISCLOSED and current is not Verdict.DISCLOSED:
        return DISCLOSURE_REMOVED
    if previous is not Verdict.DISCLOSED and current is Verdict.DISCLOSED:
        return DISCLOSURE_ADDED
    return CAPTION_CHANGED


class ProblemKind(StrEnum):
    MISSING = "missing"
    BURIED = "buried"
    REMOVED_EARLY = "removed_early"


def problem_of(verdict: Verdict) -> ProblemKind | None:
    """The disclosure problem a verdict is (none when disclosed)."""
    return None if verdict is Verdict.DISCLOSED else ProblemKind(verdict.value)


def removed_early(posted_at: datetime | None, gone_at: datetime, *, keep_live_days: int) -> bool:
    """Whether a post gone at ``gone_at`` was taken down before it had been live long enough."""
    if posted_at is None or keep_live_days <= 0:
        return False
    return gone_at < posted_at + timedelta(days=keep_live_days)


def reminder_due(nudged_at: datetime, *, now: datetime, reminder_days: int | None) -> bool:
    """Whether a nudged, still open problem gets its one reminder at ``now``."""
    return reminder_days is not None and now >= nudged_at + timedelta(days=reminder_days)
